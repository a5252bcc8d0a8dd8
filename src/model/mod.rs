//! The trace data model: entries, hooks, timestamps and agent results.
//!
//! Plain data with no I/O, no flags and no terminal knowledge; the input layer
//! builds it and every later layer reads it.

use std::borrow::Cow;

mod hook;
mod raw;
pub(crate) mod scan;
mod time;

pub use hook::Hook;
pub use raw::{compact_into, past_string, utf8, RawJson};
pub(crate) use time::put_digits;
pub use time::{GoTime, Timestamp, Written};

/// Where something sits in a file: 1-based line and column (in bytes), and
/// the 0-based byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Position {
    pub line: u64,
    pub column: u64,
    pub offset: u64,
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// A short string held inline (ids, agent names…): most text fields of
/// an entry fit in 24 bytes, so reading one allocates little.
pub type Text = compact_str::CompactString;

/// One hook-point record of a session, as read from a trace file.
#[derive(Debug, Clone, Default)]
pub struct Entry {
    /// 1-based position of the entry among the entries read from its file.
    pub index: u64,
    /// Where the entry starts in its file.
    pub position: Position,
    /// How the `timestamp` field was written: its text is kept only when
    /// it is not what [`Timestamp::rfc3339_nano`] makes of the time
    /// ([`Entry::timestamp_text`] gives it either way).
    pub timestamp_written: Written<Text>,
    pub timestamp: Timestamp,
    /// The `type` field (older writers); often empty.
    pub kind: Option<Text>,
    /// The effective hook: as written, or derived from `type`.
    pub hook: Hook,
    /// True when `hook` was derived from `type` because the file had none.
    pub hook_derived: bool,
    pub event_id: Option<Text>,
    pub session_id: Option<Text>,
    pub agent_id: Option<Text>,
    pub source_agent_id: Option<Text>,
    pub target_agent_id: Option<Text>,
    pub error: Option<Text>,
    /// The `state` object as written (`None` when absent or not kept).
    pub state: Option<RawJson>,
    /// `meta.route` of `state`.
    pub state_route: Option<Text>,
    pub result: Option<AgentResult>,
    /// Keys this version of agentcli does not know, kept in file order.
    pub extra: Vec<(String, RawJson)>,
    /// The entry's text as it stands in the file (kept only on request).
    pub raw: Option<String>,
    /// Bytes a view worked out ahead on the reader's worker threads (see
    /// `input::EntrySink::prepare`), in a form only that view reads;
    /// `None` when nothing was prepared (the simple path), and the view
    /// does the work itself.
    pub prepared: Option<Vec<u8>>,
}

/// How far a session's file has been written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Completeness {
    /// A closed array, or JSON lines / a single object ending cleanly.
    Complete,
    /// An array with no closing `]`: still being written, or its writer
    /// stopped between entries.
    Open,
    /// The last entry is incomplete: being written right now, or torn by a
    /// crash.
    Torn,
    /// No entries and no array.
    Empty,
    /// Nothing in it could be read as an entry, yet it is not empty.
    Unreadable,
}

impl Completeness {
    pub fn as_str(self) -> &'static str {
        match self {
            Completeness::Complete => "complete",
            Completeness::Open => "open",
            Completeness::Torn => "torn",
            Completeness::Empty => "empty",
            Completeness::Unreadable => "unreadable",
        }
    }
}

/// The `agent_result` object of AfterAgentRun and AgentError entries.
#[derive(Debug, Clone, Default)]
pub struct AgentResult {
    pub duration_ms: Option<i64>,
    pub start_time: Timestamp,
    pub end_time: Timestamp,
    pub error: Option<Text>,
    /// `output_state` as written (`None` when null, absent or not kept).
    pub output_state: Option<RawJson>,
    /// `meta.route` of `output_state`.
    pub output_route: Option<Text>,
    /// The whole object as written (kept only when state is kept).
    pub raw: Option<RawJson>,
}

impl Entry {
    /// The `timestamp` field exactly as written (`None` when missing).
    pub fn timestamp_text(&self) -> Option<Cow<'_, str>> {
        match &self.timestamp_written {
            Written::Absent => None,
            Written::AsParsed => self.timestamp.rfc3339_nano().map(Cow::Owned),
            Written::Text(text) => Some(Cow::Borrowed(text)),
        }
    }

    /// The agent an entry is about: the agent that ran, or, on entries that
    /// carry no `agent_id` (BeforeEventHandling), the agent the event was
    /// sent to.
    pub fn agent(&self) -> Option<&str> {
        non_empty(self.agent_id.as_deref()).or_else(|| non_empty(self.target_agent_id.as_deref()))
    }

    /// The next agent, as AgenticGoKit routes: `meta.route` of the result's
    /// output state, else of the entry's state.
    pub fn route(&self) -> Option<&str> {
        self.result
            .as_ref()
            .and_then(|r| non_empty(r.output_route.as_deref()))
            .or_else(|| non_empty(self.state_route.as_deref()))
    }

    /// The entry's error, else its agent result's error.
    pub fn error(&self) -> Option<&str> {
        non_empty(self.error.as_deref()).or_else(|| {
            self.result
                .as_ref()
                .and_then(|r| non_empty(r.error.as_deref()))
        })
    }

    /// The run duration the agent result reports, when it is a real one.
    pub fn duration_ms(&self) -> Option<i64> {
        self.result.as_ref().and_then(|r| r.duration_ms)
    }
}

fn non_empty(s: Option<&str>) -> Option<&str> {
    s.filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agent_falls_back_to_target_when_agent_id_is_empty() {
        let e = Entry {
            agent_id: Some(Text::default()),
            target_agent_id: Some("planner".into()),
            ..Entry::default()
        };
        assert_eq!(e.agent(), Some("planner"));
    }

    #[test]
    fn route_prefers_output_state_over_state() {
        let e = Entry {
            state_route: Some("a".into()),
            result: Some(AgentResult {
                output_route: Some("b".into()),
                ..AgentResult::default()
            }),
            ..Entry::default()
        };
        assert_eq!(e.route(), Some("b"));
        let e = Entry {
            state_route: Some("a".into()),
            ..Entry::default()
        };
        assert_eq!(e.route(), Some("a"));
    }
}
