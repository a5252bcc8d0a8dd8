//! `agentcli __complete KIND [PREFIX]`: candidates for shell completion
//! (session ids, filters, agents), one per line. Hidden: the completion
//! scripts in completions/ call it, so they follow the trace directory.
//! Fast and quiet: it never prints warnings.

use std::io::Write;

use anyhow::Result;

use super::Outcome;
use crate::analysis::SessionSummary;
use crate::config::{CompleteConfig, CompleteKind, Config};
use crate::input::{self, discover::session_id_of, Diagnostic, EntrySink, ParseOptions, Source};
use crate::model::{Entry, Hook};

/// How many of the newest sessions agent names are read from.
const AGENT_SOURCES: usize = 30;

struct Agents(SessionSummary);

impl EntrySink for Agents {
    fn entry(&mut self, entry: &mut Entry) -> Result<()> {
        self.0.add(entry);
        Ok(())
    }
    fn problem(&mut self, _problem: Diagnostic) {}
}

/// Agent names from the newest sessions under the directory.
fn agents(config: &Config) -> Vec<String> {
    let mut files = input::find_traces(&config.dir, None).files;
    // One stat per file, not one per comparison.
    files.sort_by_cached_key(|p| {
        std::cmp::Reverse(std::fs::metadata(p).and_then(|m| m.modified()).ok())
    });
    let mut names: Vec<String> = Vec::new();
    for path in files.into_iter().take(AGENT_SOURCES) {
        let Ok(reader) = Source::File(path).open() else {
            continue;
        };
        let mut sink = Agents(SessionSummary::default());
        if input::read_all(reader, ParseOptions::lean(), &mut sink).is_ok() {
            for a in sink.0.agents {
                if !names.contains(&a) {
                    names.push(a);
                }
            }
        }
    }
    names.sort();
    names
}

pub fn run(config: &Config, complete: &CompleteConfig, out: &mut dyn Write) -> Result<Outcome> {
    let prefix = complete.prefix.as_str();
    let mut candidates: Vec<String> = match complete.kind {
        CompleteKind::Sessions => {
            let mut ids: Vec<String> = input::find_traces(&config.dir, None)
                .files
                .iter()
                .map(|p| session_id_of(p))
                .collect();
            ids.sort();
            ids.dedup();
            ids
        }
        CompleteKind::Agents => agents(config),
        CompleteKind::Filters => {
            let (negate, rest) = match prefix.strip_prefix('!') {
                Some(r) => ("!", r),
                None => ("", prefix),
            };
            if rest.starts_with("hook=") {
                Hook::KNOWN
                    .iter()
                    .map(|h| format!("{negate}hook={h}"))
                    .collect()
            } else if rest.starts_with("agent=")
                || rest.starts_with("source=")
                || rest.starts_with("target=")
            {
                let key = &rest[..rest.find('=').unwrap_or(0) + 1];
                agents(config)
                    .into_iter()
                    .map(|a| format!("{negate}{key}{a}"))
                    .collect()
            } else {
                [
                    "agent=", "hook=", "event=", "session=", "source=", "target=", "error",
                    "error=", "!error",
                ]
                .iter()
                .map(|k| k.to_string())
                .collect()
            }
        }
    };
    candidates.retain(|c| c.starts_with(prefix));
    for c in candidates {
        // One per line; a name with a line break would break the shell's
        // parsing, so it is left out.
        if !c.contains('\n') {
            writeln!(out, "{c}")?;
        }
    }
    Ok(Outcome::default())
}
