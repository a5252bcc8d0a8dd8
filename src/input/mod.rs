//! Input: finding trace files and reading them into entries.
//!
//! bytes → [`scan`] (framing) → [`parse`] (fields) → entries, with every
//! problem reported as a [`Diagnostic`] and never a panic.

pub mod cache;
mod diagnostic;
pub mod discover;
pub mod fast;
pub mod follow;
pub mod parallel;
pub mod parse;
pub mod read;
pub mod redact;
pub mod scan;

pub use diagnostic::{Diagnostic, ProblemKind};
pub use discover::{find_traces, resolve, Listing, ResolveError, Source, TraceGlob};
pub use parse::ParseOptions;
pub use read::{read_all, read_all_with, Collect, EntrySink, Prepare, ReadReport, TraceReader};
