//! Span pairing: agent runs (BeforeAgentRun with AfterAgentRun or
//! AgentError of the same event and agent) and events (BeforeEventHandling
//! with AfterEventHandling), with durations, waits and token usage.
//!
//! The route orchestrator logs BeforeAgentRun twice for one run: the second
//! is folded into the first. Go's zero time is never used as a time.

use super::{FastMap, Hash128};

use serde::Serialize;
use serde_json::Value;

use super::flow::HopKind;
use super::names::{Name, Names};
use crate::input::fast::Pair;
use crate::input::{Payloads, Prepare};
use crate::model::{Entry, Hook, RawJson, Timestamp};

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

/// One agent run, as the analyses read it (from [`Spans::runs`]). Pairing
/// hands it to a [`RunSink`] with its agent and input state as [`Name`]s
/// (`N`), the other strings borrowed from the entry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AgentRun<'a, N = &'a str> {
    pub agent: N,
    pub event_id: Option<&'a str>,
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
    pub error: Option<&'a str>,
    pub next: Option<&'a str>,
    pub kind: Option<HopKind>,
    pub tokens: Tokens,
    pub model: Option<&'a str>,
    /// Entries that opened and closed the run (file positions, from 1).
    pub start_index: Option<u64>,
    pub end_index: Option<u64>,
    /// The run's After came with no Before.
    pub orphan: bool,
    /// With [`SpanBuilder::with_states`]: the state the run started from and
    /// the state it left, compact JSON.
    pub input_state: Option<N>,
    pub output_state: Option<&'a str>,
}

impl<'a> AgentRun<'a, Name> {
    /// The run with its names read in `names`.
    pub fn named<'n>(&self, names: &'n Names) -> AgentRun<'n>
    where
        'a: 'n,
    {
        AgentRun {
            agent: names.get(self.agent),
            event_id: self.event_id,
            start: self.start,
            end: self.end,
            duration_ms: self.duration_ms,
            wait_ms: self.wait_ms,
            status: self.status,
            error: self.error,
            next: self.next,
            kind: self.kind,
            tokens: self.tokens,
            model: self.model,
            start_index: self.start_index,
            end_index: self.end_index,
            orphan: self.orphan,
            input_state: self.input_state.map(|s| names.get(s)),
            output_state: self.output_state,
        }
    }
}

impl AgentRun<'_> {
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

/// One event, as the analyses read it (from [`Spans::events`]).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct EventSpan<'a> {
    pub event_id: Option<&'a str>,
    pub start: Timestamp,
    pub end: Timestamp,
    pub target: Option<&'a str>,
    pub source: Option<&'a str>,
    pub start_index: Option<u64>,
    pub end_index: Option<u64>,
}

/// A run as held: its strings are [`Name`]s in the spans' [`Names`] (a long
/// session has tens of thousands of runs, each with its own event id).
#[derive(Debug, Clone, Copy)]
struct RunRecord {
    agent: Name,
    event_id: Option<Name>,
    start: Timestamp,
    end: Timestamp,
    duration_ms: Millis,
    wait_ms: Millis,
    status: RunStatus,
    error: Option<Name>,
    next: Option<Name>,
    kind: Option<HopKind>,
    tokens: Tokens,
    model: Option<Name>,
    start_index: Place,
    end_index: Place,
    orphan: bool,
    input_state: Option<Name>,
    output_state: Option<Name>,
}

/// What every event keeps while runs are paired (unless the sink keeps
/// the events): when it began and who sent it (each set by its first
/// BeforeEventHandling).
#[derive(Debug, Clone, Copy)]
struct EventStart {
    start: Timestamp,
    source: Option<Name>,
}

/// The rest of an event, for views of events ([`Spans::events`]).
#[derive(Debug, Clone, Copy, Default)]
struct EventRecord {
    event_id: Option<Name>,
    end: Timestamp,
    target: Option<Name>,
    start_index: Place,
    end_index: Place,
}

/// The events, found by their ids' 128-bit hashes ([`Hash128`]): an
/// analysis needs no event's id once its runs are paired, and a long
/// session has tens of thousands of them. An event is added by its first
/// BeforeEventHandling.
#[derive(Default)]
struct Events {
    /// Each event's key, in order of first start.
    keys: Vec<u128>,
    /// Places in `keys`, by the low half of each key.
    table: hashbrown::HashTable<u32>,
    /// Where the event without an id is.
    unnamed: Option<u32>,
    hash: Hash128,
    starts: Vec<EventStart>,
    records: Vec<EventRecord>,
}

impl std::fmt::Debug for Events {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Events")
            .field("count", &self.starts.len())
            .finish()
    }
}

/// An event's id as the events know it: its 128 bits of hash (`None`:
/// the event without an id).
pub type EventKey = Option<u128>;

impl Events {
    /// The key of `id` (an empty id is no id).
    fn key(&self, id: Option<&str>) -> EventKey {
        Some(self.hash.of(id.filter(|s| !s.is_empty())?))
    }

    fn get(&self, key: EventKey) -> Option<usize> {
        let at = match key {
            None => self.unnamed?,
            Some(key) => *self
                .table
                .find(key as u64, |&at| self.keys[at as usize] == key)?,
        };
        Some(at as usize)
    }

    /// Who sent event `key`: the `source_agent_id` of its first
    /// BeforeEventHandling, if it began and named one.
    fn source(&self, key: EventKey) -> Option<Name> {
        self.starts[self.get(key)?].source
    }

    /// The place of the event `key`, and whether it is new (added now). An
    /// event past the four billionth is not held: its record alone would
    /// have taken over 100 GB first.
    fn add(&mut self, key: EventKey) -> Option<(usize, bool)> {
        if let Some(at) = self.get(key) {
            return Some((at, false));
        }
        let at = u32::try_from(self.starts.len()).ok()?;
        match key {
            None => self.unnamed = Some(at),
            Some(key) => {
                let keys = &self.keys;
                self.table
                    .insert_unique(key as u64, at, |&at| keys[at as usize] as u64);
            }
        }
        // The unnamed event's key is never looked up by hash.
        self.keys.push(key.unwrap_or_default());
        self.starts.push(EventStart {
            start: Timestamp::Unset,
            source: None,
        });
        self.records.push(EventRecord::default());
        Some((at as usize, true))
    }

    fn shrink_to_fit(&mut self) {
        self.keys.shrink_to_fit();
        self.starts.shrink_to_fit();
        self.records.shrink_to_fit();
        let keys = &self.keys;
        self.table.shrink_to_fit(|&at| keys[at as usize] as u64);
    }
}

/// Milliseconds, if known, in 8 bytes rather than 16: NaN is none (no
/// duration or wait is worked out as NaN: they come from whole numbers).
#[derive(Debug, Clone, Copy)]
struct Millis(f64);

impl Millis {
    fn get(self) -> Option<f64> {
        (!self.0.is_nan()).then_some(self.0)
    }
}

impl From<Option<f64>> for Millis {
    fn from(ms: Option<f64>) -> Self {
        Millis(ms.unwrap_or(f64::NAN))
    }
}

/// An entry's place, if known, in 8 bytes rather than 16: `u64::MAX` is
/// none (no file has that many entries).
#[derive(Debug, Clone, Copy)]
struct Place(u64);

impl Place {
    fn get(self) -> Option<u64> {
        (self.0 != u64::MAX).then_some(self.0)
    }
}

impl Default for Place {
    fn default() -> Self {
        Place(u64::MAX)
    }
}

impl From<Option<u64>> for Place {
    fn from(place: Option<u64>) -> Self {
        Place(place.unwrap_or(u64::MAX))
    }
}

#[derive(Debug)]
struct OpenRun {
    start: Timestamp,
    start_index: u64,
    state: Option<Name>,
    /// The run's event id, for the run should it never finish (only the
    /// key is kept otherwise).
    event_id: Option<Box<str>>,
}

/// A run as pairing found it, handed to a [`RunSink`].
pub struct FoundRun<'a> {
    /// With no wait when the sink keeps the events
    /// ([`SpanBuilder::with_sink`]).
    pub run: AgentRun<'a, Name>,
    /// The run's event, by its key.
    pub event: EventKey,
}

/// An event's BeforeEventHandling, handed to a sink that keeps the events
/// ([`SpanBuilder::with_sink`]): every one, the first of an event and any
/// later one alike (the first says when the event began and who sent it).
#[derive(Debug, Clone, Copy)]
pub struct BegunEvent {
    pub event: EventKey,
    pub start: Timestamp,
    /// Its `source_agent_id`, if it named one.
    pub source: Option<Name>,
    /// The entry's place in the file (from 1).
    pub index: u64,
}

/// Where pairing puts the runs it finds: finished runs as they end (in
/// file order), then the unfinished ones by their first entry. `names`
/// are the builder's, which the run's names are in.
pub trait RunSink {
    fn run(&mut self, found: &FoundRun<'_>, names: &mut Names);

    /// A BeforeEventHandling, when the sink keeps the events; never
    /// called when the builder holds them.
    fn event(&mut self, begun: &BegunEvent);
}

/// The runs, held for [`Spans`].
#[derive(Debug, Default)]
pub struct HeldRuns(Vec<RunRecord>);

impl RunSink for HeldRuns {
    /// The builder holds the events for [`Spans`]: none come here.
    fn event(&mut self, _: &BegunEvent) {}

    fn run(&mut self, found: &FoundRun<'_>, names: &mut Names) {
        let r = &found.run;
        let mut name = |s: Option<&str>| s.map(|s| names.id(s));
        self.0.push(RunRecord {
            agent: r.agent,
            event_id: name(r.event_id),
            start: r.start,
            end: r.end,
            duration_ms: r.duration_ms.into(),
            wait_ms: r.wait_ms.into(),
            status: r.status,
            error: name(r.error),
            next: name(r.next),
            kind: r.kind,
            tokens: r.tokens,
            model: name(r.model),
            start_index: r.start_index.into(),
            end_index: r.end_index.into(),
            orphan: r.orphan,
            input_state: r.input_state,
            output_state: name(r.output_state),
        });
    }
}

/// Pairs entries, in file order, into runs (handed to `S`) and events.
#[derive(Debug)]
pub struct SpanBuilder<S = HeldRuns> {
    open: FastMap<(EventKey, Name), OpenRun>,
    events: Events,
    names: Names,
    sink: S,
    /// AfterEventHandling entries with no BeforeEventHandling (only
    /// when the builder holds the events).
    orphan_event_ends: Vec<u64>,
    /// The sink keeps the events: the builder hands it each
    /// BeforeEventHandling and holds none.
    events_to_sink: bool,
    /// Keep runs' input and output states.
    keep_states: bool,
}

impl Default for SpanBuilder<HeldRuns> {
    fn default() -> Self {
        SpanBuilder {
            open: FastMap::default(),
            events: Events::default(),
            names: Names::default(),
            sink: HeldRuns::default(),
            orphan_event_ends: Vec::new(),
            events_to_sink: false,
            keep_states: false,
        }
    }
}

/// Milliseconds from `a` to `b`, when both are real.
pub fn millis_between(a: Timestamp, b: Timestamp) -> Option<f64> {
    Some(millis(a.instant_nanos()?, b.instant_nanos()?))
}

/// Milliseconds from instant `from` to `to` (nanoseconds since the epoch).
pub fn millis(from: i128, to: i128) -> f64 {
    (to - from) as f64 / 1e6
}

/// How long a run that started at `start` waited on its event, begun at
/// `begun` (instants): when both are known and in that order.
pub fn wait_ms(begun: Option<i128>, start: Option<i128>) -> Option<f64> {
    Some(millis(begun?, start?)).filter(|w| *w >= 0.0)
}

impl SpanBuilder<HeldRuns> {
    /// A builder that keeps each run's input and output state (entries must
    /// carry their states).
    pub fn with_states() -> Self {
        SpanBuilder {
            keep_states: true,
            ..SpanBuilder::default()
        }
    }

    /// The runs (finished in file order, then the unfinished ones) and the
    /// events in order of appearance.
    pub fn finish(mut self) -> Spans {
        self.close_unfinished();
        let mut runs = self.sink.0;
        // Kept while the analyses run: no room grown for runs that never
        // came.
        runs.shrink_to_fit();
        self.events.shrink_to_fit();
        self.names.shrink_to_fit();
        Spans {
            runs,
            events: self.events,
            names: self.names,
            orphan_event_ends: self.orphan_event_ends,
        }
    }
}

impl<S: RunSink> SpanBuilder<S> {
    /// A builder that hands each run and each BeforeEventHandling to
    /// `sink`, holding no event: the sink pairs runs with their events
    /// (their waits and senders) itself, when it likes. A long session has
    /// tens of thousands of events.
    pub fn with_sink(sink: S) -> Self {
        SpanBuilder {
            open: FastMap::default(),
            events: Events::default(),
            names: Names::default(),
            sink,
            orphan_event_ends: Vec::new(),
            events_to_sink: true,
            keep_states: false,
        }
    }

    /// From the start of `event` to `start`, when both are known and in
    /// that order.
    fn wait_ms(&self, event: EventKey, start: Timestamp) -> Option<f64> {
        let at = self.events.get(event)?;
        wait_ms(
            self.events.starts[at].start.instant_nanos(),
            start.instant_nanos(),
        )
    }

    /// The sink the runs went to, and the names theirs are in.
    pub fn parts(&mut self) -> (&mut S, &Names) {
        (&mut self.sink, &self.names)
    }

    pub fn push(&mut self, e: &Entry) {
        self.push_with_usage(e, None);
    }

    /// [`SpanBuilder::push`] of an entry [`usage_prepare`] may have
    /// prepared.
    pub fn push_prepared(&mut self, e: &Entry) {
        let usage = e.prepared.as_deref().and_then(usage_from_bytes);
        self.push_with_usage(e, usage);
    }

    /// [`SpanBuilder::push`], with the usage of a run already worked out
    /// (`None`: from the entry's payloads).
    fn push_with_usage(&mut self, e: &Entry, usage: Option<(Tokens, Option<String>)>) {
        if matches!(e.hook, Hook::Other(_) | Hook::Unknown) {
            return;
        }
        let event_id = e.event_id.as_deref().filter(|s| !s.is_empty());
        let event = self.events.key(event_id);
        match &e.hook {
            Hook::BeforeEventHandling => {
                let source = |names: &mut Names| {
                    e.source_agent_id
                        .as_deref()
                        .filter(|s| !s.is_empty())
                        .map(|s| names.id(s))
                };
                if self.events_to_sink {
                    let begun = BegunEvent {
                        event,
                        start: e.timestamp,
                        source: source(&mut self.names),
                        index: e.index,
                    };
                    self.sink.event(&begun);
                    return;
                }
                let Some((at, true)) = self.events.add(event) else {
                    return;
                };
                self.events.starts[at] = EventStart {
                    start: e.timestamp,
                    source: source(&mut self.names),
                };
                self.events.records[at] = EventRecord {
                    event_id: event_id.map(|id| self.names.id(id)),
                    target: e.target_agent_id.as_deref().map(|t| self.names.id(t)),
                    start_index: Some(e.index).into(),
                    ..self.events.records[at]
                };
            }
            Hook::AfterEventHandling if self.events_to_sink => {}
            Hook::AfterEventHandling => match self.events.get(event) {
                Some(at) => {
                    self.events.records[at].end = e.timestamp;
                    self.events.records[at].end_index = Some(e.index).into();
                }
                None => self.orphan_event_ends.push(e.index),
            },
            Hook::BeforeAgentRun => {
                let Some(agent) = e.agent_id.as_deref().filter(|a| !a.is_empty()) else {
                    return;
                };
                let key = (event, self.names.id(agent));
                // The second BeforeAgentRun of the route orchestrator is the
                // same run.
                if self.open.contains_key(&key) {
                    return;
                }
                let state = self
                    .keep_states
                    .then(|| e.state.as_ref().map(RawJson::compact))
                    .flatten()
                    .map(|state| self.names.id(&state));
                self.open.insert(
                    key,
                    OpenRun {
                        start: e.timestamp,
                        start_index: e.index,
                        state,
                        event_id: event_id.map(Box::from),
                    },
                );
            }
            Hook::AfterAgentRun | Hook::AgentError => {
                let Some(agent) = e.agent_id.as_deref().filter(|a| !a.is_empty()) else {
                    return;
                };
                let agent_name = self.names.id(agent);
                let open = self.open.remove(&(event, agent_name));
                let failed = e.hook == Hook::AgentError || e.error().is_some();
                let route = e.route();
                let start = open.as_ref().map_or(Timestamp::Unset, |o| o.start);
                let (tokens, model) = usage.unwrap_or_else(|| usage_of(Payloads::of(e)));
                let output_state = self
                    .keep_states
                    .then(|| {
                        e.result
                            .as_ref()
                            .and_then(|r| r.output_state.as_ref())
                            .map(RawJson::compact)
                    })
                    .flatten();
                let run = AgentRun {
                    kind: Some(HopKind::classify(agent, route, failed)),
                    duration_ms: run_duration(e, start),
                    agent: agent_name,
                    event_id,
                    start,
                    end: e.timestamp,
                    wait_ms: self.wait_ms(event, start),
                    status: if failed {
                        RunStatus::Error
                    } else {
                        RunStatus::Ok
                    },
                    error: e.error(),
                    next: route,
                    tokens,
                    model: model.as_deref(),
                    start_index: open.as_ref().map(|o| o.start_index),
                    end_index: Some(e.index),
                    orphan: open.is_none(),
                    input_state: open.as_ref().and_then(|o| o.state),
                    output_state: output_state.as_deref(),
                };
                let found = FoundRun { run, event };
                self.sink.run(&found, &mut self.names);
            }
            Hook::Other(_) | Hook::Unknown => {}
        }
    }

    /// Hands the runs still open to the sink, as unfinished, in order of
    /// their first entries.
    pub fn close_unfinished(&mut self) {
        let mut unfinished: Vec<((EventKey, Name), OpenRun)> =
            std::mem::take(&mut self.open).into_iter().collect();
        unfinished.sort_by_key(|(_, open)| open.start_index);
        for ((event, agent), open) in unfinished {
            let wait_ms = self.wait_ms(event, open.start);
            let run = AgentRun {
                agent,
                event_id: open.event_id.as_deref(),
                start: open.start,
                end: Timestamp::Unset,
                duration_ms: None,
                wait_ms,
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
            };
            let found = FoundRun { run, event };
            self.sink.run(&found, &mut self.names);
        }
    }
}

/// What pairing found: runs and events, read through [`Spans::runs`] and
/// [`Spans::events`].
#[derive(Debug, Default)]
pub struct Spans {
    runs: Vec<RunRecord>,
    events: Events,
    names: Names,
    pub orphan_event_ends: Vec<u64>,
}

impl Spans {
    /// The runs: finished ones in file order, then the unfinished.
    pub fn runs(
        &self,
    ) -> impl DoubleEndedIterator<Item = AgentRun<'_>> + ExactSizeIterator + Clone + '_ {
        self.runs.iter().map(|r| self.run_of(r))
    }

    /// Run `i` (below `runs().len()`).
    pub fn run(&self, i: usize) -> AgentRun<'_> {
        self.run_of(&self.runs[i])
    }

    /// The agent of run `i` (below `runs().len()`), by its name's number:
    /// what tells agents apart without reading their names.
    pub fn run_agent(&self, i: usize) -> Name {
        self.runs[i].agent
    }

    /// Where run `i` (below `runs().len()`) routed to, by its name's
    /// number.
    pub fn run_next(&self, i: usize) -> Option<Name> {
        self.runs[i].next
    }

    /// Who sent the event of run `i` (below `runs().len()`), by its name's
    /// number.
    pub fn run_sender(&self, i: usize) -> Option<Name> {
        let id = self.runs[i].event_id.map(|id| self.names.get(id));
        self.events.source(self.events.key(id))
    }

    /// The string a name of these spans stands for.
    pub fn name(&self, name: Name) -> &str {
        self.names.get(name)
    }

    /// The events in order of appearance.
    pub fn events(
        &self,
    ) -> impl DoubleEndedIterator<Item = EventSpan<'_>> + ExactSizeIterator + Clone + '_ {
        let name = |n: Option<Name>| n.map(|n| self.names.get(n));
        self.events
            .starts
            .iter()
            .zip(&self.events.records)
            .map(move |(s, e)| EventSpan {
                event_id: name(e.event_id),
                start: s.start,
                end: e.end,
                target: name(e.target),
                source: name(s.source),
                start_index: e.start_index.get(),
                end_index: e.end_index.get(),
            })
    }

    /// The runs' places in [`Spans::runs`], in time order: by start, else
    /// end, then by entry (file order); runs with no time last.
    pub fn by_time(&self) -> Vec<usize> {
        let mut sorted: Vec<usize> = (0..self.runs.len()).collect();
        // The place breaks any tie left, so an unstable sort (no scratch
        // copy) gives the stable order.
        sorted.sort_unstable_by_key(|&i| {
            let r = &self.runs[i];
            let t = r.start.instant_nanos().or(r.end.instant_nanos());
            (t.is_none(), t, r.start_index.get().or(r.end_index.get()), i)
        });
        sorted
    }

    fn run_of(&self, r: &RunRecord) -> AgentRun<'_> {
        let name = |n: Option<Name>| n.map(|n| self.names.get(n));
        AgentRun {
            agent: self.names.get(r.agent),
            event_id: name(r.event_id),
            start: r.start,
            end: r.end,
            duration_ms: r.duration_ms.get(),
            wait_ms: r.wait_ms.get(),
            status: r.status,
            error: name(r.error),
            next: name(r.next),
            kind: r.kind,
            tokens: r.tokens,
            model: name(r.model),
            start_index: r.start_index.get(),
            end_index: r.end_index.get(),
            orphan: r.orphan,
            input_state: name(r.input_state),
            output_state: name(r.output_state),
        }
    }
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
        // From the objects the reader split, when it can tell.
        let found = usage_in_pairs(raw, &payloads).unwrap_or_else(|| usage_in(raw));
        if let Some(found) = found {
            return found;
        }
    }
    (Tokens::default(), None)
}

/// serde_json's nesting limit: a value nested deeper is not parsed.
const SERDE_DEPTH: u32 = 128;

/// [`usage_in`], read from the pairs of the objects the reader split (or
/// splits now) rather than from a parsed tree: the same answer, `None`
/// when it cannot tell (an object the fast path does not split, a string
/// to decode).
fn usage_in_pairs<'a>(
    raw: &'a str,
    payloads: &Payloads<'a>,
) -> Option<Option<(Tokens, Option<String>)>> {
    if !raw.trim_start().starts_with('{') {
        // Not an object: nothing to find.
        return Some(None);
    }
    let pairs = |object: &'a str| payloads.pairs(object);
    // The value of `key` in `pairs`; the last when named twice, as a
    // parsed tree keeps it.
    fn get<'a>(pairs: &[Pair<'a>], key: &str) -> Option<&'a str> {
        pairs.iter().rev().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }
    let is_object = |v: &str| v.starts_with('{');
    // Deeper than serde_json's limit, the tree cannot be built, and so
    // finds nothing: leave that answer to it.
    let top = payloads.pairs_within(raw, SERDE_DEPTH - 1)?;
    // The pairs of the object `key` names in `pairs`, if it names one;
    // `Err` when it is not an object the fast path splits.
    let object_in =
        |pairs_in: &[Pair<'a>], key: &str| match get(pairs_in, key).filter(|v| is_object(v)) {
            Some(object) => pairs(object).map(Some).ok_or(()),
            None => Ok(None),
        };
    let data = match object_in(&top, "data").ok()? {
        Some(data) => data,
        None => top,
    };
    let usage = object_in(&data, "usage").ok()?;
    let gen_ai = object_in(&data, "gen_ai").ok()?;
    let gen_ai_usage = match gen_ai.as_deref() {
        Some(g) => object_in(g, "usage").ok()?,
        None => None,
    };
    // Where usage is looked for, first to last.
    let places = [gen_ai_usage.as_deref(), usage.as_deref(), Some(&*data)];
    // A number as serde_json's arbitrary-precision numbers give it.
    let number = |place: &[Pair<'_>], keys: &[&str]| -> Option<u64> {
        keys.iter().find_map(|k| {
            let x = get(place, k)?;
            if !matches!(x.as_bytes().first(), Some(b'-' | b'0'..=b'9')) {
                return None;
            }
            x.parse::<u64>().ok().or_else(|| {
                x.parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite() && *f >= 0.0)
                    .map(|f| f as u64)
            })
        })
    };
    // A string value, decoded; `Err` when it needs decoding.
    let text = |v: &str| -> Result<Option<String>, ()> {
        if !v.starts_with('"') {
            return Ok(None);
        }
        crate::input::fast::plain_string(v)
            .map(|s| Some(s.to_string()))
            .ok_or(())
    };
    for place in places.into_iter().flatten() {
        let Some(tokens) = tokens_in(|keys| number(place, keys)) else {
            continue;
        };
        let mut model = None;
        for k in MODEL_KEYS {
            if let Some(v) = get(place, k).or_else(|| get(&data, k)) {
                if let Some(m) = text(v).ok()? {
                    model = Some(m);
                    break;
                }
            }
        }
        if model.is_none() {
            let request = match gen_ai.as_deref() {
                Some(g) => object_in(g, "request").ok()?,
                None => None,
            };
            if let Some(m) = request.as_deref().and_then(|r| get(r, "model")) {
                model = text(m).ok()?;
            }
        }
        return Some(Some((tokens, model)));
    }
    Some(None)
}

/// Where a place names its token counts, and its model.
const INPUT_KEYS: [&str; 3] = ["prompt_tokens", "input_tokens", "gen_ai.usage.input_tokens"];
const OUTPUT_KEYS: [&str; 3] = [
    "completion_tokens",
    "output_tokens",
    "gen_ai.usage.output_tokens",
];
const TOTAL_KEYS: [&str; 1] = ["total_tokens"];
const MODEL_KEYS: [&str; 3] = ["model", "gen_ai.request.model", "model_name"];

/// The tokens a place reports, `number` reading the first of the keys
/// given that holds a count; `None` when it reports none.
fn tokens_in(number: impl Fn(&[&str]) -> Option<u64>) -> Option<Tokens> {
    let input = number(&INPUT_KEYS);
    let output = number(&OUTPUT_KEYS);
    let total = number(&TOTAL_KEYS);
    if input.is_none() && output.is_none() && total.is_none() {
        return None;
    }
    let (i, o) = (input.unwrap_or(0), output.unwrap_or(0));
    Some(Tokens {
        input: i,
        output: o,
        total: total.unwrap_or(i.saturating_add(o)),
    })
}

/// Work for the reader's threads: the usage of each run's outcome entry
/// ([`usage_of`]), carried in `Entry::prepared` for
/// [`SpanBuilder::push_prepared`]. `keeps_payloads` when the spans keep
/// states ([`SpanBuilder::with_states`]); otherwise the reader lends the
/// payloads and copies none.
pub fn usage_prepare(keeps_payloads: bool) -> Prepare {
    Prepare {
        make: std::sync::Arc::new(|| {
            Box::new(|e: &mut Entry, payloads: Payloads<'_>| {
                if matches!(e.hook, Hook::AfterAgentRun | Hook::AgentError) {
                    e.prepared = Some(usage_to_bytes(&usage_of(payloads)));
                }
            })
        }),
        keeps_payloads,
    }
}

/// A run's usage as bytes, for a view that works it out on the reader's
/// threads and carries it in `Entry::prepared`.
fn usage_to_bytes((tokens, model): &(Tokens, Option<String>)) -> Vec<u8> {
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
fn usage_from_bytes(bytes: &[u8]) -> Option<(Tokens, Option<String>)> {
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
        let Some(tokens) = tokens_in(|keys| number(place, keys)) else {
            continue;
        };
        let model = MODEL_KEYS
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
        return Some((tokens, model));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AgentResult;

    /// JSON text of an object made of `pairs` (keys may repeat).
    fn object_text(pairs: &[(String, String)]) -> String {
        let body: Vec<String> = pairs.iter().map(|(k, v)| format!("\"{k}\": {v}")).collect();
        format!("{{{}}}", body.join(", "))
    }

    /// States with usage in every place it is looked for, numbers and
    /// model names of every kind, keys named twice.
    fn usage_state() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let scalar = proptest::sample::select(vec![
            "12",
            "0",
            "-3",
            "1.5",
            "1e3",
            "-0",
            "1e400",
            "18446744073709551616",
            "3.0",
            "\"gpt\"",
            "\"a\\\"b\"",
            "\"7\"",
            "null",
            "{}",
            "[1]",
            "true",
        ])
        .prop_map(str::to_string);
        let key = proptest::sample::select(vec![
            "prompt_tokens",
            "input_tokens",
            "completion_tokens",
            "output_tokens",
            "total_tokens",
            "gen_ai.usage.input_tokens",
            "gen_ai.usage.output_tokens",
            "model",
            "model_name",
            "gen_ai.request.model",
            "other",
        ])
        .prop_map(str::to_string);
        let place = proptest::collection::vec((key, scalar.clone()), 0..5);
        let place_text = place.clone().prop_map(|p| object_text(&p));
        let gen_ai = (place_text.clone(), scalar.clone()).prop_map(|(usage, model)| {
            let request = object_text(&[("model".into(), model)]);
            object_text(&[("usage".into(), usage), ("request".into(), request)])
        });
        let data = (
            place.clone(),
            proptest::option::of(place_text.clone()),
            proptest::option::of(gen_ai),
        )
            .prop_map(|(mut pairs, usage, gen_ai)| {
                if let Some(u) = usage {
                    pairs.push(("usage".into(), u));
                }
                if let Some(g) = gen_ai {
                    pairs.push(("gen_ai".into(), g));
                }
                object_text(&pairs)
            });
        (
            place,
            proptest::collection::vec(prop_oneof![data, scalar], 0..3),
        )
            .prop_map(|(mut pairs, datas)| {
                for d in datas {
                    pairs.push(("data".into(), d));
                }
                object_text(&pairs)
            })
    }

    proptest::proptest! {
        /// Usage read from the split objects is usage read from a parsed
        /// tree, whenever the split reading can tell.
        #[test]
        fn usage_from_pairs_is_usage_from_the_tree(state in usage_state()) {
            let payloads = Payloads { state: Some(&state), ..Payloads::default() };
            if let Some(found) = usage_in_pairs(&state, &payloads) {
                proptest::prop_assert_eq!(found, usage_in(&state), "{}", state);
            }
        }
    }

    /// Nested past serde_json's limit (128 levels with the state itself),
    /// the tree cannot be built and finds no usage; neither may the pairs.
    #[test]
    fn usage_from_pairs_agrees_on_states_too_deep_for_a_tree() {
        for depth in [125, 126, 127, 200] {
            let deep = format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
            let state = format!(
                r#"{{"data":{{"usage":{{"prompt_tokens":5,"completion_tokens":3}}}},"deep":{deep}}}"#
            );
            let payloads = Payloads {
                state: Some(&state),
                ..Payloads::default()
            };
            let tree = usage_in(&state);
            assert_eq!(tree.is_some(), depth < 127, "depth {depth}");
            let pairs = usage_in_pairs(&state, &payloads).unwrap_or_else(|| usage_in(&state));
            assert_eq!(pairs, tree, "depth {depth}");
        }
    }

    #[test]
    fn usage_from_pairs_tells_for_the_usual_states() {
        let state =
            r#"{"data":{"usage":{"prompt_tokens":12,"completion_tokens":3,"model":"gpt-4o"}}}"#;
        let payloads = Payloads {
            state: Some(state),
            ..Payloads::default()
        };
        let want = Some((
            Tokens {
                input: 12,
                output: 3,
                total: 15,
            },
            Some("gpt-4o".to_string()),
        ));
        assert_eq!(usage_in_pairs(state, &payloads), Some(want.clone()));
        assert_eq!(usage_in(state), want);
    }

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
        assert_eq!(spans.runs().len(), 1);
        let run = spans.run(0);
        assert_eq!(run.start_index, Some(2));
        assert_eq!(run.duration_ms, Some(4000.0));
        assert_eq!(run.wait_ms, Some(1000.0));
        assert_eq!(spans.events().len(), 1);
        assert_eq!(spans.events().next().unwrap().end_index, Some(5));
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
        assert_eq!(spans.run(0).duration_ms, Some(929.0));
        assert_eq!(spans.run(1).duration_ms, Some(2000.0));
        assert_eq!(spans.run(1).status, RunStatus::Error);
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
        assert_eq!(spans.run(0).agent, "b");
        assert!(spans.run(0).orphan);
        assert_eq!(spans.run(1).status, RunStatus::Unfinished);
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
