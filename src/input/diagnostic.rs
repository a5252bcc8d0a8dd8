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
    /// A second place the message names, and where its `line:column`
    /// text is in the message (so that [`Diagnostic::shift_lines`] moves
    /// it too).
    #[serde(skip)]
    inner: Option<(Position, std::ops::Range<usize>)>,
}

impl Diagnostic {
    pub fn new(kind: ProblemKind, position: Position, message: impl Into<String>) -> Self {
        Diagnostic {
            kind,
            position,
            message: message.into(),
            inner: None,
        }
    }

    /// A diagnostic whose message names a second place, `inner`, as
    /// `line:column` between `before` and `after`.
    pub fn naming(
        kind: ProblemKind,
        position: Position,
        before: &str,
        inner: Position,
        after: &str,
    ) -> Self {
        let at = inner.to_string();
        let range = before.len()..before.len() + at.len();
        Diagnostic {
            kind,
            position,
            message: format!("{before}{at}{after}"),
            inner: Some((inner, range)),
        }
    }

    /// The same problem `lines` lines further down (for a reader that
    /// counted lines from the start of a block, not of the file).
    pub fn shift_lines(&mut self, lines: u64) {
        self.position.line += lines;
        if let Some((inner, range)) = &mut self.inner {
            // Only where the message still holds the place's text (the
            // message is open to change).
            if self.message.get(range.clone()) == Some(inner.to_string().as_str()) {
                inner.line += lines;
                let at = inner.to_string();
                self.message.replace_range(range.clone(), &at);
                *range = range.start..range.start + at.len();
            }
        }
    }
}
