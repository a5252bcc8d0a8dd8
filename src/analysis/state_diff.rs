//! What changed between two states: keys of `data` (and of `meta`, as
//! `meta.key`) added, removed or changed.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::model::{Entry, RawJson};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Added,
    Removed,
    Changed,
}

impl Change {
    pub fn sign(self) -> char {
        match self {
            Change::Added => '+',
            Change::Removed => '-',
            Change::Changed => '~',
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyChange {
    pub key: String,
    pub change: Change,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// A state's keys, flattened one level: `data`'s keys as they are, `meta`'s
/// as `meta.key`. `None` when the state cannot be read as an object.
pub fn keys_of(raw: &RawJson) -> Option<Map<String, Value>> {
    let Value::Object(mut object) = serde_json::from_str(raw.get()).ok()? else {
        return None;
    };
    // The parsed values are moved, not copied (states are large).
    let mut out = match object.remove("data") {
        Some(Value::Object(data)) => data,
        Some(other) => Map::from_iter([("data".to_string(), other)]),
        None => Map::new(),
    };
    if let Some(Value::Object(meta)) = object.remove("meta") {
        for (k, v) in meta {
            out.insert(format!("meta.{k}"), v);
        }
    }
    Some(out)
}

/// The keys added, removed and changed from `before` to `after`, sorted,
/// with their values.
pub fn compare(before: &Map<String, Value>, after: &Map<String, Value>) -> Vec<KeyChange> {
    changed_keys(before, after)
        .into_iter()
        .map(|(key, change)| KeyChange {
            key: key.to_string(),
            change,
            before: before.get(key).cloned(),
            after: after.get(key).cloned(),
        })
        .collect()
}

/// The keys added, removed and changed from `before` to `after`, sorted.
pub fn changed_keys<'a>(
    before: &'a Map<String, Value>,
    after: &'a Map<String, Value>,
) -> Vec<(&'a str, Change)> {
    let mut changes = Vec::new();
    for (k, v) in after {
        match before.get(k) {
            None => changes.push((k.as_str(), Change::Added)),
            Some(old) if old != v => changes.push((k.as_str(), Change::Changed)),
            Some(_) => {}
        }
    }
    for k in before.keys() {
        if !after.contains_key(k) {
            changes.push((k.as_str(), Change::Removed));
        }
    }
    changes.sort_by(|a, b| a.0.cmp(b.0));
    changes
}

/// The state an entry leaves behind: its result's output state, else its
/// own state.
pub fn resulting_state(e: &Entry) -> Option<&RawJson> {
    e.result
        .as_ref()
        .and_then(|r| r.output_state.as_ref())
        .or(e.state.as_ref())
}

/// `+analysis ~message -sources`.
pub fn brief(changes: &[(&str, Change)]) -> String {
    if changes.is_empty() {
        return "(no change)".to_string();
    }
    let mut out = String::new();
    for (key, change) in changes {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push(change.sign());
        out.push_str(key);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_added_removed_and_changed_keys_in_data_and_meta() {
        let a = keys_of(&RawJson(
            r#"{"data":{"a":1,"b":2,"c":3},"meta":{"route":"x"}}"#.into(),
        ))
        .unwrap();
        let b = keys_of(&RawJson(
            r#"{"data":{"a":1,"b":5,"d":4},"meta":{"route":"y"}}"#.into(),
        ))
        .unwrap();
        let changes = compare(&a, &b);
        assert_eq!(brief(&changed_keys(&a, &b)), "~b -c +d ~meta.route");
        assert_eq!(changes[0].before, Some(Value::from(2)));
        assert_eq!(changes[1].after, None);
        assert_eq!(changes[2].after, Some(Value::from(4)));
        assert_eq!(brief(&changed_keys(&a, &a)), "(no change)");
    }
}
