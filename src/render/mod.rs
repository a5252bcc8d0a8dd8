//! Render: entries and sessions turned into text or data. One trait for
//! the trace views, one file per format, and a factory from the format.
//! Renderers write to `&mut dyn Write` and know nothing of flags or
//! terminals: width and color arrive as plain values.

pub mod analysis;
pub mod chrome;
pub mod diff;
pub mod dot;
pub mod entry_detail;
pub mod entry_record;
pub mod export;
pub mod flow;
pub mod flow_export;
pub mod hops;
pub mod lanes;
pub mod list;
pub mod live;
pub mod mermaid;
pub mod ordered;
pub mod otlp;
pub mod record;
mod rows;
mod runs;
pub mod state;
pub mod stats;
pub mod style;
pub mod table;
pub mod text;
pub mod time;
pub mod timeline;

use std::io::{self, Write};

use crate::analysis::flow::Hop;
use crate::analysis::timeline::TimeKey;
use crate::analysis::SessionSummary;
use crate::model::{Completeness, Entry};
use hops::HopStore;

pub use style::{Role, Theme};

/// Formats of `trace`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryFormat {
    Table,
    Json,
    Jsonl,
    Csv,
}

/// Formats of `trace --flow-only` (and of the diagram formats, which only
/// describe flow).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowFormat {
    Text,
    Json,
    Jsonl,
    Csv,
    Mermaid(mermaid::Diagram),
    Dot,
}

/// Formats of `list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListFormat {
    Table,
    Json,
    Jsonl,
    Csv,
}

/// Settings every text renderer shares.
#[derive(Debug, Clone, Copy)]
pub struct TextOptions {
    pub theme: Theme,
    /// Columns available.
    pub width: usize,
    pub verbose: bool,
    pub debug: bool,
    /// Neutralize spreadsheet formulas in CSV.
    pub formula_guard: bool,
    /// Zone and format of times in text views.
    pub time: time::TimeStyle,
}

impl TextOptions {
    /// Plain text `width` columns wide: no color, not verbose, formulas
    /// guarded, times as written (tests and benchmarks start from it).
    pub fn plain(width: usize) -> Self {
        TextOptions {
            theme: Theme { color: false },
            width,
            verbose: false,
            debug: false,
            formula_guard: true,
            time: time::TimeStyle::default(),
        }
    }
}

/// What a trace view knows once the whole input has been read.
#[derive(Debug)]
pub struct TraceContext<'a> {
    pub session: &'a str,
    /// Where it was read from, for people.
    pub source: &'a str,
    /// Over every entry read, filtered or not.
    pub summary: &'a SessionSummary,
    pub completeness: Completeness,
    pub entries_after_close: u64,
    /// Entries (or hops) that passed the filter.
    pub shown: u64,
    /// Entries (or hops) the filter chose from.
    pub candidates: u64,
    /// What was counted: "entries" or "hops".
    pub noun: &'static str,
    /// The filter as typed (empty when there is none).
    pub filter: &'a str,
}

#[cfg(test)]
impl<'a> TraceContext<'a> {
    /// For tests: session `s` from `f`, complete, every entry shown.
    pub(crate) fn whole(summary: &'a SessionSummary) -> Self {
        TraceContext {
            session: "s",
            source: "f",
            summary,
            completeness: Completeness::Complete,
            entries_after_close: 0,
            shown: summary.entries,
            candidates: summary.entries,
            noun: "entries",
            filter: "",
        }
    }
}

/// A view of a session's entries. Entries arrive in file order; a view that
/// streams writes them as they come, one that sorts holds what it needs.
pub trait EntryRenderer {
    fn begin(&mut self, _out: &mut dyn Write) -> io::Result<()> {
        Ok(())
    }
    fn entry(&mut self, entry: &Entry, out: &mut dyn Write) -> io::Result<()>;
    fn finish(&mut self, context: &TraceContext<'_>, out: &mut dyn Write) -> io::Result<()>;
    /// Whether the view shows state payloads (the reader skips them if not).
    fn needs_state(&self) -> bool {
        true
    }
    /// Work on each entry the reader may do ahead, in parallel (see
    /// [`crate::input::EntrySink::prepare`]).
    fn prepare(&self) -> Option<crate::input::Prepare> {
        None
    }
    /// Following many sessions: the rows that come next belong to this one
    /// (live tables show it in a SESSION column; records carry session_id).
    fn set_session(&mut self, _label: &str, _color: u8) {}
}

/// The renderer for a `trace --format` value.
pub fn entry_renderer(format: EntryFormat, options: TextOptions) -> Box<dyn EntryRenderer> {
    match format {
        EntryFormat::Table => Box::new(timeline::TimelineTable::new(options)),
        EntryFormat::Json => Box::new(export::EntryExport::json(true)),
        EntryFormat::Jsonl => Box::new(export::EntryExport::json(false)),
        EntryFormat::Csv => Box::new(export::EntryExport::csv(options.formula_guard)),
    }
}

/// A view of a session's flow: hops arrive in file order (filtered); views
/// put them in time order.
pub trait HopRenderer {
    /// The next hop.
    fn hop(&mut self, hop: &Hop<'_>, out: &mut dyn Write) -> io::Result<()>;
    /// After the last hop. A view that wrote each hop as it came has
    /// nothing left to write.
    fn finish(&mut self, _context: &TraceContext<'_>, _out: &mut dyn Write) -> io::Result<()> {
        Ok(())
    }
    /// As [`EntryRenderer::set_session`].
    fn set_session(&mut self, _label: &str, _color: u8) {}
}

/// A view drawn from all of a session's hops at once.
pub trait HopView {
    /// Each hop as it comes, in file order, with its place in time
    /// order, for what the view learns of all hops before it draws them
    /// (one read of the store fewer).
    fn see(&mut self, _hop: &Hop<'_>, _at: TimeKey) {}
    /// Whether the view reads the hops when it draws (a graph made from
    /// what it saw needs none kept).
    fn reads_hops(&self) -> bool {
        true
    }
    /// The hops in `hops`, read in time order (by instant, file order on
    /// ties) as many times as the view needs.
    fn render(
        &mut self,
        hops: &mut HopStore,
        context: &TraceContext<'_>,
        out: &mut dyn Write,
    ) -> io::Result<()>;
}

/// Collects hops and hands them, in time order, to a whole-session view.
pub struct Sorted<V> {
    view: V,
    hops: HopStore,
}

impl<V: HopView> Sorted<V> {
    pub fn new(view: V) -> Self {
        Sorted::with_store(view, HopStore::default())
    }

    /// A view whose hops go into `hops` (tests give it a small budget).
    fn with_store(view: V, hops: HopStore) -> Self {
        Sorted { view, hops }
    }
}

impl<V: HopView> HopRenderer for Sorted<V> {
    fn hop(&mut self, hop: &Hop<'_>, _out: &mut dyn Write) -> io::Result<()> {
        let at = match self.view.reads_hops() {
            true => self.hops.push(hop)?,
            false => self.hops.place(hop),
        };
        self.view.see(hop, at);
        Ok(())
    }

    fn finish(&mut self, context: &TraceContext<'_>, out: &mut dyn Write) -> io::Result<()> {
        self.view.render(&mut self.hops, context, out)
    }
}

/// The renderer for a flow format.
pub fn hop_renderer(format: FlowFormat, options: TextOptions) -> Box<dyn HopRenderer> {
    match format {
        FlowFormat::Text => Box::new(Sorted::new(flow::FlowText::new(options))),
        FlowFormat::Json => Box::new(Sorted::new(flow_export::HopRecords::json(true))),
        FlowFormat::Jsonl => Box::new(Sorted::new(flow_export::HopRecords::json(false))),
        FlowFormat::Csv => Box::new(Sorted::new(flow_export::HopRecords::csv(
            options.formula_guard,
        ))),
        FlowFormat::Mermaid(diagram) => Box::new(Sorted::new(mermaid::MermaidExport::new(diagram))),
        FlowFormat::Dot => Box::new(Sorted::new(dot::DotExport::default())),
    }
}

/// The renderer for `--follow`: one that writes each entry as it arrives,
/// or `None` for formats that need the whole session.
pub fn live_entry_renderer(
    format: EntryFormat,
    options: TextOptions,
    many_sessions: bool,
) -> Option<Box<dyn EntryRenderer>> {
    match format {
        EntryFormat::Table => Some(Box::new(live::LiveTable::new(options, many_sessions))),
        EntryFormat::Jsonl => Some(Box::new(export::EntryExport::json(false))),
        EntryFormat::Csv => Some(Box::new(export::EntryExport::csv(options.formula_guard))),
        EntryFormat::Json => None,
    }
}

/// The flow renderer for `--follow`, or `None` for formats that need the
/// whole session.
pub fn live_hop_renderer(
    format: FlowFormat,
    options: TextOptions,
    many_sessions: bool,
) -> Option<Box<dyn HopRenderer>> {
    match format {
        FlowFormat::Text => Some(Box::new(live::LiveFlow::new(options, many_sessions))),
        FlowFormat::Jsonl => Some(Box::new(flow_export::HopRecords::json(false))),
        FlowFormat::Csv => Some(Box::new(flow_export::HopRecords::csv(
            options.formula_guard,
        ))),
        FlowFormat::Json | FlowFormat::Mermaid(_) | FlowFormat::Dot => None,
    }
}

/// The items of a JSON array written one at a time as compact JSON, with
/// the commas between them (the brackets are the caller's): a document of
/// any size is written without being held.
pub struct JsonItems<'w, W: Write + ?Sized> {
    out: &'w mut W,
    written: usize,
}

impl<'w, W: Write + ?Sized> JsonItems<'w, W> {
    /// Goes on with an array that already holds `written` items.
    pub fn new(out: &'w mut W, written: usize) -> Self {
        JsonItems { out, written }
    }

    pub fn push(&mut self, item: &impl serde::Serialize) -> serde_json::Result<()> {
        if self.written > 0 {
            self.out.write_all(b",").map_err(serde_json::Error::io)?;
        }
        serde_json::to_writer(&mut *self.out, item)?;
        self.written += 1;
        Ok(())
    }

    /// Items written so far.
    pub fn written(&self) -> usize {
        self.written
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::flow::FlowBuilder;
    use crate::input::{Diagnostic, EntrySink, ParseOptions, Prepare};

    /// Feeds a renderer as `trace` does.
    struct Feed<'a> {
        view: &'a mut dyn EntryRenderer,
        out: Vec<u8>,
        summary: crate::analysis::SessionSummary,
    }

    impl EntrySink for Feed<'_> {
        fn entry(&mut self, entry: &mut Entry) -> anyhow::Result<()> {
            self.summary.add(entry);
            Ok(self.view.entry(entry, &mut self.out)?)
        }
        fn problem(&mut self, _problem: Diagnostic) {}
        fn prepare(&self) -> Option<Prepare> {
            self.view.prepare()
        }
    }

    /// `format`'s output for `bytes`, read on the parallel reader (work
    /// prepared on its threads) or on the simple path (none).
    fn render(bytes: &[u8], format: Option<EntryFormat>, verbose: bool, parallel: bool) -> Vec<u8> {
        let options = TextOptions {
            verbose,
            ..TextOptions::plain(140)
        };
        let json = if verbose {
            analysis::AnalysisFormat::Json
        } else {
            analysis::AnalysisFormat::Text
        };
        // No format: the analysis (as JSON when verbose).
        let mut view = match format {
            Some(format) => entry_renderer(format, options),
            None => Box::new(analysis::AnalysisView::new(options, json, 5)),
        };
        let parse = ParseOptions {
            keep_state: view.needs_state(),
            keep_raw: false,
        };
        let mut out = Vec::new();
        view.begin(&mut out).unwrap();
        let mut feed = Feed {
            view: view.as_mut(),
            out,
            summary: Default::default(),
        };
        if parallel {
            let sizes = crate::input::parallel::Sizes {
                block: 700,
                workers: 2,
                ..Default::default()
            };
            let file = crate::input::Input::<&[u8]>::File(&bytes);
            crate::input::parallel::read(file, parse, None, &mut feed, sizes).unwrap();
        } else {
            crate::input::read_all(bytes, parse, &mut feed).unwrap();
        }
        let (mut out, summary) = (feed.out, feed.summary);
        view.finish(&TraceContext::whole(&summary), &mut out)
            .unwrap();
        out
    }

    /// Collects the entries `trace` reads, to make hops of.
    #[derive(Default)]
    struct Entries {
        entries: Vec<Entry>,
        summary: crate::analysis::SessionSummary,
    }

    impl EntrySink for Entries {
        fn entry(&mut self, entry: &mut Entry) -> anyhow::Result<()> {
            self.summary.add(entry);
            self.entries.push(std::mem::take(entry));
            Ok(())
        }
        fn problem(&mut self, _problem: Diagnostic) {}
    }

    /// Every flow view writes the same whether its hops stay in memory
    /// or go to temporary files (read back in windows, grouped by event
    /// through sorted files), on every fixture.
    #[test]
    fn flow_views_write_the_same_from_memory_and_from_files() {
        let options = TextOptions::plain(100);
        let views = |budget: usize| -> Vec<Box<dyn HopRenderer>> {
            let store = || HopStore::with_budget(budget);
            vec![
                Box::new(Sorted::with_store(flow::FlowText::new(options), store())),
                Box::new(Sorted::with_store(
                    flow_export::HopRecords::csv(true),
                    store(),
                )),
                Box::new(Sorted::with_store(
                    flow_export::HopRecords::json(true),
                    store(),
                )),
                Box::new(Sorted::with_store(
                    mermaid::MermaidExport::new(mermaid::Diagram::Sequence),
                    store(),
                )),
                Box::new(Sorted::with_store(
                    mermaid::MermaidExport::new(mermaid::Diagram::Graph),
                    store(),
                )),
                Box::new(Sorted::with_store(dot::DotExport::default(), store())),
            ]
        };
        for (path, bytes) in crate::input::fixture_files() {
            let parse = ParseOptions {
                keep_state: true,
                keep_raw: false,
            };
            let mut read = Entries::default();
            crate::input::read_all(&bytes[..], parse, &mut read).unwrap();
            let mut outputs = Vec::new();
            for budget in [0, 300, 1 << 24] {
                let mut written = Vec::new();
                for mut view in views(budget) {
                    let mut builder = FlowBuilder::with_state_diff();
                    let mut out = Vec::new();
                    for entry in &read.entries {
                        if let Some(hop) = builder.push(entry) {
                            view.hop(&hop, &mut out).unwrap();
                        }
                    }
                    view.finish(&TraceContext::whole(&read.summary), &mut out)
                        .unwrap();
                    written.push(String::from_utf8(out).unwrap());
                }
                outputs.push(written);
            }
            assert_eq!(outputs[0], outputs[2], "{}", path.display());
            assert_eq!(outputs[1], outputs[2], "{}", path.display());
        }
    }

    /// Work a view does ahead on the reader's threads (an export's rows,
    /// the table's STATE cells, the analysis's token counts) changes
    /// nothing in what it writes.
    #[test]
    fn prepared_entries_render_as_unprepared_ones() {
        for (path, bytes) in crate::input::fixture_files() {
            for format in [
                Some(EntryFormat::Csv),
                Some(EntryFormat::Json),
                Some(EntryFormat::Jsonl),
                Some(EntryFormat::Table),
                None,
            ] {
                for verbose in [false, true] {
                    let simple = render(&bytes, format, verbose, false);
                    let parallel = render(&bytes, format, verbose, true);
                    assert!(
                        simple == parallel,
                        "{} as {format:?}:\n{}\n---\n{}",
                        path.display(),
                        String::from_utf8_lossy(&simple),
                        String::from_utf8_lossy(&parallel)
                    );
                }
            }
        }
    }
}
