//! `agentcli trace`: one session's entries through a filter into a view,
//! either of entries (table, exports) or of the flow of hops.

use std::io::Write;

use anyhow::Result;

use super::Outcome;
use crate::analysis::flow::FlowBuilder;
use crate::analysis::{Filter, SessionSummary};
use crate::config::{Config, TraceConfig, TraceView};
use crate::input::{self, Diagnostic, EntrySink, ParseOptions};
use crate::model::Entry;
use crate::output::{Reporter, ShowingTrace, WritingOutput};
use crate::render::{self, EntryRenderer, HopRenderer, TraceContext};

/// Where entries go after the summary has seen them.
pub(super) enum View<'a> {
    Entries(&'a mut dyn EntryRenderer),
    Flow {
        builder: &'a mut FlowBuilder,
        renderer: &'a mut dyn HopRenderer,
    },
}

/// Feeds every entry to the summary, and those that pass the filter (or
/// the hops they give) to the view. Trace holds one for a whole read;
/// follow makes one for each batch of new bytes.
pub(super) struct TraceSink<'a> {
    pub filter: &'a Filter,
    pub view: View<'a>,
    pub out: &'a mut dyn Write,
    pub summary: &'a mut SessionSummary,
    pub shown: &'a mut u64,
    /// Entries read, for the progress line.
    pub counted: Option<&'a std::sync::atomic::AtomicU64>,
    /// What the filter chose from: entries, or hops in a flow view.
    pub candidates: &'a mut u64,
    pub reporter: &'a mut Reporter,
}

/// The output, watched for a failed write: a view's error is told as a
/// failure to write the output only when writing it failed (not, say,
/// when the table could not keep its rows in a temporary file).
struct Watched<'a> {
    out: &'a mut dyn Write,
    failed: bool,
}

impl<'a> Watched<'a> {
    fn new(out: &'a mut dyn Write) -> Self {
        Watched { out, failed: false }
    }

    /// `done`, what the view returned, with the context its error needs.
    fn tell(self, done: std::io::Result<()>) -> Result<()> {
        done.map_err(|e| match self.failed {
            true => anyhow::Error::new(e).context(WritingOutput),
            false => anyhow::Error::new(e).context(ShowingTrace),
        })
    }
}

impl Write for Watched<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let written = self.out.write(bytes);
        self.failed |= written.is_err();
        written
    }

    fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let written = self.out.write_all(bytes);
        self.failed |= written.is_err();
        written
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let flushed = self.out.flush();
        self.failed |= flushed.is_err();
        flushed
    }
}

impl EntrySink for TraceSink<'_> {
    fn entry(&mut self, entry: &mut Entry) -> Result<()> {
        self.summary.add(entry);
        if let Some(c) = self.counted {
            c.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        match &mut self.view {
            View::Entries(renderer) => {
                *self.candidates += 1;
                if self.filter.matches(entry) {
                    *self.shown += 1;
                    let mut out = Watched::new(self.out);
                    let done = renderer.entry(entry, &mut out);
                    out.tell(done)?;
                }
            }
            View::Flow { builder, renderer } => {
                if let Some(hop) = builder.push(entry) {
                    *self.candidates += 1;
                    if self.filter.matches_hop(entry, hop.next) {
                        *self.shown += 1;
                        let mut out = Watched::new(self.out);
                        let done = renderer.hop(&hop, &mut out);
                        out.tell(done)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn problem(&mut self, problem: Diagnostic) {
        self.reporter.problem(&problem);
    }

    fn prepare(&self) -> Option<input::Prepare> {
        match &self.view {
            View::Entries(renderer) => renderer.prepare(),
            View::Flow { .. } => None,
        }
    }
}

/// The renderers of a trace view, owned.
pub(super) enum Renderers {
    Entries(Box<dyn EntryRenderer>),
    Flow(FlowBuilder, Box<dyn HopRenderer>),
}

impl Renderers {
    pub(super) fn view(&mut self) -> View<'_> {
        match self {
            Renderers::Entries(r) => View::Entries(r.as_mut()),
            Renderers::Flow(builder, renderer) => View::Flow {
                builder,
                renderer: renderer.as_mut(),
            },
        }
    }

    pub(super) fn finish(&mut self, context: &TraceContext<'_>, out: &mut dyn Write) -> Result<()> {
        match self {
            Renderers::Entries(r) => r.finish(context, out)?,
            Renderers::Flow(builder, r) => {
                // Every hop is made: what the builder remembers to make
                // them (events done) is not needed to draw them.
                builder.forget();
                r.finish(context, out)?;
            }
        }
        Ok(())
    }

    pub(super) fn is_flow(&self) -> bool {
        matches!(self, Renderers::Flow(..))
    }
}

pub fn run(config: &Config, trace: &TraceConfig, out: &mut dyn Write) -> Result<Outcome> {
    let Some(session_arg) = trace.session.as_deref() else {
        anyhow::bail!("a SESSION is needed (or --follow, to follow every session under --dir)");
    };
    let source = input::resolve(session_arg, &config.dir)?;
    if let TraceView::Spans(export) = &trace.view {
        return super::export::export_sources(config, &[source], &trace.filter, export, out);
    }
    let name = source.to_string();
    let reader = super::open_source(&source)?;
    let regular = reader.regular();
    let size = source.size();
    let counted = std::sync::atomic::AtomicU64::new(0);
    let mut reader = crate::output::progress::ProgressReader::new(
        reader,
        &name,
        size,
        &counted,
        config.progress,
    );

    let text = config.text;
    let limit = if text.debug { usize::MAX } else { 20 };
    let mut reporter = Reporter::new(config.stderr_theme, limit, config.quiet);
    reporter.set_source(&name);
    let mut renderers = match trace.view {
        TraceView::Entries(format) => Renderers::Entries(render::entry_renderer(format, text)),
        TraceView::At(n, json) => Renderers::Entries(Box::new(
            render::entry_detail::EntryDetail::new(text, n, json),
        )),
        TraceView::Spans(_) => unreachable_view()?,
        TraceView::Analyze(format, top) => Renderers::Entries(Box::new(
            render::analysis::AnalysisView::new(text, format, top),
        )),
        TraceView::Flow(format) => {
            let builder = if trace.state_diff {
                FlowBuilder::with_state_diff()
            } else {
                FlowBuilder::default()
            };
            Renderers::Flow(builder, render::hop_renderer(format, text))
        }
    };
    let options = ParseOptions {
        keep_state: match &renderers {
            Renderers::Entries(r) => r.needs_state(),
            Renderers::Flow(..) => trace.state_diff,
        },
        keep_raw: text.debug && !renderers.is_flow(),
    };

    if let Renderers::Entries(r) = &mut renderers {
        r.begin(out)?;
    }
    let mut summary = SessionSummary::default();
    let mut shown = 0;
    let mut candidates = 0;
    let mut sink = TraceSink {
        filter: &trace.filter,
        view: renderers.view(),
        out,
        summary: &mut summary,
        shown: &mut shown,
        counted: Some(&counted),
        candidates: &mut candidates,
        reporter: &mut reporter,
    };
    let input = input::Input::of(&mut reader, regular);
    let report = input::read_all_with(input, size, options, config.redact.clone(), &mut sink)
        .map_err(|e| {
            let from_view = e.downcast_ref::<WritingOutput>().is_some()
                || e.downcast_ref::<ShowingTrace>().is_some();
            if crate::output::is_broken_pipe(&e) || from_view {
                e
            } else {
                e.context(format!("failed to read '{name}'"))
            }
        })?;

    let session = super::session_of(&source, &summary);
    let filter_text = trace.filter.describe();
    let context = TraceContext {
        session: &session,
        source: &name,
        summary: &summary,
        completeness: report.completeness(),
        entries_after_close: report.framing.entries_after_close,
        shown,
        candidates,
        noun: if renderers.is_flow() {
            "hops"
        } else {
            "entries"
        },
        filter: &filter_text,
    };
    renderers.finish(&context, out)?;
    out.flush()?;
    reporter.finish_source();

    let escape = |s: &str| render::text::escape(s).into_owned();
    let flow = renderers.is_flow();
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
        if let Some(hint) = trace.filter.hint(&summary.agents) {
            reporter.hint(&escape(&hint));
        }
    }
    Ok(Outcome {
        damaged: report.damage > 0,
    })
}

/// Span exports are handled before renderers are chosen.
fn unreachable_view() -> Result<Renderers> {
    anyhow::bail!("internal error: a span export reached the entry renderers")
}
