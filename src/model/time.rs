//! Timestamps as AgenticGoKit writes them: RFC 3339 with the writer's offset.

use chrono::{DateTime, Datelike, FixedOffset, Timelike};

/// A time as Go's `time.RFC3339Nano` writes it, held inline
/// ([`Timestamp::go_time`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GoTime {
    bytes: [u8; GO_TEXT_MAX],
    len: u8,
}

impl GoTime {
    pub fn as_str(&self) -> &str {
        // Digits and ASCII punctuation: always UTF-8.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }
}

/// How a timestamp was written in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Written<S> {
    /// No `timestamp` field (or null).
    #[default]
    Absent,
    /// Exactly as Go's RFC 3339 with nanoseconds writes the parsed time
    /// (the usual case: nothing is held, the text is made again).
    AsParsed,
    /// Anything else, as written.
    Text(S),
}

impl<S: AsRef<str>> Written<S> {
    /// The same, its text borrowed.
    pub fn as_deref(&self) -> Written<&str> {
        match self {
            Written::Absent => Written::Absent,
            Written::AsParsed => Written::AsParsed,
            Written::Text(text) => Written::Text(text.as_ref()),
        }
    }
}

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
        Timestamp::parse_written(text).map(|(t, _)| t)
    }

    /// [`Timestamp::parse`], and whether `text` is exactly what
    /// [`Timestamp::rfc3339_nano`] makes of the result (Go's way, and so
    /// almost every trace's): then the text need not be kept. Told as the
    /// text is read, where [`Timestamp::is_written_as`] writes it again.
    pub fn parse_written(text: &str) -> Result<(Timestamp, bool), chrono::ParseError> {
        if text.is_empty() {
            return Ok((Timestamp::Unset, false));
        }
        let (t, go) = match canonical(text.as_bytes()) {
            Some(read) => read,
            None => (DateTime::parse_from_rfc3339(text)?, false),
        };
        // Go's zero time, and any rendering of it in another zone, lies in
        // year 1 (or year 0 west of UTC). No trace was written then.
        if t.naive_utc().year() <= 1 {
            return Ok((Timestamp::Unset, false));
        }
        Ok((Timestamp::At(t), go))
    }

    pub fn get(&self) -> Option<DateTime<FixedOffset>> {
        match self {
            Timestamp::Unset => None,
            Timestamp::At(t) => Some(*t),
        }
    }

    /// Nanoseconds since the Unix epoch, for ordering by instant.
    pub fn instant_nanos(&self) -> Option<i128> {
        self.get()
            .map(|t| Timestamp::nanos_of(t.timestamp(), t.timestamp_subsec_nanos()))
    }

    /// An instant in nanoseconds since the Unix epoch, from its seconds and
    /// nanoseconds (as [`Timestamp::instant_nanos`] orders them).
    pub fn nanos_of(secs: i64, nanos: u32) -> i128 {
        i128::from(secs) * 1_000_000_000 + i128::from(nanos)
    }

    /// The time as Go's `time.RFC3339Nano` writes it: the fraction without
    /// its trailing zeros (none when whole), `Z` for a zero offset. `None`
    /// when unset, or for what that layout cannot write (a year outside
    /// 0000–9999, an offset with seconds, a leap second).
    pub fn rfc3339_nano(&self) -> Option<String> {
        self.go_time().map(|text| text.as_str().to_string())
    }

    /// [`Timestamp::rfc3339_nano`] held inline, made without allocating
    /// (for writers that copy it out at once).
    pub fn go_time(&self) -> Option<GoTime> {
        let mut bytes = [0u8; GO_TEXT_MAX];
        let len = self.go_text(&mut bytes)?;
        Some(GoTime {
            bytes,
            len: u8::try_from(len).ok()?,
        })
    }

    /// Whether `text` is exactly [`Timestamp::rfc3339_nano`] (what Go
    /// writes, and so almost every trace): then the text need not be kept.
    pub fn is_written_as(&self, text: &str) -> bool {
        let mut buffer = [0u8; GO_TEXT_MAX];
        self.go_text(&mut buffer)
            .and_then(|len| buffer.get(..len))
            .is_some_and(|made| made == text.as_bytes())
    }

    /// Writes [`Timestamp::rfc3339_nano`] into `out`; its length.
    fn go_text(&self, out: &mut [u8; GO_TEXT_MAX]) -> Option<usize> {
        let t = self.get()?;
        let local = t.naive_local();
        let (year, nanos) = (local.year(), local.nanosecond());
        let offset = t.offset().local_minus_utc();
        if !(0..=9999).contains(&year) || nanos >= 1_000_000_000 || offset % 60 != 0 {
            return None;
        }
        let mut text = GoText { bytes: out, len: 0 };
        text.digits(year.unsigned_abs(), 4, b'-');
        text.digits(local.month(), 2, b'-');
        text.digits(local.day(), 2, b'T');
        text.digits(local.hour(), 2, b':');
        text.digits(local.minute(), 2, b':');
        text.digits(local.second(), 2, b'.');
        if nanos > 0 {
            let mut shown = 9;
            let mut fraction = nanos;
            while fraction % 10 == 0 {
                fraction /= 10;
                shown -= 1;
            }
            text.digits(fraction, shown, 0);
        } else {
            // No fraction: no point either.
            text.len -= 1;
        }
        let minutes = offset.unsigned_abs() / 60;
        if offset == 0 {
            text.byte(b'Z');
        } else {
            text.byte(if offset < 0 { b'-' } else { b'+' });
            text.digits(minutes / 60, 2, b':');
            text.digits(minutes % 60, 2, 0);
        }
        Some(text.len)
    }
}

/// The last `slots.len()` digits of `value` into `slots`, zeros in front.
/// From the last digit back: a division by ten is a multiplication, where
/// one by a power chosen at run time is a division.
pub(crate) fn put_digits(slots: &mut [u8], mut value: u32) {
    for slot in slots.iter_mut().rev() {
        *slot = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

/// Bytes written one field at a time, for [`Timestamp::go_text`] (no field
/// is wider than its count of digits: they are in range by then).
struct GoText<'a> {
    bytes: &'a mut [u8; GO_TEXT_MAX],
    len: usize,
}

impl GoText<'_> {
    fn byte(&mut self, byte: u8) {
        if let Some(slot) = self.bytes.get_mut(self.len) {
            *slot = byte;
            self.len += 1;
        }
    }

    /// `value` in `count` digits (the last ones), then `then` unless 0.
    fn digits(&mut self, value: u32, count: u32, then: u8) {
        let end = self.len + count as usize;
        if let Some(slots) = self.bytes.get_mut(self.len..end) {
            put_digits(slots, value);
            self.len = end;
        }
        if then != 0 {
            self.byte(then);
        }
    }
}

/// The longest [`Timestamp::rfc3339_nano`]:
/// `YYYY-MM-DDTHH:MM:SS.fffffffff+HH:MM`.
const GO_TEXT_MAX: usize = 35;

/// The time in `text` when it has the shape writers use,
/// `YYYY-MM-DDTHH:MM:SS[.fraction]` then `Z` or `±HH:MM`, with every field
/// in range (no leap second, at most nine digits of fraction); `None` for
/// anything else, which chrono then parses or rejects. Whatever this
/// reads, chrono reads as the same time (a test compares them): it only
/// spares chrono's general parser, about a tenth of reading a small entry.
/// Also whether the text is written as Go writes the time: no fraction or
/// one without trailing zeros, and `Z` for UTC.
fn canonical(text: &[u8]) -> Option<(DateTime<FixedOffset>, bool)> {
    // Eight bytes at a time: `YYYY-MM-`, `DDTHH:MM` and `HH:MM:SS`.
    let word = |at: usize| -> Option<u64> {
        Some(u64::from_le_bytes(text.get(at..at + 8)?.try_into().ok()?))
    };
    let (date, middle, time) = (word(0)?, word(8)?, word(11)?);
    if !(shaped(date, b"dddd-dd-") && shaped(middle, b"ddTdd:dd") && shaped(time, b"dd:dd:dd")) {
        return None;
    }
    let two = |w: u64, k: u32| digit(w, k) * 10 + digit(w, k + 1);
    let year = i32::try_from(two(date, 0) * 100 + two(date, 2)).ok()?;
    let second = two(time, 6);
    if second > 59 {
        return None;
    }
    let mut i = 19;
    let mut nanos = 0;
    // Go trims a fraction's trailing zeros (and writes none for zero).
    let mut trimmed = true;
    if text.get(i) == Some(&b'.') {
        i += 1;
        let mut scale = 1_000_000_000;
        while let Some(d) = text
            .get(i)
            .map(|c| c.wrapping_sub(b'0'))
            .filter(|&c| c <= 9)
        {
            // A tenth digit is more than chrono keeps exact: its call.
            if scale == 1 {
                return None;
            }
            scale /= 10;
            nanos += u32::from(d) * scale;
            i += 1;
        }
        if scale == 1_000_000_000 {
            return None;
        }
        trimmed = text[i - 1] != b'0';
    }
    // The offset, and whether it is written as Go writes it: `Z` for UTC,
    // never `+00:00`.
    let (offset, go_zone) = match text.get(i..)? {
        b"Z" => (0, true),
        [sign @ (b'+' | b'-'), zone @ ..] if zone.len() == 5 => {
            let mut bytes = [0u8; 8];
            bytes[..5].copy_from_slice(zone);
            let zone = u64::from_le_bytes(bytes);
            if !shaped(zone, b"dd:dd\0\0\0") {
                return None;
            }
            let (h, m) = (two(zone, 0), two(zone, 3));
            if h > 23 || m > 59 {
                return None;
            }
            let seconds = i32::try_from(h * 3600 + m * 60).ok()?;
            let offset = if *sign == b'-' { -seconds } else { seconds };
            (offset, offset != 0)
        }
        _ => return None,
    };
    let local = chrono::NaiveDate::from_ymd_opt(year, two(date, 5), two(middle, 0))?
        .and_hms_nano_opt(two(middle, 3), two(middle, 6), second, nanos)?;
    let go = trimmed && go_zone;
    let offset = FixedOffset::east_opt(offset)?;
    local
        .checked_sub_offset(offset)
        .map(|utc| (DateTime::from_naive_utc_and_offset(utc, offset), go))
}

/// Whether the eight bytes of `word` have ASCII digits where `shape` has
/// `d` and exactly `shape`'s bytes elsewhere.
#[inline]
fn shaped(word: u64, shape: &[u8; 8]) -> bool {
    let mut digits = [0u8; 8];
    let mut literal = [0u8; 8];
    for k in 0..8 {
        if shape[k] == b'd' {
            digits[k] = 0xFF;
        } else {
            literal[k] = shape[k];
        }
    }
    let (digits, literal) = (u64::from_le_bytes(digits), u64::from_le_bytes(literal));
    let high = 0xF0F0_F0F0_F0F0_F0F0 & digits;
    let threes = 0x3030_3030_3030_3030 & digits;
    // `0x30..=0x3F` first; then adding 6 carries out of the low half
    // exactly for `0x3A..=0x3F` (and no further: the byte is at most 0x45).
    word & !digits == literal
        && word & high == threes
        && (word & digits).wrapping_add(0x0606_0606_0606_0606 & digits) & high == threes
}

/// The value of the ASCII digit that is byte `k` of `word`.
#[inline]
fn digit(word: u64, k: u32) -> u32 {
    ((word >> (8 * k)) & 0xF) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_as_go_does() {
        for (text, go) in [
            ("2025-05-02T15:08:15.910197963Z", true),
            ("2025-05-02T15:08:15.9Z", true),
            ("2025-05-02T15:08:15Z", true),
            ("2024-02-29T23:59:59.5+09:30", true),
            ("1999-12-31T00:00:00.000001-05:00", true),
            // Not how Go writes them: kept as written.
            ("2025-05-02T15:08:15.910000Z", false),
            ("2025-05-02T15:08:15.000Z", false),
            ("2025-05-02T15:08:15+00:00", false),
            ("2025-05-02t15:08:15z", false),
        ] {
            let t = Timestamp::parse(text).unwrap();
            assert_eq!(t.is_written_as(text), go, "{text}");
            assert_eq!(Timestamp::parse_written(text).unwrap(), (t, go), "{text}");
            let made = t.rfc3339_nano().unwrap();
            assert_eq!(Timestamp::parse(&made).unwrap(), t, "{text} → {made}");
            assert_eq!(made == text, go, "{text} → {made}");
        }
        assert_eq!(Timestamp::Unset.rfc3339_nano(), None);
        assert!(!Timestamp::Unset.is_written_as(""));
    }

    proptest::proptest! {
        /// Any time in range, at any whole-minute offset, is written as Go
        /// would (checked against chrono's own fields) and reads back.
        #[test]
        fn go_text_reads_back(
            seconds in -62_000_000_000i64..250_000_000_000,
            nanos in proptest::prop_oneof![proptest::strategy::Just(0u32), 0u32..1_000_000_000, proptest::strategy::Just(500_000_000)],
            minutes in -(23 * 60 + 59)..(23 * 60 + 59i32),
        ) {
            let offset = FixedOffset::east_opt(minutes * 60).unwrap();
            let t = DateTime::from_timestamp(seconds, nanos).unwrap().with_timezone(&offset);
            let ts = Timestamp::At(t);
            let mut want = t.format("%Y-%m-%dT%H:%M:%S").to_string();
            if nanos > 0 {
                want.push('.');
                want.push_str(format!("{nanos:09}").trim_end_matches('0'));
            }
            if minutes == 0 {
                want.push('Z');
            } else {
                want.push_str(&t.format("%:z").to_string());
            }
            let made = ts.rfc3339_nano();
            if (0..=9999).contains(&t.year()) {
                proptest::prop_assert_eq!(made.as_deref(), Some(want.as_str()));
                proptest::prop_assert!(ts.is_written_as(&want));
                if t.naive_utc().year() > 1 {
                    proptest::prop_assert_eq!(Timestamp::parse_written(&want).unwrap(), (ts, true));
                }
                proptest::prop_assert_eq!(DateTime::parse_from_rfc3339(&want).unwrap(), t);
            } else {
                proptest::prop_assert_eq!(made, None);
            }
        }
    }

    proptest::proptest! {
        /// Whatever the short cut reads, chrono reads as the same time, on
        /// text near the usual shape (each byte drawn from what the shape
        /// holds, so most are close and many are valid).
        #[test]
        fn the_short_cut_agrees_with_chrono(
            shape in proptest::sample::select(vec![
                "2025-05-02T15:08:15.910197963Z",
                "2025-05-02T15:08:15Z",
                "2024-02-29T23:59:59.5+09:30",
                "1999-12-31T00:00:00-05:00",
                "0001-01-01T00:00:00Z",
                "2025-05-02T15:08:15.1234567891Z",
                "2025-05-02t15:08:15z",
                "2025-05-02 15:08:15+00:00",
            ]),
            edits in proptest::collection::vec(
                (0usize..32, proptest::sample::select(b"0123456789:-+.TZ 9".to_vec())),
                0..3,
            ),
        ) {
            let mut text = shape.as_bytes().to_vec();
            for (at, c) in edits {
                if at < text.len() {
                    text[at] = c;
                }
            }
            let text = String::from_utf8(text).unwrap();
            if let Some((fast, go)) = canonical(text.as_bytes()) {
                // Told it is Go's text exactly when writing it again says so.
                proptest::prop_assert_eq!(
                    go && fast.naive_utc().year() > 1,
                    Timestamp::parse(&text).unwrap().is_written_as(&text),
                    "{}", text
                );
                let chrono = DateTime::parse_from_rfc3339(&text);
                proptest::prop_assert!(chrono.is_ok(), "chrono rejects {}", text);
                let chrono = chrono.unwrap();
                // Equal instants, and the same offset kept for display.
                proptest::prop_assert_eq!(fast, chrono, "{}", text);
                proptest::prop_assert_eq!(
                    fast.offset().local_minus_utc(),
                    chrono.offset().local_minus_utc()
                );
            }
        }
    }

    #[test]
    fn the_short_cut_takes_the_usual_shapes_and_leaves_the_rest() {
        for usual in [
            "2025-05-02T15:08:15.910197963Z",
            "2025-05-02T15:08:15Z",
            "2024-02-29T23:59:59.5+09:30",
            "1999-12-31T00:00:00-05:00",
        ] {
            assert_eq!(
                canonical(usual.as_bytes()).map(|(t, _)| t),
                DateTime::parse_from_rfc3339(usual).ok()
            );
            assert!(canonical(usual.as_bytes()).is_some(), "{usual}");
        }
        for other in [
            "2025-05-02t15:08:15z",
            "2025-05-02 15:08:15Z",
            "2025-05-02T15:08:60Z",
            "2025-02-30T15:08:15Z",
            "2025-05-02T15:08:15.1234567891Z",
            "2025-05-02T15:08:15.Z",
            "2025-05-02T15:08:15+24:00",
            "2025-05-02T15:08:15+0900",
            "+2025-05-02T15:08:15Z",
        ] {
            assert_eq!(canonical(other.as_bytes()), None, "{other}");
        }
    }

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
