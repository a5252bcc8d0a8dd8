//! Reading one input on every core, handing entries out in file order.
//!
//! A `{` in column 1 always starts an entry: JSON strings hold no line
//! break, writers indent what they nest, and the scanner cuts an open entry
//! off there. So the input is read in blocks of about a megabyte, each cut
//! just before its last such brace. There is no reader thread: a worker
//! takes the next block itself (one at a time, under a lock, which is all
//! that is serial), reading it into its own buffer, so the bytes the
//! kernel copies are still in its core's cache when it parses them. From
//! a regular file, only the block's last 64 KiB are read under the lock,
//! to find the cut; the worker reads the rest after (at its offset), side
//! by side with the others: read all under the lock, a gigabyte kept the
//! lock held half the time and workers waited for it. It
//! reads the block on its own, from its first byte to its last: a walker
//! checks and splits entry after entry in one pass (the fast path of
//! [`super::fast`]), and hands anything out of the ordinary (stray bytes,
//! damage, raw control characters…) to a [`Scanner`] resumed where it
//! stands. The calling thread takes the blocks back in order, numbers the
//! entries and carries what one block tells the next (framing, a `]` that
//! closed the array); it lends each entry to the sink and sends the spent
//! ones back to the worker that made them, to be freed there.
//!
//! A view's preparer ([`Prepare`]) runs on the workers, right after each
//! entry is parsed, while the block's text is at hand: payloads the view
//! will not read again are lent to it from that text rather than copied.
//!
//! An input with no such braces (one-line arrays, indented dumps) cannot be
//! cut this way: it is then scanned under the lock, as
//! [`super::read::read_all`] does, a batch of entries at a time, and the
//! workers only parse.
//!
//! The result is the same as [`super::read::read_all`]'s, entry for entry
//! and problem for problem; tests compare the two on every fixture, on
//! generated sessions and at every block size.

use std::io::{self, Read};

use anyhow::Context;
use std::sync::mpsc::channel;
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use super::diagnostic::Diagnostic;
use super::fast;
use super::parse::{entry_from_outline, parse_entry_lent, Keeper, ParseOptions};
use super::read::{
    count_entry, read_full_at, read_some, take_problem, EntrySink, Input, Payloads, Prepare,
    Preparer, ReadAt, ReadReport,
};
use super::redact::Redactor;
use super::scan::{Framing, RawEntry, ScanEvent, Scanner, TopLevel, BOM};
use crate::model::{Entry, Position, RawJson};

/// How the work is cut.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    /// Bytes read before looking for a place to cut.
    pub block: usize,
    /// A block grows to this while it holds no place to cut (one huge
    /// entry); past it, the rest of the input is scanned, by one thread
    /// at a time.
    pub max_block: usize,
    /// Entry bytes per batch when an input that cannot be cut is scanned.
    pub batch: usize,
    pub workers: usize,
}

impl Default for Sizes {
    fn default() -> Self {
        Sizes {
            block: BLOCK,
            max_block: 16 << 20,
            batch: 1 << 18,
            workers: cores(),
        }
    }
}

/// Bytes read before looking for a place to cut, by default.
const BLOCK: usize = 1 << 20;

/// The cores to read on, asked once: the standard library reads cgroup
/// files each time (`list` would ask for every file).
pub fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(2, |n| n.get().clamp(1, 8)))
}

impl Sizes {
    /// For an input of `size` bytes (when known) read on every core: blocks
    /// of a thirty-second of it, from 64 KiB to the default. A small file
    /// then touches little fresh memory (on a 10 MB file, the page faults
    /// of 1 MiB blocks were a third of the time), while a large one keeps
    /// blocks large enough that handing them between threads costs little.
    pub fn for_input(size: Option<u64>) -> Self {
        let block = size.map_or(BLOCK, |size| {
            usize::try_from(size / 32).map_or(BLOCK, |b| b.clamp(64 << 10, BLOCK))
        });
        Sizes {
            block,
            ..Sizes::default()
        }
    }

    /// For a file of `size` bytes read on one thread among others (`list`):
    /// one block the size of the file when it is small, so no buffer
    /// larger than the file is zeroed.
    pub fn for_file(size: u64) -> Self {
        let whole = usize::try_from(size.saturating_add(1)).unwrap_or(BLOCK);
        Sizes {
            block: whole.clamp(4096, BLOCK),
            ..Sizes::default()
        }
    }
}

/// Work for a worker, in file order.
enum Unit {
    /// Bytes that start at the start of the input or with a `{` in
    /// column 1, to scan and parse.
    Block {
        /// Holds the block in its first `len` bytes.
        bytes: Vec<u8>,
        len: usize,
        /// Where it starts; its line is 1 (see [`Lines`]).
        start: Position,
        first: bool,
        last: bool,
        /// The block's first bytes not read yet: to read from the file
        /// (at `start.offset`) outside the lock (see
        /// [`Cutter::cut_from_tail`]).
        unread: usize,
    },
    /// Entries scanned under the lock, to parse; the last batch
    /// carries how the input ended.
    Scanned { batch: RawBatch, end: Option<End> },
}

/// Which line a unit's positions count their lines from. The cutter does
/// not count line breaks (a pass over every byte, under the lock, that
/// the parse makes anyway): a unit's lines are counted from where it
/// starts, and [`Merge::take`], which knows where the units before it
/// ended, adds the lines before that (none before the first unit). No
/// view's preparer reads an entry's line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lines {
    /// From the line a block starts on (where the unit before it ended).
    Block,
    /// From the line the cutter's scan started on (where the last block
    /// ended): every scanned batch, which the one scanner made.
    Scan,
}

/// What a stretch of input tells the next one, and where it ended.
#[derive(Debug, Clone, Copy)]
struct End {
    framing: Framing,
    seen_close: bool,
    position: Position,
}

impl End {
    /// Where a scanner that has read to the end of its stretch stands.
    fn of(scanner: &Scanner) -> End {
        End {
            framing: scanner.framing(),
            seen_close: scanner.seen_close(),
            position: scanner.position(),
        }
    }
}

/// What a worker found, in file order. Problems are rare, so the size of
/// the entry variant costs little; boxing it would cost an allocation per
/// entry.
#[allow(clippy::large_enum_variant)]
enum Item {
    Entry {
        entry: Entry,
        start: Position,
        /// After a `]` within the stretch the worker read.
        after_close: bool,
    },
    Problem(Diagnostic),
}

struct Done {
    items: Vec<Item>,
    end: Option<End>,
    lines: Lines,
    /// The block's buffer, for its worker to fill again.
    spare: Option<Vec<u8>>,
}

/// Reads `input` to its end on all cores; see the module documentation.
pub fn read<R: Read + Send>(
    input: Input<'_, R>,
    options: ParseOptions,
    redact: Option<Arc<Redactor>>,
    sink: &mut dyn EntrySink,
    sizes: Sizes,
) -> anyhow::Result<ReadReport> {
    let workers = sizes.workers.max(1);
    let window = WINDOW_PER_WORKER * workers;
    let prepare = sink.prepare();
    let shared = Shared {
        at: input.file(),
        cutting: Mutex::new(Cutting {
            cutter: Cutter::new(Source::of(input, true), sizes),
            handed: 0,
            failure: None,
        }),
        window: Mutex::new(Window::default()),
        wake: Condvar::new(),
        window_size: window,
    };
    let (done_tx, done_rx) = channel::<(usize, usize, Done)>();
    std::thread::scope(|scope| {
        let mut handles = Vec::with_capacity(workers);
        let mut spent = Vec::with_capacity(workers);
        for worker in 0..workers {
            // Items the calling thread is through with come back to be
            // freed here, where they were allocated: freeing them on the
            // calling thread would contend for this thread's heap.
            let (spent_tx, spent_rx) = channel::<Vec<Item>>();
            spent.push(spent_tx);
            let redact = redact.clone();
            let prepare = prepare.clone();
            let done_tx = done_tx.clone();
            let shared = &shared;
            handles.push(scope.spawn(move || {
                let _stop = StopOnPanic(shared);
                let mut preparer = prepare.as_ref().map(|p| (p.make)());
                // This worker's block: read into here, parsed here, so the
                // bytes the kernel copies are still in this core's cache
                // when they are parsed.
                let mut buffer = Vec::new();
                let mut reuse = Vec::new();
                while let Some((seq, unit)) = shared.take(&mut buffer) {
                    for mut items in spent_rx.try_iter() {
                        items.clear();
                        if items.capacity() > reuse.capacity() {
                            reuse = items;
                        }
                    }
                    let items = std::mem::take(&mut reuse);
                    let mut reading = Reading::new(
                        options,
                        redact.as_deref(),
                        prepare.as_ref(),
                        preparer.as_mut(),
                    );
                    let mut done = read_unit(unit, items, &mut reading);
                    if let Some(block) = done.spare.take() {
                        buffer = block;
                    }
                    if done_tx.send((seq, worker, done)).is_err() {
                        break;
                    }
                }
            }));
        }
        drop(done_tx);
        // A panic here (in the sink) must not leave workers waiting.
        let _stop = StopOnPanic(&shared);

        let mut merge = Merge::default();
        let mut failure = None;
        // Units done out of order wait here, at `seq % window`: no unit is
        // handed out a window or more ahead of the next one to merge.
        let mut waiting: Vec<Option<(usize, Done)>> = (0..window).map(|_| None).collect();
        let mut next = 0;
        'merge: for (seq, worker, done) in &done_rx {
            waiting[seq % window] = Some((worker, done));
            while let Some((worker, mut done)) = waiting[next % window].take() {
                let taken = merge.take(&mut done, sink);
                // A worker that has stopped drops them here instead.
                let _ = spent[worker].send(done.items);
                next += 1;
                shared.merged(next);
                if let Err(e) = taken {
                    failure = Some(e);
                    break 'merge;
                }
            }
        }
        // Workers stop before their next unit, or at their next send.
        shared.stop();
        drop(done_rx);
        for handle in handles {
            handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        }
        if let Some(e) = failure {
            return Err(e);
        }
        if let Some(e) = shared.failure() {
            return Err(e);
        }
        Ok(merge.report())
    })
}

/// Units handed out and not yet merged, at most, per worker: a worker
/// that is ahead waits rather than piling up parsed entries.
const WINDOW_PER_WORKER: usize = 2;

/// What the workers share: the cutter, which one worker at a time takes
/// the next unit from, and the window, which says how far the calling
/// thread has merged. They are locked apart: a worker may hold the cutter
/// through a read that blocks (a pipe that is slow to fill), and the
/// calling thread must still be able to merge what is done.
struct Shared<'a, R> {
    /// The file, when the input is one: units' unread bytes are read
    /// from it outside the lock.
    at: Option<&'a dyn ReadAt>,
    cutting: Mutex<Cutting<'a, R>>,
    window: Mutex<Window>,
    /// Wakes workers waiting for the merge to catch up (or to stop).
    wake: Condvar,
    window_size: usize,
}

struct Cutting<'a, R> {
    cutter: Cutter<'a, R>,
    /// Units handed out so far (the next one's number).
    handed: usize,
    /// Reading the input failed (at the unit numbered so): returned once
    /// what came before is merged.
    failure: Option<(usize, anyhow::Error)>,
}

#[derive(Default)]
struct Window {
    /// Units workers may take so far (each worker reserves one before it
    /// cuts), and units merged.
    reserved: usize,
    merged: usize,
    /// Workers waiting on `wake`.
    waiting: usize,
    stop: bool,
}

impl<R: Read> Shared<'_, R> {
    fn window(&self) -> std::sync::MutexGuard<'_, Window> {
        // Nothing that holds it can panic; a poisoned one still counts.
        self.window.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The next unit and its number in file order, read into `buffer`;
    /// `None` at the end, after a failure or once told to stop.
    fn take(&self, buffer: &mut Vec<u8>) -> Option<(usize, Unit)> {
        // A place in the window first: no more than a window of units is
        // ever out, so their numbers never wrap onto one another.
        {
            let mut window = self.window();
            while !window.stop && window.reserved >= window.merged + self.window_size {
                window.waiting += 1;
                window = self
                    .wake
                    .wait(window)
                    .unwrap_or_else(PoisonError::into_inner);
                window.waiting -= 1;
            }
            if window.stop {
                return None;
            }
            window.reserved += 1;
        }
        // A worker that panicked while cutting left the cutter torn (the
        // carry taken, the count not moved on): nothing more is cut.
        let mut cutting = self.cutting.lock().ok()?;
        let (seq, mut unit) = match cutting.cutter.next(buffer) {
            Ok(Some(unit)) => {
                let seq = cutting.handed;
                cutting.handed += 1;
                (seq, unit)
            }
            Ok(None) => return None,
            Err(e) => {
                let seq = cutting.handed;
                drop(cutting);
                self.fail(seq, e);
                return None;
            }
        };
        drop(cutting);
        // The unit has its number: when its bytes cannot be read, nothing
        // from it on is merged, and the failure is returned once the
        // units before it are.
        if let Err(e) = read_unread(&mut unit, self.at) {
            self.fail(seq, e);
            return None;
        }
        Some((seq, unit))
    }

    /// Reading unit `seq` failed: the workers stop, and of the failures
    /// the earliest unit's is kept (readers fail side by side).
    fn fail(&self, seq: usize, e: anyhow::Error) {
        let mut cutting = self.cutting.lock().unwrap_or_else(PoisonError::into_inner);
        if cutting
            .failure
            .as_ref()
            .is_none_or(|(first, _)| seq < *first)
        {
            cutting.failure = Some((seq, e));
        }
        drop(cutting);
        self.stop();
    }

    /// The calling thread has merged `merged` units.
    fn merged(&self, merged: usize) {
        let mut window = self.window();
        window.merged = merged;
        if window.waiting > 0 {
            drop(window);
            self.wake.notify_all();
        }
    }

    fn stop(&self) {
        self.window().stop = true;
        self.wake.notify_all();
    }

    /// Why reading the input failed, if it did.
    fn failure(&self) -> Option<anyhow::Error> {
        self.cutting
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .failure
            .take()
            .map(|(_, e)| e)
    }
}

/// Stops the workers when the thread that holds it panics (a worker, whose
/// unit will never be merged, or the calling thread, which will merge no
/// more): they would wait for it.
struct StopOnPanic<'a, 'b, R: Read>(&'a Shared<'b, R>);

impl<R: Read> Drop for StopOnPanic<'_, '_, R> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.stop();
        }
    }
}

/// Files read side by side in one batch at most, and bytes (a batch is
/// cut before a file that would take it past them, so the sessions held
/// at once stay few); a file this size or larger is read alone, on every
/// core.
pub const BATCH_FILES: usize = 64;
pub const BATCH_BYTES: u64 = 64 << 20;

/// `files` (sized by `size`) cut into what is read at once, in order:
/// batches of small files to read [`side_by_side`] (within
/// [`BATCH_FILES`] and [`BATCH_BYTES`]), and each large file alone, on
/// every core (`true`).
pub fn batches<T>(files: &[T], size: impl Fn(&T) -> u64) -> Vec<(&[T], bool)> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, path) in files.iter().enumerate() {
        let size = size(path);
        let alone = size >= BATCH_BYTES;
        let count = i - start;
        if count > 0 && (alone || count == BATCH_FILES || bytes + size > BATCH_BYTES) {
            out.push((&files[start..i], false));
            (start, bytes) = (i, 0);
        }
        if alone {
            out.push((&files[i..=i], true));
            start = i + 1;
        } else {
            bytes += size;
        }
    }
    if start < files.len() {
        out.push((&files[start..], false));
    }
    out
}

/// Does `work` for each of `count` items (files, say, each read with
/// [`read_inline`]) on as many threads as there are cores, each thread
/// lending its [`Scratch`] from item to item. The results come back in
/// item order.
pub fn side_by_side<T: Send>(
    count: usize,
    work: impl Fn(usize, &mut Scratch) -> T + Sync,
) -> Vec<T> {
    let threads = cores().min(count.max(1));
    if threads <= 1 {
        let mut scratch = Scratch::default();
        return (0..count).map(|i| work(i, &mut scratch)).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut done: Vec<(usize, T)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut scratch = Scratch::default();
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if i >= count {
                            return done;
                        }
                        done.push((i, work(i, &mut scratch)));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            // A worker that panicked passes its panic on, as the scope
            // would.
            .flat_map(|w| {
                w.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    // Each item was taken by exactly one thread.
    done.sort_unstable_by_key(|&(i, _)| i);
    done.into_iter().map(|(_, result)| result).collect()
}

/// Reads `input` on the calling thread, block by block as the workers
/// would (one pass per entry, no scanner unless something is odd): for
/// many small files read side by side, where threads per file would cost
/// more than they save. What `scratch` holds is used again from one file
/// to the next. Payloads are masked by `redact`, when given.
pub fn read_inline<R: Read>(
    input: Input<'_, R>,
    options: ParseOptions,
    redact: Option<&Redactor>,
    sink: &mut dyn EntrySink,
    sizes: Sizes,
    scratch: &mut Scratch,
) -> anyhow::Result<ReadReport> {
    let mut merge = Merge::default();
    let prepare = sink.prepare();
    let mut preparer = prepare.as_ref().map(|p| (p.make)());
    // No lock to leave: a file's blocks are read in order, in one call.
    let mut cutter = Cutter::new(Source::of(input, false), sizes);
    let mut buffer = std::mem::take(&mut scratch.buffer);
    let mut items = std::mem::take(&mut scratch.items);
    let mut read = || -> anyhow::Result<()> {
        while let Some(unit) = cutter.next(&mut buffer)? {
            let mut reading = Reading::new(options, redact, prepare.as_ref(), preparer.as_mut());
            let mut done = read_unit(unit, std::mem::take(&mut items), &mut reading);
            let taken = merge.take(&mut done, sink);
            if let Some(block) = done.spare {
                buffer = block;
            }
            items = done.items;
            items.clear();
            taken?;
        }
        Ok(())
    };
    let read = read();
    scratch.buffer = buffer;
    items.clear();
    scratch.items = items;
    read?;
    Ok(merge.report())
}

/// What [`read_inline`] keeps from one file to the next (the block buffer,
/// zeroed only when it grows, and the room for entries), so that reading
/// many small files does not grow them again for each.
#[derive(Default)]
pub struct Scratch {
    buffer: Vec<u8>,
    items: Vec<Item>,
}

/// The calling thread's side: takes what the workers did, in file order,
/// and hands it to the sink.
#[derive(Default)]
struct Merge {
    report: ReadReport,
    framing: Option<Framing>,
    seen_close: bool,
    end: Position,
    /// Lines before the cutter's scan started (see [`Lines::Scan`]).
    before_scan: Option<u64>,
}

impl Merge {
    /// Numbers and hands out one unit's entries and problems. The items
    /// stay in `done`, lent to the sink, so that the worker that made them
    /// can free them (and its buffer can be used again).
    fn take(&mut self, done: &mut Done, sink: &mut dyn EntrySink) -> anyhow::Result<()> {
        // A `]` in an earlier stretch: every entry here comes after it.
        let closed_before = self.seen_close;
        // The lines before the unit's first (units after the first start
        // where the one before ended).
        let before = self.end.line.saturating_sub(1);
        let shift = match done.lines {
            Lines::Block => before,
            Lines::Scan => *self.before_scan.get_or_insert(before),
        };
        for item in &mut done.items {
            match item {
                Item::Problem(d) => {
                    d.shift_lines(shift);
                    take_problem(&mut self.report, d.clone(), sink);
                }
                Item::Entry {
                    entry,
                    start,
                    after_close,
                } => {
                    entry.position.line += shift;
                    start.line += shift;
                    let after_close = *after_close || closed_before;
                    count_entry(&mut self.report, entry, *start, after_close, sink)?;
                }
            }
        }
        if let Some(mut e) = done.end {
            e.position.line += shift;
            match &mut self.framing {
                // The first stretch knows the array and the BOM.
                None => self.framing = Some(e.framing),
                Some(f) => {
                    f.objects += e.framing.objects;
                    f.closed = e.framing.closed;
                    f.incomplete_tail = e.framing.incomplete_tail;
                }
            }
            self.seen_close |= e.seen_close;
            self.end = e.position;
        }
        Ok(())
    }

    fn report(self) -> ReadReport {
        ReadReport {
            framing: Framing {
                entries_after_close: self.report.framing.entries_after_close,
                ..self.framing.unwrap_or_default()
            },
            bytes: self.end.offset,
            end: self.end,
            ..self.report
        }
    }
}

/// Cuts an input into units, one at a time in file order: blocks that end
/// just before an entry in column 1 or at the end of the input, and, once
/// a block grows past [`Sizes::max_block`] with no such place, batches of
/// entries scanned here from there on. It keeps what one block hands the
/// next: the bytes after the cut (or, for a file, their offset) and where
/// they start.
struct Cutter<'a, R> {
    input: Source<'a, R>,
    sizes: Sizes,
    /// The bytes after the last cut, which start the next block (read
    /// from a stream; a file's are read again).
    carry: Vec<u8>,
    start: Position,
    first: bool,
    /// Bytes to read before looking for a place to cut.
    want: usize,
    /// Set once the input cannot be cut.
    scan: Option<Scan>,
    ended: bool,
}

/// The scanner that reads an input that cannot be cut, and the bytes read
/// and not yet pushed through it.
struct Scan {
    scanner: Scanner,
    batch: RawBatch,
    bytes: Vec<u8>,
    at: usize,
    len: usize,
}

/// Where a cutter's bytes come from.
enum Source<'a, R> {
    Stream(R),
    /// A file, read in order from `next`, and at other offsets: each
    /// block's tail first when `tail_first` (see [`Cutter::cut_from_tail`]).
    File {
        file: &'a dyn ReadAt,
        next: u64,
        tail_first: bool,
    },
}

impl<'a, R> Source<'a, R> {
    /// `input`, a file's blocks read tail first when `tail_first` (for
    /// readers that share the cutter's lock).
    fn of(input: Input<'a, R>, tail_first: bool) -> Self {
        match input {
            Input::Stream(r) => Source::Stream(r),
            Input::File(file) => Source::File {
                file,
                next: 0,
                tail_first,
            },
        }
    }
}

impl<R: Read> Read for Source<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Source::Stream(r) => r.read(buf),
            Source::File { file, next, .. } => {
                let n = file.read_at(buf, *next)?;
                *next += n as u64;
                Ok(n)
            }
        }
    }
}

/// Of a file's block, the bytes at its end that the cutter reads under
/// the lock to find where to cut; the rest is read outside it.
const TAIL: usize = 64 << 10;

/// What reading a block's tail first gave (see [`Cutter::cut_from_tail`]).
enum Tail {
    /// The block, cut; its head is left unread.
    Cut(Unit),
    /// The whole block read (this many bytes), with no place to cut in
    /// its tail.
    Whole(usize),
    /// Nothing read for good: read the block in order.
    Short,
}

/// Reads the bytes of `unit` the cutter left unread, from `file`. Their
/// end was read already: a file that now ends before it was cut short
/// while it was read, and that is an error here (read in order, as
/// [`read_inline`] reads, it would end the input where it now ends).
fn read_unread(unit: &mut Unit, file: Option<&dyn ReadAt>) -> anyhow::Result<()> {
    let Unit::Block {
        bytes,
        start,
        unread,
        ..
    } = unit
    else {
        return Ok(());
    };
    if *unread == 0 {
        return Ok(());
    }
    let file = file.context("a block was left to read from a file, and there is none")?;
    let got = read_full_at(file, &mut bytes[..*unread], start.offset)?;
    if got < *unread {
        let at = start.offset + got as u64;
        anyhow::bail!("the file got shorter while it was read (at byte {at})");
    }
    *unread = 0;
    Ok(())
}

impl<'a, R: Read> Cutter<'a, R> {
    fn new(input: Source<'a, R>, sizes: Sizes) -> Self {
        Cutter {
            input,
            sizes,
            carry: Vec::new(),
            start: Position {
                line: 1,
                column: 1,
                offset: 0,
            },
            first: true,
            want: sizes.block,
            scan: None,
            ended: false,
        }
    }

    /// The next unit (`None` after the last). A block is read into
    /// `buffer`, which the unit takes; a scanned batch leaves it.
    fn next(&mut self, buffer: &mut Vec<u8>) -> anyhow::Result<Option<Unit>> {
        if self.ended {
            return Ok(None);
        }
        if let Some(scan) = &mut self.scan {
            let unit = scan.next(&mut self.input, self.sizes.batch)?;
            self.ended = matches!(unit, Unit::Scanned { end: Some(_), .. });
            return Ok(Some(unit));
        }
        let mut block = std::mem::take(buffer);
        let mut len = match self.cut_from_tail(&mut block) {
            Ok(Tail::Cut(unit)) => return Ok(Some(unit)),
            Ok(Tail::Whole(len)) => len,
            Ok(Tail::Short) => {
                let len = self.carry.len();
                if block.len() < len {
                    block.resize(len, 0);
                }
                block[..len].copy_from_slice(&self.carry);
                self.carry.clear();
                len
            }
            Err(e) => {
                *buffer = block;
                return Err(e.into());
            }
        };
        loop {
            let ended = match fill(&mut self.input, &mut block, &mut len, self.want) {
                Ok(ended) => ended,
                Err(e) => {
                    // The buffer stays the caller's (list reads file
                    // after file into one).
                    *buffer = block;
                    return Err(e.into());
                }
            };
            if ended {
                self.ended = true;
                return Ok(Some(Unit::Block {
                    bytes: block,
                    len,
                    start: self.start,
                    first: self.first,
                    last: true,
                    unread: 0,
                }));
            }
            match last_entry_start(&block[..len]) {
                Some(cut) => {
                    // The next block starts with what follows the cut.
                    match &mut self.input {
                        Source::Stream(_) => self.carry.extend_from_slice(&block[cut..len]),
                        Source::File { next, .. } => *next = self.start.offset + cut as u64,
                    }
                    return Ok(Some(self.cut_block(block, cut, 0)));
                }
                // Doubling: each try looks for a cut in the whole block
                // again. Never past one block beyond `max_block`.
                None if len < self.sizes.max_block => {
                    self.want = (len + len.max(self.sizes.block))
                        .min(self.sizes.max_block + self.sizes.block);
                }
                None => {
                    let scanner = if self.first {
                        Scanner::new()
                    } else {
                        Scanner::resume(TopLevel {
                            position: self.start,
                            framing: Framing::default(),
                            seen_significant: true,
                            seen_close: false,
                        })
                    };
                    self.scan = Some(Scan {
                        scanner,
                        batch: RawBatch::default(),
                        bytes: block,
                        at: 0,
                        len,
                    });
                    return self.next(buffer);
                }
            }
        }
    }

    /// A file's block read tail first: when the last [`TAIL`] bytes of it
    /// hold a place to cut, only they are read here, under the lock; the
    /// bytes before them are left to the worker ([`read_unread`]), and
    /// those after the cut are read again with the next block. When the
    /// tail holds no place to cut (an entry longer than it), the rest is
    /// read here too and the whole block looked through, as a stream's
    /// is. A short tail (the end of the file is near), or a stream, reads
    /// the block in order.
    fn cut_from_tail(&mut self, block: &mut Vec<u8>) -> io::Result<Tail> {
        let Source::File {
            file,
            next,
            tail_first: true,
        } = &mut self.input
        else {
            return Ok(Tail::Short);
        };
        let (file, from) = (*file, *next);
        // A file's blocks carry nothing over: `want` is a block.
        let want = self.want;
        let tail = TAIL.min(want / 2);
        if tail == 0 {
            return Ok(Tail::Short);
        }
        let head = want - tail;
        if block.len() < want {
            block.resize(want, 0);
        }
        if read_full_at(file, &mut block[head..want], from + head as u64)? < tail {
            return Ok(Tail::Short);
        }
        // The last place to cut in the tail is the block's last.
        let Some(cut) = last_entry_start(&block[head..want]) else {
            if read_full_at(file, &mut block[..head], from)? < head {
                // Cut short since: read again, in order.
                return Ok(Tail::Short);
            }
            *next = from + want as u64;
            return Ok(Tail::Whole(want));
        };
        *next = from + (head + cut) as u64;
        Ok(Tail::Cut(self.cut_block(
            std::mem::take(block),
            head + cut,
            head,
        )))
    }

    /// The block in `bytes` up to `cut`, where the next one starts; its
    /// first `unread` bytes are still to be read.
    fn cut_block(&mut self, bytes: Vec<u8>, cut: usize, unread: usize) -> Unit {
        let start = self.start;
        // Lines are counted from here (see [`Lines`]).
        self.start = Position {
            line: 1,
            column: 1,
            offset: start.offset + cut as u64,
        };
        self.want = self.sizes.block.max(self.carry.len() + 1);
        Unit::Block {
            bytes,
            len: cut,
            start,
            first: std::mem::replace(&mut self.first, false),
            last: false,
            unread,
        }
    }
}

impl Scan {
    /// The next batch of `input`: full, or the last (which carries how the
    /// input ended).
    fn next(&mut self, input: &mut impl Read, batch_bytes: usize) -> anyhow::Result<Unit> {
        let Scan {
            scanner,
            batch,
            bytes,
            at,
            len,
        } = self;
        loop {
            if *at == *len {
                if bytes.len() < batch_bytes {
                    bytes.resize(batch_bytes, 0);
                }
                *at = 0;
                *len = read_some(input, &mut bytes[..batch_bytes])?;
                if *len == 0 {
                    scanner.finish(&mut |event| batch.add(event));
                    return Ok(Unit::Scanned {
                        batch: std::mem::take(batch),
                        end: Some(End::of(scanner)),
                    });
                }
            }
            let piece = *at..(*at + batch_bytes).min(*len);
            *at = piece.end;
            scanner.push(&bytes[piece], &mut |event| batch.add(event));
            if batch.bytes.len() >= batch_bytes || batch.items.len() >= BATCH_ITEMS {
                return Ok(Unit::Scanned {
                    batch: std::mem::take(batch),
                    end: None,
                });
            }
        }
    }
}

/// Reads until `block` holds `want` bytes (`len` of them are there);
/// true at the end of the input. The buffer is only zeroed when it grows,
/// not before every read.
fn fill(
    input: &mut impl Read,
    block: &mut Vec<u8>,
    len: &mut usize,
    want: usize,
) -> io::Result<bool> {
    if block.len() < want {
        block.resize(want, 0);
    }
    while *len < want {
        match read_some(input, &mut block[*len..want])? {
            0 => return Ok(true),
            n => *len += n,
        }
    }
    Ok(false)
}

/// Where the last entry that starts in column 1 begins (not at 0).
fn last_entry_start(block: &[u8]) -> Option<usize> {
    let mut end = block.len();
    while let Some(nl) = memchr::memrchr(b'\n', &block[..end]) {
        if block.get(nl + 1) == Some(&b'{') {
            return Some(nl + 1);
        }
        end = nl;
    }
    None
}

/// How a worker reads: what to parse, and what the view prepares.
struct Reading<'a> {
    /// Lends payloads to the preparer rather than keeping them, when the
    /// view does not keep them (see [`Prepare`]).
    keeper: Keeper<'a>,
    preparer: Option<&'a mut Preparer>,
    keeps_payloads: bool,
}

impl<'a> Reading<'a> {
    fn new(
        options: ParseOptions,
        redact: Option<&'a Redactor>,
        prepare: Option<&Prepare>,
        preparer: Option<&'a mut Preparer>,
    ) -> Self {
        let keeps_payloads = prepare.is_none_or(|p| p.keeps_payloads);
        // Masked payloads are new text: they are kept, never lent.
        let lend = preparer.is_some() && !keeps_payloads && redact.is_none();
        Reading {
            keeper: Keeper::new(options, redact, lend),
            preparer,
            keeps_payloads,
        }
    }

    /// Hands an entry to the view's preparer with its payloads (lent, or
    /// taken from the entry), then drops them unless the view keeps them.
    fn prepare(&mut self, entry: &mut Entry, lent: Payloads<'_>) {
        let Some(preparer) = self.preparer.as_mut() else {
            return;
        };
        let state = entry.state.take();
        let (output_state, result) = match &mut entry.result {
            Some(r) => (r.output_state.take(), r.raw.take()),
            None => (None, None),
        };
        let payloads = Payloads {
            state: lent.state.or(state.as_ref().map(RawJson::get)),
            output_state: lent
                .output_state
                .or(output_state.as_ref().map(RawJson::get)),
            result: lent.result.or(result.as_ref().map(RawJson::get)),
            outline: lent.outline,
        };
        preparer(entry, payloads);
        if self.keeps_payloads {
            entry.state = state;
            if let Some(r) = &mut entry.result {
                r.output_state = output_state;
                r.raw = result;
            }
        }
    }
}

/// Reads a unit into `items` (empty, kept for its room).
fn read_unit(unit: Unit, mut items: Vec<Item>, reading: &mut Reading<'_>) -> Done {
    match unit {
        Unit::Block {
            bytes,
            len,
            start,
            first,
            last,
            unread,
        } => {
            debug_assert_eq!(unread, 0, "read before the unit is");
            let end = read_block(&bytes[..len], start, first, last, reading, &mut items);
            Done {
                items,
                end: Some(end),
                lines: Lines::Block,
                spare: Some(bytes),
            }
        }
        Unit::Scanned { batch, end } => {
            items.reserve(batch.items.len());
            let mut outline = fast::Outline::with_room();
            for found in &batch.items {
                match found {
                    Found::Entry {
                        bytes,
                        shifts,
                        start,
                        after_close,
                    } => {
                        let raw = RawEntry {
                            bytes: &batch.bytes[bytes.clone()],
                            start: *start,
                            shifts: &batch.shifts[shifts.clone()],
                            after_close: *after_close,
                        };
                        take_raw(&raw, reading, &mut outline, &mut items);
                    }
                    Found::Problem(d) => items.push(Item::Problem(d.clone())),
                }
            }
            Done {
                items,
                end,
                lines: Lines::Scan,
                spare: None,
            }
        }
    }
}

/// Parses a scanned entry into `items` (its problems first), splitting it
/// into `outline` (which serves entry after entry).
fn take_raw<'t>(
    raw: &RawEntry<'t>,
    reading: &mut Reading<'_>,
    outline: &mut fast::Outline<'t>,
    items: &mut Vec<Item>,
) {
    let keeper = reading.keeper;
    push_entry(
        items,
        raw.start,
        raw.after_close,
        reading,
        |entry, problems| {
            let lent = parse_entry_lent(
                entry, raw.bytes, raw.start, raw.shifts, &keeper, outline, problems,
            )?;
            Some(Payloads {
                outline: Some(outline),
                ..lent
            })
        },
    );
}

/// Reads an entry in its place among `items` with `read` (which gives
/// the payloads it lends, or `None` when nothing of it could be read),
/// its problems put before it, then prepares it for the view. An entry
/// is over 500 bytes: made elsewhere and moved in, its copies cost more
/// than its checks.
fn push_entry<'t>(
    items: &mut Vec<Item>,
    start: Position,
    after_close: bool,
    reading: &mut Reading<'_>,
    read: impl FnOnce(&mut Entry, &mut dyn FnMut(Diagnostic)) -> Option<Payloads<'t>>,
) {
    let slot = items.len();
    items.push(Item::Entry {
        entry: Entry::default(),
        start,
        after_close,
    });
    let mut problems = Vec::new();
    let made = match items.last_mut() {
        Some(Item::Entry { entry, .. }) => {
            match read(entry, &mut |d| problems.push(Item::Problem(d))) {
                Some(lent) => {
                    reading.prepare(entry, lent);
                    true
                }
                None => false,
            }
        }
        // The item just pushed.
        _ => false,
    };
    if !made {
        items.pop();
    }
    // Rare: most entries have none.
    if !problems.is_empty() {
        items.splice(slot..slot, problems);
    }
}

/// Reads one block: the walker takes entry after entry while they are
/// plain; from the first thing that is not, a scanner takes over.
fn read_block(
    bytes: &[u8],
    start: Position,
    first: bool,
    last: bool,
    reading: &mut Reading<'_>,
    items: &mut Vec<Item>,
) -> End {
    let text = match crate::model::utf8(bytes) {
        Ok(text) => text,
        // The walker stops where the text stops being UTF-8.
        Err(e) => std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default(),
    };
    let b = text.as_bytes();
    let keeper = reading.keeper;
    // One outline for every entry of the block.
    let mut outline = fast::Outline::with_room();
    let base = start.offset;
    let mut line = start.line;
    let mut line_start = start.offset + 1 - start.column;
    let mut framing = Framing::default();
    let mut seen_significant = !first;
    let mut seen_close = false;
    let mut i = 0;
    // A byte order mark, whole; part of one is left to the scanner.
    let mut stop = None;
    if first && base == 0 {
        if bytes.starts_with(&BOM) {
            framing.bom = true;
            i = BOM.len();
            line_start = i as u64;
        } else if !bytes.is_empty() && BOM.starts_with(&bytes[..bytes.len().min(2)]) {
            stop = Some(0);
        }
    }
    let position = |i: usize, line: u64, line_start: u64| Position {
        line,
        column: base + i as u64 - line_start + 1,
        offset: base + i as u64,
    };
    while stop.is_none() {
        match b.get(i) {
            None if i < bytes.len() => stop = Some(i),
            None => break,
            Some(b' ' | b'\t' | b'\r') => i += 1,
            Some(b'\n') => {
                i += 1;
                line += 1;
                line_start = base + i as u64;
            }
            Some(b'{') => {
                let Some(found) = fast::entry_at(text, i, &mut outline) else {
                    stop = Some(i);
                    break;
                };
                let at = position(i, line, line_start);
                framing.objects += 1;
                framing.closed = false;
                seen_significant = true;
                push_entry(items, at, seen_close, reading, |entry, problems| {
                    let entry_text = &text[i..found.end];
                    let lent = entry_from_outline(
                        entry,
                        entry_text,
                        &outline,
                        at,
                        &[],
                        &keeper,
                        problems,
                    )?;
                    Some(Payloads {
                        outline: Some(&outline),
                        ..lent
                    })
                });
                if found.newlines > 0 {
                    line += found.newlines;
                    line_start = base + found.last_newline as u64 + 1;
                }
                i = found.end;
            }
            Some(b'[') => {
                if !seen_significant {
                    framing.array = true;
                }
                framing.closed = false;
                seen_significant = true;
                i += 1;
            }
            Some(b']') => {
                framing.closed = true;
                seen_close = true;
                seen_significant = true;
                i += 1;
            }
            Some(b',') => {
                framing.closed = false;
                seen_significant = true;
                i += 1;
            }
            Some(_) => stop = Some(i),
        }
    }
    let Some(i) = stop else {
        return End {
            framing,
            seen_close,
            position: position(bytes.len(), line, line_start),
        };
    };
    let mut scanner = if first && i == 0 {
        Scanner::new()
    } else {
        Scanner::resume(TopLevel {
            position: position(i, line, line_start),
            framing,
            seen_significant,
            seen_close,
        })
    };
    let mut sink = |event: ScanEvent<'_>| match event {
        ScanEvent::Entry(raw) => take_raw(&raw, reading, &mut fast::Outline::with_room(), items),
        ScanEvent::Problem(d) => items.push(Item::Problem(d)),
    };
    scanner.push(&bytes[i..], &mut sink);
    if last {
        scanner.finish(&mut sink);
    } else {
        scanner.end_before_entry(&mut sink);
    }
    End::of(&scanner)
}

/// Entries and problems per scanned batch at most.
const BATCH_ITEMS: usize = 1024;

/// Scanned entries, their bytes end to end.
#[derive(Default)]
struct RawBatch {
    bytes: Vec<u8>,
    shifts: Vec<(usize, usize)>,
    items: Vec<Found>,
}

/// What the scanner found, in file order.
enum Found {
    Entry {
        bytes: std::ops::Range<usize>,
        shifts: std::ops::Range<usize>,
        start: Position,
        after_close: bool,
    },
    Problem(Diagnostic),
}

impl RawBatch {
    fn add(&mut self, event: ScanEvent<'_>) {
        match event {
            ScanEvent::Entry(raw) => {
                let bytes = self.bytes.len()..self.bytes.len() + raw.bytes.len();
                self.bytes.extend_from_slice(raw.bytes);
                let shifts = self.shifts.len()..self.shifts.len() + raw.shifts.len();
                self.shifts.extend_from_slice(raw.shifts);
                self.items.push(Found::Entry {
                    bytes,
                    shifts,
                    start: raw.start,
                    after_close: raw.after_close,
                });
            }
            ScanEvent::Problem(d) => self.items.push(Found::Problem(d)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::read::Payloads;
    use crate::input::{Collect, EntrySink, Prepare};

    /// A file that is cut short after it is first read (as one truncated
    /// by another program while it is read).
    struct Shrinks {
        bytes: Vec<u8>,
        reads: std::sync::atomic::AtomicUsize,
    }

    impl ReadAt for Shrinks {
        fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
            let first = self.reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0;
            let now = if first {
                &self.bytes[..]
            } else {
                &self.bytes[..10]
            };
            now.read_at(buf, offset)
        }
    }

    #[test]
    fn a_file_that_gets_shorter_while_it_is_read_is_an_error() {
        let bytes = numbered_lines(2000).into_bytes();
        let file = Shrinks {
            bytes,
            reads: Default::default(),
        };
        let mut sink = Collect::default();
        let input = Input::<&[u8]>::File(&file);
        let e = read(
            input,
            ParseOptions::default(),
            None,
            &mut sink,
            small_blocks(4096, 2),
        )
        .unwrap_err();
        assert!(format!("{e:#}").contains("got shorter"), "{e:#}");
        assert!(sink.entries.is_empty(), "{}", sink.entries.len());
    }

    /// A file whose reads fail: the error comes out of `read`.
    struct Fails;

    impl ReadAt for Fails {
        fn read_at(&self, _: &mut [u8], _: u64) -> io::Result<usize> {
            Err(io::Error::other("disk on fire"))
        }
    }

    #[test]
    fn a_file_that_cannot_be_read_is_an_error() {
        let mut sink = Collect::default();
        let (sizes, options) = (small_blocks(4096, 2), ParseOptions::default());
        let file = || Input::<&[u8]>::File(&Fails);
        let on_every_core = read(file(), options, None, &mut sink, sizes);
        let mut scratch = Scratch::default();
        let here = read_inline(file(), options, None, &mut sink, sizes, &mut scratch);
        for read in [on_every_core, here] {
            let e = read.unwrap_err();
            assert!(format!("{e:#}").contains("disk on fire"), "{e:#}");
        }
    }

    /// Panics, after a pause, while preparing the first two entries (event
    /// ids `e0` and `e1`), so two workers of three die holding their
    /// blocks.
    struct PanicsOnBoom;

    impl EntrySink for PanicsOnBoom {
        fn entry(&mut self, _: &mut Entry) -> anyhow::Result<()> {
            Ok(())
        }
        fn problem(&mut self, _: Diagnostic) {}
        fn prepare(&self) -> Option<Prepare> {
            Some(Prepare {
                make: Arc::new(|| {
                    Box::new(|e: &mut Entry, _: Payloads<'_>| {
                        if matches!(e.event_id.as_deref(), Some("e0" | "e1")) {
                            std::thread::sleep(std::time::Duration::from_millis(200));
                            panic!("injected panic");
                        }
                    })
                }),
                keeps_payloads: false,
            })
        }
    }

    /// Workers that panic never hand back the units they held; the
    /// others, which wait once they are a window ahead of the merge, must
    /// not wait forever: the panic comes out of `read`.
    #[test]
    fn workers_that_panic_do_not_leave_the_others_waiting() {
        panic_comes_out_of_read(2000, 128, PanicsOnBoom);
    }

    /// [`read`] on text, with the default options.
    fn read_text(
        input: &str,
        sink: &mut dyn EntrySink,
        sizes: Sizes,
    ) -> anyhow::Result<ReadReport> {
        read(
            Input::Stream(input.as_bytes()),
            ParseOptions::default(),
            None,
            sink,
            sizes,
        )
    }

    /// Blocks of `block` bytes read on `workers` threads.
    fn small_blocks(block: usize, workers: usize) -> Sizes {
        Sizes {
            block,
            max_block: 1 << 20,
            batch: 1 << 18,
            workers,
        }
    }

    /// `n` entries, one per line of 100 bytes, with event ids `e0`, `e1`…
    fn numbered_lines(n: usize) -> String {
        (0..n)
            .map(|i| {
                let line = format!(
                    "{{\"timestamp\":\"2025-05-02T15:11:15Z\",\"hook\":\"BeforeEventHandling\",\"event_id\":\"e{i}\"}}"
                );
                format!("{line:<99}\n")
            })
            .collect()
    }

    /// Reads `lines` numbered lines in blocks of `block` bytes on three
    /// workers, on a thread of its own, into `sink`, which panics: the
    /// panic must come out of `read` within 20 seconds.
    fn panic_comes_out_of_read(
        lines: usize,
        block: usize,
        mut sink: impl EntrySink + Send + 'static,
    ) {
        let input = numbered_lines(lines);
        let (done_tx, done_rx) = channel();
        std::thread::spawn(move || {
            let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                read_text(&input, &mut sink, small_blocks(block, 3))
            }));
            let _ = done_tx.send(read.is_err());
        });
        let panicked = done_rx.recv_timeout(std::time::Duration::from_secs(20));
        assert_eq!(panicked, Ok(true), "the panic comes out of read, in time");
    }

    /// Sleeps a little for each entry (so workers get a window ahead and
    /// wait) and panics at entry `panic_at`; keeps each entry's number.
    struct SlowSink {
        seen: Vec<u64>,
        problems: usize,
        panic_at: usize,
    }

    impl EntrySink for SlowSink {
        fn entry(&mut self, e: &mut Entry) -> anyhow::Result<()> {
            let number = e.event_id.as_deref().and_then(|id| id[1..].parse().ok());
            self.seen.push(number.unwrap_or(u64::MAX));
            if self.seen.len() == self.panic_at {
                panic!("injected panic in the sink");
            }
            std::thread::sleep(std::time::Duration::from_micros(50));
            Ok(())
        }
        fn problem(&mut self, _: Diagnostic) {
            self.problems += 1;
        }
    }

    /// A panic in the sink, on the calling thread, comes out of `read`
    /// while workers wait for the merge to catch up.
    #[test]
    fn a_sink_that_panics_does_not_leave_workers_waiting() {
        let sink = SlowSink {
            seen: Vec::new(),
            problems: 0,
            panic_at: 100,
        };
        panic_comes_out_of_read(5000, 1000, sink);
    }

    /// Serves the input 37 bytes per read, and panics on read `panic_at`.
    struct PanicsOnRead {
        input: Vec<u8>,
        at: usize,
        reads: usize,
        panic_at: usize,
    }

    impl Read for PanicsOnRead {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.reads += 1;
            if self.reads == self.panic_at {
                panic!("injected panic in read");
            }
            let n = buf.len().min(self.input.len() - self.at).min(37);
            buf[..n].copy_from_slice(&self.input[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    /// A worker that panics while cutting leaves the cutter torn: no other
    /// worker may cut from it, so what reaches the sink before the panic
    /// comes out is whole and in order.
    #[test]
    fn a_panic_while_cutting_hands_out_nothing_torn() {
        let input = numbered_lines(3000).into_bytes();
        for round in 0..100 {
            let input = PanicsOnRead {
                input: input.clone(),
                at: 0,
                reads: 0,
                panic_at: 40 + round % 7,
            };
            let mut sink = SlowSink {
                seen: Vec::new(),
                problems: 0,
                panic_at: usize::MAX,
            };
            let sizes = small_blocks(64, 8);
            let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                read(
                    Input::Stream(input),
                    ParseOptions::default(),
                    None,
                    &mut sink,
                    sizes,
                )
            }));
            assert!(read.is_err(), "the panic comes out of read");
            let in_order = sink.seen.iter().enumerate().all(|(i, &n)| n == i as u64);
            assert!(
                in_order && sink.problems == 0,
                "round {round}: {} problems, entries {:?}",
                sink.problems,
                sink.seen
            );
        }
    }

    #[test]
    fn items_done_side_by_side_come_back_in_item_order() {
        // Items that take longer the earlier they come, so threads finish
        // them out of order.
        let done = side_by_side(40, |i, _| {
            std::thread::sleep(std::time::Duration::from_micros(((40 - i) * 50) as u64));
            i * 3
        });
        assert_eq!(done, (0..40).map(|i| i * 3).collect::<Vec<_>>());
        assert!(side_by_side(0, |i, _| i).is_empty());
        assert_eq!(side_by_side(1, |i, _| i + 7), vec![7]);
    }

    #[test]
    fn blocks_follow_the_input_size_within_bounds() {
        assert_eq!(Sizes::for_input(None).block, BLOCK);
        assert_eq!(Sizes::for_input(Some(0)).block, 64 << 10);
        assert_eq!(Sizes::for_input(Some(10 << 20)).block, 320 << 10);
        assert_eq!(Sizes::for_input(Some(1 << 30)).block, BLOCK);
        assert_eq!(Sizes::for_input(Some(u64::MAX)).block, BLOCK);
    }

    /// The walker reads plain entries in their place among the items: an
    /// entry's problems still come before it, and an object that is no
    /// entry leaves only its problem, as on the simple path.
    #[test]
    fn problems_of_walked_entries_come_before_them() {
        let input = concat!(
            "[\n",
            "{\"hook\":\"BeforeAgentRun\",\"agent_id\":5,\"event_id\":\"e1\"}\n,\n",
            "{\"nothing\":1}\n,\n",
            "{\"hook\":\"AfterAgentRun\",\"agent_id\":\"a\",\"timestamp\":7,",
            "\"agent_result\":{\"duration_ms\":\"x\"}}\n,\n",
            "{\"hook\":\"AfterEventHandling\",\"event_id\":\"e1\"}\n]\n",
        );
        let mut simple = crate::input::InOrder::default();
        crate::input::read_all(input.as_bytes(), ParseOptions::default(), &mut simple).unwrap();
        assert_eq!(
            simple.0.iter().filter(|s| s.starts_with("problem")).count(),
            4,
            "{simple:#?}"
        );
        for block in [1, 7, 40, 4096] {
            let mut parallel = crate::input::InOrder::default();
            read_text(input, &mut parallel, small_blocks(block, 2)).unwrap();
            assert_eq!(parallel, simple, "blocks of {block}");
        }
    }
}
