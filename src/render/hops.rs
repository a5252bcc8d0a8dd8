//! A session's hops, held for a view drawn from all of them (the flow
//! view sizes its columns from every hop, then goes over them section by
//! section): encoded in a row store (`rows.rs`), in time order, in
//! bounded memory however long the session. While they fit in memory,
//! sections read them where they lie; past that, a window at a time, and
//! grouped by event through two more stores, so no section holds anything
//! per hop.

use std::borrow::Cow;
use std::hash::BuildHasher;
use std::io::{self, Write};

use super::rows::{
    leading_key, put_head, put_number, put_text, row_datetime, split_key, time_key, RowBytes,
    RowKey, RowStore,
};
use crate::analysis::flow::{event_label, group_heading, Hop, HopHook, HopKind, NO_EVENT};
use crate::analysis::timeline::{TimeKey, TimeKeys};
use crate::analysis::{FastMap, Hash128};
use crate::model::{Timestamp, Written};

/// Bytes of hops held in memory before they go to a temporary file: a
/// gigabyte's session has about 75,000 hops, 10 MB encoded with their
/// keys. While they fit, sections read them on every core straight from
/// memory, and group them by event by sorting hashes; past it, through
/// windows and more stores, in bounded memory.
const HOPS_IN_MEMORY: usize = 12 << 20;

/// Hops read back from the file at a time: two batches of
/// [`super::flow::HOPS_PER_BATCH`], rendered side by side.
const WINDOW: usize = 4096;

/// What the store's file holds, for its errors.
const WHAT: &str = "the flow's hops";

/// A session's hops in time order; see the module's comment.
pub struct HopStore {
    rows: RowStore<TimeKey>,
    keys: TimeKeys,
    budget: usize,
}

impl Default for HopStore {
    fn default() -> Self {
        HopStore::with_budget(HOPS_IN_MEMORY)
    }
}

impl HopStore {
    /// A store that holds `budget` bytes of hops in memory (tests make it
    /// small to send hops to the file).
    pub fn with_budget(budget: usize) -> Self {
        HopStore {
            rows: RowStore::new(budget, time_key, WHAT),
            keys: TimeKeys::default(),
            budget,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The place in time order `hop` (the next in file order) would
    /// have, for a view that keeps no hops.
    pub fn place(&mut self, hop: &Hop<'_>) -> TimeKey {
        self.keys.key(hop.timestamp.instant_nanos(), hop.index)
    }

    /// Adds `hop` (hops come in file order); its place in time order.
    pub fn push(&mut self, hop: &Hop<'_>) -> io::Result<TimeKey> {
        let key = self.place(hop);
        self.rows.push_with(key, |row| {
            encode(hop, row);
            Ok(())
        })?;
        Ok(key)
    }

    /// Calls `f` with every hop in time order, in windows of hops read
    /// by place (for threads to share): all of them at once while they
    /// are in memory, else `WINDOW` at a time.
    pub fn for_each_window(
        &mut self,
        f: &mut dyn FnMut(&Rows<'_>) -> io::Result<()>,
    ) -> io::Result<()> {
        if let Some(held) = self.held() {
            return f(&held.rows());
        }
        let mut window = Window::default();
        self.rows.for_each(&mut |row| {
            window.add(row);
            if window.starts.len() == WINDOW {
                window.flush(f)?;
            }
            Ok(())
        })?;
        window.flush(f)
    }

    /// The hops, when they are all in memory: then every section can
    /// read them at once, from any thread.
    fn held(&mut self) -> Option<Held<'_>> {
        let (bytes, starts) = self.rows.in_memory()?;
        Some(Held {
            bytes,
            starts: starts.collect(),
        })
    }

    /// Calls `f` with every hop in time order.
    pub fn for_each(&mut self, f: &mut dyn FnMut(&Hop<'_>) -> io::Result<()>) -> io::Result<()> {
        self.rows.for_each(&mut |row| f(&decode(row)?))
    }

    /// Writes the hops grouped by event, each item's text made by `line`
    /// (on every core, written in order): groups in order of each event's
    /// first hop, each group's [`group_heading`] then its hops in time
    /// order, numbered from 1 (hops without an event id form a group of
    /// their own).
    ///
    /// While the hops are in memory, they are grouped by sorting their
    /// events' hashes. Past that (a long session has about as many
    /// events as hops), the groups are made by sorting, in two more
    /// stores: the hops by their event's label (by its hash, then time),
    /// which finds each event's first hop and the labels two events
    /// share; then by their event's first hop, each group after its
    /// heading.
    pub fn by_event(&mut self, line: &EventLine<'_>, out: &mut dyn Write) -> io::Result<()> {
        let threads = crate::input::parallel::cores();
        if let Some(held) = self.held() {
            let rows = held.rows();
            return EventGroups::of(&rows, threads)?.write(&rows, line, threads, out);
        }
        self.by_event_from_files(line, threads, out)
    }

    /// [`HopStore::by_event`], with the hops' events hashed as they came
    /// (`hashes`, when it holds every hop, in time order): they are not
    /// read again to be grouped.
    pub(super) fn by_event_hashed(
        &mut self,
        hashes: EventHashes,
        line: &EventLine<'_>,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let threads = crate::input::parallel::cores();
        match self.held() {
            Some(held) if held.rows().len() == hashes.len() => {
                let rows = held.rows();
                let (mut by_event, label_hash) = hashes.hashed;
                // Unique keys (places differ): no need for a stable sort.
                by_event.sort_unstable();
                EventGroups::grouped(&rows, by_event, &label_hash)?.write(&rows, line, threads, out)
            }
            _ => self.by_event(line, out),
        }
    }

    /// Writes what `first` makes of every hop (in time order), then
    /// `between`, then the hops grouped by event as [`HopStore::by_event`]
    /// does. Each goes over every hop: while the hops are in memory,
    /// `first` runs on a thread of its own while the events are grouped,
    /// its text held until they are (it is no longer than the hops in
    /// memory); else it is written as the hops are read.
    pub fn by_event_after(
        &mut self,
        first: &mut (dyn HopPass + Send),
        between: &[u8],
        line: &EventLine<'_>,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let threads = crate::input::parallel::cores();
        if let Some(held) = self.held() {
            let rows = held.rows();
            let (text, groups) = std::thread::scope(|scope| {
                let pass = scope.spawn(|| -> io::Result<Vec<u8>> {
                    let mut text = Vec::new();
                    for hop in rows.slice(0..rows.len()) {
                        first.hop(&hop?, &mut text)?;
                    }
                    first.end(&mut text)?;
                    Ok(text)
                });
                let groups = EventGroups::of(&rows, threads);
                let text = pass
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                (text, groups)
            });
            out.write_all(&text?)?;
            out.write_all(between)?;
            return groups?.write(&rows, line, threads, out);
        }
        self.for_each(&mut |hop| first.hop(hop, out))?;
        first.end(out)?;
        out.write_all(between)?;
        self.by_event_from_files(line, threads, out)
    }

    /// [`HopStore::by_event`] for hops gone to the file: see there.
    fn by_event_from_files(
        &mut self,
        line: &EventLine<'_>,
        threads: usize,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        // A twelfth of the budget each: the hops stay in the first store.
        let budget = self.budget / 12;
        let hasher = foldhash::fast::RandomState::default();
        // The hops by (label's hash, place in time order), the key first.
        let mut by_label: RowStore<Pair> = RowStore::with_leading_keys(budget, WHAT);
        let mut place = 0;
        self.rows.for_each(&mut |hop| {
            let label = event_label(event_of(hop)?.unwrap_or(""));
            let key = Pair(hasher.hash_one(label), place);
            place += 1;
            by_label.push_keyed(key, |row| row.extend_from_slice(hop))
        })?;
        // The same hops by (first place of their event, 1 + place), after
        // a heading keyed (first place, 0).
        let mut groups: RowStore<Pair> = RowStore::with_leading_keys(budget, WHAT);
        let mut labelled = Labelled::default();
        by_label.for_each(&mut |keyed| {
            let (key, RowBytes(hop)) = split_key::<Pair>(keyed)?;
            if labelled.hash != Some(key.0) {
                labelled.headings(&mut groups)?;
                labelled.hash = Some(key.0);
            }
            let first = labelled.first_of(event_of(hop)?, key.1);
            groups.push_keyed(Pair(first, key.1 + 1), |row| row.extend_from_slice(hop))
        })?;
        labelled.headings(&mut groups)?;
        drop(by_label);
        // Read in order here, in batches that each carry every item's
        // number in its group, rendered on every core.
        let render = |batch: &(Window, Vec<usize>), text: &mut Vec<u8>| -> io::Result<()> {
            let (window, numbers) = batch;
            for (&start, &number) in window.starts.iter().zip(numbers) {
                let keyed = super::rows::row_at(&window.bytes, start)?;
                let (Pair(..), RowBytes(rest)) = split_key(keyed)?;
                let item = match number {
                    0 => EventItem::Group(Cow::Borrowed(RowBytes(rest).text()?)),
                    n => EventItem::Hop(decode(rest)?, n),
                };
                line(item, text)?;
            }
            Ok(())
        };
        let mut number = 0;
        super::ordered::render_in_order(
            |each| {
                let mut batch = (Window::default(), Vec::new());
                groups.for_each(&mut |keyed| {
                    let key = leading_key::<Pair>(&mut (), keyed)?;
                    number = if key.1 == 0 { 0 } else { number + 1 };
                    batch.0.add(keyed);
                    batch.1.push(number);
                    if batch.1.len() == BATCH {
                        each(std::mem::take(&mut batch))?;
                    }
                    Ok(())
                })?;
                match batch.1.is_empty() {
                    true => Ok(()),
                    false => each(batch),
                }
            },
            &render,
            threads,
            out,
        )
    }
}

/// A pass over every hop in time order, writing as it goes (see
/// [`HopStore::by_event_after`]).
pub trait HopPass {
    fn hop(&mut self, hop: &Hop<'_>, out: &mut dyn Write) -> io::Result<()>;
    /// After the last hop.
    fn end(&mut self, out: &mut dyn Write) -> io::Result<()>;
}

/// Makes an item's text (see [`HopStore::by_event`]).
pub type EventLine<'a> = dyn Fn(EventItem<'_>, &mut Vec<u8>) -> io::Result<()> + Sync + 'a;

/// Items of [`HopStore::by_event`] rendered together on one core.
const BATCH: usize = 2048;

/// The groups of [`HopStore::by_event`] for hops all in memory, made by
/// sorting rather than through maps: a map of tens of thousands of event
/// ids is probed all over memory, and its misses cost more than sorting
/// numbers in order. Each hop's event is known by 128 bits of hash
/// ([`Hash128`]); its label by 64 bits, compared as text when two groups'
/// hashes meet. The hops sorted by event hash, then place, make the
/// groups (each a run, its first place first); the groups are then put
/// in order of first place. Made apart from their writing, so that a view
/// can make them while it writes something else.
struct EventGroups {
    /// (event hash, place) of every hop, by event hash, then place.
    by_event: Vec<(u128, u32)>,
    /// Each group: its first place, where its members are in `by_event`
    /// and its label's hash; in order of first place.
    groups: Vec<(u32, std::ops::Range<u32>, u64)>,
    /// Whether a group's label is another group's too.
    shared: Vec<bool>,
}

impl EventGroups {
    /// The groups of the hops in `rows`, hashed and sorted on `threads`.
    fn of(rows: &Rows<'_>, threads: usize) -> io::Result<EventGroups> {
        let hasher = EventHashes::default();
        // (event hash, place) for every hop, sorted, and each hop's label
        // hash, made on every core.
        let places: Vec<u32> = (0..rows.len()).map(small).collect();
        let hash = |part: &[u32]| -> io::Result<Hashed> {
            let mut by_event = Vec::with_capacity(part.len());
            let mut label_hash = Vec::with_capacity(part.len());
            for &place in part {
                let event = rows.event_at(rows.starts()[place as usize])?;
                let (event, label) = hasher.hash(event);
                by_event.push((event, place));
                label_hash.push(label);
            }
            by_event.sort_unstable();
            Ok((by_event, label_hash))
        };
        let join = |a: io::Result<Hashed>, b: io::Result<Hashed>| {
            let ((mut events, mut labels), (more_events, more_labels)) = (a?, b?);
            // Two sorted runs: the stable sort finds them and merges them
            // in one pass.
            events.extend(more_events);
            labels.extend(more_labels);
            Ok((events, labels))
        };
        let (mut by_event, label_hash) =
            super::ordered::fold_parts(&places, threads, BATCH, &hash, join)
                .unwrap_or_else(|| Ok(Default::default()))?;
        drop(places);
        // One sorted run a core: the stable sort finds them and merges
        // them.
        by_event.sort();
        EventGroups::grouped(rows, by_event, &label_hash)
    }

    /// The groups of the hops in `rows`, given (event hash, place) of
    /// every hop, sorted, and each hop's label hash by place.
    fn grouped(
        rows: &Rows<'_>,
        by_event: Vec<(u128, u32)>,
        label_hash: &[u64],
    ) -> io::Result<EventGroups> {
        // Each group's first place, members and label hash.
        let mut groups: Vec<(u32, std::ops::Range<u32>, u64)> = by_event
            .chunk_by(|a, b| a.0 == b.0)
            .scan(0, |at, run| {
                let start = *at;
                *at += run.len();
                Some((
                    run[0].1,
                    small(start)..small(*at),
                    label_hash[run[0].1 as usize],
                ))
            })
            .collect();
        groups.sort_unstable_by_key(|&(first, _, _)| first);
        // Groups whose label another group has: by label hash, the labels
        // of groups of the same hash sorted as text (a file can give
        // thousands of events one label: comparing them in pairs would take
        // their square).
        let mut shared = vec![false; groups.len()];
        let mut by_label: Vec<(u64, u32)> = groups
            .iter()
            .enumerate()
            .map(|(g, &(_, _, label))| (label, small(g)))
            .collect();
        by_label.sort_unstable();
        let mut same_hash: Vec<(&str, usize)> = Vec::new();
        for same in by_label
            .chunk_by(|a, b| a.0 == b.0)
            .filter(|run| run.len() > 1)
        {
            same_hash.clear();
            for &(_, g) in same {
                let g = g as usize;
                let event = rows.event_at(rows.starts()[groups[g].0 as usize])?;
                same_hash.push((event_label(event.unwrap_or(NO_EVENT)), g));
            }
            same_hash.sort_unstable();
            for run in same_hash.chunk_by(|a, b| a.0 == b.0) {
                if run.len() > 1 {
                    for &(_, g) in run {
                        shared[g] = true;
                    }
                }
            }
        }
        Ok(EventGroups {
            by_event,
            groups,
            shared,
        })
    }

    /// Writes the groups of the hops in `rows` (those they were made of),
    /// each item's text made by `line` on `threads`, written in order.
    fn write(
        &self,
        rows: &Rows<'_>,
        line: &EventLine<'_>,
        threads: usize,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let render = |range: &std::ops::Range<usize>, text: &mut Vec<u8>| -> io::Result<()> {
            for g in range.clone() {
                let (first, members, _) = &self.groups[g];
                let event = rows.event_at(rows.starts()[*first as usize])?;
                line(EventItem::Group(group_heading(event, self.shared[g])), text)?;
                let members = &self.by_event[members.start as usize..members.end as usize];
                for (n, &(_, place)) in members.iter().enumerate() {
                    line(
                        EventItem::Hop(rows.at(rows.starts()[place as usize])?, n + 1),
                        text,
                    )?;
                }
            }
            Ok(())
        };
        super::ordered::render_ranges_in_order(self.groups.len(), BATCH, &render, threads, out)
    }
}

/// Each hop's event hash and place, and its label's hash.
type Hashed = (Vec<(u128, u32)>, Vec<u64>);

/// The hops' events hashed as the hops come, in time order, for
/// [`HopStore::by_event_hashed`]: 40 bytes a hop.
#[derive(Default)]
pub(super) struct EventHashes {
    events: Hash128,
    labels: foldhash::fast::RandomState,
    hashed: Hashed,
}

impl EventHashes {
    /// An event's hash, and its label's.
    fn hash(&self, event: Option<&str>) -> (u128, u64) {
        let label = event_label(event.unwrap_or(NO_EVENT));
        (self.events.of(event), self.labels.hash_one(label))
    }

    /// Adds the hop that comes next in time order.
    pub(super) fn push(&mut self, hop: &Hop<'_>) {
        let (event, label) = self.hash(hop.event_id);
        let (by_event, label_hash) = &mut self.hashed;
        by_event.push((event, small(label_hash.len())));
        label_hash.push(label);
    }

    /// Hops added.
    pub(super) fn len(&self) -> usize {
        self.hashed.1.len()
    }
}

/// A place among hops held in memory, in 32 bits (they are a few hundred
/// thousand at most, within the store's budget).
fn small(place: usize) -> u32 {
    u32::try_from(place).unwrap_or(u32::MAX)
}

/// What [`HopStore::by_event`] gives, in order.
pub enum EventItem<'a> {
    /// A group's heading, before its hops.
    Group(Cow<'a, str>),
    /// A hop, and its number in its group (from 1).
    Hop(Hop<'a>, usize),
}

/// A key of two numbers, for the stores that group hops by event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Pair(u64, u64);

impl RowKey for Pair {
    const BYTES: usize = 16;
    type Keys = ();

    fn put(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0.to_be_bytes());
        out.extend_from_slice(&self.1.to_be_bytes());
    }

    fn get(bytes: &[u8]) -> Self {
        let mut a = [0; 8];
        let mut b = [0; 8];
        a.copy_from_slice(&bytes[..8]);
        b.copy_from_slice(&bytes[8..16]);
        Pair(u64::from_be_bytes(a), u64::from_be_bytes(b))
    }
}

/// The events of the hops of one label hash (normally one event), as the
/// hops come in time order: each event's first place. Their ids are kept
/// in one text, found by a scan while they are few and through a map
/// when many (a file can give thousands of events one label).
#[derive(Default)]
struct Labelled {
    hash: Option<u64>,
    /// The events' ids, one after the other.
    ids: String,
    /// Each event's id in `ids`, and its first place.
    events: Vec<(std::ops::Range<usize>, u64)>,
    /// Each event by its id, once there are many.
    by_id: FastMap<String, usize>,
    /// The first place of hops without an event id.
    unnamed: Option<u64>,
}

/// Events of one label hash found by a scan.
const SCANNED: usize = 8;

impl Labelled {
    /// The first place of `event`, whose hop at `place` is the latest yet.
    fn first_of(&mut self, event: Option<&str>, place: u64) -> u64 {
        let Some(event) = event else {
            return *self.unnamed.get_or_insert(place);
        };
        let found = if self.events.len() <= SCANNED {
            self.events
                .iter()
                .position(|(id, _)| &self.ids[id.clone()] == event)
        } else {
            self.by_id.get(event).copied()
        };
        if let Some(k) = found {
            return self.events[k].1;
        }
        let start = self.ids.len();
        self.ids.push_str(event);
        self.events.push((start..self.ids.len(), place));
        if self.events.len() > SCANNED {
            if self.by_id.is_empty() {
                for (k, (id, _)) in self.events.iter().enumerate() {
                    self.by_id.insert(self.ids[id.clone()].to_string(), k);
                }
            } else {
                self.by_id.insert(event.to_string(), self.events.len() - 1);
            }
        }
        place
    }

    /// Writes the heading of each event seen since the last call, keyed
    /// before its hops, and starts again.
    fn headings(&mut self, groups: &mut RowStore<Pair>) -> io::Result<()> {
        let ids = &self.ids;
        let label = |id: &std::ops::Range<usize>| event_label(&ids[id.clone()]);
        // Labels of two or more events here: one event (the usual case)
        // shares none.
        let mut counts: FastMap<&str, usize> = FastMap::default();
        if self.events.len() > 1 {
            for (id, _) in &self.events {
                *counts.entry(label(id)).or_default() += 1;
            }
        }
        let shared = |id: &std::ops::Range<usize>| counts.get(label(id)).is_some_and(|&n| n > 1);
        let named = self
            .events
            .iter()
            .map(|(id, first)| (Some(&ids[id.clone()]), *first, shared(id)));
        let unnamed = self.unnamed.map(|first| (None, first, false));
        for (event, first, shared) in named.chain(unnamed) {
            groups.push_keyed(Pair(first, 0), |row| {
                put_text(row, &group_heading(event, shared))
            })?;
        }
        self.ids.clear();
        self.events.clear();
        self.by_id.clear();
        self.unnamed = None;
        Ok(())
    }
}

/// All the hops, in memory (see [`HopStore::held`]).
struct Held<'a> {
    bytes: &'a [u8],
    starts: Vec<usize>,
}

impl Held<'_> {
    fn rows(&self) -> Rows<'_> {
        Rows {
            bytes: self.bytes,
            starts: &self.starts,
        }
    }
}

/// Hops held one after another, each its length first, read by place.
pub struct Rows<'a> {
    bytes: &'a [u8],
    /// Where each hop starts in `bytes`, in time order.
    starts: &'a [usize],
}

impl<'a> Rows<'a> {
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// Where each hop starts, to split among threads ([`Rows::at`] reads
    /// one).
    pub fn starts(&self) -> &'a [usize] {
        self.starts
    }

    /// The hop that starts at `start`.
    pub fn at(&self, start: usize) -> io::Result<Hop<'a>> {
        decode(super::rows::row_at(self.bytes, start)?)
    }

    /// The event id of the hop that starts at `start`.
    fn event_at(&self, start: usize) -> io::Result<Option<&'a str>> {
        event_of(super::rows::row_at(self.bytes, start)?)
    }

    /// The hops in `range` of places.
    pub fn slice(
        &self,
        range: std::ops::Range<usize>,
    ) -> impl Iterator<Item = io::Result<Hop<'a>>> + '_ {
        self.starts[range].iter().map(|&start| self.at(start))
    }
}

/// Rows gathered from the file, to be read together.
#[derive(Default)]
struct Window {
    /// The rows, each its length first.
    bytes: Vec<u8>,
    starts: Vec<usize>,
}

impl Window {
    fn add(&mut self, row: &[u8]) {
        self.starts.push(self.bytes.len());
        self.bytes
            .extend_from_slice(&(row.len() as u32).to_le_bytes());
        self.bytes.extend_from_slice(row);
    }

    /// Hands the rows to `f`, and empties the window.
    fn flush(&mut self, f: &mut dyn FnMut(&Rows<'_>) -> io::Result<()>) -> io::Result<()> {
        if self.starts.is_empty() {
            return Ok(());
        }
        f(&Rows {
            bytes: &self.bytes,
            starts: &self.starts,
        })?;
        self.bytes.clear();
        self.starts.clear();
        Ok(())
    }
}

/// Bits of the byte that says which of a hop's optional strings follow.
const NEXT: u8 = 1;
const EVENT: u8 = 2;
const ERROR: u8 = 4;
const CHANGES: u8 = 8;

/// Appends `hop`'s encoding: the head every time-ordered row starts with
/// (entry number and time), how its time was written, its hook and kind,
/// which optional strings it has, the length of each string it has, then
/// its strings one after the other (read back as one text, so that a hop
/// is checked for UTF-8 once, not string by string: each section reads
/// every hop again).
fn encode(hop: &Hop<'_>, out: &mut Vec<u8>) {
    put_head(out, hop.index, hop.timestamp);
    let written = match hop.written {
        Written::Absent => None,
        Written::AsParsed => Some(None),
        Written::Text(text) => Some(Some(text)),
    };
    out.push(match written {
        None => 0,
        Some(None) => 1,
        Some(Some(_)) => 2,
    });
    out.push(match hop.hook {
        HopHook::AfterAgentRun => 0,
        HopHook::AgentError => 1,
        HopHook::AfterEventHandling => 2,
    });
    out.push(kind_code(hop.kind));
    let optional = [
        (NEXT, hop.next),
        (EVENT, hop.event_id),
        (ERROR, hop.error),
        (CHANGES, hop.state_changes),
    ];
    out.push(
        optional
            .iter()
            .filter(|(_, s)| s.is_some())
            .fold(0, |bits, (bit, _)| bits | bit),
    );
    let strings = || {
        written
            .flatten()
            .into_iter()
            .chain([hop.agent])
            .chain(optional.iter().filter_map(|(_, s)| *s))
    };
    for text in strings() {
        put_number(out, text.len() as u64);
    }
    for text in strings() {
        out.extend_from_slice(text.as_bytes());
    }
}

/// A hop's kind as rows hold it (hops, and `--analyze`'s runs).
pub(super) fn kind_code(kind: HopKind) -> u8 {
    match kind {
        HopKind::Handoff => 0,
        HopKind::Requeue => 1,
        HopKind::Retry => 2,
        HopKind::Error => 3,
        HopKind::End => 4,
    }
}

/// The kind [`kind_code`] gave `code`.
pub(super) fn kind_of(code: u8) -> Option<HopKind> {
    Some(match code {
        0 => HopKind::Handoff,
        1 => HopKind::Requeue,
        2 => HopKind::Retry,
        3 => HopKind::Error,
        4 => HopKind::End,
        _ => return None,
    })
}

/// A hop's fields as [`encode`] wrote them, up to its strings.
struct Fields<'a> {
    index: u64,
    time: Option<super::rows::RowTime>,
    codes: [u8; 3],
    present: u8,
    /// The strings' lengths, in order; `count` of them.
    lengths: [usize; 6],
    count: usize,
    /// The strings, one after the other.
    strings: &'a [u8],
}

impl<'a> Fields<'a> {
    fn read(row: &'a [u8]) -> io::Result<Fields<'a>> {
        let mut bytes = RowBytes(row);
        let (index, time) = bytes.head()?;
        let [written, hook, kind, present] = bytes.array()?;
        let count = 1 + usize::from(written == 2) + (present & 0xf).count_ones() as usize;
        let mut lengths = [0; 6];
        for len in &mut lengths[..count] {
            *len = bytes.size()?;
        }
        Ok(Fields {
            index,
            time,
            codes: [written, hook, kind],
            present,
            lengths,
            count,
            strings: bytes.0,
        })
    }

    /// Where string `k` is in `strings`.
    fn range(&self, k: usize) -> std::ops::Range<usize> {
        let start = self.lengths[..k].iter().sum();
        start..start + self.lengths[k]
    }
}

fn bad_hop(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("internal error: a held hop's {what}"),
    )
}

/// The hop [`encode`] wrote into `row`.
fn decode(row: &[u8]) -> io::Result<Hop<'_>> {
    let fields = Fields::read(row)?;
    let timestamp = match fields.time {
        Some(time) => Timestamp::At(row_datetime(time)?),
        None => Timestamp::Unset,
    };
    let [written, hook, kind] = fields.codes;
    // Short: std's check is quicker there than a SIMD one's set-up.
    let mut text = std::str::from_utf8(fields.strings).map_err(|_| bad_hop("text"))?;
    let mut lengths = fields.lengths[..fields.count].iter();
    // Each string in turn, off the front of the text.
    let mut next = || -> io::Result<&str> {
        let len = *lengths.next().ok_or_else(|| bad_hop("strings"))?;
        let (string, rest) = text
            .split_at_checked(len)
            .ok_or_else(|| bad_hop("strings"))?;
        text = rest;
        Ok(string)
    };
    let written = match written {
        0 => Written::Absent,
        1 => Written::AsParsed,
        2 => Written::Text(next()?),
        _ => return Err(bad_hop("time")),
    };
    let hook = match hook {
        0 => HopHook::AfterAgentRun,
        1 => HopHook::AgentError,
        2 => HopHook::AfterEventHandling,
        _ => return Err(bad_hop("hook")),
    };
    let kind = kind_of(kind).ok_or_else(|| bad_hop("kind"))?;
    let agent = next()?;
    let mut optional = |bit: u8| match fields.present & bit {
        0 => Ok(None),
        _ => next().map(Some),
    };
    Ok(Hop {
        index: fields.index,
        timestamp,
        written,
        agent,
        next: optional(NEXT)?,
        hook,
        event_id: optional(EVENT)?,
        kind,
        error: optional(ERROR)?,
        state_changes: optional(CHANGES)?,
    })
}

/// The event id of an encoded hop, read without the rest.
fn event_of(row: &[u8]) -> io::Result<Option<&str>> {
    let fields = Fields::read(row)?;
    if fields.present & EVENT == 0 {
        return Ok(None);
    }
    // After the written time, the agent and the next agent, if any.
    let k = usize::from(fields.codes[0] == 2) + 1 + usize::from(fields.present & NEXT != 0);
    let bytes = fields
        .strings
        .get(fields.range(k))
        .ok_or_else(|| bad_hop("event"))?;
    crate::model::utf8(bytes)
        .map(Some)
        .map_err(|_| bad_hop("event"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::flow::FlowBuilder;
    use crate::model::{AgentResult, Entry, Hook, RawJson};

    fn entry(index: u64, agent: &str, event: Option<&str>, second: Option<i64>) -> Entry {
        Entry {
            index,
            hook: Hook::AfterAgentRun,
            timestamp: second.map_or(Timestamp::Unset, |s| {
                Timestamp::At(
                    chrono::DateTime::from_timestamp(1_700_000_000 + s, 0)
                        .unwrap()
                        .into(),
                )
            }),
            agent_id: Some(agent.into()),
            event_id: event.map(Into::into),
            result: Some(AgentResult {
                output_route: Some("next".into()),
                output_state: Some(RawJson(r#"{"meta":{"route":"next"}}"#.into())),
                ..AgentResult::default()
            }),
            ..Entry::default()
        }
    }

    /// Each group's heading and hops (by entry number), from a store of
    /// `budget` bytes.
    fn groups(entries: &[Entry], budget: usize) -> Vec<(String, Vec<u64>)> {
        let mut store = HopStore::with_budget(budget);
        let mut builder = FlowBuilder::default();
        for e in entries {
            if let Some(hop) = builder.push(e) {
                store.push(&hop).unwrap();
            }
        }
        // Each item as a line: a heading, or a hop's entry and number.
        let line = |item: EventItem<'_>, text: &mut Vec<u8>| -> io::Result<()> {
            match item {
                EventItem::Group(heading) => writeln!(text, "={heading}"),
                EventItem::Hop(hop, n) => writeln!(text, "{} {n}", hop.index),
            }
        };
        let mut out = Vec::new();
        store.by_event(&line, &mut out).unwrap();
        let mut groups: Vec<(String, Vec<u64>)> = Vec::new();
        for item in String::from_utf8(out).unwrap().lines() {
            match item.strip_prefix('=') {
                Some(heading) => groups.push((heading.to_string(), Vec::new())),
                None => {
                    let (index, n) = item.split_once(' ').unwrap();
                    let members = &mut groups.last_mut().unwrap().1;
                    members.push(index.parse().unwrap());
                    assert_eq!(n.parse::<usize>().unwrap(), members.len());
                }
            }
        }
        groups
    }

    #[test]
    fn groups_keep_time_order_when_events_interleave() {
        let entries = [
            entry(1, "a", Some("req-1"), Some(1)),
            entry(2, "b", Some("req-2"), Some(2)),
            entry(3, "c", Some("req-1"), Some(3)),
            entry(4, "d", Some("req-3"), Some(4)),
            entry(5, "e", Some("req-2"), Some(5)),
        ];
        for budget in [0, 1 << 20] {
            assert_eq!(
                groups(&entries, budget),
                [
                    ("req-1".to_string(), vec![1, 3]),
                    ("req-2".to_string(), vec![2, 5]),
                    ("req-3".to_string(), vec![4]),
                ]
            );
        }
    }

    /// Groups and their numbers carry across the batches rendered on
    /// each core, held in memory or sorted in files alike.
    #[test]
    fn many_groups_come_out_the_same_held_or_sorted() {
        let entries: Vec<Entry> = (0..5000u64)
            .map(|i| {
                let event = format!("req-{}-x", (i * 7919) % 1300);
                entry(i, "a", Some(&event), Some((i % 97) as i64))
            })
            .collect();
        let held = groups(&entries, 1 << 24);
        assert_eq!(held.len(), 1300);
        assert_eq!(held.iter().map(|(_, m)| m.len()).sum::<usize>(), 5000);
        assert_eq!(groups(&entries, 1 << 12), held);
    }

    /// Thousands of events with one label (`req-7-…`) each show their
    /// ids, held in memory or sorted in files (the labels are sorted, not
    /// compared in pairs: a file of such events once took minutes).
    #[test]
    fn thousands_of_events_sharing_a_label_show_their_ids() {
        let entries: Vec<Entry> = (1..=3000u64)
            .map(|i| entry(i, "a", Some(&format!("req-7-{i}")), Some(i as i64)))
            .collect();
        for budget in [1 << 12, 1 << 24] {
            let groups = groups(&entries, budget);
            assert_eq!(groups.len(), 3000);
            for (i, (heading, members)) in (1..).zip(&groups) {
                assert_eq!(heading, &format!("req-7 (req-7-{i})"));
                assert_eq!(members, &[i]);
            }
        }
    }

    #[test]
    fn events_that_share_a_label_show_their_ids() {
        let entries = [
            entry(1, "planner", Some("req-1-a"), Some(1)),
            entry(2, "writer", Some("req-1-b"), Some(2)),
            entry(3, "x", Some("req-2"), Some(3)),
            entry(4, "y", None, Some(4)),
            entry(5, "z", Some("(no event id)"), Some(5)),
        ];
        for budget in [0, 1 << 20] {
            assert_eq!(
                groups(&entries, budget),
                [
                    ("req-1 (req-1-a)".to_string(), vec![1]),
                    ("req-1 (req-1-b)".to_string(), vec![2]),
                    ("req-2".to_string(), vec![3]),
                    ("(no event id)".to_string(), vec![4]),
                    ("(no event id)".to_string(), vec![5]),
                ]
            );
        }
    }

    proptest::proptest! {
        /// Hops come back as they went in, in time order (a stable sort
        /// by instant, a hop without a time taking the one before it),
        /// and grouped as a list of events groups them, whatever the
        /// budget: held in memory, or sent to files and sorted there.
        #[test]
        fn hops_come_back_in_time_order_and_grouped_by_event(
            hops in proptest::collection::vec(
                (proptest::option::weighted(0.8, 0i64..20), proptest::option::weighted(0.9, 0u8..6)),
                0..60,
            ),
            budget in proptest::prop_oneof![0usize..3000, proptest::strategy::Just(1 << 20)],
        ) {
            let entries: Vec<Entry> = hops
                .iter()
                .enumerate()
                .map(|(i, &(t, e))| {
                    let event = e.map(|e| format!("req-{}-{}", e % 3, e));
                    entry(i as u64, &format!("agent{}", i % 3), event.as_deref(), t)
                })
                .collect();
            let mut keys = TimeKeys::default();
            let mut order: Vec<(TimeKey, u64)> = entries
                .iter()
                .map(|e| (keys.key(e.timestamp.instant_nanos(), e.index), e.index))
                .collect();
            order.sort();
            let mut store = HopStore::with_budget(budget);
            let mut builder = FlowBuilder::default();
            let mut want_hops = Vec::new();
            for e in &entries {
                let hop = builder.push(e).unwrap();
                store.push(&hop).unwrap();
                want_hops.push(format!("{hop:?}"));
            }
            let mut got = Vec::new();
            store.for_each_window(&mut |window| {
                for h in window.slice(0..window.len()) {
                    let h = h?;
                    got.push((h.index, format!("{h:?}")));
                }
                Ok(())
            }).unwrap();
            let want: Vec<(u64, String)> = order
                .iter()
                .map(|&(_, i)| (i, want_hops[i as usize].clone()))
                .collect();
            proptest::prop_assert_eq!(&got, &want);
            // Groups as a map in memory makes them: in order of first hop.
            let mut want_groups: Vec<(Option<String>, Vec<u64>)> = Vec::new();
            for &(_, i) in &order {
                let event = entries[i as usize].event_id.as_ref().map(|e| e.to_string());
                match want_groups.iter_mut().find(|(e, _)| *e == event) {
                    Some((_, members)) => members.push(i),
                    None => want_groups.push((event, vec![i])),
                }
            }
            let got_groups = groups(&entries, budget);
            proptest::prop_assert_eq!(got_groups.len(), want_groups.len());
            for ((heading, members), (event, want_members)) in got_groups.iter().zip(&want_groups) {
                proptest::prop_assert_eq!(members, want_members);
                let label = event_label(event.as_deref().unwrap_or("(no event id)"));
                proptest::prop_assert!(heading.starts_with(label), "{} {}", heading, label);
            }
        }
    }
}
