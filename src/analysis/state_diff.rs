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
    let value: Value = serde_json::from_str(raw.get()).ok()?;
    let object = value.as_object()?;
    let mut out = Map::new();
    match object.get("data") {
        Some(Value::Object(data)) => out.extend(data.clone()),
        Some(other) => {
            out.insert("data".to_string(), other.clone());
        }
        None => {}
    }
    if let Some(Value::Object(meta)) = object.get("meta") {
        for (k, v) in meta {
            out.insert(format!("meta.{k}"), v.clone());
        }
    }
    Some(out)
}

/// The keys added, removed and changed from `before` to `after`, sorted.
pub fn compare(before: &Map<String, Value>, after: &Map<String, Value>) -> Vec<KeyChange> {
    let mut changes = Vec::new();
    for (k, v) in after {
        match before.get(k) {
            None => changes.push(KeyChange {
                key: k.clone(),
                change: Change::Added,
                before: None,
                after: Some(v.clone()),
            }),
            Some(old) if old != v => changes.push(KeyChange {
                key: k.clone(),
                change: Change::Changed,
                before: Some(old.clone()),
                after: Some(v.clone()),
            }),
            Some(_) => {}
        }
    }
    for (k, v) in before {
        if !after.contains_key(k) {
            changes.push(KeyChange {
                key: k.clone(),
                change: Change::Removed,
                before: Some(v.clone()),
                after: None,
            });
        }
    }
    changes.sort_by(|a, b| a.key.cmp(&b.key));
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
pub fn brief(changes: &[KeyChange]) -> String {
    if changes.is_empty() {
        return "(no change)".to_string();
    }
    changes
        .iter()
        .map(|c| format!("{}{}", c.change.sign(), c.key))
        .collect::<Vec<_>>()
        .join(" ")
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
        assert_eq!(brief(&changes), "~b -c +d ~meta.route");
        assert_eq!(changes[0].before, Some(Value::from(2)));
        assert_eq!(brief(&compare(&a, &a)), "(no change)");
    }
}
