//! JSON kept as written: state payloads are passed through, never rebuilt,
//! so numbers, key order and escapes survive every export.

use super::scan::{quote_or_backslash, spaces};

/// A JSON value's text exactly as it stood in the file (valid JSON).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawJson(pub String);

impl RawJson {
    pub fn get(&self) -> &str {
        &self.0
    }

    /// The same value with all insignificant white space removed (one line).
    pub fn compact(&self) -> String {
        let mut out = String::with_capacity(self.0.len());
        write_compact(&self.0, &mut out);
        out
    }

    /// The same value indented by two spaces per level, starting at `indent`.
    pub fn pretty(&self, indent: usize) -> String {
        let mut out = String::with_capacity(self.0.len() * 2);
        write_pretty(&self.0, indent, &mut out);
        out
    }
}

/// `bytes` as text, checked for UTF-8 with SIMD (simdutf8); when they are
/// not UTF-8, std's check says where the valid text ends. Short texts (the
/// cells of a table row read back) are left to std, whose check starts at
/// once where simdutf8's costs a hundred instructions to set up.
pub fn utf8(bytes: &[u8]) -> Result<&str, std::str::Utf8Error> {
    if bytes.len() < 64 {
        return std::str::from_utf8(bytes);
    }
    match simdutf8::basic::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(_) => std::str::from_utf8(bytes),
    }
}

/// Copies `json` without the white space between tokens. Works on any
/// depth without recursion.
pub fn write_compact(json: &str, out: &mut String) {
    // Compacted in place at the end of `out`, not copied in afterwards.
    let mut bytes = std::mem::take(out).into_bytes();
    compact_into(json, &mut bytes, b"\"");
    // Only ASCII white space was left out: still UTF-8.
    *out = String::from_utf8(bytes)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
}

/// Appends `json` to `out` without the white space between tokens, in one
/// pass: strings are jumped over (`scan::quote_or_backslash`) and copied whole,
/// indents passed eight bytes at a time, short pieces copied with `put`.
/// Every `"` is written as `quote` (`"` itself, or what a format escapes it
/// to, so that the text is not passed over again). Returns whether the
/// text holds a `"` or a `,`.
pub fn compact_into<const N: usize>(json: &str, out: &mut Vec<u8>, quote: &[u8; N]) -> bool {
    let bytes = json.as_bytes();
    let mut special = false;
    // Where the text not yet copied starts.
    let mut run = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                special = true;
                put(out, bytes, run, i);
                out.extend_from_slice(quote.as_slice());
                i += 1;
                run = i;
                // To the next quote that no backslash escapes; an escaped
                // quote is doubled too.
                loop {
                    match quote_or_backslash(bytes, i) {
                        Some(at) if bytes[at] == b'\\' => {
                            // The escaped byte, if the text goes on.
                            let escaped = at + 1;
                            if bytes.get(escaped) == Some(&b'"') {
                                put(out, bytes, run, escaped);
                                out.extend_from_slice(quote.as_slice());
                                run = escaped + 1;
                            }
                            i = escaped + 1;
                            if i >= bytes.len() {
                                i = bytes.len();
                                break;
                            }
                        }
                        Some(at) => {
                            i = at;
                            put(out, bytes, run, i);
                            out.extend_from_slice(quote.as_slice());
                            i += 1;
                            run = i;
                            break;
                        }
                        None => {
                            i = bytes.len();
                            break;
                        }
                    }
                }
                continue;
            }
            b' ' | b'\n' | b'\r' | b'\t' => {
                // The whole run of white space (an indent) at once.
                put(out, bytes, run, i);
                i += 1;
                loop {
                    i = spaces(bytes, i);
                    if !matches!(bytes.get(i), Some(b'\n' | b'\r' | b'\t')) {
                        break;
                    }
                    i += 1;
                }
                run = i;
                continue;
            }
            b',' => special = true,
            _ => {}
        }
        i += 1;
    }
    put(out, bytes, run, bytes.len());
    special
}

/// Appends `src[from..to]`. A piece of up to 16 bytes (a key, a number,
/// punctuation: most of a state's pieces) goes as one 16-byte copy, the
/// bytes past it taken back, which costs less than a call to memcpy.
#[inline(always)]
fn put(out: &mut Vec<u8>, src: &[u8], from: usize, to: usize) {
    if to - from <= 16 {
        if let Some(chunk) = src
            .get(from..from + 16)
            .and_then(|c| <&[u8; 16]>::try_from(c).ok())
        {
            let len = out.len();
            out.extend_from_slice(chunk);
            out.truncate(len + (to - from));
            return;
        }
    }
    out.extend_from_slice(&src[from..to]);
}

/// Deeper than this, pretty output stays on one line: indenting thousands
/// of levels would print megabytes of spaces.
const MAX_PRETTY_DEPTH: usize = 32;

/// Past the closing quote of a string whose contents start at `i`, in
/// text known to be valid: memchr from backslash to backslash.
pub fn past_string(b: &[u8], mut i: usize) -> usize {
    loop {
        match memchr::memchr2(b'"', b'\\', b.get(i..).unwrap_or_default()) {
            // A backslash as the last byte (only in text that was not
            // valid after all) must not step past the end.
            Some(n) if b[i + n] == b'\\' => i = (i + n + 2).min(b.len()),
            Some(n) => return i + n + 1,
            None => return b.len(),
        }
    }
}

/// Writes `json` pretty-printed, two spaces a level, without recursion.
fn write_pretty(json: &str, base: usize, out: &mut String) {
    let mut compact = String::with_capacity(json.len());
    write_compact(json, &mut compact);
    let bytes = compact.as_bytes();
    let mut depth = base;
    let mut i = 0;
    let newline = |out: &mut String, depth: usize| {
        if depth > MAX_PRETTY_DEPTH {
            return;
        }
        out.push('\n');
        for _ in 0..depth {
            out.push_str("  ");
        }
    };
    let mut run_start = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'"' => {
                // Strings are copied with the run they are in.
                i = past_string(bytes, i + 1);
                continue;
            }
            b'{' | b'[' => {
                out.push_str(&compact[run_start..=i]);
                let close = if b == b'{' { b'}' } else { b']' };
                if bytes.get(i + 1) == Some(&close) {
                    out.push(close as char);
                    i += 2;
                    run_start = i;
                    continue;
                }
                depth += 1;
                newline(out, depth);
                run_start = i + 1;
            }
            b'}' | b']' => {
                out.push_str(&compact[run_start..i]);
                depth = depth.saturating_sub(1);
                newline(out, depth);
                out.push(b as char);
                run_start = i + 1;
            }
            b',' => {
                out.push_str(&compact[run_start..=i]);
                newline(out, depth);
                run_start = i + 1;
            }
            b':' => {
                out.push_str(&compact[run_start..=i]);
                out.push(' ');
                run_start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    out.push_str(&compact[run_start..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_drops_space_outside_strings_only() {
        let raw = RawJson("{\n  \"a b\": [ 1, 2 ],\r\n  \"c\": \"x \\\" y\"\n}".into());
        assert_eq!(raw.compact(), r#"{"a b":[1,2],"c":"x \" y"}"#);
    }

    #[test]
    fn pretty_indents_and_keeps_empty_containers_inline() {
        let raw = RawJson(r#"{"a":[1,{}],"b":{"c":"{x}"},"d":[]}"#.into());
        assert_eq!(
            raw.pretty(0),
            "{\n  \"a\": [\n    1,\n    {}\n  ],\n  \"b\": {\n    \"c\": \"{x}\"\n  },\n  \"d\": []\n}"
        );
    }

    #[test]
    fn pretty_stays_small_on_deep_nesting() {
        let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
        assert!(RawJson(deep).pretty(0).len() < 20_000);
    }

    #[test]
    fn compact_knows_where_strings_end() {
        let mut out = String::new();
        write_compact(r#"{ "a\\" : "b c", "d": "\"} {" }"#, &mut out);
        assert_eq!(out, r#"{"a\\":"b c","d":"\"} {"}"#);
        // Cut off inside a string, even right after a backslash.
        for cut in [r#"{ "a b"#, r#"{ "a \"#] {
            let mut out = String::new();
            write_compact(cut, &mut out);
            assert_eq!(out, cut.replacen("{ ", "{", 1));
        }
    }

    /// The plain way: compact by a state machine, then double quotes.
    fn reference(json: &str, double: bool) -> (String, bool) {
        let (mut out, mut in_string, mut escaped) = (String::new(), false, false);
        for c in json.chars() {
            if in_string {
                in_string = escaped || c != '"';
                escaped = !escaped && c == '\\';
            } else if c == '"' {
                in_string = true;
            } else if c.is_ascii_whitespace() && c != '\x0c' {
                continue;
            }
            out.push(c);
        }
        let special = out.contains(['"', ',']);
        if double {
            out = out.replace('"', "\"\"");
        }
        (out, special)
    }

    proptest::proptest! {
        #[test]
        fn compact_into_is_the_plain_compaction(
            json in "[ \n\t\r\"\\\\,:{}\\[\\]ab1é]{0,40}|[ \"\\\\abcdefghijklmnopqrstuvwxyz]{0,120}",
            double: bool,
            before in "[a-z]{0,20}",
        ) {
            // Appended after what the buffer held, which stays.
            let mut out = before.clone().into_bytes();
            let special = if double {
                compact_into(&json, &mut out, b"\"\"")
            } else {
                compact_into(&json, &mut out, b"\"")
            };
            let (want, want_special) = reference(&json, double);
            proptest::prop_assert_eq!(String::from_utf8(out).unwrap(), before + &want);
            proptest::prop_assert_eq!(special, want_special);
        }
    }

    /// JSON values of a few levels, with strings that hold quotes,
    /// backslashes, brackets and commas.
    fn json_value() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i32>().prop_map(serde_json::Value::from),
            "[a\\\"{}\\[\\],: é]{0,12}".prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
                proptest::collection::btree_map("[a-c\\\"{]{0,3}", inner, 0..4)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        /// Pretty printing is serde_json's, whatever the strings hold and
        /// however the text was spaced.
        #[test]
        fn pretty_is_serde_jsons_pretty(value in json_value(), spaced: bool) {
            let text = if spaced {
                serde_json::to_string_pretty(&value).unwrap()
            } else {
                serde_json::to_string(&value).unwrap()
            };
            proptest::prop_assert_eq!(
                RawJson(text).pretty(0),
                serde_json::to_string_pretty(&value).unwrap()
            );
        }
    }

    #[test]
    fn compact_into_doubles_an_escaped_quote_at_the_very_end() {
        for json in ["\"\\\"", "\"a\\\"", "[\"\\\"\"]", "\"\\"] {
            let mut out = Vec::new();
            compact_into(json, &mut out, b"\"\"");
            assert_eq!(
                String::from_utf8(out).unwrap(),
                reference(json, true).0,
                "{json}"
            );
        }
    }

    #[test]
    fn compact_survives_deep_nesting() {
        let deep = format!("{}{}", "[ ".repeat(100_000), "] ".repeat(100_000));
        assert_eq!(RawJson(deep).compact().len(), 200_000);
    }
}
