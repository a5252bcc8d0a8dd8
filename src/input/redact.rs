//! Redaction: the values of keys that match a glob are replaced, at any
//! depth, in the JSON text of state payloads, before any view sees them.
//!
//! Works on the text (no parse into a tree): key order, number text and
//! escapes stay as written, and depth costs nothing.

/// The default set (`--redact-defaults`). Token *counts* such as
/// `prompt_tokens` do not match: they are not secrets.
pub const DEFAULT_PATTERNS: &[&str] = &[
    "*api_key*",
    "*apikey*",
    "*access_token*",
    "*auth_token*",
    "*password*",
    "*secret*",
    "authorization",
    "cookie",
];

/// What a masked value becomes.
pub const MASK: &str = "\"[REDACTED]\"";

/// Key globs, matched without regard to case.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    patterns: Vec<KeyPattern>,
}

/// One glob. Most are a word with `*` around it (`*api_key*`), or a word
/// (`cookie`): those are matched as a search for the word, which gives
/// what the glob gives and costs a fraction of it (every key of every
/// state is matched, in every view, once redaction is configured).
#[derive(Debug, Clone)]
enum KeyPattern {
    /// The word in lowercase ASCII (glob folds only ASCII letters), and
    /// whether it may be preceded and followed by anything.
    Word {
        word: String,
        any_before: bool,
        any_after: bool,
    },
    Glob(glob::Pattern),
}

impl KeyPattern {
    fn new(text: &str) -> Result<KeyPattern, glob::PatternError> {
        let glob = glob::Pattern::new(text)?;
        let (any_before, rest) = match text.strip_prefix('*') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (any_after, word) = match rest.strip_suffix('*') {
            Some(word) => (true, word),
            None => (false, rest),
        };
        if word.is_empty() || word.contains(['*', '?', '[', ']']) {
            return Ok(KeyPattern::Glob(glob));
        }
        Ok(KeyPattern::Word {
            word: word.to_ascii_lowercase(),
            any_before,
            any_after,
        })
    }

    /// Whether `key` matches; `lower` is the key folded to lowercase ASCII
    /// (what a word is searched in; a glob matches `key` itself).
    fn matches(&self, key: &str, lower: &[u8]) -> bool {
        match self {
            KeyPattern::Word {
                word,
                any_before,
                any_after,
            } => {
                let word = word.as_bytes();
                match (any_before, any_after) {
                    (true, true) => memchr::memmem::find(lower, word).is_some(),
                    (true, false) => lower.ends_with(word),
                    (false, true) => lower.starts_with(word),
                    (false, false) => lower == word,
                }
            }
            KeyPattern::Glob(glob) => glob.matches_with(
                key,
                glob::MatchOptions {
                    case_sensitive: false,
                    require_literal_separator: false,
                    require_literal_leading_dot: false,
                },
            ),
        }
    }
}

impl Redactor {
    pub fn new(globs: &[String]) -> Result<Redactor, String> {
        let mut patterns = Vec::new();
        for g in globs {
            patterns.push(KeyPattern::new(g).map_err(|e| format!("'{g}': {e}"))?);
        }
        Ok(Redactor { patterns })
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Whether the value of `key` is masked.
    pub fn matches(&self, key: &str) -> bool {
        // Keys are short: folded on the stack.
        let mut buffer = [0u8; 64];
        let folded;
        let lower: &[u8] = match buffer.get_mut(..key.len()) {
            Some(room) => {
                room.copy_from_slice(key.as_bytes());
                room.make_ascii_lowercase();
                room
            }
            None => {
                folded = key.to_ascii_lowercase();
                folded.as_bytes()
            }
        };
        self.patterns.iter().any(|p| p.matches(key, lower))
    }

    /// `json` (valid JSON text) with the values of matching keys masked.
    pub fn redact(&self, json: &str) -> String {
        if self.is_empty() {
            return json.to_string();
        }
        let bytes = json.as_bytes();
        let mut out = String::with_capacity(json.len());
        // For each open container: is it an object, and is the next string
        // in it a key?
        let mut stack: Vec<(bool, bool)> = Vec::new();
        let mut i = 0;
        let mut copied = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'{' => {
                    stack.push((true, true));
                    i += 1;
                }
                b'[' => {
                    stack.push((false, false));
                    i += 1;
                }
                b'}' | b']' => {
                    stack.pop();
                    i += 1;
                }
                b',' => {
                    if let Some(top) = stack.last_mut() {
                        top.1 = top.0;
                    }
                    i += 1;
                }
                b'"' => {
                    let end = string_end(bytes, i);
                    let is_key = stack.last().is_some_and(|t| t.0 && t.1);
                    if is_key {
                        if let Some(top) = stack.last_mut() {
                            top.1 = false;
                        }
                        // As written, unless escapes need decoding.
                        // (Empty if the text was not valid after all, as
                        // a failed decoding gave.)
                        let written = json.get(i + 1..end.saturating_sub(1)).unwrap_or_default();
                        let key = if written.contains('\\') {
                            serde_json::from_str(&json[i..end]).unwrap_or_default()
                        } else {
                            std::borrow::Cow::Borrowed(written)
                        };
                        if self.matches(&key) {
                            // Skip `:` and blanks to the value, mask it whole.
                            let mut v = end;
                            while v < bytes.len()
                                && (bytes[v] == b':' || bytes[v].is_ascii_whitespace())
                            {
                                v += 1;
                            }
                            let value_end = value_end(bytes, v);
                            out.push_str(&json[copied..v]);
                            out.push_str(MASK);
                            copied = value_end;
                            i = value_end;
                            continue;
                        }
                    }
                    i = end;
                }
                _ => i += 1,
            }
        }
        out.push_str(&json[copied..]);
        out
    }
}

/// The index just past the string starting at `start` (a `"`).
fn string_end(bytes: &[u8], start: usize) -> usize {
    crate::model::past_string(bytes, start + 1)
}

/// The index just past the JSON value starting at `start`.
fn value_end(bytes: &[u8], start: usize) -> usize {
    match bytes.get(start) {
        Some(b'"') => string_end(bytes, start),
        Some(b'{' | b'[') => {
            let mut depth = 0usize;
            let mut i = start;
            while i < bytes.len() {
                match bytes[i] {
                    b'"' => {
                        i = string_end(bytes, i);
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return i + 1;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            bytes.len()
        }
        _ => {
            let mut i = start;
            while i < bytes.len()
                && !matches!(bytes[i], b',' | b'}' | b']')
                && !bytes[i].is_ascii_whitespace()
            {
                i += 1;
            }
            i
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> Redactor {
        Redactor::new(
            &DEFAULT_PATTERNS
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>(),
        )
        .unwrap()
    }

    #[test]
    fn masks_matching_keys_at_any_depth_and_keeps_the_rest_as_written() {
        let json = r#"{"data":{"OPENAI_API_KEY":"sk-1","usage":{"prompt_tokens":12,"total_tokens":1.0e1},"cfg":[{"password":{"a":[1,"}"]}},{"Authorization":"Bearer x"}],"note":"api_key in text stays"},"meta":{"cookie":null}}"#;
        assert_eq!(
            defaults().redact(json),
            r#"{"data":{"OPENAI_API_KEY":"[REDACTED]","usage":{"prompt_tokens":12,"total_tokens":1.0e1},"cfg":[{"password":"[REDACTED]"},{"Authorization":"[REDACTED]"}],"note":"api_key in text stays"},"meta":{"cookie":"[REDACTED]"}}"#
        );
    }

    #[test]
    fn pretty_text_and_escaped_keys_are_handled() {
        let json =
            "{\n  \"client_secret\" :  12 ,\n  \"x\\\"secret\": true,\n  \"ok\": \"secret\"\n}";
        assert_eq!(
            defaults().redact(json),
            "{\n  \"client_secret\" :  \"[REDACTED]\" ,\n  \"x\\\"secret\": \"[REDACTED]\",\n  \"ok\": \"secret\"\n}"
        );
    }

    proptest::proptest! {
        /// Every pattern matches what glob matches, whatever its shape
        /// and case, on keys of any case, with letters glob does not fold.
        #[test]
        fn patterns_match_as_glob_matches(
            pattern in "[*]?[aAbB_?\\[\\]*é]{0,4}[*]?",
            key in "[aAbB_/.éÉ]{0,70}",
        ) {
            let Ok(glob) = glob::Pattern::new(&pattern) else {
                proptest::prop_assert!(Redactor::new(&[pattern]).is_err());
                return Ok(());
            };
            let options = glob::MatchOptions {
                case_sensitive: false,
                require_literal_separator: false,
                require_literal_leading_dot: false,
            };
            let redactor = Redactor::new(&[pattern]).unwrap();
            proptest::prop_assert_eq!(redactor.matches(&key), glob.matches_with(&key, options));
        }
    }

    #[test]
    fn words_are_searched_and_other_globs_matched() {
        let shapes = |globs: &[&str]| {
            let globs: Vec<String> = globs.iter().map(|g| g.to_string()).collect();
            Redactor::new(&globs)
                .unwrap()
                .patterns
                .iter()
                .map(|p| matches!(p, KeyPattern::Word { .. }))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            shapes(&[
                "*api_key*",
                "Cookie",
                "pass*",
                "*_TOKEN",
                "*",
                "a?b",
                "*[ab]*",
                "a*b"
            ]),
            [true, true, true, true, false, false, false, false]
        );
        let r = Redactor::new(&["*API_key*".to_string(), "cookie".to_string()]).unwrap();
        assert!(r.matches("OPENAI_API_KEY"));
        assert!(r.matches("COOKIE"));
        assert!(!r.matches("cookies"));
        assert!(
            r.matches(&format!("{}api_key", "x".repeat(100))),
            "longer than the stack buffer"
        );
    }

    #[test]
    fn nothing_to_do_without_patterns() {
        assert_eq!(
            Redactor::default().redact(r#"{"password":1}"#),
            r#"{"password":1}"#
        );
    }
}
