//! Analysis: questions asked of entries (filters, time cuts, summaries,
//! ordering). No I/O and no formatting.

pub mod analyze;
pub mod diff;
pub mod filter;
pub mod flow;
pub mod names;
pub mod spans;
pub mod state_diff;
pub mod summary;
pub mod time_range;
pub mod timeline;
pub mod validate;

pub use filter::{Condition, Filter, FilterError};
pub use summary::{sort_sessions, SessionInfo, SessionSort, SessionSummary};
pub use time_range::TimeRange;

/// The hash maps and sets analyses key by agent and event names: foldhash
/// is several times quicker than the standard SipHash on short keys (a
/// third of the flow view's own time went to hashing), and is still
/// seeded per process, so names crafted to collide cannot be chosen ahead.
pub type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
/// See [`FastMap`].
pub type FastSet<T> = std::collections::HashSet<T, foldhash::fast::RandomState>;

/// 128 bits of hash for what a long session has one of per event (event
/// ids, (event, agent) pairs), held instead of its strings, which grew with
/// every event. Two hashers seeded at random when the `Hash128` is made:
/// no file can be written to make two values collide, and by chance two of
/// a billion do with odds below 10^-20. Hashes of two `Hash128`s do not
/// compare (but for a clone, which keeps the seeds): one is made for all
/// that must.
#[derive(Debug, Clone, Default)]
pub struct Hash128([foldhash::fast::RandomState; 2]);

impl Hash128 {
    pub fn of(&self, value: impl std::hash::Hash + Copy) -> u128 {
        use std::hash::BuildHasher;
        let [a, b] = &self.0;
        u128::from(a.hash_one(value)) << 64 | u128::from(b.hash_one(value))
    }
}
