//! OpenTelemetry: sessions as OTLP/JSON traces (`ExportTraceServiceRequest`,
//! the protocol's JSON encoding: lowerCamelCase keys, ids as lowercase hex,
//! times as decimal strings of Unix nanoseconds, enums as integers).
//!
//! One trace per session: a root span for the session, a span per event
//! (BeforeEventHandling → AfterEventHandling), a child span per agent run.
//! Ids are derived from the session (and event, agent, position), so the
//! same file exported twice gives the same ids and a collector can drop
//! the duplicates.

use std::cell::Cell;

use serde::ser::{SerializeSeq, Serializer};
use serde::Serialize;

use crate::analysis::spans::{EventSpan, RunStatus, Spans};
use crate::analysis::SessionSummary;
use crate::model::Timestamp;

/// `SPAN_KIND_INTERNAL`.
const KIND_INTERNAL: u8 = 1;
/// `STATUS_CODE_ERROR`.
const STATUS_ERROR: u8 = 2;

/// What goes into every export.
#[derive(Debug, Clone)]
pub struct OtlpOptions {
    pub service_name: String,
    /// Put state payloads into span attributes (large, maybe sensitive).
    pub include_state: bool,
}

/// 64 well-mixed bits of `parts` (FNV-1a, then splitmix64's finalizer).
fn hash64(seed: u64, parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    for part in parts {
        for b in part.as_bytes().iter().chain(std::iter::once(&0xffu8)) {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// A 32-hex-digit trace id, never all zero.
pub fn trace_id(parts: &[&str]) -> String {
    let (a, b) = (hash64(1, parts), hash64(2, parts));
    let b = if a == 0 && b == 0 { 1 } else { b };
    format!("{a:016x}{b:016x}")
}

/// A 16-hex-digit span id, never all zero.
pub fn span_id(parts: &[&str]) -> String {
    format!("{:016x}", hash64(3, parts).max(1))
}

/// A span attribute: `{"key": …, "value": {"stringValue": …}}` and the like.
#[derive(Serialize)]
struct Attr<'a> {
    key: &'a str,
    value: AttrValue<'a>,
}

#[derive(Serialize)]
enum AttrValue<'a> {
    #[serde(rename = "stringValue")]
    Str(&'a str),
    /// int64 is a string in protobuf's JSON mapping.
    #[serde(rename = "intValue")]
    Int(Decimal),
    #[serde(rename = "doubleValue")]
    Double(f64),
    #[serde(rename = "boolValue")]
    Bool(bool),
}

fn string_attr<'a>(key: &'a str, value: &'a str) -> Attr<'a> {
    Attr {
        key,
        value: AttrValue::Str(value),
    }
}

fn int_attr(key: &str, value: i64) -> Attr<'_> {
    Attr {
        key,
        value: AttrValue::Int(Decimal(value.into())),
    }
}

fn bool_attr(key: &str, value: bool) -> Attr<'_> {
    Attr {
        key,
        value: AttrValue::Bool(value),
    }
}

/// A whole number written as a JSON string (times in nanoseconds, int64
/// attributes), as protobuf's JSON mapping writes 64-bit integers.
struct Decimal(i128);

impl Serialize for Decimal {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(itoa::Buffer::new().format(self.0))
    }
}

fn event_times(event: &EventSpan<'_>, session_end: Timestamp) -> Option<(i128, i128)> {
    let start = event.start.instant_nanos()?;
    let end = event.end.instant_nanos().or(session_end.instant_nanos())?;
    Some((start, end.max(start)))
}

/// One span as OTLP/JSON writes it; fields in the order written.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SpanOut<'a> {
    attributes: &'a [Attr<'a>],
    end_time_unix_nano: Decimal,
    #[serde(skip_serializing_if = "Option::is_none")]
    events: Option<[Exception<'a>; 1]>,
    kind: u8,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_span_id: Option<&'a str>,
    span_id: &'a str,
    start_time_unix_nano: Decimal,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<Status<'a>>,
    trace_id: &'a str,
}

impl<'a> SpanOut<'a> {
    fn new(
        trace: &'a str,
        id: &'a str,
        parent: Option<&'a str>,
        name: &'a str,
        (start, end): (i128, i128),
        attributes: &'a [Attr<'a>],
    ) -> Self {
        SpanOut {
            attributes,
            end_time_unix_nano: Decimal(end.max(0)),
            events: None,
            kind: KIND_INTERNAL,
            name,
            parent_span_id: parent,
            span_id: id,
            start_time_unix_nano: Decimal(start.max(0)),
            status: None,
            trace_id: trace,
        }
    }
}

/// The exception event of a failed run.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Exception<'a> {
    attributes: [Attr<'a>; 2],
    name: &'static str,
    time_unix_nano: Decimal,
}

#[derive(Serialize)]
struct Status<'a> {
    code: u8,
    message: &'a str,
}

/// The session as one `ResourceSpans`. Its spans are made one at a time
/// as it is serialized (nothing of the document is held), and counted.
pub fn resource_spans<'a>(
    session: &'a str,
    summary: &'a SessionSummary,
    spans: &'a Spans,
    options: &'a OtlpOptions,
) -> ResourceSpans<'a> {
    ResourceSpans {
        resource: Resource {
            attributes: [
                string_attr("service.name", &options.service_name),
                string_attr("agentcli.session.id", session),
            ],
        },
        scope_spans: [ScopeSpans {
            scope: Scope {
                name: "agentcli",
                version: env!("CARGO_PKG_VERSION"),
            },
            spans: SpanSeq {
                session,
                summary,
                spans,
                options,
                written: Cell::new(0),
            },
        }],
    }
}

/// A session as OTLP/JSON's `ResourceSpans`, from [`resource_spans`].
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceSpans<'a> {
    resource: Resource<'a>,
    scope_spans: [ScopeSpans<'a>; 1],
}

impl ResourceSpans<'_> {
    /// The spans written by serializing it (so far).
    pub fn spans_written(&self) -> usize {
        self.scope_spans[0].spans.written.get()
    }
}

#[derive(Serialize)]
struct Resource<'a> {
    attributes: [Attr<'a>; 2],
}

#[derive(Serialize)]
struct ScopeSpans<'a> {
    scope: Scope,
    spans: SpanSeq<'a>,
}

#[derive(Serialize)]
struct Scope {
    name: &'static str,
    version: &'static str,
}

/// A session's spans, made one at a time as they are serialized: the
/// root, a span per event, a span per run.
struct SpanSeq<'a> {
    session: &'a str,
    summary: &'a SessionSummary,
    spans: &'a Spans,
    options: &'a OtlpOptions,
    /// Spans written so far.
    written: Cell<usize>,
}

impl Serialize for SpanSeq<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(None)?;
        self.each_span(|span| {
            self.written.set(self.written.get() + 1);
            seq.serialize_element(span)
        })?;
        seq.end()
    }
}

impl SpanSeq<'_> {
    /// Hands every span to `emit`, in order, until it fails.
    fn each_span<E>(&self, mut emit: impl FnMut(&SpanOut<'_>) -> Result<(), E>) -> Result<(), E> {
        let (session, summary, spans, options) =
            (self.session, self.summary, self.spans, self.options);
        let trace = trace_id(&["agentcli-session", session]);
        let root_id = span_id(&["session", session]);
        let session_start = summary.start.map_or(Timestamp::Unset, Timestamp::At);
        let session_end = summary.end.map_or(Timestamp::Unset, Timestamp::At);
        if let (Some(start), Some(end)) =
            (session_start.instant_nanos(), session_end.instant_nanos())
        {
            let attrs = [
                string_attr("agentcli.session.id", session),
                int_attr("agentcli.entries", summary.entries as i64),
                int_attr("agentcli.agents", summary.agents.len() as i64),
                int_attr("agentcli.errors", summary.errors as i64),
            ];
            let name = format!("session {session}");
            emit(&SpanOut::new(
                &trace,
                &root_id,
                None,
                &name,
                (start, end),
                &attrs,
            ))?;
        }
        let event_id_of = |event: Option<&str>| span_id(&["event", session, event.unwrap_or("")]);
        let mut attrs = Vec::new();
        for event in spans.events() {
            let Some(times) = event_times(&event, session_end) else {
                continue;
            };
            attrs.clear();
            attrs.push(string_attr("agentcli.session.id", session));
            if let Some(id) = event.event_id {
                attrs.push(string_attr("agentcli.event.id", id));
            }
            if let Some(t) = event.target {
                attrs.push(string_attr("agentcli.target_agent.id", t));
            }
            if let Some(s) = event.source {
                attrs.push(string_attr("agentcli.source_agent.id", s));
            }
            if event.end_index.is_none() {
                attrs.push(bool_attr("agentcli.unfinished", true));
            }
            let label = event
                .event_id
                .map(crate::analysis::flow::event_label)
                .unwrap_or_default();
            let name = format!("event {label}");
            let id = event_id_of(event.event_id);
            emit(&SpanOut::new(
                &trace,
                &id,
                Some(&root_id),
                &name,
                times,
                &attrs,
            ))?;
        }
        let with_span: std::collections::HashSet<Option<&str>> =
            spans.events().map(|e| e.event_id).collect();
        for run in spans.runs() {
            let Some(times) = run.interval(session_end) else {
                continue;
            };
            let parent = if with_span.contains(&run.event_id) {
                event_id_of(run.event_id)
            } else {
                root_id.clone()
            };
            let position = run.start_index.or(run.end_index).unwrap_or(0).to_string();
            let id = span_id(&[
                "run",
                session,
                run.event_id.unwrap_or(""),
                run.agent,
                &position,
            ]);
            attrs.clear();
            attrs.push(string_attr("agentcli.session.id", session));
            attrs.push(string_attr("agentcli.agent.id", run.agent));
            attrs.push(string_attr("gen_ai.agent.name", run.agent));
            if let Some(e) = run.event_id {
                attrs.push(string_attr("agentcli.event.id", e));
            }
            attrs.push(string_attr(
                "agentcli.hook",
                match run.status {
                    RunStatus::Ok => "AfterAgentRun",
                    RunStatus::Error => "AgentError",
                    RunStatus::Unfinished => "BeforeAgentRun",
                },
            ));
            if let Some(next) = run.next {
                attrs.push(string_attr("agentcli.route", next));
            }
            if let Some(kind) = run.kind {
                attrs.push(string_attr("agentcli.hop.kind", kind.as_str()));
            }
            if let Some(d) = run.duration_ms {
                attrs.push(Attr {
                    key: "agentcli.duration_ms",
                    value: AttrValue::Double(d),
                });
            }
            if !run.tokens.is_zero() {
                attrs.push(int_attr(
                    "gen_ai.usage.input_tokens",
                    run.tokens.input as i64,
                ));
                attrs.push(int_attr(
                    "gen_ai.usage.output_tokens",
                    run.tokens.output as i64,
                ));
            }
            if let Some(model) = run.model {
                attrs.push(string_attr("gen_ai.request.model", model));
            }
            if run.status == RunStatus::Unfinished {
                attrs.push(bool_attr("agentcli.unfinished", true));
            }
            if options.include_state {
                if let Some(s) = run.input_state {
                    attrs.push(string_attr("agentcli.state.input", s));
                }
                if let Some(s) = run.output_state {
                    attrs.push(string_attr("agentcli.state.output", s));
                }
            }
            let name = format!("agent {}", run.agent);
            let mut span = SpanOut::new(&trace, &id, Some(&parent), &name, times, &attrs);
            if run.status == RunStatus::Error {
                let message = run.error.unwrap_or("agent failed");
                span.status = Some(Status {
                    code: STATUS_ERROR,
                    message,
                });
                span.events = Some([Exception {
                    attributes: [
                        string_attr("exception.type", "AgentError"),
                        string_attr("exception.message", message),
                    ],
                    name: "exception",
                    time_unix_nano: Decimal(times.1.max(0)),
                }]);
            }
            emit(&span)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_lowercase_hex_of_the_right_length_and_stable() {
        let t = trace_id(&["a", "b"]);
        assert_eq!(t.len(), 32);
        assert!(t
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_eq!(t, trace_id(&["a", "b"]));
        assert_ne!(t, trace_id(&["ab"]), "parts are separated");
        let s = span_id(&["x"]);
        assert_eq!(s.len(), 16);
        assert_ne!(s, "0000000000000000");
    }
}
