//! Time order for views that sort: by instant, ties (and unset times) in
//! file order.

/// A sort key that orders by instant and keeps file order on ties. Entries
/// without a time take the time of the entry before them in the file, so
/// they stay beside their neighbours instead of gathering at one end.
///
/// The instant (an `i128` of nanoseconds) is held as its high and low 64
/// bits, which compare as the whole does: an `i128` would align the key
/// to 16 bytes and make it 32, and views hold a key for every row they
/// keep in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TimeKey {
    high: i64,
    low: u64,
    index: u64,
}

impl TimeKey {
    /// Bytes in [`TimeKey::to_bytes`].
    pub const BYTES: usize = 24;

    fn new(nanos: i128, index: u64) -> Self {
        TimeKey {
            high: (nanos >> 64) as i64,
            low: nanos as u64,
            index,
        }
    }

    /// The key as bytes (for views that write keys to a temporary file).
    pub fn to_bytes(self) -> [u8; Self::BYTES] {
        let mut bytes = [0; Self::BYTES];
        bytes[..8].copy_from_slice(&self.low.to_le_bytes());
        bytes[8..16].copy_from_slice(&self.high.to_le_bytes());
        bytes[16..].copy_from_slice(&self.index.to_le_bytes());
        bytes
    }

    /// The key [`TimeKey::to_bytes`] gave `bytes` for.
    pub fn from_bytes(bytes: [u8; Self::BYTES]) -> Self {
        let part = |k: usize| {
            let mut part = [0; 8];
            part.copy_from_slice(&bytes[k * 8..k * 8 + 8]);
            part
        };
        TimeKey {
            low: u64::from_le_bytes(part(0)),
            high: i64::from_le_bytes(part(1)),
            index: u64::from_le_bytes(part(2)),
        }
    }
}

/// Hands out [`TimeKey`]s in file order.
#[derive(Debug, Default)]
pub struct TimeKeys {
    last: Option<i128>,
}

impl TimeKeys {
    pub fn key(&mut self, instant_nanos: Option<i128>, index: u64) -> TimeKey {
        TimeKey::new(self.instant(instant_nanos), index)
    }

    /// The instant an entry orders by: its own, or the one before it
    /// (`i128::MIN` before the first).
    pub fn instant(&mut self, instant_nanos: Option<i128>) -> i128 {
        if instant_nanos.is_some() {
            self.last = instant_nanos;
        }
        self.last.unwrap_or(i128::MIN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Keys compare as their instants and indexes do, and come back
        /// from their bytes.
        #[test]
        fn keys_order_as_instants_and_survive_bytes(
            a in proptest::num::i128::ANY, b in proptest::num::i128::ANY, i in 0u64..3, j in 0u64..3,
        ) {
            let (x, y) = (TimeKey::new(a, i), TimeKey::new(b, j));
            proptest::prop_assert_eq!(x.cmp(&y), (a, i).cmp(&(b, j)));
            proptest::prop_assert_eq!(TimeKey::from_bytes(x.to_bytes()), x);
        }
    }

    #[test]
    fn stable_on_ties_and_unset_times_follow_their_neighbour() {
        let mut keys = TimeKeys::default();
        let mut v = [
            (keys.key(Some(20), 1), 'a'),
            (keys.key(None, 2), 'b'),
            (keys.key(Some(10), 3), 'c'),
            (keys.key(Some(20), 4), 'd'),
        ];
        v.sort_by_key(|x| x.0);
        let order: String = v.iter().map(|x| x.1).collect();
        assert_eq!(order, "cabd");
    }
}
