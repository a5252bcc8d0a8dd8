//! `trace --format json|jsonl|csv`: every entry, streamed in file order, in
//! the schema of [`super::entry_record`].

use std::io::{self, Write};

use super::entry_record::{EntryRecord, ENTRY_COLUMNS};
use super::record::{record_tail_json, CsvWriter, JsonWriter};
use super::{EntryRenderer, TraceContext};
use std::sync::Arc;

use crate::input::{Payloads, Prepare};
use crate::model::Entry;

enum Writer {
    Json(JsonWriter),
    Csv(Box<CsvWriter>),
}

/// Streams entries as JSON, JSON lines or CSV.
///
/// On the parallel reader, each entry's row but its index (known only in
/// file order) is written on the worker threads, and the payloads and
/// unknown keys dropped there (the row holds them); the calling thread adds
/// the index and copies the bytes out.
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

    fn prepare(&self) -> Option<Prepare> {
        // Each worker writes CSV rows with a writer like this one.
        let csv = match &self.writer {
            Writer::Csv(w) => Some(w.like()),
            Writer::Json(_) => None,
        };
        Some(Prepare {
            make: Arc::new(move || {
                let mut csv = csv.as_ref().map(CsvWriter::like);
                Box::new(move |e: &mut Entry, payloads: Payloads<'_>| {
                    // Room for the payloads and the rest, so the row is
                    // not copied as it grows.
                    let room = payloads.state.map_or(0, str::len)
                        + payloads.result.map_or(0, str::len)
                        + 512;
                    let mut row = Vec::with_capacity(room);
                    let record = EntryRecord::lent(e, payloads);
                    match &mut csv {
                        Some(w) => w.record_tail(&record, &mut row),
                        None => record_tail_json(&record, &mut row),
                    }
                    e.prepared = Some(row);
                    e.extra = Vec::new();
                })
            }),
            keeps_payloads: false,
        })
    }

    fn entry(&mut self, entry: &Entry, out: &mut dyn Write) -> io::Result<()> {
        let index = i64::try_from(entry.index).unwrap_or(i64::MAX);
        match (&mut self.writer, &entry.prepared) {
            (Writer::Json(w), Some(tail)) => w.record_with_tail(ENTRY_COLUMNS[0], index, tail, out),
            (Writer::Csv(w), Some(tail)) => w.record_with_tail(ENTRY_COLUMNS, index, tail, out),
            (Writer::Json(w), None) => w.record(&EntryRecord::new(entry), out),
            (Writer::Csv(w), None) => w.record(&EntryRecord::new(entry), out),
        }
    }

    fn finish(&mut self, _context: &TraceContext<'_>, out: &mut dyn Write) -> io::Result<()> {
        match &mut self.writer {
            Writer::Json(w) => w.finish(out),
            Writer::Csv(_) => Ok(()),
        }
    }
}
