//! `--format mermaid`: a `sequenceDiagram` of the hops, or with `--diagram
//! graph` a `flowchart LR` of the agent graph.
//!
//! Agents get generated ids (`a1`, `a2`, …) and their names go into display
//! text, written with Mermaid entity codes for anything but letters, digits
//! and a few safe marks, so that no name (`end`, `;`, `#`, quotes, escape
//! sequences) can break the parse.

use std::io::{self, Write};

use super::hops::HopStore;
use super::{HopView, TraceContext};
use crate::analysis::flow::{AgentGraph, Hop, HopKind};
use crate::analysis::timeline::TimeKey;

/// Which Mermaid diagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Diagram {
    Sequence,
    Graph,
}

/// `text` as Mermaid display text: ASCII letters, digits, space, `_` and
/// `.` as they are, everything else as a `#code;` entity.
pub fn mermaid_text(text: &str) -> String {
    if text.is_empty() {
        // Mermaid rejects empty labels.
        return "#32;".to_string();
    }
    // Control characters first become visible escapes (`\x1b`): as entity
    // codes Mermaid would show them invisibly, or C1 ones as Windows-1252.
    let visible = super::text::escape(text);
    let mut out = String::with_capacity(visible.len() + 8);
    for c in visible.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, ' ' | '_' | '.') {
            out.push(c);
        } else {
            out.push_str(&format!("#{};", c as u32));
        }
    }
    // Keywords (`end`, `participant`, …) are harmless inside quotes and
    // after `as`, but a name must not be empty or start or end with blanks.
    let trimmed = out.trim();
    if trimmed.is_empty() || trimmed.len() != out.len() {
        return out.replace(' ', "#32;");
    }
    out
}

/// The flow as Mermaid.
pub struct MermaidExport {
    diagram: Diagram,
    agents: AgentGraph,
}

impl MermaidExport {
    pub fn new(diagram: Diagram) -> Self {
        MermaidExport {
            diagram,
            agents: AgentGraph::default(),
        }
    }
}

impl HopView for MermaidExport {
    fn see(&mut self, hop: &Hop<'_>, at: TimeKey) {
        self.agents.push(hop, at);
    }

    /// The graph is drawn from what was seen; the sequence reads every
    /// hop.
    fn reads_hops(&self) -> bool {
        self.diagram == Diagram::Sequence
    }

    fn render(
        &mut self,
        hops: &mut HopStore,
        ctx: &TraceContext<'_>,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        match self.diagram {
            Diagram::Sequence => sequence(hops, &self.agents, ctx, out),
            Diagram::Graph => graph(&self.agents, ctx, out),
        }
    }
}

fn ids(graph: &AgentGraph) -> (Vec<String>, impl Fn(&str) -> String) {
    let agents = graph.participants();
    let names = agents.clone();
    (agents, move |name: &str| {
        let i = names.iter().position(|a| a == name).unwrap_or(0);
        format!("a{}", i + 1)
    })
}

fn sequence(
    hops: &mut HopStore,
    graph: &AgentGraph,
    ctx: &TraceContext<'_>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let (agents, id) = ids(graph);
    writeln!(
        out,
        "%% agentcli flow of session {}",
        mermaid_text(ctx.session)
    )?;
    writeln!(out, "sequenceDiagram")?;
    if !hops.is_empty() {
        writeln!(out, "    autonumber")?;
    }
    for a in &agents {
        writeln!(out, "    participant {} as {}", id(a), mermaid_text(a))?;
    }
    hops.for_each(&mut |h| {
        let from = id(h.agent);
        let error = h
            .error
            .map(|e| format!(": {}", mermaid_text(e)))
            .unwrap_or_default();
        match (h.kind, h.next) {
            (HopKind::Handoff, Some(next)) => writeln!(out, "    {from}->>{}: handoff", id(next))?,
            (HopKind::Requeue, _) => writeln!(out, "    {from}->>{from}: requeue")?,
            (HopKind::Retry, _) => writeln!(out, "    {from}--x{from}: retry{error}")?,
            (HopKind::Error, _) => writeln!(out, "    {from}-x{from}: error{error}")?,
            (HopKind::End, _) | (HopKind::Handoff, None) => {
                writeln!(out, "    Note over {from}: end")?
            }
        }
        Ok(())
    })
}

fn graph(hops: &AgentGraph, ctx: &TraceContext<'_>, out: &mut dyn Write) -> io::Result<()> {
    let (agents, id) = ids(hops);
    writeln!(
        out,
        "%% agentcli agent graph of session {}",
        mermaid_text(ctx.session)
    )?;
    writeln!(out, "flowchart LR")?;
    for a in &agents {
        writeln!(out, "    {}[\"{}\"]", id(a), mermaid_text(a))?;
    }
    let mut failed: Vec<String> = Vec::new();
    let mut ended: Vec<String> = Vec::new();
    let mut link = 0;
    let mut styled: Vec<(usize, &str)> = Vec::new();
    for e in hops.edges() {
        let from = id(&e.from);
        match (&e.to, e.kind) {
            (Some(to), kind) => {
                let label = match kind {
                    HopKind::Handoff => e.count.to_string(),
                    other => format!("{} {other}", e.count),
                };
                let arrow = if kind == HopKind::Retry {
                    "-.->"
                } else {
                    "-->"
                };
                writeln!(
                    out,
                    "    {from} {arrow}|\"{}\"| {}",
                    mermaid_text(&label),
                    id(to)
                )?;
                match kind {
                    HopKind::Retry => styled.push((link, "stroke:#d33,stroke-width:2px")),
                    HopKind::Requeue => styled.push((link, "stroke:#d90")),
                    _ => {}
                }
                link += 1;
            }
            (None, HopKind::Error) => failed.push(from),
            (None, _) => ended.push(from),
        }
    }
    for (n, style) in styled {
        writeln!(out, "    linkStyle {n} {style}")?;
    }
    if !failed.is_empty() {
        writeln!(out, "    classDef failed stroke:#d33,stroke-width:3px")?;
        writeln!(out, "    class {} failed", failed.join(","))?;
    }
    if !ended.is_empty() {
        writeln!(
            out,
            "    classDef last stroke-width:3px,stroke-dasharray:4 2"
        )?;
        writeln!(out, "    class {} last", ended.join(","))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_text_cannot_break_the_parse() {
        assert_eq!(mermaid_text("planner"), "planner");
        assert_eq!(mermaid_text("a;b#c\"d"), "a#59;b#35;c#34;d");
        assert_eq!(mermaid_text("x\u{1b}[2J"), "x#92;x1b#91;2J");
        assert_eq!(mermaid_text(""), "#32;");
        assert_eq!(mermaid_text(" end "), "#32;end#32;");
        assert_eq!(mermaid_text("数"), "#25968;");
    }
}
