//! `trace --flow-only`: the flow table, then upstream's sections (sequence
//! diagram, condensed route, per-event diagrams), then the lane diagram.

use std::borrow::Cow;
use std::io::{self, Write};
use std::ops::Range;

use super::hops::{EventHashes, EventItem, HopPass, HopStore};
use super::lanes::write_lanes;
use super::ordered::{fold_parts, render_ranges_in_order};
use super::style::Role;
use super::table::{fit, write_header, write_row, Cell, Column};
use super::text::{escape, escape_measured, width};
use super::time::ColumnShape;
use super::timeline::write_session_header;
use super::{HopView, TextOptions, TraceContext};
use crate::analysis::flow::{event_label, AgentGraph, CondensedRoute, Hop, HopKind};
use crate::analysis::timeline::TimeKey;

pub(super) const COLUMNS: [Column; 7] = [
    Column::new("TIME", 8, 29),
    Column::new("AGENT", 5, 24),
    Column::new("NEXT", 5, 24),
    Column::new("HOOK", 8, 20).optional(),
    Column::new("EVENT ID", 8, 13).optional(),
    Column::new("KIND", 5, 7),
    Column::new("ERROR", 10, 60).elastic(),
];

/// Hops to a batch when a section is rendered on every core.
pub(super) const HOPS_PER_BATCH: usize = 2048;

/// The role a hop kind is shown in.
pub fn kind_role(kind: HopKind) -> Role {
    match kind {
        HopKind::Handoff => Role::Good,
        HopKind::Requeue => Role::Warning,
        HopKind::Retry | HopKind::Error => Role::Error,
        HopKind::End => Role::Dim,
    }
}

/// Writes `agent → next` or `agent → (end)`, with the kind when it is not
/// a plain hand-off.
fn write_arrow(out: &mut Vec<u8>, hop: &Hop<'_>) {
    out.extend_from_slice(escape(hop.agent).as_bytes());
    out.extend_from_slice(" → ".as_bytes());
    out.extend_from_slice(hop.next.map_or(Cow::Borrowed("(end)"), escape).as_bytes());
    match hop.kind {
        HopKind::Handoff | HopKind::End => {}
        HopKind::Requeue | HopKind::Retry | HopKind::Error => {
            out.extend_from_slice(b" [");
            out.extend_from_slice(hop.kind.as_str().as_bytes());
            out.push(b']');
        }
    }
}

/// Writes `{indent}{n}. ` and the arrow of `hop`, on a line of its own.
fn write_numbered(out: &mut Vec<u8>, indent: &str, n: usize, hop: &Hop<'_>) {
    out.extend_from_slice(indent.as_bytes());
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
    out.extend_from_slice(b". ");
    write_arrow(out, hop);
    out.push(b'\n');
}

/// Writes `a → b → c`, broken before an arrow when a line would pass
/// the width, a line at a time, as agents come (a long session's route
/// has about as many agents as hops). Each agent is measured once; a
/// line's width is the sum of its pieces'.
struct ChainWriter {
    width_limit: usize,
    line: String,
    line_width: usize,
}

impl ChainWriter {
    const ARROW: &str = " → ";
    const BROKEN: &str = "  → ";

    fn new(width_limit: usize) -> Self {
        ChainWriter {
            width_limit,
            line: String::new(),
            line_width: 0,
        }
    }

    fn push(&mut self, agent: &str, out: &mut dyn Write) -> io::Result<()> {
        let agent_width = width(agent);
        if self.line.is_empty() {
            self.line.push_str(agent);
            self.line_width = agent_width;
            return Ok(());
        }
        let piece_width = width(Self::ARROW) + agent_width;
        if self.line_width + piece_width > self.width_limit {
            writeln!(out, "{}", self.line)?;
            self.line.clear();
            self.line.push_str(Self::BROKEN);
            self.line.push_str(agent);
            self.line_width = width(Self::BROKEN) + agent_width;
            return Ok(());
        }
        self.line.push_str(Self::ARROW);
        self.line.push_str(agent);
        self.line_width += piece_width;
        Ok(())
    }

    /// Writes the line being made, if any.
    fn finish(&mut self, out: &mut dyn Write) -> io::Result<()> {
        if !self.line.is_empty() {
            writeln!(out, "{}", self.line)?;
            self.line.clear();
        }
        Ok(())
    }
}

/// Writes the condensed route of hops pushed in time order.
struct RouteWriter {
    route: CondensedRoute,
    chain: ChainWriter,
}

impl RouteWriter {
    fn new(width_limit: usize) -> Self {
        RouteWriter {
            route: CondensedRoute::default(),
            chain: ChainWriter::new(width_limit),
        }
    }
}

impl HopPass for RouteWriter {
    fn hop(&mut self, hop: &Hop<'_>, out: &mut dyn Write) -> io::Result<()> {
        match self.route.push(hop) {
            Some(agent) => self.chain.push(&escape(agent), out),
            None => Ok(()),
        }
    }

    fn end(&mut self, out: &mut dyn Write) -> io::Result<()> {
        if let Some(last) = self.route.end() {
            self.chain.push(&escape(&last), out)?;
        }
        self.chain.finish(out)
    }
}

/// The text flow view.
pub struct FlowText {
    options: TextOptions,
    /// What the hops' times look like, and the agents, learnt as the
    /// hops come.
    shape: ColumnShape,
    agents: AgentGraph,
    /// The widths of the hops' cells and notes, learnt as they come:
    /// when every time takes one width, the hops need not be read again
    /// to measure them.
    widest: Widest,
    /// The condensed route and the hops' events hashed, made as the hops
    /// come while they come in time order (a file written as the session
    /// ran): two reads of the store fewer. `None` once one comes out of
    /// order or they grow past [`EARLY_HELD`] or [`EARLY_HOPS`]; they are
    /// then made from the store.
    early: Option<Early>,
}

/// What is made of the hops as they come (see [`FlowText`]), and the
/// place of the last.
struct Early {
    route: RouteWriter,
    text: Vec<u8>,
    events: EventHashes,
    last: Option<TimeKey>,
}

/// Bytes of route text held as hops come, at most (a gigabyte's route
/// is about half a megabyte).
const EARLY_HELD: usize = 1 << 20;

/// Hops whose events are hashed as they come, at most (a gigabyte has
/// about 74,000; 40 bytes each).
const EARLY_HOPS: usize = 100_000;

impl FlowText {
    pub fn new(options: TextOptions) -> Self {
        FlowText {
            options,
            shape: ColumnShape::default(),
            agents: AgentGraph::default(),
            widest: Widest::default(),
            early: Some(Early {
                route: RouteWriter::new(options.width),
                text: Vec::new(),
                events: EventHashes::default(),
                last: None,
            }),
        }
    }
}

/// What follows a hop's time in its lane's note.
fn after_time(h: &Hop<'_>, text: &mut String) {
    text.push_str("  ");
    text.push_str(h.kind.as_str());
    if let Some(e) = h.error {
        text.push_str(": ");
        text.push_str(&escape(e));
    }
}

/// The larger of `a`'s and `b`'s, place by place.
fn max_each<const N: usize>(a: [usize; N], b: [usize; N]) -> [usize; N] {
    std::array::from_fn(|i| a[i].max(b[i]))
}

/// The widest content of each column of [`COLUMNS`] but the time (first,
/// left 0), and of a lane's note after its time ([`after_time`]), apart
/// for hops with a time and without one.
#[derive(Debug, Default, Clone, Copy)]
struct Widest {
    cells: [usize; 7],
    after_timed: usize,
    after_untimed: usize,
}

impl Widest {
    fn see(&mut self, hop: &Hop<'_>) {
        let seen = Widest::cell_widths(hop);
        self.cells = max_each(self.cells, seen);
        // [`after_time`]'s text: two spaces, the kind, and `: ` and the
        // error (as their cells show them) when there is one.
        let after = 2 + seen[5] + hop.error.map_or(0, |_| 2 + seen[6]);
        let side = match hop.timestamp.get() {
            Some(_) => &mut self.after_timed,
            None => &mut self.after_untimed,
        };
        *side = (*side).max(after);
    }

    /// The columns each of [`hop_cells`] takes, but the time (0): each
    /// text escaped and measured in one pass, without making the cells
    /// (this runs on the reading thread, for every hop as it comes).
    fn cell_widths(hop: &Hop<'_>) -> [usize; 7] {
        let shown = |text: &str| escape_measured(text).1;
        [
            0,
            shown(hop.agent),
            hop.next.map_or(width(END_CELL), shown),
            width(hop.hook.as_str()),
            shown(event_label(hop.event_id.unwrap_or(NO_EVENT_CELL))),
            width(hop.kind.as_str()),
            hop.error.map_or(width(NO_ERROR_CELL), shown),
        ]
    }

    /// The widest note when every time takes `time_width` columns and a
    /// missing one `none_width`.
    fn note(&self, time_width: usize, none_width: usize) -> usize {
        let timed = (self.after_timed > 0).then_some(self.after_timed + time_width);
        let untimed = (self.after_untimed > 0).then_some(self.after_untimed + none_width);
        timed.max(untimed).unwrap_or(0)
    }
}

/// What a hop's row shows for no next agent, no event and no error.
const END_CELL: &str = "(end)";
const NO_EVENT_CELL: &str = "-";
const NO_ERROR_CELL: &str = "-";

/// The cells of a hop's row in [`COLUMNS`], with its time as given; they
/// borrow the hop's strings unless escaping changed them.
pub(super) fn hop_cells<'a>(h: &Hop<'a>, time: impl Into<Cow<'a, str>>) -> [Cell<'a>; 7] {
    [
        Cell::plain(time),
        Cell::styled(escape(h.agent), Role::Agent),
        match h.next {
            Some(n) => Cell::styled(escape(n), Role::Agent),
            None => Cell::styled(END_CELL, Role::Dim),
        },
        Cell::plain(h.hook.as_str()),
        Cell::plain(escape(event_label(h.event_id.unwrap_or(NO_EVENT_CELL)))),
        Cell::styled(h.kind.as_str(), kind_role(h.kind)),
        match h.error {
            Some(e) => Cell::styled(escape(e), Role::Error),
            None => Cell::styled(NO_ERROR_CELL, Role::Dim),
        },
    ]
}

impl HopView for FlowText {
    fn see(&mut self, hop: &Hop<'_>, at: TimeKey) {
        if let Some(t) = hop.timestamp.get() {
            self.shape.see(self.options.time, t);
        }
        self.agents.push(hop, at);
        self.widest.see(hop);
        if let Some(early) = &mut self.early {
            let in_order = early.last.is_none_or(|last| last < at);
            early.last = Some(at);
            early.events.push(hop);
            if !in_order
                || early.text.len() > EARLY_HELD
                || early.events.len() > EARLY_HOPS
                || early.route.hop(hop, &mut early.text).is_err()
            {
                self.early = None;
            }
        }
    }

    fn render(
        &mut self,
        hops: &mut HopStore,
        ctx: &TraceContext<'_>,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let theme = self.options.theme;
        let width_total = self.options.width;
        write_session_header(ctx, &self.options, out)?;
        if hops.is_empty() {
            return Ok(());
        }
        // Nothing is held per hop beyond the store: each section reads
        // the hops again (a long session has tens of thousands), a window
        // at a time, rendered on every core and written in order.
        let threads = crate::input::parallel::cores();
        let times = self.shape.column(self.options.time, ctx.summary.start);
        let time_of = |h: &Hop<'_>| times.show(h.timestamp.get());
        // A lane's note: the hop's time, then what follows it.
        let note = |h: &Hop<'_>, text: &mut String| {
            text.push_str(&time_of(h));
            after_time(h, text);
        };

        // 1. The flow table.
        writeln!(out, "\n{}", theme.paint("Agent flow:", Role::Header))?;
        // When every time takes the same width (the clock), one time tells
        // the column's, and what the hops told as they came the rest;
        // else each time is made and measured, with its lane's note.
        let uniform_width = self
            .shape
            .any()
            .filter(|_| times.uniform())
            .map(|t| width(&times.show(Some(t))));
        let mut content = self.widest.cells;
        let note_width = match uniform_width {
            Some(time_width) => {
                content[0] = time_width;
                self.widest.note(time_width, width(&times.show(None)))
            }
            None => {
                // The widest time, and note.
                let mut seen = [0; 2];
                hops.for_each_window(&mut |rows| {
                    let times = |part: &[usize]| -> io::Result<[usize; 2]> {
                        let mut widest = [0; 2];
                        let mut text = String::new();
                        for &start in part {
                            let h = rows.at(start)?;
                            let time_width = width(&time_of(&h));
                            text.clear();
                            after_time(&h, &mut text);
                            widest = max_each(widest, [time_width, time_width + width(&text)]);
                        }
                        Ok(widest)
                    };
                    let both =
                        |a: io::Result<[usize; 2]>, b: io::Result<[usize; 2]>| Ok(max_each(a?, b?));
                    let parts = fold_parts(rows.starts(), threads, HOPS_PER_BATCH, &times, both);
                    if let Some(part) = parts {
                        seen = max_each(seen, part?);
                    }
                    Ok(())
                })?;
                content[0] = seen[0];
                seen[1]
            }
        };
        let widths = fit(&COLUMNS, &content, width_total);
        write_header(out, &COLUMNS, &widths, theme)?;
        hops.for_each_window(&mut |window| {
            let rows = |range: &Range<usize>, out: &mut Vec<u8>| -> io::Result<()> {
                for h in window.slice(range.clone()) {
                    let h = h?;
                    let time = time_of(&h);
                    write_row(out, &widths, &hop_cells(&h, time.as_str()), theme)?;
                    if let Some(changes) = h.state_changes {
                        let line = format!("  state: {}", escape(changes));
                        writeln!(
                            out,
                            "{}",
                            theme.paint(&super::text::truncate(&line, width_total), Role::Dim)
                        )?;
                    }
                }
                Ok(())
            };
            render_ranges_in_order(window.len(), HOPS_PER_BATCH, &rows, threads, out)
        })?;

        // 2. Numbered agent → next lines.
        writeln!(out, "\n{}", theme.paint("Sequence diagram:", Role::Header))?;
        writeln!(out, "{}", theme.paint("-----------------", Role::Dim))?;
        let mut before = 0;
        hops.for_each_window(&mut |window| {
            let numbered = |range: &Range<usize>, out: &mut Vec<u8>| -> io::Result<()> {
                for (i, h) in window.slice(range.clone()).enumerate() {
                    write_numbered(out, "", before + range.start + i + 1, &h?);
                }
                Ok(())
            };
            render_ranges_in_order(window.len(), HOPS_PER_BATCH, &numbered, threads, out)?;
            before += window.len();
            Ok(())
        })?;

        // 3. The route as one chain, and 4. the hops by event.
        let route_header = format!("\n{}\n", theme.paint("Condensed route:", Role::Header));
        let events_header = format!(
            "\n{}\n",
            theme.paint("Per-event sequence diagrams:", Role::Header)
        );
        let item = |item: EventItem<'_>, text: &mut Vec<u8>| -> io::Result<()> {
            match item {
                EventItem::Group(heading) => {
                    writeln!(
                        text,
                        "  {}:",
                        theme.paint(&escape(&heading), Role::Emphasis)
                    )
                }
                EventItem::Hop(h, n) => {
                    write_numbered(text, "    ", n, &h);
                    Ok(())
                }
            }
        };
        out.write_all(route_header.as_bytes())?;
        match self.early.take() {
            Some(mut early) => {
                early.route.end(&mut early.text)?;
                out.write_all(&early.text)?;
                drop(early.text);
                out.write_all(events_header.as_bytes())?;
                hops.by_event_hashed(early.events, &item, out)?;
            }
            None => {
                let mut route = RouteWriter::new(width_total);
                hops.by_event_after(&mut route, events_header.as_bytes(), &item, out)?;
            }
        }

        // 5. Lanes.
        writeln!(out, "\n{}", theme.paint("Lane diagram:", Role::Header))?;
        let agents = self.agents.participants();
        write_lanes(hops, &agents, (&note, note_width), width_total, theme, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::flow::FlowBuilder;
    use crate::analysis::SessionSummary;
    use crate::input::{read_all, Collect, ParseOptions};
    use crate::render::time::{TimeFormat, TimeStyle};
    use crate::render::{HopRenderer, Sorted};

    /// Hops with wide and escaped text, over two days.
    const WIDE: &str = r#"[
{"timestamp":"2025-05-02T15:11:15.803Z","hook":"AfterAgentRun","event_id":"e1","agent_id":"研究者","state":{"meta":{"route":"a"}}},
{"timestamp":"2025-05-02T15:11:16.803Z","hook":"AgentError","event_id":"req-123-x","agent_id":"a","error":"bad \u001b[31m red 错误"},
{"timestamp":"2025-05-03T15:11:17.803+02:00","hook":"AfterAgentRun","event_id":"e3","agent_id":"a","state":{"meta":{"route":"研究者"}}}
]"#;

    /// The flow view of [`WIDE`] with times shaped by `format`.
    fn flow_text(format: TimeFormat) -> String {
        let mut read = Collect::default();
        read_all(WIDE.as_bytes(), ParseOptions::default(), &mut read).unwrap();
        let options = TextOptions {
            time: TimeStyle { zone: None, format },
            ..TextOptions::plain(200)
        };
        flow_of(&read.entries, FlowText::new(options))
    }

    /// What `view` makes of `entries`' hops.
    fn flow_of(entries: &[crate::model::Entry], view: FlowText) -> String {
        let mut summary = SessionSummary::default();
        let mut view = Sorted::new(view);
        let (mut builder, mut out) = (FlowBuilder::default(), Vec::new());
        for entry in entries {
            summary.add(entry);
            if let Some(hop) = builder.push(entry) {
                view.hop(&hop, &mut out).unwrap();
            }
        }
        view.finish(&TraceContext::whole(&summary), &mut out)
            .unwrap();
        String::from_utf8(out).unwrap()
    }

    /// The widths measured as hops come are those of the cells the table
    /// shows, on every fixture and on wide and escaped text.
    #[test]
    fn widths_measured_as_hops_come_are_the_cells_widths() {
        let files = crate::input::fixture_files();
        let sessions = files.iter().map(|(_, b)| &b[..]);
        let mut hops = 0;
        for bytes in sessions.chain([WIDE.as_bytes()]) {
            let mut read = Collect::default();
            read_all(bytes, ParseOptions::default(), &mut read).unwrap();
            let mut builder = FlowBuilder::default();
            for entry in &read.entries {
                if let Some(hop) = builder.push(entry) {
                    let cells = hop_cells(&hop, "");
                    let want: Vec<usize> = cells.iter().map(|c| width(&c.text)).collect();
                    assert_eq!(Widest::cell_widths(&hop).to_vec(), want, "{hop:?}");
                    hops += 1;
                }
            }
        }
        assert!(hops > 100, "only {hops} hops");
    }

    /// The route and the events' hashes made as the hops come give what
    /// they give made after, on every fixture (one out of time order,
    /// where they are given up), at widths that break the route into
    /// lines.
    #[test]
    fn what_is_made_as_hops_come_is_what_is_made_after() {
        // Events whose hops are apart, and labels two events share.
        let apart = (0..40)
            .map(|i| {
                let event = ["e1", "e2", "req-7-a", "req-7-b", "e1"][i % 5];
                format!(
                    r#"{{"timestamp":"2025-05-02T15:11:{:02}Z","hook":"AfterAgentRun","event_id":"{event}","agent_id":"a{}","state":{{"meta":{{"route":"a{}"}}}}}}"#,
                    i,
                    i % 3,
                    (i + 1) % 3
                )
            })
            .collect::<Vec<_>>()
            .join("\n");
        let files = crate::input::fixture_files();
        let sessions = files.iter().map(|(p, b)| (p.display().to_string(), &b[..]));
        for (path, bytes) in sessions.chain([("apart".to_string(), apart.as_bytes())]) {
            let mut read = Collect::default();
            read_all(bytes, ParseOptions::default(), &mut read).unwrap();
            for width in [30, 80, 200] {
                let early = flow_of(&read.entries, FlowText::new(TextOptions::plain(width)));
                // The route and the hashes made from the store.
                let late = FlowText {
                    early: None,
                    ..FlowText::new(TextOptions::plain(width))
                };
                let late = flow_of(&read.entries, late);
                assert!(early == late, "{path} at {width}:\n{early}\n{late}");
            }
        }
    }

    /// The notes' widest, learnt as hops come, is that of the notes as
    /// written, for hops with a time and without one (an untimed hop's
    /// note starts with `-`, narrower than a time).
    #[test]
    fn the_widest_note_is_measured_apart_for_untimed_hops() {
        let mut read = Collect::default();
        let untimed = r#"{"hook":"AgentError","event_id":"e4","agent_id":"b","error":"a long error that makes the widest note 错误"}"#;
        let text = format!("{}\n{untimed}", WIDE.trim_end_matches(']'));
        read_all(text.as_bytes(), ParseOptions::default(), &mut read).unwrap();
        let mut builder = FlowBuilder::default();
        let (mut widest, mut want) = (Widest::default(), [0, 0]);
        for entry in &read.entries {
            let Some(hop) = builder.push(entry) else {
                continue;
            };
            widest.see(&hop);
            let mut note = String::new();
            after_time(&hop, &mut note);
            let time = usize::from(hop.timestamp.get().is_some());
            want[time] = want[time].max(width(&note));
        }
        assert!(want[0] > 0 && want[1] > 0, "{want:?}");
        assert_eq!(widest.note(12, 1), (want[1] + 12).max(want[0] + 1));
        assert_eq!(widest.note(30, 1), (want[1] + 30).max(want[0] + 1));
    }

    /// Where each cell of a table line starts, in columns: after a run of
    /// two spaces or more.
    fn cell_starts(line: &str) -> Vec<usize> {
        let (mut starts, mut column, mut spaces) = (vec![0], 0, 0);
        for c in line.chars() {
            if c == ' ' {
                spaces += 1;
            } else {
                if spaces >= 2 {
                    starts.push(column);
                }
                spaces = 0;
            }
            column += width(c.encode_utf8(&mut [0; 4]));
        }
        starts
    }

    /// The widths learnt as the hops come (and, for times that vary in
    /// width, measured after) fit every cell: each row's cells start
    /// under the header's names, and none is cut short.
    #[test]
    fn flow_table_cells_line_up_under_their_names() {
        for format in [TimeFormat::Clock, TimeFormat::Relative, TimeFormat::Full] {
            let text = flow_text(format);
            let table: Vec<&str> = text
                .lines()
                .skip_while(|l| !l.starts_with("TIME"))
                .take_while(|l| !l.is_empty())
                .collect();
            assert_eq!(table.len(), 4, "{text}");
            let header = cell_starts(table[0]);
            assert_eq!(header.len(), 7, "{}", table[0]);
            for row in &table[1..] {
                assert_eq!(
                    cell_starts(row),
                    header,
                    "{format:?}:\n{}",
                    table.join("\n")
                );
            }
            // With room to spare, nothing is cut short.
            assert!(table[1].contains("  研究者  "), "{}", table[1]);
            assert!(table[2].contains("  req-123  "), "{}", table[2]);
            assert!(
                table[2].ends_with("  bad \\x1b[31m red 错误"),
                "{}",
                table[2]
            );
            assert!(table[3].contains("  研究者  "), "{}", table[3]);
        }
    }
}
