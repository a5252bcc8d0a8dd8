//! The flow of a session: who handed work to whom. One hop per agent run
//! outcome, with the next agent taken from the routing the file records.
//!
//! An entry that carries no routing information never invents a hop (the
//! upstream tool fell back to `target_agent_id`, which made every
//! AfterEventHandling look like a self-requeue).

use std::borrow::Cow;

use super::{FastMap, FastSet, Hash128};
use std::fmt;

use super::names::{Name, Names};
use super::timeline::TimeKey;
use crate::model::{Entry, Hook, Text, Timestamp, Written};

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

/// The hook a hop's outcome was recorded by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HopHook {
    AfterAgentRun,
    AgentError,
    AfterEventHandling,
}

impl HopHook {
    /// The hooks that record an outcome; `None` for the others.
    pub fn of(hook: &Hook) -> Option<HopHook> {
        match hook {
            Hook::AfterAgentRun => Some(HopHook::AfterAgentRun),
            Hook::AgentError => Some(HopHook::AgentError),
            Hook::AfterEventHandling => Some(HopHook::AfterEventHandling),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            HopHook::AfterAgentRun => Hook::AfterAgentRun.as_str(),
            HopHook::AgentError => Hook::AgentError.as_str(),
            HopHook::AfterEventHandling => Hook::AfterEventHandling.as_str(),
        }
    }
}

/// One step of the flow, with its strings as `S`: held as a [`FlowHop`]
/// (its strings [`Name`]s in the flow's [`Names`]: a long session has tens
/// of thousands of hops, each with its own event id), read as a [`Hop`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HopOf<S> {
    /// The entry it came from (its position in the file).
    pub index: u64,
    pub timestamp: Timestamp,
    pub written: Written<S>,
    /// The agent that ran.
    pub agent: S,
    /// The agent routed to; `None` when the flow ends (or fails) here.
    pub next: Option<S>,
    pub hook: HopHook,
    pub event_id: Option<S>,
    pub kind: HopKind,
    pub error: Option<S>,
    /// With `--state-diff`: the state keys the hop added (+), removed (-)
    /// or changed (~).
    pub state_changes: Option<S>,
}

/// A hop as held (56 bytes).
pub type FlowHop = HopOf<Name>;

/// A hop as the views read it.
pub type Hop<'a> = HopOf<&'a str>;

impl<S> HopOf<S> {
    /// The same hop with each string made by `f`.
    fn map<T>(self, mut f: impl FnMut(S) -> T) -> HopOf<T> {
        HopOf {
            index: self.index,
            timestamp: self.timestamp,
            written: match self.written {
                Written::Absent => Written::Absent,
                Written::AsParsed => Written::AsParsed,
                Written::Text(t) => Written::Text(f(t)),
            },
            agent: f(self.agent),
            next: self.next.map(&mut f),
            hook: self.hook,
            event_id: self.event_id.map(&mut f),
            kind: self.kind,
            error: self.error.map(&mut f),
            state_changes: self.state_changes.map(&mut f),
        }
    }
}

impl Names {
    /// `hop` with its strings.
    pub fn hop(&self, hop: &FlowHop) -> Hop<'_> {
        hop.map(|name| self.get(name))
    }

    /// `hop` held: its strings named here.
    pub fn hold(&mut self, hop: &Hop<'_>) -> FlowHop {
        hop.map(|s| self.id(s))
    }
}

/// A session's hops (in time order, once made by [`HopTimeline`]) with the
/// strings they name, held whole for commands that compare sessions
/// (`diff`); the trace views hold theirs in a bounded store instead.
#[derive(Debug, Default)]
pub struct Flow {
    hops: Vec<FlowHop>,
    names: Names,
}

impl Flow {
    pub fn new(hops: Vec<FlowHop>, names: Names) -> Self {
        Flow { hops, names }
    }

    pub fn len(&self) -> usize {
        self.hops.len()
    }

    pub fn is_empty(&self) -> bool {
        self.hops.is_empty()
    }

    /// The hops in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = Hop<'_>> + ExactSizeIterator + '_ {
        self.hops.iter().map(|h| self.names.hop(h))
    }

    /// Adds `hop` at the end (tests make flows so).
    #[cfg(test)]
    pub fn push(&mut self, hop: &Hop<'_>) {
        let held = self.names.hold(hop);
        self.hops.push(held);
    }
}

/// Turns entries, in file order, into hops.
///
/// A run's outcome is recorded by AfterAgentRun or AgentError; their
/// `agent_result.output_state.meta.route` (or `state.meta.route`) names the
/// next agent. An AfterEventHandling counts only for an event whose outcome
/// was not recorded that way, and only when it carries a route or an error.
#[derive(Debug, Default)]
pub struct FlowBuilder {
    /// (event, agent) pairs whose outcome already gave a hop, each held as
    /// 128 bits of hash ([`Hash128`]): the latest in `recent`, in order,
    /// the others in `done`. Only an AfterEventHandling with a route or an
    /// error asks about its pair, and most often the pair's hop was made
    /// just before: the last few of `recent` answer, and only when they do
    /// not is `recent` put in the set (a set of every hop's pair, probed
    /// all over memory, cost 17 ms a gigabyte to fill).
    done: FastSet<u128>,
    recent: Vec<u128>,
    hash: Hash128,
    /// With state diffs: each open event's input state keys.
    inputs: Option<FastMap<Option<Text>, serde_json::Map<String, serde_json::Value>>>,
    /// The state changes of the hop last made.
    changes: String,
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

    /// The hop `e` gives, if any, its strings borrowed from `e` (and from
    /// the builder, for its state changes).
    pub fn push<'s>(&'s mut self, e: &'s Entry) -> Option<Hop<'s>> {
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
        let hook = HopHook::of(&e.hook)?;
        let event_id = e.event_id.as_deref();
        let route = e.route();
        let closing = hook == HopHook::AfterEventHandling;
        // Most AfterEventHandling entries carry neither: no need to hash.
        if closing && route.is_none() && e.error().is_none() {
            return None;
        }
        let key = self.hash.of((event_id, agent));
        if closing && self.is_done(key) {
            return None;
        }
        self.recent.push(key);
        let failed = e.error().is_some() || hook == HopHook::AgentError;
        let changes = match self.inputs.as_mut() {
            Some(inputs) => {
                let before = inputs.remove(&e.event_id).unwrap_or_default();
                self.changes = match super::state_diff::resulting_state(e)
                    .and_then(super::state_diff::keys_of)
                {
                    Some(after) => {
                        super::state_diff::brief(&super::state_diff::changed_keys(&before, &after))
                    }
                    None => "(no output state)".to_string(),
                };
                Some(self.changes.as_str())
            }
            None => None,
        };
        Some(Hop {
            index: e.index,
            timestamp: e.timestamp,
            written: e.timestamp_written.as_deref(),
            kind: HopKind::classify(agent, route, failed),
            agent,
            next: route,
            hook,
            event_id,
            error: e.error(),
            state_changes: changes,
        })
    }

    /// Whether the pair `key` already gave a hop.
    fn is_done(&mut self, key: u128) -> bool {
        /// Pairs looked at before the set is asked.
        const LATEST: usize = 16;
        if self.recent.iter().rev().take(LATEST).any(|&k| k == key) {
            return true;
        }
        self.done.extend(self.recent.drain(..));
        self.done.contains(&key)
    }

    /// Forgets what it remembers to make hops (the events done), once
    /// every hop is made: it is not needed to draw them.
    pub fn forget(&mut self) {
        self.done = FastSet::default();
        self.recent = Vec::new();
        if let Some(inputs) = &mut self.inputs {
            *inputs = FastMap::default();
        }
    }
}

/// The label upstream gave an event: `req-<digits>-<suffix>` → `req-<digits>`,
/// a UUID → its first 8 hex digits, anything else as it is.
pub fn event_label(id: &str) -> &str {
    if let Some(rest) = id.strip_prefix("req-") {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 {
            return &id[..4 + digits];
        }
    }
    if is_uuid(id.as_bytes()) {
        return &id[..8];
    }
    id
}

/// Whether `id` is a UUID in its usual text: 36 bytes, hex digits in
/// groups of 8, 4, 4, 4 and 12 between hyphens. (The groups are checked
/// with no early exit, which vectorizes: a long session labels every
/// hop's event several times.)
fn is_uuid(id: &[u8]) -> bool {
    let hex = |group: &[u8]| group.iter().fold(true, |ok, c| ok & c.is_ascii_hexdigit());
    id.len() == 36
        && [id[8], id[13], id[18], id[23]] == [b'-'; 4]
        && hex(&id[..8])
        && hex(&id[9..13])
        && hex(&id[14..18])
        && hex(&id[19..23])
        && hex(&id[24..])
}

/// The label of hops without an event id.
pub const NO_EVENT: &str = "(no event id)";

/// The heading of a group of hops of one event (`None`: of hops without
/// one): the event's [`event_label`], followed by its full id when
/// another event in the same view has that label too (`shared`), so that
/// no two events look like one.
pub fn group_heading(event: Option<&str>, shared: bool) -> Cow<'_, str> {
    let full = event.unwrap_or(NO_EVENT);
    let label = event_label(full);
    if shared && full != label {
        Cow::Owned(format!("{label} ({full})"))
    } else {
        Cow::Borrowed(label)
    }
}

/// The route as one chain, made as hops come in time order: the agents
/// that ran, with repeats in a row folded, then where the last hop went.
/// Only agents that ran are chained, so parallel branches never show a
/// hand-off that did not happen. Nothing is held per hop (a long session's
/// route has about as many agents as hops).
#[derive(Debug, Default)]
pub struct CondensedRoute {
    /// The agent last added to the chain.
    before: Option<String>,
    /// Where the last hop went.
    last_next: Option<String>,
}

impl CondensedRoute {
    /// The agent `hop` adds to the chain, if any.
    pub fn push<'h>(&mut self, hop: &Hop<'h>) -> Option<&'h str> {
        match (&mut self.last_next, hop.next) {
            (Some(held), Some(next)) => {
                held.clear();
                held.push_str(next);
            }
            (held, next) => *held = next.map(str::to_string),
        }
        self.add(hop.agent).then_some(hop.agent)
    }

    /// Where the last hop went, if that ends the chain (after the last
    /// hop is pushed).
    pub fn end(&mut self) -> Option<String> {
        let next = self.last_next.take()?;
        self.add(&next).then_some(next)
    }

    /// Whether `agent` is a link of its own (not the one before).
    fn add(&mut self, agent: &str) -> bool {
        match &mut self.before {
            Some(before) if before == agent => false,
            Some(before) => {
                before.clear();
                before.push_str(agent);
                true
            }
            None => {
                self.before = Some(agent.to_string());
                true
            }
        }
    }
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

/// The agents and the graph of who handed work to whom, made as hops
/// come: agents are few, hops many, so agents are held once each and
/// edges by the agents' numbers. Hops may come in any order, each with
/// its place in time order: agents and edges are told in order of first
/// use in time.
#[derive(Debug, Default)]
pub struct AgentGraph {
    /// Agents in order of first appearance here, each with its first use
    /// in time (as the agent of a hop, or after it as its next).
    agents: Vec<(String, (TimeKey, bool))>,
    numbers: FastMap<String, u32>,
    /// Edges in order of first appearance here, with their count and
    /// first use in time.
    edges: Vec<(EdgeKey, u64, TimeKey)>,
    edge_numbers: FastMap<EdgeKey, usize>,
}

/// An edge by its agents' numbers: from, to (none at the end), and kind.
type EdgeKey = (u32, Option<u32>, HopKind);

impl AgentGraph {
    /// Adds `hop`, whose place in time order is `at`.
    pub fn push(&mut self, hop: &Hop<'_>, at: TimeKey) {
        let from = self.number(hop.agent, (at, false));
        let to = hop.next.map(|next| self.number(next, (at, true)));
        let key = (from, to, hop.kind);
        let edges = &mut self.edges;
        let n = *self.edge_numbers.entry(key).or_insert_with(|| {
            edges.push((key, 0, at));
            edges.len() - 1
        });
        let edge = &mut self.edges[n];
        edge.1 += 1;
        edge.2 = edge.2.min(at);
    }

    fn number(&mut self, agent: &str, at: (TimeKey, bool)) -> u32 {
        if let Some(&n) = self.numbers.get(agent) {
            let first = &mut self.agents[n as usize].1;
            *first = (*first).min(at);
            return n;
        }
        let n = u32::try_from(self.agents.len()).unwrap_or(u32::MAX);
        self.agents.push((agent.to_string(), at));
        self.numbers.insert(agent.to_string(), n);
        n
    }

    /// The agents in order of first appearance in time (as the agent of
    /// a hop or as its next).
    pub fn participants(&self) -> Vec<String> {
        let mut agents: Vec<&(String, (TimeKey, bool))> = self.agents.iter().collect();
        agents.sort_by_key(|(_, first)| *first);
        agents.into_iter().map(|(name, _)| name.clone()).collect()
    }

    /// The edges, hops folded by (from, to, kind), in order of first use
    /// in time.
    pub fn edges(&self) -> Vec<FlowEdge> {
        let name = |n: u32| self.agents[n as usize].0.clone();
        let mut edges: Vec<_> = self.edges.iter().collect();
        edges.sort_by_key(|(_, _, first)| *first);
        edges
            .into_iter()
            .map(|&((from, to, kind), count, _)| FlowEdge {
                from: name(from),
                to: to.map(name),
                kind,
                count,
            })
            .collect()
    }
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

        /// Hops come back from the timeline as a stable sort by instant
        /// gives them (a hop with no time taking the one before it),
        /// whether or not they came in order.
        #[test]
        fn the_timeline_sorts_hops_as_a_stable_sort_does(
            times in proptest::collection::vec(proptest::option::of(0i64..6), 0..40),
        ) {
            let hop = |i: usize, t: Option<i64>| FlowHop {
                index: i as u64,
                timestamp: t.map_or(Timestamp::Unset, |s| {
                    Timestamp::At(chrono::DateTime::from_timestamp(1_700_000_000 + s, 0).unwrap().into())
                }),
                written: Written::Absent,
                agent: Names::default().id("a"),
                next: None,
                hook: HopHook::AfterAgentRun,
                event_id: None,
                kind: HopKind::End,
                error: None,
                state_changes: None,
            };
            let mut timeline = HopTimeline::default();
            let mut keys = super::super::timeline::TimeKeys::default();
            let mut want: Vec<(super::super::timeline::TimeKey, u64)> = Vec::new();
            for (i, &t) in times.iter().enumerate() {
                let h = hop(i, t);
                want.push((keys.key(h.timestamp.instant_nanos(), i as u64), i as u64));
                timeline.push(h);
            }
            want.sort();
            let flow = timeline.take_sorted(Names::default());
            let got: Vec<u64> = flow.iter().map(|h| h.index).collect();
            proptest::prop_assert_eq!(got, want.iter().map(|w| w.1).collect::<Vec<_>>());
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

    fn hops(entries: &[Entry]) -> Flow {
        let mut b = FlowBuilder::default();
        let mut flow = Flow::default();
        for e in entries {
            if let Some(hop) = b.push(e) {
                flow.push(&hop);
            }
        }
        flow
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
        assert_eq!(
            hops(&[failed]).iter().next().map(|h| h.kind),
            Some(HopKind::Error)
        );
    }

    /// An AfterEventHandling with a route counts once per (event, agent)
    /// with no hop before, however long ago that hop was made, and
    /// whether or not an earlier question put the pairs in the set.
    #[test]
    fn after_event_handling_counts_only_for_pairs_with_no_hop_yet() {
        let run = |i: u64, event: &str| entry(i, Hook::AfterAgentRun, "a", event, Some("b"), None);
        let after =
            |i: u64, event: &str| entry(i, Hook::AfterEventHandling, "a", event, Some("b"), None);
        let mut entries: Vec<Entry> = (0..100).map(|i| run(i, &format!("e{i}"))).collect();
        // Long after its hop, right after it, for a new pair (twice: the
        // second is its hop's), then long after again, past the set.
        entries.extend([
            after(100, "e0"),
            after(101, "e99"),
            after(102, "new"),
            after(103, "new"),
            run(104, "e100"),
            after(105, "e50"),
            after(106, "e100"),
            after(107, "e100"),
        ]);
        let made: Vec<u64> = hops(&entries).iter().map(|h| h.index).collect();
        let mut want: Vec<u64> = (0..100).collect();
        want.extend([102, 104]);
        assert_eq!(made, want);
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

    proptest::proptest! {
        /// The UUID test agrees with a byte-by-byte reading of the shape,
        /// on UUIDs, near misses and anything else.
        #[test]
        fn uuids_are_known_by_their_shape(
            id in proptest::prop_oneof![
                "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
                "[0-9a-gA-G-]{34,38}",
                ".{0,40}",
            ],
        ) {
            let by_byte = id.len() == 36
                && id.bytes().enumerate().all(|(i, c)| {
                    if matches!(i, 8 | 13 | 18 | 23) {
                        c == b'-'
                    } else {
                        c.is_ascii_hexdigit()
                    }
                });
            proptest::prop_assert_eq!(is_uuid(id.as_bytes()), by_byte);
        }
    }

    #[test]
    fn labels_follow_upstream_and_groups_never_merge() {
        assert_eq!(event_label("req-17461596-planner"), "req-17461596");
        assert_eq!(
            event_label("be6c6fe9-4c41-49c0-b075-34feeacc110e"),
            "be6c6fe9"
        );
        assert_eq!(event_label("custom"), "custom");
        assert_eq!(group_heading(Some("req-1-a"), true), "req-1 (req-1-a)");
        assert_eq!(group_heading(Some("req-1-a"), false), "req-1");
        assert_eq!(group_heading(Some("req-1"), true), "req-1");
        assert_eq!(group_heading(None, true), NO_EVENT);
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
        let mut route = CondensedRoute::default();
        let mut chain: Vec<String> = hs
            .iter()
            .filter_map(|h| route.push(&h).map(str::to_string))
            .collect();
        chain.extend(route.end());
        assert_eq!(chain, ["planner", "writer", "planner", "writer"]);
        let mut graph = AgentGraph::default();
        let mut keys = super::super::timeline::TimeKeys::default();
        // In reverse: told in order of first use in time all the same.
        for h in hs.iter().rev() {
            graph.push(&h, keys.key(Some(i128::from(h.index as i64)), h.index));
        }
        let e = graph.edges();
        assert_eq!(e.len(), 3);
        assert_eq!(e[0].count, 2);
        assert_eq!(graph.participants(), ["planner", "writer"]);
    }
}

/// Hops gathered as they come and handed back in time order (by instant,
/// file order on ties): parallel agents interleave and files are not
/// always in time order.
///
/// The hops are kept in one vector, with nothing beside them: whether they
/// came in order is known from the last instant alone, and only when they
/// did not (rarely) are their instants worked out again to sort them.
/// Putting them in order then costs no copy of the hops: a permutation is
/// applied in place. Sorting (instant, place) pairs with a stable sort
/// would have held a scratch copy of half the hops, and a second vector of
/// the hops in order.
#[derive(Debug, Default)]
pub struct HopTimeline {
    hops: Vec<FlowHop>,
    keys: super::timeline::TimeKeys,
    /// Some hop came before one pushed earlier.
    out_of_order: bool,
}

impl HopTimeline {
    pub fn push(&mut self, hop: FlowHop) {
        // The instant the hop before orders by, then this one's.
        let before = self.keys.instant(None);
        let instant = self.keys.instant(hop.timestamp.instant_nanos());
        if !self.hops.is_empty() && instant < before {
            self.out_of_order = true;
        }
        self.hops.push(hop);
    }

    /// The hops in time order, with the strings they name; the timeline
    /// is left empty.
    pub fn take_sorted(&mut self, names: Names) -> Flow {
        let mut hops = std::mem::take(&mut self.hops);
        self.keys = super::timeline::TimeKeys::default();
        if std::mem::take(&mut self.out_of_order) {
            // Each hop's instant, as `push` worked it out.
            let mut keys = super::timeline::TimeKeys::default();
            let instants: Vec<i128> = hops
                .iter()
                .map(|h| keys.instant(h.timestamp.instant_nanos()))
                .collect();
            // Where each place's hop comes from; ties keep file order.
            let mut from: Vec<usize> = (0..hops.len()).collect();
            from.sort_unstable_by_key(|&i| (instants[i], i));
            drop(instants);
            permute(&mut hops, &mut from);
        }
        // A vector that grew by doubling holds up to twice the room it
        // needs; the hops are kept through the whole of the diff.
        hops.shrink_to_fit();
        Flow::new(hops, names)
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
