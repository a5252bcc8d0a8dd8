//! `agentcli stats`: per-agent runs, errors, timing and tokens over every
//! matching session under the trace directory.

use std::io::Write;

use anyhow::Result;

use super::load::{load_each, Keep};
use super::Outcome;
use crate::analysis::analyze::AgentTally;
use crate::config::{Config, StatsConfig};
use crate::output::Reporter;
use crate::render::stats::{render_stats, StatsRow};

pub fn run(config: &Config, stats: &StatsConfig, out: &mut dyn Write) -> Result<Outcome> {
    let mut reporter = Reporter::new(config.stderr_theme, 20, config.quiet);
    let mut outcome = Outcome::default();
    let files = super::list_traces(
        &config.dir,
        stats.glob.as_ref(),
        &mut reporter,
        &mut outcome,
    )?;
    let mut tally = AgentTally::default();
    // (agent, sessions it ran in)
    let mut sessions_of: Vec<(String, u64)> = Vec::new();
    let mut matched = 0;
    let filter = &stats.filter;
    let redact = config.redact.as_ref();
    let unreadable = load_each(
        &files,
        filter,
        Keep::default(),
        redact,
        &mut reporter,
        |loaded| {
            outcome.damaged |= loaded.report.damage > 0;
            if !loaded.summary.started_in(&stats.time) {
                return Ok(());
            }
            let wanted =
                |agent: &str| stats.agents.is_empty() || stats.agents.iter().any(|a| a == agent);
            if !stats.agents.is_empty() && !loaded.spans.runs().any(|r| wanted(r.agent)) {
                return Ok(());
            }
            matched += 1;
            let mut seen: Vec<&str> = Vec::new();
            for r in loaded.spans.runs().filter(|r| wanted(r.agent)) {
                if !seen.contains(&r.agent) {
                    seen.push(r.agent);
                    match sessions_of.iter_mut().find(|(a, _)| *a == r.agent) {
                        Some(slot) => slot.1 += 1,
                        None => sessions_of.push((r.agent.to_string(), 1)),
                    }
                }
                tally.add(&r);
            }
            Ok(())
        },
    )?;
    outcome.damaged |= unreadable;
    if matched == 0 {
        reporter.note(&format!(
            "no sessions {} in '{}'",
            if files.is_empty() { "found" } else { "match" },
            crate::render::text::escape(&config.dir.display().to_string())
        ));
    }
    let rows: Vec<StatsRow> = tally
        .finish(None)
        .into_iter()
        .map(|s| StatsRow {
            sessions: sessions_of
                .iter()
                .find(|(a, _)| *a == s.agent)
                .map_or(0, |x| x.1),
            stats: s,
        })
        .collect();
    render_stats(&rows, stats.format, config.text, out)?;
    out.flush()?;
    Ok(outcome)
}
