//! What the table shows of a state: a one-line summary (as upstream built
//! it, cut by characters instead of bytes) and, for `--verbose`, the full
//! payload.

use std::fmt::Write as _;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::input::{fast, Payloads};
use crate::model::{Entry, RawJson};

/// Strings longer than this are cut in summaries (their length is noted).
const STRING_CHARS: usize = 24;
/// Keys shown before `...`.
const KEYS_SHOWN: usize = 3;

#[derive(Deserialize)]
struct StateData {
    #[serde(default)]
    data: Option<Value>,
}

/// Nesting past which the fast summary leaves a state to serde_json
/// (whose limit, 128, gives the "too deeply nested" summary).
const DEEP: u32 = 100;

/// The entry's `state.data` merged with its result's `output_state.data`,
/// keys sorted, the first three as `key:value`, then `...`. `-` when the
/// entry carries no state.
/// The payloads are the entry's own ([`Payloads::of`]) or lent by the
/// reader.
pub fn summarize(entry: &Entry, payloads: Payloads<'_>) -> String {
    summarize_fast(entry, payloads).unwrap_or_else(|| summarize_slow(entry, payloads))
}

/// [`summarize_slow`]'s summary from the raw text: keys are found by the
/// reader's fast splitter and only the values shown are looked at, instead
/// of building every value of the state. `None` leaves the entry to the
/// slow path (no state, a key given twice or escaped, deep nesting…).
fn summarize_fast(entry: &Entry, payloads: Payloads<'_>) -> Option<String> {
    let sources = sources(payloads);
    if sources.iter().all(Option::is_none) {
        return None;
    }
    // Every pair, in the order a map would take them in, then sorted by
    // key and left with the last value of each: what a map merged from
    // them holds (a sorted vector costs less than a tree of a few keys).
    let mut merged: Vec<(&str, &str)> = Vec::with_capacity(16);
    for raw in sources.into_iter().flatten() {
        let pairs = payloads.pairs_within(raw, DEEP)?;
        let data = fast::field_in(&pairs, "data")?;
        match data {
            None | Some("null") => {}
            Some(object) if object.starts_with('{') => {
                merged.extend(payloads.pairs(object)?.iter().copied())
            }
            Some(other) => merged.push(("data", other)),
        }
    }
    // Stable: a key's values stay in the order they came.
    merged.sort_by(|a, b| a.0.cmp(b.0));
    merged.dedup_by(|later, kept| {
        let same = later.0 == kept.0;
        if same {
            kept.1 = later.1;
        }
        same
    });
    shown_keys(entry, merged, |raw, out| describe_raw(raw, out, &payloads))
}

// A state the reader split is never too deep for the fast summary.
const _: () = assert!(fast::CHECKED_DEPTH < DEEP);

/// The payloads a summary is made of: the entry's state, then its result's
/// output state.
fn sources(payloads: Payloads<'_>) -> [Option<&str>; 2] {
    [payloads.state, payloads.output_state]
}

/// `{key:value, …}` for the first keys of `merged` (in key order), then
/// the entry's unknown keys; `None` when a value cannot be described.
fn shown_keys<'a, V>(
    entry: &Entry,
    merged: impl IntoIterator<Item = (&'a str, V)>,
    mut describe: impl FnMut(V, &mut String) -> Option<()>,
) -> Option<String> {
    // Room for three cut strings and their keys.
    let mut out = String::with_capacity(160);
    out.push('{');
    for (i, (key, value)) in merged.into_iter().enumerate() {
        if i == KEYS_SHOWN {
            out.push_str(", ...");
            break;
        }
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(key);
        out.push(':');
        describe(value, &mut out)?;
    }
    out.push('}');
    if let Some(extra) = extra_summary(entry) {
        out.push(' ');
        out.push_str(&extra);
    }
    Some(out)
}

/// [`describe`] from a value's JSON text (one of `payloads`, or in them).
fn describe_raw<'a>(raw: &'a str, out: &mut String, payloads: &Payloads<'a>) -> Option<()> {
    match raw.as_bytes().first()? {
        b'"' => describe_json_string(raw, out)?,
        b'{' => {
            // A JSON object's keys as a map: one per distinct key.
            let mut keys: Vec<&str> = payloads.pairs(raw)?.iter().map(|p| p.0).collect();
            keys.sort_unstable();
            keys.dedup();
            describe_count(out, "{...}", keys.len(), "key");
        }
        b'[' => describe_count(out, "[...]", fast::array_len_trusted(raw)?, "item"),
        // serde_json writes exponents its own way (1E5 as 1e+5).
        b'-' | b'0'..=b'9' if raw.contains(['e', 'E']) => {
            let value: Value = serde_json::from_str(raw).ok()?;
            let _ = write!(out, "{value}");
        }
        // Other numbers as written (arbitrary precision), true, false,
        // null.
        _ => out.push_str(raw),
    }
    Some(())
}

fn describe_string(s: &str, out: &mut String) {
    out.push('"');
    // Where the character after the first STRING_CHARS starts, if any.
    match s.char_indices().nth(STRING_CHARS) {
        None => {
            out.push_str(s);
            out.push('"');
        }
        Some((cut, _)) => {
            out.push_str(&s[..cut]);
            out.push_str("…\" (");
            // The characters before the cut were counted on the way to it.
            let chars = STRING_CHARS + fast::char_count(&s[cut..]);
            out.push_str(itoa::Buffer::new().format(chars));
            out.push_str(" chars)");
        }
    }
}

/// [`describe_string`] of the JSON string `raw` (quotes and all), read
/// once: the first [`STRING_CHARS`] characters are decoded into `out` and
/// the rest only counted. The state's long strings are most of its bytes:
/// before, they were passed over to find they held no escape, then to
/// count their characters, and one that held an escape was first decoded
/// whole into a new string by serde_json. `None` where serde_json would
/// refuse the string (a lone surrogate).
fn describe_json_string(raw: &str, out: &mut String) -> Option<()> {
    let inner = raw.strip_prefix('"')?.strip_suffix('"')?;
    out.push('"');
    // Characters written to `out`, and in the whole string.
    let (mut shown, mut total) = (0, 0);
    let mut rest = inner;
    loop {
        let b = rest.as_bytes();
        // Plain text up to the next escape (a quote or a raw control
        // character is not JSON: left to serde_json, which refuses it).
        let stop = crate::model::scan::first_special(b).unwrap_or(b.len());
        let plain = &rest[..stop];
        // Where the characters written end.
        let mut cut = 0;
        if shown < STRING_CHARS {
            cut = plain.len();
            for (i, _) in plain.char_indices() {
                if shown == STRING_CHARS {
                    cut = i;
                    break;
                }
                shown += 1;
                total += 1;
            }
            out.push_str(&plain[..cut]);
        }
        total += fast::char_count(&plain[cut..]);
        if stop == b.len() {
            break;
        }
        if b[stop] != b'\\' {
            return None;
        }
        let (c, len) = json_escape(&b[stop..])?;
        if shown < STRING_CHARS {
            out.push(c);
            shown += 1;
        }
        total += 1;
        rest = rest.get(stop + len..)?;
    }
    if total > STRING_CHARS {
        out.push_str("…\" (");
        out.push_str(itoa::Buffer::new().format(total));
        out.push_str(" chars)");
    } else {
        out.push('"');
    }
    Some(())
}

/// The character the escape at the start of `b` stands for, and its
/// length, as serde_json reads it: a surrogate pair is one character, a
/// lone surrogate an error (`None`).
fn json_escape(b: &[u8]) -> Option<(char, usize)> {
    let code_unit = |at: usize| fast::unicode_escape(b, at).map(u32::from);
    let simple = match *b.get(1)? {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => {
            let unit = code_unit(0)?;
            return match unit {
                0xD800..=0xDBFF => {
                    if b.get(6..8)? != b"\\u" {
                        return None;
                    }
                    let low = code_unit(6)?;
                    if !(0xDC00..=0xDFFF).contains(&low) {
                        return None;
                    }
                    let c = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                    Some((char::from_u32(c)?, 12))
                }
                0xDC00..=0xDFFF => None,
                _ => Some((char::from_u32(unit)?, 6)),
            };
        }
        _ => return None,
    };
    Some((simple, 2))
}

fn describe_count(out: &mut String, shape: &str, n: usize, noun: &str) {
    out.push_str(shape);
    out.push_str(" (");
    out.push_str(itoa::Buffer::new().format(n));
    out.push(' ');
    out.push_str(noun);
    if n != 1 {
        out.push('s');
    }
    out.push(')');
}

/// The summary built from serde_json values: the reference the fast path
/// must match, and the path for anything unusual.
fn summarize_slow(entry: &Entry, payloads: Payloads<'_>) -> String {
    let sources = sources(payloads);
    if sources.iter().all(Option::is_none) {
        return match extra_summary(entry) {
            Some(extra) => extra,
            None => "-".to_string(),
        };
    }
    let mut merged = Map::new();
    for raw in sources.into_iter().flatten() {
        match serde_json::from_str::<StateData>(raw) {
            Ok(StateData {
                data: Some(Value::Object(map)),
            }) => merged.extend(map),
            Ok(StateData { data: Some(other) }) => {
                merged.insert("data".to_string(), other);
            }
            Ok(StateData { data: None }) => {}
            Err(e) if e.to_string().contains("recursion limit") => {
                return "(state too deeply nested to summarize; --verbose shows it)".to_string()
            }
            Err(e) if e.is_data() => {
                return "(state is not an object; --verbose shows it)".to_string()
            }
            Err(_) => return "(state could not be summarized; --verbose shows it)".to_string(),
        }
    }
    let shown = shown_keys(
        entry,
        merged.iter().map(|(k, v)| (k.as_str(), v)),
        |v, out| {
            describe(v, out);
            Some(())
        },
    );
    shown.unwrap_or_default()
}

/// Keys this version does not know, so they are seen: `+key:value …`.
fn extra_summary(entry: &Entry) -> Option<String> {
    if entry.extra.is_empty() {
        return None;
    }
    let mut out = String::new();
    for (i, (key, raw)) in entry.extra.iter().enumerate() {
        if i == KEYS_SHOWN {
            out.push_str(" ...");
            break;
        }
        if i > 0 {
            out.push(' ');
        }
        let _ = write!(out, "+{key}:");
        match serde_json::from_str::<Value>(raw.get()) {
            Ok(v) => describe(&v, &mut out),
            Err(_) => out.push_str("(too deep)"),
        }
    }
    Some(out)
}

fn describe(value: &Value, out: &mut String) {
    match value {
        Value::String(s) => describe_string(s, out),
        Value::Object(m) => describe_count(out, "{...}", m.len(), "key"),
        Value::Array(a) => describe_count(out, "[...]", a.len(), "item"),
        other => {
            let _ = write!(out, "{other}");
        }
    }
}

/// The full payloads of an entry for `--verbose`: labelled, pretty JSON.
pub fn details(entry: &Entry) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if let Some(s) = &entry.state {
        out.push(("state", s.pretty(0)));
    }
    if let Some(r) = &entry.result {
        let mut line = String::new();
        if let Some(d) = r.duration_ms {
            let _ = write!(line, "duration {d}ms");
        }
        if let Some(route) = r.output_route.as_deref().filter(|r| !r.is_empty()) {
            let _ = write!(
                line,
                "{}route → {route}",
                if line.is_empty() { "" } else { ", " }
            );
        }
        if let Some(e) = r.error.as_deref().filter(|e| !e.is_empty()) {
            let _ = write!(
                line,
                "{}error: {e}",
                if line.is_empty() { "" } else { ", " }
            );
        }
        if !line.is_empty() {
            out.push(("result", line));
        }
        if let Some(o) = &r.output_state {
            out.push(("output", o.pretty(0)));
        }
    }
    for (key, value) in &entry.extra {
        out.push(("extra", format!("{key}: {}", RawJson::pretty(value, 0))));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AgentResult;

    /// What the summary showed of a JSON string before it was read in
    /// one pass: serde_json's decoding, described.
    fn described_by_serde(raw: &str) -> Option<String> {
        let text = serde_json::from_str::<String>(raw).ok()?;
        let mut out = String::new();
        describe_string(&text, &mut out);
        Some(out)
    }

    fn described(raw: &str) -> Option<String> {
        let mut out = String::new();
        describe_json_string(raw, &mut out).map(|()| out)
    }

    proptest::proptest! {
        /// Any string, written by serde_json, is described as it was.
        #[test]
        fn strings_read_once_are_described_as_decoded(text in "\\PC{0,60}|[a\"\\\\\n\u{1}é😀]{0,40}") {
            let raw = serde_json::to_string(&text).unwrap();
            proptest::prop_assert_eq!(described(&raw), described_by_serde(&raw));
        }

        /// Escapes of every kind, surrogates paired or not, and bytes
        /// JSON does not allow: the same description, or the same refusal.
        #[test]
        fn escapes_are_read_as_serde_json_reads_them(
            pieces in proptest::collection::vec(
                "[ab é]{1,30}|\\\\[\"\\\\/bfnrtx]|\\\\u[0-9a-fA-F]{4}|\\\\u[dD][89abAB][0-9a-f]{2}|\\\\u[dD][c-fC-F][0-9a-f]{2}|\\\\u12|\"|\t",
                0..12,
            ),
        ) {
            let raw = format!("\"{}\"", pieces.concat());
            proptest::prop_assert_eq!(described(&raw), described_by_serde(&raw), "{}", raw);
        }
    }

    fn with_state(state: &str) -> Entry {
        Entry {
            state: Some(RawJson(state.into())),
            ..Entry::default()
        }
    }

    #[test]
    fn summary_merges_sorts_and_cuts_by_characters() {
        let mut e = with_state(
            r#"{"data":{"zeta":1,"message":"数据分析数据分析数据分析数据分析数据分析数据分析数据分析"},"meta":{}}"#,
        );
        e.result = Some(AgentResult {
            output_state: Some(RawJson(
                r#"{"data":{"answer":[1,2],"more":{"a":1}},"meta":{}}"#.into(),
            )),
            ..AgentResult::default()
        });
        assert_eq!(
            summarize(&e, Payloads::of(&e)),
            "{answer:[...] (2 items), message:\"数据分析数据分析数据分析数据分析数据分析数据分析…\" (28 chars), more:{...} (1 key), ...}"
        );
    }

    /// The fast summary is the slow one, on every entry of every fixture
    /// and on values chosen to differ if anything were rebuilt.
    #[test]
    fn fast_summary_is_the_serde_summary() {
        let mut checked = 0;
        for (path, bytes) in crate::input::fixture_files() {
            let mut c = crate::input::Collect::default();
            let _ =
                crate::input::read_all(&bytes[..], crate::input::ParseOptions::default(), &mut c);
            for e in &c.entries {
                if let Some(fast) = summarize_fast(e, Payloads::of(e)) {
                    assert_eq!(
                        fast,
                        summarize_slow(e, Payloads::of(e)),
                        "{}",
                        path.display()
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 100, "{checked}");
        for state in [
            r#"{"data":{"n":1E5,"m":-0.50,"z":0,"t":true,"f":false,"u":null},"meta":{}}"#,
            r#"{"data":{"a":-0,"b":1.0,"c":123456789012345678901234567890}}"#,
            r#"{"data":{"a":1.5e-3,"b":2E+10,"c":-1e0}}"#,
            r#"{"data":{"s":"a\u003cb\n","o":{"a":1,"a":2,"b":[]},"l":[[1,2],{"x":[3]},"]"]}}"#,
            r#"{"data":{"b":2,"a":1,"b":3,"c":"\ud83d\ude80 long long long long long"}}"#,
            r#"{"meta":{"route":"w"},"data":"not an object"}"#,
            r#"{"data":null}"#,
            r#"{"data":[1,2,3]}"#,
            r#"{}"#,
        ] {
            let mut e = with_state(state);
            e.extra = vec![("x".into(), RawJson("[1]".into()))];
            let fast = summarize_fast(&e, Payloads::of(&e)).unwrap();
            assert_eq!(fast, summarize_slow(&e, Payloads::of(&e)), "{state}");
        }
        // A state and an output state merged: the output's value wins a
        // key both hold, a key given twice keeps its last value.
        for (state, output) in [
            (
                r#"{"data":{"b":1,"a":2,"c":3}}"#,
                r#"{"data":{"a":"x","d":4,"a":"y"}}"#,
            ),
            (r#"{"data":{"k":1,"k":2}}"#, r#"{"data":"plain"}"#),
            (r#"{"data":"plain"}"#, r#"{"data":{"data":[1],"a":null}}"#),
            (r#"{"data":{}}"#, r#"{"data":{"z":1,"y":2,"x":3,"w":4}}"#),
        ] {
            let mut e = with_state(state);
            e.result = Some(AgentResult {
                output_state: Some(RawJson(output.into())),
                ..AgentResult::default()
            });
            let fast = summarize_fast(&e, Payloads::of(&e)).unwrap();
            assert_eq!(
                fast,
                summarize_slow(&e, Payloads::of(&e)),
                "{state} {output}"
            );
        }
        // Left to the slow path: a key given twice, arrays as states.
        let twice = with_state(r#"{"data":{},"data":{}}"#);
        assert!(summarize_fast(&twice, Payloads::of(&twice)).is_none());
        let array = with_state(r#"[{"a":1}]"#);
        assert!(summarize_fast(&array, Payloads::of(&array)).is_none());
    }

    #[test]
    fn summary_of_entry_without_state_is_a_dash() {
        assert_eq!(summarize(&Entry::default(), Payloads::default()), "-");
    }

    #[test]
    fn summary_survives_deep_nesting() {
        let deep = format!(
            r#"{{"data":{{"x":{}{}}}}}"#,
            "[".repeat(500),
            "]".repeat(500)
        );
        let e = with_state(&deep);
        assert!(summarize(&e, Payloads::of(&e)).contains("too deeply nested"));
    }
}
