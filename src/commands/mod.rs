//! One module per command: each ties input, analysis and render together
//! for its view, writing to the `out` it is given.

pub mod complete;
pub mod diff;
pub mod export;
pub mod follow;
pub mod list;
pub mod load;
pub mod stats;
pub mod trace;
pub mod validate;

/// How a command went, for the exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Outcome {
    /// Some input was damaged: entries, fields or files were skipped.
    pub damaged: bool,
}

impl Outcome {
    pub fn exit_code(self) -> i32 {
        if self.damaged {
            crate::exit::DAMAGED
        } else {
            crate::exit::SUCCESS
        }
    }
}

/// Checks the trace directory, saying what is wrong with it.
pub(crate) fn require_dir(dir: &std::path::Path) -> anyhow::Result<()> {
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => anyhow::bail!(
            "'{}' is not a directory\nhint: `agentcli trace {}` shows a single trace file",
            dir.display(),
            dir.display()
        ),
        Err(e) => anyhow::bail!(
            "cannot read directory '{}': {}",
            dir.display(),
            crate::output::describe_io(&e)
        ),
    }
}

/// The trace files under `dir` (which must be a directory). What could not
/// be listed (unreadable folders, dangling links) is warned about and
/// makes the run's outcome damaged.
pub(crate) fn list_traces(
    dir: &std::path::Path,
    glob: Option<&crate::input::TraceGlob>,
    reporter: &mut crate::output::Reporter,
    outcome: &mut Outcome,
) -> anyhow::Result<Vec<std::path::PathBuf>> {
    require_dir(dir)?;
    let listing = crate::input::find_traces(dir, glob);
    for p in &listing.problems {
        reporter.warn(p);
        outcome.damaged = true;
    }
    Ok(listing.files)
}

/// Opens a trace for reading, naming it when it cannot be.
pub(crate) fn open_source(source: &crate::input::Source) -> anyhow::Result<crate::input::Opened> {
    use anyhow::Context;
    source
        .open()
        .with_context(|| format!("failed to open '{source}'"))
}

/// The session a read source holds: a file's id from its name; for stdin,
/// the first session id its entries carry (`-` when none does).
pub(crate) fn session_of(
    source: &crate::input::Source,
    summary: &crate::analysis::SessionSummary,
) -> String {
    match source {
        crate::input::Source::Stdin => summary
            .session_ids
            .first()
            .cloned()
            .unwrap_or_else(|| "-".to_string()),
        crate::input::Source::File(_) => source.session_id(),
    }
}
