//! `agentcli export` (and `trace --format otlp|otlp-jsonl|chrome`): sessions
//! as OpenTelemetry traces or Chrome trace events, written out or pushed to
//! an OTLP/HTTP collector.

use std::io::Write;

use anyhow::Result;

use super::load::{load, load_each, Keep, Loaded};
use super::Outcome;
use crate::analysis::Filter;
use crate::config::{Config, ExportConfig, SpanExportConfig, SpanFormat};
use crate::input::{self, Source};
use crate::output::push::push;
use crate::output::Reporter;
use crate::render::{chrome, otlp, JsonItems};

/// Sessions sent per request when pushing.
const SESSIONS_PER_REQUEST: usize = 20;

/// Exports `sources` (entries that pass `filter` are paired into spans).
/// Every source is read before anything is written, so a source that
/// cannot be read leaves no partial document behind.
pub fn export_sources(
    config: &Config,
    sources: &[Source],
    filter: &Filter,
    export: &SpanExportConfig,
    out: &mut dyn Write,
) -> Result<Outcome> {
    let sources = sources.iter().map(|s| Ok(s.clone()));
    let loaded = load_in_turn(config, sources, filter, export)?;
    write_all(config, &loaded, export, out)
}

/// Finds and reads each source in turn (its problems come out before the
/// next is looked for), the first that cannot be found or read ending it.
fn load_in_turn(
    config: &Config,
    sources: impl ExactSizeIterator<Item = Result<Source>>,
    filter: &Filter,
    export: &SpanExportConfig,
) -> Result<Vec<Loaded>> {
    let mut reporter = Reporter::new(config.stderr_theme, 20, config.quiet);
    let mut loaded = Vec::with_capacity(sources.len());
    for source in sources {
        let redact = config.redact.as_ref();
        loaded.push(load(
            &source?,
            filter,
            keep(export),
            redact,
            &mut reporter,
            None,
        )?);
    }
    Ok(loaded)
}

/// What export keeps of a session: its states only when they are exported.
fn keep(export: &SpanExportConfig) -> Keep {
    Keep {
        states: export.otlp.include_state,
        hops: false,
    }
}

/// Writes (or pushes) sessions already read.
fn write_all(
    config: &Config,
    loaded: &[Loaded],
    export: &SpanExportConfig,
    out: &mut dyn Write,
) -> Result<Outcome> {
    let mut exporter = Exporter::new(export, out);
    for session in loaded {
        exporter.session(session)?;
    }
    exporter.finish(config)
}

/// Writes (or pushes) sessions one at a time, each as soon as it is
/// given: the document is never held, only the session being written
/// (or, when pushing, the body of one request).
struct Exporter<'a> {
    export: &'a SpanExportConfig,
    /// Serialized pieces are small and many: a buffer of its own takes
    /// them without a call through `dyn Write` each.
    out: std::io::BufWriter<&'a mut dyn Write>,
    outcome: Outcome,
    /// Sessions given so far.
    sessions: usize,
    /// What opens the document has been written.
    started: bool,
    /// Items of the document's one array written so far (resource spans,
    /// or Chrome's events).
    items: usize,
    /// The request being filled, when pushing.
    body: Vec<u8>,
    body_sessions: usize,
    spans_sent: usize,
    requests: usize,
}

/// What opens an OTLP request, before its resource spans.
const REQUEST_START: &[u8] = br#"{"resourceSpans":["#;
/// What closes an OTLP request.
const REQUEST_END: &[u8] = b"]}";

impl<'a> Exporter<'a> {
    fn new(export: &'a SpanExportConfig, out: &'a mut dyn Write) -> Self {
        Exporter {
            export,
            out: std::io::BufWriter::with_capacity(1 << 16, out),
            outcome: Outcome::default(),
            sessions: 0,
            started: false,
            items: 0,
            body: Vec::new(),
            body_sessions: 0,
            spans_sent: 0,
            requests: 0,
        }
    }

    fn session(&mut self, loaded: &Loaded) -> Result<()> {
        self.outcome.damaged |= loaded.report.damage > 0;
        self.sessions += 1;
        let session = if loaded.session == "-" {
            &loaded.name
        } else {
            &loaded.session
        };
        let (summary, spans) = (&loaded.summary, &loaded.spans);
        let otlp = &self.export.otlp;
        match (self.export.format, &self.export.push) {
            (SpanFormat::Chrome, _) => {
                self.start_document(chrome::DOCUMENT_START.as_bytes())?;
                let mut items = JsonItems::new(&mut self.out, self.items);
                chrome::session_events(self.sessions, session, summary, spans, &mut items)?;
                self.items = items.written();
            }
            (_, Some(_)) => {
                if self.body_sessions == 0 {
                    self.body.clear();
                    self.body.extend_from_slice(REQUEST_START);
                }
                let rs = otlp::resource_spans(session, summary, spans, otlp);
                JsonItems::new(&mut self.body, self.body_sessions).push(&rs)?;
                self.spans_sent += rs.spans_written();
                self.body_sessions += 1;
                if self.body_sessions == SESSIONS_PER_REQUEST {
                    self.send()?;
                }
            }
            (SpanFormat::Otlp, None) => {
                self.start_document(REQUEST_START)?;
                let rs = otlp::resource_spans(session, summary, spans, otlp);
                JsonItems::new(&mut self.out, self.items).push(&rs)?;
                self.items += 1;
            }
            (SpanFormat::OtlpJsonl, None) => {
                // One request per line, as the OpenTelemetry file exporter writes.
                self.out.write_all(REQUEST_START)?;
                let rs = otlp::resource_spans(session, summary, spans, otlp);
                serde_json::to_writer(&mut self.out, &rs)?;
                self.out.write_all(REQUEST_END)?;
                writeln!(self.out)?;
            }
        }
        Ok(())
    }

    /// Writes what opens the document, once, before its first item.
    fn start_document(&mut self, start: &[u8]) -> Result<()> {
        if !self.started {
            self.out.write_all(start)?;
            self.started = true;
        }
        Ok(())
    }

    /// Sends the request being filled.
    fn send(&mut self) -> Result<()> {
        let Some(options) = &self.export.push else {
            return Ok(());
        };
        self.body.extend_from_slice(REQUEST_END);
        push(&self.body, options)?;
        self.requests += 1;
        self.body_sessions = 0;
        Ok(())
    }

    /// Closes the document (an empty one when no session was given), or
    /// sends the last request and says what was sent.
    fn finish(mut self, config: &Config) -> Result<Outcome> {
        match (self.export.format, &self.export.push) {
            (SpanFormat::Chrome, _) => {
                self.start_document(chrome::DOCUMENT_START.as_bytes())?;
                self.out.write_all(chrome::DOCUMENT_END.as_bytes())?;
                writeln!(self.out)?;
            }
            (_, Some(options)) => {
                if self.body_sessions > 0 {
                    self.send()?;
                }
                let mut reporter = Reporter::new(config.stderr_theme, 20, config.quiet);
                let (sessions, requests) = (self.sessions, self.requests);
                reporter.note(&format!(
                    "sent {} spans of {sessions} session{} to {} in {requests} request{}",
                    self.spans_sent,
                    if sessions == 1 { "" } else { "s" },
                    options.url,
                    if requests == 1 { "" } else { "s" }
                ));
            }
            (SpanFormat::Otlp, None) => {
                self.start_document(REQUEST_START)?;
                self.out.write_all(REQUEST_END)?;
                writeln!(self.out)?;
            }
            (SpanFormat::OtlpJsonl, None) => {}
        }
        self.out.flush()?;
        Ok(self.outcome)
    }
}

/// `agentcli export`: the sessions named (each read before anything is
/// written, as for `trace`), or those under the trace directory that pass
/// the list filters, read a few at a time side by side
/// ([`load_each`]) and each written, in file order, as soon as it is read.
pub fn run(config: &Config, export: &ExportConfig, out: &mut dyn Write) -> Result<Outcome> {
    let filter = Filter::default();
    if !export.sessions.is_empty() {
        let sources = export
            .sessions
            .iter()
            .map(|arg| Ok(input::resolve(arg, &config.dir)?));
        let loaded = load_in_turn(config, sources, &filter, &export.spans)?;
        return write_all(config, &loaded, &export.spans, out);
    }
    let mut reporter = Reporter::new(config.stderr_theme, 20, config.quiet);
    let mut listed = Outcome::default();
    let files = super::list_traces(
        &config.dir,
        export.glob.as_ref(),
        &mut reporter,
        &mut listed,
    )?;
    let mut exporter = Exporter::new(&export.spans, out);
    let keep = keep(&export.spans);
    let redact = config.redact.as_ref();
    // A session that could not be read makes the export incomplete, as
    // for stats and validate.
    listed.damaged |= load_each(&files, &filter, keep, redact, &mut reporter, |loaded| {
        if loaded
            .summary
            .selected(&export.time, &export.agents, export.failed)
        {
            exporter.session(&loaded)?;
        }
        Ok(())
    })?;
    if exporter.sessions == 0 {
        reporter.note(&format!(
            "no sessions to export in '{}'",
            crate::render::text::escape(&config.dir.display().to_string())
        ));
    }
    let mut outcome = exporter.finish(config)?;
    outcome.damaged |= listed.damaged;
    Ok(outcome)
}
