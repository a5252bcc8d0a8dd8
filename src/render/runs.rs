//! The runs `trace --analyze` keeps while entries come, in bounded
//! memory: added up as they come, and held as rows in stores that spill to
//! temporary files. At the end the runs are paired with their events (a
//! join of two stores sorted by event), then read back for the critical
//! path, the walk in time order, and the runs the analysis shows.

use std::io;

use super::hops;
use super::rows::{
    leading_key, put_number, put_text, put_time, split_key, RowBytes, RowCursor, RowKey, RowStore,
};
use crate::analysis::analyze::{
    critical_path, critical_path_from_last, view, Found, PathLists, PathRun, PathSteps, RunTotals,
    RunView, ShownRuns, StepRow, StepRows, TimeWalk, WalkRun,
};
use crate::analysis::flow::HopKind;
use crate::analysis::names::{Name, Names};
use crate::analysis::spans::{
    wait_ms, AgentRun, BegunEvent, EventKey, FoundRun, RunSink, RunStatus, Tokens,
};

/// Bytes of rows each of the analysis's stores of whole runs holds in
/// memory before it goes to a temporary file (the stores of small rows,
/// by event and of durations, hold half; the waits, made after those are
/// read and let go, a whole budget). 1 MB rather than 2 took 3 MB off
/// the peak at 1 GB and 3 GB, at no cost measured (rows are small).
pub(super) const RUNS_IN_MEMORY: usize = 1 << 20;

/// What the analysis's stores hold, for errors of their files.
const WHAT: &str = "the analysis's runs";

/// The runs as `--analyze` keeps them: added up as they come
/// ([`RunTotals`]), and in stores of rows, in memory up to a budget and
/// then in temporary files: the finished runs from the last to end, for
/// the critical path ([`critical_path_from_last`]); every run in time
/// order, for the walk ([`TimeWalk`]); every BeforeEventHandling and
/// every run by event, joined at the end for who sent each run's event and
/// how long the run waited; the finished runs' durations by agent, for the
/// percentiles; and each run's details in run order, read once at the end
/// for the runs the analysis shows. Event ids and error
/// messages are held only in the stores.
pub(super) struct AnalysisRuns {
    /// See [`PATH_WINDOW`].
    window: usize,
    budget: usize,
    /// The next run's place.
    place: u64,
    totals: RunTotals,
    /// The finished runs, last to end first, for the critical path, and
    /// what it knows of them ahead.
    by_end: RowStore<EndOrder>,
    lists: PathLists,
    by_time: RowStore<RunOrder>,
    /// Every BeforeEventHandling, by event then entry.
    events: RowStore<ByEvent>,
    /// Every run by event then place, with what its wait is worked out
    /// from.
    runs: RowStore<ByEvent>,
    /// The finished runs' durations, by agent, for the agents' figures.
    durations: RowStore<ByDuration>,
    details: RowStore<RunPlace>,
    /// The first error of the stores' files.
    failed: Option<io::Error>,
}

impl AnalysisRuns {
    pub(super) fn new(top: usize, budget: usize, window: usize) -> Self {
        AnalysisRuns {
            window,
            budget,
            place: 0,
            totals: RunTotals::with_durations_apart(top),
            by_end: RowStore::with_leading_keys(budget, WHAT),
            lists: PathLists::default(),
            by_time: RowStore::with_leading_keys(budget, WHAT),
            // Rows of a few dozen bytes: half the budget makes as few
            // runs to merge as the others' rows of a hundred do.
            events: RowStore::with_leading_keys(budget / 2, WHAT),
            runs: RowStore::with_leading_keys(budget / 2, WHAT),
            durations: RowStore::with_leading_keys(budget / 2, WHAT),
            details: RowStore::with_leading_keys(budget, WHAT),
            failed: None,
        }
    }

    /// Keeps run `found` in the time and end stores, by its event, by its
    /// agent's duration (when it has one), and in the details.
    fn store(&mut self, place: u64, found: &FoundRun<'_>, next: Option<Name>) -> io::Result<()> {
        let r = &found.run;
        let (start, end) = (r.start.instant_nanos(), r.end.instant_nanos());
        let at = start.or(end);
        let order = RunOrder {
            untimed: at.is_none(),
            at: at.unwrap_or_default(),
            entry: r.start_index.or(r.end_index),
            place,
        };
        let agent = u64::from(r.agent.number());
        let next_number = u64::from(next.map_or(0, Name::number));
        self.by_time.push_keyed(order, |row| {
            put_number(row, agent);
            put_number(row, next_number);
            row.push(status_code(r.status));
            row.push(kind_code(r.kind));
        })?;

        if r.status != RunStatus::Unfinished {
            if let (Some(end), Some(end_index)) = (end, r.end_index) {
                self.lists.add(r.agent, next, end);
                let order = EndOrder {
                    end,
                    end_index,
                    place,
                };
                self.by_end.push_keyed(order, |row| {
                    put_instant(row, start);
                    put_number(row, agent);
                    put_number(row, next_number);
                })?;
            }
        }

        let by_event = ByEvent {
            event: found.event,
            then: place,
        };
        self.runs.push_keyed(by_event, |row| {
            put_number(row, agent);
            // The entry the run was found at (none: unfinished, found after
            // the last): only an event begun before it gives the run a wait.
            put_number(row, r.end_index.map_or(0, |i| i.saturating_add(1)));
            put_instant(row, start);
        })?;

        if let (true, Some(ms)) = (r.status != RunStatus::Unfinished, r.duration_ms) {
            let key = ByDuration {
                agent: r.agent.number(),
                ms: duration_order(ms),
            };
            self.durations.push_keyed(key, |_| {})?;
        }

        self.details.push_keyed(RunPlace(place), |row| {
            put_number(row, agent);
            // First after the agent: a step's duration is read alone.
            row.extend_from_slice(&r.duration_ms.unwrap_or(f64::NAN).to_le_bytes());
            let optional = [r.event_id, r.error, r.next];
            row.push(
                optional
                    .iter()
                    .enumerate()
                    .fold(0, |bits, (i, s)| bits | (u8::from(s.is_some()) << i)),
            );
            for text in optional.into_iter().flatten() {
                put_text(row, text);
            }
            put_time(row, r.start);
            put_time(row, r.end);
            for index in [r.start_index, r.end_index] {
                put_number(row, index.map_or(0, |i| i.saturating_add(1)));
            }
            row.push(status_code(r.status));
        })
    }

    /// What the analysis found, once every run is in, and the runs it
    /// shows, read back from the details in one pass.
    pub(super) fn found(&mut self, names: &Names) -> io::Result<(Found, ShownRows)> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        // The rows in memory go to the files: the join and the stores it
        // fills take the memory.
        self.by_end.spill()?;
        self.by_time.spill()?;
        self.details.spill()?;
        self.durations.spill()?;
        let Joined {
            senders,
            mut waits,
            events,
        } = self.join()?;
        let sender = |place: u64| {
            let at = usize::try_from(place).map_err(|_| bad_row("place"))?;
            Ok(name_of(u64::from(
                *senders.get(at).ok_or_else(|| bad_row("place"))?,
            )))
        };
        waits.for_each(&mut |row| {
            let (RunPlace(_), mut bytes) = split_key(row)?;
            let agent = name_of(bytes.number()?).ok_or_else(|| bad_row("agent"))?;
            let wait = f64::from_le_bytes(bytes.array()?);
            self.totals.add_wait(names.get(agent), wait);
            Ok(())
        })?;
        drop(waits);
        let mut durations = self.durations.cursor()?;
        while let Some(row) = durations.next()? {
            let key = leading_key::<ByDuration>(&mut (), row)?;
            let agent = name_of(u64::from(key.agent)).ok_or_else(|| bad_row("agent"))?;
            self.totals
                .durations_of(names.get(agent))
                .push(duration_of_order(key.ms));
        }
        drop(durations);
        let path = {
            let mut last_first = self.by_end.cursor()?;
            let mut next = || -> io::Result<Option<PathRun>> {
                last_first
                    .next()?
                    .map(|row| path_run(row, sender))
                    .transpose()
            };
            critical_path_from_last(&self.lists, &mut next, self.window)?
        };
        let path = match path {
            Some(path) => path,
            None => {
                let mut finished = Vec::new();
                self.by_end.for_each(&mut |row| {
                    finished.push(path_run(row, sender)?);
                    Ok(())
                })?;
                critical_path(finished)
            }
        };
        let mut walk = TimeWalk::default();
        self.by_time.for_each(&mut |row| {
            walk.push(walk_run(row, sender)?);
            Ok(())
        })?;
        let found = Found {
            totals: std::mem::replace(&mut self.totals, RunTotals::new(0)),
            walked: walk.finish(),
            path,
            events,
        };
        let places = found.shown();
        let mut at = Vec::with_capacity(places.len());
        let mut rows = Vec::new();
        let mut wanted = places.iter().peekable();
        self.details.for_each(&mut |row| {
            let (RunPlace(place), mut bytes) = split_key(row)?;
            if wanted.next_if(|&&p| p == place).is_some() {
                // The agent's name instead of its number: the row is made
                // into its run without the names.
                let agent = name_of(bytes.number()?).ok_or_else(|| bad_row("agent"))?;
                let start = rows.len();
                put_text(&mut rows, names.get(agent));
                rows.extend_from_slice(bytes.0);
                at.push(start..rows.len());
            }
            Ok(())
        })?;
        let shown = ShownRows {
            places,
            at,
            rows: std::sync::Arc::new(rows),
        };
        Ok((found, shown))
    }

    /// Pairs every run with its event, the two stores read side by side
    /// in event order: who sent the event (its first BeforeEventHandling
    /// said), and how long the run waited, when the event began before the
    /// run was found (as pairing with the events held would have said).
    /// The senders are held by run (4 bytes a run, for the walk and the
    /// critical path, which read the runs in other orders); the waits go to
    /// a store in run order, to be added up in the order the runs came, as
    /// [`RunTotals::add`] adds them.
    fn join(&mut self) -> io::Result<Joined> {
        let mut events = std::mem::replace(&mut self.events, RowStore::with_leading_keys(0, WHAT));
        let mut runs = std::mem::replace(&mut self.runs, RowStore::with_leading_keys(0, WHAT));
        events.spill()?;
        runs.spill()?;
        let count = usize::try_from(self.place).map_err(|_| bad_row("place"))?;
        let mut joined = Joined {
            senders: vec![0; count],
            waits: RowStore::with_leading_keys(self.budget, WHAT),
            events: 0,
        };
        let mut begins = events.cursor()?;
        let mut begun = first_begin(&mut begins, None)?;
        let mut rows = runs.cursor()?;
        while let Some(bytes) = rows.next()? {
            let (key, mut bytes) = split_key::<ByEvent>(bytes)?;
            while let Some(b) = begun.filter(|b| b.event < key.event) {
                joined.events += 1;
                begun = first_begin(&mut begins, Some(b.event))?;
            }
            let Some(begin) = begun.filter(|b| b.event == key.event) else {
                continue;
            };
            let agent = bytes.number()?;
            let found_at = bytes.number()?.checked_sub(1);
            let start = instant_in(&mut bytes)?;
            let place = key.then;
            let at = usize::try_from(place).map_err(|_| bad_row("place"))?;
            *joined.senders.get_mut(at).ok_or_else(|| bad_row("place"))? =
                begin.source.map_or(0, Name::number);
            let wait = Some(begin)
                .filter(|b| found_at.is_none_or(|at| b.index < at))
                .and_then(|b| wait_ms(b.start, start));
            if let Some(wait) = wait {
                joined.waits.push_keyed(RunPlace(place), |row| {
                    put_number(row, agent);
                    row.extend_from_slice(&wait.to_le_bytes());
                })?;
            }
        }
        while let Some(b) = begun {
            joined.events += 1;
            begun = first_begin(&mut begins, Some(b.event))?;
        }
        Ok(joined)
    }
}

/// The runs joined with their events ([`AnalysisRuns::join`]).
struct Joined {
    /// Who sent each run's event, by run: the number of its name (0:
    /// none).
    senders: Vec<u32>,
    /// The runs' waits, in run order.
    waits: RowStore<RunPlace>,
    /// How many events began.
    events: u64,
}

/// Durations by agent (the number of its name), then from the shortest
/// (by [`f64::total_cmp`], as [`duration_order`] makes it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct ByDuration {
    agent: u32,
    ms: u64,
}

impl RowKey for ByDuration {
    const BYTES: usize = 4 + 8;
    type Keys = ();

    fn put(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.agent.to_le_bytes());
        out.extend_from_slice(&self.ms.to_le_bytes());
    }

    fn get(bytes: &[u8]) -> Self {
        ByDuration {
            agent: u32::from_le_bytes(le(bytes, 0)),
            ms: u64::from_le_bytes(le(bytes, 4)),
        }
    }
}

/// `ms`'s bits, ordered as [`f64::total_cmp`] orders the numbers.
fn duration_order(ms: f64) -> u64 {
    let bits = ms.to_bits();
    match bits >> 63 {
        0 => bits | 1 << 63,
        _ => !bits,
    }
}

/// The number [`duration_order`] made `order` of.
fn duration_of_order(order: u64) -> f64 {
    f64::from_bits(match order >> 63 {
        1 => order & !(1 << 63),
        _ => !order,
    })
}

/// Rows by event (`None`, the event without an id, first), then `then`:
/// the entry of a BeforeEventHandling, the place of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct ByEvent {
    event: EventKey,
    then: u64,
}

impl RowKey for ByEvent {
    const BYTES: usize = 1 + 16 + 8;
    type Keys = ();

    fn put(self, out: &mut Vec<u8>) {
        out.push(u8::from(self.event.is_some()));
        out.extend_from_slice(&self.event.unwrap_or_default().to_le_bytes());
        out.extend_from_slice(&self.then.to_le_bytes());
    }

    fn get(bytes: &[u8]) -> Self {
        ByEvent {
            event: (bytes[0] != 0).then_some(u128::from_le_bytes(le(bytes, 1))),
            then: u64::from_le_bytes(le(bytes, 17)),
        }
    }
}

/// An event's first BeforeEventHandling, as the join reads it.
#[derive(Debug, Clone, Copy)]
struct Begin {
    event: EventKey,
    /// Its entry.
    index: u64,
    start: Option<i128>,
    source: Option<Name>,
}

/// The first BeforeEventHandling of the next event after `after` (all of
/// an event's come together, its first first).
fn first_begin(
    begins: &mut RowCursor<'_, ByEvent>,
    after: Option<EventKey>,
) -> io::Result<Option<Begin>> {
    while let Some(row) = begins.next()? {
        let (key, mut bytes) = split_key::<ByEvent>(row)?;
        if after == Some(key.event) {
            continue;
        }
        return Ok(Some(Begin {
            event: key.event,
            index: key.then,
            start: instant_in(&mut bytes)?,
            source: name_of(bytes.number()?),
        }));
    }
    Ok(None)
}

/// The `N` bytes of `bytes` from `at` (a key's field).
fn le<const N: usize>(bytes: &[u8], at: usize) -> [u8; N] {
    let mut field = [0; N];
    field.copy_from_slice(&bytes[at..at + N]);
    field
}

/// Appends an instant (nanoseconds since the epoch), if there is one.
fn put_instant(row: &mut Vec<u8>, instant: Option<i128>) {
    row.push(u8::from(instant.is_some()));
    if let Some(instant) = instant {
        row.extend_from_slice(&instant.to_le_bytes());
    }
}

/// An instant as [`put_instant`] wrote it.
fn instant_in(bytes: &mut RowBytes<'_>) -> io::Result<Option<i128>> {
    Ok(match bytes.u8()? {
        0 => None,
        _ => Some(i128::from_le_bytes(bytes.array()?)),
    })
}

/// The runs an analysis shows, as rows of their details (each about a
/// hundred bytes, where its [`RunView`] takes several hundred): the
/// path's are made into runs only as the analysis is written.
pub(super) struct ShownRows {
    /// Ascending.
    places: Vec<u64>,
    /// Where each place's row is in `rows`.
    at: Vec<std::ops::Range<usize>>,
    /// Shared with the path's steps.
    rows: std::sync::Arc<Vec<u8>>,
}

impl ShownRows {
    fn row(&self, place: u64) -> Option<std::ops::Range<usize>> {
        let i = self.places.binary_search(&place).ok()?;
        self.at.get(i).cloned()
    }
}

impl ShownRuns for ShownRows {
    fn view(&self, place: u64) -> io::Result<Option<RunView>> {
        match self.row(place).and_then(|at| self.rows.get(at)) {
            Some(row) => shown_run(row).map(Some),
            None => Ok(None),
        }
    }

    fn steps(&self, steps: &[(u64, Option<f64>, bool)]) -> io::Result<PathSteps> {
        let mut shown = Vec::with_capacity(steps.len());
        for &(place, gap_ms, ambiguous) in steps {
            let Some(at) = self.row(place) else {
                continue;
            };
            let row = self.rows.get(at.clone()).ok_or_else(|| bad_row("step"))?;
            let mut bytes = RowBytes(row);
            bytes.text()?;
            shown.push(StepRow {
                at,
                gap_ms,
                ambiguous,
                duration_ms: shown_duration(&mut bytes)?,
            });
        }
        Ok(PathSteps::Rows(StepRows {
            steps: shown,
            rows: self.rows.clone(),
            run: shown_run,
        }))
    }
}

impl RunSink for AnalysisRuns {
    fn event(&mut self, begun: &BegunEvent) {
        if self.failed.is_some() {
            return;
        }
        let key = ByEvent {
            event: begun.event,
            then: begun.index,
        };
        let stored = self.events.push_keyed(key, |row| {
            put_instant(row, begun.start.instant_nanos());
            put_number(row, u64::from(begun.source.map_or(0, Name::number)));
        });
        if let Err(e) = stored {
            self.failed = Some(e);
        }
    }

    fn run(&mut self, found: &FoundRun<'_>, names: &mut Names) {
        let place = self.place;
        self.place += 1;
        let next = found.run.next.map(|n| names.id(n));
        self.totals.add(place, &found.run.named(names));
        if self.failed.is_none() {
            if let Err(e) = self.store(place, found, next) {
                self.failed = Some(e);
            }
        }
    }
}

/// The name numbered `n` (0: none).
fn name_of(n: u64) -> Option<Name> {
    u32::try_from(n).ok().and_then(Name::from_number)
}

fn status_code(status: RunStatus) -> u8 {
    match status {
        RunStatus::Ok => 0,
        RunStatus::Error => 1,
        RunStatus::Unfinished => 2,
    }
}

fn status_of(code: u8) -> io::Result<RunStatus> {
    Ok(match code {
        0 => RunStatus::Ok,
        1 => RunStatus::Error,
        2 => RunStatus::Unfinished,
        _ => return Err(bad_row("a status")),
    })
}

/// A run's kind (none: unfinished) as held.
fn kind_code(kind: Option<HopKind>) -> u8 {
    kind.map_or(0, |kind| 1 + hops::kind_code(kind))
}

fn kind_of(code: u8) -> io::Result<Option<HopKind>> {
    match code.checked_sub(1) {
        None => Ok(None),
        Some(code) => hops::kind_of(code)
            .map(Some)
            .ok_or_else(|| bad_row("a kind")),
    }
}

fn bad_row(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("internal error: a held run's {what}"),
    )
}

/// Runs in time order: by start, else end, then by entry (file order),
/// then run order; runs with no time last (as
/// [`crate::analysis::spans::Spans::by_time`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct RunOrder {
    untimed: bool,
    at: i128,
    entry: Option<u64>,
    place: u64,
}

impl RowKey for RunOrder {
    const BYTES: usize = 1 + 16 + 9 + 8;
    type Keys = ();

    fn put(self, out: &mut Vec<u8>) {
        out.push(u8::from(self.untimed));
        out.extend_from_slice(&self.at.to_le_bytes());
        out.push(u8::from(self.entry.is_some()));
        out.extend_from_slice(&self.entry.unwrap_or_default().to_le_bytes());
        out.extend_from_slice(&self.place.to_le_bytes());
    }

    fn get(bytes: &[u8]) -> Self {
        RunOrder {
            untimed: bytes[0] != 0,
            at: i128::from_le_bytes(le(bytes, 1)),
            entry: (bytes[17] != 0).then_some(u64::from_le_bytes(le(bytes, 18))),
            place: u64::from_le_bytes(le(bytes, 26)),
        }
    }
}

/// Finished runs from the last to end: by (end, closing entry, place),
/// descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct EndOrder {
    end: i128,
    end_index: u64,
    place: u64,
}

impl Ord for EndOrder {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (other.end, other.end_index, other.place).cmp(&(self.end, self.end_index, self.place))
    }
}

impl PartialOrd for EndOrder {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl RowKey for EndOrder {
    const BYTES: usize = 16 + 8 + 8;
    type Keys = ();

    fn put(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.end.to_le_bytes());
        out.extend_from_slice(&self.end_index.to_le_bytes());
        out.extend_from_slice(&self.place.to_le_bytes());
    }

    fn get(bytes: &[u8]) -> Self {
        EndOrder {
            end: i128::from_le_bytes(le(bytes, 0)),
            end_index: u64::from_le_bytes(le(bytes, 16)),
            place: u64::from_le_bytes(le(bytes, 24)),
        }
    }
}

/// A row of the end store as the critical path reads it.
fn path_run(row: &[u8], sender: impl Fn(u64) -> io::Result<Option<Name>>) -> io::Result<PathRun> {
    let (order, mut bytes) = split_key::<EndOrder>(row)?;
    let start = instant_in(&mut bytes)?;
    let agent = name_of(bytes.number()?).ok_or_else(|| bad_row("agent"))?;
    let next = name_of(bytes.number()?);
    Ok(PathRun {
        end: order.end,
        end_index: order.end_index,
        place: order.place,
        start,
        agent,
        next,
        sender: sender(order.place)?,
    })
}

/// Runs held at most while the critical path looks for one step: past
/// that (runs that ended long after the step began, or times that go
/// back), it reads them all into memory.
pub(super) const PATH_WINDOW: usize = 1 << 16;

/// A run's place among the runs, which its details are kept in order of
/// (they come in that order: one run in the store, never sorted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct RunPlace(u64);

impl RowKey for RunPlace {
    const BYTES: usize = 8;
    type Keys = ();

    fn put(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0.to_le_bytes());
    }

    fn get(bytes: &[u8]) -> Self {
        RunPlace(u64::from_le_bytes(le(bytes, 0)))
    }
}

/// A row of the time store, as the walk reads it.
fn walk_run(row: &[u8], sender: impl Fn(u64) -> io::Result<Option<Name>>) -> io::Result<WalkRun> {
    let (order, mut bytes) = split_key::<RunOrder>(row)?;
    let agent = name_of(bytes.number()?).ok_or_else(|| bad_row("agent"))?;
    let next = name_of(bytes.number()?);
    let status = status_of(bytes.u8()?)?;
    let kind = kind_of(bytes.u8()?)?;
    let sender = sender(order.place)?;
    Ok(WalkRun {
        place: order.place,
        agent,
        next,
        status,
        kind,
        sender,
    })
}

/// A shown run's duration, next in its row (after the agent).
fn shown_duration(bytes: &mut RowBytes<'_>) -> io::Result<Option<f64>> {
    let duration = f64::from_le_bytes(bytes.array()?);
    Ok((!duration.is_nan()).then_some(duration))
}

/// A shown run's row (its agent's name, then its details after the agent)
/// as the run it shows.
fn shown_run(row: &[u8]) -> io::Result<RunView> {
    let mut bytes = RowBytes(row);
    let agent = bytes.text()?;
    let duration = shown_duration(&mut bytes)?;
    let present = bytes.u8()?;
    let mut optional = [None; 3];
    for (i, text) in optional.iter_mut().enumerate() {
        if present & (1 << i) != 0 {
            *text = Some(bytes.text()?);
        }
    }
    let [event_id, error, next] = optional;
    let start = bytes.timestamp()?;
    let end = bytes.timestamp()?;
    let index = |n: u64| n.checked_sub(1);
    let start_index = index(bytes.number()?);
    let end_index = index(bytes.number()?);
    let status = status_of(bytes.u8()?)?;
    Ok(view(&AgentRun {
        agent,
        event_id,
        start,
        end,
        duration_ms: duration,
        wait_ms: None,
        status,
        error,
        next,
        kind: None,
        tokens: Tokens::default(),
        model: None,
        start_index,
        end_index,
        orphan: false,
        input_state: None,
        output_state: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_whose_row_is_bad_is_an_error_when_written() {
        for (rows, at) in [(vec![9, 1, 2], 0..3), (vec![1, b'a'], 0..5)] {
            let steps = PathSteps::Rows(StepRows {
                steps: vec![StepRow {
                    at,
                    gap_ms: None,
                    ambiguous: false,
                    duration_ms: None,
                }],
                rows: std::sync::Arc::new(rows),
                run: shown_run,
            });
            assert!(steps.iter().next().is_some_and(|step| step.is_err()));
            assert!(serde_json::to_string(&steps).is_err());
        }
    }

    #[test]
    fn durations_are_ordered_as_total_cmp_orders_them() {
        let mut numbers = vec![
            f64::NEG_INFINITY,
            -1e300,
            -2.5,
            -0.0,
            0.0,
            f64::MIN_POSITIVE,
            1.0,
            2.5,
            1e300,
            f64::INFINITY,
            f64::NAN,
            -f64::NAN,
        ];
        for &n in &numbers {
            assert_eq!(duration_of_order(duration_order(n)).to_bits(), n.to_bits());
        }
        let mut by_order = numbers.clone();
        by_order.sort_by_key(|&n| duration_order(n));
        numbers.sort_by(f64::total_cmp);
        let bits = |v: &[f64]| v.iter().map(|n| n.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&by_order), bits(&numbers));
    }
}
