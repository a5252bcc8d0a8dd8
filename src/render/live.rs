//! Views for `--follow`: rows and hops written the moment they arrive, in
//! arrival order, with columns sized once from the width (the content to
//! come is unknown). Following many sessions adds a SESSION column, colored
//! per session.

use std::collections::HashMap;
use std::io::{self, Write};

use chrono::{DateTime, FixedOffset};

use super::flow::{hop_cells, COLUMNS as FLOW_COLUMNS};
use super::style::Role;
use super::table::{fit, write_header, write_row, Cell, Column};
use super::text::{escape, width};
use super::time::{TimeFormat, TimeStyle};
use super::timeline::{entry_row, write_details, COLUMNS};
use super::{EntryRenderer, HopRenderer, TextOptions, TraceContext};
use crate::analysis::flow::Hop;
use crate::model::Entry;

const SESSION: Column = Column::new("SESSION", 7, 18);

/// Columns a time takes in `style` (the column cannot be measured before
/// the rows exist).
fn time_width(style: TimeStyle) -> usize {
    let sample = DateTime::parse_from_rfc3339("2025-06-12T10:15:02.123+02:00").ok();
    width(&style.one(sample, sample)).max(12)
}

/// Columns, widths and the current session's label, for a table that
/// streams.
struct LiveLayout {
    columns: Vec<Column>,
    widths: Vec<usize>,
    /// Whether the first column is the session.
    labelled: bool,
    label: Cell<'static>,
    header_done: bool,
    /// Each session's first time, for relative times.
    starts: HashMap<String, DateTime<FixedOffset>>,
}

impl LiveLayout {
    fn new(columns: &[Column], guesses: &[usize], width: usize, labelled: bool) -> Self {
        let mut all = Vec::new();
        let mut content = Vec::new();
        if labelled {
            all.push(SESSION);
            content.push(14);
        }
        all.extend_from_slice(columns);
        content.extend_from_slice(guesses);
        LiveLayout {
            widths: fit(&all, &content, width),
            columns: all,
            labelled,
            label: Cell::plain(""),
            header_done: false,
            starts: HashMap::new(),
        }
    }

    fn set_session(&mut self, label: &str, color: u8) {
        self.label = Cell::styled(escape(label).into_owned(), Role::Session(color));
    }

    /// A time in `style`, relative ones counted from the first time seen
    /// in the current session.
    fn time(&mut self, t: Option<DateTime<FixedOffset>>, style: TimeStyle) -> String {
        let start = match (style.format, t) {
            (TimeFormat::Relative, Some(t)) => match self.starts.get(&*self.label.text) {
                Some(start) => Some(*start),
                None => {
                    self.starts.insert(self.label.text.to_string(), t);
                    Some(t)
                }
            },
            _ => None,
        };
        style.one(t, start)
    }

    /// Writes the header once, then the row.
    fn write(
        &mut self,
        cells: Vec<Cell<'_>>,
        options: &TextOptions,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        if !self.header_done {
            self.header_done = true;
            write_header(out, &self.columns, &self.widths, options.theme)?;
        }
        let mut row = Vec::with_capacity(cells.len() + 1);
        if self.labelled {
            row.push(self.label.clone());
        }
        row.extend(cells);
        write_row(out, &self.widths, &row, options.theme)
    }

    /// Indent for lines under a row: past the first column.
    fn indent(&self) -> String {
        " ".repeat(self.widths.first().copied().unwrap_or(0) + 2)
    }
}

/// The timeline table, streamed.
pub struct LiveTable {
    options: TextOptions,
    layout: LiveLayout,
}

impl LiveTable {
    pub fn new(options: TextOptions, many_sessions: bool) -> Self {
        LiveTable {
            layout: LiveLayout::new(
                &COLUMNS,
                &[4, time_width(options.time), 19, 12, 12, 200, 24],
                options.width,
                many_sessions,
            ),
            options,
        }
    }
}

impl EntryRenderer for LiveTable {
    fn entry(&mut self, e: &Entry, out: &mut dyn Write) -> io::Result<()> {
        let (mut cells, details) = entry_row(e, &self.options);
        cells[1].text = self
            .layout
            .time(e.timestamp.get(), self.options.time)
            .into();
        self.layout.write(Vec::from(cells), &self.options, out)?;
        write_details(&details, &self.layout.indent(), self.options.theme, out)
    }

    fn finish(&mut self, _ctx: &TraceContext<'_>, _out: &mut dyn Write) -> io::Result<()> {
        Ok(())
    }

    fn set_session(&mut self, label: &str, color: u8) {
        self.layout.set_session(label, color);
    }
}

/// The flow, one hop per line as it happens.
pub struct LiveFlow {
    options: TextOptions,
    layout: LiveLayout,
}

impl LiveFlow {
    pub fn new(options: TextOptions, many_sessions: bool) -> Self {
        LiveFlow {
            layout: LiveLayout::new(
                &FLOW_COLUMNS,
                &[time_width(options.time), 12, 12, 19, 12, 7, 40],
                options.width,
                many_sessions,
            ),
            options,
        }
    }
}

impl HopRenderer for LiveFlow {
    fn hop(&mut self, h: &Hop<'_>, out: &mut dyn Write) -> io::Result<()> {
        let time = self.layout.time(h.timestamp.get(), self.options.time);
        let cells = Vec::from(hop_cells(h, time));
        self.layout.write(cells, &self.options, out)
    }

    fn set_session(&mut self, label: &str, color: u8) {
        self.layout.set_session(label, color);
    }
}
