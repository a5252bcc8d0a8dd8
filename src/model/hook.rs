//! Hook points, including names this version does not know.

use std::fmt;

/// The hook point an entry was logged at.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub enum Hook {
    BeforeEventHandling,
    BeforeAgentRun,
    AfterAgentRun,
    AgentError,
    AfterEventHandling,
    /// A hook name from another version of AgenticGoKit; kept as written.
    Other(String),
    /// Neither `hook` nor a known `type` was present.
    #[default]
    Unknown,
}

impl Hook {
    pub const KNOWN: [Hook; 5] = [
        Hook::BeforeEventHandling,
        Hook::BeforeAgentRun,
        Hook::AfterAgentRun,
        Hook::AgentError,
        Hook::AfterEventHandling,
    ];

    /// The hook named `name` as written in a file (exact spelling).
    pub fn from_name(name: &str) -> Hook {
        match name {
            "BeforeEventHandling" => Hook::BeforeEventHandling,
            "BeforeAgentRun" => Hook::BeforeAgentRun,
            "AfterAgentRun" => Hook::AfterAgentRun,
            "AgentError" => Hook::AgentError,
            "AfterEventHandling" => Hook::AfterEventHandling,
            "" => Hook::Unknown,
            other => Hook::Other(other.to_string()),
        }
    }

    /// The hook older writers meant with `type`; `has_error` turns an
    /// `agent_end` into AgentError.
    pub fn from_type(kind: &str, has_error: bool) -> Option<Hook> {
        Some(match kind {
            "event_start" => Hook::BeforeEventHandling,
            "event_end" => Hook::AfterEventHandling,
            "agent_start" => Hook::BeforeAgentRun,
            "agent_end" if has_error => Hook::AgentError,
            "agent_end" => Hook::AfterAgentRun,
            _ => return None,
        })
    }

    pub fn as_str(&self) -> &str {
        match self {
            Hook::BeforeEventHandling => "BeforeEventHandling",
            Hook::BeforeAgentRun => "BeforeAgentRun",
            Hook::AfterAgentRun => "AfterAgentRun",
            Hook::AgentError => "AgentError",
            Hook::AfterEventHandling => "AfterEventHandling",
            Hook::Other(name) => name,
            Hook::Unknown => "",
        }
    }
}

impl fmt::Display for Hook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for h in Hook::KNOWN {
            assert_eq!(Hook::from_name(h.as_str()), h);
        }
        assert_eq!(
            Hook::from_name("OnToolCall"),
            Hook::Other("OnToolCall".into())
        );
    }

    #[test]
    fn type_maps_to_hook_and_errors_make_agent_error() {
        assert_eq!(
            Hook::from_type("event_start", false),
            Some(Hook::BeforeEventHandling)
        );
        assert_eq!(Hook::from_type("agent_end", true), Some(Hook::AgentError));
        assert_eq!(
            Hook::from_type("agent_end", false),
            Some(Hook::AfterAgentRun)
        );
        assert_eq!(Hook::from_type("", false), None);
    }
}
