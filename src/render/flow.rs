//! `trace --flow-only`: the flow table, then upstream's sections (sequence
//! diagram, condensed route, per-event diagrams), then the lane diagram.

use std::borrow::Cow;
use std::io::{self, Write};
use std::ops::Range;

use super::hops::{EventItem, HopPass, HopStore};
use super::lanes::write_lanes;
use super::ordered::{fold_parts, render_ranges_in_order};
use super::style::Role;
use super::table::{fit, write_header, write_row, Cell, Column};
use super::text::{escape, width};
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
}

impl FlowText {
    pub fn new(options: TextOptions) -> Self {
        FlowText {
            options,
            shape: ColumnShape::default(),
            agents: AgentGraph::default(),
        }
    }
}

/// The cells of a hop's row in [`COLUMNS`], with its time as given; they
/// borrow the hop's strings unless escaping changed them.
pub(super) fn hop_cells<'a>(h: &Hop<'a>, time: impl Into<Cow<'a, str>>) -> [Cell<'a>; 7] {
    [
        Cell::plain(time),
        Cell::styled(escape(h.agent), Role::Agent),
        match h.next {
            Some(n) => Cell::styled(escape(n), Role::Agent),
            None => Cell::styled("(end)", Role::Dim),
        },
        Cell::plain(h.hook.as_str()),
        Cell::plain(escape(event_label(h.event_id.unwrap_or("-")))),
        Cell::styled(h.kind.as_str(), kind_role(h.kind)),
        match h.error {
            Some(e) => Cell::styled(escape(e), Role::Error),
            None => Cell::styled("-", Role::Dim),
        },
    ]
}

impl HopView for FlowText {
    fn see(&mut self, hop: &Hop<'_>, at: TimeKey) {
        if let Some(t) = hop.timestamp.get() {
            self.shape.see(self.options.time, t);
        }
        self.agents.push(hop, at);
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
        // What follows a hop's time in its lane's note.
        let after_time = |h: &Hop<'_>, text: &mut String| {
            text.push_str("  ");
            text.push_str(h.kind.as_str());
            if let Some(e) = h.error {
                text.push_str(": ");
                text.push_str(&escape(e));
            }
        };
        // A lane's note: the hop's time, then what follows it.
        let note = |h: &Hop<'_>, text: &mut String| {
            text.push_str(&time_of(h));
            after_time(h, text);
        };

        // 1. The flow table.
        writeln!(out, "\n{}", theme.paint("Agent flow:", Role::Header))?;
        // When every time takes the same width (the clock), one time tells
        // the column's; else each is made and measured. The lane
        // diagram's notes are measured in the same read.
        let any_time = self.shape.any();
        let uniform_width = any_time
            .filter(|_| times.uniform())
            .map(|t| width(&times.show(Some(t))));
        let max = |a: [usize; 8], b: [usize; 8]| -> [usize; 8] {
            std::array::from_fn(|i| a[i].max(b[i]))
        };
        let mut seen = [0usize; 8];
        hops.for_each_window(&mut |rows| {
            let widest = |part: &[usize]| -> io::Result<[usize; 8]> {
                let mut content = [0usize; 8];
                let mut text = String::new();
                for &start in part {
                    let h = rows.at(start)?;
                    let time = match uniform_width {
                        Some(_) => Default::default(),
                        None => time_of(&h),
                    };
                    for (c, cell) in content.iter_mut().zip(hop_cells(&h, time.as_str())) {
                        *c = (*c).max(width(&cell.text));
                    }
                    // The note's time is the cell's, measured once.
                    text.clear();
                    after_time(&h, &mut text);
                    let time_width = uniform_width.unwrap_or_else(|| width(&time));
                    content[7] = content[7].max(time_width + width(&text));
                }
                Ok(content)
            };
            let both = |a: io::Result<[usize; 8]>, b: io::Result<[usize; 8]>| Ok(max(a?, b?));
            if let Some(part) = fold_parts(rows.starts(), threads, HOPS_PER_BATCH, &widest, both) {
                seen = max(seen, part?);
            }
            Ok(())
        })?;
        let mut content: [usize; 7] = std::array::from_fn(|i| seen[i]);
        let note_width = seen[7];
        if let Some(time_width) = uniform_width {
            content[0] = time_width;
        }
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
        let mut route = RouteWriter::new(width_total);
        hops.by_event_after(&mut route, events_header.as_bytes(), &item, out)?;

        // 5. Lanes.
        writeln!(out, "\n{}", theme.paint("Lane diagram:", Role::Header))?;
        let agents = self.agents.participants();
        write_lanes(hops, &agents, (&note, note_width), width_total, theme, out)
    }
}
