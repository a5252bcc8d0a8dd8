//! The Chrome Trace Event format, which Perfetto (ui.perfetto.dev) and
//! chrome://tracing open: a process per session, a track (thread) per
//! agent, a complete (`X`) event per run with microsecond `ts`/`dur`, an
//! instant event per error, and flow arrows for hand-offs.

use std::collections::HashMap;

use serde::Serialize;

use crate::analysis::flow::HopKind;
use crate::analysis::spans::{RunStatus, Spans};
use crate::analysis::SessionSummary;
use crate::model::Timestamp;
use crate::render::JsonItems;

/// One trace event; fields in the order written, those that do not apply
/// left out.
#[derive(Serialize)]
struct Event<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    args: Option<Args<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bp: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cat: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dur: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    name: &'a str,
    ph: &'static str,
    pid: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    s: Option<&'static str>,
    tid: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    ts: Option<f64>,
}

impl<'a> Event<'a> {
    fn new(name: &'a str, ph: &'static str, pid: usize, tid: usize) -> Self {
        Event {
            args: None,
            bp: None,
            cat: None,
            dur: None,
            id: None,
            name,
            ph,
            pid,
            s: None,
            tid,
            ts: None,
        }
    }

    /// A metadata (`M`) event.
    fn metadata(name: &'a str, pid: usize, tid: usize, args: Args<'a>) -> Self {
        Event {
            args: Some(args),
            ..Event::new(name, "M", pid, tid)
        }
    }
}

#[derive(Serialize)]
#[serde(untagged)]
enum Args<'a> {
    Name {
        name: &'a str,
    },
    SortIndex {
        sort_index: usize,
    },
    Run {
        entry: Option<u64>,
        event_id: Option<&'a str>,
        kind: Option<&'static str>,
        next: Option<&'a str>,
        status: RunStatus,
    },
    Error {
        message: Option<&'a str>,
    },
}

/// Writes the events of one session, as process `pid`, among the items of
/// the document's `traceEvents`.
pub fn session_events<W: std::io::Write + ?Sized>(
    pid: usize,
    session: &str,
    summary: &SessionSummary,
    spans: &Spans,
    items: &mut JsonItems<'_, W>,
) -> serde_json::Result<()> {
    let mut emit = |event: &Event<'_>| items.push(event);
    let process = format!("session {session}");
    emit(&Event::metadata(
        "process_name",
        pid,
        0,
        Args::Name { name: &process },
    ))?;
    let Some(origin) = summary
        .start
        .map(|t| i128::from(t.timestamp()) * 1_000_000 + i128::from(t.timestamp_subsec_micros()))
    else {
        return Ok(());
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
        emit(&Event::metadata(
            "thread_name",
            pid,
            i + 1,
            Args::Name { name: agent },
        ))?;
        emit(&Event::metadata(
            "thread_sort_index",
            pid,
            i + 1,
            Args::SortIndex { sort_index: i + 1 },
        ))?;
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
        emit(&Event {
            args: Some(Args::Run {
                entry: run.end_index.or(run.start_index),
                event_id: run.event_id,
                kind: run.kind.map(HopKind::as_str),
                next: run.next,
                status: run.status,
            }),
            cat: Some("agent"),
            dur: Some((end - start) as f64 / 1000.0),
            ts: Some(micros(start)),
            ..Event::new(run.agent, "X", pid, t)
        })?;
        if run.status == RunStatus::Error {
            emit(&Event {
                args: Some(Args::Error { message: run.error }),
                cat: Some("error"),
                s: Some("t"),
                ts: Some(micros(end)),
                ..Event::new("error", "i", pid, t)
            })?;
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
            emit(&Event {
                cat: Some("flow"),
                id: Some(&id),
                ts: Some(micros(end)),
                ..Event::new("handoff", "s", pid, t)
            })?;
            emit(&Event {
                bp: Some("e"),
                cat: Some("flow"),
                id: Some(&id),
                ts: Some(micros(target_start)),
                ..Event::new("handoff", "f", pid, tid(spans.run(j).agent))
            })?;
        }
    }
    Ok(())
}

/// What the document holds before its events (`traceEvents` is its last
/// key, so the events are written as they come).
pub const DOCUMENT_START: &str = r#"{"displayTimeUnit":"ms","traceEvents":["#;
/// What closes the document after its events.
pub const DOCUMENT_END: &str = "]}";
