//! The flow of a session: who handed work to whom. One hop per agent run
//! outcome, with the next agent taken from the routing the file records.
//!
//! An entry that carries no routing information never invents a hop (the
//! upstream tool fell back to `target_agent_id`, which made every
//! AfterEventHandling look like a self-requeue).

use std::borrow::Cow;
use std::sync::Arc;

use super::{FastMap, FastSet};
use std::fmt;

use crate::model::{Entry, Hook, Text, Timestamp};

/// What a hop means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HopKind {
    /// Routed to another agent.
    Handoff,
    /// Routed to itself.
    Requeue,
    /// Routed to itself after an error.
    Retry,
    /// Failed with no route onward.
    Error,
    /// No route: the session's flow ends here.
    End,
}

impl HopKind {
    pub fn as_str(self) -> &'static str {
        match self {
            HopKind::Handoff => "handoff",
            HopKind::Requeue => "requeue",
            HopKind::Retry => "retry",
            HopKind::Error => "error",
            HopKind::End => "end",
        }
    }

    /// The kind of a hop from `agent` routed to `next`, with or without an
    /// error.
    pub fn classify(agent: &str, next: Option<&str>, failed: bool) -> HopKind {
        match (next, failed) {
            (Some(n), true) if n == agent => HopKind::Retry,
            (Some(n), false) if n == agent => HopKind::Requeue,
            (Some(_), _) => HopKind::Handoff,
            (None, true) => HopKind::Error,
            (None, false) => HopKind::End,
        }
    }
}

impl fmt::Display for HopKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One step of the flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowHop {
    /// The entry it came from (its position in the file).
    pub index: u64,
    pub timestamp: Timestamp,
    pub timestamp_raw: Option<Box<str>>,
    /// The agent that ran. Names and event ids are shared among the hops
    /// that carry them (a long session has few agents; an event has one
    /// hop, or several when agents run side by side): a hop owns little
    /// more than its own fields.
    pub agent: Arc<str>,
    /// The agent routed to; `None` when the flow ends (or fails) here.
    pub next: Option<Arc<str>>,
    pub hook: Hook,
    pub event_id: Option<Arc<str>>,
    pub kind: HopKind,
    pub error: Option<Box<str>>,
    /// With `--state-diff`: the state keys the hop added (+), removed (-)
    /// or changed (~).
    pub state_changes: Option<String>,
}

/// Turns entries, in file order, into hops.
///
/// A run's outcome is recorded by AfterAgentRun or AgentError; their
/// `agent_result.output_state.meta.route` (or `state.meta.route`) names the
/// next agent. An AfterEventHandling counts only for an event whose outcome
/// was not recorded that way, and only when it carries a route or an error.
#[derive(Debug, Default)]
pub struct FlowBuilder {
    /// (event, agent) pairs whose outcome already gave a hop.
    done: FastSet<(Option<Arc<str>>, Arc<str>)>,
    /// Names and event ids seen, each held once.
    names: FastSet<Arc<str>>,
    /// With state diffs: each open event's input state keys.
    inputs: Option<FastMap<Option<Text>, serde_json::Map<String, serde_json::Value>>>,
}

impl FlowBuilder {
    /// A builder that also says which state keys each hop changed (entries
    /// must carry their states).
    pub fn with_state_diff() -> Self {
        FlowBuilder {
            inputs: Some(Default::default()),
            ..FlowBuilder::default()
        }
    }

    pub fn push(&mut self, e: &Entry) -> Option<FlowHop> {
        if let Some(inputs) = self.inputs.as_mut() {
            if matches!(e.hook, Hook::BeforeEventHandling | Hook::BeforeAgentRun)
                && !inputs.contains_key(&e.event_id)
            {
                if let Some(keys) = e.state.as_ref().and_then(super::state_diff::keys_of) {
                    inputs.insert(e.event_id.clone(), keys);
                }
            }
        }
        let agent = e.agent_id.as_deref().filter(|a| !a.is_empty())?;
        if !matches!(
            e.hook,
            Hook::AfterAgentRun | Hook::AgentError | Hook::AfterEventHandling
        ) {
            return None;
        }
        let agent = self.name(agent);
        let event_id = e.event_id.as_deref().map(|id| self.name(id));
        let key = (event_id, agent);
        if e.hook == Hook::AfterEventHandling
            && (self.done.contains(&key) || (e.route().is_none() && e.error().is_none()))
        {
            return None;
        }
        self.done.insert(key.clone());
        let (event_id, agent) = key;
        let next = e.route().map(|r| self.name(r));
        let failed = e.error().is_some() || e.hook == Hook::AgentError;
        let state_changes = self.inputs.as_mut().map(|inputs| {
            let before = inputs.remove(&e.event_id).unwrap_or_default();
            match super::state_diff::resulting_state(e).and_then(super::state_diff::keys_of) {
                Some(after) => {
                    super::state_diff::brief(&super::state_diff::compare(&before, &after))
                }
                None => "(no output state)".to_string(),
            }
        });
        Some(FlowHop {
            state_changes,
            index: e.index,
            timestamp: e.timestamp,
            timestamp_raw: e.timestamp_raw.as_deref().map(Box::from),
            kind: HopKind::classify(&agent, next.as_deref(), failed),
            agent,
            next,
            hook: e.hook.clone(),
            event_id,
            error: e.error().map(Box::from),
        })
    }

    /// `name`, held once however many hops carry it.
    fn name(&mut self, name: &str) -> Arc<str> {
        if let Some(held) = self.names.get(name) {
            return held.clone();
        }
        let held: Arc<str> = Arc::from(name);
        self.names.insert(held.clone());
        held
    }
}

/// The label upstream gave an event: `req-<digits>-<suffix>` → `req-<digits>`,
/// a UUID → its first 8 hex digits, anything else as it is.
pub fn event_label(id: &str) -> Cow<'_, str> {
    if let Some(rest) = id.strip_prefix("req-") {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 {
            return Cow::Borrowed(&id[..4 + digits]);
        }
    }
    let is_uuid = id.len() == 36
        && id.bytes().enumerate().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                c == b'-'
            } else {
                c.is_ascii_hexdigit()
            }
        });
    if is_uuid {
        return Cow::Borrowed(&id[..8]);
    }
    Cow::Borrowed(id)
}

/// Hops grouped by event, in order of each event's first hop. Groups are by
/// the full event id; when two ids share a short label, each label carries
/// its full id so that no two events look like one.
///
/// A long session has about as many events as hops (one each, unless
/// agents run side by side): groups are kept as ranges of one list of hop
/// numbers rather than a list per event.
pub fn group_by_event(hops: &[FlowHop]) -> EventGroups<'_> {
    // Hash lookups: a long session has tens of thousands of events.
    let mut index: FastMap<Option<&str>, usize> = FastMap::default();
    let mut order: Vec<Option<&str>> = Vec::new();
    let mut sizes: Vec<usize> = Vec::new();
    let group_of: Vec<usize> = hops
        .iter()
        .map(|hop| {
            let id = hop.event_id.as_deref();
            let g = *index.entry(id).or_insert_with(|| {
                order.push(id);
                sizes.push(0);
                order.len() - 1
            });
            sizes[g] += 1;
            g
        })
        .collect();
    // Freed before the labels' own map is made: a long session has tens
    // of thousands of events, so each map is megabytes.
    drop(index);
    // The hops in group order, each group in file order (the hop's place
    // breaks ties, so an unstable sort, which needs no scratch copy,
    // gives the stable order).
    let mut members: Vec<usize> = (0..hops.len()).collect();
    members.sort_unstable_by_key(|&hop| (group_of[hop], hop));
    drop(group_of);
    let ends: Vec<usize> = sizes
        .iter()
        .scan(0, |end, &n| {
            *end += n;
            Some(*end)
        })
        .collect();
    let labels: Vec<Cow<'_, str>> = order
        .iter()
        .map(|id| event_label(id.unwrap_or("(no event id)")))
        .collect();
    let mut label_uses: FastMap<&str, usize> = FastMap::default();
    for l in &labels {
        *label_uses.entry(l.as_ref()).or_default() += 1;
    }
    let labels = order
        .iter()
        .zip(labels.iter())
        .map(|(id, label)| {
            let shared = label_uses[label.as_ref()] > 1;
            let full = id.unwrap_or("(no event id)");
            if shared && full != label {
                Cow::Owned(format!("{label} ({full})"))
            } else {
                label.clone()
            }
        })
        .collect();
    EventGroups {
        hops,
        labels,
        ends,
        members,
    }
}

/// What [`group_by_event`] found.
pub struct EventGroups<'a> {
    hops: &'a [FlowHop],
    /// Each group's label, in order.
    labels: Vec<Cow<'a, str>>,
    /// Where each group's hops end in `members`.
    ends: Vec<usize>,
    /// Hop numbers, group after group.
    members: Vec<usize>,
}

impl<'a> EventGroups<'a> {
    /// Each group's label and hops, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, impl Iterator<Item = &'a FlowHop> + '_)> {
        (0..self.len()).map(|g| self.group(g))
    }

    /// How many groups there are.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Group `g`'s label and hops (`g` below [`EventGroups::len`]).
    pub fn group(&self, g: usize) -> (&str, impl Iterator<Item = &'a FlowHop> + '_) {
        let start = g.checked_sub(1).map_or(0, |before| self.ends[before]);
        let hops = self.members[start..self.ends[g]]
            .iter()
            .map(|&i| &self.hops[i]);
        (self.labels[g].as_ref(), hops)
    }
}

/// The route as one chain: the agents that ran, in time order, with
/// repeats in a row folded, then where the last hop went. Only agents that
/// ran are chained, so parallel branches never show a hand-off that did not
/// happen.
pub fn condensed_route(hops: &[FlowHop]) -> Vec<String> {
    let mut chain: Vec<String> = Vec::new();
    for hop in hops {
        if chain.last().map(String::as_str) != Some(&*hop.agent) {
            chain.push(hop.agent.to_string());
        }
    }
    if let Some(next) = hops.last().and_then(|h| h.next.as_deref()) {
        if chain.last().map(String::as_str) != Some(next) {
            chain.push(next.to_string());
        }
    }
    chain
}

/// Agents in order of first appearance (as the agent of a hop or as its
/// next).
pub fn participants(hops: &[FlowHop]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for hop in hops {
        for name in std::iter::once(&*hop.agent).chain(hop.next.as_deref()) {
            if !out.iter().any(|o| o == name) {
                out.push(name.to_string());
            }
        }
    }
    out
}

/// One edge of the agent graph, with how often it was taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowEdge {
    pub from: String,
    /// `None`: the flow ended (or failed) at `from`.
    pub to: Option<String>,
    pub kind: HopKind,
    pub count: u64,
}

/// The agent graph: hops folded into edges by (from, to, kind), in order
/// of first use.
pub fn edges(hops: &[FlowHop]) -> Vec<FlowEdge> {
    let mut out: Vec<FlowEdge> = Vec::new();
    for hop in hops {
        match out.iter_mut().find(|e| {
            *e.from == *hop.agent && e.to.as_deref() == hop.next.as_deref() && e.kind == hop.kind
        }) {
            Some(edge) => edge.count += 1,
            None => out.push(FlowEdge {
                from: hop.agent.to_string(),
                to: hop.next.as_deref().map(str::to_string),
                kind: hop.kind,
                count: 1,
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The permutation applied in place puts every item where a copy
        /// in the new order would.
        #[test]
        fn permuting_in_place_matches_a_copy(
            order in proptest::strategy::Strategy::prop_flat_map(0usize..40, |n| {
                proptest::strategy::Strategy::prop_shuffle(proptest::strategy::Just(
                    (0..n).collect::<Vec<_>>(),
                ))
            }),
        ) {
            let items: Vec<usize> = (0..order.len()).map(|i| i * 7).collect();
            let want: Vec<usize> = order.iter().map(|&k| items[k]).collect();
            let mut got = items.clone();
            let mut from = order.clone();
            permute(&mut got, &mut from);
            proptest::prop_assert_eq!(got, want);
        }
    }
    use crate::model::{AgentResult, RawJson};

    fn entry(
        index: u64,
        hook: Hook,
        agent: &str,
        event: &str,
        route: Option<&str>,
        error: Option<&str>,
    ) -> Entry {
        Entry {
            index,
            hook,
            agent_id: Some(agent.into()),
            target_agent_id: Some(agent.into()),
            event_id: Some(event.into()),
            error: error.map(Into::into),
            result: Some(AgentResult {
                output_route: route.map(Into::into),
                output_state: route.map(|r| RawJson(format!(r#"{{"meta":{{"route":"{r}"}}}}"#))),
                ..AgentResult::default()
            }),
            ..Entry::default()
        }
    }

    fn hops(entries: &[Entry]) -> Vec<FlowHop> {
        let mut b = FlowBuilder::default();
        entries.iter().filter_map(|e| b.push(e)).collect()
    }

    #[test]
    fn classifies_every_kind() {
        let hs = hops(&[
            entry(
                1,
                Hook::AfterAgentRun,
                "planner",
                "e1",
                Some("writer"),
                None,
            ),
            entry(2, Hook::AfterAgentRun, "writer", "e2", Some("writer"), None),
            entry(3, Hook::AgentError, "writer", "e3", None, Some("boom")),
            entry(
                4,
                Hook::AgentError,
                "writer",
                "e4",
                Some("writer"),
                Some("boom"),
            ),
            entry(5, Hook::AfterAgentRun, "writer", "e5", None, None),
        ]);
        let kinds: Vec<HopKind> = hs.iter().map(|h| h.kind).collect();
        assert_eq!(
            kinds,
            [
                HopKind::Handoff,
                HopKind::Requeue,
                HopKind::Error,
                HopKind::Retry,
                HopKind::End
            ]
        );
    }

    #[test]
    fn after_event_handling_without_routing_invents_no_hop() {
        let mut aeh = entry(2, Hook::AfterEventHandling, "planner", "e1", None, None);
        aeh.result = None;
        let hs = hops(&[
            entry(
                1,
                Hook::AfterAgentRun,
                "planner",
                "e1",
                Some("writer"),
                None,
            ),
            aeh.clone(),
        ]);
        assert_eq!(hs.len(), 1);
        // Alone, without route or error, it gives nothing either.
        assert!(hops(&[aeh]).is_empty());
        // With an error and no recorded outcome, it is the outcome.
        let mut failed = entry(
            3,
            Hook::AfterEventHandling,
            "planner",
            "e9",
            None,
            Some("x"),
        );
        failed.result = None;
        assert_eq!(hops(&[failed])[0].kind, HopKind::Error);
    }

    #[test]
    fn before_hooks_never_give_hops() {
        let mut before = entry(
            1,
            Hook::BeforeEventHandling,
            "planner",
            "e1",
            Some("writer"),
            None,
        );
        before.state_route = Some("writer".into());
        assert!(hops(&[before]).is_empty());
    }

    #[test]
    fn groups_keep_file_order_when_events_interleave() {
        let hs = hops(&[
            entry(1, Hook::AfterAgentRun, "a", "req-1", None, None),
            entry(2, Hook::AfterAgentRun, "b", "req-2", None, None),
            entry(3, Hook::AfterAgentRun, "c", "req-1", None, None),
            entry(4, Hook::AfterAgentRun, "d", "req-3", None, None),
            entry(5, Hook::AfterAgentRun, "e", "req-2", None, None),
        ]);
        let groups: Vec<(String, Vec<u64>)> = group_by_event(&hs)
            .iter()
            .map(|(l, g)| (l.to_string(), g.map(|h| h.index).collect()))
            .collect();
        assert_eq!(
            groups,
            [
                ("req-1".to_string(), vec![1, 3]),
                ("req-2".to_string(), vec![2, 5]),
                ("req-3".to_string(), vec![4]),
            ]
        );
    }

    #[test]
    fn labels_follow_upstream_and_groups_never_merge() {
        assert_eq!(event_label("req-17461596-planner"), "req-17461596");
        assert_eq!(
            event_label("be6c6fe9-4c41-49c0-b075-34feeacc110e"),
            "be6c6fe9"
        );
        assert_eq!(event_label("custom"), "custom");
        let hs = hops(&[
            entry(
                1,
                Hook::AfterAgentRun,
                "planner",
                "req-1-a",
                Some("writer"),
                None,
            ),
            entry(2, Hook::AfterAgentRun, "writer", "req-1-b", None, None),
            entry(3, Hook::AfterAgentRun, "x", "req-2", None, None),
        ]);
        let groups: Vec<(String, usize)> = group_by_event(&hs)
            .iter()
            .map(|(l, g)| (l.to_string(), g.count()))
            .collect();
        assert_eq!(
            groups,
            [
                ("req-1 (req-1-a)".to_string(), 1),
                ("req-1 (req-1-b)".to_string(), 1),
                ("req-2".to_string(), 1)
            ]
        );
    }

    #[test]
    fn condensed_route_and_edges() {
        let hs = hops(&[
            entry(
                1,
                Hook::AfterAgentRun,
                "planner",
                "e1",
                Some("writer"),
                None,
            ),
            entry(2, Hook::AfterAgentRun, "writer", "e2", Some("writer"), None),
            entry(
                3,
                Hook::AfterAgentRun,
                "writer",
                "e3",
                Some("planner"),
                None,
            ),
            entry(
                4,
                Hook::AfterAgentRun,
                "planner",
                "e4",
                Some("writer"),
                None,
            ),
        ]);
        assert_eq!(
            condensed_route(&hs),
            ["planner", "writer", "planner", "writer"]
        );
        let e = edges(&hs);
        assert_eq!(e.len(), 3);
        assert_eq!(e[0].count, 2);
        assert_eq!(participants(&hs), ["planner", "writer"]);
    }
}

/// Hops gathered as they come and handed back in time order (by instant,
/// file order on ties): parallel agents interleave and files are not
/// always in time order.
///
/// The hops are kept in one vector and their instants in another, so that
/// putting them in order costs no copy of the hops: none when they came in
/// order (the usual case), else a permutation applied in place. Sorting
/// (instant, place) pairs with a stable sort would have held a scratch
/// copy of half the hops, and a second vector of the hops in order.
#[derive(Debug, Default)]
pub struct HopTimeline {
    hops: Vec<FlowHop>,
    /// Each hop's instant (a hop without one takes the one before).
    instants: Vec<i128>,
    keys: super::timeline::TimeKeys,
    /// Some hop came before one pushed earlier.
    out_of_order: bool,
}

impl HopTimeline {
    pub fn push(&mut self, hop: FlowHop) {
        let instant = self.keys.instant(hop.timestamp.instant_nanos());
        if self.instants.last().is_some_and(|&last| instant < last) {
            self.out_of_order = true;
        }
        self.instants.push(instant);
        self.hops.push(hop);
    }

    /// The hops in time order; the timeline is left empty.
    pub fn take_sorted(&mut self) -> Vec<FlowHop> {
        let mut hops = std::mem::take(&mut self.hops);
        let instants = std::mem::take(&mut self.instants);
        if std::mem::take(&mut self.out_of_order) {
            // Where each place's hop comes from; ties keep file order.
            let mut from: Vec<usize> = (0..hops.len()).collect();
            from.sort_unstable_by_key(|&i| (instants[i], i));
            drop(instants);
            permute(&mut hops, &mut from);
        }
        // A vector that grew by doubling holds up to twice the room it
        // needs; the hops are kept through the whole of the rendering.
        hops.shrink_to_fit();
        hops
    }
}

/// Puts `items[from[k]]` at `k` for every `k`, in place, one cycle of the
/// permutation at a time (`from` is used up: each place is marked done by
/// pointing at itself).
fn permute<T>(items: &mut [T], from: &mut [usize]) {
    for start in 0..items.len() {
        let mut at = start;
        while from[at] != at {
            let source = from[at];
            from[at] = at;
            if source == start {
                break;
            }
            items.swap(at, source);
            at = source;
        }
    }
}
