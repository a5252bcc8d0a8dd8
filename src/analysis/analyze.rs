//! `trace --analyze`: what made a session slow, wrong or expensive. Built
//! from paired spans; serialized as the documented JSON schema.

use std::collections::BTreeSet;

use super::FastMap;

use chrono::SecondsFormat;
use serde::Serialize;

use super::flow::HopKind;
use super::names::Name;
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

pub fn view(run: &AgentRun<'_>) -> RunView {
    RunView {
        agent: run.agent.to_string(),
        event_id: run.event_id.map(str::to_string),
        start: rfc3339(run.start),
        end: rfc3339(run.end),
        duration_ms: run.duration_ms,
        status: run.status,
        error: run.error.map(str::to_string),
        next: run.next.map(str::to_string),
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
    runs: impl IntoIterator<Item = AgentRun<'a>>,
    wall_ms: Option<f64>,
) -> Vec<AgentStats> {
    let mut tally = AgentTally::default();
    for run in runs {
        tally.add(&run);
    }
    tally.finish(wall_ms)
}

/// Runs added up by agent as they come, in order of each agent's first
/// run, for [`agent_stats`]: a long session (or `stats` over many) has
/// tens of thousands of runs; only their durations are kept, for the
/// percentiles.
#[derive(Default)]
pub struct AgentTally {
    agents: Vec<AgentRuns>,
}

struct AgentRuns {
    agent: String,
    all: u64,
    errors: u64,
    /// Of finished runs.
    durations: Vec<f64>,
    finished: u64,
    /// From -0.0, as `Iterator::sum` adds.
    wait_sum: f64,
    waits: u64,
    tokens: Tokens,
}

impl AgentTally {
    pub fn add(&mut self, run: &AgentRun<'_>) {
        let i = match self.agents.iter().position(|a| a.agent == run.agent) {
            Some(i) => i,
            None => {
                self.agents.push(AgentRuns {
                    agent: run.agent.to_string(),
                    all: 0,
                    errors: 0,
                    durations: Vec::new(),
                    finished: 0,
                    wait_sum: -0.0,
                    waits: 0,
                    tokens: Tokens::default(),
                });
                self.agents.len() - 1
            }
        };
        let a = &mut self.agents[i];
        a.all += 1;
        if run.status != RunStatus::Unfinished {
            a.finished += 1;
            a.durations.extend(run.duration_ms);
        }
        if run.status == RunStatus::Error {
            a.errors += 1;
        }
        if let Some(w) = run.wait_ms {
            a.wait_sum += w;
            a.waits += 1;
        }
        a.tokens.add(run.tokens);
    }

    /// Each agent's figures; shares are of `wall_ms` when given.
    pub fn finish(self, wall_ms: Option<f64>) -> Vec<AgentStats> {
        self.agents
            .into_iter()
            .map(|mut a| {
                a.durations.sort_by(f64::total_cmp);
                let durations = a.durations;
                // An empty f64 sum is -0.0.
                let total: f64 = durations.iter().fold(0.0, |a, b| a + b);
                let (errors, counted) = (a.errors, a.finished);
                AgentStats {
                    agent: a.agent,
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
                    mean_wait_ms: (a.waits > 0).then(|| a.wait_sum / a.waits as f64),
                    tokens: a.tokens,
                    unfinished: a.all - counted,
                }
            })
            .collect()
    }
}

/// Runs of agents that repeat (two to six agents, twice or more), in
/// `agents` (the agents of the runs in time order, as anything that
/// compares; `name` gives each one's name).
pub fn find_loops<T: PartialEq>(agents: &[T], name: impl Fn(&T) -> String) -> Vec<Loop> {
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
                    agents: agents[i..i + len].iter().map(&name).collect(),
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

/// The `top` runs with the longest durations (ties: the earlier to end,
/// then the earlier run), longest first: kept in a heap of `top`, not
/// sorted among all runs.
fn slowest(spans: &Spans, top: usize) -> Vec<usize> {
    use std::cmp::{Ordering, Reverse};
    /// A run's rank: greater is slower (or earlier on ties).
    struct Rank {
        duration: f64,
        end_index: Option<u64>,
        run: usize,
    }
    impl Ord for Rank {
        fn cmp(&self, other: &Self) -> Ordering {
            self.duration
                .total_cmp(&other.duration)
                .then(other.end_index.cmp(&self.end_index))
                .then(other.run.cmp(&self.run))
        }
    }
    impl PartialOrd for Rank {
        fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
            Some(self.cmp(other))
        }
    }
    impl PartialEq for Rank {
        fn eq(&self, other: &Self) -> bool {
            self.cmp(other) == Ordering::Equal
        }
    }
    impl Eq for Rank {}
    if top == 0 {
        return Vec::new();
    }
    // The least of the kept at the top, to be pushed out.
    let mut kept: std::collections::BinaryHeap<Reverse<Rank>> = Default::default();
    for (run, r) in spans.runs().enumerate() {
        let Some(duration) = r.duration_ms else {
            continue;
        };
        let rank = Rank {
            duration,
            end_index: r.end_index,
            run,
        };
        if kept.len() < top {
            kept.push(Reverse(rank));
        } else if kept.peek().is_some_and(|least| rank > least.0) {
            kept.pop();
            kept.push(Reverse(rank));
        }
    }
    // Ascending Reverse is descending rank.
    kept.into_sorted_vec()
        .into_iter()
        .map(|r| r.0.run)
        .collect()
}

fn runs_of<'m, K, Q>(map: &'m FastMap<K, Vec<u32>>, key: &Q) -> &'m [u32]
where
    K: std::borrow::Borrow<Q> + std::hash::Hash + Eq,
    Q: std::hash::Hash + Eq + ?Sized,
{
    map.get(key).map_or(&[], Vec::as_slice)
}

/// Walks back from the run that ended last: each step's predecessor is a
/// run that routed to its agent and ended before it started, the latest
/// such; when another candidate ran in parallel with the chosen one, the
/// step is marked ambiguous rather than guessed silently.
fn critical_path(spans: &Spans) -> CriticalPath {
    // Finished runs, by their places in `spans` (a long session has tens
    // of thousands: no key or copy is held per run), in order of (end,
    // end entry); ties keep run order, so the last of equal keys is the
    // one a linear `max_by_key` would pick.
    let end_of = |i: usize| spans.run_end(i);
    let ended = |&i: &usize| spans.run_status(i) != RunStatus::Unfinished && end_of(i).0.is_some();
    let all = 0..spans.runs().len();
    let mut finished: Vec<usize> = Vec::with_capacity(all.clone().filter(ended).count());
    finished.extend(all.filter(ended));
    // The place is the last thing compared, so an unstable sort (no
    // scratch copy) gives the stable order; runs come nearly in order of
    // end, so few keys are worked out.
    finished.sort_unstable_by_key(|&i| (end_of(i), i));
    let run = |k: usize| spans.run(finished[k]);
    let ends_by = |k: usize, begin: i128| end_of(finished[k]).0.is_some_and(|e| e <= begin);
    let Some(last) = finished.len().checked_sub(1) else {
        return CriticalPath::default();
    };
    // The finished runs by agent, by agent and route, and by route, each
    // in key order: every step looks up its predecessor instead of
    // searching all runs, which was quadratic on long sessions. Each list
    // holds places in `finished` in 4 bytes (a run record takes 120: there
    // are never 2^32 of them).
    let mut by_agent: FastMap<&str, Vec<u32>> = FastMap::default();
    let mut by_agent_route: FastMap<(&str, &str), Vec<u32>> = FastMap::default();
    let mut by_route: FastMap<&str, Vec<u32>> = FastMap::default();
    for (k, &i) in (0u32..).zip(&finished) {
        let (agent, next) = spans.run_route(i);
        by_agent.entry(agent).or_default().push(k);
        if let Some(next) = next {
            by_agent_route.entry((agent, next)).or_default().push(k);
            by_route.entry(next).or_default().push(k);
        }
    }
    // Places in `finished` (a run read whole is a few hundred bytes, and a
    // path can be thousands of runs long).
    let mut steps: Vec<(usize, bool)> = vec![(last, false)];
    let mut seen: BTreeSet<u64> = BTreeSet::new();
    let mut current = run(last);
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
        let latest = |list: &[u32]| -> Option<(usize, bool)> {
            let unseen = |&&i: &&u32| !seen.contains(&end_of(finished[i as usize]).1.unwrap_or(0));
            let upto = list.partition_point(|&i| ends_by(i as usize, begin));
            let mut below = list[..upto].iter().rev().filter(unseen);
            let chosen = *below.next()? as usize;
            let chosen_start = {
                let run = run(chosen);
                run.start.instant_nanos().or(run.end.instant_nanos())
            };
            // Candidates are in key order: only the next one down can
            // still be running when the chosen one starts.
            let ambiguous = chosen_start.is_some_and(|start| {
                below
                    .next()
                    .is_some_and(|&i| end_of(finished[i as usize]).0 > Some(start))
            });
            Some((chosen, ambiguous))
        };
        // The event names who sent it: that agent's latest run is the
        // predecessor even without a route (an error router's retry).
        let source = spans.sender(current.event_id);
        let here = current.agent;
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
        if let Some(last_step) = steps.last_mut() {
            last_step.1 = ambiguous;
        }
        steps.push((chosen, false));
        current = run(chosen);
    }
    steps.reverse();
    let mut path = CriticalPath {
        steps: Vec::with_capacity(steps.len()),
        ..CriticalPath::default()
    };
    let mut previous_end: Option<Timestamp> = None;
    for (step, ambiguous) in steps {
        let run = run(step);
        path.steps.push(PathStep {
            run: view(&run),
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
    path.duration_ms = first_start.and_then(|s| super::spans::millis_between(s, run(last).end));
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
    let per_agent = agent_stats(spans.runs(), wall_ms);
    let ordered = spans.by_time();
    // Agents by the number their name already has (4 bytes a run rather
    // than a 16-byte string).
    let agents_in_order: Vec<Name> = ordered.iter().map(|&i| spans.run_agent(i)).collect();
    // The totals, in one pass over the runs.
    let mut tokens = Tokens::default();
    let mut models: Vec<String> = Vec::new();
    let (mut errors, mut unfinished, mut retries, mut requeues) = (0, 0, 0, 0);
    for r in spans.runs() {
        tokens.add(r.tokens);
        if let Some(m) = r.model {
            if !models.iter().any(|held| held == m) {
                models.push(m.to_string());
            }
        }
        match r.status {
            RunStatus::Error => errors += 1,
            RunStatus::Unfinished => unfinished += 1,
            RunStatus::Ok => {}
        }
        match r.kind {
            Some(HopKind::Retry) => retries += 1,
            Some(HopKind::Requeue) => requeues += 1,
            _ => {}
        }
    }
    let slowest = slowest(spans, top);
    let first_error = ordered
        .iter()
        .position(|&i| spans.run_status(i) == RunStatus::Error)
        .map(|i| {
            let failed = spans.run(ordered[i]);
            let after = ordered[..i]
                .iter()
                .map(|&j| spans.run(j))
                .rev()
                .find(|r| r.next == Some(failed.agent) && r.status != RunStatus::Unfinished)
                .map(|r| view(&r));
            let retried_by = ordered[i + 1..]
                .iter()
                .map(|&j| spans.run(j))
                .find(|r| r.agent == failed.agent)
                .map(|r| view(&r));
            ErrorContext {
                run: view(&failed),
                after,
                retried_by,
            }
        });
    // A retry is routed to itself after an error; an error router that
    // dispatches the agent again without recording a route shows as an
    // event sent by the agent to itself after its failed run.
    // Looked up rather than searched for each failed run: a linear search
    // per run was quadratic (4 s of a 1 GB session's analysis).
    let dispatched_retries = ordered
        .windows(2)
        .filter(|w| {
            if spans.run_status(w[0]) != RunStatus::Error {
                return false;
            }
            let (failed, again) = (spans.run(w[0]), spans.run(w[1]));
            failed.kind != Some(HopKind::Retry)
                && again.agent == failed.agent
                && spans.sender(again.event_id) == Some(again.agent)
        })
        .count() as u64;
    Analysis {
        session: session.to_string(),
        start: summary.start.and_then(|t| rfc3339(Timestamp::At(t))),
        end: summary.end.and_then(|t| rfc3339(Timestamp::At(t))),
        wall_ms,
        entries: summary.entries,
        events: spans.events().len() as u64,
        runs: spans.runs().len() as u64,
        agents: per_agent.len() as u64,
        errors,
        retries: retries + dispatched_retries,
        requeues,
        unfinished,
        file: file.to_string(),
        loops: find_loops(&agents_in_order, |&a| spans.name(a).to_string()),
        tokens: (!tokens.is_zero()).then_some(tokens),
        models,
        per_agent,
        critical_path: critical_path(spans),
        slowest: slowest.iter().map(|&i| view(&spans.run(i))).collect(),
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

    proptest::proptest! {
        /// The runs kept in a heap of `top` are the first `top` of all
        /// runs sorted by duration (longest first), then end entry, then
        /// run order, as a stable sort of every run gave.
        #[test]
        fn slowest_matches_a_sort_of_every_run(
            durations in proptest::collection::vec(proptest::option::of(0i64..5), 0..40),
            top in 0usize..12,
        ) {
            use crate::model::{AgentResult, Entry, Hook};
            let mut builder = crate::analysis::spans::SpanBuilder::default();
            for (i, d) in durations.iter().enumerate() {
                builder.push(&Entry {
                    index: i as u64 + 1,
                    hook: Hook::AfterAgentRun,
                    agent_id: Some(format!("agent{}", i % 3).into()),
                    event_id: Some(format!("e{i}").into()),
                    result: Some(AgentResult {
                        duration_ms: *d,
                        ..AgentResult::default()
                    }),
                    ..Entry::default()
                });
            }
            let spans = builder.finish();
            let mut all: Vec<usize> = (0..spans.runs().len())
                .filter(|&i| spans.run(i).duration_ms.is_some())
                .collect();
            all.sort_by(|&a, &b| {
                let (a, b) = (spans.run(a), spans.run(b));
                b.duration_ms
                    .unwrap_or(0.0)
                    .total_cmp(&a.duration_ms.unwrap_or(0.0))
                    .then(a.end_index.cmp(&b.end_index))
            });
            all.truncate(top);
            proptest::prop_assert_eq!(slowest(&spans, top), all);
        }
    }

    #[test]
    fn finds_repeating_agent_sequences() {
        let l = find_loops(&["p", "a", "b", "a", "b", "a", "b", "w"], |a| a.to_string());
        assert_eq!(l.len(), 1);
        assert_eq!(l[0].agents, ["a", "b"]);
        assert_eq!(l[0].repeats, 3);
        assert_eq!(l[0].first_run, 2);
        assert!(
            find_loops(&["a", "a", "a", "a"], |a| a.to_string()).is_empty(),
            "requeues are not loops"
        );
        assert!(find_loops(&["a", "b", "c"], |a| a.to_string()).is_empty());
    }
}
