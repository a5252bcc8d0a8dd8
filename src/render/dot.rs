//! `--format dot`: the agent graph for Graphviz. Every node id is the
//! agent's name, quoted and escaped (unquoted, `planner-1` silently becomes
//! two nodes); edges carry how often they were taken; retries and
//! requeues are colored; agents that failed with no route are outlined red,
//! agents where the flow ended get a double border.

use std::io::{self, Write};

use super::hops::HopStore;
use super::text::escape;
use super::{HopView, TraceContext};
use crate::analysis::flow::{AgentGraph, Hop, HopKind};
use crate::analysis::timeline::TimeKey;

/// `s` as a DOT quoted string. Inside quotes only `"` needs escaping; a
/// backslash is doubled so it cannot escape the closing quote, and control
/// characters are written visibly.
pub fn dot_id(s: &str) -> String {
    let visible = escape(s);
    let mut out = String::with_capacity(visible.len() + 2);
    out.push('"');
    for c in visible.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The agent graph in DOT.
#[derive(Default)]
pub struct DotExport {
    graph: AgentGraph,
}

impl HopView for DotExport {
    fn see(&mut self, hop: &Hop<'_>, at: TimeKey) {
        self.graph.push(hop, at);
    }

    fn reads_hops(&self) -> bool {
        false
    }

    fn render(
        &mut self,
        _hops: &mut HopStore,
        ctx: &TraceContext<'_>,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let graph = &self.graph;
        let all_edges = graph.edges();
        writeln!(
            out,
            "digraph {} {{",
            dot_id(&format!("agentcli flow {}", ctx.session))
        )?;
        writeln!(out, "  rankdir=LR;")?;
        writeln!(
            out,
            "  node [shape=box, style=rounded, fontname=\"Helvetica\"];"
        )?;
        writeln!(out, "  edge [fontname=\"Helvetica\", fontsize=10];")?;
        for agent in graph.participants() {
            let failed = all_edges
                .iter()
                .any(|e| e.from == *agent && e.to.is_none() && e.kind == HopKind::Error);
            let ended = all_edges
                .iter()
                .any(|e| e.from == *agent && e.to.is_none() && e.kind == HopKind::End);
            let mut attrs = Vec::new();
            if failed {
                attrs.push("color=\"#dd3333\", penwidth=2".to_string());
            }
            if ended {
                attrs.push("peripheries=2".to_string());
            }
            if attrs.is_empty() {
                writeln!(out, "  {};", dot_id(&agent))?;
            } else {
                writeln!(out, "  {} [{}];", dot_id(&agent), attrs.join(", "))?;
            }
        }
        for e in &all_edges {
            let Some(to) = &e.to else { continue };
            let (label, color) = match e.kind {
                HopKind::Handoff => (e.count.to_string(), None),
                HopKind::Requeue => (format!("{} requeue", e.count), Some("#dd9900")),
                HopKind::Retry => (format!("{} retry", e.count), Some("#dd3333")),
                other => (format!("{} {other}", e.count), Some("#dd3333")),
            };
            let color = color
                .map(|c| format!(", color=\"{c}\", fontcolor=\"{c}\""))
                .unwrap_or_default();
            let style = if e.kind == HopKind::Retry {
                ", style=dashed"
            } else {
                ""
            };
            writeln!(
                out,
                "  {} -> {} [label={}{color}{style}];",
                dot_id(&e.from),
                dot_id(to),
                dot_id(&label)
            )?;
        }
        writeln!(out, "}}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_quoted_and_escaped() {
        assert_eq!(dot_id("planner-1"), "\"planner-1\"");
        assert_eq!(dot_id("a\"b"), "\"a\\\"b\"");
        assert_eq!(dot_id("trail\\"), "\"trail\\\\\"");
        assert_eq!(dot_id("x\u{1b}y"), "\"x\\\\x1by\"");
    }
}
