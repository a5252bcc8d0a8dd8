//! What the table shows of a state: a one-line summary (as upstream built
//! it, cut by characters instead of bytes) and, for `--verbose`, the full
//! payload.

use std::fmt::Write as _;

use serde::Deserialize;
use serde_json::{Map, Value};

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

/// The entry's `state.data` merged with its result's `output_state.data`,
/// keys sorted, the first three as `key:value`, then `...`. `-` when the
/// entry carries no state.
pub fn summarize(entry: &Entry) -> String {
    let sources = [
        entry.state.as_ref(),
        entry.result.as_ref().and_then(|r| r.output_state.as_ref()),
    ];
    if sources.iter().all(Option::is_none) {
        return match extra_summary(entry) {
            Some(extra) => extra,
            None => "-".to_string(),
        };
    }
    let mut merged = Map::new();
    for raw in sources.into_iter().flatten() {
        match serde_json::from_str::<StateData>(raw.get()) {
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
    let mut out = String::from("{");
    for (i, (key, value)) in merged.iter().enumerate() {
        if i == KEYS_SHOWN {
            out.push_str(", ...");
            break;
        }
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "{key}:");
        describe(value, &mut out);
    }
    out.push('}');
    if let Some(extra) = extra_summary(entry) {
        out.push(' ');
        out.push_str(&extra);
    }
    out
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
        Value::String(s) => {
            let n = s.chars().count();
            if n > STRING_CHARS {
                let cut: String = s.chars().take(STRING_CHARS).collect();
                let _ = write!(out, "\"{cut}…\" ({n} chars)");
            } else {
                let _ = write!(out, "\"{s}\"");
            }
        }
        Value::Object(m) => {
            let _ = write!(
                out,
                "{{...}} ({} key{})",
                m.len(),
                if m.len() == 1 { "" } else { "s" }
            );
        }
        Value::Array(a) => {
            let _ = write!(
                out,
                "[...] ({} item{})",
                a.len(),
                if a.len() == 1 { "" } else { "s" }
            );
        }
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
            summarize(&e),
            "{answer:[...] (2 items), message:\"数据分析数据分析数据分析数据分析数据分析数据分析…\" (28 chars), more:{...} (1 key), ...}"
        );
    }

    #[test]
    fn summary_of_entry_without_state_is_a_dash() {
        assert_eq!(summarize(&Entry::default()), "-");
    }

    #[test]
    fn summary_survives_deep_nesting() {
        let deep = format!(
            r#"{{"data":{{"x":{}{}}}}}"#,
            "[".repeat(500),
            "]".repeat(500)
        );
        assert!(summarize(&with_state(&deep)).contains("too deeply nested"));
    }
}
