//! `trace --flow-only --format json|jsonl|csv`: the hops as records.
//!
//! Schema (stable; columns are only ever added at the end): `index` (the
//! entry the hop came from), `timestamp` (as written), `agent`, `next`
//! (null at the end), `hook`, `event_id`, `kind` (handoff, requeue, retry,
//! error, end), `error`, `state_changes` (with `--state-diff`: `+key`
//! added, `-key` removed, `~key` changed; else null).

use std::borrow::Cow;
use std::io::{self, Write};

use super::hops::HopStore;
use super::record::{CsvWriter, JsonWriter, Record, Value};
use super::{HopRenderer, HopView, TraceContext};
use crate::analysis::flow::Hop;

pub const HOP_COLUMNS: &[&str] = &[
    "index",
    "timestamp",
    "agent",
    "next",
    "hook",
    "event_id",
    "kind",
    "error",
    "state_changes",
];

struct HopRecord<'a>(Hop<'a>);

impl Record for HopRecord<'_> {
    fn columns(&self) -> &'static [&'static str] {
        HOP_COLUMNS
    }

    fn values(&self) -> Vec<Value<'_>> {
        let h = self.0;
        vec![
            Value::Int(h.index as i64),
            Value::timestamp(&h.timestamp, h.written),
            Value::Str(Cow::Borrowed(h.agent)),
            Value::opt_str(h.next),
            Value::Str(Cow::Borrowed(h.hook.as_str())),
            Value::opt_str(h.event_id),
            Value::Str(Cow::Borrowed(h.kind.as_str())),
            Value::opt_str(h.error),
            Value::opt_str(h.state_changes),
        ]
    }
}

enum Writer {
    Json(JsonWriter),
    Csv(Box<CsvWriter>),
}

/// Hops as JSON, JSON lines or CSV: as a whole-session view (in time
/// order, through [`super::Sorted`]), or live, each hop as it comes.
pub struct HopRecords {
    writer: Writer,
    /// Whether the JSON array (or CSV header) was opened.
    begun: bool,
}

impl HopRecords {
    pub fn json(array: bool) -> Self {
        HopRecords {
            writer: Writer::Json(JsonWriter::new(array)),
            begun: false,
        }
    }

    pub fn csv(formula_guard: bool) -> Self {
        HopRecords {
            writer: Writer::Csv(Box::new(CsvWriter::new(formula_guard))),
            begun: false,
        }
    }

    fn begin(&mut self, out: &mut dyn Write) -> io::Result<()> {
        if std::mem::replace(&mut self.begun, true) {
            return Ok(());
        }
        match &mut self.writer {
            Writer::Json(w) => w.begin(out),
            Writer::Csv(w) => w.header(HOP_COLUMNS, out),
        }
    }

    fn record(&mut self, hop: Hop<'_>, out: &mut dyn Write) -> io::Result<()> {
        self.begin(out)?;
        match &mut self.writer {
            Writer::Json(w) => w.record(&HopRecord(hop), out),
            Writer::Csv(w) => w.record(&HopRecord(hop), out),
        }
    }

    fn end(&mut self, out: &mut dyn Write) -> io::Result<()> {
        self.begin(out)?;
        match &mut self.writer {
            Writer::Json(w) => w.finish(out),
            Writer::Csv(_) => Ok(()),
        }
    }
}

impl HopView for HopRecords {
    fn render(
        &mut self,
        hops: &mut HopStore,
        _ctx: &TraceContext<'_>,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        hops.for_each(&mut |hop| self.record(*hop, out))?;
        self.end(out)
    }
}

/// Live: each hop as it comes (JSON lines and CSV).
impl HopRenderer for HopRecords {
    fn hop(&mut self, hop: &Hop<'_>, out: &mut dyn Write) -> io::Result<()> {
        self.record(*hop, out)
    }

    fn finish(&mut self, _ctx: &TraceContext<'_>, out: &mut dyn Write) -> io::Result<()> {
        self.end(out)
    }
}
