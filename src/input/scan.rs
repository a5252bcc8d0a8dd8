//! Splits the bytes of a trace file into entries, whatever the framing.
//!
//! The scanner is incremental: bytes are pushed in chunks of any size (a
//! file read in blocks, or a file being followed) and each complete
//! top-level object is handed out with its position. It never recurses and
//! never fails: bytes it cannot place are reported and skipped.
//!
//! Framings it reads (see FORMAT.md): a closed array, an unterminated array
//! (live session), a torn last entry, entries continued after `]`, indented
//! dumps, a single object, JSON lines, a UTF-8 byte order mark, CRLF.

use super::diagnostic::{Diagnostic, ProblemKind};
use crate::model::{Completeness, Position};

/// A complete top-level object: its bytes and where it starts.
#[derive(Debug)]
pub struct RawEntry<'a> {
    pub bytes: &'a [u8],
    pub start: Position,
    /// Where `bytes` differ in length from the file (raw control
    /// characters written as escapes): from each (offset in `bytes`,
    /// offset in the file's entry) on, offsets correspond one to one.
    pub shifts: &'a [(usize, usize)],
    /// The entry starts after a `]` closed the array.
    pub after_close: bool,
}

/// What the scanner hands out.
#[derive(Debug)]
pub enum ScanEvent<'a> {
    Entry(RawEntry<'a>),
    Problem(Diagnostic),
}

/// How the file is framed, as far as it has been read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Framing {
    /// The first significant byte was `[`.
    pub array: bool,
    /// The last significant top-level byte was `]`.
    pub closed: bool,
    /// Entries read after a `]` (a session logged again after a clean
    /// close); counted by the reader, which knows which objects were entries.
    pub entries_after_close: u64,
    /// Entries found (complete or not).
    pub objects: u64,
    /// The input started with a UTF-8 byte order mark.
    pub bom: bool,
    /// The input is over and its last entry was incomplete.
    pub incomplete_tail: bool,
}

impl Framing {
    /// How complete the session's file is, as far as it has been read.
    pub fn completeness(&self) -> Completeness {
        if self.incomplete_tail {
            Completeness::Torn
        } else if self.array && !self.closed {
            Completeness::Open
        } else if !self.array && self.objects == 0 {
            Completeness::Empty
        } else {
            Completeness::Complete
        }
    }
}

/// Where a scanner stands between entries, to [`Scanner::resume`] from.
#[derive(Debug, Clone, Copy, Default)]
pub struct TopLevel {
    /// At the start of a line (column 1), except at the very start.
    pub position: Position,
    pub framing: Framing,
    pub seen_significant: bool,
    pub seen_close: bool,
}

pub const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];
/// Longest quoted preview of skipped bytes in a message.
const PREVIEW: usize = 24;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    TopLevel,
    InEntry,
}

/// The incremental scanner. Feed it with [`Scanner::push`], end with
/// [`Scanner::finish`].
#[derive(Debug)]
pub struct Scanner {
    state: State,
    depth: u64,
    in_string: bool,
    escaped: bool,
    /// The bytes of the entry being read.
    entry: Vec<u8>,
    entry_start: Position,
    /// One control-character report per entry is enough.
    entry_reported_control: bool,
    /// See [`RawEntry::shifts`].
    entry_shifts: Vec<(usize, usize)>,
    offset: u64,
    line: u64,
    line_start: u64,
    /// Bytes of a possible byte order mark seen at the very start.
    bom_matched: usize,
    garbage: Option<Garbage>,
    framing: Framing,
    seen_significant: bool,
    /// A `]` has closed the array once; entries after it continue a
    /// closed session.
    seen_close: bool,
}

#[derive(Debug)]
struct Garbage {
    start: Position,
    len: u64,
    preview: Vec<u8>,
}

impl Default for Scanner {
    fn default() -> Self {
        Self::new()
    }
}

impl Scanner {
    pub fn new() -> Self {
        Scanner {
            state: State::TopLevel,
            depth: 0,
            in_string: false,
            escaped: false,
            entry: Vec::new(),
            entry_start: Position::default(),
            entry_reported_control: false,
            entry_shifts: Vec::new(),
            offset: 0,
            line: 1,
            line_start: 0,
            bom_matched: 0,
            garbage: None,
            framing: Framing::default(),
            seen_significant: false,
            seen_close: false,
        }
    }

    /// A scanner that starts mid-input, at `at`, the start of a line,
    /// outside any entry: where another scanner (or the block walker of
    /// the parallel reader) left off, with what it knew of the framing.
    pub fn resume(at: TopLevel) -> Self {
        Scanner {
            offset: at.position.offset,
            line: at.position.line,
            line_start: at.position.offset + 1 - at.position.column,
            bom_matched: BOM.len(),
            framing: at.framing,
            seen_significant: at.seen_significant,
            seen_close: at.seen_close,
            ..Scanner::new()
        }
    }

    /// Ends a block that the next one continues with a `{` in column 1:
    /// what the scanner would do on reading that brace, short of starting
    /// the entry (stray bytes end, an open entry is cut off).
    pub fn end_before_entry(&mut self, sink: &mut dyn FnMut(ScanEvent<'_>)) {
        self.flush_garbage(sink);
        if self.state == State::InEntry {
            self.cut_off(sink, "a new entry starting in column 1");
        }
    }

    /// A `]` closed the array at some point (entries after it continue a
    /// closed session).
    pub fn seen_close(&self) -> bool {
        self.seen_close
    }

    pub fn framing(&self) -> Framing {
        self.framing
    }

    /// Bytes consumed so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Where the input stands now (after the last byte pushed).
    pub fn position(&self) -> Position {
        Position {
            line: self.line,
            column: self.offset - self.line_start + 1,
            offset: self.offset,
        }
    }

    /// Scans `chunk`, calling `sink` for every complete entry and problem.
    pub fn push(&mut self, mut chunk: &[u8], sink: &mut dyn FnMut(ScanEvent<'_>)) {
        // A byte order mark is only one at the very start of the input.
        while self.offset == 0 && self.bom_matched < BOM.len() && !chunk.is_empty() {
            if chunk[0] == BOM[self.bom_matched] {
                self.bom_matched += 1;
                chunk = &chunk[1..];
                if self.bom_matched == BOM.len() {
                    self.framing.bom = true;
                    self.offset = 3;
                    self.line_start = 3;
                }
            } else {
                // Not a BOM after all: scan the bytes that looked like one.
                let partial = BOM[..self.bom_matched].to_vec();
                self.bom_matched = BOM.len();
                self.scan(&partial, sink);
            }
        }
        if self.offset == 0 && self.bom_matched < BOM.len() {
            return; // all of it was a possible BOM prefix
        }
        self.scan(chunk, sink);
    }

    fn scan(&mut self, chunk: &[u8], sink: &mut dyn FnMut(ScanEvent<'_>)) {
        let mut run_start = 0; // start of the entry bytes not yet copied
        let mut i = 0;
        while i < chunk.len() {
            let b = chunk[i];
            match self.state {
                State::TopLevel => {
                    match b {
                        b' ' | b'\t' | b'\r' | b'\n' => {
                            if let Some(g) = self.garbage.as_mut() {
                                g.len += 1;
                                if g.preview.len() < PREVIEW {
                                    g.preview.push(b);
                                }
                            }
                        }
                        b'{' => {
                            self.flush_garbage(sink);
                            self.start_entry();
                            run_start = i;
                        }
                        // Framing ends a run of stray bytes.
                        b'[' => {
                            self.flush_garbage(sink);
                            if !self.seen_significant {
                                self.framing.array = true;
                            }
                            self.framing.closed = false;
                        }
                        b']' => {
                            self.flush_garbage(sink);
                            self.framing.closed = true;
                            self.seen_close = true;
                        }
                        b',' => {
                            self.flush_garbage(sink);
                            self.framing.closed = false;
                        }
                        _ => self.add_garbage(b),
                    }
                    if !matches!(b, b' ' | b'\t' | b'\r' | b'\n') {
                        self.seen_significant = true;
                    }
                }
                State::InEntry => {
                    if self.in_string && !self.escaped {
                        // Fast path: most bytes of a trace are string
                        // contents with nothing to decide. They hold no
                        // line break (that would be a cut-off string).
                        let n = plain_string_bytes(&chunk[i..]);
                        if n > 0 {
                            self.offset += n as u64;
                            i += n;
                            continue;
                        }
                    } else if !self.in_string {
                        // Indentation and numbers: nothing to decide but
                        // line breaks, which `advance` counts.
                        let n = chunk[i..]
                            .iter()
                            .position(|&c| STRUCTURAL[c as usize])
                            .unwrap_or(chunk.len() - i);
                        if n > 0 {
                            self.offset += n as u64;
                            i += n;
                            continue;
                        }
                    }
                    if self.in_string {
                        if b == b'\n' {
                            // JSON strings cannot hold a line break, and a
                            // backslash does not make one part of a string
                            // either: the entry was cut off inside a
                            // string, so a `{` in column 1 is always where
                            // an entry starts.
                            self.entry.extend_from_slice(&chunk[run_start..i]);
                            self.cut_off(sink, "a line break inside a string");
                            self.advance(b);
                            i += 1;
                            continue;
                        } else if self.escaped {
                            self.escaped = false;
                        } else if b == b'\\' {
                            self.escaped = true;
                        } else if b == b'"' {
                            self.in_string = false;
                        } else if b < 0x20 {
                            // Go never writes these raw; hostile or foreign
                            // files do. Read them as their JSON escape.
                            self.entry.extend_from_slice(&chunk[run_start..i]);
                            self.entry
                                .extend_from_slice(format!("\\u{:04x}", b).as_bytes());
                            run_start = i + 1;
                            // After the escape, the buffer is 5 bytes ahead.
                            let in_file = (self.offset + 1 - self.entry_start.offset) as usize;
                            self.entry_shifts.push((self.entry.len(), in_file));
                            if !self.entry_reported_control {
                                self.entry_reported_control = true;
                                let at = self.position();
                                sink(ScanEvent::Problem(Diagnostic::new(
                                    ProblemKind::ControlCharacter,
                                    at,
                                    format!(
                                        "raw control character U+{:04X} inside a string; read as \\u{:04x}",
                                        b, b
                                    ),
                                )));
                            }
                        }
                    } else {
                        match b {
                            b'"' => self.in_string = true,
                            b'{' | b'[' => {
                                if b == b'{' && self.offset == self.line_start {
                                    // A `{` in the first column while an entry
                                    // is open: writers indent nested values,
                                    // so this is the next entry and the open
                                    // one was cut off.
                                    self.entry.extend_from_slice(&chunk[run_start..i]);
                                    self.cut_off(sink, "a new entry starting in column 1");
                                    self.start_entry();
                                    run_start = i;
                                } else {
                                    self.depth += 1;
                                }
                            }
                            b'}' | b']' => {
                                self.depth = self.depth.saturating_sub(1);
                                if self.depth == 0 {
                                    self.entry.extend_from_slice(&chunk[run_start..=i]);
                                    self.state = State::TopLevel;
                                    sink(ScanEvent::Entry(RawEntry {
                                        bytes: &self.entry,
                                        start: self.entry_start,
                                        shifts: &self.entry_shifts,
                                        after_close: self.seen_close,
                                    }));
                                }
                            }
                            _ => {}
                        }
                    }
                }
            }
            self.advance(b);
            i += 1;
        }
        if self.state == State::InEntry {
            self.entry.extend_from_slice(&chunk[run_start..]);
        }
    }

    #[inline(always)]
    fn advance(&mut self, b: u8) {
        self.offset += 1;
        if b == b'\n' {
            self.line += 1;
            self.line_start = self.offset;
        }
    }

    fn start_entry(&mut self) {
        self.state = State::InEntry;
        self.depth = 1;
        self.in_string = false;
        self.escaped = false;
        self.entry.clear();
        self.entry_start = self.position();
        self.entry_reported_control = false;
        self.entry_shifts.clear();
        self.framing.objects += 1;
        self.framing.closed = false;
    }

    fn cut_off(&mut self, sink: &mut dyn FnMut(ScanEvent<'_>), why: &str) {
        let at = self.position();
        sink(ScanEvent::Problem(Diagnostic::naming(
            ProblemKind::CutOffEntry,
            self.entry_start,
            &format!("entry is cut off ({why} at "),
            at,
            &format!("); its {} bytes were skipped", self.entry.len()),
        )));
        self.state = State::TopLevel;
        self.entry.clear();
    }

    fn add_garbage(&mut self, b: u8) {
        let at = self.position();
        let g = self.garbage.get_or_insert_with(|| Garbage {
            start: at,
            len: 0,
            preview: Vec::new(),
        });
        g.len += 1;
        if g.preview.len() < PREVIEW {
            g.preview.push(b);
        }
    }

    fn flush_garbage(&mut self, sink: &mut dyn FnMut(ScanEvent<'_>)) {
        if let Some(g) = self.garbage.take() {
            let more = if g.len as usize > g.preview.len() {
                "…"
            } else {
                ""
            };
            sink(ScanEvent::Problem(Diagnostic::new(
                ProblemKind::Garbage,
                g.start,
                format!(
                    "skipped {} byte{} that belong to no entry: {:?}{more}",
                    g.len,
                    if g.len == 1 { "" } else { "s" },
                    String::from_utf8_lossy(&g.preview).trim_end()
                ),
            )));
        }
    }

    /// Ends the input: reports an incomplete last entry and trailing bytes.
    pub fn finish(&mut self, sink: &mut dyn FnMut(ScanEvent<'_>)) {
        self.flush_garbage(sink);
        if self.state == State::InEntry {
            self.framing.incomplete_tail = true;
            sink(ScanEvent::Problem(Diagnostic::new(
                ProblemKind::IncompleteTail,
                self.entry_start,
                format!(
                    "last entry is incomplete ({} bytes, no closing brace): the session is still being written or its writer stopped; skipped",
                    self.entry.len()
                ),
            )));
            self.state = State::TopLevel;
            self.entry.clear();
        }
    }
}

/// Bytes outside strings that the scanner must look at: quotes, brackets
/// and line breaks (for positions and the column-1 rule).
const STRUCTURAL: [bool; 256] = {
    let mut t = [false; 256];
    t[b'"' as usize] = true;
    t[b'{' as usize] = true;
    t[b'}' as usize] = true;
    t[b'[' as usize] = true;
    t[b']' as usize] = true;
    t[b'\n' as usize] = true;
    t
};

/// How many bytes at the start of `rest` are plain string contents: up to
/// the first quote, backslash or control character.
#[inline]
fn plain_string_bytes(rest: &[u8]) -> usize {
    crate::model::scan::first_special(rest).unwrap_or(rest.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Scans `input` pushed in chunks of `chunk` bytes; returns the entries'
    /// text with their line:column, the problems, and the framing.
    fn scan(input: &[u8], chunk: usize) -> (Vec<(String, String)>, Vec<Diagnostic>, Framing) {
        let mut s = Scanner::new();
        let mut entries = Vec::new();
        let mut problems = Vec::new();
        let mut sink = |ev: ScanEvent<'_>| match ev {
            ScanEvent::Entry(e) => entries.push((
                String::from_utf8_lossy(e.bytes).into_owned(),
                e.start.to_string(),
            )),
            ScanEvent::Problem(d) => problems.push(d),
        };
        for part in input.chunks(chunk.max(1)) {
            s.push(part, &mut sink);
        }
        s.finish(&mut sink);
        (entries, problems, s.framing())
    }

    fn texts(input: &str) -> Vec<String> {
        scan(input.as_bytes(), 1 << 20)
            .0
            .into_iter()
            .map(|e| e.0)
            .collect()
    }

    const GO_LIVE: &str = "[\n{\n  \"a\": 1,\n  \"s\": {\n    \"x\": [\n      {}\n    ]\n  }\n}\n,\n{\n  \"a\": 2\n}\n";

    #[test]
    fn reads_unterminated_go_array() {
        let (e, p, f) = scan(GO_LIVE.as_bytes(), 1 << 20);
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].1, "2:1");
        assert_eq!(e[1].1, "11:1");
        assert!(p.is_empty());
        assert!(f.array && !f.closed && !f.incomplete_tail);
    }

    #[test]
    fn same_entries_whatever_the_chunk_size() {
        let whole = scan(GO_LIVE.as_bytes(), 1 << 20);
        for n in 1..GO_LIVE.len() {
            let parts = scan(GO_LIVE.as_bytes(), n);
            assert_eq!(parts.0, whole.0, "chunk size {n}");
        }
    }

    #[test]
    fn reads_closed_array_and_compact_and_lines() {
        let closed = format!("{GO_LIVE}\n]");
        let (e, _, f) = scan(closed.as_bytes(), 7);
        assert_eq!(e.len(), 2);
        assert!(f.closed);
        assert_eq!(
            texts(r#"[{"a":1},{"b":{"c":2}}]"#),
            vec![r#"{"a":1}"#, r#"{"b":{"c":2}}"#]
        );
        assert_eq!(
            texts("{\"a\":1}\n{\"a\":2}\r\n{\"a\":3}"),
            vec![r#"{"a":1}"#, r#"{"a":2}"#, r#"{"a":3}"#]
        );
        assert_eq!(texts("{\"only\": true}"), vec!["{\"only\": true}"]);
    }

    #[test]
    fn empty_and_bracket_alone_have_no_entries_and_no_problems() {
        for input in ["", "[", "[\n", "[]", "\n\n", "\u{feff}", "\u{feff}[\n"] {
            let (e, p, _) = scan(input.as_bytes(), 1);
            assert!(e.is_empty() && p.is_empty(), "{input:?}");
        }
    }

    #[test]
    fn skips_byte_order_mark_and_keeps_columns_after_it() {
        let (e, p, f) = scan("\u{feff}[{\"a\":1}]".as_bytes(), 1);
        // Columns count from after the mark, as editors show them.
        assert_eq!(e, vec![(r#"{"a":1}"#.to_string(), "1:2".to_string())]);
        assert!(p.is_empty() && f.bom);
    }

    #[test]
    fn torn_last_entry_is_reported_as_incomplete_tail() {
        let input = "[\n{\n  \"a\": 1\n}\n,\n{\n  \"a\": \"hal";
        let (e, p, f) = scan(input.as_bytes(), 3);
        assert_eq!(e.len(), 1);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].kind, ProblemKind::IncompleteTail);
        assert_eq!(p[0].position.to_string(), "6:1");
        assert!(f.incomplete_tail);
    }

    #[test]
    fn reads_entries_continued_after_closing_bracket() {
        let input = "[\n{\n  \"a\": 1\n}\n\n],\n{\n  \"a\": 2\n}\n";
        let mut s = Scanner::new();
        let mut after = Vec::new();
        s.push(input.as_bytes(), &mut |ev| {
            if let ScanEvent::Entry(e) = ev {
                after.push(e.after_close);
            }
        });
        assert_eq!(after, vec![false, true]);
        assert!(!s.framing().closed);
    }

    #[test]
    fn entry_cut_off_mid_file_costs_only_that_entry() {
        // Torn inside a string, then the writer restarted.
        let input = "[\n{\n  \"a\": \"to\n,\n{\n  \"a\": 2\n}\n";
        let (e, p, _) = scan(input.as_bytes(), 1 << 20);
        assert_eq!(
            e.iter().map(|e| e.0.as_str()).collect::<Vec<_>>(),
            vec!["{\n  \"a\": 2\n}"]
        );
        assert_eq!(p.len(), 1, "{p:?}"); // the comma after it is framing
        assert_eq!(p[0].kind, ProblemKind::CutOffEntry);
        // Torn outside a string: the next entry starts in column 1.
        let input = "[\n{\n  \"a\": {\n    \"b\": 1,\n,\n{\n  \"a\": 2\n}\n";
        let (e, p, _) = scan(input.as_bytes(), 1 << 20);
        assert_eq!(e.len(), 1);
        assert_eq!(p[0].kind, ProblemKind::CutOffEntry);
        assert_eq!(p[0].position.to_string(), "2:1");
    }

    #[test]
    fn reports_garbage_between_entries_with_position() {
        let (e, p, _) = scan(b"[{\"a\":1}, oops, {\"a\":2}]", 5);
        assert_eq!(e.len(), 2);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].kind, ProblemKind::Garbage);
        assert_eq!(p[0].position.to_string(), "1:11");
        assert!(p[0].message.contains("oops"), "{}", p[0].message);
    }

    #[test]
    fn escapes_raw_control_characters_in_strings() {
        let (e, p, _) = scan(b"{\"a\":\"x\x1by\"}", 1);
        assert_eq!(e[0].0, r#"{"a":"x\u001by"}"#);
        assert_eq!(p[0].kind, ProblemKind::ControlCharacter);
    }

    #[test]
    fn braces_inside_strings_do_not_count() {
        assert_eq!(
            texts(r#"{"a":"}{\"]"}{"b":1}"#),
            vec![r#"{"a":"}{\"]"}"#, r#"{"b":1}"#]
        );
    }

    #[test]
    fn deep_nesting_does_not_recurse() {
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(200_000), "]".repeat(200_000));
        assert_eq!(texts(&deep).len(), 1);
    }
}
