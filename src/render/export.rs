//! `trace --format json|jsonl|csv`: every entry, streamed in file order, in
//! the schema of [`super::entry_record`].

use std::io::{self, Write};

use super::entry_record::{EntryRecord, ENTRY_COLUMNS};
use super::record::{CsvWriter, JsonWriter};
use super::{EntryRenderer, TraceContext};
use crate::model::Entry;

enum Writer {
    Json(JsonWriter),
    Csv(Box<CsvWriter>),
}

/// Streams entries as JSON, JSON lines or CSV.
pub struct EntryExport {
    writer: Writer,
}

impl EntryExport {
    pub fn json(array: bool) -> Self {
        EntryExport {
            writer: Writer::Json(JsonWriter::new(array)),
        }
    }

    pub fn csv(formula_guard: bool) -> Self {
        EntryExport {
            writer: Writer::Csv(Box::new(CsvWriter::new(formula_guard))),
        }
    }
}

impl EntryRenderer for EntryExport {
    fn begin(&mut self, out: &mut dyn Write) -> io::Result<()> {
        match &mut self.writer {
            Writer::Json(w) => w.begin(out),
            Writer::Csv(w) => w.header(ENTRY_COLUMNS, out),
        }
    }

    fn entry(&mut self, entry: &Entry, out: &mut dyn Write) -> io::Result<()> {
        match &mut self.writer {
            Writer::Json(w) => w.record(&EntryRecord(entry), out),
            Writer::Csv(w) => w.record(&EntryRecord(entry), out),
        }
    }

    fn finish(&mut self, _context: &TraceContext<'_>, out: &mut dyn Write) -> io::Result<()> {
        match &mut self.writer {
            Writer::Json(w) => w.finish(out),
            Writer::Csv(_) => Ok(()),
        }
    }
}
