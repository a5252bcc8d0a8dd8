//! `agentcli diff A B`: two sessions compared.

use std::io::Write;

use anyhow::Result;

use super::load::{load, Keep, Loaded};
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
    // Both sides as diff reads them: spans and hops, no states.
    let mut load_side = |arg: &std::ffi::OsString| -> Result<Loaded> {
        let keep = Keep {
            states: false,
            hops: true,
        };
        let source = input::resolve(arg, &config.dir)?;
        load(
            &source,
            &filter,
            keep,
            config.redact.as_ref(),
            &mut reporter,
            None,
        )
    };
    let a = load_side(&d.a)?;
    let b = load_side(&d.b)?;
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
