//! `agentcli trace`: one session's entries through a filter into a view.

use std::io::Write;

use anyhow::{Context, Result};

use super::Outcome;
use crate::analysis::{Filter, SessionSummary};
use crate::config::{Config, TraceConfig};
use crate::input::{self, Diagnostic, EntrySink, ParseOptions, Source};
use crate::model::Entry;
use crate::output::Reporter;
use crate::render::{self, EntryRenderer, TraceContext};

/// Feeds entries to the summary (all of them) and the view (those that pass
/// the filter).
struct TraceSink<'a> {
    filter: &'a Filter,
    renderer: &'a mut dyn EntryRenderer,
    out: &'a mut dyn Write,
    summary: SessionSummary,
    shown: u64,
    reporter: &'a mut Reporter,
}

impl EntrySink for TraceSink<'_> {
    fn entry(&mut self, entry: Entry) -> Result<()> {
        self.summary.add(&entry);
        if self.filter.matches(&entry) {
            self.shown += 1;
            self.renderer.entry(&entry, self.out)?;
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
    let mut renderer = render::entry_renderer(trace.format, text);
    let limit = if text.debug { usize::MAX } else { 20 };
    let mut reporter = Reporter::new(config.stderr_theme, limit, config.quiet);
    reporter.set_source(&name);
    let options = ParseOptions {
        keep_state: renderer.needs_state(),
        keep_raw: text.debug,
    };

    renderer.begin(out)?;
    let mut sink = TraceSink {
        filter: &trace.filter,
        renderer: renderer.as_mut(),
        out,
        summary: SessionSummary::default(),
        shown: 0,
        reporter: &mut reporter,
    };
    let report = input::read_all(reader, options, &mut sink).map_err(|e| {
        if crate::output::is_broken_pipe(&e) {
            e
        } else {
            e.context(format!("failed to read '{name}'"))
        }
    })?;
    let TraceSink { summary, shown, .. } = sink;

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
        completeness: report.framing.completeness(),
        entries_after_close: report.framing.entries_after_close,
        shown,
        filter: &filter_text,
    };
    renderer.finish(&context, out)?;
    out.flush()?;
    reporter.finish_source();

    if summary.entries == 0 {
        reporter.note(&format!(
            "'{}' holds no entries",
            render::text::escape(&name)
        ));
    } else if shown == 0 {
        let agents = if summary.agents.is_empty() {
            String::new()
        } else {
            format!("; agents in this session: {}", summary.agents.join(", "))
        };
        reporter.note(&render::text::escape(&format!(
            "no entries match {} ({} entries read{agents})",
            filter_text, summary.entries
        )));
    }
    Ok(Outcome {
        damaged: report.damage > 0,
    })
}
