//! `validate`: structural defects of a trace, each with its place.

use serde::Serialize;

use super::spans::{RunStatus, SpanBuilder};
use crate::input::{Diagnostic, ProblemKind, ReadReport};
use crate::model::{Entry, Hook, Position};

/// One defect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Defect {
    /// A short stable name: `not-closed`, `torn-last-entry`, …
    pub kind: &'static str,
    pub line: u64,
    pub column: u64,
    pub message: String,
}

impl Defect {
    fn at(kind: &'static str, p: Position, message: impl Into<String>) -> Defect {
        Defect {
            kind,
            line: p.line,
            column: p.column,
            message: message.into(),
        }
    }
}

/// The defect kind of a reader problem.
fn problem_kind(kind: ProblemKind) -> &'static str {
    match kind {
        ProblemKind::IncompleteTail => "torn-last-entry",
        ProblemKind::CutOffEntry => "cut-off-entry",
        ProblemKind::Garbage => "stray-bytes",
        ProblemKind::InvalidJson => "unparseable-entry",
        ProblemKind::NotAnEntry => "not-an-entry",
        ProblemKind::BadField => "bad-field",
        ProblemKind::InvalidUtf8 => "invalid-utf8",
        ProblemKind::ControlCharacter => "control-character",
    }
}

/// Collects what a file's entries and problems reveal.
#[derive(Debug)]
pub struct Validator {
    tolerance_nanos: i128,
    /// Entry positions, by index (from 1).
    positions: Vec<Position>,
    problems: Vec<Defect>,
    session_ids: Vec<(String, Position)>,
    missing_session: Option<(Position, u64)>,
    latest: Option<(i128, u64)>,
    spans: SpanBuilder,
    defects: Vec<Defect>,
}

impl Validator {
    /// `tolerance_ms`: how far back in time an entry may go (parallel
    /// agents interleave) before it counts as a defect.
    pub fn new(tolerance_ms: u64) -> Self {
        Validator {
            tolerance_nanos: i128::from(tolerance_ms) * 1_000_000,
            positions: Vec::new(),
            problems: Vec::new(),
            session_ids: Vec::new(),
            missing_session: None,
            latest: None,
            spans: SpanBuilder::default(),
            defects: Vec::new(),
        }
    }

    pub fn problem(&mut self, d: &Diagnostic) {
        self.problems.push(Defect::at(
            problem_kind(d.kind),
            d.position,
            d.message.clone(),
        ));
    }

    pub fn push(&mut self, e: &Entry) {
        self.positions.push(e.position);
        match e.session_id.as_deref().filter(|s| !s.is_empty()) {
            Some(id) => {
                if !self.session_ids.iter().any(|(s, _)| s == id) {
                    self.session_ids.push((id.to_string(), e.position));
                }
            }
            None => {
                let slot = self.missing_session.get_or_insert((e.position, 0));
                slot.1 += 1;
            }
        }
        match &e.hook {
            Hook::Other(name) => self.defects.push(Defect::at(
                "unknown-hook",
                e.position,
                format!("unknown hook {name:?} (entry #{})", e.index),
            )),
            Hook::Unknown => self.defects.push(Defect::at(
                "no-hook",
                e.position,
                format!("entry #{} has neither a hook nor a known type", e.index),
            )),
            _ => {}
        }
        if let Some(t) = e.timestamp.instant_nanos() {
            match self.latest {
                Some((latest, index)) if t < latest - self.tolerance_nanos => {
                    self.defects.push(Defect::at(
                        "time-goes-back",
                        e.position,
                        format!(
                            "entry #{} is {:.3}s earlier than entry #{index} before it",
                            e.index,
                            (latest - t) as f64 / 1e9
                        ),
                    ));
                }
                Some((latest, _)) if t <= latest => {}
                _ => self.latest = Some((t, e.index)),
            }
        }
        self.spans.push(e);
    }

    fn position_of(&self, index: Option<u64>) -> Position {
        index
            .and_then(|i| self.positions.get(i.checked_sub(1)? as usize))
            .copied()
            .unwrap_or_default()
    }

    /// All defects, in file order.
    pub fn finish(mut self, report: &ReadReport) -> Vec<Defect> {
        let mut defects = std::mem::take(&mut self.problems);
        defects.append(&mut self.defects);
        let framing = report.framing;
        if report.entries == 0 {
            defects.push(Defect::at(
                "no-entries",
                Position {
                    line: 1,
                    column: 1,
                    offset: 0,
                },
                "the file holds no entries",
            ));
        }
        if framing.array && !framing.closed && !framing.incomplete_tail {
            defects.push(Defect::at(
                "not-closed",
                report.end,
                "the array has no closing ']' (the session is still running, or its writer stopped)",
            ));
        }
        if let Some(p) = report.first_after_close {
            defects.push(Defect::at(
                "entries-after-close",
                p,
                format!(
                    "{} entr{} after the closing ']' (the session was logged again after a clean close)",
                    framing.entries_after_close,
                    if framing.entries_after_close == 1 { "y" } else { "ies" }
                ),
            ));
        }
        if let Some((p, n)) = self.missing_session {
            defects.push(Defect::at(
                "missing-session-id",
                p,
                format!(
                    "{n} entr{} without a session_id",
                    if n == 1 { "y" } else { "ies" }
                ),
            ));
        }
        if self.session_ids.len() > 1 {
            let ids: Vec<&str> = self.session_ids.iter().map(|(s, _)| s.as_str()).collect();
            defects.push(Defect::at(
                "mixed-session-ids",
                self.session_ids[1].1,
                format!(
                    "entries of {} sessions in one file: {}",
                    ids.len(),
                    ids.join(", ")
                ),
            ));
        }
        let spans = std::mem::take(&mut self.spans).finish();
        for run in spans.runs() {
            let event = run.event_id.unwrap_or("-");
            if run.status == RunStatus::Unfinished {
                defects.push(Defect::at(
                    "before-without-after",
                    self.position_of(run.start_index),
                    format!(
                        "BeforeAgentRun of {} (event {event}) has no AfterAgentRun or AgentError",
                        run.agent
                    ),
                ));
            }
            if run.orphan {
                defects.push(Defect::at(
                    "after-without-before",
                    self.position_of(run.end_index),
                    format!(
                        "{} of {} (event {event}) has no BeforeAgentRun",
                        if run.status == RunStatus::Error {
                            "AgentError"
                        } else {
                            "AfterAgentRun"
                        },
                        run.agent
                    ),
                ));
            }
        }
        for event in spans.events() {
            if event.end_index.is_none() {
                defects.push(Defect::at(
                    "event-without-end",
                    self.position_of(event.start_index),
                    format!(
                        "BeforeEventHandling of event {} has no AfterEventHandling",
                        event.event_id.unwrap_or("-")
                    ),
                ));
            }
        }
        for index in &spans.orphan_event_ends {
            defects.push(Defect::at(
                "event-without-start",
                self.position_of(Some(*index)),
                format!("AfterEventHandling (entry #{index}) has no BeforeEventHandling"),
            ));
        }
        defects.sort_by_key(|d| (d.line, d.column));
        defects
    }
}
