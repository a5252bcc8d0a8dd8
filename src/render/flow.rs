//! `trace --flow-only`: the flow table, then upstream's sections (sequence
//! diagram, condensed route, per-event diagrams), then the lane diagram.

use std::borrow::Cow;
use std::io::{self, Write};
use std::ops::Range;

use super::lanes::write_lanes;
use super::ordered::{fold_parts, render_ranges_in_order};
use super::style::Role;
use super::table::{fit, write_header, write_row, Cell, Column};
use super::text::{escape, width};
use super::time::ColumnShape;
use super::timeline::write_session_header;
use super::{HopView, TextOptions, TraceContext};
use crate::analysis::flow::{
    condensed_route, event_label, group_by_event, Flow, FlowHop, Hop, HopKind,
};

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
/// `width`, a line at a time (a long session's route has about as many
/// agents as hops). Each agent is measured once; a line's width is the sum
/// of its pieces'.
fn write_chain<'a>(
    chain: impl Iterator<Item = Cow<'a, str>>,
    width_limit: usize,
    out: &mut dyn Write,
) -> io::Result<()> {
    const ARROW: &str = " → ";
    let mut line = String::new();
    let mut line_width = 0;
    for (i, agent) in chain.enumerate() {
        let agent_width = width(&agent);
        let piece_width = if i == 0 {
            agent_width
        } else {
            width(ARROW) + agent_width
        };
        if !line.is_empty() && line_width + piece_width > width_limit {
            writeln!(out, "{line}")?;
            line.clear();
            line.push_str("  → ");
            line.push_str(&agent);
            line_width = width("  → ") + agent_width;
            continue;
        }
        if i > 0 {
            line.push_str(ARROW);
        }
        line.push_str(&agent);
        line_width += piece_width;
    }
    if !line.is_empty() {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// The text flow view.
pub struct FlowText {
    options: TextOptions,
}

impl FlowText {
    pub fn new(options: TextOptions) -> Self {
        FlowText { options }
    }
}

/// The cells of a hop's row in [`COLUMNS`], with its time as given; they
/// borrow the hop's strings unless escaping changed them.
pub(super) fn hop_cells<'a>(h: &Hop<'a>, time: String) -> [Cell<'a>; 7] {
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
    fn render(
        &mut self,
        flow: &Flow,
        ctx: &TraceContext<'_>,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let theme = self.options.theme;
        let width_total = self.options.width;
        write_session_header(ctx, &self.options, out)?;
        if flow.is_empty() {
            return Ok(());
        }
        // Nothing is held per hop beyond the hops themselves: each
        // section goes over them again (a long session has tens of
        // thousands), in batches rendered on every core and written in
        // order.
        let threads = crate::input::parallel::cores();
        let mut shape = ColumnShape::default();
        for t in flow.records().iter().filter_map(|h| h.timestamp.get()) {
            shape.see(self.options.time, t);
        }
        let times = shape.column(self.options.time, ctx.summary.start);
        let time_of = |h: &Hop<'_>| times.show(h.timestamp.get());

        // 1. The flow table.
        writeln!(out, "\n{}", theme.paint("Agent flow:", Role::Header))?;
        // When every time takes the same width (the clock), one time tells
        // the column's; else each is made and measured.
        let any_time = flow.records().iter().find_map(|h| h.timestamp.get());
        let uniform = times.uniform() && any_time.is_some();
        let mut content = fold_parts(
            flow.records(),
            threads,
            HOPS_PER_BATCH,
            &|part: &[FlowHop]| {
                let mut content = [0usize; 7];
                for h in part.iter().map(|h| flow.hop(h)) {
                    let time = if uniform { String::new() } else { time_of(&h) };
                    for (c, cell) in content.iter_mut().zip(hop_cells(&h, time)) {
                        *c = (*c).max(width(&cell.text));
                    }
                }
                content
            },
            |a, b| std::array::from_fn(|i| a[i].max(b[i])),
        )
        .unwrap_or_default();
        if uniform {
            content[0] = width(&times.show(any_time));
        }
        let widths = fit(&COLUMNS, &content, width_total);
        write_header(out, &COLUMNS, &widths, theme)?;
        let rows = |range: &Range<usize>, out: &mut Vec<u8>| -> io::Result<()> {
            for h in flow.slice(range.clone()) {
                write_row(out, &widths, &hop_cells(&h, time_of(&h)), theme)?;
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
        render_ranges_in_order(flow.len(), HOPS_PER_BATCH, &rows, threads, out)?;

        // 2. Numbered agent → next lines.
        writeln!(out, "\n{}", theme.paint("Sequence diagram:", Role::Header))?;
        writeln!(out, "{}", theme.paint("-----------------", Role::Dim))?;
        let numbered = |range: &Range<usize>, out: &mut Vec<u8>| -> io::Result<()> {
            for (i, h) in flow.slice(range.clone()).enumerate() {
                write_numbered(out, "", range.start + i + 1, &h);
            }
            Ok(())
        };
        render_ranges_in_order(flow.len(), HOPS_PER_BATCH, &numbered, threads, out)?;

        // 3. The route as one chain.
        writeln!(out, "\n{}", theme.paint("Condensed route:", Role::Header))?;
        write_chain(condensed_route(flow).map(escape), width_total, out)?;

        // 4. Per event.
        writeln!(
            out,
            "\n{}",
            theme.paint("Per-event sequence diagrams:", Role::Header)
        )?;
        let groups = group_by_event(flow);
        let per_event = |range: &Range<usize>, out: &mut Vec<u8>| -> io::Result<()> {
            for g in range.clone() {
                let (label, group) = groups.group(g);
                writeln!(out, "  {}:", theme.paint(&escape(&label), Role::Emphasis))?;
                for (i, h) in group.enumerate() {
                    write_numbered(out, "    ", i + 1, &h);
                }
            }
            Ok(())
        };
        render_ranges_in_order(groups.len(), HOPS_PER_BATCH, &per_event, threads, out)?;

        // 5. Lanes.
        writeln!(out, "\n{}", theme.paint("Lane diagram:", Role::Header))?;
        let note = |h: &Hop<'_>, text: &mut String| {
            text.push_str(&time_of(h));
            text.push_str("  ");
            text.push_str(h.kind.as_str());
            if let Some(e) = h.error {
                text.push_str(": ");
                text.push_str(&escape(e));
            }
        };
        write_lanes(flow, &note, width_total, theme, out)
    }
}
