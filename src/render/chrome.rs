//! The Chrome Trace Event format, which Perfetto (ui.perfetto.dev) and
//! chrome://tracing open: a process per session, a track (thread) per
//! agent, a complete (`X`) event per run with microsecond `ts`/`dur`, an
//! instant event per error, and flow arrows for hand-offs.

use serde_json::{json, Value};

use crate::analysis::flow::HopKind;
use crate::analysis::spans::{RunStatus, Spans};
use crate::analysis::SessionSummary;

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
    let end_of_session = summary.end.map(|t| {
        i128::from(t.timestamp()) * 1_000_000_000 + i128::from(t.timestamp_subsec_nanos())
    });
    let mut agents: Vec<&str> = Vec::new();
    for run in &spans.runs {
        if !agents.contains(&run.agent.as_str()) {
            agents.push(&run.agent);
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
    let times: Vec<Option<(i128, i128)>> = spans
        .runs
        .iter()
        .map(|r| {
            let end = r.end.instant_nanos().or(end_of_session)?;
            let start = r
                .start
                .instant_nanos()
                .unwrap_or(end - r.duration_ms.map_or(0, |d| (d * 1e6) as i128));
            Some((start, end.max(start)))
        })
        .collect();
    let mut flow_id = 0u64;
    for (i, run) in spans.runs.iter().enumerate() {
        let Some((start, end)) = times[i] else {
            continue;
        };
        let t = tid(&run.agent);
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
        let Some(next) = run.next.as_deref() else {
            continue;
        };
        let target = spans
            .runs
            .iter()
            .enumerate()
            .filter(|(j, r)| *j != i && r.agent == next)
            .filter_map(|(j, _)| times[j].map(|(s, _)| (j, s)))
            .filter(|(_, s)| *s >= end)
            .min_by_key(|(_, s)| *s);
        if let Some((j, target_start)) = target {
            flow_id += 1;
            let id = format!("{pid}-{flow_id}");
            events.push(json!({
                "name": "handoff", "cat": "flow", "ph": "s", "id": id, "pid": pid, "tid": t, "ts": micros(end),
            }));
            events.push(json!({
                "name": "handoff", "cat": "flow", "ph": "f", "bp": "e", "id": id, "pid": pid,
                "tid": tid(&spans.runs[j].agent), "ts": micros(target_start),
            }));
        }
    }
    events
}

/// The whole file.
pub fn document(events: Vec<Value>) -> Value {
    json!({"traceEvents": events, "displayTimeUnit": "ms"})
}
