//! How times read: in which zone (`--utc`, `--local`, or as written) and in
//! which format (`--time-format clock|relative|full|STRFTIME`).

use std::fmt::Write;

use chrono::format::{Item, StrftimeItems};
use chrono::{DateTime, FixedOffset, Local, Utc};

use crate::model::put_digits;
use crate::model::Text;

/// The offset times are shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    /// The offset each entry was written with.
    AsWritten,
    Utc,
    /// This machine's zone (`TZ`, else the system's).
    Local,
}

/// What a time looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeFormat {
    /// The clock with milliseconds; the date when a column spans days and
    /// the offset when it mixes offsets.
    Clock,
    /// `+1.234s` since the session's first entry.
    Relative,
    /// RFC 3339 with milliseconds and the offset.
    Full,
    /// A strftime pattern.
    Custom(&'static str),
}

impl TimeFormat {
    /// Parses a `--time-format` value: a name, or a strftime pattern
    /// (anything with a `%`). The pattern lives as long as the process.
    pub fn parse(s: &str) -> Result<TimeFormat, String> {
        match s {
            "clock" => Ok(TimeFormat::Clock),
            "relative" => Ok(TimeFormat::Relative),
            "full" | "rfc3339" => Ok(TimeFormat::Full),
            p if p.contains('%') => {
                if StrftimeItems::new(p).any(|i| matches!(i, Item::Error)) {
                    return Err(format!(
                        "'{p}' is not a strftime pattern chrono understands (e.g. '%H:%M:%S%.3f')"
                    ));
                }
                Ok(TimeFormat::Custom(Box::leak(p.to_string().into_boxed_str())))
            }
            _ => Err(format!(
                "'{s}' is not a time format: use clock, relative, full, or a strftime pattern such as '%T%.3f'"
            )),
        }
    }
}

/// Zone and format together; every text view takes one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeStyle {
    /// `None`: each view's own default (as written for one session, local
    /// for lists of sessions).
    pub zone: Option<Zone>,
    pub format: TimeFormat,
}

impl Default for TimeStyle {
    fn default() -> Self {
        TimeStyle {
            zone: None,
            format: TimeFormat::Clock,
        }
    }
}

impl TimeStyle {
    /// `t` in the chosen zone, else in `default`.
    pub fn convert(self, t: DateTime<FixedOffset>, default: Zone) -> DateTime<FixedOffset> {
        match self.zone.unwrap_or(default) {
            Zone::AsWritten => t,
            Zone::Utc => t.with_timezone(&Utc).fixed_offset(),
            Zone::Local => t.with_timezone(&Local).fixed_offset(),
        }
    }

    /// One time seen alone (a live view cannot look at the whole column).
    pub fn one(
        self,
        t: Option<DateTime<FixedOffset>>,
        start: Option<DateTime<FixedOffset>>,
    ) -> String {
        match t {
            None => "-".to_string(),
            Some(t) => self.shape(self.convert(t, Zone::AsWritten), start, "%H:%M:%S%.3f"),
        }
    }

    fn shape(
        self,
        t: DateTime<FixedOffset>,
        start: Option<DateTime<FixedOffset>>,
        clock: &str,
    ) -> String {
        match self.format {
            TimeFormat::Clock => t.format(clock).to_string(),
            TimeFormat::Relative => match start {
                Some(s) => relative((t - s).num_milliseconds()),
                None => "-".to_string(),
            },
            TimeFormat::Full => t.to_rfc3339_opts(chrono::SecondsFormat::Millis, false),
            TimeFormat::Custom(p) => t.format(p).to_string(),
        }
    }
}

/// What a column's times have in common, gathered one time at a time (a
/// table too long to hold sees each time once): whether they fall on one
/// day and in one offset, which decides the clock's shape.
#[derive(Debug, Clone, Copy, Default)]
pub struct ColumnShape {
    first: Option<DateTime<FixedOffset>>,
    multi_day: bool,
    mixed: bool,
}

impl ColumnShape {
    pub fn see(&mut self, style: TimeStyle, t: DateTime<FixedOffset>) {
        let t = style.convert(t, Zone::AsWritten);
        match self.first {
            None => self.first = Some(t),
            Some(first) => {
                self.multi_day |= t.date_naive() != first.date_naive();
                self.mixed |= t.offset() != first.offset();
            }
        }
    }

    /// A time the column holds, if any.
    pub fn any(&self) -> Option<DateTime<FixedOffset>> {
        self.first
    }

    /// The column these times make, `start` being what relative times
    /// count from: the clock with milliseconds, plus the date when they
    /// span more than one day and the offset when they mix offsets (or
    /// the order would look wrong).
    pub fn column(self, style: TimeStyle, start: Option<DateTime<FixedOffset>>) -> TimeColumn {
        let clock = match (self.first.is_some(), self.multi_day, self.mixed) {
            (false, ..) | (true, false, false) => "%H:%M:%S%.3f",
            (true, true, false) => "%m-%d %H:%M:%S%.3f",
            (true, false, true) => "%H:%M:%S%.3f%:z",
            (true, true, true) => "%m-%d %H:%M:%S%.3f%:z",
        };
        // The pattern a row is formatted with, parsed once for the
        // column, not once a row.
        let pattern = match style.format {
            TimeFormat::Clock => Some(clock),
            TimeFormat::Custom(p) => Some(p),
            TimeFormat::Relative | TimeFormat::Full => None,
        };
        // The clock is digits alone unless it shows offsets.
        let digits = (style.format == TimeFormat::Clock && !self.mixed).then_some(self.multi_day);
        TimeColumn {
            style,
            start,
            clock,
            digits,
            items: pattern
                .and_then(|p| StrftimeItems::new(p).parse_to_owned().ok())
                .unwrap_or_default(),
        }
    }
}

/// How each time of a column is shown.
#[derive(Debug, Clone)]
pub struct TimeColumn {
    style: TimeStyle,
    start: Option<DateTime<FixedOffset>>,
    clock: &'static str,
    /// The clock is digits alone (`Some(true)`: with the month and day),
    /// written without chrono's formatter.
    digits: Option<bool>,
    /// The clock's or the custom pattern's items (empty for the other
    /// formats, or a pattern chrono cannot parse).
    items: Vec<Item<'static>>,
}

impl TimeColumn {
    /// Whether every time takes the same width (the clock shapes: fixed
    /// fields, no year), so one shows the width of all.
    pub fn uniform(&self) -> bool {
        self.style.format == TimeFormat::Clock
    }

    /// `t` as the column shows it (held inline when short: a clock time
    /// costs no allocation).
    pub fn show(&self, t: Option<DateTime<FixedOffset>>) -> Text {
        match t {
            None => Text::const_new("-"),
            Some(t) => {
                let t = self.style.convert(t, Zone::AsWritten);
                if let Some(date) = self.digits {
                    if let Some(clock) = clock_digits(&t, date) {
                        return clock;
                    }
                }
                match self.style.format {
                    TimeFormat::Clock | TimeFormat::Custom(_) if !self.items.is_empty() => {
                        let mut shown = Text::default();
                        let _ = write!(shown, "{}", t.format_with_items(self.items.iter()));
                        shown
                    }
                    _ => Text::from(self.style.shape(t, self.start, self.clock)),
                }
            }
        }
    }
}

/// `%H:%M:%S%.3f`, after `%m-%d ` when `date`: what chrono writes for
/// them, made faster; `None` in a leap second (chrono writes `:60`).
fn clock_digits(t: &DateTime<FixedOffset>, date: bool) -> Option<Text> {
    use chrono::{Datelike, Timelike};
    let nanos = t.nanosecond();
    if nanos >= 1_000_000_000 {
        return None;
    }
    // `MM-DD HH:MM:SS.mmm`, made in place and held inline (18 bytes): no
    // allocation per row.
    let mut clock = *b"00-00 00:00:00.000";
    if date {
        put_digits(&mut clock[0..2], t.month());
        put_digits(&mut clock[3..5], t.day());
    }
    put_digits(&mut clock[6..8], t.hour());
    put_digits(&mut clock[9..11], t.minute());
    put_digits(&mut clock[12..14], t.second());
    put_digits(&mut clock[15..18], nanos / 1_000_000);
    let shown = if date { &clock[..] } else { &clock[6..] };
    std::str::from_utf8(shown).ok().map(Text::from)
}

/// `%Y-%m-%d %H:%M:%S %:z` as chrono writes it, made faster (`list`
/// writes one a row); `None` where chrono writes something else or more:
/// a leap second, a year past four digits, an offset with seconds.
pub fn full_digits(t: &DateTime<FixedOffset>) -> Option<String> {
    use chrono::{Datelike, Timelike};
    let offset = t.offset().local_minus_utc();
    if !(0..=9999).contains(&t.year()) || offset % 60 != 0 || t.nanosecond() >= 1_000_000_000 {
        return None;
    }
    let minutes = offset.unsigned_abs() / 60;
    let mut full = *b"0000-00-00 00:00:00 +00:00";
    put_digits(&mut full[0..4], t.year().unsigned_abs());
    put_digits(&mut full[5..7], t.month());
    put_digits(&mut full[8..10], t.day());
    put_digits(&mut full[11..13], t.hour());
    put_digits(&mut full[14..16], t.minute());
    put_digits(&mut full[17..19], t.second());
    if offset < 0 {
        full[20] = b'-';
    }
    put_digits(&mut full[21..23], minutes / 60);
    put_digits(&mut full[24..26], minutes % 60);
    std::str::from_utf8(&full).ok().map(str::to_string)
}

/// Milliseconds since the start as `+1.234s`, `+2m03.456s`, `+1h02m03.456s`
/// (`-` before the start).
pub fn relative(ms: i64) -> String {
    let sign = if ms < 0 { '-' } else { '+' };
    let ms = ms.unsigned_abs();
    let (h, m, s, milli) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    if h > 0 {
        format!("{sign}{h}h{m:02}m{s:02}.{milli:03}s")
    } else if m > 0 {
        format!("{sign}{m}m{s:02}.{milli:03}s")
    } else {
        format!("{sign}{s}.{milli:03}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    #[test]
    fn clock_digits_are_what_chrono_writes() {
        use chrono::Timelike;
        for s in [
            "2025-05-02T15:08:15.910197963Z",
            "2025-12-31T23:59:59.999999999+05:30",
            "2025-01-01T00:00:00Z",
            "2025-06-30T23:59:60.5Z",
        ] {
            let t = t(s);
            for (date, pattern) in [(false, "%H:%M:%S%.3f"), (true, "%m-%d %H:%M:%S%.3f")] {
                match clock_digits(&t, date) {
                    Some(fast) => assert_eq!(fast, t.format(pattern).to_string(), "{s}"),
                    None => assert!(t.nanosecond() >= 1_000_000_000, "{s}"),
                }
            }
        }
    }

    proptest::proptest! {
        /// Any time in any whole-minute offset reads as chrono writes it.
        #[test]
        fn clock_digits_agree_with_chrono_everywhere(
            secs in -62_000_000_000i64..250_000_000_000,
            nanos in 0u32..1_000_000_000,
            minutes in -1439i32..1440,
        ) {
            let offset = FixedOffset::east_opt(minutes * 60).unwrap();
            let t = DateTime::from_timestamp(secs, nanos).unwrap().with_timezone(&offset);
            for (date, pattern) in [(false, "%H:%M:%S%.3f"), (true, "%m-%d %H:%M:%S%.3f")] {
                let fast = clock_digits(&t, date).unwrap();
                proptest::prop_assert_eq!(fast, t.format(pattern).to_string());
            }
        }
    }

    #[test]
    fn relative_times_read_at_every_scale() {
        assert_eq!(relative(0), "+0.000s");
        assert_eq!(relative(1234), "+1.234s");
        assert_eq!(relative(123_456), "+2m03.456s");
        assert_eq!(relative(3_723_456), "+1h02m03.456s");
        assert_eq!(relative(-120), "-0.120s");
    }

    #[test]
    fn formats_parse_and_bad_patterns_are_refused() {
        assert_eq!(TimeFormat::parse("relative"), Ok(TimeFormat::Relative));
        assert!(matches!(
            TimeFormat::parse("%H:%M"),
            Ok(TimeFormat::Custom("%H:%M"))
        ));
        assert!(TimeFormat::parse("%Q").is_err());
        assert!(TimeFormat::parse("iso").is_err());
    }

    /// A column of these times, each shown.
    fn column(
        style: TimeStyle,
        times: &[Option<DateTime<FixedOffset>>],
        start: Option<DateTime<FixedOffset>>,
    ) -> Vec<String> {
        let mut shape = ColumnShape::default();
        for t in times.iter().flatten() {
            shape.see(style, *t);
        }
        let column = shape.column(style, start);
        times.iter().map(|t| column.show(*t).to_string()).collect()
    }

    #[test]
    fn utc_converts_and_as_written_keeps_the_offset() {
        let times = [Some(t("2025-06-12T10:15:02.123+02:00")), None];
        let utc = TimeStyle {
            zone: Some(Zone::Utc),
            format: TimeFormat::Full,
        };
        assert_eq!(
            column(utc, &times, None),
            ["2025-06-12T08:15:02.123+00:00", "-"]
        );
        let written = TimeStyle::default();
        assert_eq!(column(written, &times, None), ["10:15:02.123", "-"]);
        let rel = TimeStyle {
            zone: None,
            format: TimeFormat::Relative,
        };
        assert_eq!(
            column(rel, &times, Some(t("2025-06-12T08:15:01.000Z"))),
            ["+1.123s", "-"]
        );
    }
}
