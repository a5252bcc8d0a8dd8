//! `agentcli list`: every session under the trace directory, summarized.

use std::io::{Read, Write};
use std::path::PathBuf;

use anyhow::Result;

use super::Outcome;
use crate::analysis::summary::SummaryRecord;
use crate::analysis::{sort_sessions, SessionInfo, SessionSummary};
use crate::config::{Config, ListConfig};
use crate::input::cache::{Cache, Stamp};
use crate::input::{self, Diagnostic, EntrySink, ParseOptions};
use crate::model::{Completeness, Entry};
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
    fn entry(&mut self, entry: &mut Entry) -> Result<()> {
        self.summary.add(entry);
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

/// A file's row, and what to cache of it when it was read anew.
type Outcomes = (Summarized, Option<(Stamp, Cached)>);

/// What the cache keeps of a file: the row but its path, id and size.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Cached {
    completeness: Completeness,
    entries_after_close: u64,
    problems: u64,
    summary: SummaryRecord,
    first_problem: Option<Diagnostic>,
}

/// The name of `list`'s cache file for the trace directory `dir`, in the
/// cache directory: one file per directory listed, so a run loads only
/// the rows it can use (FNV-1a of the absolute path: stable from build to
/// build, unlike the standard library's hasher).
fn cache_file(key: &str) -> String {
    let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("list-{hash:016x}.json")
}

/// Reads one file into a list row (or takes it from `cache` if the file
/// has not changed); `Err` when it cannot be read at all. A row read anew
/// comes back with its stamp, for the cache. `scratch` is lent from file
/// to file.
fn summarize(
    path: &std::path::Path,
    key: &str,
    cache: Option<&Cache<Cached>>,
    scratch: &mut input::parallel::Scratch,
) -> Outcomes {
    // The row of what was read (or cached) of the file.
    let row = |size: u64, c: &Cached, summary: SessionSummary| SessionInfo {
        id: input::discover::session_id_of(path),
        path: path.display().to_string(),
        size,
        completeness: c.completeness,
        entries_after_close: c.entries_after_close,
        problems: c.problems,
        summary,
    };
    // A cached row needs only the file's stamp: one stat, no open.
    let mut meta = None;
    if let Some(cache) = cache {
        meta = std::fs::metadata(path).ok();
        if let Some((size, stamp)) = meta.as_ref().and_then(|m| Some((m.len(), Stamp::of(m)?))) {
            if let Some(mut c) = cache.get(key, stamp) {
                let record = std::mem::take(&mut c.summary);
                if let Some(summary) = SessionSummary::from_record(record) {
                    let first_problem = c.first_problem.take();
                    return (Ok((row(size, &c, summary), first_problem)), None);
                }
            }
        }
    }
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => return (Err(e.into()), None),
    };
    // The stat taken for the cache serves: a file changed since is cached
    // under its old stamp, which the next run sees is out of date.
    let meta = meta.or_else(|| file.metadata().ok());
    let len = meta.as_ref().map(std::fs::Metadata::len);
    let size = len.unwrap_or(0);
    let stamp = meta.as_ref().and_then(Stamp::of);
    let mut sink = SummarySink::default();
    let options = ParseOptions::lean();
    // Files are read side by side, each on one thread, up to the size
    // stamped (a file being written is summarized as it stood then), so
    // the end is known without another read.
    let sizes = input::parallel::Sizes::for_file(size);
    let input = input::Input::Stream(file.take(len.unwrap_or(u64::MAX)));
    let report = match input::parallel::read_inline(input, options, None, &mut sink, sizes, scratch)
    {
        Ok(r) => r,
        Err(e) => return (Err(e), None),
    };
    let cached = Cached {
        completeness: report.completeness(),
        entries_after_close: report.framing.entries_after_close,
        problems: report.damage,
        summary: sink.summary.to_record(),
        first_problem: sink.first_problem.clone(),
    };
    let info = row(size, &cached, sink.summary);
    (Ok((info, sink.first_problem)), stamp.map(|s| (s, cached)))
}

/// A path's key in the cache: the path made absolute, without `.` parts
/// (the same file or directory listed from elsewhere, or as `.`, is the
/// same row or cache). `..` is kept, as `std::path::absolute` keeps it.
fn cache_key(cwd: Option<&std::path::Path>, path: &std::path::Path) -> String {
    let absolute = match cwd {
        Some(cwd) if path.is_relative() => cwd.join(path),
        _ => path.to_path_buf(),
    };
    absolute
        .components()
        .collect::<PathBuf>()
        .display()
        .to_string()
}

/// Summarizes every file, on as many threads as there are cores; results
/// come back in the order of `paths`, with what to cache.
fn summarize_all(
    paths: &[PathBuf],
    keys: &[String],
    cache: Option<&Cache<Cached>>,
) -> Vec<Outcomes> {
    input::parallel::side_by_side(paths.len(), |i, scratch| {
        summarize(&paths[i], &keys[i], cache, scratch)
    })
}

pub fn run(config: &Config, list: &ListConfig, out: &mut dyn Write) -> Result<Outcome> {
    let mut reporter = Reporter::new(config.stderr_theme, usize::MAX, config.quiet);
    let mut outcome = Outcome::default();
    // The working directory, asked once for every key. The cache is read
    // on a thread of its own while the directory is walked: with 10,000
    // rows, reading it was half of a cached run, all on this thread.
    let cwd = std::env::current_dir().ok();
    let loading = list.cache.clone().map(|dir| {
        let name = cache_file(&cache_key(cwd.as_deref(), &config.dir));
        std::thread::spawn(move || Cache::<Cached>::open(&dir, &name))
    });
    let files = super::list_traces(&config.dir, list.glob.as_ref(), &mut reporter, &mut outcome)?;
    let keys: Vec<String> = files.iter().map(|p| cache_key(cwd.as_deref(), p)).collect();
    let mut cache = loading.map(|loading| {
        loading
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    });
    let results = summarize_all(&files, &keys, cache.as_ref());
    let mut sessions = Vec::with_capacity(files.len());
    for ((path, key), (result, fresh)) in files.iter().zip(&keys).zip(results) {
        if let (Some(cache), Some((stamp, cached))) = (cache.as_mut(), fresh) {
            cache.put(key.clone(), stamp, &cached);
        }
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
    // Saved (and its rows freed) on a thread of its own while the list is
    // sorted and written; waited for before the command returns.
    let _saving = cache.map(|mut cache| {
        // The cache is this directory's: rows of files no longer listed go.
        let listed: std::collections::HashSet<&str> = keys.iter().map(String::as_str).collect();
        cache.retain(|path| listed.contains(path));
        // A cache that cannot be written only costs the next run time.
        WaitOnDrop(Some(std::thread::spawn(move || {
            let _ = cache.save();
        })))
    });
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
    // Freeing every row's strings at the end took as long as writing the
    // list: a thread frees them while the command finishes (the process
    // may end first, which frees them all at once).
    std::thread::spawn(move || drop(sessions));
    Ok(outcome)
}

/// A thread waited for when this is dropped, however the function that
/// holds it returns.
struct WaitOnDrop(Option<std::thread::JoinHandle<()>>);

impl Drop for WaitOnDrop {
    fn drop(&mut self) {
        if let Some(thread) = self.0.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn cache_keys_do_not_depend_on_how_the_path_was_written() {
        let cwd = Some(Path::new("/work/traces"));
        assert_eq!(cache_key(cwd, Path::new(".")), "/work/traces");
        assert_eq!(cache_key(cwd, Path::new("/work/traces/")), "/work/traces");
        assert_eq!(
            cache_key(cwd, Path::new("./a/./s.trace.json")),
            "/work/traces/a/s.trace.json"
        );
        assert_eq!(cache_key(None, Path::new("/x/./y")), "/x/y");
    }
}
