//! Problems found while reading a trace, each with its place in the file.

use crate::model::Position;

/// What kind of problem the reader met; later commands (validate) group by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ProblemKind {
    /// The last entry stops before its end: the session is still being
    /// written, or its writer stopped mid-entry. The normal state of a live
    /// file, so it does not count as damage.
    IncompleteTail,
    /// An entry stops before its end and another one follows it.
    CutOffEntry,
    /// Bytes between entries that belong to no entry.
    Garbage,
    /// An entry's text is not valid JSON.
    InvalidJson,
    /// A JSON object that has none of the keys of a trace entry.
    NotAnEntry,
    /// One field had the wrong type or an unreadable value; the rest of the
    /// entry was kept.
    BadField,
    /// Bytes that are not UTF-8, read as U+FFFD.
    InvalidUtf8,
    /// A raw control character inside a string, read as its escape.
    ControlCharacter,
}

impl ProblemKind {
    /// Whether the problem means the file is damaged (as opposed to merely
    /// being written right now).
    pub fn is_damage(self) -> bool {
        self != ProblemKind::IncompleteTail
    }
}

/// One problem, at a position in the input.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Diagnostic {
    pub kind: ProblemKind,
    pub position: Position,
    pub message: String,
}

impl Diagnostic {
    pub fn new(kind: ProblemKind, position: Position, message: impl Into<String>) -> Self {
        Diagnostic {
            kind,
            position,
            message: message.into(),
        }
    }
}
