//! A buffered writer that can also take whole buffers rather than copy
//! them. An export of a large session is mostly rows the reader's threads
//! made ahead of time; copying each into a buffer on the thread that writes
//! cost a tenth of the CPU of `--format csv`. Taken buffers are written
//! with the copied bytes around them in one vectored write.

use std::io::{self, IoSlice, Write};

use crate::render::Out;

/// Bytes a writer holds back, in order: a stretch of its copied bytes, or a
/// buffer it took.
enum Piece {
    Copied(usize, usize),
    Taken(Vec<u8>),
}

impl Piece {
    fn bytes<'a>(&'a self, copied: &'a [u8]) -> &'a [u8] {
        match self {
            Piece::Copied(start, end) => &copied[*start..*end],
            Piece::Taken(bytes) => bytes,
        }
    }
}

/// Buffers taken smaller than this are copied: a slice of their own in a
/// vectored write would cost more than the copy.
const TAKE_FROM: usize = 512;

/// Slices in one vectored write (Linux takes at most 1024).
const SLICES: usize = 1024;

/// A buffered writer like [`io::BufWriter`] that also takes buffers whole
/// ([`Out::write_taken`], the trait renderers write to). It writes once it holds `capacity` bytes, on
/// `flush` and when dropped (where errors are lost, as `BufWriter`'s are).
pub struct Gather<W: Write> {
    inner: W,
    copied: Vec<u8>,
    pieces: Vec<Piece>,
    held: usize,
    capacity: usize,
}

impl<W: Write> Gather<W> {
    pub fn with_capacity(capacity: usize, inner: W) -> Self {
        Gather {
            inner,
            copied: Vec::with_capacity(capacity.min(1 << 16)),
            pieces: Vec::new(),
            held: 0,
            capacity: capacity.max(1),
        }
    }

    /// Writes what is held: every piece, in order, in vectored writes.
    fn write_held(&mut self) -> io::Result<()> {
        let mut written = 0;
        let result = loop {
            if written == self.pieces.len() {
                break Ok(());
            }
            let batch = &self.pieces[written..self.pieces.len().min(written + SLICES)];
            let mut slices: Vec<IoSlice<'_>> = batch
                .iter()
                .map(|p| IoSlice::new(p.bytes(&self.copied)))
                .collect();
            if let Err(e) = write_all_vectored(&mut self.inner, &mut slices) {
                break Err(e);
            }
            written += batch.len();
        };
        // After an error what is held is dropped: a write error ends the
        // command (a closed pipe quietly).
        self.pieces.clear();
        self.copied.clear();
        self.held = 0;
        result
    }

    fn hold_copy(&mut self, bytes: &[u8]) {
        let start = self.copied.len();
        self.copied.extend_from_slice(bytes);
        let end = self.copied.len();
        match self.pieces.last_mut() {
            Some(Piece::Copied(_, last)) if *last == start => *last = end,
            _ => self.pieces.push(Piece::Copied(start, end)),
        }
        self.held += bytes.len();
    }
}

/// Writes every byte of `slices`, as `write_all` does for one.
fn write_all_vectored(out: &mut impl Write, mut slices: &mut [IoSlice<'_>]) -> io::Result<()> {
    IoSlice::advance_slices(&mut slices, 0);
    while !slices.is_empty() {
        match out.write_vectored(slices) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut slices, n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

impl<W: Write> Write for Gather<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        if self.held + bytes.len() > self.capacity {
            self.write_held()?;
        }
        if bytes.len() >= self.capacity {
            return self.inner.write(bytes);
        }
        self.hold_copy(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.write_held()?;
        self.inner.flush()
    }
}

impl<W: Write> Out for Gather<W> {
    fn write_taken(&mut self, bytes: Vec<u8>) -> io::Result<()> {
        if bytes.len() < TAKE_FROM {
            return self.write_all(&bytes);
        }
        self.held += bytes.len();
        self.pieces.push(Piece::Taken(bytes));
        if self.held >= self.capacity {
            self.write_held()?;
        }
        Ok(())
    }
}

impl<W: Write> Drop for Gather<W> {
    fn drop(&mut self) {
        let _ = self.write_held();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer that takes at most `most` bytes a call, fails with
    /// `Interrupted` every third call, and counts its calls.
    struct Stingy {
        written: Vec<u8>,
        most: usize,
        calls: usize,
    }

    impl Write for Stingy {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.calls += 1;
            if self.calls % 3 == 0 {
                return Err(io::ErrorKind::Interrupted.into());
            }
            let n = bytes.len().min(self.most);
            self.written.extend_from_slice(&bytes[..n]);
            Ok(n)
        }

        fn write_vectored(&mut self, slices: &[IoSlice<'_>]) -> io::Result<usize> {
            self.calls += 1;
            if self.calls % 3 == 0 {
                return Err(io::ErrorKind::Interrupted.into());
            }
            let mut left = self.most;
            for s in slices {
                let n = s.len().min(left);
                self.written.extend_from_slice(&s[..n]);
                left -= n;
                if left == 0 {
                    break;
                }
            }
            Ok(self.most - left)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    proptest::proptest! {
        /// Whatever mix of copied and taken writes, flushes and capacity,
        /// and however little the writer under it takes a call, every byte
        /// comes out once, in order.
        #[test]
        fn writes_every_byte_in_order(
            writes in proptest::collection::vec(
                (0u8..3, proptest::collection::vec(proptest::prelude::any::<u8>(), 0..1500)),
                0..40,
            ),
            capacity in 1usize..5000,
            most in 1usize..3000,
        ) {
            let mut want = Vec::new();
            let mut out = Gather::with_capacity(capacity, Stingy { written: Vec::new(), most, calls: 0 });
            for (how, bytes) in writes {
                match how {
                    0 => out.write_all(&bytes).unwrap(),
                    1 => out.write_taken(bytes.clone()).unwrap(),
                    _ => {
                        out.write_all(&bytes).unwrap();
                        out.flush().unwrap();
                    }
                }
                want.extend_from_slice(&bytes);
            }
            out.flush().unwrap();
            proptest::prop_assert_eq!(&out.inner.written, &want);
        }
    }

    #[test]
    fn holds_until_capacity_and_writes_what_is_left_when_dropped() {
        let mut inner = Vec::new();
        {
            let mut out = Gather::with_capacity(4096, &mut inner);
            out.write_all(b"head,").unwrap();
            out.write_taken(vec![b'x'; 1000]).unwrap();
            out.write_all(b"\n").unwrap();
            assert!(out.inner.is_empty(), "written before it held 4096 bytes");
            out.write_taken(vec![b'y'; 4000]).unwrap();
            assert_eq!(out.inner.len(), 5006);
            out.write_all(b"tail").unwrap();
        }
        assert_eq!(inner.len(), 5010);
        assert!(inner.ends_with(b"tail"));
    }

    #[test]
    fn errors_come_out() {
        struct Broken;
        impl Write for Broken {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut out = Gather::with_capacity(1000, Broken);
        out.write_taken(vec![1; 600]).unwrap();
        let err = out.write_taken(vec![2; 600]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    }
}
