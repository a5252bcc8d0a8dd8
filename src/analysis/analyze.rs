//! `trace --analyze`: what made a session slow, wrong or expensive. Asked
//! of paired runs as they come (the parts), or of spans held whole
//! ([`analyze`], which the streamed analysis is tested against);
//! serialized as the documented JSON schema.

use std::collections::BTreeSet;

use super::FastMap;

use chrono::SecondsFormat;
use serde::Serialize;

use super::flow::HopKind;
use super::names::Name;
use super::spans::{millis, AgentRun, RunStatus, Spans, Tokens};
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
#[derive(Debug, Default, Serialize)]
pub struct CriticalPath {
    pub steps: PathSteps,
    pub duration_ms: Option<f64>,
    pub ambiguous: bool,
}

/// The steps of a critical path. An analysis of runs held whole holds
/// them; `trace --analyze` keeps each step's run as a row of about a
/// hundred bytes, made into its [`RunView`] (several hundred) only when
/// the step is written: a long session's path has thousands of steps,
/// and the analysis lists them all.
#[derive(Debug)]
pub enum PathSteps {
    Held(Vec<PathStep>),
    Rows(StepRows),
}

/// A step kept as a row: where its run's row is in [`StepRows::rows`],
/// its gap, whether it is ambiguous, and its run's duration (which the
/// text needs for every step before it writes the first).
#[derive(Debug)]
pub struct StepRow {
    pub at: std::ops::Range<usize>,
    pub gap_ms: Option<f64>,
    pub ambiguous: bool,
    pub duration_ms: Option<f64>,
}

/// Steps kept as rows ([`PathSteps::Rows`]).
#[derive(Debug)]
pub struct StepRows {
    pub steps: Vec<StepRow>,
    pub rows: std::sync::Arc<Vec<u8>>,
    /// Makes a row into its run.
    pub run: fn(&[u8]) -> std::io::Result<RunView>,
}

impl Default for PathSteps {
    fn default() -> Self {
        PathSteps::Held(Vec::new())
    }
}

impl PathSteps {
    pub fn len(&self) -> usize {
        match self {
            PathSteps::Held(steps) => steps.len(),
            PathSteps::Rows(rows) => rows.steps.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The longest run among the steps (0 when none has a duration),
    /// without making steps kept as rows.
    pub fn longest_ms(&self) -> f64 {
        match self {
            PathSteps::Held(steps) => steps
                .iter()
                .filter_map(|s| s.run.duration_ms)
                .fold(0.0, f64::max),
            PathSteps::Rows(rows) => rows
                .steps
                .iter()
                .filter_map(|s| s.duration_ms)
                .fold(0.0, f64::max),
        }
    }

    /// The steps in order, each made now if kept as a row.
    pub fn iter(
        &self,
    ) -> impl Iterator<Item = std::io::Result<std::borrow::Cow<'_, PathStep>>> + '_ {
        use std::borrow::Cow;
        let (held, rows) = match self {
            PathSteps::Held(steps) => (&steps[..], None),
            PathSteps::Rows(rows) => (&[][..], Some(rows)),
        };
        let held = held.iter().map(|step| Ok(Cow::Borrowed(step)));
        let made = rows.into_iter().flat_map(|r| {
            r.steps.iter().map(move |step| {
                let row = r.rows.get(step.at.clone()).ok_or_else(|| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        "internal error: a path step's row",
                    )
                })?;
                Ok(Cow::Owned(PathStep {
                    run: (r.run)(row)?,
                    gap_ms: step.gap_ms,
                    ambiguous: step.ambiguous,
                }))
            })
        });
        held.chain(made)
    }
}

impl Serialize for PathSteps {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeSeq};
        let mut seq = serializer.serialize_seq(Some(self.len()))?;
        for step in self.iter() {
            seq.serialize_element(&*step.map_err(S::Error::custom)?)?;
        }
        seq.end()
    }
}

/// Where an analysis finds the runs it shows ([`Found::shown`]), by
/// place.
pub trait ShownRuns {
    /// The run at `place`, if there is one.
    fn view(&self, place: u64) -> std::io::Result<Option<RunView>>;

    /// The path's steps (place, gap, ambiguous), their runs made now or
    /// kept to be made when written. Made now unless said otherwise.
    fn steps(&self, steps: &[(u64, Option<f64>, bool)]) -> std::io::Result<PathSteps> {
        let mut held = Vec::with_capacity(steps.len());
        for &(place, gap_ms, ambiguous) in steps {
            if let Some(run) = self.view(place)? {
                held.push(PathStep {
                    run,
                    gap_ms,
                    ambiguous,
                });
            }
        }
        Ok(PathSteps::Held(held))
    }
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
#[derive(Debug, Serialize)]
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

/// The nearest rank (from 1) of percentile `p` among `n` values.
fn rank(p: f64, n: u64) -> Option<u64> {
    (n > 0).then(|| (((p / 100.0) * n as f64).ceil() as u64).clamp(1, n))
}

/// What an agent's figures take of its runs' durations, seen from the
/// shortest (by [`f64::total_cmp`]) up: their sum, in that order, the
/// 50th, 95th and 99th percentiles and the longest. Made by the tally
/// from the durations it holds, or fed by a caller that keeps them
/// elsewhere ([`RunTotals::durations_of`]).
#[derive(Debug, Clone, Copy)]
pub struct SortedDurations {
    /// The ranks of the 50th, 95th and 99th percentiles among them all
    /// ([`rank`]), and the durations found there.
    ranks: [Option<u64>; 3],
    percentiles: [Option<f64>; 3],
    seen: u64,
    total: f64,
    max: Option<f64>,
}

impl SortedDurations {
    /// For `count` durations.
    fn new(count: u64) -> Self {
        SortedDurations {
            ranks: [50.0, 95.0, 99.0].map(|p| rank(p, count)),
            percentiles: [None; 3],
            seen: 0,
            total: 0.0,
            max: None,
        }
    }

    /// The next duration, none shorter than the last.
    pub fn push(&mut self, ms: f64) {
        self.seen += 1;
        self.total += ms;
        for (rank, at) in self.ranks.iter().zip(&mut self.percentiles) {
            if *rank == Some(self.seen) {
                *at = Some(ms);
            }
        }
        self.max = Some(ms);
    }
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
/// percentiles, and not even those when they are kept elsewhere
/// ([`RunTotals::with_durations_apart`]).
#[derive(Default)]
pub struct AgentTally {
    agents: Vec<AgentRuns>,
    /// The durations are kept elsewhere: counted, not held.
    durations_apart: bool,
}

struct AgentRuns {
    agent: String,
    all: u64,
    errors: u64,
    /// Of finished runs, when the tally holds them.
    durations: Vec<f64>,
    /// Finished runs with a duration.
    timed: u64,
    /// Their figures, when fed from elsewhere.
    sorted: Option<SortedDurations>,
    finished: u64,
    /// From -0.0, as `Iterator::sum` adds.
    wait_sum: f64,
    waits: u64,
    tokens: Tokens,
}

impl AgentTally {
    /// The figures of `agent`, from none the first time.
    fn agent(&mut self, agent: &str) -> &mut AgentRuns {
        let i = match self.agents.iter().position(|a| a.agent == agent) {
            Some(i) => i,
            None => {
                self.agents.push(AgentRuns {
                    agent: agent.to_string(),
                    all: 0,
                    errors: 0,
                    durations: Vec::new(),
                    timed: 0,
                    sorted: None,
                    finished: 0,
                    wait_sum: -0.0,
                    waits: 0,
                    tokens: Tokens::default(),
                });
                self.agents.len() - 1
            }
        };
        &mut self.agents[i]
    }

    pub fn add(&mut self, run: &AgentRun<'_>) {
        let apart = self.durations_apart;
        let a = self.agent(run.agent);
        a.all += 1;
        if run.status != RunStatus::Unfinished {
            a.finished += 1;
            if let Some(ms) = run.duration_ms {
                a.timed += 1;
                if !apart {
                    a.durations.push(ms);
                }
            }
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

    /// What takes the durations of `agent`'s runs, when they are kept
    /// elsewhere, from the shortest up.
    fn durations_of(&mut self, agent: &str) -> &mut SortedDurations {
        let a = self.agent(agent);
        a.sorted.get_or_insert(SortedDurations::new(a.timed))
    }

    /// Adds the wait of a run of `agent` added without it.
    pub fn add_wait(&mut self, agent: &str, wait_ms: f64) {
        let a = self.agent(agent);
        a.wait_sum += wait_ms;
        a.waits += 1;
    }

    /// Each agent's figures; shares are of `wall_ms` when given.
    pub fn finish(self, wall_ms: Option<f64>) -> Vec<AgentStats> {
        self.agents
            .into_iter()
            .map(|mut a| {
                let d = a.sorted.unwrap_or_else(|| {
                    a.durations.sort_by(f64::total_cmp);
                    let mut d = SortedDurations::new(a.durations.len() as u64);
                    for &ms in &a.durations {
                        d.push(ms);
                    }
                    d
                });
                let total = d.total;
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
                    p50_ms: d.percentiles[0],
                    p95_ms: d.percentiles[1],
                    p99_ms: d.percentiles[2],
                    max_ms: d.max,
                    mean_wait_ms: (a.waits > 0).then(|| a.wait_sum / a.waits as f64),
                    tokens: a.tokens,
                    unfinished: a.all - counted,
                }
            })
            .collect()
    }
}

/// A loop as [`LoopFinder`] finds it.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundLoop<T> {
    pub agents: Vec<T>,
    pub repeats: u64,
    /// Position (from 1) of the loop's first run.
    pub first_run: u64,
}

impl<T> FoundLoop<T> {
    /// The loop as reported, `name` giving each agent's name.
    pub fn named(self, name: impl Fn(&T) -> String) -> Loop {
        Loop {
            agents: self.agents.iter().map(name).collect(),
            repeats: self.repeats,
            first_run: self.first_run,
        }
    }
}

/// Finds loops in agents that come one at a time: from each position, the
/// pattern of two to six agents (not all one agent) repeated back to back
/// over the most runs, if it repeats; past it if found, else on by one.
/// Only what is not decided yet is held: from the position looked from to
/// where every pattern's repeats stop (a few runs, unless a loop goes on).
#[derive(Debug)]
pub struct LoopFinder<T> {
    /// The agents from `position` on.
    ahead: std::collections::VecDeque<T>,
    /// Place (from 0) of the first agent ahead.
    position: u64,
    /// Try again once this many agents are ahead (held back while a
    /// pattern's repeats run on: trying at every agent would go over them
    /// again and again).
    wait_for: usize,
    found: Vec<FoundLoop<T>>,
}

impl<T> Default for LoopFinder<T> {
    fn default() -> Self {
        LoopFinder {
            ahead: Default::default(),
            position: 0,
            wait_for: 0,
            found: Vec::new(),
        }
    }
}

/// Patterns are two to six agents long.
const LOOP_LENGTHS: std::ops::RangeInclusive<usize> = 2..=6;

impl<T: PartialEq + Clone> LoopFinder<T> {
    pub fn push(&mut self, agent: T) {
        self.ahead.push_back(agent);
        if self.ahead.len() >= self.wait_for {
            self.decide(false);
        }
    }

    /// The loops, in order, once every agent is in.
    pub fn finish(mut self) -> Vec<FoundLoop<T>> {
        self.decide(true);
        self.found
    }

    /// Moves on from each position whose answer the agents ahead decide
    /// (all of them: `ended`).
    fn decide(&mut self, ended: bool) {
        loop {
            let n = self.ahead.len();
            // Every length is looked at while more agents may come.
            if n == 0 || (!ended && n < 2 * LOOP_LENGTHS.end()) {
                return;
            }
            let longest = if ended {
                (*LOOP_LENGTHS.end()).min(n / 2)
            } else {
                *LOOP_LENGTHS.end()
            };
            let mut best: Option<(usize, usize)> = None;
            for len in *LOOP_LENGTHS.start()..=longest {
                let at = |i: usize| &self.ahead[i];
                if (1..len).all(|i| at(i) == at(i - 1)) {
                    continue;
                }
                // Whole repeats after the pattern; `None` when the agents
                // ahead end inside one that matches so far.
                let mut reps = 1;
                let decided = loop {
                    let next = reps * len;
                    let known = (next + len).min(n);
                    let matches = (next..known).all(|i| at(i) == at(i - next));
                    if !matches {
                        break true;
                    }
                    if known < next + len {
                        break ended;
                    }
                    reps += 1;
                };
                if !decided {
                    self.wait_for = n * 2;
                    return;
                }
                if reps >= 2 && best.is_none_or(|(l, r)| len * reps > l * r) {
                    best = Some((len, reps));
                }
            }
            let step = match best {
                Some((len, reps)) => {
                    self.found.push(FoundLoop {
                        agents: self.ahead.range(..len).cloned().collect(),
                        repeats: reps as u64,
                        first_run: self.position + 1,
                    });
                    len * reps
                }
                None => 1,
            };
            self.ahead.drain(..step);
            self.position += step as u64;
            self.wait_for = 0;
        }
    }
}

/// A run's rank among the slowest: greater is slower (or earlier on ties:
/// the earlier to end, then the earlier run).
#[derive(Debug)]
struct Rank {
    duration: f64,
    end_index: Option<u64>,
    run: u64,
}

impl Ord for Rank {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.duration
            .total_cmp(&other.duration)
            .then(other.end_index.cmp(&self.end_index))
            .then(other.run.cmp(&self.run))
    }
}

impl PartialOrd for Rank {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Rank {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == std::cmp::Ordering::Equal
    }
}

impl Eq for Rank {}

/// What `--analyze` adds up over runs as they come, in run order (finished
/// runs as they end, then the unfinished ones): counts, tokens, models,
/// per-agent figures, and the slowest runs, kept in a heap of `top`.
pub struct RunTotals {
    tally: AgentTally,
    tokens: Tokens,
    models: Vec<String>,
    runs: u64,
    errors: u64,
    unfinished: u64,
    retries: u64,
    requeues: u64,
    top: usize,
    /// The least of the kept at the top, to be pushed out.
    slowest: std::collections::BinaryHeap<std::cmp::Reverse<Rank>>,
}

impl RunTotals {
    pub fn new(top: usize) -> Self {
        RunTotals {
            tally: AgentTally::default(),
            tokens: Tokens::default(),
            models: Vec::new(),
            runs: 0,
            errors: 0,
            unfinished: 0,
            retries: 0,
            requeues: 0,
            top,
            slowest: Default::default(),
        }
    }

    /// Adds the next run, its place among the runs `place` (from 0).
    pub fn add(&mut self, place: u64, r: &AgentRun<'_>) {
        self.runs += 1;
        self.tally.add(r);
        self.tokens.add(r.tokens);
        if let Some(m) = r.model {
            if !self.models.iter().any(|held| held == m) {
                self.models.push(m.to_string());
            }
        }
        match r.status {
            RunStatus::Error => self.errors += 1,
            RunStatus::Unfinished => self.unfinished += 1,
            RunStatus::Ok => {}
        }
        match r.kind {
            Some(HopKind::Retry) => self.retries += 1,
            Some(HopKind::Requeue) => self.requeues += 1,
            _ => {}
        }
        let Some(duration) = r.duration_ms else {
            return;
        };
        if self.top == 0 {
            return;
        }
        let rank = Rank {
            duration,
            end_index: r.end_index,
            run: place,
        };
        if self.slowest.len() < self.top {
            self.slowest.push(std::cmp::Reverse(rank));
        } else if self.slowest.peek().is_some_and(|least| rank > least.0) {
            self.slowest.pop();
            self.slowest.push(std::cmp::Reverse(rank));
        }
    }

    /// Totals that count runs' durations without holding them: the
    /// caller keeps them, and feeds each agent's from the shortest up
    /// ([`RunTotals::durations_of`]) before the figures are made.
    pub fn with_durations_apart(top: usize) -> Self {
        RunTotals {
            tally: AgentTally {
                agents: Vec::new(),
                durations_apart: true,
            },
            ..RunTotals::new(top)
        }
    }

    /// What takes the durations of the runs of `agent`, from the shortest
    /// up (by [`f64::total_cmp`]), with [`RunTotals::with_durations_apart`].
    pub fn durations_of(&mut self, agent: &str) -> &mut SortedDurations {
        self.tally.durations_of(agent)
    }

    /// Adds the wait of a run of `agent` added without one (its event was
    /// paired later): in the order of the runs, for the same sums.
    pub fn add_wait(&mut self, agent: &str, wait_ms: f64) {
        self.tally.add_wait(agent, wait_ms);
    }

    /// The places of the slowest runs, slowest first.
    pub fn slowest(&self) -> Vec<u64> {
        let mut ranks: Vec<&Rank> = self.slowest.iter().map(|r| &r.0).collect();
        ranks.sort_by(|a, b| b.cmp(a));
        ranks.into_iter().map(|r| r.run).collect()
    }
}

/// A run as the walk in time order reads it.
#[derive(Debug, Clone, Copy)]
pub struct WalkRun {
    /// Its place among the runs (from 0).
    pub place: u64,
    pub agent: Name,
    pub next: Option<Name>,
    pub status: RunStatus,
    pub kind: Option<HopKind>,
    /// Who sent its event.
    pub sender: Option<Name>,
}

/// What `--analyze` reads from runs in time order (see
/// [`super::spans::Spans::by_time`]): loops, the first error with the run
/// that handed over to it and the one that tried again, and retries that
/// an error router dispatched without recording a route.
#[derive(Default)]
pub struct TimeWalk {
    loops: LoopFinder<Name>,
    previous: Option<WalkRun>,
    dispatched: u64,
    /// Before the first error: the last finished run that routed to each
    /// agent.
    routed_to: FastMap<Name, u64>,
    /// The first failed run, its agent, and the run that handed over to it.
    first_error: Option<(u64, Name, Option<u64>)>,
    retried_by: Option<u64>,
}

/// What [`TimeWalk`] found.
pub struct Walked {
    pub loops: Vec<FoundLoop<Name>>,
    /// The first failed run, the run that handed over to it, the next run
    /// of its agent (places).
    pub first_error: Option<(u64, Option<u64>, Option<u64>)>,
    pub dispatched_retries: u64,
}

impl TimeWalk {
    pub fn push(&mut self, run: WalkRun) {
        self.loops.push(run.agent);
        // A retry is routed to itself after an error; an error router that
        // dispatches the agent again without recording a route shows as an
        // event sent by the agent to itself after its failed run.
        if let Some(failed) = self.previous.filter(|p| p.status == RunStatus::Error) {
            if failed.kind != Some(HopKind::Retry)
                && run.agent == failed.agent
                && run.sender == Some(run.agent)
            {
                self.dispatched += 1;
            }
        }
        self.previous = Some(run);
        match self.first_error {
            None if run.status == RunStatus::Error => {
                let after = self.routed_to.get(&run.agent).copied();
                self.first_error = Some((run.place, run.agent, after));
                self.routed_to = FastMap::default();
            }
            None => {
                if let Some(next) = run.next.filter(|_| run.status != RunStatus::Unfinished) {
                    self.routed_to.insert(next, run.place);
                }
            }
            Some((_, agent, _)) => {
                if self.retried_by.is_none() && run.agent == agent {
                    self.retried_by = Some(run.place);
                }
            }
        }
    }

    pub fn finish(self) -> Walked {
        Walked {
            loops: self.loops.finish(),
            first_error: self
                .first_error
                .map(|(failed, _, after)| (failed, after, self.retried_by)),
            dispatched_retries: self.dispatched,
        }
    }
}

/// A finished run as the critical path reads it.
#[derive(Debug, Clone, Copy)]
pub struct PathRun {
    pub end: i128,
    pub end_index: u64,
    /// Its place among the runs (from 0).
    pub place: u64,
    pub start: Option<i128>,
    pub agent: Name,
    pub next: Option<Name>,
    /// Who sent its event.
    pub sender: Option<Name>,
}

impl PathRun {
    /// When the run began, as far as the path is concerned.
    fn begin(&self) -> i128 {
        self.start.unwrap_or(self.end)
    }
}

/// The critical path as places of runs.
#[derive(Debug, Default, PartialEq)]
pub struct PathPlaces {
    /// Each step's run, gap from the step before, and whether another run
    /// could have handed over.
    pub steps: Vec<(u64, Option<f64>, bool)>,
    pub duration_ms: Option<f64>,
}

fn runs_of<'m, K: std::hash::Hash + Eq>(map: &'m FastMap<K, Vec<u32>>, key: &K) -> &'m [u32] {
    map.get(key).map_or(&[], Vec::as_slice)
}

/// Walks back from the run that ended last (of `finished`: runs that
/// ended, with an end time): each step's predecessor is a run that routed
/// to its agent and ended before it started, the latest such; when another
/// candidate ran in parallel with the chosen one, the step is marked
/// ambiguous rather than guessed silently.
pub fn critical_path(mut finished: Vec<PathRun>) -> PathPlaces {
    // In order of (end, end entry); ties keep run order, so the last of
    // equal keys is the one a linear `max_by_key` would pick.
    finished.sort_unstable_by_key(|r| (r.end, r.end_index, r.place));
    let Some(last) = finished.len().checked_sub(1) else {
        return PathPlaces::default();
    };
    let run = |k: usize| &finished[k];
    let ends_by = |k: usize, begin: i128| finished[k].end <= begin;
    // The finished runs by agent, by agent and route, and by route, each
    // in key order: every step looks up its predecessor instead of
    // searching all runs, which was quadratic on long sessions. Each list
    // holds places in `finished` in 4 bytes (there are never 2^32 runs).
    let mut by_agent: FastMap<Name, Vec<u32>> = FastMap::default();
    let mut by_agent_route: FastMap<(Name, Name), Vec<u32>> = FastMap::default();
    let mut by_route: FastMap<Name, Vec<u32>> = FastMap::default();
    for (k, r) in (0u32..).zip(&finished) {
        by_agent.entry(r.agent).or_default().push(k);
        if let Some(next) = r.next {
            by_agent_route.entry((r.agent, next)).or_default().push(k);
            by_route.entry(next).or_default().push(k);
        }
    }
    let mut steps: Vec<(usize, bool)> = vec![(last, false)];
    // Runs on the path, by their closing entries.
    let mut seen: BTreeSet<u64> = BTreeSet::new();
    let mut current = last;
    while steps.len() <= finished.len() {
        seen.insert(run(current).end_index);
        let begin = run(current).begin();
        // The candidates of one list: runs that ended by `begin` and are
        // not on the path yet; the latest of them, and whether another
        // candidate overlaps it.
        let latest = |list: &[u32]| -> Option<(usize, bool)> {
            let unseen = |&&i: &&u32| !seen.contains(&finished[i as usize].end_index);
            let upto = list.partition_point(|&i| ends_by(i as usize, begin));
            let mut below = list[..upto].iter().rev().filter(unseen);
            let chosen = *below.next()? as usize;
            let chosen_start = run(chosen).begin();
            // Candidates are in key order: only the next one down can
            // still be running when the chosen one starts.
            let ambiguous = below
                .next()
                .is_some_and(|&i| finished[i as usize].end > chosen_start);
            Some((chosen, ambiguous))
        };
        // The event names who sent it: that agent's latest run is the
        // predecessor even without a route (an error router's retry).
        let here = run(current).agent;
        let found = match run(current).sender.map(|src| {
            (
                latest(runs_of(&by_agent_route, &(src, here))),
                latest(runs_of(&by_agent, &src)),
            )
        }) {
            // The sender's runs that routed here, else any of its runs.
            Some((Some(routed), _)) => Some(routed),
            Some((None, Some(any))) => Some(any),
            // Nobody named, or the sender never ran before: whoever
            // routed here.
            _ => latest(runs_of(&by_route, &here)),
        };
        let Some((chosen, ambiguous)) = found else {
            break;
        };
        if let Some(last_step) = steps.last_mut() {
            last_step.1 = ambiguous;
        }
        steps.push((chosen, false));
        current = chosen;
    }
    let steps: Vec<(PathRun, bool)> = steps
        .into_iter()
        .map(|(k, ambiguous)| (finished[k], ambiguous))
        .collect();
    path_places(steps)
}

/// The path's places, gaps and length from its steps, last first.
fn path_places(mut steps: Vec<(PathRun, bool)>) -> PathPlaces {
    steps.reverse();
    let mut previous_end: Option<i128> = None;
    let mut path = PathPlaces {
        steps: Vec::with_capacity(steps.len()),
        duration_ms: None,
    };
    for (r, ambiguous) in &steps {
        let gap = previous_end.zip(r.start).map(|(p, s)| millis(p, s));
        path.steps.push((r.place, gap, *ambiguous));
        previous_end = Some(r.end);
    }
    path.duration_ms = steps
        .first()
        .zip(steps.last())
        .map(|((first, _), (last, _))| millis(first.begin(), last.end));
    path
}

/// A list of candidates for the step before a run: runs of an agent, runs
/// of an agent that routed to another, or runs that routed to an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum PathList {
    Agent(Name),
    AgentRoute(Name, Name),
    Route(Name),
}

impl PathList {
    fn has(self, r: &PathRun) -> bool {
        match self {
            PathList::Agent(a) => r.agent == a,
            PathList::AgentRoute(a, n) => r.agent == a && r.next == Some(n),
            PathList::Route(n) => r.next == Some(n),
        }
    }
}

/// What the critical path knows of the finished runs before it reads
/// them from the last: how many there are, and each list's earliest end.
#[derive(Debug, Default)]
pub struct PathLists {
    earliest: FastMap<PathList, i128>,
    count: usize,
}

impl PathLists {
    /// A finished run of `agent` that routed to `next` and ended at `end`.
    pub fn add(&mut self, agent: Name, next: Option<Name>, end: i128) {
        self.count += 1;
        let lists = [
            Some(PathList::Agent(agent)),
            next.map(|n| PathList::AgentRoute(agent, n)),
            next.map(PathList::Route),
        ];
        for list in lists.into_iter().flatten() {
            let earliest = self.earliest.entry(list).or_insert(end);
            *earliest = (*earliest).min(end);
        }
    }

    /// Whether `list` has a run that ended by `begin`.
    fn reaches(&self, list: PathList, begin: i128) -> bool {
        self.earliest.get(&list).is_some_and(|&end| end <= begin)
    }
}

/// [`critical_path`] over finished runs that `next` gives from the last
/// to end (descending (end, end entry, place)), holding only the runs
/// between a step and the one before it: each step's predecessor ended
/// before it began, so the walk back only goes down. `None` when the
/// runs' times make it go up (a run that began after it ended), or when
/// more than `window` runs would have to be held to find a step: then
/// [`critical_path`] over all of them answers.
pub fn critical_path_from_last<E>(
    lists: &PathLists,
    next: &mut dyn FnMut() -> Result<Option<PathRun>, E>,
    window: usize,
) -> Result<Option<PathPlaces>, E> {
    let mut w = Window {
        runs: Default::default(),
        next,
        ended: false,
        cap: window.max(1),
    };
    match walk_back(lists, &mut w) {
        Ok(places) => Ok(Some(places)),
        Err(Stop::Whole) => Ok(None),
        Err(Stop::Failed(e)) => Err(e),
    }
}

/// The runs [`critical_path_from_last`] has read and not yet left
/// behind, last to end first.
struct Window<'n, E> {
    runs: std::collections::VecDeque<PathRun>,
    next: &'n mut dyn FnMut() -> Result<Option<PathRun>, E>,
    ended: bool,
    cap: usize,
}

/// Why the walk back stops short.
enum Stop<E> {
    /// The window cannot answer: [`critical_path`] over every run does.
    Whole,
    /// Reading the runs failed.
    Failed(E),
}

impl<E> Window<'_, E> {
    /// The run at `i`, reading as many more as that takes; `None` past
    /// the last.
    fn get(&mut self, i: usize) -> Result<Option<PathRun>, Stop<E>> {
        while i >= self.runs.len() {
            if self.ended {
                return Ok(None);
            }
            match (self.next)().map_err(Stop::Failed)? {
                Some(_) if self.runs.len() >= self.cap => return Err(Stop::Whole),
                Some(r) => self.runs.push_back(r),
                None => self.ended = true,
            }
        }
        Ok(Some(self.runs[i]))
    }
}

/// The walk of [`critical_path_from_last`].
fn walk_back<E>(lists: &PathLists, w: &mut Window<'_, E>) -> Result<PathPlaces, Stop<E>> {
    let Some(mut current) = w.get(0)? else {
        return Ok(PathPlaces::default());
    };
    let mut steps: Vec<(PathRun, bool)> = vec![(current, false)];
    let mut seen: BTreeSet<u64> = BTreeSet::new();
    // The earliest end among runs left behind.
    let mut left_behind: Option<i128> = None;
    while steps.len() <= lists.count {
        seen.insert(current.end_index);
        let begin = current.begin();
        if left_behind.is_some_and(|end| end <= begin) {
            return Err(Stop::Whole);
        }
        let here = current.agent;
        let lists_in_order = match current.sender {
            Some(src) => [
                Some(PathList::AgentRoute(src, here)),
                Some(PathList::Agent(src)),
                Some(PathList::Route(here)),
            ],
            None => [Some(PathList::Route(here)), None, None],
        };
        let mut found = None;
        for list in lists_in_order.into_iter().flatten() {
            if !lists.reaches(list, begin) {
                continue;
            }
            let candidate = |r: &PathRun| list.has(r) && !seen.contains(&r.end_index);
            // The latest candidate that ended by `begin` (runs read just
            // now may still have ended after it).
            let mut at = w.runs.partition_point(|r| r.end > begin);
            let chosen = loop {
                let Some(r) = w.get(at)? else {
                    break None;
                };
                if r.end <= begin && candidate(&r) {
                    break Some((at, r));
                }
                at += 1;
            };
            let Some((chosen, chosen_run)) = chosen else {
                continue;
            };
            // Whether the next candidate down was still running when the
            // chosen one began.
            let chosen_begin = chosen_run.begin();
            let mut below = chosen + 1;
            let ambiguous = loop {
                let Some(r) = w.get(below)? else {
                    break false;
                };
                if r.end <= chosen_begin {
                    break false;
                }
                if candidate(&r) {
                    break true;
                }
                below += 1;
            };
            found = Some((chosen_run, ambiguous));
            break;
        }
        let Some((chosen_run, ambiguous)) = found else {
            break;
        };
        if let Some(last_step) = steps.last_mut() {
            last_step.1 = ambiguous;
        }
        current = chosen_run;
        steps.push((current, false));
        // Runs that ended after the new step began are no candidates
        // from here on, unless a step begins later than it ends (checked
        // above).
        let begin = current.begin();
        while let Some(front) = w.runs.front().filter(|r| r.end > begin) {
            left_behind = Some(front.end);
            w.runs.pop_front();
        }
    }
    Ok(path_places(steps))
}

/// What `--analyze` found about a session's runs, before its runs are
/// read again for what it reports of them.
pub struct Found {
    pub totals: RunTotals,
    pub walked: Walked,
    pub path: PathPlaces,
    pub events: u64,
}

impl Found {
    /// The places of the runs the analysis shows, ascending, each once (a
    /// run can be among the slowest and on the path).
    pub fn shown(&self) -> Vec<u64> {
        let mut places = self.totals.slowest();
        places.extend(self.path.steps.iter().map(|s| s.0));
        if let Some((failed, after, retried)) = self.walked.first_error {
            places.extend([Some(failed), after, retried].into_iter().flatten());
        }
        places.sort_unstable();
        places.dedup();
        places
    }

    /// The analysis, `shown` giving the runs [`Found::shown`] lists and
    /// `name` the agents' names.
    pub fn analysis(
        self,
        session: &str,
        summary: &SessionSummary,
        file: &str,
        shown: &impl ShownRuns,
        name: impl Fn(Name) -> String,
    ) -> std::io::Result<Analysis> {
        let wall_ms = summary
            .duration()
            .map(|d| d.num_microseconds().map_or(0.0, |us| us as f64 / 1000.0));
        let t = self.totals;
        let slowest = t.slowest();
        let per_agent = t.tally.finish(wall_ms);
        let ambiguous = self.path.steps.iter().any(|s| s.2);
        let steps = shown.steps(&self.path.steps)?;
        let mut views = Vec::with_capacity(slowest.len());
        for place in slowest {
            views.extend(shown.view(place)?);
        }
        let view = |place: Option<u64>| place.map_or(Ok(None), |p| shown.view(p));
        let first_error = match self.walked.first_error {
            Some((failed, after, retried)) => match view(Some(failed))? {
                Some(run) => Some(ErrorContext {
                    run,
                    after: view(after)?,
                    retried_by: view(retried)?,
                }),
                None => None,
            },
            None => None,
        };
        Ok(Analysis {
            session: session.to_string(),
            start: summary.start.and_then(|t| rfc3339(Timestamp::At(t))),
            end: summary.end.and_then(|t| rfc3339(Timestamp::At(t))),
            wall_ms,
            entries: summary.entries,
            events: self.events,
            runs: t.runs,
            agents: per_agent.len() as u64,
            errors: t.errors,
            retries: t.retries + self.walked.dispatched_retries,
            requeues: t.requeues,
            unfinished: t.unfinished,
            file: file.to_string(),
            loops: self
                .walked
                .loops
                .into_iter()
                .map(|l| l.named(|&agent| name(agent)))
                .collect(),
            tokens: (!t.tokens.is_zero()).then_some(t.tokens),
            models: t.models,
            per_agent,
            critical_path: CriticalPath {
                ambiguous,
                steps,
                duration_ms: self.path.duration_ms,
            },
            slowest: views,
            first_error,
        })
    }
}

/// The whole analysis of one session, from spans held whole (the
/// streaming analysis of `trace --analyze` must agree with it).
pub fn analyze(
    session: &str,
    summary: &SessionSummary,
    spans: &Spans,
    top: usize,
    file: &str,
) -> std::io::Result<Analysis> {
    let mut totals = RunTotals::new(top);
    for (place, run) in (0u64..).zip(spans.runs()) {
        totals.add(place, &run);
    }
    let mut walk = TimeWalk::default();
    let mut finished = Vec::new();
    for i in spans.by_time() {
        let run = spans.run(i);
        let sender = spans.run_sender(i);
        walk.push(WalkRun {
            place: i as u64,
            agent: spans.run_agent(i),
            next: spans.run_next(i),
            status: run.status,
            kind: run.kind,
            sender,
        });
        if run.status == RunStatus::Unfinished {
            continue;
        }
        if let (Some(end), Some(end_index)) = (run.end.instant_nanos(), run.end_index) {
            finished.push(PathRun {
                end,
                end_index,
                place: i as u64,
                start: run.start.instant_nanos(),
                agent: spans.run_agent(i),
                next: spans.run_next(i),
                sender,
            });
        }
    }
    let found = Found {
        totals,
        walked: walk.finish(),
        path: critical_path(finished),
        events: spans.events().len() as u64,
    };
    struct Held<'s>(&'s Spans);
    impl ShownRuns for Held<'_> {
        fn view(&self, place: u64) -> std::io::Result<Option<RunView>> {
            let run = usize::try_from(place).ok().map(|i| self.0.run(i));
            Ok(run.map(|r| view(&r)))
        }
    }
    found.analysis(session, summary, file, &Held(spans), |name| {
        spans.name(name).to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The nearest-rank percentile `p` (0..=100) of sorted values, worked
    /// out on its own (the analysis takes its percentiles from
    /// [`SortedDurations`], fed one duration at a time).
    fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
        if sorted.is_empty() {
            return None;
        }
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        Some(sorted[rank.clamp(1, sorted.len()) - 1])
    }

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
        /// Durations fed from the shortest up give the nearest-rank
        /// percentiles, the longest and the sum in that order of all of
        /// them sorted.
        #[test]
        fn sorted_durations_match_the_whole_sorted_list(
            mut durations in proptest::collection::vec(
                proptest::prop_oneof![
                    0.0f64..5.0,
                    proptest::strategy::Strategy::prop_map(0u32..6, f64::from)
                ],
                0..300,
            ),
        ) {
            durations.sort_by(f64::total_cmp);
            let mut fed = SortedDurations::new(durations.len() as u64);
            for &ms in &durations {
                fed.push(ms);
            }
            let want = [50.0, 95.0, 99.0].map(|p| percentile(&durations, p));
            proptest::prop_assert_eq!(fed.percentiles, want);
            proptest::prop_assert_eq!(fed.max, durations.last().copied());
            let total = durations.iter().fold(0.0, |a, b| a + b);
            proptest::prop_assert_eq!(fed.total.to_bits(), total.to_bits());
        }

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
            let mut totals = RunTotals::new(top);
            for (place, run) in (0u64..).zip(spans.runs()) {
                totals.add(place, &run);
            }
            let all: Vec<u64> = all.into_iter().map(|i| i as u64).collect();
            proptest::prop_assert_eq!(totals.slowest(), all);
        }
    }

    /// Loops found over the whole sequence at once, as they were before
    /// agents came one at a time.
    fn loops_of_whole(agents: &[u8]) -> Vec<(Vec<u8>, u64, u64)> {
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
                    loops.push((agents[i..i + len].to_vec(), reps as u64, i as u64 + 1));
                    i += len * reps;
                }
                None => i += 1,
            }
        }
        loops
    }

    proptest::proptest! {
        /// Agents fed one at a time give the loops the whole sequence
        /// gives: random runs of few agents, with patterns repeated long.
        #[test]
        fn loops_found_one_agent_at_a_time_match_the_whole(
            parts in proptest::collection::vec(
                (proptest::collection::vec(0u8..4, 1..7), 1usize..40),
                0..12,
            ),
        ) {
            let agents: Vec<u8> = parts
                .iter()
                .flat_map(|(pattern, reps)| pattern.repeat(*reps))
                .collect();
            let mut finder = LoopFinder::default();
            for &a in &agents {
                finder.push(a);
            }
            let got: Vec<(Vec<u8>, u64, u64)> = finder
                .finish()
                .into_iter()
                .map(|l| (l.agents, l.repeats, l.first_run))
                .collect();
            proptest::prop_assert_eq!(got, loops_of_whole(&agents));
        }
    }

    proptest::proptest! {
        /// The walk back from the last run, holding few runs, finds the
        /// path the search over all runs finds, or says it cannot (and
        /// never cannot when runs begin before they end and all may be
        /// held).
        #[test]
        fn the_path_read_from_the_last_run_is_the_path_over_all_runs(
            runs in proptest::collection::vec(
                (0i128..40, proptest::option::weighted(0.8, 0i128..12), 0u32..4,
                 proptest::option::of(1u32..5), proptest::option::of(1u32..5)),
                0..40,
            ),
            window in 1usize..50,
            sane in proptest::bool::ANY,
        ) {
            let name = |n: u32| Name::from_number(n).unwrap();
            let finished: Vec<PathRun> = runs
                .iter()
                .enumerate()
                .map(|(i, &(end, took, agent, next, sender))| PathRun {
                    end,
                    end_index: i as u64 * 3 + 1,
                    place: i as u64,
                    // Sane runs begin by their end; others may not.
                    start: took.map(|t| if sane { end - t } else { end + 6 - t }),
                    agent: name(agent + 1),
                    next: next.map(name),
                    sender: sender.map(name),
                })
                .collect();
            let want = critical_path(finished.clone());
            let mut lists = PathLists::default();
            for r in &finished {
                lists.add(r.agent, r.next, r.end);
            }
            let mut last_first = finished.clone();
            last_first.sort_by_key(|r| std::cmp::Reverse((r.end, r.end_index, r.place)));
            let mut rows = last_first.into_iter();
            let got = critical_path_from_last::<()>(&lists, &mut || Ok(rows.next()), window)
                .unwrap();
            if let Some(got) = &got {
                proptest::prop_assert_eq!(got, &want);
            }
            if sane && window >= finished.len() {
                proptest::prop_assert!(got.is_some());
            }
        }
    }

    /// Runs of agents that repeat, in `agents` (in time order).
    fn find_loops<T: PartialEq + Clone>(agents: &[T], name: impl Fn(&T) -> String) -> Vec<Loop> {
        let mut finder = LoopFinder::default();
        for agent in agents {
            finder.push(agent.clone());
        }
        let found = finder.finish();
        found.into_iter().map(|l| l.named(&name)).collect()
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
