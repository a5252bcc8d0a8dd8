//! `list`: one row per session, as a table or as records.

use std::borrow::Cow;
use std::io::{self, Write};

use chrono::{DateTime, FixedOffset, SecondsFormat};

use super::record::{CsvWriter, JsonWriter, Record, Value};
use super::style::Role;
use super::table::{fit, write_row, Cell, Column};
use super::text::{escape, human_duration, human_size, plural, truncate, width};
use super::time::Zone;
use super::{ListFormat, TextOptions};
use crate::analysis::SessionInfo;
use crate::model::Completeness;

const COLUMNS: [Column; 7] = [
    Column::new("SESSION", 8, 48),
    Column::new("START", 10, 26),
    Column::new("DURATION", 5, 10),
    Column::new("ENTRIES", 3, 9),
    Column::new("AGENTS", 3, 6),
    Column::new("ERRORS", 3, 6),
    Column::new("STATUS", 8, 24).elastic(),
];

/// How START is shown, and how when space is short.
const START_FULL: &str = "%Y-%m-%d %H:%M:%S %:z";
const START_SHORT: &str = "%m-%d %H:%M";

/// `t` as [`START_FULL`] writes it, digit by digit where it can: chrono
/// would read the pattern again for every row (a tenth of a cached
/// `list`'s time).
fn start_full(t: DateTime<FixedOffset>) -> String {
    super::time::full_digits(&t).unwrap_or_else(|| t.format(START_FULL).to_string())
}

/// Writes the sessions in `format`.
pub fn render_list(
    sessions: &[SessionInfo],
    format: ListFormat,
    options: TextOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        ListFormat::Table => table(sessions, options, out),
        ListFormat::Json | ListFormat::Jsonl => {
            let mut w = JsonWriter::new(format == ListFormat::Json);
            w.begin(out)?;
            for s in sessions {
                w.record(&SessionRecord(s), out)?;
            }
            w.finish(out)
        }
        ListFormat::Csv => {
            let mut w = CsvWriter::new(options.formula_guard);
            w.header(SESSION_COLUMNS, out)?;
            for s in sessions {
                w.record(&SessionRecord(s), out)?;
            }
            Ok(())
        }
    }
}

fn status(s: &SessionInfo) -> String {
    let mut status = s.completeness.as_str().to_string();
    if s.problems > 0 {
        status.push_str(&format!(", {} damaged", s.problems));
    }
    status
}

fn table(sessions: &[SessionInfo], options: TextOptions, out: &mut dyn Write) -> io::Result<()> {
    let theme = options.theme;
    let mut rows: Vec<[Cell; 7]> = sessions
        .iter()
        .map(|s| {
            let sum = &s.summary;
            let status_role = match (s.completeness, s.problems) {
                (_, p) if p > 0 => Role::Error,
                (Completeness::Torn, _) => Role::Warning,
                (Completeness::Open, _) => Role::Agent,
                _ => Role::Dim,
            };
            [
                Cell::styled(escape(&s.id).into_owned(), Role::Emphasis),
                Cell::plain(sum.start.map_or("-".to_string(), |t| {
                    // Local time: sessions written in different offsets
                    // then read in the order they are sorted in.
                    start_full(options.time.convert(t, Zone::Local))
                })),
                Cell::number(
                    sum.duration()
                        .map_or("-".to_string(), |d| human_duration(d.num_milliseconds())),
                ),
                Cell::number(sum.entries.to_string()),
                Cell::number(sum.agents.len().to_string()),
                if sum.errors > 0 {
                    Cell::styled(sum.errors.to_string(), Role::Error).right()
                } else {
                    Cell::styled("0", Role::Dim).right()
                },
                Cell::styled(status(s), status_role),
            ]
        })
        .collect();
    let mut content = [0usize; 7];
    for row in &rows {
        for (c, cell) in content.iter_mut().zip(row) {
            *c = (*c).max(width(&cell.text));
        }
    }
    // The id is what people type next: never cut it (up to its maximum).
    let mut columns = COLUMNS;
    columns[0].min = content[0].clamp(columns[0].min, columns[0].max);
    let mut widths = fit(&columns, &content, options.width);
    if widths[1] < content[1] {
        // Too narrow for the full start: month, day and minute say enough.
        for (row, s) in rows.iter_mut().zip(sessions) {
            if let Some(t) = s.summary.start {
                row[1].text = options
                    .time
                    .convert(t, Zone::Local)
                    .format(START_SHORT)
                    .to_string()
                    .into();
            }
        }
        content[1] = rows.iter().map(|r| width(&r[1].text)).max().unwrap_or(0);
        widths = fit(&columns, &content, options.width);
    }
    let header: Vec<Cell> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let cell = Cell::styled(c.header, Role::Header);
            if (2..=5).contains(&i) {
                cell.right()
            } else {
                cell
            }
        })
        .collect();
    write_row(out, &widths, &header, theme)?;
    for (row, s) in rows.iter().zip(sessions) {
        write_row(out, &widths, row, theme)?;
        if options.verbose {
            let sum = &s.summary;
            let lines = [
                (
                    "path",
                    format!("{} ({})", escape(&s.path), human_size(s.size)),
                ),
                (
                    "agents",
                    if sum.agents.is_empty() {
                        "-".to_string()
                    } else {
                        sum.agents
                            .iter()
                            .map(|a| escape(a).into_owned())
                            .collect::<Vec<_>>()
                            .join(", ")
                    },
                ),
                (
                    "first error",
                    match &sum.first_error {
                        Some(e) => truncate(
                            &format!(
                                "entry #{} ({}): {}",
                                e.index,
                                escape(e.agent.as_deref().unwrap_or("-")),
                                escape(&e.message)
                            ),
                            options.width.saturating_sub(15).max(20),
                        )
                        .into_owned(),
                        None => "-".to_string(),
                    },
                ),
            ];
            for (label, text) in lines {
                writeln!(
                    out,
                    "  {} {}",
                    theme.paint(&format!("{label}:"), Role::Dim),
                    text
                )?;
            }
            if s.entries_after_close > 0 {
                writeln!(
                    out,
                    "  {} {} after a closing ']'",
                    theme.paint("note:", Role::Dim),
                    plural(s.entries_after_close, "entry", "entries")
                )?;
            }
        }
    }
    Ok(())
}

/// The columns of `list --format json|jsonl|csv`.
pub const SESSION_COLUMNS: &[&str] = &[
    "id",
    "path",
    "size_bytes",
    "status",
    "start",
    "end",
    "duration_ms",
    "entries",
    "agents",
    "errors",
    "first_error",
    "first_error_agent",
    "problems",
];

struct SessionRecord<'a>(&'a SessionInfo);

impl Record for SessionRecord<'_> {
    fn columns(&self) -> &'static [&'static str] {
        SESSION_COLUMNS
    }

    fn values(&self) -> Vec<Value<'_>> {
        let s = self.0;
        let sum = &s.summary;
        let time = |t: Option<chrono::DateTime<chrono::FixedOffset>>| {
            t.map_or(Value::Null, |t| {
                Value::Str(Cow::Owned(t.to_rfc3339_opts(SecondsFormat::AutoSi, true)))
            })
        };
        vec![
            Value::Str(Cow::Borrowed(&s.id)),
            Value::Str(Cow::Borrowed(&s.path)),
            Value::Int(s.size as i64),
            Value::Str(Cow::Borrowed(s.completeness.as_str())),
            time(sum.start),
            time(sum.end),
            sum.duration()
                .map_or(Value::Null, |d| Value::Int(d.num_milliseconds())),
            Value::Int(sum.entries as i64),
            Value::List(
                sum.agents
                    .iter()
                    .map(|a| Cow::Borrowed(a.as_str()))
                    .collect(),
            ),
            Value::Int(sum.errors as i64),
            Value::opt_str(sum.first_error.as_ref().map(|e| e.message.as_str())),
            Value::opt_str(sum.first_error.as_ref().and_then(|e| e.agent.as_deref())),
            Value::Int(s.problems as i64),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};

    proptest::proptest! {
        /// Written digit by digit, as chrono writes the pattern.
        #[test]
        fn start_is_written_as_chrono_writes_it(
            seconds in -62_135_596_800i64..253_402_300_799,
            minutes in -1439i32..1440,
        ) {
            let zone = FixedOffset::east_opt(minutes * 60).expect("in range");
            let t = zone.timestamp_opt(seconds, 0).single().expect("a time");
            // The digits are what is tested (not chrono against itself),
            // wherever the year has four digits.
            if (0..=9999).contains(&chrono::Datelike::year(&t)) {
                proptest::prop_assert!(super::super::time::full_digits(&t).is_some());
            }
            proptest::prop_assert_eq!(start_full(t), t.format(START_FULL).to_string());
        }
    }

    #[test]
    fn an_offset_with_seconds_is_left_to_chrono() {
        let zone = FixedOffset::east_opt(1050).expect("in range");
        let t = zone
            .timestamp_opt(1_700_000_000, 0)
            .single()
            .expect("a time");
        assert_eq!(super::super::time::full_digits(&t), None);
        assert_eq!(start_full(t), t.format(START_FULL).to_string());
    }

    #[test]
    fn a_leap_second_reads_60() {
        let zone = FixedOffset::east_opt(3600).expect("in range");
        let naive = NaiveDate::from_ymd_opt(2016, 12, 31)
            .and_then(|d| d.and_hms_nano_opt(23, 59, 59, 1_500_000_000))
            .expect("a leap second");
        let t = zone.from_utc_datetime(&naive);
        assert_eq!(start_full(t), t.format(START_FULL).to_string());
        assert!(start_full(t).contains(":60 "), "{}", start_full(t));
    }
}
