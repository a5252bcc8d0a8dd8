//! Reads a trace from any byte stream in fixed-size chunks: scanner, then
//! parser, one entry at a time, so memory does not grow with the file.

use std::borrow::Cow;
use std::io::{self, Read};

use super::diagnostic::Diagnostic;
use super::fast::{Outline, Pair};
use super::parse::{parse_entry, ParseOptions};
use super::scan::{Framing, RawEntry, ScanEvent, Scanner};
use crate::model::Entry;

/// Bytes read from the input at a time.
pub const CHUNK_SIZE: usize = 1 << 20;

/// What reading a whole input found, besides its entries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadReport {
    pub framing: Framing,
    /// Entries handed out.
    pub entries: u64,
    /// Problems that mean damage (not counting an incomplete last entry).
    pub damage: u64,
    pub bytes: u64,
    /// Where the input ended (after its last byte).
    pub end: crate::model::Position,
    /// Where the first entry read after a closing `]` starts.
    pub first_after_close: Option<crate::model::Position>,
}

impl ReadReport {
    /// How complete the file is; a file in which nothing could be read as
    /// an entry but something was damaged is unreadable, whatever stray
    /// brackets it holds.
    pub fn completeness(&self) -> crate::model::Completeness {
        if self.entries == 0 && self.damage > 0 {
            crate::model::Completeness::Unreadable
        } else {
            self.framing.completeness()
        }
    }
}

/// Turns pushed bytes into entries. Follow mode feeds it as a file grows;
/// [`read_all`] feeds it a whole input.
pub struct TraceReader {
    scanner: Scanner,
    options: ParseOptions,
    redact: Option<std::sync::Arc<super::redact::Redactor>>,
    report: ReadReport,
}

/// Work a view wants done on each entry before it sees it; the parallel
/// reader does it on its worker threads, in parallel.
#[derive(Clone)]
pub struct Prepare {
    /// Makes one worker's [`Preparer`], on the worker's thread (so one may
    /// keep buffers from entry to entry). A preparer must not read the
    /// entry's line: on the worker it is counted from the block's start,
    /// and made the file's when the entry reaches the sink.
    pub make: std::sync::Arc<dyn Fn() -> Preparer + Send + Sync>,
    /// Whether the view reads the payloads from the entry after preparing
    /// it (the table's `--verbose`). If not, the reader lends the preparer
    /// the payloads' text where it read them, rather than copying them
    /// into each entry.
    pub keeps_payloads: bool,
}

/// One worker's side of a [`Prepare`]: it gets each entry and its
/// payloads' text.
pub type Preparer = Box<dyn FnMut(&mut Entry, Payloads<'_>)>;

/// An entry's payloads as JSON text: lent by the reader while it holds
/// the text ([`Prepare`]), or borrowed from the entry
/// ([`Payloads::of`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct Payloads<'a> {
    /// `state`.
    pub state: Option<&'a str>,
    /// `agent_result.output_state`.
    pub output_state: Option<&'a str>,
    /// `agent_result`, whole.
    pub result: Option<&'a str>,
    /// The objects the reader split as it checked the entry, when it did.
    pub outline: Option<&'a Outline<'a>>,
}

impl<'a> Payloads<'a> {
    /// The payloads an entry kept.
    pub fn of(entry: &'a Entry) -> Self {
        let result = entry.result.as_ref();
        Payloads {
            state: entry.state.as_ref().map(|s| s.get()),
            output_state: result
                .and_then(|r| r.output_state.as_ref())
                .map(|s| s.get()),
            result: result.and_then(|r| r.raw.as_ref()).map(|s| s.get()),
            outline: None,
        }
    }

    /// The pairs of `object`, a JSON object among (or inside) these
    /// payloads: as the reader split them when it did, else split now;
    /// `None` when it is not an object the fast path splits.
    /// Borrowed means the reader split it, so it nests no deeper than
    /// [`super::fast::CHECKED_DEPTH`].
    pub fn pairs(&self, object: &'a str) -> Option<Cow<'a, [Pair<'a>]>> {
        self.outline
            .unwrap_or(&super::fast::NO_OUTLINE)
            .pairs_or_split(object)
    }

    /// [`Payloads::pairs`], but `None` too for an object the reader did
    /// not split that nests deeper than `limit` (so that what is read
    /// from it agrees with serde_json, which stops at its own depth).
    pub fn pairs_within(&self, object: &'a str, limit: u32) -> Option<Cow<'a, [Pair<'a>]>> {
        let pairs = self.pairs(object)?;
        if matches!(pairs, Cow::Owned(_)) && super::fast::depth_exceeds(object, limit) {
            return None;
        }
        Some(pairs)
    }
}

/// Receives what the reader finds. An error from `entry` (say, a closed
/// pipe) stops the reading and is returned.
pub trait EntrySink {
    /// Takes the next entry, numbered in file order.
    ///
    /// The entry is lent: the parallel reader frees it on the thread that
    /// made it. A sink that keeps it takes it (`std::mem::take`).
    fn entry(&mut self, entry: &mut Entry) -> anyhow::Result<()>;
    fn problem(&mut self, problem: Diagnostic);
    /// Work to do on each entry ahead of [`EntrySink::entry`], where the
    /// reader can do it in parallel (the simple path does not: a sink must
    /// do the same work itself when it was not done).
    fn prepare(&self) -> Option<Prepare> {
        None
    }
}

impl TraceReader {
    pub fn new(options: ParseOptions) -> Self {
        TraceReader::with_redactor(options, None)
    }

    /// A reader that masks, in every payload it keeps, the values of keys
    /// `redact` matches.
    pub fn with_redactor(
        options: ParseOptions,
        redact: Option<std::sync::Arc<super::redact::Redactor>>,
    ) -> Self {
        TraceReader {
            scanner: Scanner::new(),
            options,
            redact,
            report: ReadReport::default(),
        }
    }

    pub fn report(&self) -> ReadReport {
        final_report(self.report, &self.scanner)
    }

    pub fn push(&mut self, chunk: &[u8], sink: &mut dyn EntrySink) -> anyhow::Result<()> {
        let options = self.options;
        let redact = self.redact.as_deref();
        let report = &mut self.report;
        let mut failure = None;
        self.scanner.push(chunk, &mut |event| {
            if failure.is_some() {
                return;
            }
            match event {
                ScanEvent::Entry(raw) => {
                    if let Err(e) = take_entry(report, &raw, options, redact, sink) {
                        failure = Some(e);
                    }
                }
                ScanEvent::Problem(d) => take_problem(report, d, sink),
            }
        });
        failure.map_or(Ok(()), Err)
    }

    /// Reads past `chunk` without handing out its entries: following a
    /// directory starts at the end of the sessions already there, and the
    /// scanner must know where their entries stand. Only framing is
    /// scanned; nothing is parsed.
    pub fn skip(&mut self, chunk: &[u8]) {
        self.scanner.push(chunk, &mut |_| {});
    }

    /// Ends the input; reports an incomplete last entry.
    pub fn finish(&mut self, sink: &mut dyn EntrySink) {
        let report = &mut self.report;
        self.scanner.finish(&mut |event| {
            if let ScanEvent::Problem(d) = event {
                take_problem(report, d, sink);
            }
        });
    }
}

/// Parses one scanned entry, numbers it and hands it to `sink`.
fn take_entry(
    report: &mut ReadReport,
    raw: &RawEntry<'_>,
    options: ParseOptions,
    redact: Option<&super::redact::Redactor>,
    sink: &mut dyn EntrySink,
) -> anyhow::Result<()> {
    let mut count_problem = |d: Diagnostic| take_problem(report, d, sink);
    let parsed = parse_entry(
        raw.bytes,
        raw.start,
        raw.shifts,
        options,
        redact,
        &mut count_problem,
    );
    match parsed {
        Some(mut entry) => count_entry(report, &mut entry, raw.start, raw.after_close, sink),
        None => Ok(()),
    }
}

/// Numbers an entry in file order and hands it to `sink`.
pub(super) fn count_entry(
    report: &mut ReadReport,
    entry: &mut Entry,
    start: crate::model::Position,
    after_close: bool,
    sink: &mut dyn EntrySink,
) -> anyhow::Result<()> {
    report.entries += 1;
    if after_close {
        report.framing.entries_after_close += 1;
        report.first_after_close.get_or_insert(start);
    }
    entry.index = report.entries;
    sink.entry(entry)
}

/// What the parser counted, with what the scanner knows of framing and
/// position.
fn final_report(counted: ReadReport, scanner: &Scanner) -> ReadReport {
    ReadReport {
        framing: Framing {
            entries_after_close: counted.framing.entries_after_close,
            ..scanner.framing()
        },
        bytes: scanner.offset(),
        end: scanner.position(),
        ..counted
    }
}

/// Counts a problem and hands it to `sink`.
pub(super) fn take_problem(report: &mut ReadReport, d: Diagnostic, sink: &mut dyn EntrySink) {
    if d.kind.is_damage() {
        report.damage += 1;
    }
    sink.problem(d);
}

/// Reads `input` to its end on the calling thread (for small files, or
/// many files read side by side).
pub fn read_all(
    mut input: impl Read,
    options: ParseOptions,
    sink: &mut dyn EntrySink,
) -> anyhow::Result<ReadReport> {
    let mut reader = TraceReader::new(options);
    let mut buf = vec![0u8; CHUNK_SIZE];
    loop {
        let n = read_some(&mut input, &mut buf)?;
        if n == 0 {
            break;
        }
        reader.push(&buf[..n], sink)?;
    }
    reader.finish(sink);
    Ok(reader.report())
}

/// One `read`, tried again when a signal interrupted it; 0 at the end.
pub fn read_some(input: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match input.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            result => return result,
        }
    }
}

/// Reading at an offset, by any number of threads at once: a regular
/// file (`pread`). The workers read most of each block so, each on its
/// own, rather than one after another through one cursor.
pub trait ReadAt: Sync {
    /// Up to `buf.len()` bytes from `offset`; 0 at the end.
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize>;
}

/// Whether files can be read at offsets here (`pread` on Unix,
/// `seek_read` on Windows); elsewhere they are read in order.
pub const FILES_READ_AT: bool = cfg!(any(unix, windows));

impl ReadAt for std::fs::File {
    #[cfg(unix)]
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        std::os::unix::fs::FileExt::read_at(self, buf, offset)
    }

    #[cfg(windows)]
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        std::os::windows::fs::FileExt::seek_read(self, buf, offset)
    }

    #[cfg(not(any(unix, windows)))]
    fn read_at(&self, _: &mut [u8], _: u64) -> io::Result<usize> {
        Err(io::ErrorKind::Unsupported.into())
    }
}

/// Bytes in memory, read as a file would be.
impl ReadAt for &[u8] {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let from = usize::try_from(offset).map_or(self.len(), |o| o.min(self.len()));
        let n = buf.len().min(self.len() - from);
        buf[..n].copy_from_slice(&self[from..from + n]);
        Ok(n)
    }
}

/// What a read takes its bytes from.
pub enum Input<'a, R> {
    /// Bytes that come in order only: stdin, a pipe, a slice.
    Stream(R),
    /// A regular file, read at offsets from its start.
    File(&'a dyn ReadAt),
}

impl<'a, R> Input<'a, R> {
    /// The file, when the input is one.
    pub fn file(&self) -> Option<&'a dyn ReadAt> {
        match self {
            Input::Stream(_) => None,
            Input::File(file) => Some(*file),
        }
    }
}

impl<'a, R: Read + ReadAt + Send> Input<'a, &'a mut R> {
    /// `input` read at offsets when `file` (it is a regular file), else in
    /// order.
    pub fn of(input: &'a mut R, file: bool) -> Self {
        if file {
            Input::File(input)
        } else {
            Input::Stream(input)
        }
    }
}

/// Reads `file` from `offset` until `buf` is full or the file ends,
/// trying again when a signal interrupted a read; the bytes read.
pub fn read_full_at(file: &dyn ReadAt, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match file.read_at(&mut buf[done..], offset + done as u64) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

/// Reads `input` to its end, masking payloads with `redact`, on every
/// core (see [`super::parallel`]): the same entries and problems as
/// [`read_all`], in the same order, handed to `sink` on the calling
/// thread. Memory stays bounded: a few blocks of up to a megabyte in
/// flight, sized by `size` (the input's length, when known). An error from
/// `sink` stops the other threads.
pub fn read_all_with<R: Read + Send>(
    input: Input<'_, R>,
    size: Option<u64>,
    options: ParseOptions,
    redact: Option<std::sync::Arc<super::redact::Redactor>>,
    sink: &mut dyn EntrySink,
) -> anyhow::Result<ReadReport> {
    super::parallel::read(
        input,
        options,
        redact,
        sink,
        super::parallel::Sizes::for_input(size),
    )
}

/// [`read_all_with`] on every core, or, given a thread's `scratch`, on
/// the calling thread alone ([`super::parallel::read_inline`]): for one
/// file of many read side by side.
pub fn read_here_or_all<R: Read + Send>(
    input: Input<'_, R>,
    size: Option<u64>,
    options: ParseOptions,
    redact: Option<&std::sync::Arc<super::redact::Redactor>>,
    sink: &mut dyn EntrySink,
    scratch: Option<&mut super::parallel::Scratch>,
) -> anyhow::Result<ReadReport> {
    match scratch {
        None => read_all_with(input, size, options, redact.cloned(), sink),
        Some(scratch) => {
            let sizes = super::parallel::Sizes::for_file(size.unwrap_or(0));
            let redact = redact.map(|r| &**r);
            super::parallel::read_inline(input, options, redact, sink, sizes, scratch)
        }
    }
}

/// A sink that keeps everything; for tests and small inputs.
#[derive(Debug, Default)]
pub struct Collect {
    pub entries: Vec<Entry>,
    pub problems: Vec<Diagnostic>,
}

impl EntrySink for Collect {
    fn entry(&mut self, entry: &mut Entry) -> anyhow::Result<()> {
        self.entries.push(std::mem::take(entry));
        Ok(())
    }
    fn problem(&mut self, problem: Diagnostic) {
        self.problems.push(problem);
    }
}

/// Entries and problems as one sequence, each as its debug text, for
/// comparing what two readers found, order and all (a problem of an
/// entry comes before it).
#[derive(Debug, Default, PartialEq)]
pub struct InOrder(pub Vec<String>);

impl EntrySink for InOrder {
    fn entry(&mut self, entry: &mut Entry) -> anyhow::Result<()> {
        self.0.push(format!("entry {entry:?}"));
        Ok(())
    }
    fn problem(&mut self, problem: Diagnostic) {
        self.0.push(format!("problem {problem:?}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::ProblemKind;
    use crate::model::Hook;

    fn read(input: &[u8]) -> (Collect, ReadReport) {
        let mut c = Collect::default();
        let r = read_all(input, ParseOptions::default(), &mut c).unwrap();
        (c, r)
    }

    #[test]
    fn numbers_entries_in_file_order_and_counts_damage() {
        let input = b"[\n{\"hook\":\"BeforeAgentRun\"},\n{\"hook\": oops},\n{\"hook\":\"AfterAgentRun\"},\n{\"hook\":\"AgentEr";
        let (c, r) = read(input);
        assert_eq!(c.entries.len(), 2);
        assert_eq!(c.entries[1].index, 2);
        assert_eq!(c.entries[1].hook, Hook::AfterAgentRun);
        assert_eq!(r.damage, 1);
        assert!(r.framing.incomplete_tail);
        let kinds: Vec<_> = c.problems.iter().map(|p| p.kind).collect();
        assert_eq!(
            kinds,
            vec![ProblemKind::InvalidJson, ProblemKind::IncompleteTail]
        );
    }

    #[test]
    fn problems_are_placed_in_the_file_not_in_the_repaired_text() {
        // A raw control character (escaped to 6 bytes) and invalid UTF-8
        // (read as 3 bytes) before a JSON error must not move it.
        let (c, _) = read(b"{\"a\":\"\x01\xff\" x}");
        let json = c
            .problems
            .iter()
            .find(|p| p.kind == ProblemKind::InvalidJson)
            .unwrap();
        // {"a":"<01><ff>" x}: the x is byte 10.
        assert_eq!(json.position.offset, 10, "{:?}", c.problems);
        assert_eq!(json.position.column, 11);
        // An error on a later line of an entry has a real column.
        let (c, _) = read(b"{\"\":t\n]");
        // serde notices it at the `]` (line 2, "column 0": the line's start).
        assert_eq!(
            c.problems[0].position.to_string(),
            "2:1",
            "{:?}",
            c.problems
        );
        assert_eq!(c.problems[0].position.offset, 6);
        let (c, _) = read(b"{\n  \"a\": 1,\n  \"b\" x\n}");
        // `x` is the 7th byte of line 3, byte 18 of the input.
        assert_eq!(
            c.problems[0].position.to_string(),
            "3:7",
            "{:?}",
            c.problems
        );
        assert_eq!(c.problems[0].position.offset, 18);
    }

    /// Everything the two-thread reader finds, in the order it finds it,
    /// next to what the one-thread reader finds.
    fn both_ways(input: &[u8]) -> (String, String) {
        let mut one = Collect::default();
        let r1 = read_all(input, ParseOptions::default(), &mut one).unwrap();
        let mut two = Collect::default();
        let r2 = read_all_with(
            Input::Stream(input),
            None,
            ParseOptions::default(),
            None,
            &mut two,
        )
        .unwrap();
        // As a file: most of each megabyte block read outside the lock.
        let mut file = Collect::default();
        let size = Some(input.len() as u64);
        let at = Input::<&[u8]>::File(&input);
        let r3 = read_all_with(at, size, ParseOptions::default(), None, &mut file).unwrap();
        assert_eq!(
            format!("{r2:?}\n{:?}\n{:?}", two.entries, two.problems),
            format!("{r3:?}\n{:?}\n{:?}", file.entries, file.problems),
            "in order and as a file"
        );
        (
            format!("{r1:?}\n{:?}\n{:?}", one.entries, one.problems),
            format!("{r2:?}\n{:?}\n{:?}", two.entries, two.problems),
        )
    }

    /// The simple path (one thread, scanner then serde_json) next to the
    /// parallel one cut at `block` bytes, which may switch to scanning on
    /// one thread past `max_block`, reading the input in order and as a
    /// file (both must find the same).
    fn simple_and_parallel(
        input: &[u8],
        block: usize,
        max_block: usize,
        options: ParseOptions,
    ) -> (String, String) {
        let show = |r: ReadReport, c: Collect| {
            let mut out = format!("{r:?}\n");
            for e in c.entries {
                out.push_str(&format!("{e:?}\n"));
            }
            for p in c.problems {
                out.push_str(&format!("{p:?}\n"));
            }
            out
        };
        let mut one = Collect::default();
        let r1 = read_all(input, options, &mut one).unwrap();
        let mut many = Collect::default();
        let sizes = crate::input::parallel::Sizes {
            block,
            max_block,
            batch: 100,
            workers: 3,
        };
        let r2 =
            crate::input::parallel::read(Input::Stream(input), options, None, &mut many, sizes)
                .unwrap();
        let mut at = Collect::default();
        let file = Input::<&[u8]>::File(&input);
        let r3 = crate::input::parallel::read(file, options, None, &mut at, sizes).unwrap();
        let (many, at) = (show(r2, many), show(r3, at));
        assert!(many == at, "{}", first_difference(&many, &at));
        // On the calling thread alone, a file and a stream alike.
        let mut scratch = crate::input::parallel::Scratch::default();
        for input in [Input::Stream(input), Input::File(&input)] {
            let mut here = Collect::default();
            let r4 = crate::input::parallel::read_inline(
                input,
                options,
                None,
                &mut here,
                sizes,
                &mut scratch,
            )
            .unwrap();
            let here = show(r4, here);
            assert!(many == here, "{}", first_difference(&many, &here));
        }
        (show(r1, one), many)
    }

    /// Every fixture, cut into blocks of many sizes (some so small that
    /// entries outgrow them and the reader falls back to scanning).
    #[test]
    fn parallel_reader_reads_every_fixture_as_the_simple_path_does() {
        for (path, bytes) in crate::input::fixture_files() {
            for (block, max_block) in [
                (1, 1 << 20),
                (5, 40),
                (64, 1 << 20),
                (700, 2000),
                (1 << 20, 1 << 20),
            ] {
                for options in [ParseOptions::default(), ParseOptions::lean()] {
                    let (one, many) = simple_and_parallel(&bytes, block, max_block, options);
                    assert!(
                        one == many,
                        "{} (block {block}, max {max_block}):\n{}",
                        path.display(),
                        first_difference(&one, &many)
                    );
                }
            }
        }
    }

    fn first_difference(a: &str, b: &str) -> String {
        for (i, (x, y)) in a.lines().zip(b.lines()).enumerate() {
            if x != y {
                return format!("line {i}:\n simple:   {x}\n parallel: {y}");
            }
        }
        format!(
            "lengths differ: {} vs {} lines",
            a.lines().count(),
            b.lines().count()
        )
    }

    #[test]
    fn two_threads_read_every_fixture_as_one_does() {
        for (path, bytes) in crate::input::fixture_files() {
            let (one, two) = both_ways(&bytes);
            assert_eq!(one, two, "{}", path.display());
        }
    }

    #[test]
    fn two_threads_read_many_batches_in_order() {
        // Megabytes of entries (many batches), with damage in between.
        let mut input = b"[\n".to_vec();
        for i in 0..20_000 {
            let entry = format!(
                "{{\n  \"hook\": \"AfterAgentRun\",\n  \"agent_id\": \"a{i}\",\n  \"state\": {{\"pad\": \"{}\"}}\n}}\n,\n",
                "x".repeat(i % 300)
            );
            input.extend_from_slice(entry.as_bytes());
            if i % 997 == 0 {
                input.extend_from_slice(b"garbage\n{\"hook\": oops},\n{\"a\":\"\x01\"},\n");
            }
        }
        input.extend_from_slice(b"{\"hook\": \"AgentEr");
        assert!(input.len() > 4 << 20);
        let (one, two) = both_ways(&input);
        assert!(one == two, "the two readers differ");
    }

    #[test]
    fn crlf_and_bom_read_like_plain_files() {
        let plain = "[\n{\n  \"hook\": \"AgentError\",\n  \"error\": \"x\"\n}\n,\n{\n  \"hook\": \"AfterAgentRun\"\n}\n]";
        let crlf = format!("\u{feff}{}", plain.replace('\n', "\r\n"));
        let (a, _) = read(plain.as_bytes());
        let (b, rb) = read(crlf.as_bytes());
        assert!(b.problems.is_empty(), "{:?}", b.problems);
        assert_eq!(a.entries.len(), b.entries.len());
        assert_eq!(b.entries[0].error.as_deref(), Some("x"));
        assert!(rb.framing.bom && rb.framing.closed);
    }
}
