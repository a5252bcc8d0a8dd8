//! `trace --flow-only`: the flow table, then upstream's sections (sequence
//! diagram, condensed route, per-event diagrams), then the lane diagram.

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

/// `agent → next`, `agent → (end)`, with the kind when it is not a plain
/// hand-off.
fn arrow(hop: &Hop<'_>) -> String {
    let next = hop
        .next
        .map_or("(end)".to_string(), |n| escape(n).into_owned());
    let mut text = format!("{} → {next}", escape(hop.agent));
    match hop.kind {
        HopKind::Handoff | HopKind::End => {}
        HopKind::Requeue | HopKind::Retry | HopKind::Error => {
            text.push_str(&format!(" [{}]", hop.kind))
        }
    }
    text
}

/// `a → b → c`, broken before an arrow when a line would pass `width`.
fn wrap_chain(chain: &[String], width_limit: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for (i, agent) in chain.iter().enumerate() {
        let piece = if i == 0 {
            agent.clone()
        } else {
            format!(" → {agent}")
        };
        if !line.is_empty() && width(&line) + width(&piece) > width_limit {
            lines.push(std::mem::take(&mut line));
            line = format!("  → {agent}");
            continue;
        }
        line.push_str(&piece);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
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

/// The cells of a hop's row in [`COLUMNS`], with its time as given.
pub(super) fn hop_cells(h: &Hop<'_>, time: String) -> [Cell; 7] {
    [
        Cell::plain(time),
        Cell::styled(escape(h.agent).into_owned(), Role::Agent),
        match h.next {
            Some(n) => Cell::styled(escape(n).into_owned(), Role::Agent),
            None => Cell::styled("(end)", Role::Dim),
        },
        Cell::plain(escape(h.hook.as_str()).into_owned()),
        Cell::plain(escape(event_label(h.event_id.unwrap_or("-"))).into_owned()),
        Cell::styled(h.kind.as_str(), kind_role(h.kind)),
        match h.error {
            Some(e) => Cell::styled(escape(e).into_owned(), Role::Error),
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
        let content = fold_parts(
            flow.records(),
            threads,
            HOPS_PER_BATCH,
            &|part: &[FlowHop]| {
                let mut content = [0usize; 7];
                for h in part.iter().map(|h| flow.hop(h)) {
                    for (c, cell) in content.iter_mut().zip(hop_cells(&h, time_of(&h))) {
                        *c = (*c).max(width(&cell.text));
                    }
                }
                content
            },
            |a, b| std::array::from_fn(|i| a[i].max(b[i])),
        )
        .unwrap_or_default();
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
                writeln!(out, "{}. {}", range.start + i + 1, arrow(&h))?;
            }
            Ok(())
        };
        render_ranges_in_order(flow.len(), HOPS_PER_BATCH, &numbered, threads, out)?;

        // 3. The route as one chain.
        writeln!(out, "\n{}", theme.paint("Condensed route:", Role::Header))?;
        let chain: Vec<String> = condensed_route(flow)
            .iter()
            .map(|a| escape(a).into_owned())
            .collect();
        for line in wrap_chain(&chain, width_total) {
            writeln!(out, "{line}")?;
        }

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
                    writeln!(out, "    {}. {}", i + 1, arrow(&h))?;
                }
            }
            Ok(())
        };
        render_ranges_in_order(groups.len(), HOPS_PER_BATCH, &per_event, threads, out)?;

        // 5. Lanes.
        writeln!(out, "\n{}", theme.paint("Lane diagram:", Role::Header))?;
        let note = |h: &Hop<'_>| match h.error {
            Some(e) => format!("{}  {}: {}", time_of(h), h.kind, escape(e)),
            None => format!("{}  {}", time_of(h), h.kind),
        };
        write_lanes(flow, &note, width_total, theme, out)
    }
}
