//! Text for terminals: data made harmless (control characters escaped
//! visibly), measured in columns, and cut without splitting a character.

use std::borrow::Cow;

use unicode_width::UnicodeWidthChar;

/// Whether `c` must never reach a terminal raw: C0 and C1 controls, DEL,
/// and the Unicode bidirectional controls that can reorder or hide text.
pub fn is_unsafe(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}')
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{061c}')
}

/// `--raw`: data reaches the terminal as it is. Set once, at startup, by
/// the configuration (every text renderer escapes through [`escape`]).
static RAW: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Turns escaping off (`--raw`) or on.
pub fn set_raw(raw: bool) {
    RAW.store(raw, std::sync::atomic::Ordering::Relaxed);
}

/// `s` with every unsafe character shown as an escape (`\n`, `\t`, `\x1b`,
/// `\u{202e}`), so data can neither move the cursor, retitle the window,
/// clear the screen nor reorder what is shown.
pub fn escape(s: &str) -> Cow<'_, str> {
    if printable_ascii(s) || RAW.load(std::sync::atomic::Ordering::Relaxed) || !has_unsafe(s) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !is_unsafe(c) {
            out.push(c);
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x100 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    Cow::Owned(out)
}

/// Whether `s` holds a character [`is_unsafe`] finds, looked for by its
/// bytes: C0 controls and DEL are bytes of their own, and every other
/// unsafe character starts with 0xC2 (C1 controls), 0xD8 (U+061C) or
/// 0xE2 (the bidirectional controls). Text with an ellipsis or a few
/// accents is passed at vector speed, not decoded character by character.
fn has_unsafe(s: &str) -> bool {
    let b = s.as_bytes();
    // A fold rather than `any`: no early exit, so it vectorizes.
    if b.iter()
        .fold(false, |any, &c| any | (c < 0x20) | (c == 0x7F))
    {
        return true;
    }
    // Each is a lead byte, so a character starts there.
    memchr::memchr3_iter(0xC2, 0xD8, 0xE2, b).any(|i| s[i..].chars().next().is_some_and(is_unsafe))
}

/// [`escape`], and the columns the result takes: text with nothing to
/// escape (nearly all of a trace) is looked at once, not once to escape
/// and again to measure.
pub fn escape_measured(s: &str) -> (Cow<'_, str>, usize) {
    if RAW.load(std::sync::atomic::Ordering::Relaxed) {
        return (Cow::Borrowed(s), width(s));
    }
    // One pass: measured as `columns` measures, each character outside
    // the runs of printable ASCII checked on the way. (Looking for unsafe
    // characters first, then measuring, passed over a summary with an
    // ellipsis in it four times.)
    match measure(s, is_unsafe) {
        Some(columns) => (Cow::Borrowed(s), columns),
        None => {
            let escaped = escape(s);
            let columns = width(&escaped);
            (escaped, columns)
        }
    }
}

/// [`escape_measured`] for a string already owned.
pub fn escaped_measured(s: String) -> (String, usize) {
    let (changed, columns) = match escape_measured(&s) {
        (Cow::Borrowed(_), columns) => (None, columns),
        (Cow::Owned(e), columns) => (Some(e), columns),
    };
    (changed.unwrap_or(s), columns)
}

/// [`escape`] for a string already owned: itself when nothing needs
/// escaping (no copy).
pub fn escaped(s: String) -> String {
    let changed = match escape(&s) {
        Cow::Borrowed(_) => None,
        Cow::Owned(e) => Some(e),
    };
    changed.unwrap_or(s)
}

/// Columns `s` takes on a terminal (after escaping).
pub fn width(s: &str) -> usize {
    if printable_ascii(s) {
        return s.len();
    }
    columns(s)
}

/// [`width`] of text that is not all printable ASCII: runs of printable
/// ASCII count a column a byte, other characters as Unicode says.
fn columns(s: &str) -> usize {
    measure(s, |_| false).unwrap_or(0)
}

/// [`columns`] of `s`, or `None` at the first character `stop` picks.
fn measure(s: &str, stop: impl Fn(char) -> bool) -> Option<usize> {
    let b = s.as_bytes();
    let mut n = 0;
    let mut i = 0;
    while i < b.len() {
        let run = printable_run(&b[i..]);
        n += run;
        i += run;
        // A character starts after ASCII.
        if let Some(c) = s.get(i..).and_then(|rest| rest.chars().next()) {
            if stop(c) {
                return None;
            }
            n += c.width().unwrap_or(0);
            i += c.len_utf8();
        }
    }
    Some(n)
}

/// Whether `s` is all printable ASCII (one column a byte, nothing to
/// escape): most of what a trace holds, checked in one vectorized pass.
fn printable_ascii(s: &str) -> bool {
    printable_ascii_bytes(s.as_bytes())
}

/// How many bytes from the start of `bytes` are printable ASCII: 16 at a
/// time while they all are, then one by one.
fn printable_run(bytes: &[u8]) -> usize {
    let whole = bytes
        .chunks_exact(16)
        .take_while(|chunk| printable_ascii_bytes(chunk))
        .count()
        * 16;
    whole
        + bytes[whole..]
            .iter()
            .position(|c| !(b' '..=b'~').contains(c))
            .unwrap_or(bytes.len() - whole)
}

/// [`printable_ascii`] on bytes.
fn printable_ascii_bytes(bytes: &[u8]) -> bool {
    // A fold rather than `all`: no early exit, so it vectorizes.
    bytes
        .iter()
        .fold(true, |ok, &b| ok & (b' '..=b'~').contains(&b))
}

/// `s` cut to at most `max` columns, ending in `…` when cut. Never splits a
/// character, and keeps combining marks with their base.
pub fn truncate(s: &str, max: usize) -> Cow<'_, str> {
    // When the first `max` bytes are printable ASCII they take `max`
    // columns, so the text fits only if nothing after them takes one, and
    // is cut at a byte: the rest (often long: state summaries, errors) is
    // not measured. Any text all ASCII that does not fit is such a text.
    let ascii_head = max > 0 && s.len() > max && printable_ascii_bytes(&s.as_bytes()[..max]);
    let fits = if ascii_head {
        // Byte `max` follows ASCII bytes: a character starts there.
        s[max..].chars().all(|c| c.width().unwrap_or(0) == 0)
    } else {
        width(s) <= max
    };
    if fits {
        return Cow::Borrowed(s);
    }
    cut(s, max).0
}

/// [`truncate`] of `s`, known to take `columns` (its [`width`]), and the
/// columns the result takes: neither is measured again.
pub fn truncate_measured(s: &str, max: usize, columns: usize) -> (Cow<'_, str>, usize) {
    if columns <= max {
        return (Cow::Borrowed(s), columns);
    }
    cut(s, max)
}

/// `s`, which takes more than `max` columns, cut to `max - 1` and `…`:
/// its longest start that takes at most `max - 1` columns (runs of
/// printable ASCII a column a byte, other characters as Unicode says);
/// and the columns that takes.
fn cut(s: &str, max: usize) -> (Cow<'_, str>, usize) {
    if max == 0 {
        return (Cow::Borrowed(""), 0);
    }
    let (end, used) = start_within(s, max - 1);
    let mut out = String::with_capacity(end + 3);
    out.push_str(&s[..end]);
    out.push('…');
    (Cow::Owned(out), used + 1)
}

/// What of `s` a cell at most `max` columns wide can show: all of it when
/// it takes no more than `max` columns (`columns`, its [`width`]), else
/// the start [`truncate_measured`] keeps when cutting to `max`. Kept in
/// place of `s` with its `columns`, it is cut to any width up to `max`
/// exactly as `s` would be.
pub fn showable(s: &str, max: usize, columns: usize) -> &str {
    if columns <= max || max == 0 {
        return s;
    }
    &s[..start_within(s, max - 1).0]
}

/// Where the longest start of `s` that takes at most `room` columns ends
/// (with the combining marks that follow it), and the columns it takes.
fn start_within(s: &str, room: usize) -> (usize, usize) {
    let b = s.as_bytes();
    let mut used = 0;
    let mut end = 0;
    while end < b.len() {
        let run = printable_run(&b[end..(end + room - used).min(b.len())]);
        used += run;
        end += run;
        // A character starts after ASCII: the next one, if it fits.
        let Some(c) = s.get(end..).and_then(|rest| rest.chars().next()) else {
            break;
        };
        let w = c.width().unwrap_or(0);
        if used + w > room {
            break;
        }
        used += w;
        end += c.len_utf8();
    }
    (end, used)
}

/// An event id for a narrow column: `req-…` ids are short already; a UUID
/// is known by its first 8 digits.
pub fn short_id(id: &str) -> Cow<'_, str> {
    let is_uuid = id.len() == 36 && id.bytes().all(|c| c.is_ascii_hexdigit() || c == b'-');
    if is_uuid {
        let mut short = String::with_capacity(11);
        short.push_str(&id[..8]);
        short.push('…');
        Cow::Owned(short)
    } else {
        Cow::Borrowed(id)
    }
}

/// `s` without the color sequences agentcli writes, for measuring.
pub fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_escape = false;
    for c in s.chars() {
        match (in_escape, c) {
            (false, '\u{1b}') => in_escape = true,
            (true, 'm') => in_escape = false,
            (true, _) => {}
            (false, c) => out.push(c),
        }
    }
    out
}

/// Writes facts joined with ` · `, each line indented by two spaces and
/// kept within `limit` columns as `wrap_facts` cuts them.
pub fn write_facts(
    facts: &[String],
    limit: usize,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    for line in wrap_facts(facts, limit) {
        writeln!(out, "  {line}")?;
    }
    Ok(())
}

/// Joins facts with ` · `, starting a new line before one that would pass
/// `limit` columns (after the two-space indent).
fn wrap_facts(facts: &[String], limit: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for fact in facts {
        let visible = width(&strip_ansi(fact));
        if !line.is_empty() && width(&strip_ansi(&line)) + 3 + visible + 2 > limit {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push_str(" · ");
        }
        line.push_str(fact);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Milliseconds that may be missing: `-`, else as [`human_duration`].
pub fn human_ms(v: Option<f64>) -> String {
    v.map_or("-".to_string(), |v| human_duration(v.round() as i64))
}

/// `1 entry`, `2 entries`.
pub fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A duration for people: `523ms`, `12.345s`, `2m03.5s`, `1h02m03s`.
pub fn human_duration(ms: i64) -> String {
    let sign = if ms < 0 { "-" } else { "" };
    let ms = ms.unsigned_abs();
    if ms < 1_000 {
        format!("{sign}{ms}ms")
    } else if ms < 60_000 {
        format!("{sign}{}.{:03}s", ms / 1000, ms % 1000)
    } else if ms < 3_600_000 {
        format!(
            "{sign}{}m{:02}.{}s",
            ms / 60_000,
            (ms / 1000) % 60,
            (ms % 1000) / 100
        )
    } else {
        format!(
            "{sign}{}h{:02}m{:02}s",
            ms / 3_600_000,
            (ms / 60_000) % 60,
            (ms / 1000) % 60
        )
    }
}

/// A byte count for people: `812 B`, `24.1 KiB`, `3.2 MiB`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod unit_tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human_duration(523), "523ms");
        assert_eq!(human_duration(12_345), "12.345s");
        assert_eq!(human_duration(123_456), "2m03.4s");
        assert_eq!(human_duration(3_723_000), "1h02m03s");
        assert_eq!(human_size(24_678), "24.1 KiB");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_sequences_and_bidi_overrides() {
        assert_eq!(escape("a\u{1b}[2Jb"), "a\\x1b[2Jb");
        assert_eq!(escape("\u{1b}]0;title\u{7}"), "\\x1b]0;title\\x07");
        assert_eq!(escape("x\u{9b}y"), "x\\x9by");
        assert_eq!(escape("evil\u{202e}txt"), "evil\\u{202e}txt");
        assert_eq!(escape("line\nnext\ttab"), "line\\nnext\\ttab");
        assert!(matches!(escape("naïve café 数据"), Cow::Borrowed(_)));
    }

    #[test]
    fn truncates_by_columns_without_splitting_characters() {
        assert_eq!(truncate("数据分析", 5), "数据…");
        assert_eq!(truncate("héllo wörld", 6), "héllo…");
        assert_eq!(truncate("short", 10), "short");
        assert_eq!(truncate("🚀🚀🚀", 4), "🚀…");
        assert_eq!(width("数据"), 4);
        // ASCII up to the cut, then only marks that take no column: fits.
        assert_eq!(truncate("abc\u{301}\u{200d}", 3), "abc\u{301}\u{200d}");
        assert_eq!(truncate("abcd\u{301}", 3), "ab…");
    }

    #[test]
    fn header_facts_wrap_at_the_width() {
        let facts: Vec<String> = ["aaaa", "bbbb", "cccc"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(wrap_facts(&facts, 100), vec!["aaaa · bbbb · cccc"]);
        assert_eq!(wrap_facts(&facts, 15), vec!["aaaa · bbbb", "cccc"]);
        assert_eq!(strip_ansi("\u{1b}[31mred\u{1b}[0m"), "red");
    }

    /// Columns counted character by character: the reference.
    fn by_chars(s: &str) -> usize {
        s.chars().map(|c| c.width().unwrap_or(0)).sum()
    }

    proptest::proptest! {
        /// Unsafe characters are found by their bytes as a character loop
        /// finds them, and text is measured as a character loop measures
        /// it, whatever it mixes: every unsafe character, its neighbours,
        /// others that share its first byte, wide ones and marks.
        #[test]
        fn bytes_find_and_measure_what_characters_do(
            chars in proptest::collection::vec(
                proptest::sample::select(vec![
                    'a', ' ', '~', '\u{0}', '\u{1f}', '\u{7f}', '\u{80}', '\u{9f}', '\u{a0}',
                    '\u{bf}', '\u{61b}', '\u{61c}', '\u{61d}', '\u{200d}', '\u{200e}',
                    '\u{200f}', '\u{2010}', '\u{2029}', '\u{202a}', '\u{202e}', '\u{202f}',
                    '\u{2065}', '\u{2066}', '\u{2069}', '\u{206a}', '…', 'é', '数', '🚀',
                    '\u{301}',
                ]),
                0..40,
            ),
        ) {
            let s: String = chars.into_iter().collect();
            proptest::prop_assert_eq!(has_unsafe(&s), s.chars().any(is_unsafe));
            proptest::prop_assert_eq!(width(&s), by_chars(&s));
            // Escaped and measured in one pass as in two.
            let escaped = escape(&s);
            let (one_pass, columns) = escape_measured(&s);
            proptest::prop_assert_eq!(&one_pass, &escaped);
            proptest::prop_assert_eq!(columns, by_chars(&escaped));
        }

        /// Cutting agrees with a character-by-character reference at any
        /// width, on text mixing ASCII, wide characters and marks that
        /// take no column.
        #[test]
        fn truncation_agrees_with_a_character_loop(
            chars in proptest::collection::vec(
                // Mostly ASCII, so that runs are long enough to be taken
                // 16 bytes at a time.
                proptest::sample::select(vec![
                    'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'b', ' ', '~', '数', '🚀',
                    '\u{301}', '\u{200d}', 'é', '\u{1}', '\t',
                ]),
                0..120,
            ),
            max in 0usize..130,
        ) {
            let s: String = chars.into_iter().collect();
            let want = if by_chars(&s) <= max {
                s.clone()
            } else if max == 0 {
                String::new()
            } else {
                // The longest run of whole characters from the start that
                // leaves a column for the ellipsis, measured prefix by prefix.
                let end = s
                    .char_indices()
                    .map(|(i, c)| i + c.len_utf8())
                    .take_while(|&end| by_chars(&s[..end]) < max)
                    .last()
                    .unwrap_or(0);
                format!("{}…", &s[..end])
            };
            proptest::prop_assert_eq!(truncate(&s, max).into_owned(), want);
        }

        /// What `showable` keeps of a text is cut to any width up to its
        /// limit exactly as the whole text is.
        #[test]
        fn the_showable_start_is_cut_as_the_whole_text_is(
            chars in proptest::collection::vec(
                proptest::sample::select(vec![
                    'a', 'a', 'a', 'a', 'a', 'a', 'b', ' ', '数', '🚀', '\u{301}', '\u{200d}', 'é',
                ]),
                0..120,
            ),
            limit in 0usize..60,
        ) {
            let s: String = chars.into_iter().collect();
            let columns = width(&s);
            let kept = showable(&s, limit, columns);
            for max in 0..=limit {
                proptest::prop_assert_eq!(
                    truncate_measured(kept, max, columns),
                    truncate_measured(&s, max, columns),
                    "limit {}, max {}", limit, max
                );
            }
        }
    }
}
