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
        let t = match canonical(text.as_bytes()) {
            Some(t) => t,
            None => DateTime::parse_from_rfc3339(text)?,
        };
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

/// The time in `text` when it has the shape writers use,
/// `YYYY-MM-DDTHH:MM:SS[.fraction]` then `Z` or `±HH:MM`, with every field
/// in range (no leap second, at most nine digits of fraction); `None` for
/// anything else, which chrono then parses or rejects. Whatever this
/// reads, chrono reads as the same time (a test compares them): it only
/// spares chrono's general parser, about a tenth of reading a small entry.
fn canonical(text: &[u8]) -> Option<DateTime<FixedOffset>> {
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
    }
    let offset = match text.get(i..)? {
        b"Z" => 0,
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
            if *sign == b'-' {
                -seconds
            } else {
                seconds
            }
        }
        _ => return None,
    };
    let local = chrono::NaiveDate::from_ymd_opt(year, two(date, 5), two(middle, 0))?
        .and_hms_nano_opt(two(middle, 3), two(middle, 6), second, nanos)?;
    let offset = FixedOffset::east_opt(offset)?;
    local
        .checked_sub_offset(offset)
        .map(|utc| DateTime::from_naive_utc_and_offset(utc, offset))
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
            if let Some(fast) = canonical(text.as_bytes()) {
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
                canonical(usual.as_bytes()),
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
