//! `agentcli list`: every session under the trace directory, summarized.

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use anyhow::Result;

use super::Outcome;
use crate::analysis::{sort_sessions, SessionInfo, SessionSummary};
use crate::config::{Config, ListConfig};
use crate::input::{self, Diagnostic, EntrySink, ParseOptions, Source};
use crate::model::Entry;
use crate::output::Reporter;
use crate::render::list::render_list;
use crate::render::text::escape;

/// Folds a file's entries into its summary and counts its problems.
#[derive(Default)]
struct SummarySink {
    summary: SessionSummary,
    first_problem: Option<Diagnostic>,
}

impl EntrySink for SummarySink {
    fn entry(&mut self, entry: Entry) -> Result<()> {
        self.summary.add(&entry);
        Ok(())
    }

    fn problem(&mut self, problem: Diagnostic) {
        if problem.kind.is_damage() && self.first_problem.is_none() {
            self.first_problem = Some(problem);
        }
    }
}

/// A list row and the file's first problem, or why it could not be read.
type Summarized = Result<(SessionInfo, Option<Diagnostic>)>;

/// Reads one file into a list row; `Err` when it cannot be read at all.
fn summarize(path: &std::path::Path) -> Summarized {
    let source = Source::File(path.to_path_buf());
    let file = std::fs::File::open(path)?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut sink = SummarySink::default();
    let options = ParseOptions::lean();
    let report = input::read_all(file, options, &mut sink)?;
    Ok((
        SessionInfo {
            id: source.session_id(),
            path: path.display().to_string(),
            size,
            completeness: report.completeness(),
            entries_after_close: report.framing.entries_after_close,
            problems: report.damage,
            summary: sink.summary,
        },
        sink.first_problem,
    ))
}

/// Summarizes every file, on as many threads as there are cores; results
/// come back in the order of `paths`.
fn summarize_all(paths: &[PathBuf]) -> Vec<Summarized> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(paths.len().max(1));
    if threads <= 1 {
        return paths.iter().map(|p| summarize(p)).collect();
    }
    let next = AtomicUsize::new(0);
    let mut results: Vec<Option<Summarized>> = Vec::new();
    results.resize_with(paths.len(), || None);
    let done = Mutex::new(results);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(path) = paths.get(i) else { break };
                let result = summarize(path);
                if let Ok(mut done) = done.lock() {
                    done[i] = Some(result);
                }
            });
        }
    });
    done.into_inner()
        .unwrap_or_default()
        .into_iter()
        .zip(paths)
        .map(|(r, p)| r.unwrap_or_else(|| Err(anyhow::anyhow!("'{}' was not read", p.display()))))
        .collect()
}

pub fn run(config: &Config, list: &ListConfig, out: &mut dyn Write) -> Result<Outcome> {
    let mut reporter = Reporter::new(config.stderr_theme, usize::MAX, config.quiet);
    let mut outcome = Outcome::default();
    let files = super::list_traces(&config.dir, list.glob.as_ref(), &mut reporter, &mut outcome)?;

    let mut sessions = Vec::with_capacity(files.len());
    for (path, result) in files.iter().zip(summarize_all(&files)) {
        match result {
            Ok((info, first_problem)) => {
                if let Some(p) = first_problem {
                    outcome.damaged = true;
                    reporter.warn(&format!(
                        "{}:{}: {} problem{} (first: {}); `agentcli trace {}` shows them",
                        info.path,
                        p.position,
                        info.problems,
                        if info.problems == 1 { "" } else { "s" },
                        p.message,
                        info.path
                    ));
                }
                sessions.push(info);
            }
            Err(e) => {
                outcome.damaged = true;
                reporter.warn(&format!("cannot read '{}': {e:#}", path.display()));
            }
        }
    }
    let found = sessions.len();

    sessions.retain(|s| s.summary.selected(&list.time, &list.agents, list.failed));
    sort_sessions(&mut sessions, list.sort);
    if list.reverse {
        sessions.reverse();
    }
    if let Some(n) = list.limit {
        sessions.truncate(n);
    }

    if sessions.is_empty() {
        if found == 0 {
            reporter.note(&format!(
                "no sessions in '{}' (looked for {} recursively)",
                escape(&config.dir.display().to_string()),
                if list.glob.is_some() {
                    "files matching --glob"
                } else {
                    "*.trace.json"
                }
            ));
        } else {
            reporter.note(&format!(
                "no sessions match (of {found} in '{}')",
                escape(&config.dir.display().to_string())
            ));
        }
        if list.format == crate::render::ListFormat::Table {
            return Ok(outcome);
        }
    }
    render_list(&sessions, list.format, config.text, out)?;
    out.flush()?;
    Ok(outcome)
}
