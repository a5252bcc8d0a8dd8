//! Reading a whole session into what the analyses need: its summary, its
//! paired spans and its hops in time order. Shared by diff and stats.

use anyhow::{Context, Result};

use crate::analysis::flow::{Flow, FlowBuilder, HopTimeline};
use crate::analysis::spans::{usage_prepare, SpanBuilder, Spans};
use crate::analysis::{Filter, SessionSummary};
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

struct LoadSink<'a> {
    filter: &'a Filter,
    keep_states: bool,
    summary: SessionSummary,
    spans: SpanBuilder,
    flow: FlowBuilder,
    hops: HopTimeline,
    reporter: &'a mut Reporter,
}

impl EntrySink for LoadSink<'_> {
    fn entry(&mut self, entry: &mut Entry) -> Result<()> {
        self.summary.add(entry);
        if self.filter.matches(entry) {
            self.spans.push_prepared(entry);
            if let Some(hop) = self.flow.push(entry) {
                self.hops.push(hop);
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
        Some(usage_prepare(self.keep_states))
    }
}

/// Reads `source` to its end; entries that pass `filter` are paired. Runs
/// keep their input and output states when `keep_states` (for exports that
/// include them); otherwise states are read for token counts only.
pub fn load(
    source: &Source,
    filter: &Filter,
    keep_states: bool,
    redact: Option<&std::sync::Arc<crate::input::redact::Redactor>>,
    reporter: &mut Reporter,
) -> Result<Loaded> {
    let name = source.to_string();
    reporter.set_source(&name);
    let reader = super::open_source(source)?;
    let mut sink = LoadSink {
        filter,
        keep_states,
        summary: SessionSummary::default(),
        spans: if keep_states {
            SpanBuilder::with_states()
        } else {
            SpanBuilder::default()
        },
        flow: FlowBuilder::default(),
        hops: HopTimeline::default(),
        reporter,
    };
    let options = ParseOptions {
        keep_state: true,
        keep_raw: false,
    };
    let report = input::read_all_with(reader, source.size(), options, redact.cloned(), &mut sink)
        .with_context(|| format!("failed to read '{name}'"))?;
    let LoadSink {
        summary,
        spans,
        mut hops,
        mut flow,
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
        hops: hops.take_sorted(flow.take_names()),
        report,
    })
}
