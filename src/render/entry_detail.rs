//! `trace --at N`: one entry in full (every field, state, result, unknown
//! keys), and what its state changed compared with the previous state of
//! the same event, else of the same agent.

use std::collections::HashMap;
use std::io::{self, Write};

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::entry_record::EntryRecord;
use super::record::record_json;
use super::style::Role;
use super::text::{escape, truncate};
use super::{EntryRenderer, TextOptions, TraceContext};
use crate::analysis::state_diff::{compare, keys_of, resulting_state, KeyChange};
use crate::model::{Entry, Hook, Text};

/// What the entry is compared with.
#[derive(Debug, Clone, Serialize)]
struct Previous {
    index: u64,
    /// "event" or "agent".
    same: &'static str,
}

#[derive(Serialize)]
struct Detail {
    index: u64,
    line: u64,
    column: u64,
    entry: Box<RawValue>,
    previous: Option<Previous>,
    changes: Vec<KeyChange>,
}

pub struct EntryDetail {
    options: TextOptions,
    json: bool,
    at: u64,
    by_event: HashMap<Option<Text>, (u64, Map<String, Value>)>,
    by_agent: HashMap<String, (u64, Map<String, Value>)>,
    found: Option<(Entry, Option<Previous>, Vec<KeyChange>)>,
}

impl EntryDetail {
    pub fn new(options: TextOptions, at: u64, json: bool) -> Self {
        EntryDetail {
            options,
            json,
            at,
            by_event: HashMap::new(),
            by_agent: HashMap::new(),
            found: None,
        }
    }
}

impl EntryRenderer for EntryDetail {
    fn entry(&mut self, e: &Entry, _out: &mut dyn Write) -> io::Result<()> {
        if self.found.is_some() {
            return Ok(());
        }
        let keys = resulting_state(e).and_then(keys_of);
        if e.index == self.at {
            let previous = self
                .by_event
                .get(&e.event_id)
                .map(|p| (p, "event"))
                .or_else(|| {
                    e.agent()
                        .and_then(|a| self.by_agent.get(a))
                        .map(|p| (p, "agent"))
                });
            let (prev, changes) = match (previous, &keys) {
                (Some(((index, before), same)), Some(after)) => (
                    Some(Previous {
                        index: *index,
                        same,
                    }),
                    compare(before, after),
                ),
                (Some(((index, _), same)), None) => (
                    Some(Previous {
                        index: *index,
                        same,
                    }),
                    Vec::new(),
                ),
                (None, _) => (None, Vec::new()),
            };
            self.found = Some((e.clone(), prev, changes));
            return Ok(());
        }
        if let Some(keys) = keys {
            if let Some(agent) = e.agent() {
                self.by_agent
                    .insert(agent.to_string(), (e.index, keys.clone()));
            }
            self.by_event.insert(e.event_id.clone(), (e.index, keys));
        }
        // A handled event is over; its state is no longer needed.
        if e.hook == Hook::AfterEventHandling {
            self.by_event.remove(&e.event_id);
        }
        Ok(())
    }

    fn finish(&mut self, ctx: &TraceContext<'_>, out: &mut dyn Write) -> io::Result<()> {
        let Some((e, previous, changes)) = self.found.take() else {
            return Err(io::Error::other(format!(
                "no entry #{} in '{}' ({} entries)",
                self.at, ctx.source, ctx.summary.entries
            )));
        };
        if self.json {
            let entry = RawValue::from_string(record_json(&EntryRecord::new(&e)))
                .map_err(io::Error::other)?;
            let detail = Detail {
                index: e.index,
                line: e.position.line,
                column: e.position.column,
                entry,
                previous,
                changes,
            };
            serde_json::to_writer_pretty(&mut *out, &detail)?;
            return writeln!(out);
        }
        let theme = self.options.theme;
        writeln!(
            out,
            "{} {} {}",
            theme.paint(&format!("Entry #{}", e.index), Role::Header),
            theme.paint(
                &format!("of session {}", escape(ctx.session)),
                Role::Emphasis
            ),
            theme.paint(
                &format!("({}:{})", escape(ctx.source), e.position),
                Role::Dim
            )
        )?;
        let field = |out: &mut dyn Write, name: &str, value: Option<&str>| -> io::Result<()> {
            writeln!(
                out,
                "  {}  {}",
                theme.paint(&format!("{name:<10}"), Role::Dim),
                value.map_or("-".to_string(), |v| escape(v).into_owned())
            )
        };
        field(out, "timestamp", e.timestamp_text().as_deref())?;
        let hook = if e.hook_derived {
            format!("{} (from type)", e.hook)
        } else {
            e.hook.to_string()
        };
        field(out, "hook", Some(&hook))?;
        field(out, "agent", e.agent_id.as_deref())?;
        field(out, "event", e.event_id.as_deref())?;
        field(out, "session", e.session_id.as_deref())?;
        field(out, "source", e.source_agent_id.as_deref())?;
        field(out, "target", e.target_agent_id.as_deref())?;
        field(out, "route", e.route())?;
        field(out, "error", e.error())?;
        field(
            out,
            "duration",
            e.duration_ms().map(|d| format!("{d}ms")).as_deref(),
        )?;
        for (label, text) in super::state::details(&e) {
            if label == "result" {
                continue;
            }
            writeln!(out, "{}", theme.paint(&format!("{label}:"), Role::Header))?;
            for line in text.lines() {
                writeln!(out, "  {}", escape(line))?;
            }
        }
        match previous {
            None => writeln!(
                out,
                "{}",
                theme.paint(
                    "no earlier state of this event or agent to compare with",
                    Role::Dim
                )
            )?,
            Some(p) => {
                writeln!(
                    out,
                    "{}",
                    theme.paint(
                        &format!("Changes since entry #{} (same {}):", p.index, p.same),
                        Role::Header
                    )
                )?;
                if changes.is_empty() {
                    writeln!(out, "  (none)")?;
                }
                let room = self.options.width.saturating_sub(4);
                for c in &changes {
                    let show = |v: &Option<Value>| {
                        v.as_ref()
                            .map_or(String::new(), |v| escape(&v.to_string()).into_owned())
                    };
                    let text = match c.change {
                        crate::analysis::state_diff::Change::Added => {
                            format!("+ {}: {}", c.key, show(&c.after))
                        }
                        crate::analysis::state_diff::Change::Removed => {
                            format!("- {}: {}", c.key, show(&c.before))
                        }
                        crate::analysis::state_diff::Change::Changed => {
                            format!("~ {}: {} → {}", c.key, show(&c.before), show(&c.after))
                        }
                    };
                    let role = match c.change.sign() {
                        '+' => Role::Good,
                        '-' => Role::Error,
                        _ => Role::Warning,
                    };
                    writeln!(
                        out,
                        "  {}",
                        theme.paint(&truncate(&escape(&text), room), role)
                    )?;
                }
            }
        }
        Ok(())
    }
}
