//! The parser's fast path: splits JSON objects into their keys and raw
//! values without building anything, skipping string contents with memchr.
//!
//! It is at least as strict as serde_json: whatever it accepts, serde_json
//! accepts too and splits into the same pairs. It gives up (returns `None`)
//! on anything out of the ordinary (an escaped key, a `\u` surrogate,
//! nesting deeper than [`CHECKED_DEPTH`], any syntax error) and the caller then
//! takes the serde_json path, which knows how to report it. So the fast
//! path changes how quickly an entry is read, never what is read; a test
//! compares both paths on every fixture.

use crate::model::past_string;
use crate::model::scan::{has_quote_or_backslash, spaces, string_stop};

/// A key (as written, no escapes) and its value's JSON text.
pub type Pair<'a> = (&'a str, &'a str);

/// Deeper than this below the objects the walk splits (see
/// [`SPLIT_LEVELS`]), the fast path leaves the value to serde_json;
/// [`CHECKED_DEPTH`] bounds the entry as a whole.
pub const MAX_DEPTH: u32 = 64;

/// Objects nested this many levels below the entry are split too, as the
/// checking walk passes them (`state`, its `data` and `meta`, the result's
/// `output_state` and its `data`…), so nothing needs to walk them again.
pub const SPLIT_LEVELS: u32 = 3;

/// No object in an [`Outline`] nests deeper than this (itself level 1).
pub const CHECKED_DEPTH: u32 = SPLIT_LEVELS + MAX_DEPTH + 2;

/// The objects a checking walk split: an entry's pairs, and those of the
/// objects nested in it up to [`SPLIT_LEVELS`] below (only objects that are
/// values of object keys; not those in arrays). Everything in it was
/// checked, and nests no deeper than [`CHECKED_DEPTH`].
///
/// One outline serves entry after entry ([`Outline::clear`]), so a block of
/// entries is split without allocating for each.
#[derive(Debug, Default)]
pub struct Outline<'a> {
    /// Each split object's pairs, one object after another.
    pairs: Vec<Pair<'a>>,
    /// Each split object's text and the end of its pairs; the entry last.
    objects: Vec<(&'a str, usize)>,
    /// The pairs of objects still being walked, innermost last.
    open: Vec<Pair<'a>>,
}

/// An outline of nothing (for payloads no walk split).
pub static NO_OUTLINE: Outline<'static> = Outline {
    pairs: Vec::new(),
    objects: Vec::new(),
    open: Vec::new(),
};

impl<'a> Outline<'a> {
    /// An outline with room for an entry of the usual size, so that one
    /// used for a single small block does not grow step by step.
    pub fn with_room() -> Self {
        Outline {
            pairs: Vec::with_capacity(64),
            objects: Vec::with_capacity(8),
            open: Vec::with_capacity(32),
        }
    }

    pub fn clear(&mut self) {
        self.pairs.clear();
        self.objects.clear();
        self.open.clear();
    }

    /// The pairs of the object that is exactly `object` (the same bytes
    /// of the same text), when the walk split it.
    pub fn pairs(&self, object: &str) -> Option<&[Pair<'a>]> {
        let at = self.objects.iter().position(|(text, _)| {
            std::ptr::eq(text.as_ptr(), object.as_ptr()) && text.len() == object.len()
        })?;
        Some(self.range(at))
    }

    /// The outermost object's pairs (the entry's), empty before a walk.
    pub fn top(&self) -> &[Pair<'a>] {
        match self.objects.len() {
            0 => &[],
            n => self.range(n - 1),
        }
    }

    /// The pairs of `object`, a valid JSON object: as the walk split it,
    /// else split now ([`object_trusted`]); `None` when it is not an
    /// object the fast path splits.
    pub fn pairs_or_split(&self, object: &'a str) -> Option<std::borrow::Cow<'_, [Pair<'a>]>> {
        match self.pairs(object) {
            Some(pairs) => Some(std::borrow::Cow::Borrowed(pairs)),
            None => object_trusted(object).map(std::borrow::Cow::Owned),
        }
    }

    fn range(&self, at: usize) -> &[Pair<'a>] {
        let start = at.checked_sub(1).map_or(0, |before| self.objects[before].1);
        &self.pairs[start..self.objects[at].1]
    }
}

/// Splits the JSON object that is all of `text` (white space around it
/// allowed) into `outline`, validating every value. `None` when the text is
/// not such an object, or is one the fast path leaves to serde_json.
pub fn object<'a>(text: &'a str, outline: &mut Outline<'a>) -> Option<()> {
    outline.clear();
    let mut c = Cursor::new(text, false);
    c.ws();
    c.split(outline, SPLIT_LEVELS)?;
    c.ws();
    (c.i == c.b.len()).then_some(())
}

/// An entry found by [`entry_at`] (its pairs are in the outline).
pub struct Found {
    /// Just past its closing brace.
    pub end: usize,
    /// Line breaks inside it, and where the last one is.
    pub newlines: u64,
    pub last_newline: usize,
}

/// The object that starts at byte `i` of `text`, validated and split into
/// `outline` as [`object`] does, as the scanner would cut it: `None` also
/// when a `{` stands in column 1 inside it (the scanner would cut the
/// entry off there).
pub fn entry_at<'a>(text: &'a str, i: usize, outline: &mut Outline<'a>) -> Option<Found> {
    outline.clear();
    let mut c = Cursor::new(text, false);
    c.i = i;
    c.split(outline, SPLIT_LEVELS)?;
    if c.column_one_brace {
        return None;
    }
    Some(Found {
        end: c.i,
        newlines: c.newlines,
        last_newline: c.last_newline,
    })
}

/// The pairs of an object already known to be valid JSON (a value the
/// validating pass has been over): values are skipped without checking.
pub fn object_trusted(text: &str) -> Option<Vec<Pair<'_>>> {
    let mut c = Cursor::new(text, true);
    c.object()
}

/// The value of `key` among an object's pairs: `Some(None)` when the key
/// is absent, `None` when it is named twice (serde's derive rejects that,
/// so the caller's slow path must decide).
pub fn field_in<'a>(pairs: &[Pair<'a>], key: &str) -> Option<Option<&'a str>> {
    let mut found = None;
    for &(k, v) in pairs {
        if k == key && found.replace(v).is_some() {
            return None;
        }
    }
    Some(found)
}

/// The contents of a JSON string literal with no escapes in it, or `None`
/// (not a string, or one that needs decoding).
pub fn plain_string(raw: &str) -> Option<&str> {
    let inner = raw.strip_prefix('"')?.strip_suffix('"')?;
    let escaped = has_quote_or_backslash(inner.as_bytes());
    (!escaped).then_some(inner)
}

/// The code unit of the `\uXXXX` escape whose backslash is at `i`: four
/// hex digits (no sign, as JSON has it).
pub fn unicode_escape(bytes: &[u8], i: usize) -> Option<u16> {
    let hex = bytes.get(i + 2..i + 6)?;
    hex.iter().try_fold(0u16, |unit, &d| {
        Some(unit << 4 | char::from(d).to_digit(16)? as u16)
    })
}

/// The number of items of a JSON array already known to be valid; `None`
/// when `raw` is not an array.
pub fn array_len_trusted(raw: &str) -> Option<usize> {
    let mut c = Cursor::new(raw, true);
    c.ws();
    if c.peek()? != b'[' {
        return None;
    }
    c.i += 1;
    c.ws();
    if c.peek()? == b']' {
        return Some(0);
    }
    let mut items = 0;
    loop {
        c.ws();
        c.skip_trusted();
        items += 1;
        c.ws();
        match c.peek()? {
            b',' => c.i += 1,
            b']' => return Some(items),
            _ => return None,
        }
    }
}

/// Whether valid JSON nests deeper than `limit` (the value itself is
/// level 1).
pub fn depth_exceeds(raw: &str, limit: u32) -> bool {
    let b = raw.as_bytes();
    // Fewer openers in all (strings included) than the limit: no need to
    // walk. One vectorized pass, which stops once there are more.
    if memchr::memchr2_iter(b'{', b'[', b)
        .nth(limit as usize)
        .is_none()
    {
        return false;
    }
    let mut depth = 0u32;
    let mut i = 0;
    while let Some(n) = memchr::memchr3(b'"', b'{', b'[', &b[i..]).map(|n| n + i) {
        // Closers between here and what was found.
        let closers = b[i..n].iter().filter(|&&c| c == b'}' || c == b']').count();
        depth = depth.saturating_sub(closers as u32);
        if b[n] == b'"' {
            i = past_string(b, n + 1);
        } else {
            depth += 1;
            if depth > limit {
                return true;
            }
            i = n + 1;
        }
    }
    false
}

struct Cursor<'a> {
    text: &'a str,
    b: &'a [u8],
    i: usize,
    trusted: bool,
    /// Line breaks passed (all between tokens: strings hold none).
    newlines: u64,
    last_newline: usize,
    /// A `{` right after a line break was passed.
    column_one_brace: bool,
}

impl<'a> Cursor<'a> {
    fn new(text: &'a str, trusted: bool) -> Self {
        Cursor {
            text,
            b: text.as_bytes(),
            i: 0,
            trusted,
            newlines: 0,
            last_newline: 0,
            column_one_brace: false,
        }
    }

    /// Past white space. Pretty-printed JSON is mostly a line break and
    /// its indent: the spaces are counted eight at a time, without a
    /// branch per space (and so without mispredicting where the run ends).
    #[inline(always)]
    fn ws(&mut self) {
        while let Some(&c) = self.b.get(self.i) {
            // Most calls find none: one comparison says so.
            if c > b' ' {
                return;
            }
            if c == b' ' {
                self.i = spaces(self.b, self.i + 1);
            } else if c == b'\n' {
                self.newlines += 1;
                self.last_newline = self.i;
                if self.b.get(self.i + 1) == Some(&b'{') {
                    self.column_one_brace = true;
                }
                self.i = spaces(self.b, self.i + 1);
            } else if c == b'\r' || c == b'\t' {
                self.i += 1;
            } else {
                return;
            }
        }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    /// Past the colon after a key, and white space around it: `": "`, as
    /// pretty printers write it, in one step.
    #[inline]
    fn colon(&mut self) -> Option<()> {
        if self.b.get(self.i..self.i + 2) == Some(b": ") {
            self.i += 2;
            return Some(());
        }
        self.eat(b':')
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        self.ws();
        (self.peek()? == byte).then(|| self.i += 1)
    }

    /// An object's pairs; the cursor is left after its `}`.
    fn object(&mut self) -> Option<Vec<Pair<'a>>> {
        let mut pairs = Vec::with_capacity(12);
        self.object_each(|key, value| {
            pairs.push((key, value));
            Some(())
        })?;
        Some(pairs)
    }

    /// Hands each of an object's pairs to `visit`, which may give up
    /// (`None`); the cursor is left after its `}`.
    #[inline]
    fn object_each(&mut self, mut visit: impl FnMut(&'a str, &'a str) -> Option<()>) -> Option<()> {
        self.each_pair(|c, key| {
            let start = c.i;
            c.value()?;
            visit(key, &c.text[start..c.i])
        })
    }

    /// Walks an object: `pair` is given each key with the cursor at its
    /// value, and must leave the cursor after the value. The cursor is left
    /// after the object's `}`.
    #[inline]
    fn each_pair(&mut self, mut pair: impl FnMut(&mut Self, &'a str) -> Option<()>) -> Option<()> {
        self.eat(b'{')?;
        self.ws();
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(());
        }
        loop {
            self.ws();
            let key = self.key()?;
            self.colon()?;
            self.ws();
            pair(self, key)?;
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// Checks the object at the cursor (white space before it allowed)
    /// and puts its pairs in `outline`, and those of the objects in it
    /// `levels` deep; the cursor is left after its `}`.
    fn split(&mut self, outline: &mut Outline<'a>, levels: u32) -> Option<()> {
        self.ws();
        let start = self.i;
        let mark = outline.open.len();
        self.each_pair(|c, key| {
            let value = c.i;
            match c.peek() {
                Some(b'{') if levels > 0 => c.split(outline, levels - 1)?,
                // Most values are strings: checked here, without the
                // set-up of a walk through containers.
                Some(b'"') => c.string()?,
                _ => c.value()?,
            }
            outline.open.push((key, &c.text[value..c.i]));
            Some(())
        })?;
        outline.pairs.extend_from_slice(&outline.open[mark..]);
        outline.open.truncate(mark);
        outline
            .objects
            .push((&self.text[start..self.i], outline.pairs.len()));
        Some(())
    }

    /// A key with no escapes in it, without its quotes.
    #[inline(always)]
    fn key(&mut self) -> Option<&'a str> {
        if self.peek()? != b'"' {
            return None;
        }
        let start = self.i + 1;
        let end = string_stop(self.b, start)?;
        if self.b[end] != b'"' {
            return None;
        }
        self.i = end + 1;
        Some(&self.text[start..end])
    }

    /// Past one value; checked unless the cursor is trusted.
    fn value(&mut self) -> Option<()> {
        if self.trusted {
            self.skip_trusted();
            return Some(());
        }
        // Open containers, innermost in the lowest bit: 1 for an object.
        let mut stack: u64 = 0;
        let mut depth = 0u32;
        loop {
            self.ws();
            match self.peek()? {
                b'{' | b'[' => {
                    let object = self.peek() == Some(b'{');
                    self.i += 1;
                    self.ws();
                    let close = if object { b'}' } else { b']' };
                    if self.peek()? == close {
                        self.i += 1;
                    } else {
                        depth += 1;
                        if depth > MAX_DEPTH {
                            return None;
                        }
                        stack = (stack << 1) | u64::from(object);
                        if object {
                            self.key()?;
                            self.colon()?;
                        }
                        continue;
                    }
                }
                b'"' => self.string()?,
                b't' => self.literal(b"true")?,
                b'f' => self.literal(b"false")?,
                b'n' => self.literal(b"null")?,
                b'-' | b'0'..=b'9' => self.number()?,
                _ => return None,
            }
            // After a value: close what ends here, or go on to the next.
            loop {
                if depth == 0 {
                    return Some(());
                }
                self.ws();
                let object = stack & 1 == 1;
                match self.peek()? {
                    b',' => {
                        self.i += 1;
                        if object {
                            self.ws();
                            self.key()?;
                            self.colon()?;
                        }
                        break;
                    }
                    b'}' if object => {}
                    b']' if !object => {}
                    _ => return None,
                }
                self.i += 1;
                stack >>= 1;
                depth -= 1;
            }
        }
    }

    /// Past one value of valid JSON: strings by memchr, containers by
    /// counting brackets.
    fn skip_trusted(&mut self) {
        let b = self.b;
        match b.get(self.i) {
            Some(b'"') => self.i = past_string(b, self.i + 1),
            Some(b'{' | b'[') => {
                let mut depth = 0u64;
                let mut i = self.i;
                while let Some(n) = memchr::memchr3(b'"', b'{', b'[', &b[i..]).map(|n| n + i) {
                    // Closers before the next string or opener.
                    for (k, &c) in b[i..n].iter().enumerate() {
                        if c == b'}' || c == b']' {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                self.i = i + k + 1;
                                return;
                            }
                        }
                    }
                    match b[n] {
                        b'"' => i = past_string(b, n + 1),
                        _ => {
                            depth += 1;
                            i = n + 1;
                        }
                    }
                }
                // The last closers, after the last string or opener.
                for (k, &c) in b[i..].iter().enumerate() {
                    if c == b'}' || c == b']' {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            self.i = i + k + 1;
                            return;
                        }
                    }
                }
                self.i = b.len();
            }
            _ => {
                // A number or literal: up to the next delimiter.
                let rest = &b[self.i..];
                let n = rest
                    .iter()
                    .position(|&c| matches!(c, b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t'))
                    .unwrap_or(rest.len());
                self.i += n;
            }
        }
    }

    /// A string, checked: no raw control characters, valid escapes, no
    /// surrogate escapes (those are left to the slow path).
    #[inline(always)]
    fn string(&mut self) -> Option<()> {
        let b = self.b;
        let mut i = self.i + 1;
        loop {
            i = string_stop(b, i)?;
            if b[i] == b'"' {
                self.i = i + 1;
                return Some(());
            }
            match *b.get(i + 1)? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
                b'u' => {
                    let unit = unicode_escape(b, i)?;
                    if (0xD800..0xE000).contains(&unit) {
                        return None;
                    }
                    i += 6;
                }
                _ => return None,
            }
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        if self.b.get(self.i..self.i + word.len())? != word {
            return None;
        }
        self.i += word.len();
        Some(())
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    fn number(&mut self) -> Option<()> {
        let b = self.b;
        let mut i = self.i;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        let digits = |i: usize| b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        match b.get(i)? {
            b'0' => i += 1,
            b'1'..=b'9' => i += digits(i),
            _ => return None,
        }
        if b.get(i) == Some(&b'.') {
            let n = digits(i + 1);
            if n == 0 {
                return None;
            }
            i += 1 + n;
        }
        if let Some(b'e' | b'E') = b.get(i) {
            i += 1;
            if let Some(b'+' | b'-') = b.get(i) {
                i += 1;
            }
            let n = digits(i);
            if n == 0 {
                return None;
            }
            i += n;
        }
        self.i = i;
        Some(())
    }
}

/// The characters in `s`: `s.chars().count()`, 32 bytes a step with AVX2
/// when the processor has it (checked at run time). Summaries count every
/// character of the long strings they cut, most of a state's bytes.
pub fn char_count(s: &str) -> usize {
    #[cfg(target_arch = "x86_64")]
    if s.len() >= 64 && std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor has AVX2 (just checked).
        return unsafe { char_count_avx2(s.as_bytes()) };
    }
    s.chars().count()
}

/// The bytes of `bytes` that start a character (all but UTF-8's
/// continuation bytes, 0x80 to 0xBF): in valid UTF-8, its characters.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
fn starts(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b as i8) >= -0x40).count()
}

/// [`char_count`] with AVX2: each 32 bytes compared at once, counted in
/// byte lanes that are summed before they can overflow (every 255 steps).
///
/// # Safety
///
/// The processor must have AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn char_count_avx2(bytes: &[u8]) -> usize {
    use std::arch::x86_64::{
        _mm256_cmpgt_epi8, _mm256_loadu_si256, _mm256_sad_epu8, _mm256_set1_epi8,
        _mm256_setzero_si256, _mm256_storeu_si256, _mm256_sub_epi8,
    };
    let len = bytes.len();
    let p = bytes.as_ptr();
    // Continuation bytes are -128 to -65 as signed bytes.
    let continuation_top = _mm256_set1_epi8(-0x41);
    let mut total = 0;
    let mut i = 0;
    while i + 32 <= len {
        let steps = ((len - i) / 32).min(255);
        let mut lanes = _mm256_setzero_si256();
        for _ in 0..steps {
            // SAFETY: bytes `i..i + 32` are within `bytes`.
            let v = unsafe { _mm256_loadu_si256(p.add(i).cast()) };
            // All ones (-1) where a character starts: subtracting adds one.
            lanes = _mm256_sub_epi8(lanes, _mm256_cmpgt_epi8(v, continuation_top));
            i += 32;
        }
        let mut sums = [0u64; 4];
        // SAFETY: `sums` is 32 writable bytes; the store is unaligned.
        unsafe {
            _mm256_storeu_si256(
                sums.as_mut_ptr().cast(),
                _mm256_sad_epu8(lanes, _mm256_setzero_si256()),
            )
        };
        total += sums.iter().sum::<u64>() as usize;
    }
    total + starts(&bytes[i..])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Long runs of one character: every byte lane of the AVX2 count
    /// reaches its limit before it is summed.
    #[test]
    fn long_runs_are_counted() {
        for piece in ["a", "é", "€", "𝄞"] {
            for n in [32 * 255, 32 * 255 + 1, 32 * 256, 32 * 256 * 3 + 7] {
                let s = piece.repeat(n);
                assert_eq!(char_count(&s), n, "{piece} × {n}");
            }
        }
    }

    proptest::proptest! {
        /// Characters are counted as `chars().count()` counts them, at
        /// every length (past the 255 steps a count is summed after) and
        /// mix of one- to four-byte characters.
        #[test]
        fn characters_are_counted_as_chars_counts_them(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec!["a", "é", "€", "𝄞", "\u{7f}", "\u{80}"]),
                0..300,
            ),
            repeat in proptest::sample::select(vec![1usize, 2, 31, 40]),
        ) {
            let s = pieces.concat().repeat(repeat);
            proptest::prop_assert_eq!(char_count(&s), s.chars().count());
            proptest::prop_assert_eq!(starts(s.as_bytes()), s.chars().count());
        }

        /// White space is passed as a byte loop passes it, with its line
        /// breaks counted and a brace in column 1 seen, however long the
        /// runs of spaces and wherever the text ends.
        #[test]
        fn white_space_is_passed_as_a_byte_loop_passes_it(
            bytes in proptest::collection::vec(
                proptest::sample::select(b"        \n\n\t\r{x".to_vec()),
                0..40,
            ),
            from in 0usize..40,
        ) {
            let text = std::str::from_utf8(&bytes).unwrap();
            let from = from.min(bytes.len());
            let mut c = Cursor::new(text, false);
            c.i = from;
            c.ws();
            let (mut i, mut newlines, mut last, mut brace) = (from, 0, 0, false);
            while let Some(&b) = bytes.get(i) {
                if !matches!(b, b' ' | b'\n' | b'\t' | b'\r') {
                    break;
                }
                if b == b'\n' {
                    newlines += 1;
                    last = i;
                    brace |= bytes.get(i + 1) == Some(&b'{');
                }
                i += 1;
            }
            proptest::prop_assert_eq!(
                (c.i, c.newlines, c.last_newline, c.column_one_brace),
                (i, newlines, last, brace)
            );
        }

    }

    /// The entry's pairs, as [`object`] splits them.
    fn split(text: &str) -> Option<Vec<Pair<'_>>> {
        let mut outline = Outline::default();
        object(text, &mut outline)?;
        Some(outline.top().to_vec())
    }

    /// Whatever the fast path accepts, serde_json accepts with the same
    /// pairs.
    fn agrees(text: &str) {
        let fast = split(text);
        let slow: Result<serde_json::Map<String, serde_json::Value>, _> =
            serde_json::from_str(text);
        if let Some(pairs) = fast {
            assert!(slow.is_ok(), "fast accepted what serde rejects: {text}");
            for (k, v) in pairs {
                let value: serde_json::Value = serde_json::from_str(v).unwrap();
                let _ = (k, value);
            }
        }
    }

    #[test]
    fn splits_an_entry_into_raw_pairs() {
        let pairs =
            split("{\n \"a\": 1,\"b\" : {\"c\": [1, {\"d\": \"x\\\"y\"}]}, \"e\": null }\n")
                .unwrap();
        assert_eq!(
            pairs,
            vec![
                ("a", "1"),
                ("b", "{\"c\": [1, {\"d\": \"x\\\"y\"}]}"),
                ("e", "null")
            ]
        );
        assert_eq!(split("{}").unwrap(), vec![]);
    }

    #[test]
    fn gives_up_on_anything_serde_would_reject_or_that_needs_decoding() {
        for bad in [
            "{\"a\":}",
            "{\"a\":1,}",
            "{\"a\":[1,]}",
            "{\"a\":01}",
            "{\"a\":1.}",
            "{\"a\":1e}",
            "{\"a\":-}",
            "{\"a\":tru}",
            "{\"a\":\"\\x\"}",
            "{\"a\":\"\\u12\"}",
            "{\"a\":\"\\ud800\"}",
            "{\"a\":\"tab\there\"}",
            "{\"a\" 1}",
            "{\"a\":1} x",
            "{\"a\\u0062\":1}",
            "{\"a\":{\"b\" 1}}",
            "{\"a\":[1 2]}",
            "{\"a\":{1:2}}",
            "[1]",
        ] {
            assert!(split(bad).is_none(), "{bad}");
            agrees(bad);
        }
        // The innermost `[]` is empty: it opens no level.
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(66), "]".repeat(66));
        assert!(split(&deep).is_none());
        let ok = format!("{{\"a\":{}{}}}", "[".repeat(65), "]".repeat(65));
        assert!(split(&ok).is_some());
    }

    #[test]
    fn accepts_every_kind_of_value() {
        let text = r#"{"s":"x \u00e9 \n \/","n":-0.5e+10,"z":0,"t":true,"f":false,"u":null,"o":{},"l":[],"m":[{"a":[]}]}"#;
        assert_eq!(split(text).unwrap().len(), 9);
        agrees(text);
    }

    #[test]
    fn trusted_split_finds_the_same_pairs() {
        let text =
            r#"{"data":{"x":"}]\"{[","y":[1,{"z":2}]},"meta":{"route":"w"},"n":12,"t":true}"#;
        assert_eq!(object_trusted(text), split(text));
    }

    #[test]
    fn the_outline_holds_nested_objects_as_trusted_splitting_finds_them() {
        let text = r#"{"state":{"data":{"u":{"n":{"x":1}},"l":[{"in":"array"}]},"meta":{}},"s":"{}","o":{}}"#;
        let mut outline = Outline::default();
        object(text, &mut outline).unwrap();
        assert_eq!(outline.top(), object_trusted(text).unwrap().as_slice());
        let state = outline.top()[0].1;
        assert_eq!(
            outline.pairs(state).unwrap(),
            object_trusted(state).unwrap().as_slice()
        );
        let data = outline.pairs(state).unwrap()[0].1;
        let u = outline.pairs(data).unwrap()[0].1;
        assert_eq!(outline.pairs(u).unwrap(), &[("n", r#"{"x":1}"#)]);
        assert_eq!(outline.pairs(outline.top()[2].1).unwrap(), &[]);
        // Four levels down, in an array, in a string, or a copy of the
        // text: not split.
        assert!(outline.pairs(r#"{"x":1}"#).is_none());
        let n = outline.pairs(u).unwrap()[0].1;
        assert!(outline.pairs(n).is_none());
        let in_array = text.find(r#"{"in""#).unwrap();
        assert!(outline.pairs(&text[in_array..in_array + 14]).is_none());
        let in_string = text.find(r#""{}""#).unwrap() + 1;
        assert!(outline.pairs(&text[in_string..in_string + 2]).is_none());
        // Reused for the next entry.
        object("{\"a\":{\"b\":2}}", &mut outline).unwrap();
        assert_eq!(outline.top().len(), 1);
        assert!(outline.pairs(state).is_none());
    }

    #[test]
    fn arrays_are_counted_and_depth_is_measured_outside_strings() {
        assert_eq!(array_len_trusted("[]"), Some(0));
        assert_eq!(
            array_len_trusted(r#"[1, "a,]", [2, 3], {"b": [4]}]"#),
            Some(4)
        );
        assert_eq!(array_len_trusted("{}"), None);
        assert!(!depth_exceeds(r#"{"a":"[[[[[[","b":[[1]]}"#, 3));
        assert!(depth_exceeds(r#"{"a":[[[1]]]}"#, 3));
        assert!(!depth_exceeds(r#"[[1],[2],[3],[4]]"#, 2));
    }

    /// The trusted walkers are only given checked text, but text that is
    /// not (every prefix of an entry, a lone backslash) must not panic.
    #[test]
    fn trusted_walkers_never_panic_on_unchecked_text() {
        let text = r#"{"a":"x\"y","b":[1,{"c":"\\"}],"d":tru"#;
        for end in 0..=text.len() {
            let cut = &text[..end];
            let _ = object_trusted(cut);
            let _ = array_len_trusted(cut);
            let _ = depth_exceeds(cut, 1);
            let _ = split(cut);
            let _ = entry_at(cut, 0, &mut Outline::default());
        }
        for odd in ["\"", "\"\\", "[\"\\", "{\"\\", "]]]", "}"] {
            let _ = (
                object_trusted(odd),
                array_len_trusted(odd),
                depth_exceeds(odd, 0),
            );
        }
    }

    #[test]
    fn plain_strings_are_borrowed_and_escaped_ones_are_not() {
        assert_eq!(plain_string("\"abc\""), Some("abc"));
        assert_eq!(plain_string("\"a\\nb\""), None);
        assert_eq!(plain_string("12"), None);
    }
}
