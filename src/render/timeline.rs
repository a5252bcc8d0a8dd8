//! `trace` as a table: a header about the session, then one row per entry
//! in time order, sized to the width, with `--verbose` payloads and
//! `--debug` raw text under each row.

use std::borrow::Cow;
use std::io::{self, Write};

use chrono::{DateTime, FixedOffset};

use super::rows::{put_head, put_number, put_text, row_datetime, time_key, RowBytes, RowStore};
use super::state::{details, summarize};
use super::style::{Role, Theme};
use super::table::{fit, widest, write_header, write_row, Cell, CellRef, Column};
use super::text::{
    escape, escape_measured, escaped_measured, human_duration, plural, short_id, showable,
    strip_ansi, truncate, width, write_facts,
};
use super::time::{ColumnShape, Zone};
use super::{EntryRenderer, TextOptions, TraceContext};
use crate::analysis::timeline::{TimeKey, TimeKeys};
use crate::input::{Payloads, Prepare};
use crate::model::{Completeness, Entry, Position};

pub(super) const COLUMNS: [Column; 7] = [
    Column::new("#", 1, 10),
    Column::new("TIME", 8, 29),
    Column::new("HOOK", 8, 20),
    Column::new("AGENT", 5, 24),
    Column::new("EVENT", 6, 13).optional(),
    Column::new("STATE", 12, 160).elastic(),
    Column::new("ERROR", 12, 60).elastic(),
];

/// Bytes of row text held in memory before rows go to a temporary file.
const ROWS_IN_MEMORY: usize = 8 << 20;

/// The timeline table. The table is in time order and needs every row to
/// size its columns, so rows are held until the end: compactly, and past
/// `ROWS_IN_MEMORY` (8 MB) in a temporary file, so memory stays flat however
/// long the session, in time order or not (`rows::RowStore`).
pub struct TimelineTable {
    options: TextOptions,
    rows: RowStore<TimeKey>,
    keys: TimeKeys,
    /// The widest cell of each column (the time column is sized at the
    /// end, when the shape of its times is known).
    content: [usize; 7],
    times: ColumnShape,
    /// The widest each entry cell can be shown in the table's width: what
    /// is kept of their text.
    limits: [usize; ENTRY_CELLS],
}

impl TimelineTable {
    pub fn new(options: TextOptions) -> Self {
        TimelineTable::with_budget(options, ROWS_IN_MEMORY)
    }

    /// A table that holds `budget` bytes of rows in memory (tests make it
    /// small to send rows to the file).
    pub fn with_budget(options: TextOptions, budget: usize) -> Self {
        TimelineTable {
            rows: RowStore::new(budget, time_key, "the table's rows"),
            keys: TimeKeys::default(),
            content: [0; 7],
            times: ColumnShape::default(),
            limits: std::array::from_fn(|k| widest(&COLUMNS, 2 + k, options.width)),
            options,
        }
    }
}

/// Labels of the lines under a row, by number.
const LABELS: [&str; 5] = ["state", "result", "output", "extra", "raw"];

fn role_code(role: Option<Role>) -> [u8; 2] {
    match role {
        None => [0, 0],
        Some(Role::Header) => [1, 0],
        Some(Role::Dim) => [2, 0],
        Some(Role::Error) => [3, 0],
        Some(Role::Warning) => [4, 0],
        Some(Role::Good) => [5, 0],
        Some(Role::Agent) => [6, 0],
        Some(Role::Emphasis) => [7, 0],
        Some(Role::Session(n)) => [8, n],
    }
}

fn role_of(code: [u8; 2]) -> Option<Role> {
    match code[0] {
        1 => Some(Role::Header),
        2 => Some(Role::Dim),
        3 => Some(Role::Error),
        4 => Some(Role::Warning),
        5 => Some(Role::Good),
        6 => Some(Role::Agent),
        7 => Some(Role::Emphasis),
        8 => Some(Role::Session(code[1])),
        _ => None,
    }
}

fn bad_row(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("internal error: table row: {what}"),
    )
}

/// The cells of a row the entry alone decides: HOOK to ERROR.
const ENTRY_CELLS: usize = 5;

/// A row's entry cells encoded as the row store keeps them: each as its
/// role (2 bytes), its width and its length (as [`put_number`] writes
/// them), then its text: as much as can be shown within its limit (`limits`,
/// from the table's width), the width still that of the whole text, which
/// sizes the column. The reader's threads make them (see
/// [`TimelineTable::prepare`]).
fn encoded_cells(
    (cells, widths): &([Cell<'_>; ENTRY_CELLS], [usize; ENTRY_CELLS]),
    limits: &[usize; ENTRY_CELLS],
) -> Vec<u8> {
    let size = cells.iter().map(|c| 6 + c.text.len()).sum();
    let mut out = Vec::with_capacity(size);
    for ((cell, &columns), &limit) in cells.iter().zip(widths).zip(limits) {
        debug_assert_eq!(columns, width(&cell.text), "{:?}", cell.text);
        let text = showable(&cell.text, limit, columns);
        out.extend_from_slice(&role_code(cell.role));
        put_number(&mut out, columns as u64);
        put_text(&mut out, text);
    }
    out
}

/// Reads encoded cells in order.
impl<'a> RowBytes<'a> {
    /// One encoded cell.
    fn cell(&mut self) -> io::Result<CellRef<'a>> {
        let role = role_of(self.array()?);
        let width = self.size()?;
        let text = self.text()?;
        Ok(CellRef {
            text,
            width: Some(width),
            role,
            right: false,
        })
    }
}

/// The widths of encoded entry cells.
fn cell_widths(cells: &[u8]) -> io::Result<[usize; ENTRY_CELLS]> {
    let mut bytes = RowBytes(cells);
    let mut widths = [0; ENTRY_CELLS];
    for w in &mut widths {
        bytes.take(2)?;
        *w = bytes.size()?;
        let len = bytes.size()?;
        bytes.take(len)?;
    }
    Ok(widths)
}

/// Encodes a row (after its length, which the store writes): the entry's
/// number, time and place, its encoded cells, then the lines under it.
fn encode_row(
    e: &Entry,
    cells: &[u8],
    details: &[(&'static str, String)],
    out: &mut Vec<u8>,
) -> io::Result<()> {
    put_head(out, e.index, e.timestamp);
    for n in [e.position.line, e.position.column, e.position.offset] {
        put_number(out, n);
    }
    out.extend_from_slice(cells);
    put_number(out, details.len() as u64);
    for (label, text) in details {
        let code = LABELS
            .iter()
            .position(|l| l == label)
            .ok_or_else(|| bad_row("unknown label"))?;
        out.push(code as u8);
        put_text(out, text);
    }
    Ok(())
}

/// A row read back from the store, its text borrowed.
struct RowRef<'a> {
    index: u64,
    time: Option<DateTime<FixedOffset>>,
    position: Position,
    cells: [CellRef<'a>; ENTRY_CELLS],
    details: Vec<(&'static str, &'a str)>,
}

impl<'a> RowRef<'a> {
    fn decode(row: &'a [u8]) -> io::Result<RowRef<'a>> {
        let mut bytes = RowBytes(row);
        let (index, time) = bytes.head()?;
        let time = time.map(row_datetime).transpose()?;
        let position = Position {
            line: bytes.number()?,
            column: bytes.number()?,
            offset: bytes.number()?,
        };
        let mut cells = [CellRef::default(); ENTRY_CELLS];
        for cell in &mut cells {
            *cell = bytes.cell()?;
        }
        let count = bytes.size()?;
        let mut details = Vec::new();
        for _ in 0..count {
            let code = bytes.array::<1>()?[0] as usize;
            let label = LABELS.get(code).ok_or_else(|| bad_row("label"))?;
            details.push((*label, bytes.text()?));
        }
        Ok(RowRef {
            index,
            time,
            position,
            cells,
            details,
        })
    }
}

/// The cells of an entry's row (the time cell is left empty: how a time
/// is shown depends on the rows around it), and the lines to show under
/// it with `--verbose` and `--debug`.
pub(super) fn entry_row<'a>(
    e: &'a Entry,
    options: &TextOptions,
) -> ([Cell<'a>; 7], Vec<(&'static str, String)>) {
    let ([hook, agent, event, state, error], _) = entry_cells(e, Payloads::of(e));
    let cells = [
        Cell::styled(e.index.to_string(), Role::Dim),
        Cell::plain(String::new()),
        hook,
        agent,
        event,
        state,
        error,
    ];
    (cells, row_details(e, options))
}

/// The cells of a row the entry alone decides: HOOK, AGENT, EVENT, STATE
/// and ERROR, escaped for the terminal (borrowed from the entry where
/// escaping changed nothing: one allocation an entry, the summary), and
/// the columns each takes.
fn entry_cells<'a>(
    e: &'a Entry,
    payloads: Payloads<'_>,
) -> ([Cell<'a>; ENTRY_CELLS], [usize; ENTRY_CELLS]) {
    let (hook, hook_width) = if e.hook_derived {
        let (hook, columns) = escaped_measured(format!("{}*", e.hook));
        (Cow::Owned(hook), columns)
    } else if e.hook.as_str().is_empty() {
        (Cow::Borrowed("?"), 1)
    } else {
        escape_measured(e.hook.as_str())
    };
    let (agent, agent_width) = escape_measured(e.agent().unwrap_or("-"));
    let (event, event_width) = match short_id(e.event_id.as_deref().unwrap_or("-")) {
        Cow::Borrowed(id) => escape_measured(id),
        Cow::Owned(id) => {
            let (id, columns) = escaped_measured(id);
            (Cow::Owned(id), columns)
        }
    };
    let (state, state_width) = escaped_measured(summarize(e, payloads));
    let (error, error_width) = match e.error() {
        Some(msg) => {
            let (msg, columns) = escape_measured(msg);
            (Cell::styled(msg, Role::Error), columns)
        }
        None => (Cell::styled("-", Role::Dim), 1),
    };
    (
        [
            Cell::styled(hook, Theme::hook_role(&e.hook)),
            Cell::styled(agent, Role::Agent),
            Cell::plain(event),
            Cell::plain(state),
            error,
        ],
        [
            hook_width,
            agent_width,
            event_width,
            state_width,
            error_width,
        ],
    )
}

/// The lines under an entry's row: its payloads with `--verbose`, its
/// text as written with `--debug`.
fn row_details(e: &Entry, options: &TextOptions) -> Vec<(&'static str, String)> {
    let mut extra = Vec::new();
    if options.verbose {
        extra = details(e);
    }
    if options.debug {
        if let Some(raw) = &e.raw {
            extra.push(("raw", raw.clone()));
        }
    }
    extra
}

/// Writes the `--verbose`/`--debug` lines under a row, indented past the
/// `#` column.
pub(super) fn write_details(
    details: &[(&'static str, impl AsRef<str>)],
    indent: &str,
    theme: Theme,
    out: &mut dyn Write,
) -> io::Result<()> {
    for (label, text) in details {
        for (i, line) in text.as_ref().lines().enumerate() {
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
    /// A row's cells are made on the reader's threads; without
    /// `--verbose` the payloads are only lent to them there, never copied
    /// into the entries.
    fn prepare(&self) -> Option<Prepare> {
        let verbose = self.options.verbose;
        let limits = self.limits;
        Some(Prepare {
            make: std::sync::Arc::new(move || {
                Box::new(move |e: &mut Entry, payloads: Payloads<'_>| {
                    e.prepared = Some(encoded_cells(&entry_cells(e, payloads), &limits));
                })
            }),
            keeps_payloads: verbose,
        })
    }

    fn entry(&mut self, e: &Entry, _out: &mut dyn Write) -> io::Result<()> {
        let made;
        let cells = match &e.prepared {
            Some(cells) => cells.as_slice(),
            None => {
                made = encoded_cells(&entry_cells(e, Payloads::of(e)), &self.limits);
                made.as_slice()
            }
        };
        self.content[0] = self.content[0].max(digits(e.index));
        for (c, w) in self.content[2..].iter_mut().zip(cell_widths(cells)?) {
            *c = (*c).max(w);
        }
        let time = e.timestamp.get();
        if let Some(t) = time {
            self.times.see(self.options.time, t);
        }
        let details = row_details(e, &self.options);
        let key = self.keys.key(e.timestamp.instant_nanos(), e.index);
        self.rows
            .push_with(key, |row| encode_row(e, cells, &details, row))
    }

    fn finish(&mut self, ctx: &TraceContext<'_>, out: &mut dyn Write) -> io::Result<()> {
        let theme = self.options.theme;
        write_session_header(ctx, &self.options, out)?;
        if self.rows.is_empty() {
            return Ok(());
        }
        let column = self.times.column(self.options.time, ctx.summary.start);
        // The time column's width: one time tells when all have the same
        // width (the clock), else every time in its shape, once.
        let mut content = self.content;
        content[1] = 0;
        match self.times.any() {
            Some(t) if column.uniform() => content[1] = width(&column.show(Some(t))),
            // Only each row's time is read: not its cells and details.
            _ => self.rows.for_each(&mut |row| {
                let (_, time) = RowBytes(row).head()?;
                let time = time.map(row_datetime).transpose()?;
                content[1] = content[1].max(width(&column.show(time)));
                Ok(())
            })?,
        }
        let widths = fit(&COLUMNS, &content, self.options.width);
        out.write_all(b"\n")?;
        write_header(out, &COLUMNS, &widths, theme)?;
        let indent = " ".repeat(widths[0] + 2);
        let debug = self.options.debug;
        // Each row's text depends only on the row and the widths: rendered
        // on every core (at 1 GB this pass took a third of a second on one).
        let render = |row: &[u8], out: &mut Vec<u8>| -> io::Result<()> {
            let row = RowRef::decode(row)?;
            let mut number = itoa::Buffer::new();
            let time = column.show(row.time);
            let [hook, agent, event, state, error] = row.cells;
            let cells = [
                CellRef {
                    text: number.format(row.index),
                    width: None,
                    role: Some(Role::Dim),
                    right: false,
                },
                CellRef {
                    text: &time,
                    width: None,
                    role: None,
                    right: false,
                },
                hook,
                agent,
                event,
                state,
                error,
            ];
            write_row(out, &widths, &cells, theme)?;
            if debug {
                let at = format!("{indent}at {}:{}", ctx.source, row.position);
                writeln!(out, "{}", theme.paint(&escape(&at), Role::Dim))?;
            }
            write_details(&row.details, &indent, theme, out)
        };
        let rows = &mut self.rows;
        super::ordered::render_rows_in_order(
            |each| rows.for_each(each),
            &render,
            crate::input::parallel::cores(),
            out,
        )
    }
}

/// Digits in `n`: the width of its `#` cell.
fn digits(n: u64) -> usize {
    n.checked_ilog10().map_or(1, |d| d as usize + 1)
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
    write_facts(&facts, width_limit, out)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole table of `bytes` with `budget` bytes of rows in memory.
    fn table(bytes: &[u8], budget: usize, verbose: bool, debug: bool, colors: bool) -> String {
        let options = TextOptions {
            theme: crate::render::style::Theme { color: colors },
            verbose,
            debug,
            ..TextOptions::plain(140)
        };
        let mut entries = crate::input::Collect::default();
        let parse = crate::input::ParseOptions {
            keep_state: true,
            keep_raw: debug,
        };
        crate::input::read_all(bytes, parse, &mut entries).unwrap();
        let mut summary = crate::analysis::SessionSummary::default();
        let mut view = TimelineTable::with_budget(options, budget);
        let mut out = Vec::new();
        for e in &entries.entries {
            summary.add(e);
            view.entry(e, &mut out).unwrap();
        }
        let context = TraceContext::whole(&summary);
        view.finish(&context, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// Rows sent to the temporary file come back as they went: every
    /// fixture (in time order or not) gives the same table whatever the
    /// budget, with payloads, raw text and colors.
    #[test]
    fn rows_held_in_a_file_make_the_same_table() {
        for (path, bytes) in crate::input::fixture_files() {
            for (verbose, debug, colors) in [(false, false, false), (true, true, true)] {
                let whole = table(&bytes, usize::MAX, verbose, debug, colors);
                for budget in [0, 1, 3000] {
                    let spilled = table(&bytes, budget, verbose, debug, colors);
                    assert!(whole == spilled, "{} (budget {budget})", path.display());
                }
            }
        }
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
