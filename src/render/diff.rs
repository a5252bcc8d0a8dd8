//! `diff A B` for people: what changed, worse in red, better in green.

use std::io::{self, Write};

use super::style::{Role, Theme};
use super::table::{write_table, Cell, Column};
use super::text::{escape, human_duration, human_ms, strip_ansi, width};
use super::TextOptions;
use crate::analysis::diff::{HopStep, SessionDiff};

/// `+1.290s (+10.1%)`, signed.
fn delta_ms(d: f64, pct: Option<f64>) -> String {
    let sign = if d >= 0.0 { "+" } else { "-" };
    let mut s = format!("{sign}{}", human_duration(d.abs().round() as i64));
    if let Some(p) = pct {
        s.push_str(&format!(" ({}{:.1}%)", if p >= 0.0 { "+" } else { "" }, p));
    }
    s
}

/// Worse (slower, more errors) is red, better green, no change dim.
fn role_of(delta: f64) -> Role {
    if delta > 0.0 {
        Role::Error
    } else if delta < 0.0 {
        Role::Good
    } else {
        Role::Dim
    }
}

fn hop(h: &Option<HopStep>) -> String {
    match h {
        None => "(route ended)".to_string(),
        Some(h) => {
            let next = h
                .next
                .as_deref()
                .map_or("(end)".to_string(), |n| escape(n).into_owned());
            let kind = if h.kind == "handoff" {
                String::new()
            } else {
                format!(" [{}]", h.kind)
            };
            format!("{} → {next}{kind}", escape(&h.agent))
        }
    }
}

pub fn write_diff(d: &SessionDiff, options: &TextOptions, out: &mut dyn Write) -> io::Result<()> {
    let theme: Theme = options.theme;
    writeln!(
        out,
        "{} {} → {}",
        theme.paint("Diff of session", Role::Header),
        theme.paint(&escape(&d.a.session), Role::Emphasis),
        theme.paint(&escape(&d.b.session), Role::Emphasis)
    )?;
    let wall = match d.wall_delta_ms {
        Some(delta) => format!(
            "wall {} → {}  {}",
            human_ms(d.a.wall_ms),
            human_ms(d.b.wall_ms),
            theme.paint(&delta_ms(delta, d.wall_delta_pct), role_of(delta))
        ),
        None => format!("wall {} → {}", human_ms(d.a.wall_ms), human_ms(d.b.wall_ms)),
    };
    writeln!(out, "  {wall}")?;
    let mut facts = vec![
        format!("runs {} → {}", d.a.runs, d.b.runs),
        theme
            .paint(
                &format!("errors {} → {}", d.a.errors, d.b.errors),
                role_of(d.b.errors as f64 - d.a.errors as f64),
            )
            .into_owned(),
    ];
    if let Some(t) = d.tokens_delta {
        let (x, y) = (
            d.a.tokens.map_or(0, |t| t.total),
            d.b.tokens.map_or(0, |t| t.total),
        );
        facts.push(
            theme
                .paint(&format!("tokens {x} → {y} ({t:+})"), role_of(t as f64))
                .into_owned(),
        );
    }
    super::text::write_facts(&facts, options.width, out)?;

    writeln!(out)?;
    match &d.divergence {
        None => writeln!(
            out,
            "{} identical ({} hops)",
            theme.paint("Route:", Role::Header),
            d.a.hops
        )?,
        Some(div) if div.at_hop == 1 => {
            writeln!(
                out,
                "{} diverges at the first hop:",
                theme.paint("Route:", Role::Header)
            )?;
            writeln!(out, "  A      {}", theme.paint(&hop(&div.a), Role::Warning))?;
            writeln!(out, "  B      {}", theme.paint(&hop(&div.b), Role::Warning))?;
        }
        Some(div) => {
            writeln!(
                out,
                "{} the same for {} hop{}, then diverges at hop {}:",
                theme.paint("Route:", Role::Header),
                div.at_hop - 1,
                if div.at_hop == 2 { "" } else { "s" },
                div.at_hop
            )?;
            if let Some(after) = &div.after {
                writeln!(out, "  after  {}", hop(&Some(after.clone())))?;
            }
            writeln!(out, "  A      {}", theme.paint(&hop(&div.a), Role::Warning))?;
            writeln!(out, "  B      {}", theme.paint(&hop(&div.b), Role::Warning))?;
        }
    }
    if !d.agents_added.is_empty() || !d.agents_removed.is_empty() {
        let mut parts = Vec::new();
        for a in &d.agents_added {
            parts.push(
                theme
                    .paint(&format!("+ {} (only in B)", escape(a)), Role::Good)
                    .into_owned(),
            );
        }
        for a in &d.agents_removed {
            parts.push(
                theme
                    .paint(&format!("- {} (only in A)", escape(a)), Role::Error)
                    .into_owned(),
            );
        }
        let one_line: usize = parts
            .iter()
            .map(|p| width(&strip_ansi(p)) + 3)
            .sum::<usize>()
            + 8;
        if one_line <= options.width {
            writeln!(
                out,
                "{} {}",
                theme.paint("Agents:", Role::Header),
                parts.join(" · ")
            )?;
        } else {
            writeln!(out, "{}", theme.paint("Agents:", Role::Header))?;
            for p in parts {
                writeln!(out, "  {p}")?;
            }
        }
    }

    writeln!(out, "\n{}", theme.paint("Per agent:", Role::Header))?;
    let columns = [
        Column::new("AGENT", 5, 24),
        Column::new("RUNS", 6, 11),
        Column::new("ERRORS", 6, 11),
        Column::new("P50 A", 6, 9).optional(),
        Column::new("P50 B", 6, 9).optional(),
        Column::new("TOTAL A", 7, 9),
        Column::new("TOTAL B", 7, 9),
        Column::new("Δ TOTAL", 7, 12),
    ];
    let rows: Vec<Vec<Cell>> = d
        .agents
        .iter()
        .map(|a| {
            let delta = a.total_ms_b - a.total_ms_a;
            vec![
                Cell::styled(escape(&a.agent).into_owned(), Role::Agent),
                Cell::number(format!("{} → {}", a.runs_a, a.runs_b)),
                Cell::styled(
                    format!("{} → {}", a.errors_a, a.errors_b),
                    role_of(a.errors_b as f64 - a.errors_a as f64),
                )
                .right(),
                Cell::number(human_ms(a.p50_ms_a)),
                Cell::number(human_ms(a.p50_ms_b)),
                Cell::number(human_ms(Some(a.total_ms_a))),
                Cell::number(human_ms(Some(a.total_ms_b))),
                Cell::styled(delta_ms(delta, None), role_of(delta)).right(),
            ]
        })
        .collect();
    write_table(out, &columns, &rows, options.width, theme)?;

    if !d.errors_appeared.is_empty() || !d.errors_disappeared.is_empty() {
        writeln!(out, "\n{}", theme.paint("Errors:", Role::Header))?;
        for e in &d.errors_appeared {
            writeln!(
                out,
                "  {} {}: {} (×{} in B)",
                theme.paint("+", Role::Error),
                escape(&e.agent),
                escape(&e.error),
                e.count_b
            )?;
        }
        for e in &d.errors_disappeared {
            writeln!(
                out,
                "  {} {}: {} (×{} in A, gone in B)",
                theme.paint("-", Role::Good),
                escape(&e.agent),
                escape(&e.error),
                e.count_a
            )?;
        }
    }
    Ok(())
}
