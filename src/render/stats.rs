//! `stats`: per-agent figures over many sessions, as a table or records.

use std::borrow::Cow;
use std::io::{self, Write};

use super::record::{CsvWriter, JsonWriter, Record, Value};
use super::style::Role;
use super::table::{write_table, Cell, Column};
use super::text::{escape, human_ms};
use super::{ListFormat, TextOptions};
use crate::analysis::analyze::AgentStats;

/// One row: an agent over the sessions it ran in.
pub struct StatsRow {
    pub stats: AgentStats,
    pub sessions: u64,
}

pub const STATS_COLUMNS: &[&str] = &[
    "agent",
    "sessions",
    "runs",
    "errors",
    "error_rate",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "max_ms",
    "total_ms",
    "mean_wait_ms",
    "tokens_input",
    "tokens_output",
    "tokens_total",
];

impl Record for StatsRow {
    fn columns(&self) -> &'static [&'static str] {
        STATS_COLUMNS
    }

    fn values(&self) -> Vec<Value<'_>> {
        let s = &self.stats;
        let opt = |v: Option<f64>| v.map_or(Value::Null, Value::Float);
        vec![
            Value::Str(Cow::Borrowed(&s.agent)),
            Value::Int(self.sessions as i64),
            Value::Int(s.runs as i64),
            Value::Int(s.errors as i64),
            Value::Float(s.error_rate),
            opt(s.p50_ms),
            opt(s.p95_ms),
            opt(s.p99_ms),
            opt(s.max_ms),
            Value::Float(s.total_ms),
            opt(s.mean_wait_ms),
            Value::Int(s.tokens.input as i64),
            Value::Int(s.tokens.output as i64),
            Value::Int(s.tokens.total as i64),
        ]
    }
}

pub fn render_stats(
    rows: &[StatsRow],
    format: ListFormat,
    options: TextOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        ListFormat::Json | ListFormat::Jsonl => {
            let mut w = JsonWriter::new(format == ListFormat::Json);
            w.begin(out)?;
            for r in rows {
                w.record(r, out)?;
            }
            w.finish(out)
        }
        ListFormat::Csv => {
            let mut w = CsvWriter::new(options.formula_guard);
            w.header(STATS_COLUMNS, out)?;
            for r in rows {
                w.record(r, out)?;
            }
            Ok(())
        }
        ListFormat::Table => {
            let theme = options.theme;
            let columns = [
                Column::new("AGENT", 5, 24),
                Column::new("SESSIONS", 4, 8).optional(),
                Column::new("RUNS", 4, 9),
                Column::new("ERRORS", 4, 8),
                Column::new("ERR%", 4, 6).optional(),
                Column::new("P50", 5, 9),
                Column::new("P95", 5, 9).optional(),
                Column::new("P99", 5, 9).optional(),
                Column::new("MAX", 5, 9),
                Column::new("TOKENS", 6, 12).optional(),
            ];
            let cells: Vec<Vec<Cell>> = rows
                .iter()
                .map(|r| {
                    let s = &r.stats;
                    vec![
                        Cell::styled(escape(&s.agent).into_owned(), Role::Agent),
                        Cell::number(r.sessions.to_string()),
                        Cell::number(s.runs.to_string()),
                        if s.errors > 0 {
                            Cell::styled(s.errors.to_string(), Role::Error).right()
                        } else {
                            Cell::styled("0", Role::Dim).right()
                        },
                        Cell::number(format!("{:.0}%", s.error_rate * 100.0)),
                        Cell::number(human_ms(s.p50_ms)),
                        Cell::number(human_ms(s.p95_ms)),
                        Cell::number(human_ms(s.p99_ms)),
                        Cell::number(human_ms(s.max_ms)),
                        Cell::number(if s.tokens.total == 0 {
                            "-".to_string()
                        } else {
                            s.tokens.total.to_string()
                        }),
                    ]
                })
                .collect();
            write_table(out, &columns, &cells, options.width, theme)?;
            Ok(())
        }
    }
}
