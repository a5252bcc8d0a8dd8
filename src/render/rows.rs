//! Rows held until a view can draw them (the table needs every row to size
//! its columns, the flow every hop, `--analyze` its runs), in the order of
//! a key (time, for the table and the flow), in bounded memory: past a
//! budget they go to a temporary file, and rows that do not come in key
//! order are sorted there, a run at a time, and merged back.
//!
//! A row is its length (4 bytes, little-endian) then its bytes, as the
//! view encoded them. Rows that came in key order (nearly every file, by
//! time) are written as they came, with nothing added: one run, read back
//! from the start. From the first row out of order, each chunk of rows
//! (below) is sorted by key and written as a run of its own, each row after
//! its key ([`RowKey::put`]) unless rows start with their keys; reading
//! then merges the runs and the rows still in memory, holding a small
//! buffer per run.
//!
//! Rows go to the file a chunk at a time. The budget holds the chunk that
//! fills and the one being written: the first chunk is a whole budget (a
//! store that fits never touches the file) and is written before more
//! rows come; the chunks after it are half a budget, each written on a
//! thread of its own while the next fills.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufWriter, Write};

use chrono::{DateTime, FixedOffset};

use crate::analysis::timeline::{TimeKey, TimeKeys};
use crate::model::Timestamp;

/// What rows are kept in order by.
pub trait RowKey: Copy + Ord + Send + 'static {
    /// Bytes in [`RowKey::put`].
    const BYTES: usize;
    /// What makes the keys of rows written without them again, in the
    /// order the rows came (see [`KeyOf`]).
    type Keys: Default;
    /// Appends the key's bytes.
    fn put(self, out: &mut Vec<u8>);
    /// The key [`RowKey::put`] gave `bytes` (`BYTES` of them) for.
    fn get(bytes: &[u8]) -> Self;
}

impl RowKey for TimeKey {
    const BYTES: usize = TimeKey::BYTES;
    type Keys = TimeKeys;

    fn put(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_bytes());
    }

    fn get(bytes: &[u8]) -> Self {
        let mut key = [0; TimeKey::BYTES];
        key.copy_from_slice(&bytes[..TimeKey::BYTES]);
        TimeKey::from_bytes(key)
    }
}

/// The key of a row of the first run (written as it came, without its
/// key), made again from the row with the same `Keys`, in the order the
/// rows came.
pub type KeyOf<K> = fn(&mut <K as RowKey>::Keys, &[u8]) -> io::Result<K>;

/// The key at the start of `row`, for a store whose rows start with
/// theirs ([`RowStore::push_keyed`]): its [`KeyOf`].
pub fn leading_key<K: RowKey<Keys = ()>>(_: &mut (), row: &[u8]) -> io::Result<K> {
    split_key(row).map(|(key, _)| key)
}

/// A row that starts with its key: the key, and the bytes after it.
pub fn split_key<K: RowKey<Keys = ()>>(row: &[u8]) -> io::Result<(K, RowBytes<'_>)> {
    let (key, rest) = row
        .split_at_checked(K::BYTES)
        .ok_or_else(|| bad_run("a row's key"))?;
    Ok((K::get(key), RowBytes(rest)))
}

/// Bytes a run is read by at a time (less for a shorter run; more for a
/// longer row)...
const READ: usize = 64 << 10;

/// ...and less when many runs are merged: their buffers share this much,
/// down to `MIN_READ` each (a run is half a budget's worth of rows, 4 MB
/// for the table: 1 GB out of order makes about 16 runs, 3 GB 44).
const READS: usize = 1 << 20;
const MIN_READ: usize = 16 << 10;

/// The rows of a view, as they came; see the module's comment.
pub struct RowStore<K: RowKey> {
    /// Rows not yet written, each its length first.
    memory: Vec<u8>,
    /// Each of those rows' key and start in `memory`.
    chunk: Vec<(K, usize)>,
    budget: usize,
    /// The file, and the chunk being written to it.
    file: Spill<K>,
    /// Bytes written to the file, or being written.
    written: u64,
    /// The runs in the file, in the order written; only the first can be
    /// written as the rows came (without keys), unless the rows start with
    /// their keys.
    runs: Vec<Run>,
    /// The rows start with their keys ([`RowStore::with_leading_keys`]):
    /// a sorted run need not write them again.
    key_leads: bool,
    /// Keys never went down: the order rows came is key order.
    sorted: bool,
    last: Option<K>,
    /// `chunk` is in key order (its rows came so, or it was sorted).
    chunk_sorted: bool,
    key_of: KeyOf<K>,
    /// What the rows are, for errors of the file ("the table's rows").
    what: &'static str,
    /// A row being made by [`RowStore::push_with`] (kept for its room).
    row: Vec<u8>,
    /// The buffers of the chunk written last, for the next one.
    spare: Option<Chunk<K>>,
}

/// A chunk's rows and their keys and starts.
type Chunk<K> = (Vec<u8>, Vec<(K, usize)>);

/// A store's file. A chunk after the first is written on a thread of its
/// own while the next fills: the calling thread, which merges what the
/// readers parsed, waited for each write before (8 MB at a time for the
/// table, 10 to 20 ms each), and the readers, a few blocks ahead at most,
/// stood idle.
enum Spill<K: RowKey> {
    /// Nothing went to the file yet.
    None,
    Idle(File),
    /// The thread gives back the file and the chunk's buffers; the
    /// chunk's bytes, which count against the budget until written.
    Writing(
        std::thread::JoinHandle<(File, Chunk<K>, io::Result<()>)>,
        usize,
    ),
    /// A write failed, or no thread could be started for one: rows are
    /// missing, and the store answers every read with an error.
    Failed,
}

/// A run of rows in the file: from `start` to `end`, each after its key
/// when `keyed`.
#[derive(Debug, Clone, Copy)]
struct Run {
    start: u64,
    end: u64,
    keyed: bool,
}

impl<K: RowKey> RowStore<K> {
    /// A store of `what` ("the table's rows"), holding `budget` bytes in
    /// memory.
    pub fn new(budget: usize, key_of: KeyOf<K>, what: &'static str) -> Self {
        RowStore {
            memory: Vec::new(),
            chunk: Vec::new(),
            budget,
            file: Spill::None,
            written: 0,
            runs: Vec::new(),
            key_leads: false,
            sorted: true,
            last: None,
            chunk_sorted: true,
            key_of,
            what,
            row: Vec::new(),
            spare: None,
        }
    }

    /// A store of rows that start with their keys ([`RowStore::push_keyed`]).
    pub fn with_leading_keys(budget: usize, what: &'static str) -> Self
    where
        K: RowKey<Keys = ()>,
    {
        RowStore {
            key_leads: true,
            ..RowStore::new(budget, leading_key::<K>, what)
        }
    }

    pub fn is_empty(&self) -> bool {
        self.memory.is_empty() && self.written == 0
    }

    /// Adds a row (its bytes, length first) made with `key`.
    fn push(&mut self, key: K, row: &[u8]) -> io::Result<()> {
        self.sorted &= self.last.is_none_or(|last| last <= key);
        self.last = Some(key);
        self.chunk_sorted &= self.chunk.last().is_none_or(|&(last, _)| last <= key);
        let entry = std::mem::size_of::<(K, usize)>();
        let limit = self.chunk_limit();
        // Each buffer grows within what the other leaves of the limit.
        let keys_room = limit.saturating_sub(self.memory.len()) / entry + 1;
        grow_within(&mut self.chunk, 1, keys_room);
        grow_within(
            &mut self.memory,
            row.len(),
            limit.saturating_sub(self.chunk.len() * entry),
        );
        self.chunk.push((key, self.memory.len()));
        self.memory.extend_from_slice(row);
        // The keys count against the budget with the rows they order.
        let held = self.memory.len() + self.chunk.len() * entry;
        if held > limit {
            self.write_chunk().map_err(|e| held_in_file(e, self.what))?;
        } else if held + self.writing() > self.budget {
            // The chunk being written passed its half by its last row.
            self.settle()?;
        }
        Ok(())
    }

    /// The bytes of the chunk being written, if one is.
    fn writing(&self) -> usize {
        match self.file {
            Spill::Writing(_, bytes) => bytes,
            _ => 0,
        }
    }

    /// The bytes a chunk holds before it is written: the budget, until
    /// rows go to the file; then half, while the half before is written.
    fn chunk_limit(&self) -> usize {
        match self.file {
            Spill::None => self.budget,
            _ => self.budget / 2,
        }
    }

    /// Adds a row made with `key`: its length, then what `fill` appends.
    pub fn push_with(
        &mut self,
        key: K,
        fill: impl FnOnce(&mut Vec<u8>) -> io::Result<()>,
    ) -> io::Result<()> {
        let mut row = std::mem::take(&mut self.row);
        row.clear();
        row.extend_from_slice(&[0; 4]);
        let pushed = fill(&mut row)
            .and_then(|()| set_length(&mut row))
            .and_then(|()| self.push(key, &row));
        self.row = row;
        pushed
    }

    /// Adds a row that starts with its key (read back with
    /// [`leading_key`]): its length, `key`, then what `fill` appends.
    pub fn push_keyed(&mut self, key: K, fill: impl FnOnce(&mut Vec<u8>)) -> io::Result<()> {
        self.push_with(key, |row| {
            key.put(row);
            fill(row);
            Ok(())
        })
    }

    /// Writes the rows in memory to the file (once the chunk before is
    /// written): as they came while every row has come in order (the
    /// first run grows), else sorted, as a run of their own. The first
    /// chunk is written here, and its buffers halved for the chunks after
    /// it, which are written on a thread of their own.
    fn write_chunk(&mut self) -> io::Result<()> {
        let file = self.take_file()?;
        let first = file.is_none();
        let mut file = match file {
            Some(file) => file,
            None => tempfile::tempfile()?,
        };
        // Until the chunk is written, the store has rows it cannot give.
        self.file = Spill::Failed;
        let (memory, mut chunk) = match self.spare.take() {
            Some(spare) => (
                std::mem::replace(&mut self.memory, spare.0),
                std::mem::replace(&mut self.chunk, spare.1),
            ),
            None => (
                std::mem::take(&mut self.memory),
                std::mem::take(&mut self.chunk),
            ),
        };
        self.chunk_sorted = true;
        let start = self.written;
        let (sorted, key_leads) = (self.sorted, self.key_leads);
        if sorted {
            self.written += memory.len() as u64;
            match self.runs.first_mut() {
                Some(run) => run.end = self.written,
                None => self.runs.push(Run {
                    start,
                    end: self.written,
                    keyed: false,
                }),
            }
        } else {
            let keys = if key_leads { 0 } else { chunk.len() * K::BYTES };
            self.written += (memory.len() + keys) as u64;
            self.runs.push(Run {
                start,
                end: self.written,
                keyed: !key_leads,
            });
        }
        if first {
            write_rows(&mut file, &memory, &mut chunk, sorted, key_leads)?;
            self.file = Spill::Idle(file);
            // Halved, each (the rows take most of a chunk and the keys
            // the rest), not let go: freeing a block that large raises
            // glibc's threshold for mapping blocks of their own, and the
            // buffers that grow after it then fragment its heap (9 MB
            // more for the flow at 3 GB).
            self.keep_spare((memory, chunk), true);
            return Ok(());
        }
        let bytes = memory.len() + chunk.len() * std::mem::size_of::<(K, usize)>();
        let writing = std::thread::Builder::new()
            .name("agentcli-rows".into())
            .spawn(move || {
                let written = write_rows(&mut file, &memory, &mut chunk, sorted, key_leads);
                (file, (memory, chunk), written)
            })?;
        self.file = Spill::Writing(writing, bytes);
        Ok(())
    }

    /// Keeps a written chunk's buffers, emptied, for the next chunk;
    /// `halve`d after the first chunk, which held a whole budget.
    fn keep_spare(&mut self, (mut memory, mut chunk): Chunk<K>, halve: bool) {
        let (rows, keys) = (memory.len() / 2, chunk.len() / 2);
        memory.clear();
        chunk.clear();
        if halve {
            memory.shrink_to(rows);
            chunk.shrink_to(keys);
        }
        self.spare = Some((memory, chunk));
    }

    /// Takes the file, once the chunk being written (if one is) is
    /// written; `None` before any row went to it. Until the file is put
    /// back, the store counts as failed.
    fn take_file(&mut self) -> io::Result<Option<File>> {
        match std::mem::replace(&mut self.file, Spill::Failed) {
            Spill::None => {
                self.file = Spill::None;
                Ok(None)
            }
            Spill::Idle(file) => Ok(Some(file)),
            Spill::Writing(writing, _) => {
                let (file, chunk, written) = writing
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                written?;
                self.keep_spare(chunk, false);
                Ok(Some(file))
            }
            Spill::Failed => Err(io::Error::other("an earlier write of them failed")),
        }
    }

    /// Waits for the chunk being written, if one is.
    fn settle(&mut self) -> io::Result<()> {
        if let Some(file) = self.take_file().map_err(|e| held_in_file(e, self.what))? {
            self.file = Spill::Idle(file);
        }
        Ok(())
    }

    /// Once a store that went to its file has all its rows: writes the
    /// rows still in memory there too and gives their memory back, for a
    /// store read later while others fill. A store with no file keeps its
    /// rows (they are fewer than the budget).
    pub fn spill(&mut self) -> io::Result<()> {
        if matches!(self.file, Spill::None) {
            return Ok(());
        }
        if !self.memory.is_empty() {
            self.write_chunk().map_err(|e| held_in_file(e, self.what))?;
        }
        self.settle()?;
        self.memory = Vec::new();
        self.chunk = Vec::new();
        self.spare = None;
        Ok(())
    }

    /// When no row went to the file: the bytes the rows are in, and where
    /// each row starts in them (its length first, see [`row_at`]), in
    /// key order. Read so, the rows can be shared among threads.
    pub fn in_memory(&mut self) -> Option<(&[u8], impl ExactSizeIterator<Item = usize> + '_)> {
        if !matches!(self.file, Spill::None) {
            return None;
        }
        // Sorted once (views read them several times).
        self.sort_chunk();
        Some((&self.memory[..], self.chunk.iter().map(|&(_, at)| at)))
    }

    /// Puts the rows in memory in key order, unless they are.
    fn sort_chunk(&mut self) {
        if !self.chunk_sorted {
            self.chunk.sort_unstable_by_key(|&(key, _)| key);
            self.chunk_sorted = true;
        }
    }

    /// Calls `f` with every row (without its length), in key order.
    pub fn for_each(&mut self, f: &mut dyn FnMut(&[u8]) -> io::Result<()>) -> io::Result<()> {
        let mut rows = self.cursor()?;
        while let Some(row) = rows.next()? {
            f(row)?;
        }
        Ok(())
    }

    /// Reads every row (without its length) in key order, one at a time,
    /// for a reader that takes rows as it needs them.
    pub fn cursor(&mut self) -> io::Result<RowCursor<'_, K>> {
        let what = self.what;
        self.settle()?;
        self.sort_chunk();
        let file = match &self.file {
            Spill::Idle(file) => Some(file),
            _ => None,
        };
        let mut runs = Vec::new();
        let mut merge = None;
        if self.sorted {
            if let (Some(file), Some(&run)) = (file, self.runs.first()) {
                runs.push(RunReader::new(file, run, READ, self.key_of, what));
            }
        } else {
            if let Some(file) = file {
                let read = (READS / self.runs.len().max(1)).clamp(MIN_READ, READ);
                for &run in &self.runs {
                    runs.push(RunReader::new(file, run, read, self.key_of, what));
                }
            }
            // The next row of each run, and of memory (source
            // `runs.len()`), smallest key first.
            let mut next = BinaryHeap::with_capacity(runs.len() + 1);
            for (i, run) in runs.iter_mut().enumerate() {
                if let Some(key) = run.next()? {
                    next.push(Reverse((key, i)));
                }
            }
            if let Some(&(key, _)) = self.chunk.first() {
                next.push(Reverse((key, runs.len())));
            }
            merge = Some(next);
        }
        Ok(RowCursor {
            memory: &self.memory,
            chunk: &self.chunk,
            in_memory: 0,
            runs,
            merge,
            last: None,
        })
    }
}

/// Writes a chunk's rows to `file`: as they lie when they came in order,
/// else sorted by key, each after its key unless it starts with it.
fn write_rows<K: RowKey>(
    file: &mut File,
    memory: &[u8],
    chunk: &mut [(K, usize)],
    sorted: bool,
    key_leads: bool,
) -> io::Result<()> {
    if sorted {
        return file.write_all(memory);
    }
    chunk.sort_unstable_by_key(|&(key, _)| key);
    let mut out = BufWriter::with_capacity(1 << 16, file);
    let mut key_bytes = Vec::with_capacity(K::BYTES);
    for &(key, at) in chunk.iter() {
        let row = row_at(memory, at)?;
        if !key_leads {
            key_bytes.clear();
            key.put(&mut key_bytes);
            out.write_all(&key_bytes)?;
        }
        out.write_all(&memory[at..at + 4 + row.len()])?;
    }
    out.flush()
}

/// The rows of a [`RowStore`] in key order, read one at a time
/// ([`RowStore::cursor`]).
pub struct RowCursor<'s, K: RowKey> {
    memory: &'s [u8],
    /// The rows in memory, in key order, and the next (or current) one.
    chunk: &'s [(K, usize)],
    in_memory: usize,
    runs: Vec<RunReader<'s, K>>,
    /// Merging runs that were sorted apart; `None` when every row came in
    /// order (the one run in the file, then memory).
    merge: Option<BinaryHeap<Reverse<(K, usize)>>>,
    /// Where the row given last came from (`runs.len()`: memory).
    last: Option<usize>,
}

impl<K: RowKey> RowCursor<'_, K> {
    /// The next row, `None` after the last.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> io::Result<Option<&[u8]>> {
        let memory = self.runs.len();
        let Some(merge) = &mut self.merge else {
            if let Some(run) = self.runs.first_mut() {
                if self.last.is_none() && run.advance()?.is_some() {
                    return Ok(Some(run.row()));
                }
                self.last = Some(memory);
            }
            let Some(&(_, at)) = self.chunk.get(self.in_memory) else {
                return Ok(None);
            };
            self.in_memory += 1;
            return row_at(self.memory, at).map(Some);
        };
        // The source of the row given last (at the top) moves on: its next
        // key takes its place, sifted down once, or it leaves.
        if self.last.is_some() {
            let Some(mut top) = merge.peek_mut() else {
                return Ok(None);
            };
            let i = top.0 .1;
            let next = if i == memory {
                self.in_memory += 1;
                self.chunk.get(self.in_memory).map(|&(key, _)| key)
            } else {
                self.runs[i].next()?
            };
            match next {
                Some(key) => top.0 .0 = key,
                None => {
                    std::collections::binary_heap::PeekMut::pop(top);
                }
            }
        }
        let Some(&Reverse((_, i))) = merge.peek() else {
            return Ok(None);
        };
        self.last = Some(i);
        if i == memory {
            return row_at(self.memory, self.chunk[self.in_memory].1).map(Some);
        }
        Ok(Some(self.runs[i].row()))
    }
}

/// Makes room for `more` elements in `v`, doubling as a `Vec` does but
/// never past `cap` (unless the elements need more): a chunk's two
/// buffers grow within its limit together, instead of doubling once past
/// it.
fn grow_within<T>(v: &mut Vec<T>, more: usize, cap: usize) {
    let need = v.len() + more;
    if need > v.capacity() {
        let target = (v.capacity() * 2).max(need).min(cap.max(need));
        v.reserve_exact(target - v.len());
    }
}

/// Reads a run's rows in order through a buffer of its own, with
/// positional reads (the runs share the file).
struct RunReader<'f, K: RowKey> {
    file: &'f File,
    /// Where the file is read next, and where the run ends.
    at: u64,
    end: u64,
    keyed: bool,
    /// Keys made again for a run written without them.
    keys: K::Keys,
    key_of: KeyOf<K>,
    what: &'static str,
    buffer: Vec<u8>,
    /// The bytes of `buffer` read and not yet used.
    filled: std::ops::Range<usize>,
    /// The current row in `buffer`.
    row: std::ops::Range<usize>,
}

impl<'f, K: RowKey> RunReader<'f, K> {
    /// A reader of `run` by `read` bytes at a time.
    fn new(file: &'f File, run: Run, read: usize, key_of: KeyOf<K>, what: &'static str) -> Self {
        let size = usize::try_from(run.end - run.start).map_or(read, |len| len.min(read));
        RunReader {
            file,
            at: run.start,
            end: run.end,
            keyed: run.keyed,
            keys: K::Keys::default(),
            key_of,
            what,
            buffer: vec![0; size],
            filled: 0..0,
            row: 0..0,
        }
    }

    /// Moves to the next row and gives its key; `None` at the run's end.
    fn next(&mut self) -> io::Result<Option<K>> {
        let Some(start) = self.advance()? else {
            return Ok(None);
        };
        let key = if self.keyed {
            K::get(&self.buffer[start..start + K::BYTES])
        } else {
            (self.key_of)(&mut self.keys, &self.buffer[self.row.clone()])?
        };
        Ok(Some(key))
    }

    /// Moves to the next row, and gives where its record starts in the
    /// buffer; `None` at the run's end. Its key is not read: a run read
    /// alone needs none.
    fn advance(&mut self) -> io::Result<Option<usize>> {
        let head = if self.keyed { K::BYTES + 4 } else { 4 };
        if !self.fill(head)? {
            return Ok(None);
        }
        let start = self.filled.start;
        let len = &self.buffer[start + head - 4..start + head];
        let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize;
        if !self.fill(head + len)? {
            return Err(bad_run("a row cut short"));
        }
        let start = self.filled.start;
        self.row = start + head..start + head + len;
        self.filled.start += head + len;
        Ok(Some(start))
    }

    /// The current row's bytes.
    fn row(&self) -> &[u8] {
        &self.buffer[self.row.clone()]
    }

    /// Makes `n` bytes ready in the buffer; `false` when the run ended
    /// first with none, an error when it ended part way.
    fn fill(&mut self, n: usize) -> io::Result<bool> {
        if self.filled.len() >= n {
            return Ok(true);
        }
        // Keep what is left at the buffer's start, with room for `n`.
        self.buffer.copy_within(self.filled.clone(), 0);
        self.filled = 0..self.filled.len();
        if self.buffer.len() < n {
            self.buffer.resize(n, 0);
        }
        while self.filled.len() < n {
            let room = &mut self.buffer[self.filled.end..];
            let left = usize::try_from(self.end - self.at).unwrap_or(usize::MAX);
            let room_len = room.len().min(left);
            if room_len == 0 {
                return match self.filled.len() {
                    0 => Ok(false),
                    _ => Err(bad_run("a run cut short")),
                };
            }
            let read = read_at(self.file, &mut room[..room_len], self.at)
                .map_err(|e| held_in_file(e, self.what))?;
            if read == 0 {
                return Err(bad_run("the file ended before a run"));
            }
            self.at += read as u64;
            self.filled.end += read;
        }
        Ok(true)
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, at)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, at)
}

/// The row that starts at `start` of `bytes` (its length first).
pub(super) fn row_at(bytes: &[u8], start: usize) -> io::Result<&[u8]> {
    let len = bytes
        .get(start..start + 4)
        .ok_or_else(|| bad_run("a row's length"))?;
    let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize;
    bytes
        .get(start + 4..start + 4 + len)
        .ok_or_else(|| bad_run("a truncated row"))
}

/// Reads a row's encoded fields in order (each view encodes its own).
pub(super) struct RowBytes<'a>(pub &'a [u8]);

impl<'a> RowBytes<'a> {
    pub fn take(&mut self, n: usize) -> io::Result<&'a [u8]> {
        if self.0.len() < n {
            return Err(bad_run("a field cut short"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    pub fn array<const N: usize>(&mut self) -> io::Result<[u8; N]> {
        let mut bytes = [0u8; N];
        bytes.copy_from_slice(self.take(N)?);
        Ok(bytes)
    }

    pub fn u8(&mut self) -> io::Result<u8> {
        self.array::<1>().map(|[b]| b)
    }

    /// A number as [`put_number`] wrote it. Rows are read back many
    /// times (the flow's hops once per section, ten numbers each): the
    /// bytes are walked in place, a one-byte number (most lengths and
    /// codes) taken at once.
    #[inline]
    pub fn number(&mut self) -> io::Result<u64> {
        let b = self.0;
        if let Some(&first) = b.first() {
            if first < 0x80 {
                self.0 = &b[1..];
                return Ok(u64::from(first));
            }
        }
        let mut n = 0u64;
        for (i, &byte) in b.iter().take(10).enumerate() {
            let bits = u64::from(byte & 0x7f);
            // The tenth group has one bit of a u64 left.
            if i == 9 && bits > 1 {
                break;
            }
            n |= bits << (7 * i);
            if byte & 0x80 == 0 {
                self.0 = &b[i + 1..];
                return Ok(n);
            }
        }
        Err(bad_run(if b.len() < 10 {
            "a field cut short"
        } else {
            "a number too long"
        }))
    }

    /// A number [`put_number`] wrote that fits a `usize` (a length, a
    /// width, a count).
    pub fn size(&mut self) -> io::Result<usize> {
        usize::try_from(self.number()?).map_err(|_| bad_run("a size"))
    }

    /// A signed number as [`put_signed`] wrote it.
    pub fn signed(&mut self) -> io::Result<i64> {
        let n = self.number()?;
        Ok((n >> 1) as i64 ^ -((n & 1) as i64))
    }

    /// A row's entry number and time, as [`put_head`] wrote them.
    pub fn head(&mut self) -> io::Result<(u64, Option<RowTime>)> {
        let index = self.number()?;
        Ok((index, self.time()?))
    }

    /// A time as [`put_time`] wrote it.
    pub fn time(&mut self) -> io::Result<Option<RowTime>> {
        Ok(match self.u8()? {
            0 => None,
            _ => {
                let secs = self.signed()?;
                let nanos = u32::try_from(self.number()?).map_err(|_| bad_run("nanoseconds"))?;
                let offset = i32::try_from(self.signed()?).map_err(|_| bad_run("an offset"))?;
                Some((secs, nanos, offset))
            }
        })
    }

    /// A time as [`put_time`] wrote it, as a timestamp.
    pub fn timestamp(&mut self) -> io::Result<Timestamp> {
        Ok(match self.time()? {
            None => Timestamp::Unset,
            Some(time) => Timestamp::At(row_datetime(time)?),
        })
    }

    /// A text, its length first, as [`put_text`] wrote it.
    pub fn text(&mut self) -> io::Result<&'a str> {
        let len = self.size()?;
        crate::model::utf8(self.take(len)?).map_err(|_| bad_run("a text"))
    }
}

/// Appends `n` seven bits a byte, the lowest first, the top bit of each
/// byte but the last set (LEB128): the numbers rows hold (entry numbers,
/// lengths, widths, seconds) mostly take one to five bytes rather than
/// four or eight. A table's row is a third smaller so, and the file it
/// spills to a gigabyte's worth of rows as much smaller: writing that file
/// and reading it back was a sixth of the table's time.
pub(super) fn put_number(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push(n as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Appends `n` as [`put_number`] does, its sign in the lowest bit (so
/// that small negative numbers are short too).
pub(super) fn put_signed(out: &mut Vec<u8>, n: i64) {
    put_number(out, ((n << 1) ^ (n >> 63)) as u64);
}

/// Appends a row's head, which every time-ordered view's rows start with:
/// the entry's number and its time, as [`RowBytes::head`] reads them.
pub(super) fn put_head(out: &mut Vec<u8>, index: u64, time: Timestamp) {
    put_number(out, index);
    put_time(out, time);
}

/// Appends a time, as [`RowBytes::time`] reads it: whether it is set, then
/// its seconds, nanoseconds and offset.
pub(super) fn put_time(out: &mut Vec<u8>, time: Timestamp) {
    match time.get() {
        None => out.push(0),
        Some(t) => {
            out.push(1);
            put_signed(out, t.timestamp());
            put_number(out, u64::from(t.timestamp_subsec_nanos()));
            put_signed(out, i64::from(t.offset().local_minus_utc()));
        }
    }
}

/// A row's time as encoded: seconds, nanoseconds and offset.
pub(super) type RowTime = (i64, u32, i32);

/// A row's time as a date and time in its offset.
pub(super) fn row_datetime((secs, nanos, offset): RowTime) -> io::Result<DateTime<FixedOffset>> {
    let offset = FixedOffset::east_opt(offset).ok_or_else(|| bad_run("an offset"))?;
    let utc = DateTime::from_timestamp(secs, nanos).ok_or_else(|| bad_run("a time"))?;
    Ok(utc.with_timezone(&offset))
}

/// The key `keys` gave a row that starts with [`put_head`] when it was
/// pushed, made again in the same order.
pub(super) fn time_key(keys: &mut TimeKeys, row: &[u8]) -> io::Result<TimeKey> {
    let (index, time) = RowBytes(row).head()?;
    let nanos = time.map(|(secs, nanos, _)| Timestamp::nanos_of(secs, nanos));
    Ok(keys.key(nanos, index))
}

/// Writes the length of `row` (which begins with 4 bytes kept for it)
/// into them.
fn set_length(row: &mut [u8]) -> io::Result<()> {
    let len = u32::try_from(row.len().saturating_sub(4)).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "a row too long to hold (over 4 GB)",
        )
    })?;
    let head = row.get_mut(..4).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "a row without room for its length",
        )
    })?;
    head.copy_from_slice(&len.to_le_bytes());
    Ok(())
}

/// Appends `text`, its length first, as [`RowBytes::text`] reads it.
pub(super) fn put_text(out: &mut Vec<u8>, text: &str) {
    put_number(out, text.len() as u64);
    out.extend_from_slice(text.as_bytes());
}

fn bad_run(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("internal error: rows held for a view: {what}"),
    )
}

/// An error of the temporary file, saying what it was for and where
/// (`TMPDIR`), the file's own error as its source: told bare, it read like
/// a problem with the trace or with the output.
fn held_in_file(e: io::Error, what: &'static str) -> io::Error {
    io::Error::other(HeldInFile(e, what))
}

#[derive(Debug)]
struct HeldInFile(io::Error, &'static str);

impl std::fmt::Display for HeldInFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} could not be kept in a temporary file in {}",
            self.1,
            std::env::temp_dir().display()
        )
    }
}

impl std::error::Error for HeldInFile {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A test row: its index, whether it has a time, the time, then
    /// `pad` bytes; length first.
    fn row(index: u64, nanos: Option<i64>, pad: usize) -> Vec<u8> {
        let mut row = vec![0; 4];
        row.extend_from_slice(&index.to_le_bytes());
        row.push(u8::from(nanos.is_some()));
        row.extend_from_slice(&nanos.unwrap_or_default().to_le_bytes());
        row.extend(std::iter::repeat_n(b'x', pad));
        let len = (row.len() - 4) as u32;
        row[..4].copy_from_slice(&len.to_le_bytes());
        row
    }

    fn key_of(keys: &mut TimeKeys, row: &[u8]) -> io::Result<TimeKey> {
        let index = u64::from_le_bytes(row[..8].try_into().unwrap());
        let nanos = i64::from_le_bytes(row[9..17].try_into().unwrap());
        Ok(keys.key((row[8] == 1).then_some(i128::from(nanos)), index))
    }

    /// The rows `times` (with pads) make, read back from a store of
    /// `budget` bytes, and the same rows sorted in memory.
    fn both(times: &[(Option<i64>, usize)], budget: usize) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
        let mut store = RowStore::new(budget, key_of, "rows");
        let mut keys = TimeKeys::default();
        let mut want = Vec::new();
        for (index, &(nanos, pad)) in times.iter().enumerate() {
            let index = index as u64;
            let row = row(index, nanos, pad);
            let key = keys.key(nanos.map(i128::from), index);
            store.push(key, &row).unwrap();
            // Rows filling and rows being written stay within the budget
            // (but for the row that passed it).
            let entry = std::mem::size_of::<(TimeKey, usize)>();
            let held = store.memory.len() + store.chunk.len() * entry + store.writing();
            assert!(held <= budget + row.len() + entry, "{held} held");
            want.push((key, row[4..].to_vec()));
        }
        want.sort_by_key(|(key, _)| *key);
        let want = want.into_iter().map(|(_, row)| row).collect();
        let mut got = Vec::new();
        store
            .for_each(&mut |row| {
                got.push(row.to_vec());
                Ok(())
            })
            .unwrap();
        (got, want)
    }

    proptest::proptest! {
        /// Whatever the order, the missing times and the budget (every
        /// row a run of its own at 0, rows longer than a read), the rows
        /// come back in time order, each once, twice over, and no more
        /// than a budget of them is ever held.
        #[test]
        fn rows_come_back_in_time_order(
            times in proptest::collection::vec(
                (proptest::option::weighted(0.8, 0i64..50), 0usize..200),
                0..200,
            ),
            budget in 0usize..2000,
            long in proptest::bool::weighted(0.1),
        ) {
            let mut times = times;
            if long {
                if let Some(first) = times.first_mut() {
                    first.1 = READ + 10;
                }
            }
            let (got, want) = both(&times, budget);
            let index = |rows: &[Vec<u8>]| rows.iter().map(|r| r[0]).collect::<Vec<_>>();
            proptest::prop_assert_eq!(index(&got), index(&want));
            proptest::prop_assert!(got == want);
        }
    }

    /// Rows in order stay one run written as they came; one row out of
    /// order starts the keyed runs, and reading twice gives the same.
    #[test]
    fn one_run_while_in_order_then_sorted_runs() {
        let mut store = RowStore::new(0, key_of, "rows");
        let mut keys = TimeKeys::default();
        for (index, nanos) in [(0, 5), (1, 6), (2, 7), (3, 1), (4, 9), (5, 0)] {
            store
                .push(
                    keys.key(Some(nanos), index),
                    &row(index, Some(nanos as i64), 3),
                )
                .unwrap();
        }
        assert_eq!(store.runs.len(), 4);
        assert!(!store.runs[0].keyed && store.runs[1..].iter().all(|r| r.keyed));
        for _ in 0..2 {
            assert_eq!(first_bytes(&mut store), [5, 3, 0, 1, 2, 4]);
        }
    }

    /// The first byte of every row (its index), in the order read back.
    fn first_bytes(store: &mut RowStore<TimeKey>) -> Vec<u8> {
        let mut order = Vec::new();
        store
            .for_each(&mut |row| {
                order.push(row[0]);
                Ok(())
            })
            .unwrap();
        order
    }

    /// Rows read from memory (sorted there) and then joined by more, past
    /// the budget: the first run written is still in key order.
    #[test]
    fn rows_read_in_memory_then_spilled_stay_in_order() {
        let mut store = RowStore::new(200, key_of, "rows");
        let mut keys = TimeKeys::default();
        let mut push = |store: &mut RowStore<TimeKey>, index: u64, nanos: i64| {
            let key = keys.key(Some(i128::from(nanos)), index);
            store.push(key, &row(index, Some(nanos), 3)).unwrap();
        };
        for (index, nanos) in [(0, 5), (1, 1), (2, 3)] {
            push(&mut store, index, nanos);
        }
        assert!(store.in_memory().is_some());
        for index in 3..30 {
            push(&mut store, index, 10 + index as i64);
        }
        let want: Vec<u8> = [1, 2, 0].into_iter().chain(3..30).collect();
        assert_eq!(first_bytes(&mut store), want);
    }

    proptest::proptest! {
        /// Numbers, signed numbers and texts read back as written, each
        /// taking only its own bytes.
        #[test]
        fn numbers_and_texts_read_back(
            // Of every length: the shift makes short numbers as likely
            // as long ones.
            numbers in proptest::collection::vec(
                proptest::strategy::Strategy::prop_map((proptest::num::u64::ANY, 0u32..64), |(n, shift)| n >> shift),
                0..20,
            ),
            signed in proptest::collection::vec(
                proptest::strategy::Strategy::prop_map((proptest::num::i64::ANY, 0u32..64), |(n, shift)| n >> shift),
                0..20,
            ),
            text in ".{0,40}",
        ) {
            let mut out = Vec::new();
            for &n in &numbers {
                put_number(&mut out, n);
            }
            for &n in &signed {
                put_signed(&mut out, n);
            }
            put_text(&mut out, &text);
            let mut bytes = RowBytes(&out);
            for &n in &numbers {
                proptest::prop_assert_eq!(bytes.number().unwrap(), n);
            }
            for &n in &signed {
                proptest::prop_assert_eq!(bytes.signed().unwrap(), n);
            }
            proptest::prop_assert_eq!(bytes.text().unwrap(), text.as_str());
            proptest::prop_assert!(bytes.0.is_empty());
        }
    }

    #[test]
    fn small_numbers_are_short_and_bad_ones_are_errors() {
        let len = |n: u64| {
            let mut out = Vec::new();
            put_number(&mut out, n);
            out.len()
        };
        assert_eq!((len(0), len(127), len(128), len(u64::MAX)), (1, 1, 2, 10));
        // Cut short, and longer than a u64: errors, not panics.
        assert!(RowBytes(&[0x80]).number().is_err());
        assert!(RowBytes(&[0xff; 11]).number().is_err());
        assert!(
            RowBytes(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02])
                .number()
                .is_err()
        );
    }
}
