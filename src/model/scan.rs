//! Byte scanning for JSON text, shared by the reader (which skips string
//! contents and white space) and compaction (which copies them): the
//! searches every byte of a trace goes through, with SSE2 for the short
//! strings most are, and AVX2 for the long ones when the processor has it
//! (checked at run time; the build stays portable).

/// Where the first `"` or `\` at or after `i` is, control characters or
/// not (compaction copies strings whatever they hold): the first 16 bytes
/// in one SSE2 step, as most strings of a state are keys and short values,
/// then memchr.
#[inline]
pub(crate) fn quote_or_backslash(b: &[u8], i: usize) -> Option<usize> {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    if let Some(chunk) = b.get(i..i + 16).and_then(|c| <&[u8; 16]>::try_from(c).ok()) {
        let mask = specials(chunk, false);
        if mask != 0 {
            return Some(i + mask.trailing_zeros() as usize);
        }
        return memchr::memchr2(b'"', b'\\', &b[i + 16..]).map(|n| i + 16 + n);
    }
    memchr::memchr2(b'"', b'\\', b.get(i..)?).map(|n| i + n)
}

/// Past the run of spaces that starts at `i` (if any): eight bytes at a
/// time, the first that is not a space found from the bits.
#[inline]
pub(crate) fn spaces(b: &[u8], mut i: usize) -> usize {
    const SPACES: u64 = u64::from_le_bytes([b' '; 8]);
    while let Some(chunk) = b.get(i..i + 8).and_then(|c| <[u8; 8]>::try_from(c).ok()) {
        let other = u64::from_le_bytes(chunk) ^ SPACES;
        if other != 0 {
            return i + (other.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while b.get(i) == Some(&b' ') {
        i += 1;
    }
    i
}

/// Where the first `"` or `\` at or after `i` is, in string contents that
/// start at or before `i`; `None` when a raw control character comes first
/// (never valid in a JSON string) or neither comes.
///
/// Most strings (keys, names, ids) are short: on x86_64 the first 16 bytes
/// are looked at in one SSE2 step for all three at once, which costs less
/// than setting up a longer search; longer strings go on with [`first_special`].
#[inline(always)]
pub(crate) fn string_stop(b: &[u8], i: usize) -> Option<usize> {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    if let Some(chunk) = b.get(i..i + 16).and_then(|c| <&[u8; 16]>::try_from(c).ok()) {
        let mask = specials(chunk, true);
        if mask != 0 {
            let at = i + mask.trailing_zeros() as usize;
            return (b[at] >= 0x20).then_some(at);
        }
        return string_stop_long(b, i + 16);
    }
    string_stop_long(b, i)
}

/// Whether `bytes` hold a `"` or a `\`. Most are short (names, ids and
/// times, up to 36 bytes): up to 64 bytes are looked at 16 a step
/// ([`has_any`]), which costs less than setting up memchr; longer ones
/// (string values) go to memchr.
pub(crate) fn has_quote_or_backslash(bytes: &[u8]) -> bool {
    if bytes.len() <= 64 {
        return has_any(bytes, b"\"\\\"\\");
    }
    memchr::memchr2(b'\\', b'"', bytes).is_some()
}

/// Whether `bytes` hold any of the bytes of `set` (none of them 0): 16
/// bytes a step with SSE2, the last step padded with zeros. The cells of an
/// export (times, names, ids) are short, and setting up memchr for each
/// cost more than the look itself.
pub(crate) fn has_any(bytes: &[u8], set: &[u8; 4]) -> bool {
    debug_assert!(!set.contains(&0), "0 pads the last step");
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        let mut chunks = bytes.chunks_exact(16);
        for chunk in &mut chunks {
            if let Ok(chunk) = <&[u8; 16]>::try_from(chunk) {
                if any_in(chunk, set) {
                    return true;
                }
            }
        }
        let rest = chunks.remainder();
        if rest.is_empty() {
            return false;
        }
        // The last 16 bytes again, when there are 16: no copy to pad.
        if let Some(last) = bytes
            .len()
            .checked_sub(16)
            .and_then(|from| <&[u8; 16]>::try_from(&bytes[from..]).ok())
        {
            return any_in(last, set);
        }
        let mut last = [0u8; 16];
        last[..rest.len()].copy_from_slice(rest);
        any_in(&last, set)
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    bytes.iter().any(|b| set.contains(b))
}

/// Whether one of the 16 bytes of `chunk` is in `set`: one SSE2 step.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline]
fn any_in(chunk: &[u8; 16], set: &[u8; 4]) -> bool {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    // SAFETY: the target has SSE2 (the cfg above), and the unaligned load
    // reads the 16 bytes of `chunk`, no more.
    let mask = unsafe {
        let v = _mm_loadu_si128(chunk.as_ptr().cast());
        let is = |b: u8| _mm_cmpeq_epi8(v, _mm_set1_epi8(b as i8));
        _mm_movemask_epi8(_mm_or_si128(
            _mm_or_si128(is(set[0]), is(set[1])),
            _mm_or_si128(is(set[2]), is(set[3])),
        ))
    };
    mask != 0
}

/// Bit `k` set when byte `k` of `chunk` is a `"` or a `\\`, or, with
/// `control`, below 0x20: one SSE2 step.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline]
fn specials(chunk: &[u8; 16], control: bool) -> u32 {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_max_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    // SAFETY: the target has SSE2 (the cfg above), and the unaligned load
    // reads the 16 bytes of `chunk`, no more.
    let mask = unsafe {
        let v = _mm_loadu_si128(chunk.as_ptr().cast());
        let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
        let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
        let mut found = _mm_or_si128(quote, backslash);
        if control {
            // Below 0x20 exactly when the unsigned maximum with 0x1F is 0x1F.
            let limit = _mm_set1_epi8(0x1F);
            found = _mm_or_si128(found, _mm_cmpeq_epi8(_mm_max_epu8(v, limit), limit));
        }
        _mm_movemask_epi8(found)
    };
    mask as u32
}

/// [`string_stop`] past the first 16 bytes: one pass for all three.
#[inline]
fn string_stop_long(b: &[u8], i: usize) -> Option<usize> {
    let at = i + first_special(b.get(i..)?)?;
    (b[at] >= 0x20).then_some(at)
}

/// Where the first `"`, `\` or raw control character of `bytes` is: the
/// end of a string's plain contents. Long strings (state payloads) are most
/// of a trace's bytes, so this is one pass, 64 bytes a step with AVX2 when
/// the processor has it (checked at run time; the build stays portable),
/// rather than memchr for the first two and a second pass for the third.
#[inline]
pub(crate) fn first_special(bytes: &[u8]) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    if bytes.len() >= 32 && std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor has AVX2 (just checked).
        return unsafe { first_special_avx2(bytes) };
    }
    first_special_portable(bytes)
}

/// [`first_special`] on any processor: memchr for the first two, then a
/// look for the third before them.
fn first_special_portable(bytes: &[u8]) -> Option<usize> {
    let n = memchr::memchr2(b'"', b'\\', bytes).unwrap_or(bytes.len());
    match bytes[..n].iter().position(|&c| c < 0x20) {
        Some(control) => Some(control),
        None => (n < bytes.len()).then_some(n),
    }
}

/// [`first_special`] with AVX2, for at least 32 bytes.
///
/// # Safety
///
/// The processor must have AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn first_special_avx2(bytes: &[u8]) -> Option<usize> {
    use std::arch::x86_64::{_mm256_movemask_epi8, _mm256_or_si256};
    let len = bytes.len();
    let p = bytes.as_ptr();
    let mut i = 0;
    while i + 64 <= len {
        // SAFETY: bytes `i..i + 64` are within `bytes`.
        let (low, high) = unsafe { (specials_avx2(p.add(i)), specials_avx2(p.add(i + 32))) };
        if _mm256_movemask_epi8(_mm256_or_si256(low, high)) != 0 {
            let low = _mm256_movemask_epi8(low) as u32 as u64;
            let high = _mm256_movemask_epi8(high) as u32 as u64;
            return Some(i + (low | high << 32).trailing_zeros() as usize);
        }
        i += 64;
    }
    // The last bytes: 32 at a time, the last step ending at the end (there
    // are at least 32), so it may look again at bytes that held none.
    while i < len {
        let from = i.min(len - 32);
        // SAFETY: bytes `from..from + 32` are within `bytes`.
        let mask = _mm256_movemask_epi8(unsafe { specials_avx2(p.add(from)) }) as u32;
        if mask != 0 {
            return Some(from + mask.trailing_zeros() as usize);
        }
        i = from + 32;
    }
    None
}

/// The bytes among the 32 at `p` that are a `"`, a `\` or below 0x20
/// (each all ones).
///
/// # Safety
///
/// The processor must have AVX2, and the 32 bytes at `p` must be readable.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn specials_avx2(p: *const u8) -> std::arch::x86_64::__m256i {
    use std::arch::x86_64::{
        _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_max_epu8, _mm256_or_si256, _mm256_set1_epi8,
    };
    // SAFETY: the caller keeps the 32 bytes readable; the load is unaligned.
    let v = unsafe { _mm256_loadu_si256(p.cast()) };
    let quote = _mm256_cmpeq_epi8(v, _mm256_set1_epi8(b'"' as i8));
    let backslash = _mm256_cmpeq_epi8(v, _mm256_set1_epi8(b'\\' as i8));
    // Below 0x20 exactly when the unsigned maximum with 0x1F is 0x1F.
    let limit = _mm256_set1_epi8(0x1F);
    let control = _mm256_cmpeq_epi8(_mm256_max_epu8(v, limit), limit);
    _mm256_or_si256(_mm256_or_si256(quote, backslash), control)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_special(c: u8) -> bool {
        c == b'"' || c == b'\\' || c < 0x20
    }

    /// [`string_stop`] as a byte loop.
    fn stop_by_bytes(bytes: &[u8], from: usize) -> Option<usize> {
        bytes[from..]
            .iter()
            .position(|&c| is_special(c))
            .map(|n| from + n)
            .filter(|&at| bytes[at] >= 0x20)
    }

    proptest::proptest! {
        /// The SSE2 step finds what a byte-by-byte look finds, wherever
        /// the stop falls (before, at or past the 16th byte).
        #[test]
        fn string_stop_agrees_with_a_byte_loop(
            bytes in proptest::collection::vec(
                // Mostly plain bytes, so that stops fall past 16 too.
                proptest::sample::select(
                    [&[b'a'; 60][..], b"\"\\\0\x1F \x7F\x80\xFF"].concat(),
                ),
                0..48,
            ),
            from in 0usize..48,
        ) {
            let from = from.min(bytes.len());
            proptest::prop_assert_eq!(string_stop(&bytes, from), stop_by_bytes(&bytes, from));
        }

        /// The one-pass search (AVX2 on long inputs) finds what a byte
        /// loop finds: the first quote, backslash or control character,
        /// wherever it falls (in a 64-byte step, in the last 32 bytes or
        /// in bytes the last step looks at twice).
        #[test]
        fn first_special_agrees_with_a_byte_loop(
            plain in 0usize..300,
            special in proptest::sample::select(b"\"\\\0\x1F\n".to_vec()),
            at in proptest::option::of(0usize..300),
            noise in proptest::collection::vec(
                proptest::sample::select(b"a \x7F\x80\xFF\x20}".to_vec()),
                0..8,
            ),
        ) {
            let mut bytes: Vec<u8> =
                (0..plain).map(|k| noise.get(k % 8).copied().unwrap_or(b'a')).collect();
            if let Some(at) = at.filter(|&at| at < bytes.len()) {
                bytes[at] = special;
            }
            let want = bytes.iter().position(|&c| is_special(c));
            proptest::prop_assert_eq!(first_special(&bytes), want);
            proptest::prop_assert_eq!(first_special_portable(&bytes), want);
            for from in [0, 1, 15, 16, 17, 31, 33, 63, 65] {
                if from <= bytes.len() {
                    proptest::prop_assert_eq!(string_stop(&bytes, from), stop_by_bytes(&bytes, from));
                }
            }
        }

        /// The short-string step agrees with a byte loop at every length.
        #[test]
        fn quotes_and_backslashes_are_found_at_any_length(
            bytes in proptest::collection::vec(
                proptest::sample::select([&[b'a'; 40][..], b"\"\\\0\xFF"].concat()),
                0..90,
            ),
        ) {
            let want = bytes.iter().any(|&c| c == b'"' || c == b'\\');
            proptest::prop_assert_eq!(has_quote_or_backslash(&bytes), want);
        }

        /// The padded SSE2 look agrees with a byte loop at every length.
        #[test]
        fn has_any_agrees_with_a_byte_loop(
            bytes in proptest::collection::vec(
                proptest::sample::select([&[b'a'; 60][..], b",\"\n\r\0\xFF"].concat()),
                0..80,
            ),
        ) {
            let set = b",\"\n\r";
            proptest::prop_assert_eq!(has_any(&bytes, set), bytes.iter().any(|b| set.contains(b)));
        }

        /// Compaction's search agrees with a byte loop at every length and
        /// start, control characters being no stop.
        #[test]
        fn quote_or_backslash_agrees_with_a_byte_loop(
            bytes in proptest::collection::vec(
                proptest::sample::select([&[b'a'; 60][..], b"\"\\\0\n\xFF"].concat()),
                0..80,
            ),
            from in 0usize..80,
        ) {
            let want = bytes
                .get(from..)
                .and_then(|rest| rest.iter().position(|&c| c == b'"' || c == b'\\'))
                .map(|n| from + n);
            proptest::prop_assert_eq!(quote_or_backslash(&bytes, from), want);
        }
    }
}
