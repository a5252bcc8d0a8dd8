//! A one-pass summary of a session: what `list` shows and `trace` heads with.

use super::{FastSet, Hash128};

use chrono::{DateTime, FixedOffset};

use crate::model::{Entry, Timestamp};

/// The first error of a session, with where it happened.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FirstError {
    pub index: u64,
    pub agent: Option<String>,
    pub message: String,
}

/// Totals over a session's entries, folded one entry at a time.
#[derive(Debug, Clone, Default)]
pub struct SessionSummary {
    pub entries: u64,
    /// Earliest and latest instants, each with the offset it was written in.
    pub start: Option<DateTime<FixedOffset>>,
    pub end: Option<DateTime<FixedOffset>>,
    /// Agents that ran, in order of first appearance.
    pub agents: Vec<String>,
    /// Failed agent runs: distinct (event, agent) pairs with an error.
    pub errors: u64,
    pub first_error: Option<FirstError>,
    /// Session ids written in the entries, in order of first appearance.
    pub session_ids: Vec<String>,
    /// Each failed (event, agent) pair counted, as 128 bits of seeded hash:
    /// held as strings they grew with every error of a long session.
    error_keys: FastSet<u128>,
    hash: Hash128,
}

impl SessionSummary {
    /// Whether the session started in `time` (one without a start lies in
    /// no bounded range).
    pub fn started_in(&self, time: &super::TimeRange) -> bool {
        time.contains(&self.start.map_or(Timestamp::Unset, Timestamp::At))
    }

    /// The selection `list` and `export` share: started in `time`, ran one
    /// of `agents` (any, when empty), and had an error if `failed`.
    pub fn selected(&self, time: &super::TimeRange, agents: &[String], failed: bool) -> bool {
        self.started_in(time)
            && (!failed || self.errors > 0)
            && (agents.is_empty() || agents.iter().any(|a| self.agents.contains(a)))
    }

    pub fn add(&mut self, e: &Entry) {
        self.entries += 1;
        if let Some(t) = e.timestamp.get() {
            if self.start.is_none_or(|s| t < s) {
                self.start = Some(t);
            }
            if self.end.is_none_or(|s| t > s) {
                self.end = Some(t);
            }
        }
        // BeforeEventHandling names only the target; the agent ran when a
        // later hook carries its agent_id.
        if let Some(agent) = e.agent_id.as_deref().filter(|a| !a.is_empty()) {
            if !self.agents.iter().any(|a| a == agent) {
                self.agents.push(agent.to_string());
            }
        }
        if let Some(id) = e.session_id.as_deref().filter(|s| !s.is_empty()) {
            if !self.session_ids.iter().any(|s| s == id) {
                self.session_ids.push(id.to_string());
            }
        }
        if let Some(message) = e.error() {
            let key = self.hash.of((e.event_id.as_deref(), e.agent()));
            if self.error_keys.insert(key) {
                self.errors += 1;
            }
            self.first_error.get_or_insert_with(|| FirstError {
                index: e.index,
                agent: e.agent().map(str::to_string),
                message: message.to_string(),
            });
        }
    }

    /// Wall time from the first to the last entry.
    pub fn duration(&self) -> Option<chrono::Duration> {
        Some(self.end? - self.start?)
    }
}

/// A finished summary as `list`'s cache keeps it: times in RFC 3339 with
/// the offset they were written in, to the nanosecond.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct SummaryRecord {
    entries: u64,
    start: Option<String>,
    end: Option<String>,
    agents: Vec<String>,
    errors: u64,
    first_error: Option<FirstError>,
    session_ids: Vec<String>,
}

impl SessionSummary {
    pub fn to_record(&self) -> SummaryRecord {
        let time =
            |t: &DateTime<FixedOffset>| t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, false);
        SummaryRecord {
            entries: self.entries,
            start: self.start.as_ref().map(time),
            end: self.end.as_ref().map(time),
            agents: self.agents.clone(),
            errors: self.errors,
            first_error: self.first_error.clone(),
            session_ids: self.session_ids.clone(),
        }
    }

    /// The summary a record was made of (it takes no more entries);
    /// `None` when a time in it does not read back.
    pub fn from_record(r: SummaryRecord) -> Option<SessionSummary> {
        let time = |t: Option<String>| -> Option<Option<DateTime<FixedOffset>>> {
            match t {
                None => Some(None),
                Some(t) => DateTime::parse_from_rfc3339(&t).ok().map(Some),
            }
        };
        Some(SessionSummary {
            entries: r.entries,
            start: time(r.start)?,
            end: time(r.end)?,
            agents: r.agents,
            errors: r.errors,
            first_error: r.first_error,
            session_ids: r.session_ids,
            error_keys: FastSet::default(),
            hash: Hash128::default(),
        })
    }
}

/// A session file and what reading it found: one row of `list`.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub id: String,
    pub path: String,
    pub size: u64,
    pub completeness: crate::model::Completeness,
    /// Entries after a closing `]`.
    pub entries_after_close: u64,
    /// Problems that mean damage (unreadable entries or fields).
    pub problems: u64,
    pub summary: SessionSummary,
}

/// How `list` orders sessions. Each key puts what people look for first;
/// ties go by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionSort {
    /// Newest first.
    Start,
    /// A to Z.
    Id,
    /// Longest first.
    Duration,
    /// Most first.
    Entries,
    Errors,
    Agents,
}

pub fn sort_sessions(sessions: &mut [SessionInfo], key: SessionSort) {
    use std::cmp::Reverse;
    match key {
        // Each instant worked out once, not at every comparison.
        SessionSort::Start => sessions.sort_by_cached_key(|s| {
            let instant = s
                .summary
                .start
                .map(|t| t.timestamp_nanos_opt().unwrap_or(i64::MAX));
            (Reverse(instant), s.id.clone())
        }),
        SessionSort::Id => {
            sessions.sort_by(|a, b| a.id.cmp(&b.id).then_with(|| a.path.cmp(&b.path)))
        }
        SessionSort::Duration => sessions.sort_by(|a, b| {
            Reverse(a.summary.duration())
                .cmp(&Reverse(b.summary.duration()))
                .then_with(|| a.id.cmp(&b.id))
        }),
        SessionSort::Entries => sessions.sort_by(|a, b| {
            b.summary
                .entries
                .cmp(&a.summary.entries)
                .then_with(|| a.id.cmp(&b.id))
        }),
        SessionSort::Errors => sessions.sort_by(|a, b| {
            b.summary
                .errors
                .cmp(&a.summary.errors)
                .then_with(|| a.id.cmp(&b.id))
        }),
        SessionSort::Agents => sessions.sort_by(|a, b| {
            b.summary
                .agents
                .len()
                .cmp(&a.summary.agents.len())
                .then_with(|| a.id.cmp(&b.id))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Hook, Timestamp};

    fn e(
        index: u64,
        t: &str,
        hook: Hook,
        agent: Option<&str>,
        event: &str,
        error: Option<&str>,
    ) -> Entry {
        Entry {
            index,
            timestamp: Timestamp::parse(t).unwrap(),
            hook,
            agent_id: agent.map(Into::into),
            event_id: Some(event.into()),
            error: error.map(Into::into),
            ..Entry::default()
        }
    }

    #[test]
    fn counts_a_failed_run_once_and_orders_by_instant() {
        let mut s = SessionSummary::default();
        s.add(&e(
            1,
            "2025-05-02T10:00:01+02:00",
            Hook::BeforeAgentRun,
            Some("a"),
            "e1",
            None,
        ));
        s.add(&e(
            2,
            "2025-05-02T08:00:00Z",
            Hook::AgentError,
            Some("a"),
            "e1",
            Some("boom"),
        ));
        s.add(&e(
            3,
            "2025-05-02T08:00:02Z",
            Hook::AfterEventHandling,
            Some("a"),
            "e1",
            Some("boom"),
        ));
        s.add(&e(
            4,
            "0001-01-01T00:00:00Z",
            Hook::AfterAgentRun,
            Some("b"),
            "e2",
            None,
        ));
        assert_eq!(s.errors, 1);
        assert_eq!(s.agents, vec!["a", "b"]);
        assert_eq!(s.duration().unwrap().num_seconds(), 2);
        // 08:00:00Z is earlier than 10:00:01+02:00 (08:00:01Z).
        assert_eq!(s.start.unwrap().to_rfc3339(), "2025-05-02T08:00:00+00:00");
        assert_eq!(s.first_error.unwrap().index, 2);
    }
}
