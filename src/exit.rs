//! Exit statuses (documented in `--help` and README.md).

/// Done, nothing wrong (also: nothing matched, or stdout was closed early).
pub const SUCCESS: i32 = 0;
/// Done, but some input was damaged and skipped.
pub const DAMAGED: i32 = 1;
/// Could not do what was asked: bad arguments, missing session, I/O error.
pub const ERROR: i32 = 2;
