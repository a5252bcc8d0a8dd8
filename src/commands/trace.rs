//! `agentcli trace`: one session's entries through a filter into a view,
//! either of entries (table, exports) or of the flow of hops.

use std::io::Write;

use anyhow::{Context, Result};

use super::Outcome;
use crate::analysis::flow::FlowBuilder;
use crate::analysis::{Filter, SessionSummary};
use crate::config::{Config, TraceConfig, TraceView};
use crate::input::{self, Diagnostic, EntrySink, ParseOptions, Source};
use crate::model::Entry;
use crate::output::Reporter;
use crate::render::{self, EntryRenderer, HopRenderer, TraceContext};

/// Where entries go after the summary has seen them.
enum View {
    Entries(Box<dyn EntryRenderer>),
    Flow {
        builder: FlowBuilder,
        renderer: Box<dyn HopRenderer>,
    },
}

/// Feeds every entry to the summary, and those that pass the filter (or
/// the hops they give) to the view.
struct TraceSink<'a> {
    filter: &'a Filter,
    view: View,
    out: &'a mut dyn Write,
    summary: SessionSummary,
    shown: u64,
    reporter: &'a mut Reporter,
}

impl EntrySink for TraceSink<'_> {
    fn entry(&mut self, entry: Entry) -> Result<()> {
        self.summary.add(&entry);
        match &mut self.view {
            View::Entries(renderer) => {
                if self.filter.matches(&entry) {
                    self.shown += 1;
                    renderer.entry(&entry, self.out)?;
                }
            }
            View::Flow { builder, renderer } => {
                if let Some(hop) = builder.push(&entry) {
                    if self.filter.matches_hop(&entry, hop.next.as_deref()) {
                        self.shown += 1;
                        renderer.hop(hop, self.out)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn problem(&mut self, problem: Diagnostic) {
        self.reporter.problem(&problem);
    }
}

pub fn run(config: &Config, trace: &TraceConfig, out: &mut dyn Write) -> Result<Outcome> {
    let source = input::resolve(&trace.session, &config.dir)?;
    let name = source.to_string();
    let reader = source
        .open()
        .with_context(|| format!("failed to open '{name}'"))?;

    let text = config.text;
    let limit = if text.debug { usize::MAX } else { 20 };
    let mut reporter = Reporter::new(config.stderr_theme, limit, config.quiet);
    reporter.set_source(&name);
    let (view, keep_state) = match trace.view {
        TraceView::Entries(format) => {
            let renderer = render::entry_renderer(format, text);
            let keep = renderer.needs_state();
            (View::Entries(renderer), keep)
        }
        TraceView::Flow(format) => (
            View::Flow {
                builder: FlowBuilder::default(),
                renderer: render::hop_renderer(format, text),
            },
            false,
        ),
    };
    let options = ParseOptions {
        keep_state,
        keep_raw: text.debug && matches!(view, View::Entries(_)),
    };

    let mut sink = TraceSink {
        filter: &trace.filter,
        view,
        out,
        summary: SessionSummary::default(),
        shown: 0,
        reporter: &mut reporter,
    };
    if let View::Entries(renderer) = &mut sink.view {
        renderer.begin(sink.out)?;
    }
    let report = input::read_all(reader, options, &mut sink).map_err(|e| {
        if crate::output::is_broken_pipe(&e) {
            e
        } else {
            e.context(format!("failed to read '{name}'"))
        }
    })?;
    let TraceSink {
        summary,
        shown,
        mut view,
        out,
        ..
    } = sink;

    let session = match &source {
        Source::Stdin => summary
            .session_ids
            .first()
            .cloned()
            .unwrap_or_else(|| "-".to_string()),
        Source::File(_) => source.session_id(),
    };
    let filter_text = trace.filter.describe();
    let context = TraceContext {
        session: &session,
        source: &name,
        summary: &summary,
        completeness: report.completeness(),
        entries_after_close: report.framing.entries_after_close,
        shown,
        filter: &filter_text,
    };
    match &mut view {
        View::Entries(renderer) => renderer.finish(&context, out)?,
        View::Flow { renderer, .. } => renderer.finish(&context, out)?,
    }
    out.flush()?;
    reporter.finish_source();

    let escape = |s: &str| render::text::escape(s).into_owned();
    let flow = matches!(view, View::Flow { .. });
    if summary.entries == 0 {
        reporter.note(&format!("'{}' holds no entries", escape(&name)));
    } else if shown == 0 && filter_text.is_empty() && flow {
        reporter.note(&format!(
            "no hops in '{}': no AfterAgentRun or AgentError entry records an agent's outcome ({} entries read)",
            escape(&name),
            summary.entries
        ));
    } else if shown == 0 && !filter_text.is_empty() {
        let agents = if summary.agents.is_empty() {
            String::new()
        } else {
            format!("; agents in this session: {}", summary.agents.join(", "))
        };
        let what = if flow { "hops" } else { "entries" };
        reporter.note(&escape(&format!(
            "no {what} match {} ({} entries read{agents})",
            filter_text, summary.entries
        )));
    }
    Ok(Outcome {
        damaged: report.damage > 0,
    })
}
