//! The Chrome Trace Event format, which Perfetto (ui.perfetto.dev) and
//! chrome://tracing open: a process per session, a track (thread) per
//! agent, a complete (`X`) event per run with microsecond `ts`/`dur`, an
//! instant event per error, and flow arrows for hand-offs.

use std::collections::HashMap;

use serde_json::{json, Value};

use crate::analysis::flow::HopKind;
use crate::analysis::spans::{RunStatus, Spans};
use crate::analysis::SessionSummary;
use crate::model::Timestamp;

/// The events of one session, as process `pid`.
pub fn session_events(
    pid: usize,
    session: &str,
    summary: &SessionSummary,
    spans: &Spans,
) -> Vec<Value> {
    let mut events = vec![json!({
        "name": "process_name", "ph": "M", "pid": pid, "tid": 0,
        "args": {"name": format!("session {session}")},
    })];
    let Some(origin) = summary
        .start
        .map(|t| i128::from(t.timestamp()) * 1_000_000 + i128::from(t.timestamp_subsec_micros()))
    else {
        return events;
    };
    let micros = |n: i128| (n / 1000 - origin) as f64;
    let end_of_session = summary.end.map_or(Timestamp::Unset, Timestamp::At);
    let mut agents: Vec<&str> = Vec::new();
    for run in spans.runs() {
        if !agents.contains(&run.agent) {
            agents.push(run.agent);
        }
    }
    for (i, agent) in agents.iter().enumerate() {
        events.push(json!({
            "name": "thread_name", "ph": "M", "pid": pid, "tid": i + 1,
            "args": {"name": agent},
        }));
        events.push(json!({
            "name": "thread_sort_index", "ph": "M", "pid": pid, "tid": i + 1,
            "args": {"sort_index": i + 1},
        }));
    }
    let tid = |agent: &str| agents.iter().position(|a| *a == agent).map_or(0, |i| i + 1);
    // (start, end) of each run, in nanoseconds.
    let times: Vec<Option<(i128, i128)>> =
        spans.runs().map(|r| r.interval(end_of_session)).collect();
    // Each agent's runs by start, to find where a hand-off lands.
    let mut starts_of: HashMap<&str, Vec<(i128, usize)>> = HashMap::new();
    for (j, run) in spans.runs().enumerate() {
        if let Some((s, _)) = times[j] {
            starts_of.entry(run.agent).or_default().push((s, j));
        }
    }
    for starts in starts_of.values_mut() {
        starts.sort_unstable();
    }
    let mut flow_id = 0u64;
    for (i, run) in spans.runs().enumerate() {
        let Some((start, end)) = times[i] else {
            continue;
        };
        let t = tid(run.agent);
        events.push(json!({
            "name": run.agent, "cat": "agent", "ph": "X", "pid": pid, "tid": t,
            "ts": micros(start), "dur": (end - start) as f64 / 1000.0,
            "args": {
                "event_id": run.event_id, "status": run.status, "next": run.next,
                "kind": run.kind.map(HopKind::as_str), "entry": run.end_index.or(run.start_index),
            },
        }));
        if run.status == RunStatus::Error {
            events.push(json!({
                "name": "error", "cat": "error", "ph": "i", "s": "t", "pid": pid, "tid": t,
                "ts": micros(end), "args": {"message": run.error},
            }));
        }
        // A hand-off: an arrow to the next run of the agent routed to.
        let Some(next) = run.next else {
            continue;
        };
        // The earliest run of `next` (other than this one) starting at or
        // after this one's end.
        let target = starts_of.get(next).and_then(|starts| {
            let from = starts.partition_point(|(s, _)| *s < end);
            starts[from..]
                .iter()
                .find(|(_, j)| *j != i)
                .map(|&(s, j)| (j, s))
        });
        if let Some((j, target_start)) = target {
            flow_id += 1;
            let id = format!("{pid}-{flow_id}");
            events.push(json!({
                "name": "handoff", "cat": "flow", "ph": "s", "id": id, "pid": pid, "tid": t, "ts": micros(end),
            }));
            events.push(json!({
                "name": "handoff", "cat": "flow", "ph": "f", "bp": "e", "id": id, "pid": pid,
                "tid": tid(spans.run(j).agent), "ts": micros(target_start),
            }));
        }
    }
    events
}

/// The whole file.
pub fn document(events: Vec<Value>) -> Value {
    json!({"traceEvents": events, "displayTimeUnit": "ms"})
}
