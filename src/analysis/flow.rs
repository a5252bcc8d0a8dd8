//! The flow of a session: who handed work to whom. One hop per agent run
//! outcome, with the next agent taken from the routing the file records.
//!
//! An entry that carries no routing information never invents a hop (the
//! upstream tool fell back to `target_agent_id`, which made every
//! AfterEventHandling look like a self-requeue).

use std::borrow::Cow;

use super::{FastMap, FastSet};
use std::fmt;

use super::names::{Name, Names};
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
/// strings they name.
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

    /// Hop `i` (below [`Flow::len`]).
    pub fn get(&self, i: usize) -> Hop<'_> {
        self.names.hop(&self.hops[i])
    }

    /// The hops in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = Hop<'_>> + ExactSizeIterator + '_ {
        self.slice(0..self.hops.len())
    }

    /// The hops in `range`.
    pub fn slice(
        &self,
        range: std::ops::Range<usize>,
    ) -> impl DoubleEndedIterator<Item = Hop<'_>> + ExactSizeIterator + '_ {
        self.hops[range].iter().map(|h| self.names.hop(h))
    }

    /// The held hops, to split among threads ([`Flow::hop`] reads one).
    pub fn records(&self) -> &[FlowHop] {
        &self.hops
    }

    /// A held hop with its strings.
    pub fn hop(&self, hop: &FlowHop) -> Hop<'_> {
        self.names.hop(hop)
    }

    /// The name `s` has among the hops' strings, if any hop has it.
    pub fn name_of(&self, s: &str) -> Option<Name> {
        self.names.find(s)
    }

    /// Hop `i`'s event id, or what stands for none.
    fn event_of(&self, i: usize) -> &str {
        self.hops[i]
            .event_id
            .map_or(NO_EVENT, |id| self.names.get(id))
    }

    /// Adds `hop` at the end.
    pub fn push(&mut self, hop: &Hop<'_>) {
        let held = self.names.hold(hop);
        self.hops.push(held);
    }
}

impl<'a> FromIterator<Hop<'a>> for Flow {
    fn from_iter<I: IntoIterator<Item = Hop<'a>>>(hops: I) -> Self {
        let mut flow = Flow::default();
        for hop in hops {
            flow.push(&hop);
        }
        flow
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
    /// (event, agent) pairs whose outcome already gave a hop.
    done: FastSet<(Option<Name>, Name)>,
    /// The strings of the hops made.
    names: Names,
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

    /// The hop `e` gives, if any; its strings are in [`FlowBuilder::names`].
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
        let agent_id = e.agent_id.as_deref().filter(|a| !a.is_empty())?;
        let hook = HopHook::of(&e.hook)?;
        let agent = self.names.id(agent_id);
        let event_id = e.event_id.as_deref().map(|id| self.names.id(id));
        let key = (event_id, agent);
        let route = e.route();
        if hook == HopHook::AfterEventHandling
            && (self.done.contains(&key) || (route.is_none() && e.error().is_none()))
        {
            return None;
        }
        self.done.insert(key);
        let next = route.map(|r| self.names.id(r));
        let failed = e.error().is_some() || hook == HopHook::AgentError;
        let state_changes = self.inputs.as_mut().map(|inputs| {
            let before = inputs.remove(&e.event_id).unwrap_or_default();
            match super::state_diff::resulting_state(e).and_then(super::state_diff::keys_of) {
                Some(after) => {
                    super::state_diff::brief(&super::state_diff::changed_keys(&before, &after))
                }
                None => "(no output state)".to_string(),
            }
        });
        let written = match &e.timestamp_written {
            Written::Absent => Written::Absent,
            Written::AsParsed => Written::AsParsed,
            Written::Text(raw) => Written::Text(self.names.id(raw)),
        };
        Some(FlowHop {
            index: e.index,
            timestamp: e.timestamp,
            written,
            kind: HopKind::classify(agent_id, route, failed),
            agent,
            next,
            hook,
            event_id,
            error: e.error().map(|m| self.names.id(m)),
            state_changes: state_changes.map(|c| self.names.id(&c)),
        })
    }

    /// The strings of the hops made so far.
    pub fn names(&self) -> &Names {
        &self.names
    }

    /// The strings of every hop made; the builder starts again empty
    /// (what it remembers to make hops is not needed to draw them).
    pub fn take_names(&mut self) -> Names {
        let mut names = std::mem::take(&mut self.names);
        self.done = FastSet::default();
        if let Some(inputs) = &mut self.inputs {
            *inputs = FastMap::default();
        }
        names.shrink_to_fit();
        names
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

/// Hops grouped by event, in order of each event's first hop. Groups are by
/// the full event id; when two ids share a short label, each label carries
/// its full id so that no two events look like one.
///
/// A long session has about as many events as hops (one each, unless
/// agents run side by side): groups are kept as ranges of one list of hop
/// numbers, found through the events' [`Name`]s rather than a map of
/// their strings, and labels are made when shown.
pub fn group_by_event(flow: &Flow) -> EventGroups<'_> {
    const NEW: u32 = u32::MAX;
    // Each event's group by the number of its name; hops without an event
    // id form a group of their own.
    let mut group_of_name = vec![NEW; flow.names.len()];
    let mut unnamed = NEW;
    // Each group's first hop, and its size.
    let mut first: Vec<u32> = Vec::new();
    let mut fill: Vec<u32> = Vec::new();
    // The slot of a hop's event.
    fn slot<'v>(by_name: &'v mut [u32], unnamed: &'v mut u32, hop: &FlowHop) -> &'v mut u32 {
        match hop.event_id {
            Some(id) => &mut by_name[id.index()],
            None => unnamed,
        }
    }
    for (i, hop) in flow.hops.iter().enumerate() {
        let slot = slot(&mut group_of_name, &mut unnamed, hop);
        if *slot == NEW {
            *slot = small(first.len());
            first.push(small(i));
            fill.push(0);
        }
        fill[*slot as usize] += 1;
    }
    // Where each group starts in `members`; filled in file order, which
    // keeps each group's hops in order and leaves `fill` at the ends.
    let mut start = 0;
    for size in fill.iter_mut() {
        let n = *size;
        *size = start;
        start += n;
    }
    let mut members = vec![0u32; flow.hops.len()];
    for (i, hop) in flow.hops.iter().enumerate() {
        let g = *slot(&mut group_of_name, &mut unnamed, hop) as usize;
        members[fill[g] as usize] = small(i);
        fill[g] += 1;
    }
    drop(group_of_name);
    let ends = fill;
    // Labels two events share: the groups in order of their label's hash
    // (numbers sort faster than strings), and among groups of the same
    // hash, those of the same label marked.
    let label = |g: usize| event_label(flow.event_of(first[g] as usize));
    use std::hash::BuildHasher;
    let hasher = foldhash::fast::RandomState::default();
    let mut by_hash: Vec<(u64, u32)> = (0..first.len())
        .map(|g| (hasher.hash_one(label(g)), small(g)))
        .collect();
    by_hash.sort_unstable();
    let mut shared = vec![false; first.len()];
    for same in by_hash
        .chunk_by(|a, b| a.0 == b.0)
        .filter(|run| run.len() > 1)
    {
        for (i, &(_, a)) in same.iter().enumerate() {
            for &(_, b) in &same[i + 1..] {
                let (a, b) = (a as usize, b as usize);
                if label(a) == label(b) {
                    shared[a] = true;
                    shared[b] = true;
                }
            }
        }
    }
    drop(by_hash);
    EventGroups {
        flow,
        first,
        ends,
        members,
        shared,
    }
}

/// A hop's or group's number, held in 32 bits (half a `usize`: these are
/// held for every hop while the view is drawn). Four billion hops would
/// take over 200 GB of hops alone before this ran out, so memory fails
/// first, as it does for [`Names`]; the last number is shared if not.
fn small(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

/// The label of hops without an event id.
const NO_EVENT: &str = "(no event id)";

/// What [`group_by_event`] found.
pub struct EventGroups<'a> {
    flow: &'a Flow,
    /// Each group's first hop.
    first: Vec<u32>,
    /// Where each group's hops end in `members`.
    ends: Vec<u32>,
    /// Hop numbers, group after group.
    members: Vec<u32>,
    /// Whether each group's short label is another group's too.
    shared: Vec<bool>,
}

impl<'a> EventGroups<'a> {
    /// Each group's label and hops, in order.
    pub fn iter(&self) -> impl Iterator<Item = (Cow<'a, str>, impl Iterator<Item = Hop<'a>> + '_)> {
        (0..self.len()).map(|g| self.group(g))
    }

    /// How many groups there are.
    pub fn len(&self) -> usize {
        self.first.len()
    }

    pub fn is_empty(&self) -> bool {
        self.first.is_empty()
    }

    /// Group `g`'s label and hops (`g` below [`EventGroups::len`]).
    pub fn group(&self, g: usize) -> (Cow<'a, str>, impl Iterator<Item = Hop<'a>> + '_) {
        let flow = self.flow;
        let full = flow.event_of(self.first[g] as usize);
        let label = event_label(full);
        let label = if self.shared[g] && full != label {
            Cow::Owned(format!("{label} ({full})"))
        } else {
            Cow::Borrowed(label)
        };
        let start = g
            .checked_sub(1)
            .map_or(0, |before| self.ends[before] as usize);
        let hops = self.members[start..self.ends[g] as usize]
            .iter()
            .map(move |&i| flow.get(i as usize));
        (label, hops)
    }
}

/// The route as one chain: the agents that ran, in time order, with
/// repeats in a row folded, then where the last hop went. Only agents that
/// ran are chained, so parallel branches never show a hand-off that did not
/// happen.
pub fn condensed_route(flow: &Flow) -> impl Iterator<Item = &str> + '_ {
    // A long session's route has about as many agents as hops: made as
    // it is read rather than held.
    let last_next = flow.iter().next_back().and_then(|h| h.next);
    let mut before: Option<&str> = None;
    flow.iter()
        .map(|hop| hop.agent)
        .chain(last_next)
        .filter(move |&agent| before.replace(agent) != Some(agent))
}

/// Agents in order of first appearance (as the agent of a hop or as its
/// next).
pub fn participants(flow: &Flow) -> Vec<String> {
    // By name: the agents are few, the hops many.
    let mut seen = vec![false; flow.names.len()];
    let mut out: Vec<String> = Vec::new();
    for hop in &flow.hops {
        for name in std::iter::once(hop.agent).chain(hop.next) {
            if !std::mem::replace(&mut seen[name.index()], true) {
                out.push(flow.names.get(name).to_string());
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
pub fn edges(flow: &Flow) -> Vec<FlowEdge> {
    let mut order: Vec<(Name, Option<Name>, HopKind)> = Vec::new();
    let mut counts: FastMap<(Name, Option<Name>, HopKind), u64> = FastMap::default();
    for hop in &flow.hops {
        let key = (hop.agent, hop.next, hop.kind);
        let count = counts.entry(key).or_insert_with(|| {
            order.push(key);
            0
        });
        *count += 1;
    }
    order
        .into_iter()
        .map(|key @ (from, to, kind)| FlowEdge {
            from: flow.names.get(from).to_string(),
            to: to.map(|n| flow.names.get(n).to_string()),
            kind,
            count: counts[&key],
        })
        .collect()
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
            let got: Vec<u64> = flow.records().iter().map(|h| h.index).collect();
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
        let hops = entries.iter().filter_map(|e| b.push(e)).collect();
        Flow::new(hops, b.take_names())
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
        assert_eq!(hops(&[failed]).get(0).kind, HopKind::Error);
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
            condensed_route(&hs).collect::<Vec<_>>(),
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
        // needs; the hops are kept through the whole of the rendering.
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
