//! `trace --analyze`: what made a session slow, wrong or expensive. Built
//! from paired spans; serialized as the documented JSON schema.

use std::collections::BTreeSet;

use super::FastMap;

use chrono::SecondsFormat;
use serde::Serialize;

use super::flow::HopKind;
use super::spans::{AgentRun, RunStatus, Spans, Tokens};
use super::summary::SessionSummary;
use crate::model::Timestamp;

/// Per-agent figures (also the rows of `stats`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AgentStats {
    pub agent: String,
    pub runs: u64,
    pub errors: u64,
    /// errors / runs.
    pub error_rate: f64,
    /// Sum of run durations, ms.
    pub total_ms: f64,
    /// Share of the session's wall time (a sum over sessions for `stats`).
    pub share: Option<f64>,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: Option<f64>,
    /// Mean time from an event's start to its run's start.
    pub mean_wait_ms: Option<f64>,
    pub tokens: Tokens,
    pub unfinished: u64,
}

/// A run, as reported.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RunView {
    pub agent: String,
    pub event_id: Option<String>,
    pub start: Option<String>,
    pub end: Option<String>,
    pub duration_ms: Option<f64>,
    pub status: RunStatus,
    pub error: Option<String>,
    pub next: Option<String>,
    /// Entry positions that opened and closed the run.
    pub start_index: Option<u64>,
    pub end_index: Option<u64>,
}

/// An agent sequence that repeats back to back (A→B→A→B).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Loop {
    pub agents: Vec<String>,
    pub repeats: u64,
    /// Position (from 1) of the loop's first run among the session's runs.
    pub first_run: u64,
}

/// One step of the critical path.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PathStep {
    #[serde(flatten)]
    pub run: RunView,
    /// From the previous step's end to this step's start.
    pub gap_ms: Option<f64>,
    /// Other runs could have handed over to this one: the choice was the
    /// latest to end, but parallel events make it uncertain.
    pub ambiguous: bool,
}

/// The chain of hops that determined when the session ended.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct CriticalPath {
    pub steps: Vec<PathStep>,
    pub duration_ms: Option<f64>,
    pub ambiguous: bool,
}

/// The first failure, with what led to it and what followed.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ErrorContext {
    #[serde(flatten)]
    pub run: RunView,
    /// The run that handed work to the failing agent.
    pub after: Option<RunView>,
    /// The next run of the same agent, if any.
    pub retried_by: Option<RunView>,
}

/// Everything `--analyze` reports.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Analysis {
    pub session: String,
    pub start: Option<String>,
    pub end: Option<String>,
    pub wall_ms: Option<f64>,
    pub entries: u64,
    pub events: u64,
    pub runs: u64,
    pub agents: u64,
    pub errors: u64,
    pub retries: u64,
    pub requeues: u64,
    pub unfinished: u64,
    /// Whether the file looks still written (unfinished runs may be
    /// running) or done (they were lost).
    pub file: String,
    pub loops: Vec<Loop>,
    pub tokens: Option<Tokens>,
    pub models: Vec<String>,
    pub per_agent: Vec<AgentStats>,
    pub critical_path: CriticalPath,
    pub slowest: Vec<RunView>,
    pub first_error: Option<ErrorContext>,
}

fn rfc3339(t: Timestamp) -> Option<String> {
    t.get()
        .map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

pub fn view(run: &AgentRun) -> RunView {
    RunView {
        agent: run.agent.clone(),
        event_id: run.event_id.clone(),
        start: rfc3339(run.start),
        end: rfc3339(run.end),
        duration_ms: run.duration_ms,
        status: run.status,
        error: run.error.clone(),
        next: run.next.clone(),
        start_index: run.start_index,
        end_index: run.end_index,
    }
}

/// The nearest-rank percentile `p` (0..=100) of sorted values.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// Per-agent figures over `runs`, agents in order of first run.
pub fn agent_stats<'a>(
    runs: impl IntoIterator<Item = &'a AgentRun>,
    wall_ms: Option<f64>,
) -> Vec<AgentStats> {
    let mut order: Vec<String> = Vec::new();
    let mut by_agent: Vec<Vec<&AgentRun>> = Vec::new();
    for run in runs {
        match order.iter().position(|a| *a == run.agent) {
            Some(i) => by_agent[i].push(run),
            None => {
                order.push(run.agent.clone());
                by_agent.push(vec![run]);
            }
        }
    }
    order
        .into_iter()
        .zip(by_agent)
        .map(|(agent, runs)| {
            let finished: Vec<&&AgentRun> = runs
                .iter()
                .filter(|r| r.status != RunStatus::Unfinished)
                .collect();
            let mut durations: Vec<f64> = finished.iter().filter_map(|r| r.duration_ms).collect();
            durations.sort_by(f64::total_cmp);
            // An empty f64 sum is -0.0.
            let total: f64 = durations.iter().fold(0.0, |a, b| a + b);
            let errors = runs.iter().filter(|r| r.status == RunStatus::Error).count() as u64;
            let waits: Vec<f64> = runs.iter().filter_map(|r| r.wait_ms).collect();
            let mut tokens = Tokens::default();
            for r in &runs {
                tokens.add(r.tokens);
            }
            let counted = finished.len() as u64;
            AgentStats {
                agent,
                runs: counted,
                errors,
                error_rate: if counted == 0 {
                    0.0
                } else {
                    errors as f64 / counted as f64
                },
                total_ms: total,
                share: wall_ms.filter(|w| *w > 0.0).map(|w| total / w),
                p50_ms: percentile(&durations, 50.0),
                p95_ms: percentile(&durations, 95.0),
                p99_ms: percentile(&durations, 99.0),
                max_ms: durations.last().copied(),
                mean_wait_ms: (!waits.is_empty())
                    .then(|| waits.iter().sum::<f64>() / waits.len() as f64),
                tokens,
                unfinished: runs.len() as u64 - counted,
            }
        })
        .collect()
}

/// Runs in time order: by start (or end when the start is unknown), file
/// order on ties.
fn by_time(runs: &[AgentRun]) -> Vec<&AgentRun> {
    let mut sorted: Vec<&AgentRun> = runs.iter().collect();
    sorted.sort_by_key(|r| {
        let t = r.start.instant_nanos().or(r.end.instant_nanos());
        (t.is_none(), t, r.start_index.or(r.end_index))
    });
    sorted
}

/// Back-to-back repeats of agent sequences of 2 to 6 agents, in the order
/// runs started (repeats of one agent are requeues, not loops).
pub fn find_loops(agents: &[&str]) -> Vec<Loop> {
    let mut loops = Vec::new();
    let mut i = 0;
    while i < agents.len() {
        let mut best: Option<(usize, usize)> = None;
        for len in 2..=6.min((agents.len() - i) / 2) {
            let pattern = &agents[i..i + len];
            if pattern.windows(2).all(|w| w[0] == w[1]) {
                continue;
            }
            let mut reps = 1;
            while i + (reps + 1) * len <= agents.len()
                && &agents[i + reps * len..i + (reps + 1) * len] == pattern
            {
                reps += 1;
            }
            if reps >= 2 && best.is_none_or(|(l, r)| len * reps > l * r) {
                best = Some((len, reps));
            }
        }
        match best {
            Some((len, reps)) => {
                loops.push(Loop {
                    agents: agents[i..i + len].iter().map(|a| a.to_string()).collect(),
                    repeats: reps as u64,
                    first_run: i as u64 + 1,
                });
                i += len * reps;
            }
            None => i += 1,
        }
    }
    loops
}

/// Who sent each event: the source of the first span of its id, as a
/// search in file order would find.
fn senders(spans: &Spans) -> FastMap<Option<&str>, Option<&str>> {
    let mut senders = FastMap::default();
    for e in &spans.events {
        senders
            .entry(e.event_id.as_deref())
            .or_insert(e.source.as_deref());
    }
    senders
}

/// The runs `map` lists under `key` (none if it has no such key).
fn runs_of<'m, K, Q>(map: &'m FastMap<K, Vec<usize>>, key: &Q) -> &'m [usize]
where
    K: std::borrow::Borrow<Q> + std::hash::Hash + Eq,
    Q: std::hash::Hash + Eq + ?Sized,
{
    map.get(key).map_or(&[], Vec::as_slice)
}

/// A finished run's place in time: its end, then its closing entry.
type Key = (Option<i128>, Option<u64>);

/// Walks back from the run that ended last: each step's predecessor is a
/// run that routed to its agent and ended before it started, the latest
/// such; when another candidate ran in parallel with the chosen one, the
/// step is marked ambiguous rather than guessed silently.
/// `sources` are the events' [`senders`].
fn critical_path(spans: &Spans, sources: &FastMap<Option<&str>, Option<&str>>) -> CriticalPath {
    // Finished runs in order of (end, end entry); ties keep run order, so
    // the last of equal keys is the one a linear `max_by_key` would pick.
    let mut finished: Vec<(Key, &AgentRun)> = spans
        .runs
        .iter()
        .filter(|r| r.status != RunStatus::Unfinished && r.end.get().is_some())
        .map(|r| ((r.end.instant_nanos(), r.end_index), r))
        .collect();
    finished.sort_by_key(|(key, _)| *key);
    let Some(&(_, last)) = finished.last() else {
        return CriticalPath::default();
    };
    // The finished runs by agent, by agent and route, and by route, each
    // in key order: every step looks up its predecessor instead of
    // searching all runs, which was quadratic on long sessions.
    let mut by_agent: FastMap<&str, Vec<usize>> = FastMap::default();
    let mut by_agent_route: FastMap<(&str, &str), Vec<usize>> = FastMap::default();
    let mut by_route: FastMap<&str, Vec<usize>> = FastMap::default();
    for (i, (_, r)) in finished.iter().enumerate() {
        by_agent.entry(r.agent.as_str()).or_default().push(i);
        if let Some(next) = r.next.as_deref() {
            by_agent_route
                .entry((r.agent.as_str(), next))
                .or_default()
                .push(i);
            by_route.entry(next).or_default().push(i);
        }
    }
    let mut steps: Vec<(&AgentRun, bool)> = vec![(last, false)];
    let mut seen: BTreeSet<u64> = BTreeSet::new();
    let mut current = last;
    while steps.len() <= finished.len() {
        seen.insert(current.end_index.unwrap_or(0));
        let Some(begin) = current
            .start
            .instant_nanos()
            .or(current.end.instant_nanos())
        else {
            break;
        };
        // The candidates of one list: runs that ended by `begin` and are
        // not on the path yet; the latest of them, and whether another
        // candidate overlaps it.
        let latest = |list: &[usize]| -> Option<(usize, bool)> {
            let unseen = |&&i: &&usize| !seen.contains(&finished[i].1.end_index.unwrap_or(0));
            let upto = list.partition_point(|&i| finished[i].0 .0.is_some_and(|e| e <= begin));
            let mut below = list[..upto].iter().rev().filter(unseen);
            let chosen = *below.next()?;
            let chosen_start = {
                let run = finished[chosen].1;
                run.start.instant_nanos().or(run.end.instant_nanos())
            };
            // Candidates are in key order: only the next one down can
            // still be running when the chosen one starts.
            let ambiguous = chosen_start.is_some()
                && below
                    .next()
                    .is_some_and(|&i| finished[i].0 .0 > chosen_start);
            Some((chosen, ambiguous))
        };
        // The event names who sent it: that agent's latest run is the
        // predecessor even without a route (an error router's retry).
        let source = sources.get(&current.event_id.as_deref()).copied().flatten();
        let here = current.agent.as_str();
        let found = match source.map(|src| {
            (
                latest(runs_of(&by_agent_route, &(src, here))),
                latest(runs_of(&by_agent, src)),
            )
        }) {
            // The sender's runs that routed here, else any of its runs.
            Some((Some(routed), _)) => Some(routed),
            Some((None, Some(any))) => Some(any),
            // Nobody named, or the sender never ran before: whoever
            // routed here.
            _ => latest(runs_of(&by_route, here)),
        };
        let Some((chosen, ambiguous)) = found else {
            break;
        };
        let chosen = finished[chosen].1;
        if let Some(last_step) = steps.last_mut() {
            last_step.1 = ambiguous;
        }
        steps.push((chosen, false));
        current = chosen;
    }
    steps.reverse();
    let mut path = CriticalPath::default();
    let mut previous_end: Option<Timestamp> = None;
    for (run, ambiguous) in steps {
        path.steps.push(PathStep {
            run: view(run),
            gap_ms: previous_end.and_then(|p| super::spans::millis_between(p, run.start)),
            ambiguous,
        });
        previous_end = Some(run.end);
    }
    path.ambiguous = path.steps.iter().any(|s| s.ambiguous);
    let first_start = path
        .steps
        .first()
        .and_then(|s| s.run.start.as_deref().or(s.run.end.as_deref()))
        .and_then(|t| Timestamp::parse(t).ok());
    path.duration_ms = first_start.and_then(|s| super::spans::millis_between(s, last.end));
    path
}

/// The whole analysis of one session.
pub fn analyze(
    session: &str,
    summary: &SessionSummary,
    spans: &Spans,
    top: usize,
    file: &str,
) -> Analysis {
    let wall_ms = summary
        .duration()
        .map(|d| d.num_microseconds().map_or(0.0, |us| us as f64 / 1000.0));
    let runs = &spans.runs;
    let per_agent = agent_stats(runs.iter(), wall_ms);
    let ordered = by_time(runs);
    let agents_in_order: Vec<&str> = ordered.iter().map(|r| r.agent.as_str()).collect();
    let mut tokens = Tokens::default();
    let mut models: Vec<String> = Vec::new();
    for r in runs {
        tokens.add(r.tokens);
        if let Some(m) = &r.model {
            if !models.contains(m) {
                models.push(m.clone());
            }
        }
    }
    let mut slowest: Vec<&AgentRun> = runs.iter().filter(|r| r.duration_ms.is_some()).collect();
    slowest.sort_by(|a, b| {
        b.duration_ms
            .unwrap_or(0.0)
            .total_cmp(&a.duration_ms.unwrap_or(0.0))
            .then(a.end_index.cmp(&b.end_index))
    });
    let first_error = ordered
        .iter()
        .position(|r| r.status == RunStatus::Error)
        .map(|i| {
            let failed = ordered[i];
            let after = ordered[..i]
                .iter()
                .rev()
                .find(|r| {
                    r.next.as_deref() == Some(failed.agent.as_str())
                        && r.status != RunStatus::Unfinished
                })
                .map(|r| view(r));
            let retried_by = ordered[i + 1..]
                .iter()
                .find(|r| r.agent == failed.agent)
                .map(|r| view(r));
            ErrorContext {
                run: view(failed),
                after,
                retried_by,
            }
        });
    let count = |kind: HopKind| runs.iter().filter(|r| r.kind == Some(kind)).count() as u64;
    // A retry is routed to itself after an error; an error router that
    // dispatches the agent again without recording a route shows as an
    // event sent by the agent to itself after its failed run.
    // Looked up rather than searched for each failed run: a linear search
    // per run was quadratic (4 s of a 1 GB session's analysis).
    let senders = senders(spans);
    let dispatched_retries = ordered
        .windows(2)
        .filter(|w| {
            let (failed, again) = (w[0], w[1]);
            failed.status == RunStatus::Error
                && failed.kind != Some(HopKind::Retry)
                && again.agent == failed.agent
                && senders.get(&again.event_id.as_deref()).copied().flatten()
                    == Some(again.agent.as_str())
        })
        .count() as u64;
    Analysis {
        session: session.to_string(),
        start: summary
            .start
            .map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
        end: summary
            .end
            .map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
        wall_ms,
        entries: summary.entries,
        events: spans.events.len() as u64,
        runs: runs.len() as u64,
        agents: per_agent.len() as u64,
        errors: runs.iter().filter(|r| r.status == RunStatus::Error).count() as u64,
        retries: count(HopKind::Retry) + dispatched_retries,
        requeues: count(HopKind::Requeue),
        unfinished: runs
            .iter()
            .filter(|r| r.status == RunStatus::Unfinished)
            .count() as u64,
        file: file.to_string(),
        loops: find_loops(&agents_in_order),
        tokens: (!tokens.is_zero()).then_some(tokens),
        models,
        per_agent,
        critical_path: critical_path(spans, &senders),
        slowest: slowest.into_iter().take(top).map(view).collect(),
        first_error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), Some(50.0));
        assert_eq!(percentile(&v, 95.0), Some(95.0));
        assert_eq!(percentile(&v, 99.0), Some(99.0));
        assert_eq!(percentile(&[7.0], 99.0), Some(7.0));
        assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0], 50.0), Some(2.0));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn finds_repeating_agent_sequences() {
        let l = find_loops(&["p", "a", "b", "a", "b", "a", "b", "w"]);
        assert_eq!(l.len(), 1);
        assert_eq!(l[0].agents, ["a", "b"]);
        assert_eq!(l[0].repeats, 3);
        assert_eq!(l[0].first_run, 2);
        assert!(
            find_loops(&["a", "a", "a", "a"]).is_empty(),
            "requeues are not loops"
        );
        assert!(find_loops(&["a", "b", "c"]).is_empty());
    }
}
