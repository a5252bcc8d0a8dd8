//! `trace --flow-only --format json|jsonl|csv`: the hops as records.
//!
//! Schema (stable; columns are only ever added at the end): `index` (the
//! entry the hop came from), `timestamp` (as written), `agent`, `next`
//! (null at the end), `hook`, `event_id`, `kind` (handoff, requeue, retry,
//! error, end), `error`.

use std::borrow::Cow;
use std::io::{self, Write};

use super::record::{CsvWriter, JsonWriter, Record, Value};
use super::{HopRenderer, TraceContext};
use crate::analysis::flow::{FlowHop, HopTimeline};

pub const HOP_COLUMNS: &[&str] = &[
    "index",
    "timestamp",
    "agent",
    "next",
    "hook",
    "event_id",
    "kind",
    "error",
];

struct HopRecord<'a>(&'a FlowHop);

impl Record for HopRecord<'_> {
    fn columns(&self) -> &'static [&'static str] {
        HOP_COLUMNS
    }

    fn values(&self) -> Vec<Value<'_>> {
        let h = self.0;
        vec![
            Value::Int(h.index as i64),
            Value::opt_str(h.timestamp_raw.as_deref()),
            Value::Str(Cow::Borrowed(&h.agent)),
            Value::opt_str(h.next.as_deref()),
            Value::Str(Cow::Borrowed(h.hook.as_str())),
            Value::opt_str(h.event_id.as_deref()),
            Value::Str(Cow::Borrowed(h.kind.as_str())),
            Value::opt_str(h.error.as_deref()),
        ]
    }
}

enum Writer {
    Json(JsonWriter),
    Csv(Box<CsvWriter>),
}

/// Hops as JSON, JSON lines or CSV: in time order, or (live) as they
/// come.
pub struct HopExport {
    writer: Writer,
    hops: HopTimeline,
    live: bool,
}

impl HopExport {
    pub fn json(array: bool) -> Self {
        HopExport {
            writer: Writer::Json(JsonWriter::new(array)),
            hops: HopTimeline::default(),
            live: false,
        }
    }

    pub fn csv(formula_guard: bool) -> Self {
        HopExport {
            writer: Writer::Csv(Box::new(CsvWriter::new(formula_guard))),
            hops: HopTimeline::default(),
            live: false,
        }
    }

    /// Writes each hop as it comes (JSON lines and CSV only).
    pub fn live(mut self) -> Self {
        self.live = true;
        self
    }
}

impl HopRenderer for HopExport {
    fn hop(&mut self, hop: FlowHop, out: &mut dyn Write) -> io::Result<()> {
        if !self.live {
            self.hops.push(hop);
            return Ok(());
        }
        match &mut self.writer {
            Writer::Json(w) => w.record(&HopRecord(&hop), out),
            Writer::Csv(w) => w.record(&HopRecord(&hop), out),
        }
    }

    fn finish(&mut self, _ctx: &TraceContext<'_>, out: &mut dyn Write) -> io::Result<()> {
        if self.live {
            // Everything was written as it came; CSV still owes its header
            // when nothing came.
            return match &mut self.writer {
                Writer::Csv(w) => w.header(HOP_COLUMNS, out),
                Writer::Json(_) => Ok(()),
            };
        }
        let hops = self.hops.take_sorted();
        match &mut self.writer {
            Writer::Json(w) => {
                w.begin(out)?;
                for h in &hops {
                    w.record(&HopRecord(h), out)?;
                }
                w.finish(out)
            }
            Writer::Csv(w) => {
                w.header(HOP_COLUMNS, out)?;
                for h in &hops {
                    w.record(&HopRecord(h), out)?;
                }
                Ok(())
            }
        }
    }
}
