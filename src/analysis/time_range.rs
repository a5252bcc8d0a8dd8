//! `--since` / `--until`: dates, date-times and spans back from now.

use chrono::{
    DateTime, Duration, FixedOffset, Local, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc,
};

use crate::model::Timestamp;

/// A cut by time; either end may be open. Both ends are inclusive.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimeRange {
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// The arguments as given, for messages.
    pub since_text: Option<String>,
    pub until_text: Option<String>,
}

/// The accepted forms, for error messages.
pub const TIME_FORMS: &str = "a date (2025-05-02), a date and time (2025-05-02T14:30, \
'2025-05-02 14:30:15', RFC 3339 with an offset), `now`, `today`, `yesterday`, or a span back from now \
(90s, 30m, 2h, 3d, 1w, 1h30m)";

impl TimeRange {
    pub fn is_unbounded(&self) -> bool {
        self.since.is_none() && self.until.is_none()
    }

    /// Whether `t` lies in the range. An unset time lies in no bounded range.
    pub fn contains(&self, t: &Timestamp) -> bool {
        match t.get() {
            None => self.is_unbounded(),
            Some(t) => {
                let t = t.with_timezone(&Utc);
                self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t <= u)
            }
        }
    }

    pub fn describe(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(s) = &self.since_text {
            out.push(format!("--since {s}"));
        }
        if let Some(u) = &self.until_text {
            out.push(format!("--until {u}"));
        }
        out
    }
}

/// Which end of a range a time is for: a bare date means its first instant
/// for `--since` and its last for `--until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    Since,
    Until,
}

/// Parses a `--since`/`--until` value relative to `now`; dates without an
/// offset are in the local time zone.
pub fn parse_time(text: &str, end: End, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    let local_day = |d: NaiveDate| -> Result<DateTime<Utc>, String> {
        let naive = match end {
            End::Since => d.and_time(NaiveTime::MIN),
            End::Until => d
                .and_hms_nano_opt(23, 59, 59, 999_999_999)
                .unwrap_or(d.and_time(NaiveTime::MIN)),
        };
        local(naive, t)
    };
    match lower.as_str() {
        "now" => return Ok(now),
        "today" => return local_day(now.with_timezone(&Local).date_naive()),
        "yesterday" => {
            let d = now
                .with_timezone(&Local)
                .date_naive()
                .pred_opt()
                .ok_or("date out of range")?;
            return local_day(d);
        }
        _ => {}
    }
    if let Some(span) = parse_span(&lower) {
        return now
            .checked_sub_signed(span)
            .ok_or_else(|| format!("'{t}' reaches too far back"));
    }
    if let Ok(dt) = DateTime::<FixedOffset>::parse_from_rfc3339(t) {
        return Ok(dt.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(t, fmt) {
            return local(naive, t);
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return local_day(d);
    }
    Err(format!(
        "'{t}' is not a time I can read\nhint: use {TIME_FORMS}"
    ))
}

fn local(naive: NaiveDateTime, text: &str) -> Result<DateTime<Utc>, String> {
    Local
        .from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| format!("'{text}' does not exist in the local time zone"))
}

/// `90s`, `30m`, `2h`, `3d`, `1w`, `500ms`, and sums like `1h30m`.
fn parse_span(text: &str) -> Option<Duration> {
    let mut total = Duration::zero();
    let mut rest = text.strip_suffix(" ago").unwrap_or(text).trim();
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return None;
        }
        let n: i64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let part = match &rest[..unit_len] {
            "ms" => Duration::try_milliseconds(n)?,
            "s" | "sec" | "secs" => Duration::try_seconds(n)?,
            "m" | "min" | "mins" => Duration::try_minutes(n)?,
            "h" | "hour" | "hours" => Duration::try_hours(n)?,
            "d" | "day" | "days" => Duration::try_days(n)?,
            "w" | "week" | "weeks" => Duration::try_weeks(n)?,
            _ => return None,
        };
        total = total.checked_add(&part)?;
        rest = &rest[unit_len..];
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2025-05-02T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn spans_count_back_from_now() {
        let t = parse_time("2h", End::Since, now()).unwrap();
        assert_eq!(t.to_rfc3339(), "2025-05-02T10:00:00+00:00");
        let t = parse_time("1h30m", End::Since, now()).unwrap();
        assert_eq!(t.to_rfc3339(), "2025-05-02T10:30:00+00:00");
        assert!(parse_time("3d", End::Since, now()).is_ok());
    }

    #[test]
    fn offsets_are_respected() {
        let t = parse_time("2025-05-02T14:00:00+02:00", End::Since, now()).unwrap();
        assert_eq!(t.to_rfc3339(), "2025-05-02T12:00:00+00:00");
    }

    #[test]
    fn rejects_nonsense_with_the_accepted_forms() {
        let e = parse_time("last tuesday", End::Since, now()).unwrap_err();
        assert!(e.contains("hint:"));
        assert!(parse_time("5x", End::Since, now()).is_err());
    }

    #[test]
    fn unset_times_are_outside_bounded_ranges() {
        let r = TimeRange {
            since: Some(now()),
            ..TimeRange::default()
        };
        assert!(!r.contains(&Timestamp::Unset));
        assert!(TimeRange::default().contains(&Timestamp::Unset));
    }
}
