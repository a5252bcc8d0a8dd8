//! Time order for views that sort: by instant, ties (and unset times) in
//! file order.

/// A sort key that orders by instant and keeps file order on ties. Entries
/// without a time take the time of the entry before them in the file, so
/// they stay beside their neighbours instead of gathering at one end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TimeKey {
    nanos: i128,
    index: u64,
}

impl TimeKey {
    /// Bytes in [`TimeKey::to_bytes`].
    pub const BYTES: usize = 24;

    /// The key as bytes (for views that write keys to a temporary file).
    pub fn to_bytes(self) -> [u8; Self::BYTES] {
        let mut bytes = [0; Self::BYTES];
        bytes[..16].copy_from_slice(&self.nanos.to_le_bytes());
        bytes[16..].copy_from_slice(&self.index.to_le_bytes());
        bytes
    }

    /// The key [`TimeKey::to_bytes`] gave `bytes` for.
    pub fn from_bytes(bytes: [u8; Self::BYTES]) -> Self {
        let mut nanos = [0; 16];
        nanos.copy_from_slice(&bytes[..16]);
        let mut index = [0; 8];
        index.copy_from_slice(&bytes[16..]);
        TimeKey {
            nanos: i128::from_le_bytes(nanos),
            index: u64::from_le_bytes(index),
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
        TimeKey {
            nanos: self.instant(instant_nanos),
            index,
        }
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
