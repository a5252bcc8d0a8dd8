//! The lane diagram: one column per agent, one row per hop, an arrow from
//! the agent that ran to the next one. Fits the width: lanes narrow, then
//! take letters with a legend, then the last lanes are folded into one.

use std::io::{self, Write};

use super::flow::HOPS_PER_BATCH;
use super::hops::HopStore;
use super::ordered::render_ranges_in_order;
use super::style::{Role, Theme};
use super::text::{escape, truncate};
use crate::analysis::flow::{Hop, HopKind};
use crate::analysis::FastMap;

/// Narrowest a lane gets before agents are shown as letters.
const MIN_NAMED_LANE: usize = 6;
/// Narrowest a lane gets at all.
const MIN_LANE: usize = 3;
/// Widest a lane gets.
const MAX_LANE: usize = 18;

fn letters(i: usize) -> String {
    let mut n = i;
    let mut s = String::new();
    loop {
        s.insert(0, (b'A' + (n % 26) as u8) as char);
        if n < 26 {
            break;
        }
        n = n / 26 - 1;
    }
    s
}

/// A hop's note (the annotation shown to the right of its line when there
/// is room: made again when needed rather than held for every hop), and
/// the widest any hop's is.
pub type Notes<'n> = (&'n (dyn Fn(&Hop<'_>, &mut String) + Sync), usize);

/// Writes the lane diagram of `hops` (in time order), whose agents are
/// `participants`, within `width` columns, with their `notes`.
pub fn write_lanes(
    hops: &mut HopStore,
    participants: &[String],
    (note, note_width): Notes<'_>,
    width: usize,
    theme: Theme,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut agents = participants.to_vec();
    if agents.is_empty() {
        return Ok(());
    }
    let width = width.max(20);
    let threads = crate::input::parallel::cores();
    let names_width = agents.iter().map(|a| width_of(a)).max().unwrap_or(1);
    // Lanes, then notes if they fit.
    let mut lane = (names_width + 2).clamp(MIN_NAMED_LANE, MAX_LANE);
    let mut show_notes = agents.len() * lane + 2 + note_width <= width;
    if !show_notes && agents.len() * lane > width {
        lane = (width / agents.len()).max(MIN_LANE);
    }
    if !show_notes && agents.len() * lane + 2 + note_width.min(24) <= width {
        show_notes = true;
    }
    let mut folded = 0;
    let max_lanes = (width / MIN_LANE).max(2);
    if agents.len() > max_lanes {
        folded = agents.len() - (max_lanes - 1);
        agents.truncate(max_lanes - 1);
        agents.push("…".to_string());
        lane = MIN_LANE;
        show_notes = false;
    }
    // Letters when names would be cut to nothing useful or to the same text.
    // Two columns between neighbouring labels.
    let labels: Vec<String> = agents
        .iter()
        .map(|a| truncate(&escape(a), lane.saturating_sub(2).max(1)).into_owned())
        .collect();
    let collide = labels
        .iter()
        .enumerate()
        .any(|(i, l)| labels[..i].contains(l));
    let lettered = lane < MIN_NAMED_LANE || collide;
    if lettered {
        let mut line = format!("lanes are lettered to fit {width} columns:");
        for (i, a) in agents.iter().enumerate() {
            let item = format!("{}={}", letters(i), escape(a));
            if width_of(&line) + 1 + width_of(&item) > width {
                writeln!(out, "{}", theme.paint(&line, Role::Dim))?;
                line = String::from(" ");
            }
            line.push(' ');
            line.push_str(&item);
        }
        writeln!(out, "{}", theme.paint(&line, Role::Dim))?;
    }
    if folded > 0 {
        writeln!(
            out,
            "{}",
            theme.paint(
                &format!("{folded} more agents than fit share the last lane (…)"),
                Role::Dim
            )
        )?;
    }
    // Header: each lane's name centred on it.
    let mut header = String::new();
    for (i, named) in labels.iter().enumerate() {
        let label = if lettered { letters(i) } else { named.clone() };
        let w = width_of(&label);
        let left = (lane.saturating_sub(w)) / 2;
        header.push_str(&" ".repeat(left));
        header.push_str(&label);
        header.push_str(&" ".repeat(lane.saturating_sub(left + w)));
    }
    writeln!(out, "{}", theme.paint(header.trim_end(), Role::Header))?;

    // The line with every lane and no hop: a bar at each lane's centre.
    let total = agents.len() * lane;
    let blank_line: String = (0..total)
        .map(|x| if is_center(x, lane) { '│' } else { ' ' })
        .collect();
    let blank_line = blank_line.trim_end();
    writeln!(out, "{}", theme.paint(blank_line, Role::Dim))?;
    // Each lane's agent (the folded lane stands for no one agent).
    let lanes: FastMap<&str, usize> = agents
        .iter()
        .enumerate()
        .take(agents.len() - usize::from(folded > 0))
        .map(|(i, a)| (a.as_str(), i))
        .collect();
    // Every character drawn takes one column (a test holds the marks to
    // that), so a line's columns are its characters: the note starts two
    // columns past the last lane's room, after the spaces that fill it.
    let drawn = blank_line.chars().count();
    let rows = LaneRows {
        lanes: &lanes,
        last: agents.len() - 1,
        lane,
        at: blank_line
            .char_indices()
            .map(|(at, _)| at)
            .chain([blank_line.len()])
            .collect(),
        blank_line,
        rule: (0..total)
            .map(|x| if is_center(x, lane) { '┼' } else { '─' })
            .collect(),
        room: show_notes.then(|| {
            (
                width.saturating_sub(total + 2),
                (total + 2).saturating_sub(drawn),
            )
        }),
        theme,
    };
    // Each hop's line depends on the hop alone: rendered on every core.
    hops.for_each_window(&mut |window| {
        let lines = |range: &std::ops::Range<usize>, out: &mut Vec<u8>| -> io::Result<()> {
            let mut scratch = LineScratch::default();
            window
                .slice(range.clone())
                .try_for_each(|hop| rows.line(&hop?, note, &mut scratch, out))
        };
        render_ranges_in_order(window.len(), HOPS_PER_BATCH, &lines, threads, out)
    })
}

/// What every hop's line of the diagram is drawn on.
struct LaneRows<'a> {
    /// Each lane's agent (those folded into the last lane have none).
    lanes: &'a FastMap<&'a str, usize>,
    /// The last lane.
    last: usize,
    /// Columns to a lane.
    lane: usize,
    /// The line with every lane and no hop, up to the last lane.
    blank_line: &'a str,
    /// Where each of its columns starts in it, and its end.
    at: Vec<usize>,
    /// The line an arrow is drawn from: a cross at each lane's centre, a
    /// rule between (each character [`RULE_BYTES`] long).
    rule: String,
    /// When notes are shown: the columns for a hop's note, and the spaces
    /// between the last lane and the note.
    room: Option<(usize, usize)>,
    theme: Theme,
}

impl LaneRows<'_> {
    fn center(&self, lane: usize) -> usize {
        lane * self.lane + self.lane / 2
    }

    fn lane_of(&self, agent: &str) -> usize {
        self.lanes.get(agent).copied().unwrap_or(self.last)
    }

    /// One hop's line: its mark and arrow across the lanes, then its note
    /// when notes are shown.
    fn line(
        &self,
        hop: &Hop<'_>,
        note: &dyn Fn(&Hop<'_>, &mut String),
        scratch: &mut LineScratch,
        out: &mut Vec<u8>,
    ) -> io::Result<()> {
        let a = self.center(self.lane_of(hop.agent));
        let (mark, role) = match hop.kind {
            HopKind::Handoff => ('●', None),
            HopKind::Requeue => ('↺', Some(Role::Warning)),
            HopKind::Retry => ('↻', Some(Role::Error)),
            HopKind::Error => ('✗', Some(Role::Error)),
            HopKind::End => ('■', Some(Role::Dim)),
        };
        // The arrow's other end, and its head.
        let head = match (hop.kind, hop.next) {
            (HopKind::Handoff, Some(next)) => {
                let b = self.center(self.lane_of(next));
                (b != a).then_some((b, if b > a { '▶' } else { '◀' }))
            }
            _ => None,
        };
        // Only the columns from one end to the other differ from the line
        // with no hop; the rest is copied from it. Every end is at a lane,
        // never past the last one, so the line ends where that one does.
        let (from, to) = head.map_or((a, a), |(b, _)| (a.min(b), a.max(b)));
        // Between them, the rule, copied.
        let rule = |from: usize, to: usize| &self.rule[from * RULE_BYTES..to * RULE_BYTES];
        let line = &mut scratch.line;
        line.clear();
        line.push_str(&self.blank_line[..self.at[from]]);
        match head {
            None => line.push(mark),
            Some((b, arrowhead)) if b > a => {
                line.push(mark);
                line.push_str(rule(a + 1, b));
                line.push(arrowhead);
            }
            // b < a: a head is only made for an arrow to another lane.
            Some((b, arrowhead)) => {
                line.push(arrowhead);
                line.push_str(rule(b + 1, a));
                line.push(mark);
            }
        }
        line.push_str(&self.blank_line[self.at[to + 1]..]);
        if let Some((room, gap)) = self.room {
            line.extend(std::iter::repeat_n(' ', gap));
            let text = &mut scratch.note;
            text.clear();
            note(hop, text);
            line.push_str(&truncate(text, room));
        }
        match role {
            Some(role) if self.theme.color => {
                // Color the mark only.
                let mark_str = mark.to_string();
                let painted = self.theme.paint(&mark_str, role);
                writeln!(out, "{}", line.replacen(&mark_str, &painted, 1))
            }
            _ => {
                out.extend_from_slice(line.as_bytes());
                out.push(b'\n');
                Ok(())
            }
        }
    }
}

/// What drawing a line needs, kept from one line to the next.
#[derive(Default)]
struct LineScratch {
    line: String,
    note: String,
}

/// Bytes of each character of [`LaneRows::rule`] (`─` and `┼`).
const RULE_BYTES: usize = '─'.len_utf8();
const _: () = assert!('┼'.len_utf8() == RULE_BYTES);

/// Whether column `x` is the centre of a lane `lane` columns wide (where
/// its bar is drawn).
fn is_center(x: usize, lane: usize) -> bool {
    x % lane == lane / 2
}

fn width_of(s: &str) -> usize {
    super::text::width(&escape(s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::flow::HopHook;
    use crate::model::Timestamp;
    use crate::model::Written;

    fn hop<'a>(agent: &'a str, next: Option<&'a str>, kind: HopKind) -> Hop<'a> {
        Hop {
            index: 0,
            timestamp: Timestamp::Unset,
            written: Written::Absent,
            agent,
            next,
            hook: HopHook::AfterAgentRun,
            event_id: None,
            kind,
            error: None,
            state_changes: None,
        }
    }

    /// `hops` held in a store of `budget` bytes, and their agents.
    fn held(hops: &[Hop<'_>], budget: usize) -> (HopStore, Vec<String>) {
        let mut store = HopStore::with_budget(budget);
        let mut graph = crate::analysis::flow::AgentGraph::default();
        for h in hops {
            let at = store.push(h).unwrap();
            graph.push(h, at);
        }
        (store, graph.participants().to_vec())
    }

    /// The widest of `hops`' notes.
    fn widest(hops: &[Hop<'_>], note: &dyn Fn(&Hop<'_>, &mut String)) -> usize {
        hops.iter()
            .map(|h| {
                let mut text = String::new();
                note(h, &mut text);
                width_of(&text)
            })
            .max()
            .unwrap_or(0)
    }

    fn render(hops: &[Hop<'_>], width: usize) -> String {
        let mut out = Vec::new();
        let (mut store, agents) = held(hops, 1 << 20);
        let note = |h: &Hop<'_>, text: &mut String| text.push_str(h.kind.as_str());
        write_lanes(
            &mut store,
            &agents,
            (&note, widest(hops, &note)),
            width,
            Theme::default(),
            &mut out,
        )
        .unwrap();
        String::from_utf8(out).unwrap()
    }

    /// A line's width is taken as its number of characters.
    #[test]
    fn every_character_drawn_takes_one_column() {
        for c in ['│', '┼', '─', '▶', '◀', '●', '↺', '↻', '✗', '■', ' '] {
            assert_eq!(crate::render::text::width(&c.to_string()), 1, "{c}");
        }
    }

    #[test]
    fn draws_arrows_between_lanes() {
        let hops = [
            hop("planner", Some("writer"), HopKind::Handoff),
            hop("writer", Some("writer"), HopKind::Requeue),
            hop("writer", Some("planner"), HopKind::Handoff),
            hop("planner", None, HopKind::End),
        ];
        assert_eq!(
            render(&hops, 80),
            " planner  writer\n    │        │\n    ●────────▶      handoff\n    │        ↺      requeue\n    ◀────────●      handoff\n    ■        │      end\n"
        );
    }

    /// Lines drawn in batches on every core come out one per hop, in hop
    /// order, across many batches and windows, held in memory or not.
    #[test]
    fn a_long_diagram_keeps_hop_order_across_batches() {
        let agents = ["planner", "writer", "critic"];
        let hops: Vec<Hop<'_>> = (0..5 * HOPS_PER_BATCH + 7)
            .map(|i| {
                let mut h = hop(agents[i % 3], Some(agents[(i + 1) % 3]), HopKind::Handoff);
                h.index = i as u64;
                h
            })
            .collect();
        for budget in [1 << 12, 1 << 24] {
            let (mut store, participants) = held(&hops, budget);
            let mut out = Vec::new();
            let note = |h: &Hop<'_>, text: &mut String| text.push_str(&format!("hop {}", h.index));
            write_lanes(
                &mut store,
                &participants,
                (&note, widest(&hops, &note)),
                80,
                Theme::default(),
                &mut out,
            )
            .unwrap();
            let text = String::from_utf8(out).unwrap();
            let notes: Vec<u64> = text
                .lines()
                .filter_map(|l| l.split("hop ").nth(1))
                .map(|n| n.parse().unwrap())
                .collect();
            assert_eq!(notes, (0..hops.len() as u64).collect::<Vec<_>>());
        }
    }

    #[test]
    fn many_agents_are_lettered_then_folded_to_fit() {
        let names: Vec<String> = (0..40).map(|i| format!("agent-number-{i}")).collect();
        let hops: Vec<Hop<'_>> = names
            .windows(2)
            .map(|w| hop(&w[0], Some(&w[1]), HopKind::Handoff))
            .collect();
        let text = render(&hops, 80);
        assert!(text.starts_with("lanes are lettered"), "{text}");
        assert!(text.contains("more agents than fit"), "{text}");
        for line in text.lines() {
            assert!(width_of(line) <= 80, "{} columns: {line}", width_of(line));
        }
        let few = render(&hops[..10], 80);
        assert!(few.starts_with("lanes are lettered"));
        assert!(!few.contains("more agents"));
    }
}
