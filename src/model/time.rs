//! Timestamps as AgenticGoKit writes them: RFC 3339 with the writer's offset.

use chrono::{DateTime, Datelike, FixedOffset};

/// A timestamp that keeps the offset it was written with (for display) and
/// compares by instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Timestamp {
    /// Missing, empty, or Go's zero time (`0001-01-01T00:00:00Z`), which
    /// means "not set" and is never a real time.
    #[default]
    Unset,
    At(DateTime<FixedOffset>),
}

impl Timestamp {
    /// Parses an RFC 3339 timestamp; `Err` when it is not one.
    pub fn parse(text: &str) -> Result<Timestamp, chrono::ParseError> {
        if text.is_empty() {
            return Ok(Timestamp::Unset);
        }
        let t = DateTime::parse_from_rfc3339(text)?;
        // Go's zero time, and any rendering of it in another zone, lies in
        // year 1 (or year 0 west of UTC). No trace was written then.
        if t.naive_utc().year() <= 1 {
            return Ok(Timestamp::Unset);
        }
        Ok(Timestamp::At(t))
    }

    pub fn get(&self) -> Option<DateTime<FixedOffset>> {
        match self {
            Timestamp::Unset => None,
            Timestamp::At(t) => Some(*t),
        }
    }

    /// Nanoseconds since the Unix epoch, for ordering by instant.
    pub fn instant_nanos(&self) -> Option<i128> {
        self.get().map(|t| {
            i128::from(t.timestamp()) * 1_000_000_000 + i128::from(t.timestamp_subsec_nanos())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_zero_time_is_unset() {
        assert_eq!(
            Timestamp::parse("0001-01-01T00:00:00Z").unwrap(),
            Timestamp::Unset
        );
        assert_eq!(
            Timestamp::parse("0000-12-31T19:03:58-04:56").unwrap(),
            Timestamp::Unset
        );
        assert_eq!(Timestamp::parse("").unwrap(), Timestamp::Unset);
    }

    #[test]
    fn keeps_offset_and_orders_by_instant() {
        let a = Timestamp::parse("2025-05-02T14:32:15.12345+09:00").unwrap();
        let b = Timestamp::parse("2025-05-02T05:32:15.2Z").unwrap();
        assert_eq!(a.get().unwrap().offset().local_minus_utc(), 9 * 3600);
        assert!(a.instant_nanos() < b.instant_nanos());
    }

    #[test]
    fn rejects_text_that_is_not_rfc3339() {
        assert!(Timestamp::parse("yesterday").is_err());
    }
}
