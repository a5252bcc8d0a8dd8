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
