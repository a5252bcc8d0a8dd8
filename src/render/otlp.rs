//! OpenTelemetry: sessions as OTLP/JSON traces (`ExportTraceServiceRequest`,
//! the protocol's JSON encoding: lowerCamelCase keys, ids as lowercase hex,
//! times as decimal strings of Unix nanoseconds, enums as integers).
//!
//! One trace per session: a root span for the session, a span per event
//! (BeforeEventHandling → AfterEventHandling), a child span per agent run.
//! Ids are derived from the session (and event, agent, position), so the
//! same file exported twice gives the same ids and a collector can drop
//! the duplicates.

use serde_json::{json, Value};

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

fn string_attr(key: &str, value: &str) -> Value {
    json!({"key": key, "value": {"stringValue": value}})
}

fn int_attr(key: &str, value: i64) -> Value {
    // int64 is a string in protobuf's JSON mapping.
    json!({"key": key, "value": {"intValue": value.to_string()}})
}

fn bool_attr(key: &str, value: bool) -> Value {
    json!({"key": key, "value": {"boolValue": value}})
}

fn event_times(event: &EventSpan<'_>, session_end: Timestamp) -> Option<(i128, i128)> {
    let start = event.start.instant_nanos()?;
    let end = event.end.instant_nanos().or(session_end.instant_nanos())?;
    Some((start, end.max(start)))
}

fn span(
    trace: &str,
    id: String,
    parent: Option<&str>,
    name: String,
    (start, end): (i128, i128),
    attributes: Vec<Value>,
) -> Value {
    let mut s = json!({
        "traceId": trace,
        "spanId": id,
        "name": name,
        "kind": KIND_INTERNAL,
        "startTimeUnixNano": start.max(0).to_string(),
        "endTimeUnixNano": end.max(0).to_string(),
        "attributes": attributes,
    });
    if let Some(p) = parent {
        s["parentSpanId"] = json!(p);
    }
    s
}

/// The session as one `ResourceSpans`.
pub fn resource_spans(
    session: &str,
    summary: &SessionSummary,
    spans: &Spans,
    options: &OtlpOptions,
) -> Value {
    let trace = trace_id(&["agentcli-session", session]);
    let root_id = span_id(&["session", session]);
    let session_start = summary.start.map_or(Timestamp::Unset, Timestamp::At);
    let session_end = summary.end.map_or(Timestamp::Unset, Timestamp::At);
    let mut out: Vec<Value> = Vec::new();
    if let (Some(start), Some(end)) = (session_start.instant_nanos(), session_end.instant_nanos()) {
        out.push(span(
            &trace,
            root_id.clone(),
            None,
            format!("session {session}"),
            (start, end),
            vec![
                string_attr("agentcli.session.id", session),
                int_attr("agentcli.entries", summary.entries as i64),
                int_attr("agentcli.agents", summary.agents.len() as i64),
                int_attr("agentcli.errors", summary.errors as i64),
            ],
        ));
    }
    let event_id_of = |event: Option<&str>| span_id(&["event", session, event.unwrap_or("")]);
    for event in spans.events() {
        let Some(times) = event_times(&event, session_end) else {
            continue;
        };
        let mut attrs = vec![string_attr("agentcli.session.id", session)];
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
        out.push(span(
            &trace,
            event_id_of(event.event_id),
            Some(&root_id),
            format!("event {label}"),
            times,
            attrs,
        ));
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
        let mut attrs = vec![
            string_attr("agentcli.session.id", session),
            string_attr("agentcli.agent.id", run.agent),
            string_attr("gen_ai.agent.name", run.agent),
        ];
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
            attrs.push(json!({"key": "agentcli.duration_ms", "value": {"doubleValue": d}}));
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
        let mut s = span(
            &trace,
            id,
            Some(&parent),
            format!("agent {}", run.agent),
            times,
            attrs,
        );
        if run.status == RunStatus::Error {
            let message = run.error.unwrap_or("agent failed");
            s["status"] = json!({"code": STATUS_ERROR, "message": message});
            s["events"] = json!([{
                "timeUnixNano": times.1.max(0).to_string(),
                "name": "exception",
                "attributes": [string_attr("exception.type", "AgentError"), string_attr("exception.message", message)],
            }]);
        }
        out.push(s);
    }
    json!({
        "resource": {"attributes": [
            string_attr("service.name", &options.service_name),
            string_attr("agentcli.session.id", session),
        ]},
        "scopeSpans": [{
            "scope": {"name": "agentcli", "version": env!("CARGO_PKG_VERSION")},
            "spans": out,
        }],
    })
}

/// An `ExportTraceServiceRequest` of sessions.
pub fn request(resource_spans: Vec<Value>) -> Value {
    json!({ "resourceSpans": resource_spans })
}

/// How many spans a request holds.
pub fn span_count(request: &Value) -> usize {
    request["resourceSpans"].as_array().map_or(0, |r| {
        r.iter()
            .map(|rs| rs["scopeSpans"][0]["spans"].as_array().map_or(0, Vec::len))
            .sum()
    })
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
