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

/// Every file under `fixtures/` with its bytes, for tests that read them
/// two ways and compare.
#[cfg(test)]
pub(crate) fn fixture_files() -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let files: Vec<_> = walkdir::WalkDir::new(root)
        .into_iter()
        .map(|entry| entry.expect("fixtures are readable"))
        .filter(|entry| entry.file_type().is_file())
        .map(|entry| {
            let bytes = std::fs::read(entry.path()).expect("a fixture reads");
            (entry.into_path(), bytes)
        })
        .collect();
    assert!(files.len() > 20, "{} fixtures", files.len());
    files
}
pub use discover::{
    closest, find_traces, resolve, Listing, Opened, ResolveError, Source, TraceGlob,
};
pub use parse::ParseOptions;
pub use read::{
    read_all, read_all_with, read_here_or_all, read_some, Collect, EntrySink, InOrder, Input,
    Payloads, Prepare, Preparer, ReadAt, ReadReport, TraceReader,
};
