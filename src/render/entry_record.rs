//! The export schema of an entry (`trace --format json|jsonl|csv`).
//!
//! Stable: columns are only ever added at the end. Documented in README.md.

use std::borrow::Cow;

use super::record::{Record, Value};
use crate::input::Payloads;
use crate::model::{Entry, Hook};

/// The columns of an exported entry, in order.
pub const ENTRY_COLUMNS: &[&str] = &[
    "index",
    "timestamp",
    "hook",
    "type",
    "session_id",
    "event_id",
    "agent",
    "source",
    "target",
    "route",
    "duration_ms",
    "error",
    "state",
    "agent_result",
    "extra",
];

/// An entry seen as an export row, with its payloads (its own, or lent by
/// the reader).
pub struct EntryRecord<'a> {
    entry: &'a Entry,
    payloads: Payloads<'a>,
}

impl<'a> EntryRecord<'a> {
    pub fn new(entry: &'a Entry) -> Self {
        EntryRecord::lent(entry, Payloads::of(entry))
    }

    pub fn lent(entry: &'a Entry, payloads: Payloads<'a>) -> Self {
        EntryRecord { entry, payloads }
    }
}

impl Record for EntryRecord<'_> {
    fn columns(&self) -> &'static [&'static str] {
        ENTRY_COLUMNS
    }

    fn values(&self) -> Vec<Value<'_>> {
        let e = self.entry;
        let hook = match &e.hook {
            Hook::Unknown => Value::Null,
            h => Value::Str(Cow::Borrowed(h.as_str())),
        };
        let extra = if e.extra.is_empty() {
            Value::Null
        } else {
            let mut obj = String::from("{");
            for (i, (k, v)) in e.extra.iter().enumerate() {
                if i > 0 {
                    obj.push(',');
                }
                obj.push_str(&serde_json::to_string(k).unwrap_or_else(|_| "\"\"".into()));
                obj.push(':');
                obj.push_str(v.get());
            }
            obj.push('}');
            Value::Json(Cow::Owned(obj))
        };
        vec![
            Value::Int(e.index as i64),
            Value::timestamp(&e.timestamp, e.timestamp_written.as_deref()),
            hook,
            Value::opt_str(e.kind.as_deref()),
            Value::opt_str(e.session_id.as_deref()),
            Value::opt_str(e.event_id.as_deref()),
            Value::opt_str(e.agent_id.as_deref()),
            Value::opt_str(e.source_agent_id.as_deref()),
            Value::opt_str(e.target_agent_id.as_deref()),
            Value::opt_str(e.route()),
            e.duration_ms().map_or(Value::Null, Value::Int),
            Value::opt_str(e.error()),
            self.payloads
                .state
                .map_or(Value::Null, |s| Value::Json(Cow::Borrowed(s))),
            self.payloads
                .result
                .map_or(Value::Null, |r| Value::Json(Cow::Borrowed(r))),
            extra,
        ]
    }
}
