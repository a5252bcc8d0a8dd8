//! The filter grammar every view shares.
//!
//! ```text
//! FILTER := KEY=VALUE[,VALUE…] | KEY!=VALUE[,VALUE…] | error | NAME
//! KEY    := agent | hook | event | session | source | target | error
//! ```
//! Filters given together must all match. A bare NAME means `agent=NAME`.

use std::fmt;

use super::time_range::TimeRange;
use crate::model::{Entry, Hook};

/// The grammar, for error messages and help.
pub const GRAMMAR: &str = "filters are KEY=VALUE[,VALUE…] or KEY!=VALUE[,VALUE…] with KEY one of \
agent, hook, event, session, source, target, error; or `error` alone (entries with an error); \
or a bare agent name; `!error` and `!NAME` negate";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Agent,
    Hook,
    Event,
    Session,
    Source,
    Target,
    /// `error=TEXT`: the error contains TEXT (case-insensitive).
    ErrorText,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Test {
    /// KEY=VALUES (or KEY!=VALUES when `negate`).
    Field {
        key: Key,
        values: Vec<String>,
        negate: bool,
    },
    /// `error`: the entry carries an error.
    HasError,
    /// `!error`: it does not.
    NoError,
}

/// One `--filter` expression, as the user wrote it and as parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    text: String,
    test: Test,
}

/// Why a filter expression was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    pub expr: String,
    pub reason: String,
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid filter '{}': {}\nhint: {GRAMMAR}",
            self.expr, self.reason
        )
    }
}

impl std::error::Error for FilterError {}

impl Condition {
    pub fn parse(expr: &str) -> Result<Condition, FilterError> {
        let err = |reason: &str| FilterError {
            expr: expr.to_string(),
            reason: reason.to_string(),
        };
        let trimmed = expr.trim();
        if trimmed.is_empty() {
            return Err(err("it is empty"));
        }
        let Some(eq) = trimmed.find('=') else {
            // `!error`: no error; `!NAME`: not that agent.
            let (negate, word) = match trimmed.strip_prefix('!') {
                Some(rest) if !rest.trim().is_empty() => (true, rest.trim()),
                Some(_) => return Err(err("'!' needs something to negate")),
                None => (false, trimmed),
            };
            let test = if word.eq_ignore_ascii_case("error") {
                if negate {
                    Test::NoError
                } else {
                    Test::HasError
                }
            } else {
                Test::Field {
                    key: Key::Agent,
                    values: vec![word.to_string()],
                    negate,
                }
            };
            return Ok(Condition {
                text: trimmed.to_string(),
                test,
            });
        };
        let (mut key_text, value_text) = (&trimmed[..eq], &trimmed[eq + 1..]);
        let negate = key_text.ends_with('!');
        if negate {
            key_text = &key_text[..key_text.len() - 1];
        }
        let key = match key_text.trim().to_ascii_lowercase().as_str() {
            "agent" | "agent_id" => Key::Agent,
            "hook" => Key::Hook,
            "event" | "event_id" => Key::Event,
            "session" | "session_id" => Key::Session,
            "source" | "source_agent_id" => Key::Source,
            "target" | "target_agent_id" => Key::Target,
            "error" => Key::ErrorText,
            "" => return Err(err("the key before '=' is missing")),
            other => return Err(err(&format!("unknown key '{other}'"))),
        };
        let values: Vec<String> = value_text
            .split(',')
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect();
        if values.is_empty() {
            return Err(err("the value after '=' is missing"));
        }
        Ok(Condition {
            text: trimmed.to_string(),
            test: Test::Field {
                key,
                values,
                negate,
            },
        })
    }

    pub fn matches(&self, e: &Entry) -> bool {
        self.matches_with_next(e, None)
    }

    /// Like [`Condition::matches`], for a flow hop: `agent=` also matches
    /// the agent the hop goes to.
    pub fn matches_with_next(&self, e: &Entry, next: Option<&str>) -> bool {
        match &self.test {
            Test::HasError => e.error().is_some(),
            Test::NoError => e.error().is_none(),
            Test::Field {
                key,
                values,
                negate,
            } => {
                let hit = match key {
                    Key::Agent => any_equal(values, e.agent()) || any_equal(values, next),
                    Key::Hook => values
                        .iter()
                        .any(|v| v.eq_ignore_ascii_case(e.hook.as_str())),
                    Key::Event => e
                        .event_id
                        .as_deref()
                        .is_some_and(|id| values.iter().any(|v| id.starts_with(v.as_str()))),
                    Key::Session => any_equal(values, e.session_id.as_deref()),
                    Key::Source => any_equal(values, e.source_agent_id.as_deref()),
                    Key::Target => any_equal(values, e.target_agent_id.as_deref()),
                    Key::ErrorText => e.error().is_some_and(|msg| {
                        let msg = msg.to_lowercase();
                        values.iter().any(|v| msg.contains(&v.to_lowercase()))
                    }),
                };
                hit != *negate
            }
        }
    }
}

fn any_equal(values: &[String], field: Option<&str>) -> bool {
    field.is_some_and(|f| values.iter().any(|v| v == f))
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// All the conditions of a view plus its time cut; an entry passes when
/// every part matches.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub conditions: Vec<Condition>,
    pub time: TimeRange,
}

impl Filter {
    pub fn is_empty(&self) -> bool {
        self.conditions.is_empty() && self.time.is_unbounded()
    }

    pub fn matches(&self, e: &Entry) -> bool {
        if !self.time.is_unbounded() && !self.time.contains(&e.timestamp) {
            return false;
        }
        self.conditions.iter().all(|c| c.matches(e))
    }

    /// Whether the hop that `e` gave (going to `next`) passes: as for
    /// entries, except that `agent=` keeps hops from or to the agent.
    pub fn matches_hop(&self, e: &Entry, next: Option<&str>) -> bool {
        if !self.time.is_unbounded() && !self.time.contains(&e.timestamp) {
            return false;
        }
        self.conditions.iter().all(|c| c.matches_with_next(e, next))
    }

    /// What a bare word that names none of `agents` (the session's) more
    /// likely meant, for the note that nothing matched: `errors` for
    /// `error`, a hook's name for `hook=`, a near spelling of an agent (as
    /// near spellings of session ids are found).
    pub fn hint(&self, agents: &[String]) -> Option<String> {
        self.conditions.iter().find_map(|c| {
            let Test::Field {
                key: Key::Agent,
                values,
                negate,
            } = &c.test
            else {
                return None;
            };
            let [word] = values.as_slice() else {
                return None;
            };
            if c.text.contains('=') || agents.contains(word) {
                return None;
            }
            let bang = if *negate { "!" } else { "" };
            let lower = word.to_ascii_lowercase();
            if ["errors", "err", "fail", "failed", "failure", "failures"].contains(&lower.as_str())
            {
                return Some(format!(
                    "`--filter {bang}error` keeps entries {}an error",
                    if *negate { "without " } else { "with " }
                ));
            }
            if let Some(hook) = Hook::KNOWN
                .iter()
                .find(|h| h.as_str().eq_ignore_ascii_case(word))
            {
                return Some(format!("'{word}' is a hook: `--filter hook{bang}={hook}`"));
            }
            crate::input::closest(word, agents, 1)
                .pop()
                .map(|agent| format!("did you mean `--filter {bang}{agent}`?"))
        })
    }

    /// The filter as the user could type it again, for messages.
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = self
            .conditions
            .iter()
            .map(|c| format!("--filter {c}"))
            .collect();
        parts.extend(self.time.describe());
        parts.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Hook;

    fn entry(agent: &str, hook: Hook, error: Option<&str>) -> Entry {
        Entry {
            agent_id: Some(agent.into()),
            hook,
            error: error.map(Into::into),
            event_id: Some("req-17461596-planner".into()),
            ..Entry::default()
        }
    }

    fn matches(expr: &str, e: &Entry) -> bool {
        Condition::parse(expr).unwrap().matches(e)
    }

    #[test]
    fn agent_filter_takes_alternatives_and_bare_names() {
        let e = entry("writer", Hook::AfterAgentRun, None);
        assert!(matches("agent=writer", &e));
        assert!(matches("agent=planner,writer", &e));
        assert!(matches("writer", &e));
        assert!(!matches("agent=planner", &e));
        assert!(matches("agent!=planner", &e));
    }

    #[test]
    fn hops_match_agents_they_come_from_or_go_to() {
        let e = entry("planner", Hook::AfterAgentRun, None);
        let c = Condition::parse("agent=writer").unwrap();
        assert!(c.matches_with_next(&e, Some("writer")));
        assert!(!c.matches_with_next(&e, Some("reviewer")));
        let not = Condition::parse("agent!=writer").unwrap();
        assert!(!not.matches_with_next(&e, Some("writer")));
    }

    #[test]
    fn hook_is_case_insensitive_and_event_matches_prefix() {
        let e = entry("a", Hook::AgentError, Some("boom"));
        assert!(matches("hook=agenterror", &e));
        assert!(matches("event=req-17461596", &e));
        assert!(!matches("event=req-999", &e));
    }

    #[test]
    fn bang_negates_error_and_names() {
        let ok = entry("a", Hook::AfterAgentRun, None);
        let bad = entry("b", Hook::AgentError, Some("x"));
        assert!(matches("!error", &ok) && !matches("!error", &bad));
        assert!(matches("!b", &ok) && !matches("!b", &bad));
        assert!(Condition::parse("!").is_err());
    }

    #[test]
    fn error_filters() {
        let ok = entry("a", Hook::AfterAgentRun, None);
        let bad = entry("a", Hook::AgentError, Some("Rate limit exceeded"));
        assert!(!matches("error", &ok));
        assert!(matches("error", &bad));
        assert!(matches("error=rate LIMIT", &bad));
    }

    #[test]
    fn rejects_bad_expressions_with_the_grammar() {
        for bad in ["", "colour=red", "agent=", "=x", "agent=,"] {
            let e = Condition::parse(bad).unwrap_err();
            assert!(e.to_string().contains("hint: filters are"), "{e}");
        }
    }
}
