//! `agentcli diff A B`: two sessions compared.

use std::io::Write;

use anyhow::Result;

use super::load::{load, Loaded};
use super::Outcome;
use crate::analysis::diff::{diff, DiffInput};
use crate::analysis::Filter;
use crate::config::{Config, DiffConfig};
use crate::input;
use crate::output::Reporter;
use crate::render::diff::write_diff;

pub fn run(config: &Config, d: &DiffConfig, out: &mut dyn Write) -> Result<Outcome> {
    let mut reporter = Reporter::new(config.stderr_theme, 20, config.quiet);
    let filter = Filter::default();
    let a = load(
        &input::resolve(&d.a, &config.dir)?,
        &filter,
        false,
        config.redact.as_ref(),
        &mut reporter,
        None,
    )?;
    let b = load(
        &input::resolve(&d.b, &config.dir)?,
        &filter,
        false,
        config.redact.as_ref(),
        &mut reporter,
        None,
    )?;
    let result = diff(&side(&a), &side(&b));
    if d.json {
        serde_json::to_writer_pretty(&mut *out, &result)?;
        writeln!(out)?;
    } else {
        write_diff(&result, &config.text, out)?;
    }
    out.flush()?;
    let mut outcome = Outcome {
        damaged: a.report.damage > 0 || b.report.damage > 0,
    };
    if let (Some(limit), Some(pct)) = (d.fail_on_regression, result.wall_delta_pct) {
        if pct > limit {
            reporter.warn(&format!(
                "regression: {} is {pct:.1}% slower than {} (limit {limit}%)",
                result.b.session, result.a.session
            ));
            outcome.damaged = true;
        }
    }
    Ok(outcome)
}

fn side(l: &Loaded) -> DiffInput<'_> {
    DiffInput {
        session: if l.session == "-" {
            &l.name
        } else {
            &l.session
        },
        summary: &l.summary,
        spans: &l.spans,
        hops: &l.hops,
    }
}
