//! `trace` as a table: a header about the session, then one row per entry
//! in time order, sized to the width, with `--verbose` payloads and
//! `--debug` raw text under each row.

use std::io::{self, Write};

use chrono::{DateTime, FixedOffset};

use super::state::{details, summarize};
use super::style::{Role, Theme};
use super::table::{fit, write_header, write_row, Cell, Column};
use super::text::{escape, human_duration, plural, short_id, strip_ansi, truncate, width};
use super::time::{ColumnShape, Zone};
use super::{EntryRenderer, TextOptions, TraceContext};
use crate::analysis::timeline::{TimeKey, TimeKeys};
use crate::input::{Payloads, Prepare};
use crate::model::{Completeness, Entry, Position, Timestamp};

pub(super) const COLUMNS: [Column; 7] = [
    Column::new("#", 1, 10),
    Column::new("TIME", 8, 29),
    Column::new("HOOK", 8, 20),
    Column::new("AGENT", 5, 24),
    Column::new("EVENT", 6, 13).optional(),
    Column::new("STATE", 12, 160).elastic(),
    Column::new("ERROR", 12, 60).elastic(),
];

/// A table row, kept compact: the cells as text, not the entry.
struct Row {
    key: TimeKey,
    /// The entry's number in the file (its key is made again from it).
    index: u64,
    time: Option<DateTime<FixedOffset>>,
    cells: [Cell; 7],
    details: Vec<(&'static str, String)>,
    position: Position,
}

/// Bytes of row text held in memory before rows go to a temporary file.
const ROWS_IN_MEMORY: usize = 8 << 20;

/// The timeline table. The table is in time order and needs every row to
/// size its columns, so rows are held until the end: compactly, and past
/// `ROWS_IN_MEMORY` (8 MB) in a temporary file, so memory stays flat however
/// long the session. Files are nearly always in time order already; only
/// when one is not are all rows brought back to be sorted.
pub struct TimelineTable {
    options: TextOptions,
    rows: RowStore,
    keys: TimeKeys,
    /// The widest cell of each column (the time column is sized at the
    /// end, when the shape of its times is known).
    content: [usize; 7],
    times: ColumnShape,
}

impl TimelineTable {
    pub fn new(options: TextOptions) -> Self {
        TimelineTable::with_budget(options, ROWS_IN_MEMORY)
    }

    /// A table that holds `budget` bytes of rows in memory (tests make it
    /// small to send rows to the file).
    pub fn with_budget(options: TextOptions, budget: usize) -> Self {
        TimelineTable {
            options,
            rows: RowStore::new(budget),
            keys: TimeKeys::default(),
            content: [0; 7],
            times: ColumnShape::default(),
        }
    }
}

/// Rows in the order they came: the first ones in a temporary file (made
/// when memory is full, removed by the system when closed), the rest in
/// memory.
struct RowStore {
    memory: Vec<Row>,
    held: usize,
    budget: usize,
    file: Option<std::io::BufWriter<std::fs::File>>,
    /// Keys never went down: the order they came is time order.
    sorted: bool,
    last: Option<TimeKey>,
}

impl RowStore {
    fn new(budget: usize) -> Self {
        RowStore {
            memory: Vec::new(),
            held: 0,
            budget,
            file: None,
            sorted: true,
            last: None,
        }
    }

    fn is_empty(&self) -> bool {
        self.memory.is_empty() && self.file.is_none()
    }

    fn push(&mut self, row: Row) -> io::Result<()> {
        self.sorted &= self.last.is_none_or(|last| last <= row.key);
        self.last = Some(row.key);
        self.held += row_bytes(&row);
        self.memory.push(row);
        if self.held > self.budget {
            let file = match &mut self.file {
                Some(file) => file,
                None => self.file.insert(std::io::BufWriter::with_capacity(
                    1 << 16,
                    tempfile::tempfile()?,
                )),
            };
            for row in self.memory.drain(..) {
                encode(&row, file)?;
            }
            self.held = 0;
        }
        Ok(())
    }

    /// Every row in the order it came.
    fn for_each(&mut self, mut f: impl FnMut(&mut Row) -> io::Result<()>) -> io::Result<()> {
        self.each_in_file(|mut row| f(&mut row))?;
        for row in &mut self.memory {
            f(row)?;
        }
        Ok(())
    }

    /// All rows in memory, in time order: for a file that is not in time
    /// order, the one case that holds them all.
    fn sort(&mut self) -> io::Result<()> {
        let mut all = Vec::new();
        self.each_in_file(|row| {
            all.push(row);
            Ok(())
        })?;
        self.file = None;
        all.append(&mut self.memory);
        all.sort_by_key(|r| r.key);
        self.memory = all;
        self.sorted = true;
        Ok(())
    }

    /// The rows in the file, read from its start (their keys made again
    /// as they were first made); the file is left ready for more.
    fn each_in_file(&mut self, mut f: impl FnMut(Row) -> io::Result<()>) -> io::Result<()> {
        use std::io::Seek;
        let Some(file) = &mut self.file else {
            return Ok(());
        };
        file.flush()?;
        let file = file.get_mut();
        file.seek(io::SeekFrom::Start(0))?;
        let mut reader = io::BufReader::with_capacity(1 << 16, &*file);
        let mut keys = TimeKeys::default();
        while let Some(row) = decode(&mut reader, &mut keys)? {
            f(row)?;
        }
        file.seek(io::SeekFrom::End(0))?;
        Ok(())
    }
}

/// About what a row costs in memory.
fn row_bytes(row: &Row) -> usize {
    let cells: usize = row.cells.iter().map(|c| c.text.len() + 32).sum();
    let details: usize = row.details.iter().map(|(_, t)| t.len() + 40).sum();
    96 + cells + details
}

/// Labels of the lines under a row, by number in the file.
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
        format!("internal error: table row file: {what}"),
    )
}

fn put_str(out: &mut dyn Write, text: &str) -> io::Result<()> {
    out.write_all(&(text.len() as u64).to_le_bytes())?;
    out.write_all(text.as_bytes())
}

/// Writes a row to the table's file (its key is made again on reading).
fn encode(row: &Row, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(&row.index.to_le_bytes())?;
    match row.time {
        None => out.write_all(&[0])?,
        Some(t) => {
            out.write_all(&[1])?;
            out.write_all(&t.timestamp().to_le_bytes())?;
            out.write_all(&t.timestamp_subsec_nanos().to_le_bytes())?;
            out.write_all(&t.offset().local_minus_utc().to_le_bytes())?;
        }
    }
    for cell in &row.cells {
        put_str(out, &cell.text)?;
        let [a, b] = role_code(cell.role);
        out.write_all(&[a, b, u8::from(cell.right)])?;
    }
    out.write_all(&(row.details.len() as u64).to_le_bytes())?;
    for (label, text) in &row.details {
        let code = LABELS
            .iter()
            .position(|l| l == label)
            .ok_or_else(|| bad_row("unknown label"))?;
        out.write_all(&[code as u8])?;
        put_str(out, text)?;
    }
    for n in [row.position.line, row.position.column, row.position.offset] {
        out.write_all(&n.to_le_bytes())?;
    }
    Ok(())
}

fn get<const N: usize>(input: &mut dyn io::Read) -> io::Result<[u8; N]> {
    let mut bytes = [0u8; N];
    input.read_exact(&mut bytes)?;
    Ok(bytes)
}

fn get_u64(input: &mut dyn io::Read) -> io::Result<u64> {
    get::<8>(input).map(u64::from_le_bytes)
}

fn get_str(input: &mut dyn io::Read) -> io::Result<String> {
    let len = usize::try_from(get_u64(input)?).map_err(|_| bad_row("length"))?;
    let mut bytes = vec![0u8; len];
    input.read_exact(&mut bytes)?;
    String::from_utf8(bytes).map_err(|_| bad_row("text"))
}

/// The next row of the table's file; `None` at its end. `keys` makes the
/// rows' keys again, in the order they came, as they were first made.
fn decode(input: &mut dyn io::Read, keys: &mut TimeKeys) -> io::Result<Option<Row>> {
    let index = match get::<8>(input) {
        Ok(bytes) => u64::from_le_bytes(bytes),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    };
    let time = match get::<1>(input)?[0] {
        0 => None,
        _ => {
            let secs = i64::from_le_bytes(get::<8>(input)?);
            let nanos = u32::from_le_bytes(get::<4>(input)?);
            let offset = i32::from_le_bytes(get::<4>(input)?);
            let offset = FixedOffset::east_opt(offset).ok_or_else(|| bad_row("offset"))?;
            let utc = DateTime::from_timestamp(secs, nanos).ok_or_else(|| bad_row("time"))?;
            Some(utc.with_timezone(&offset))
        }
    };
    let mut cells: [Cell; 7] = Default::default();
    for cell in &mut cells {
        cell.text = get_str(input)?;
        let [a, b, right] = get::<3>(input)?;
        cell.role = role_of([a, b]);
        cell.right = right == 1;
    }
    let count = get_u64(input)?;
    let mut details = Vec::new();
    for _ in 0..count {
        let code = get::<1>(input)?[0] as usize;
        let label = LABELS.get(code).ok_or_else(|| bad_row("label"))?;
        details.push((*label, get_str(input)?));
    }
    let position = Position {
        line: get_u64(input)?,
        column: get_u64(input)?,
        offset: get_u64(input)?,
    };
    let nanos = time.and_then(|t| Timestamp::At(t).instant_nanos());
    Ok(Some(Row {
        key: keys.key(nanos, index),
        index,
        time,
        cells,
        details,
        position,
    }))
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
        Cell::plain(match &e.prepared {
            Some(cell) => String::from_utf8_lossy(cell).into_owned(),
            None => state_cell(e, Payloads::of(e)),
        }),
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
fn state_cell(e: &Entry, payloads: Payloads<'_>) -> String {
    escape(&summarize(e, payloads)).into_owned()
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
    /// `--verbose` the payloads are only lent to it there, never copied
    /// into the entries.
    fn prepare(&self) -> Option<Prepare> {
        let verbose = self.options.verbose;
        Some(Prepare {
            make: std::sync::Arc::new(|| {
                Box::new(|e: &mut Entry, payloads: Payloads<'_>| {
                    e.prepared = Some(state_cell(e, payloads).into_bytes());
                })
            }),
            keeps_payloads: verbose,
        })
    }

    fn entry(&mut self, e: &Entry, _out: &mut dyn Write) -> io::Result<()> {
        let (cells, details) = entry_row(e, &self.options);
        for (c, cell) in self.content.iter_mut().zip(&cells) {
            *c = (*c).max(width(&cell.text));
        }
        let time = e.timestamp.get();
        if let Some(t) = time {
            self.times.see(self.options.time, t);
        }
        self.rows.push(Row {
            key: self.keys.key(e.timestamp.instant_nanos(), e.index),
            index: e.index,
            time,
            cells,
            details,
            position: e.position,
        })
    }

    fn finish(&mut self, ctx: &TraceContext<'_>, out: &mut dyn Write) -> io::Result<()> {
        let theme = self.options.theme;
        write_session_header(ctx, &self.options, out)?;
        if self.rows.is_empty() {
            return Ok(());
        }
        if !self.rows.sorted {
            self.rows.sort()?;
        }
        let column = self.times.column(self.options.time, ctx.summary.start);
        // The time column's width: one time tells when all have the same
        // width (the clock), else every time in its shape, once.
        let mut content = self.content;
        content[1] = 0;
        match self.times.any() {
            Some(t) if column.uniform() => content[1] = width(&column.show(Some(t))),
            _ => self.rows.for_each(|row| {
                content[1] = content[1].max(width(&column.show(row.time)));
                Ok(())
            })?,
        }
        let widths = fit(&COLUMNS, &content, self.options.width);
        out.write_all(b"\n")?;
        write_header(out, &COLUMNS, &widths, theme)?;
        let indent = " ".repeat(widths[0] + 2);
        let debug = self.options.debug;
        self.rows.for_each(|row| {
            row.cells[1].text = column.show(row.time);
            write_row(out, &widths, &row.cells, theme)?;
            if debug {
                let at = format!("{indent}at {}:{}", ctx.source, row.position);
                writeln!(out, "{}", theme.paint(&escape(&at), Role::Dim))?;
            }
            write_details(&row.details, &indent, theme, out)
        })
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

    /// The whole table of `bytes` with `budget` bytes of rows in memory.
    fn table(bytes: &[u8], budget: usize, verbose: bool, debug: bool, colors: bool) -> String {
        let options = TextOptions {
            theme: crate::render::style::Theme { color: colors },
            width: 140,
            verbose,
            debug,
            formula_guard: true,
            time: Default::default(),
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
