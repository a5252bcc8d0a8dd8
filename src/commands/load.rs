//! Reading a whole session into what diff, stats and export need: its
//! summary, its paired spans and, for diff only, its hops in time order;
//! many sessions side by side ([`load_each`]).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};

use crate::analysis::flow::{Flow, FlowBuilder, HopTimeline};
use crate::analysis::names::Names;
use crate::analysis::spans::{usage_prepare, SpanBuilder, Spans};
use crate::analysis::{Filter, SessionSummary};
use crate::input::parallel::Scratch;
use crate::input::redact::Redactor;
use crate::input::{self, Diagnostic, EntrySink, ParseOptions, Prepare, ReadReport, Source};
use crate::model::Entry;
use crate::output::Reporter;

/// A session read whole.
pub struct Loaded {
    pub name: String,
    pub session: String,
    pub summary: SessionSummary,
    pub spans: Spans,
    pub hops: Flow,
    pub report: ReadReport,
}

/// What a load keeps beyond the summary and the spans.
#[derive(Debug, Clone, Copy, Default)]
pub struct Keep {
    /// Each run's input and output states (for exports that include them);
    /// otherwise states are read for token counts only.
    pub states: bool,
    /// The hops in time order (for diff).
    pub hops: bool,
}

struct LoadSink<'a> {
    filter: &'a Filter,
    keep: Keep,
    summary: SessionSummary,
    spans: SpanBuilder,
    flow: FlowBuilder,
    hops: HopTimeline,
    /// The strings of the hops kept.
    names: Names,
    reporter: &'a mut Reporter,
}

impl EntrySink for LoadSink<'_> {
    fn entry(&mut self, entry: &mut Entry) -> Result<()> {
        self.summary.add(entry);
        if self.filter.matches(entry) {
            self.spans.push_prepared(entry);
            if self.keep.hops {
                if let Some(hop) = self.flow.push(entry) {
                    self.hops.push(self.names.hold(&hop));
                }
            }
        }
        Ok(())
    }
    fn problem(&mut self, problem: Diagnostic) {
        self.reporter.problem(&problem);
    }
    /// Token usage is read on the reader's threads; payloads stay in the
    /// entries only when the spans keep states.
    fn prepare(&self) -> Option<Prepare> {
        Some(usage_prepare(self.keep.states))
    }
}

/// Reads `source` to its end; entries that pass `filter` are paired, and
/// what `keep` asks for is kept. Read on every core, or, with `scratch`,
/// on this thread alone (one of many files read side by side, see
/// [`load_each`]).
pub fn load(
    source: &Source,
    filter: &Filter,
    keep: Keep,
    redact: Option<&Arc<Redactor>>,
    reporter: &mut Reporter,
    scratch: Option<&mut Scratch>,
) -> Result<Loaded> {
    let name = source.to_string();
    reporter.set_source(&name);
    let mut reader = super::open_source(source)?;
    let mut sink = LoadSink {
        filter,
        keep,
        summary: SessionSummary::default(),
        spans: if keep.states {
            SpanBuilder::with_states()
        } else {
            SpanBuilder::default()
        },
        flow: FlowBuilder::default(),
        hops: HopTimeline::default(),
        names: Names::default(),
        reporter,
    };
    let options = ParseOptions {
        keep_state: true,
        keep_raw: false,
    };
    let size = source.size();
    let report = input::read_here_or_all(reader.input(), size, options, redact, &mut sink, scratch)
        .with_context(|| format!("failed to read '{name}'"))?;
    let LoadSink {
        summary,
        spans,
        mut hops,
        names,
        reporter,
        ..
    } = sink;
    reporter.finish_source();
    let session = super::session_of(source, &summary);
    Ok(Loaded {
        name,
        session,
        summary,
        spans: spans.finish(),
        hops: hops.take_sorted(names),
        report,
    })
}

/// Loads each of `files` as [`load`] does and hands it to `each`, in
/// order; a file that cannot be read is warned about and skipped (the
/// result says whether any was). An error from `each` stops the reading
/// there. Small files are read side by side, one per thread, a batch at a
/// time; their problems are held and come out in file order, as if the
/// files had been read one after another.
pub fn load_each(
    files: &[PathBuf],
    filter: &Filter,
    keep: Keep,
    redact: Option<&Arc<Redactor>>,
    reporter: &mut Reporter,
    mut each: impl FnMut(Loaded) -> Result<()>,
) -> Result<bool> {
    let mut unreadable = false;
    let mut take = |loaded: Result<Loaded>, reporter: &mut Reporter| match loaded {
        Ok(loaded) => each(loaded),
        Err(e) => {
            reporter.warn(&format!("{e:#}"));
            unreadable = true;
            Ok(())
        }
    };
    for batch in input::parallel::batches(files, file_size) {
        match batch {
            ([path], true) => {
                let source = Source::File(path.clone());
                let loaded = load(&source, filter, keep, redact, reporter, None);
                take(loaded, reporter)?;
            }
            (batch, _) => {
                for (loaded, held) in load_batch(batch, filter, keep, redact, reporter) {
                    reporter.replay(held);
                    take(loaded, reporter)?;
                }
            }
        }
    }
    Ok(unreadable)
}

/// A file's size, for cutting files into batches (0 when unknown).
fn file_size(path: &PathBuf) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

/// Loads `batch` side by side, each file with a reporter that holds its
/// lines (made like `reporter`), in order.
fn load_batch(
    batch: &[PathBuf],
    filter: &Filter,
    keep: Keep,
    redact: Option<&Arc<Redactor>>,
    reporter: &Reporter,
) -> Vec<(Result<Loaded>, Reporter)> {
    let template = reporter.holding();
    input::parallel::side_by_side(batch.len(), |i, scratch| {
        let mut held = template.holding();
        let source = Source::File(batch[i].clone());
        let loaded = load(&source, filter, keep, redact, &mut held, Some(scratch));
        (loaded, held)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Batches close at 64 files, and before a file that would take them
    /// past 64 MiB; a file of 64 MiB or more is read alone.
    #[test]
    fn batches_hold_few_sessions_and_large_files_go_alone() {
        let dir = tempfile::tempdir().unwrap();
        let file = |name: &str, size: u64| {
            let path = dir.path().join(name);
            // Sparse: the size is all that is looked at.
            std::fs::File::create(&path).unwrap().set_len(size).unwrap();
            path
        };
        let (small, mib) = (1000, 1 << 20);
        let mut files = vec![file("a", small), file("b", small), file("big", 64 * mib)];
        files.push(file("c", 40 * mib));
        files.push(file("d", 40 * mib));
        files.extend((0..65).map(|i| file(&format!("s{i}"), small)));
        let shape: Vec<(usize, bool)> = input::parallel::batches(&files, file_size)
            .iter()
            .map(|(batch, alone)| (batch.len(), *alone))
            .collect();
        assert_eq!(
            shape,
            [(2, false), (1, true), (1, false), (64, false), (2, false)]
        );
        assert!(input::parallel::batches(&[], file_size).is_empty());
    }
}
