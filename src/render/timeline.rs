//! `trace` as a table: a header about the session, then one row per entry
//! in time order, sized to the width, with `--verbose` payloads and
//! `--debug` raw text under each row.

use std::io::{self, Write};

use chrono::{DateTime, FixedOffset};

use super::state::{details, summarize};
use super::style::{Role, Theme};
use super::table::{fit, write_header, write_row, Cell, Column};
use super::text::{escape, human_duration, plural, short_id, strip_ansi, truncate, width};
use super::time::Zone;
use super::{EntryRenderer, TextOptions, TraceContext};
use crate::analysis::timeline::{TimeKey, TimeKeys};
use crate::model::{Completeness, Entry, Position};

pub(super) const COLUMNS: [Column; 7] = [
    Column {
        header: "#",
        min: 1,
        max: 10,
        elastic: false,
        optional: false,
    },
    Column {
        header: "TIME",
        min: 8,
        max: 29,
        elastic: false,
        optional: false,
    },
    Column {
        header: "HOOK",
        min: 8,
        max: 20,
        elastic: false,
        optional: false,
    },
    Column {
        header: "AGENT",
        min: 5,
        max: 24,
        elastic: false,
        optional: false,
    },
    Column {
        header: "EVENT",
        min: 6,
        max: 13,
        elastic: false,
        optional: true,
    },
    Column {
        header: "STATE",
        min: 12,
        max: 160,
        elastic: true,
        optional: false,
    },
    Column {
        header: "ERROR",
        min: 12,
        max: 60,
        elastic: true,
        optional: false,
    },
];

/// A table row, kept compact: the cells as text, not the entry.
struct Row {
    key: TimeKey,
    time: Option<DateTime<FixedOffset>>,
    cells: [Cell; 7],
    details: Vec<(&'static str, String)>,
    position: Position,
}

/// The timeline table. Rows are held (compactly) because the table is in
/// time order and files are not always.
pub struct TimelineTable {
    options: TextOptions,
    rows: Vec<Row>,
    keys: TimeKeys,
}

impl TimelineTable {
    pub fn new(options: TextOptions) -> Self {
        TimelineTable {
            options,
            rows: Vec::new(),
            keys: TimeKeys::default(),
        }
    }
}

/// The cells of an entry's row (the time cell is left empty: how a time
/// is shown depends on the rows around it), and the lines to show under
/// it with `--verbose` and `--debug`.
pub(super) fn entry_row(
    e: &Entry,
    options: &TextOptions,
) -> ([Cell; 7], Vec<(&'static str, String)>) {
    let hook = if e.hook_derived {
        format!("{}*", e.hook)
    } else if e.hook.as_str().is_empty() {
        "?".to_string()
    } else {
        e.hook.to_string()
    };
    let error = match e.error() {
        Some(msg) => Cell::styled(escape(msg).into_owned(), Role::Error),
        None => Cell::styled("-", Role::Dim),
    };
    let cells = [
        Cell::styled(e.index.to_string(), Role::Dim),
        Cell::plain(String::new()),
        Cell::styled(escape(&hook).into_owned(), Theme::hook_role(&e.hook)),
        Cell::styled(escape(e.agent().unwrap_or("-")).into_owned(), Role::Agent),
        Cell::plain(escape(&short_id(e.event_id.as_deref().unwrap_or("-"))).into_owned()),
        Cell::plain(e.state_summary.clone().unwrap_or_else(|| state_cell(e))),
        error,
    ];
    let mut extra = Vec::new();
    if options.verbose {
        extra = details(e);
    }
    if options.debug {
        if let Some(raw) = &e.raw {
            extra.push(("raw", raw.clone()));
        }
    }
    (cells, extra)
}

/// The STATE cell: the payloads summarized, escaped.
fn state_cell(e: &Entry) -> String {
    escape(&summarize(e)).into_owned()
}

/// Writes the `--verbose`/`--debug` lines under a row, indented past the
/// `#` column.
pub(super) fn write_details(
    details: &[(&'static str, String)],
    indent: &str,
    theme: Theme,
    out: &mut dyn Write,
) -> io::Result<()> {
    for (label, text) in details {
        for (i, line) in text.lines().enumerate() {
            let head = if i == 0 {
                format!("{label}: ")
            } else {
                " ".repeat(label.len() + 2)
            };
            writeln!(
                out,
                "{indent}{}{}",
                theme.paint(&head, Role::Dim),
                escape(line)
            )?;
        }
    }
    Ok(())
}

impl EntryRenderer for TimelineTable {
    /// The STATE cell is worked out on the reader's threads; without
    /// `--verbose` the payloads are then dropped there, not carried.
    fn prepare(&self) -> Option<crate::input::Prepare> {
        let verbose = self.options.verbose;
        Some(std::sync::Arc::new(move |e: &mut Entry| {
            e.state_summary = Some(state_cell(e));
            if !verbose {
                e.state = None;
                if let Some(result) = &mut e.result {
                    result.output_state = None;
                    result.raw = None;
                }
            }
        }))
    }

    fn entry(&mut self, e: &Entry, _out: &mut dyn Write) -> io::Result<()> {
        let (cells, details) = entry_row(e, &self.options);
        self.rows.push(Row {
            key: self.keys.key(e.timestamp.instant_nanos(), e.index),
            time: e.timestamp.get(),
            cells,
            details,
            position: e.position,
        });
        Ok(())
    }

    fn finish(&mut self, ctx: &TraceContext<'_>, out: &mut dyn Write) -> io::Result<()> {
        let theme = self.options.theme;
        write_session_header(ctx, &self.options, out)?;
        if self.rows.is_empty() {
            return Ok(());
        }
        self.rows.sort_by_key(|r| r.key);
        let times: Vec<_> = self.rows.iter().map(|r| r.time).collect();
        let shown = self.options.time.column(&times, ctx.summary.start);
        for (row, time) in self.rows.iter_mut().zip(shown) {
            row.cells[1].text = time;
        }
        let mut content = [0usize; 7];
        for row in &self.rows {
            for (c, cell) in content.iter_mut().zip(&row.cells) {
                *c = (*c).max(width(&cell.text));
            }
        }
        let widths = fit(&COLUMNS, &content, self.options.width);
        out.write_all(b"\n")?;
        write_header(out, &COLUMNS, &widths, theme)?;
        let indent = " ".repeat(widths[0] + 2);
        for row in &self.rows {
            write_row(out, &widths, &row.cells, theme)?;
            if self.options.debug {
                let at = format!("{indent}at {}:{}", ctx.source, row.position);
                writeln!(out, "{}", theme.paint(&escape(&at), Role::Dim))?;
            }
            write_details(&row.details, &indent, theme, out)?;
        }
        Ok(())
    }
}

/// The lines above the table: which session, when, how long, how much.
pub(super) fn write_session_header(
    ctx: &TraceContext<'_>,
    options: &TextOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let (theme, width_limit) = (options.theme, options.width);
    let s = ctx.summary;
    let session = escape(ctx.session);
    let source = format!("({})", escape(ctx.source));
    let one_line = width(&session) + width(&source) + 19 <= width_limit;
    writeln!(
        out,
        "{} {}{}{}",
        theme.paint("Trace for session", Role::Header),
        theme.paint(&session, Role::Emphasis),
        if one_line { " " } else { "\n  " },
        theme.paint(&truncate(&source, width_limit.saturating_sub(2)), Role::Dim)
    )?;
    let mut facts: Vec<String> = Vec::new();
    if let (Some(start), Some(end)) = (s.start, s.end) {
        let start = options.time.convert(start, Zone::AsWritten);
        let end_fmt = if start.date_naive() == end.date_naive() {
            "%H:%M:%S%.3f"
        } else {
            "%Y-%m-%d %H:%M:%S%.3f"
        };
        // Both ends in the first one's offset, so they read as one clock.
        let end = end.with_timezone(start.offset());
        facts.push(format!(
            "{} → {}",
            start.format("%Y-%m-%d %H:%M:%S%.3f %:z"),
            end.format(end_fmt)
        ));
    }
    if let Some(d) = s.duration() {
        facts.push(human_duration(d.num_milliseconds()));
    }
    facts.push(plural(s.entries, "entry", "entries"));
    if !s.agents.is_empty() {
        let names: Vec<String> = s.agents.iter().map(|a| escape(a).into_owned()).collect();
        facts.push(format!(
            "{} ({})",
            plural(s.agents.len() as u64, "agent", "agents"),
            names.join(", ")
        ));
    }
    facts.push(
        theme
            .paint(
                &plural(s.errors, "error", "errors"),
                if s.errors > 0 { Role::Error } else { Role::Dim },
            )
            .into_owned(),
    );
    facts.push(match ctx.completeness {
        Completeness::Complete => "complete".to_string(),
        Completeness::Open => "open (no closing ']': still running, or stopped)".to_string(),
        Completeness::Torn => {
            "torn (last entry incomplete: still being written, or crashed)".to_string()
        }
        Completeness::Empty => "empty".to_string(),
        Completeness::Unreadable => "unreadable (no entry could be read)".to_string(),
    });
    if ctx.entries_after_close > 0 {
        facts.push(format!(
            "{} after a closing ']'",
            plural(ctx.entries_after_close, "entry", "entries")
        ));
    }
    // A fact longer than a line (many agents) is cut, not overflowed.
    let room = width_limit.saturating_sub(2);
    let facts: Vec<String> = facts
        .into_iter()
        .map(|f| {
            if width(&strip_ansi(&f)) > room {
                truncate(&strip_ansi(&f), room).into_owned()
            } else {
                f
            }
        })
        .collect();
    for line in wrap_facts(&facts, width_limit) {
        writeln!(out, "  {line}")?;
    }
    if !ctx.filter.is_empty() {
        writeln!(
            out,
            "  {}",
            theme.paint(
                &format!(
                    "showing {} of {} {} ({})",
                    ctx.shown,
                    ctx.candidates,
                    ctx.noun,
                    escape(ctx.filter)
                ),
                Role::Dim
            )
        )?;
    }
    Ok(())
}

/// Joins facts with ` · `, starting a new line before one that would pass
/// `width` (after the two-space indent).
fn wrap_facts(facts: &[String], width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for fact in facts {
        let visible = super::text::width(&strip_ansi(fact));
        if !line.is_empty() && super::text::width(&strip_ansi(&line)) + 3 + visible + 2 > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push_str(" · ");
        }
        line.push_str(fact);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// `1 entry`, `3 entries`.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_facts_wrap_at_the_width() {
        let facts: Vec<String> = ["aaaa", "bbbb", "cccc"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(wrap_facts(&facts, 100), vec!["aaaa · bbbb · cccc"]);
        assert_eq!(wrap_facts(&facts, 15), vec!["aaaa · bbbb", "cccc"]);
        assert_eq!(strip_ansi("\u{1b}[31mred\u{1b}[0m"), "red");
    }

    #[test]
    fn uuids_shorten_and_request_ids_stay() {
        assert_eq!(
            short_id("be6c6fe9-4c41-49c0-b075-34feeacc110e"),
            "be6c6fe9…"
        );
        assert_eq!(short_id("req-17461596"), "req-17461596");
    }
}
