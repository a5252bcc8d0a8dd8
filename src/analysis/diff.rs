//! `diff A B`: how a second run of a system differs from a first: where the
//! routes part, which agents came and went, per-agent run counts and
//! timings, errors that appeared or disappeared, tokens and wall time.

use serde::Serialize;

use super::analyze::agent_stats;
use super::flow::{Flow, Hop};
use super::spans::{RunStatus, Spans, Tokens};
use super::summary::SessionSummary;

/// One session's side of a diff.
pub struct DiffInput<'a> {
    pub session: &'a str,
    pub summary: &'a SessionSummary,
    pub spans: &'a Spans,
    pub hops: &'a Flow,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Side {
    pub session: String,
    pub wall_ms: Option<f64>,
    pub hops: u64,
    pub runs: u64,
    pub errors: u64,
    pub tokens: Option<Tokens>,
}

/// A hop as compared: who, to whom, how.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct HopStep {
    pub agent: String,
    pub next: Option<String>,
    pub kind: String,
}

/// Where the routes part.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Divergence {
    /// The first hop (from 1) that differs.
    pub at_hop: u64,
    /// The last hop both share, if any.
    pub after: Option<HopStep>,
    /// Each side's hop there (`None`: that route had ended).
    pub a: Option<HopStep>,
    pub b: Option<HopStep>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AgentDelta {
    pub agent: String,
    pub runs_a: u64,
    pub runs_b: u64,
    pub errors_a: u64,
    pub errors_b: u64,
    pub p50_ms_a: Option<f64>,
    pub p50_ms_b: Option<f64>,
    pub total_ms_a: f64,
    pub total_ms_b: f64,
    pub tokens_a: u64,
    pub tokens_b: u64,
}

/// An error message of an agent, counted on each side.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ErrorChange {
    pub agent: String,
    pub error: String,
    pub count_a: u64,
    pub count_b: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SessionDiff {
    pub a: Side,
    pub b: Side,
    /// Both routes are the same hop for hop.
    pub same_route: bool,
    pub divergence: Option<Divergence>,
    pub agents_added: Vec<String>,
    pub agents_removed: Vec<String>,
    pub agents: Vec<AgentDelta>,
    pub errors_appeared: Vec<ErrorChange>,
    pub errors_disappeared: Vec<ErrorChange>,
    pub wall_delta_ms: Option<f64>,
    /// B's wall time relative to A's, in percent (+ is slower).
    pub wall_delta_pct: Option<f64>,
    pub tokens_delta: Option<i64>,
}

fn step(h: Hop<'_>) -> HopStep {
    HopStep {
        agent: h.agent.to_string(),
        next: h.next.map(str::to_string),
        kind: h.kind.as_str().to_string(),
    }
}

fn side(input: &DiffInput<'_>) -> Side {
    let mut tokens = Tokens::default();
    for r in input.spans.runs() {
        tokens.add(r.tokens);
    }
    Side {
        session: input.session.to_string(),
        wall_ms: wall(input.summary),
        hops: input.hops.len() as u64,
        runs: input.spans.runs().len() as u64,
        errors: input
            .spans
            .runs()
            .filter(|r| r.status == RunStatus::Error)
            .count() as u64,
        tokens: (!tokens.is_zero()).then_some(tokens),
    }
}

fn wall(summary: &SessionSummary) -> Option<f64> {
    summary
        .duration()
        .and_then(|d| d.num_microseconds())
        .map(|us| us as f64 / 1000.0)
}

fn errors_of(spans: &Spans) -> Vec<(String, String, u64)> {
    let mut out: Vec<(String, String, u64)> = Vec::new();
    for r in spans.runs().filter(|r| r.status == RunStatus::Error) {
        let message = r.error.unwrap_or_default();
        match out
            .iter_mut()
            .find(|(a, m, _)| *a == r.agent && *m == message)
        {
            Some(slot) => slot.2 += 1,
            None => out.push((r.agent.to_string(), message.to_string(), 1)),
        }
    }
    out
}

pub fn diff(a: &DiffInput<'_>, b: &DiffInput<'_>) -> SessionDiff {
    let (sa, sb) = (side(a), side(b));
    let steps_a: Vec<HopStep> = a.hops.iter().map(step).collect();
    let steps_b: Vec<HopStep> = b.hops.iter().map(step).collect();
    let common = steps_a
        .iter()
        .zip(&steps_b)
        .take_while(|(x, y)| x == y)
        .count();
    let same_route = common == steps_a.len() && common == steps_b.len();
    let divergence = (!same_route).then(|| Divergence {
        at_hop: common as u64 + 1,
        after: common.checked_sub(1).map(|i| steps_a[i].clone()),
        a: steps_a.get(common).cloned(),
        b: steps_b.get(common).cloned(),
    });

    let stats_a = agent_stats(a.spans.runs(), sa.wall_ms);
    let stats_b = agent_stats(b.spans.runs(), sb.wall_ms);
    let mut names: Vec<String> = stats_a.iter().map(|s| s.agent.clone()).collect();
    for s in &stats_b {
        if !names.contains(&s.agent) {
            names.push(s.agent.clone());
        }
    }
    let agents: Vec<AgentDelta> = names
        .iter()
        .map(|name| {
            let x = stats_a.iter().find(|s| &s.agent == name);
            let y = stats_b.iter().find(|s| &s.agent == name);
            AgentDelta {
                agent: name.clone(),
                runs_a: x.map_or(0, |s| s.runs),
                runs_b: y.map_or(0, |s| s.runs),
                errors_a: x.map_or(0, |s| s.errors),
                errors_b: y.map_or(0, |s| s.errors),
                p50_ms_a: x.and_then(|s| s.p50_ms),
                p50_ms_b: y.and_then(|s| s.p50_ms),
                total_ms_a: x.map_or(0.0, |s| s.total_ms),
                total_ms_b: y.map_or(0.0, |s| s.total_ms),
                tokens_a: x.map_or(0, |s| s.tokens.total),
                tokens_b: y.map_or(0, |s| s.tokens.total),
            }
        })
        .collect();
    let agents_added = names
        .iter()
        .filter(|n| !stats_a.iter().any(|s| &&s.agent == n))
        .cloned()
        .collect();
    let agents_removed = names
        .iter()
        .filter(|n| !stats_b.iter().any(|s| &&s.agent == n))
        .cloned()
        .collect();

    let (ea, eb) = (errors_of(a.spans), errors_of(b.spans));
    let count = |list: &[(String, String, u64)], agent: &str, message: &str| {
        list.iter()
            .find(|(a, m, _)| a == agent && m == message)
            .map_or(0, |x| x.2)
    };
    let errors_appeared = eb
        .iter()
        .filter(|(agent, m, _)| count(&ea, agent, m) == 0)
        .map(|(agent, m, n)| ErrorChange {
            agent: agent.clone(),
            error: m.clone(),
            count_a: 0,
            count_b: *n,
        })
        .collect();
    let errors_disappeared = ea
        .iter()
        .filter(|(agent, m, _)| count(&eb, agent, m) == 0)
        .map(|(agent, m, n)| ErrorChange {
            agent: agent.clone(),
            error: m.clone(),
            count_a: *n,
            count_b: 0,
        })
        .collect();

    let wall_delta_ms = sa.wall_ms.zip(sb.wall_ms).map(|(x, y)| y - x);
    let wall_delta_pct = sa
        .wall_ms
        .zip(sb.wall_ms)
        .filter(|(x, _)| *x > 0.0)
        .map(|(x, y)| (y - x) / x * 100.0);
    let tokens_delta = match (sa.tokens, sb.tokens) {
        (None, None) => None,
        // In i128: two u64 counts from files differ by more than i64 holds.
        (x, y) => {
            let delta = i128::from(y.map_or(0, |t| t.total)) - i128::from(x.map_or(0, |t| t.total));
            Some(delta.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
        }
    };
    SessionDiff {
        a: sa,
        b: sb,
        same_route,
        divergence,
        agents_added,
        agents_removed,
        agents,
        errors_appeared,
        errors_disappeared,
        wall_delta_ms,
        wall_delta_pct,
        tokens_delta,
    }
}
