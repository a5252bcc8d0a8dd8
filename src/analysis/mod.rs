//! Analysis: questions asked of entries (filters, time cuts, summaries,
//! ordering). No I/O and no formatting.

pub mod analyze;
pub mod diff;
pub mod filter;
pub mod flow;
pub mod spans;
pub mod state_diff;
pub mod summary;
pub mod time_range;
pub mod timeline;
pub mod validate;

pub use filter::{Condition, Filter, FilterError};
pub use summary::{sort_sessions, SessionInfo, SessionSort, SessionSummary};
pub use time_range::TimeRange;
