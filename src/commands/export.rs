//! `agentcli export` (and `trace --format otlp|otlp-jsonl|chrome`): sessions
//! as OpenTelemetry traces or Chrome trace events, written out or pushed to
//! an OTLP/HTTP collector.

use std::io::Write;

use anyhow::Result;

use super::load::{load, Loaded};
use super::Outcome;
use crate::analysis::Filter;
use crate::config::{Config, ExportConfig, SpanExportConfig, SpanFormat};
use crate::input::{self, Source};
use crate::output::push::push;
use crate::output::Reporter;
use crate::render::{chrome, otlp};

/// Sessions sent per request when pushing.
const SESSIONS_PER_REQUEST: usize = 20;

/// Exports `sources` (entries that pass `filter` are paired into spans).
pub fn export_sources(
    config: &Config,
    sources: &[Source],
    filter: &Filter,
    export: &SpanExportConfig,
    out: &mut dyn Write,
) -> Result<Outcome> {
    let mut reporter = Reporter::new(config.stderr_theme, 20, config.quiet);
    let mut loaded = Vec::with_capacity(sources.len());
    for source in sources {
        loaded.push(load(
            source,
            filter,
            export.otlp.include_state,
            config.redact.as_ref(),
            &mut reporter,
        )?);
    }
    export_loaded(config, &loaded, export, out)
}

/// Exports sessions already read.
fn export_loaded(
    config: &Config,
    sessions: &[Loaded],
    export: &SpanExportConfig,
    out: &mut dyn Write,
) -> Result<Outcome> {
    let mut reporter = Reporter::new(config.stderr_theme, 20, config.quiet);
    let mut outcome = Outcome::default();
    let mut resource_spans = Vec::new();
    let mut chrome_events = Vec::new();
    for (i, loaded) in sessions.iter().enumerate() {
        outcome.damaged |= loaded.report.damage > 0;
        let session = if loaded.session == "-" {
            loaded.name.clone()
        } else {
            loaded.session.clone()
        };
        match export.format {
            SpanFormat::Chrome => chrome_events.extend(chrome::session_events(
                i + 1,
                &session,
                &loaded.summary,
                &loaded.spans,
            )),
            SpanFormat::Otlp | SpanFormat::OtlpJsonl => {
                let rs =
                    otlp::resource_spans(&session, &loaded.summary, &loaded.spans, &export.otlp);
                if export.format == SpanFormat::OtlpJsonl && export.push.is_none() {
                    // One request per line, as the OpenTelemetry file exporter writes.
                    serde_json::to_writer(&mut *out, &otlp::request(vec![rs]))?;
                    writeln!(out)?;
                } else {
                    resource_spans.push(rs);
                }
            }
        }
    }
    match (&export.format, &export.push) {
        (SpanFormat::Chrome, _) => {
            serde_json::to_writer(&mut *out, &chrome::document(chrome_events))?;
            writeln!(out)?;
        }
        (_, Some(push_options)) => {
            let (mut spans, mut requests) = (0, 0);
            for batch in resource_spans.chunks(SESSIONS_PER_REQUEST) {
                let request = otlp::request(batch.to_vec());
                spans += otlp::span_count(&request);
                push(&serde_json::to_vec(&request)?, push_options)?;
                requests += 1;
            }
            reporter.note(&format!(
                "sent {spans} spans of {} session{} to {} in {requests} request{}",
                resource_spans.len(),
                if resource_spans.len() == 1 { "" } else { "s" },
                push_options.url,
                if requests == 1 { "" } else { "s" }
            ));
        }
        (SpanFormat::Otlp, None) => {
            serde_json::to_writer(&mut *out, &otlp::request(resource_spans))?;
            writeln!(out)?;
        }
        (SpanFormat::OtlpJsonl, None) => {}
    }
    out.flush()?;
    Ok(outcome)
}

/// `agentcli export`: the sessions named, or those under the trace
/// directory that pass the list filters, each read once.
pub fn run(config: &Config, export: &ExportConfig, out: &mut dyn Write) -> Result<Outcome> {
    let mut reporter = Reporter::new(config.stderr_theme, 20, config.quiet);
    let filter = Filter::default();
    let mut sessions = Vec::new();
    if !export.sessions.is_empty() {
        for arg in &export.sessions {
            sessions.push(load(
                &input::resolve(arg, &config.dir)?,
                &filter,
                export.spans.otlp.include_state,
                config.redact.as_ref(),
                &mut reporter,
            )?);
        }
        return export_loaded(config, &sessions, &export.spans, out);
    }
    let mut listed = Outcome::default();
    let files = super::list_traces(
        &config.dir,
        export.glob.as_ref(),
        &mut reporter,
        &mut listed,
    )?;
    for path in files {
        let loaded = match load(
            &Source::File(path),
            &filter,
            export.spans.otlp.include_state,
            config.redact.as_ref(),
            &mut reporter,
        ) {
            Ok(l) => l,
            Err(e) => {
                reporter.warn(&format!("{e:#}"));
                continue;
            }
        };
        if loaded
            .summary
            .selected(&export.time, &export.agents, export.failed)
        {
            sessions.push(loaded);
        }
    }
    if sessions.is_empty() {
        reporter.note(&format!(
            "no sessions to export in '{}'",
            crate::render::text::escape(&config.dir.display().to_string())
        ));
    }
    let mut outcome = export_loaded(config, &sessions, &export.spans, out)?;
    outcome.damaged |= listed.damaged;
    Ok(outcome)
}
