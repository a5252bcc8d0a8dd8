//! Span pairing: agent runs (BeforeAgentRun with AfterAgentRun or
//! AgentError of the same event and agent) and events (BeforeEventHandling
//! with AfterEventHandling), with durations, waits and token usage.
//!
//! The route orchestrator logs BeforeAgentRun twice for one run: the second
//! is folded into the first. Go's zero time is never used as a time.

use super::FastMap;

use serde::Serialize;
use serde_json::Value;

use super::flow::HopKind;
use crate::input::Payloads;
use crate::model::{Entry, Hook, RawJson, Text, Timestamp};

/// Token usage, as state payloads report it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tokens {
    pub input: u64,
    pub output: u64,
    pub total: u64,
}

impl Tokens {
    /// Sums saturate: counts come from the file and may be anything.
    pub fn add(&mut self, other: Tokens) {
        self.input = self.input.saturating_add(other.input);
        self.output = self.output.saturating_add(other.output);
        self.total = self.total.saturating_add(other.total);
    }

    pub fn is_zero(&self) -> bool {
        self.total == 0 && self.input == 0 && self.output == 0
    }
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    Ok,
    Error,
    /// A Before with no After: still running, or lost in a crash.
    Unfinished,
}

/// One agent run.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentRun {
    pub agent: String,
    pub event_id: Option<String>,
    /// The first BeforeAgentRun (unset when the After came without one).
    pub start: Timestamp,
    /// The AfterAgentRun or AgentError (unset while unfinished).
    pub end: Timestamp,
    /// From `agent_result.duration_ms` when real, else from the paired
    /// timestamps; `None` when neither is known.
    pub duration_ms: Option<f64>,
    /// From the event's BeforeEventHandling to the run's start.
    pub wait_ms: Option<f64>,
    pub status: RunStatus,
    pub error: Option<String>,
    pub next: Option<String>,
    pub kind: Option<HopKind>,
    pub tokens: Tokens,
    pub model: Option<String>,
    /// Entries that opened and closed the run (file positions, from 1).
    pub start_index: Option<u64>,
    pub end_index: Option<u64>,
    /// The run's After came with no Before.
    pub orphan: bool,
    /// With [`SpanBuilder::with_states`]: the state the run started from and
    /// the state it left, compact JSON.
    pub input_state: Option<String>,
    pub output_state: Option<String>,
}

impl AgentRun {
    /// Start and end in nanoseconds since the epoch, for timelines. An
    /// unfinished run ends at `session_end`; a run with no start starts its
    /// duration before its end.
    pub fn interval(&self, session_end: Timestamp) -> Option<(i128, i128)> {
        let end = self.end.instant_nanos().or(session_end.instant_nanos())?;
        let start = match self.start.instant_nanos() {
            Some(s) => s,
            None => end - self.duration_ms.map_or(0, |d| (d * 1e6) as i128),
        };
        Some((start, end.max(start)))
    }
}

/// One event.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventSpan {
    pub event_id: Option<String>,
    pub start: Timestamp,
    pub end: Timestamp,
    pub target: Option<String>,
    pub source: Option<String>,
    pub start_index: Option<u64>,
    pub end_index: Option<u64>,
}

#[derive(Debug)]
struct OpenRun {
    start: Timestamp,
    start_index: u64,
    state: Option<String>,
}

/// Pairs entries, in file order, into runs and events.
#[derive(Debug, Default)]
pub struct SpanBuilder {
    open: FastMap<(Option<Text>, Text), OpenRun>,
    /// Events in the order they were first seen, and where each id's is.
    events: Vec<EventSpan>,
    event_at: FastMap<Option<Text>, usize>,
    runs: Vec<AgentRun>,
    /// AfterEventHandling entries with no BeforeEventHandling.
    orphan_event_ends: Vec<u64>,
    /// Keep runs' input and output states.
    keep_states: bool,
}

/// Milliseconds from `a` to `b`, when both are real.
pub fn millis_between(a: Timestamp, b: Timestamp) -> Option<f64> {
    Some((b.instant_nanos()? - a.instant_nanos()?) as f64 / 1e6)
}

impl SpanBuilder {
    /// A builder that keeps each run's input and output state (entries must
    /// carry their states).
    pub fn with_states() -> Self {
        SpanBuilder {
            keep_states: true,
            ..SpanBuilder::default()
        }
    }

    /// The span of event `id`, once it began.
    fn event(&mut self, id: &Option<Text>) -> Option<&mut EventSpan> {
        let at = *self.event_at.get(id)?;
        self.events.get_mut(at)
    }

    pub fn push(&mut self, e: &Entry) {
        self.push_with_usage(e, None);
    }

    /// [`SpanBuilder::push`], with the usage of a run already worked out
    /// (`None`: from the entry's payloads).
    pub fn push_with_usage(&mut self, e: &Entry, usage: Option<(Tokens, Option<String>)>) {
        let event = e.event_id.clone().filter(|s| !s.is_empty());
        match &e.hook {
            Hook::BeforeEventHandling => {
                let at = *self.event_at.entry(event.clone()).or_insert_with(|| {
                    self.events.push(EventSpan {
                        event_id: event.as_deref().map(str::to_string),
                        ..EventSpan::default()
                    });
                    self.events.len() - 1
                });
                let span = &mut self.events[at];
                if span.start_index.is_none() {
                    span.start = e.timestamp;
                    span.start_index = Some(e.index);
                    span.target = e.target_agent_id.as_deref().map(str::to_string);
                    span.source = e
                        .source_agent_id
                        .as_deref()
                        .filter(|s| !s.is_empty())
                        .map(str::to_string);
                }
            }
            Hook::AfterEventHandling => match self.event(&event) {
                Some(span) => {
                    span.end = e.timestamp;
                    span.end_index = Some(e.index);
                }
                None => self.orphan_event_ends.push(e.index),
            },
            Hook::BeforeAgentRun => {
                let Some(agent) = e.agent_id.clone().filter(|a| !a.is_empty()) else {
                    return;
                };
                // The second BeforeAgentRun of the route orchestrator is the
                // same run.
                let state = self
                    .keep_states
                    .then(|| e.state.as_ref().map(RawJson::compact))
                    .flatten();
                self.open.entry((event, agent)).or_insert(OpenRun {
                    start: e.timestamp,
                    start_index: e.index,
                    state,
                });
            }
            Hook::AfterAgentRun | Hook::AgentError => {
                let Some(agent) = e.agent_id.clone().filter(|a| !a.is_empty()) else {
                    return;
                };
                let open = self.open.remove(&(event.clone(), agent.clone()));
                let failed = e.hook == Hook::AgentError || e.error().is_some();
                let next = e.route().map(str::to_string);
                let start = open.as_ref().map_or(Timestamp::Unset, |o| o.start);
                let (tokens, model) = usage.unwrap_or_else(|| usage_of(Payloads::of(e)));
                let wait_ms = self
                    .event(&event)
                    .and_then(|ev| millis_between(ev.start, start))
                    .filter(|w| *w >= 0.0);
                self.runs.push(AgentRun {
                    kind: Some(HopKind::classify(&agent, next.as_deref(), failed)),
                    duration_ms: run_duration(e, start),
                    agent: agent.into(),
                    event_id: event.map(Into::into),
                    start,
                    end: e.timestamp,
                    wait_ms,
                    status: if failed {
                        RunStatus::Error
                    } else {
                        RunStatus::Ok
                    },
                    error: e.error().map(str::to_string),
                    next,
                    tokens,
                    model,
                    start_index: open.as_ref().map(|o| o.start_index),
                    end_index: Some(e.index),
                    orphan: open.is_none(),
                    input_state: open.and_then(|o| o.state),
                    output_state: self
                        .keep_states
                        .then(|| {
                            e.result
                                .as_ref()
                                .and_then(|r| r.output_state.as_ref())
                                .map(RawJson::compact)
                        })
                        .flatten(),
                });
            }
            Hook::Other(_) | Hook::Unknown => {}
        }
    }

    /// The runs (finished in file order, then the unfinished ones) and the
    /// events in order of appearance.
    pub fn finish(mut self) -> Spans {
        let mut unfinished: Vec<AgentRun> = self
            .open
            .drain()
            .map(|((event, agent), open)| AgentRun {
                wait_ms: self
                    .event_at
                    .get(&event)
                    .and_then(|&at| millis_between(self.events[at].start, open.start))
                    .filter(|w| *w >= 0.0),
                agent: agent.into(),
                event_id: event.map(Into::into),
                start: open.start,
                end: Timestamp::Unset,
                duration_ms: None,
                status: RunStatus::Unfinished,
                error: None,
                next: None,
                kind: None,
                tokens: Tokens::default(),
                model: None,
                start_index: Some(open.start_index),
                end_index: None,
                orphan: false,
                input_state: open.state,
                output_state: None,
            })
            .collect();
        unfinished.sort_by_key(|r| r.start_index);
        self.runs.extend(unfinished);
        Spans {
            runs: self.runs,
            events: self.events,
            orphan_event_ends: self.orphan_event_ends,
        }
    }
}

/// What pairing found.
#[derive(Debug, Default)]
pub struct Spans {
    pub runs: Vec<AgentRun>,
    pub events: Vec<EventSpan>,
    pub orphan_event_ends: Vec<u64>,
}

/// `agent_result.duration_ms` when it is real (positive, or zero with real
/// start and end times: a runner-level failure logs 0 with Go zero times),
/// else the time between the paired entries.
fn run_duration(e: &Entry, start: Timestamp) -> Option<f64> {
    if let Some(result) = &e.result {
        if let Some(d) = result.duration_ms {
            let timed = result.start_time.get().is_some() && result.end_time.get().is_some();
            if d > 0 || (d == 0 && timed) {
                return Some(d as f64);
            }
        }
    }
    millis_between(start, e.timestamp).filter(|d| *d >= 0.0)
}

/// Token usage and model of a run: from its result's output state, else
/// from the entry's state.
pub fn usage_of(payloads: Payloads<'_>) -> (Tokens, Option<String>) {
    for raw in [payloads.output_state, payloads.state]
        .into_iter()
        .flatten()
    {
        if let Some(found) = usage_in(raw) {
            return found;
        }
    }
    (Tokens::default(), None)
}

/// A run's usage as bytes, for a view that works it out on the reader's
/// threads and carries it in `Entry::prepared`.
pub fn usage_to_bytes((tokens, model): &(Tokens, Option<String>)) -> Vec<u8> {
    let mut out = Vec::with_capacity(25 + model.as_ref().map_or(0, String::len));
    for n in [tokens.input, tokens.output, tokens.total] {
        out.extend_from_slice(&n.to_le_bytes());
    }
    if let Some(model) = model {
        out.push(1);
        out.extend_from_slice(model.as_bytes());
    }
    out
}

/// What [`usage_to_bytes`] wrote.
pub fn usage_from_bytes(bytes: &[u8]) -> Option<(Tokens, Option<String>)> {
    let number = |i: usize| -> Option<u64> {
        Some(u64::from_le_bytes(
            bytes.get(i * 8..i * 8 + 8)?.try_into().ok()?,
        ))
    };
    let tokens = Tokens {
        input: number(0)?,
        output: number(1)?,
        total: number(2)?,
    };
    let model = match bytes.get(24) {
        None => None,
        Some(_) => Some(String::from_utf8(bytes[25..].to_vec()).ok()?),
    };
    Some((tokens, model))
}

/// Recognizes `usage.prompt_tokens/completion_tokens/total_tokens`,
/// `prompt_tokens`, `completion_tokens`, `input_tokens/output_tokens` and
/// `gen_ai.usage.input_tokens/output_tokens` (flat or nested), in a state's
/// `data` or at its top, with the model named next to them.
pub fn usage_in(raw: &str) -> Option<(Tokens, Option<String>)> {
    let value: Value = serde_json::from_str(raw).ok()?;
    let data = value
        .get("data")
        .filter(|d| d.is_object())
        .unwrap_or(&value);
    let mut places: Vec<&Value> = vec![data];
    if let Some(u) = data.get("usage").filter(|u| u.is_object()) {
        places.insert(0, u);
    }
    if let Some(u) = data.pointer("/gen_ai/usage").filter(|u| u.is_object()) {
        places.insert(0, u);
    }
    let number = |v: &Value, keys: &[&str]| -> Option<u64> {
        keys.iter().find_map(|k| {
            let x = v.get(*k)?;
            x.as_u64()
                .or_else(|| x.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
        })
    };
    for place in places {
        let input = number(
            place,
            &["prompt_tokens", "input_tokens", "gen_ai.usage.input_tokens"],
        );
        let output = number(
            place,
            &[
                "completion_tokens",
                "output_tokens",
                "gen_ai.usage.output_tokens",
            ],
        );
        let total = number(place, &["total_tokens"]);
        if input.is_none() && output.is_none() && total.is_none() {
            continue;
        }
        let (i, o) = (input.unwrap_or(0), output.unwrap_or(0));
        let model = ["model", "gen_ai.request.model", "model_name"]
            .iter()
            .find_map(|k| {
                place
                    .get(*k)
                    .or_else(|| data.get(*k))
                    .and_then(Value::as_str)
            })
            .or_else(|| {
                data.pointer("/gen_ai/request/model")
                    .and_then(Value::as_str)
            })
            .map(str::to_string);
        return Some((
            Tokens {
                input: i,
                output: o,
                total: total.unwrap_or(i.saturating_add(o)),
            },
            model,
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AgentResult;

    fn at(s: &str) -> Timestamp {
        Timestamp::parse(&format!("2025-05-02T10:00:{s}Z")).unwrap()
    }

    fn e(index: u64, hook: Hook, agent: Option<&str>, event: &str, t: &str) -> Entry {
        Entry {
            index,
            hook,
            agent_id: agent.map(Into::into),
            event_id: Some(event.into()),
            timestamp: at(t),
            ..Entry::default()
        }
    }

    fn with_result(mut e: Entry, duration: Option<i64>, timed: bool, state: Option<&str>) -> Entry {
        e.result = Some(AgentResult {
            duration_ms: duration,
            start_time: if timed { at("00") } else { Timestamp::Unset },
            end_time: if timed { at("01") } else { Timestamp::Unset },
            output_state: state.map(|s| RawJson(s.into())),
            ..AgentResult::default()
        });
        e
    }

    #[test]
    fn double_before_agent_run_is_one_run_and_wait_is_measured() {
        let mut b = SpanBuilder::default();
        b.push(&e(1, Hook::BeforeEventHandling, None, "e1", "00"));
        b.push(&e(2, Hook::BeforeAgentRun, Some("a"), "e1", "01"));
        b.push(&e(3, Hook::BeforeAgentRun, Some("a"), "e1", "02"));
        b.push(&with_result(
            e(4, Hook::AfterAgentRun, Some("a"), "e1", "05"),
            None,
            false,
            None,
        ));
        b.push(&e(5, Hook::AfterEventHandling, Some("a"), "e1", "06"));
        let spans = b.finish();
        assert_eq!(spans.runs.len(), 1);
        let run = &spans.runs[0];
        assert_eq!(run.start_index, Some(2));
        assert_eq!(run.duration_ms, Some(4000.0));
        assert_eq!(run.wait_ms, Some(1000.0));
        assert_eq!(spans.events.len(), 1);
        assert_eq!(spans.events[0].end_index, Some(5));
    }

    #[test]
    fn result_duration_wins_unless_it_is_a_zero_from_go_zero_times() {
        let mut b = SpanBuilder::default();
        b.push(&e(1, Hook::BeforeAgentRun, Some("a"), "e1", "00"));
        b.push(&with_result(
            e(2, Hook::AfterAgentRun, Some("a"), "e1", "09"),
            Some(929),
            true,
            None,
        ));
        b.push(&e(3, Hook::BeforeAgentRun, Some("a"), "e2", "10"));
        b.push(&with_result(
            e(4, Hook::AgentError, Some("a"), "e2", "12"),
            Some(0),
            false,
            None,
        ));
        let spans = b.finish();
        assert_eq!(spans.runs[0].duration_ms, Some(929.0));
        assert_eq!(spans.runs[1].duration_ms, Some(2000.0));
        assert_eq!(spans.runs[1].status, RunStatus::Error);
    }

    #[test]
    fn before_without_after_is_unfinished_and_after_without_before_is_an_orphan() {
        let mut b = SpanBuilder::default();
        b.push(&e(1, Hook::BeforeAgentRun, Some("a"), "e1", "00"));
        b.push(&with_result(
            e(2, Hook::AfterAgentRun, Some("b"), "e2", "01"),
            Some(5),
            true,
            None,
        ));
        let spans = b.finish();
        assert_eq!(spans.runs[0].agent, "b");
        assert!(spans.runs[0].orphan);
        assert_eq!(spans.runs[1].status, RunStatus::Unfinished);
    }

    #[test]
    fn recognizes_every_usage_shape() {
        let cases = [
            (
                r#"{"data":{"usage":{"prompt_tokens":10,"completion_tokens":5,"model":"gpt-4o"}}}"#,
                (10, 5, 15),
                Some("gpt-4o"),
            ),
            (
                r#"{"data":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":9}}"#,
                (3, 4, 9),
                None,
            ),
            (
                r#"{"data":{"input_tokens":1,"output_tokens":2,"model":"m"}}"#,
                (1, 2, 3),
                Some("m"),
            ),
            (
                r#"{"data":{"gen_ai.usage.input_tokens":7,"gen_ai.usage.output_tokens":8,"gen_ai.request.model":"x"}}"#,
                (7, 8, 15),
                Some("x"),
            ),
            (
                r#"{"data":{"gen_ai":{"usage":{"input_tokens":2,"output_tokens":2},"request":{"model":"y"}}}}"#,
                (2, 2, 4),
                Some("y"),
            ),
        ];
        for (state, (i, o, t), model) in cases {
            let (tokens, m) = usage_in(state).unwrap_or_else(|| panic!("{state}"));
            assert_eq!(
                (tokens.input, tokens.output, tokens.total),
                (i, o, t),
                "{state}"
            );
            assert_eq!(m.as_deref(), model, "{state}");
        }
        assert!(usage_in(r#"{"data":{"step":1}}"#).is_none());
    }
}
