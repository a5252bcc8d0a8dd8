//! A progress line on stderr while a large input is read: bytes, entries
//! and rate. Shown only on a terminal, only after a second, and erased when
//! done, so short runs and pipes never see it.

use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::input::ReadAt;
use crate::render::text::{escape, human_size, truncate};

/// How long before the line appears, and how often it changes.
const DELAY: Duration = Duration::from_secs(1);
const EVERY: Duration = Duration::from_millis(100);

/// Counts what passes through (read at offsets, by the threads that read
/// it so: how far into it) and draws the line now and then.
pub struct ProgressReader<'a, R> {
    inner: R,
    name: String,
    total: Option<u64>,
    read: AtomicU64,
    entries: &'a AtomicU64,
    started: Instant,
    /// When the line was last drawn; whoever holds it draws.
    drawn: Mutex<Option<Instant>>,
    enabled: bool,
}

impl<'a, R: Read> ProgressReader<'a, R> {
    /// `entries` is counted by whoever parses what is read.
    pub fn new(
        inner: R,
        name: &str,
        total: Option<u64>,
        entries: &'a AtomicU64,
        enabled: bool,
    ) -> Self {
        ProgressReader {
            inner,
            name: escape(name).into_owned(),
            total,
            read: AtomicU64::new(0),
            entries,
            started: Instant::now(),
            drawn: Mutex::new(None),
            enabled,
        }
    }
}

impl<R> ProgressReader<'_, R> {
    /// Notes that `read` bytes are read, and draws the line when it is
    /// time to (unless another thread is drawing it).
    fn count(&self, read: u64) {
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        let elapsed = now - self.started;
        let Ok(mut drawn) = self.drawn.try_lock() else {
            return;
        };
        if elapsed < DELAY || drawn.is_some_and(|d| now - d < EVERY) {
            return;
        }
        *drawn = Some(now);
        let rate = read as f64 / elapsed.as_secs_f64();
        let amount = match self.total {
            Some(total) if total > 0 => format!(
                "{} / {} ({:.0}%)",
                human_size(read),
                human_size(total),
                read as f64 * 100.0 / total as f64
            ),
            _ => human_size(read),
        };
        let line = format!(
            "reading {}  {amount} · {} entries · {}/s",
            self.name,
            self.entries.load(Ordering::Relaxed),
            human_size(rate as u64)
        );
        let columns = terminal_size::terminal_size_of(io::stderr()).map(|(w, _)| w.0);
        let line = fitted(&line, columns);
        let mut err = io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K{line}");
        SHOWING.store(true, Ordering::Relaxed);
    }
}

/// `line` cut to fit on one line of a terminal `columns` wide (less one,
/// so the cursor never wraps): a line that wrapped could not be erased
/// by going back to its start.
fn fitted(line: &str, columns: Option<u16>) -> std::borrow::Cow<'_, str> {
    let columns = columns.map_or(80, usize::from);
    truncate(line, columns.saturating_sub(1).max(1))
}

/// Whether a progress line is on stderr now (set and cleared with stderr
/// locked).
static SHOWING: AtomicBool = AtomicBool::new(false);

/// Erases the progress line, if one is showing, so that a message written
/// next to `err` (stderr, locked) starts on a clean line; the line comes
/// back at the next redraw.
pub fn clear_line(err: &mut dyn Write) {
    if SHOWING.swap(false, Ordering::Relaxed) {
        let _ = write!(err, "\r\x1b[2K");
    }
}

impl<R> Drop for ProgressReader<'_, R> {
    fn drop(&mut self) {
        let drawn = self.drawn.get_mut().map_or(true, |d| d.is_some());
        if drawn {
            clear_line(&mut io::stderr().lock());
        }
    }
}

impl<R: Read> Read for ProgressReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count(self.read.fetch_add(n as u64, Ordering::Relaxed) + n as u64);
        Ok(n)
    }
}

impl<R: ReadAt> ReadAt for ProgressReader<'_, R> {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let n = self.inner.read_at(buf, offset)?;
        // As far as the furthest byte read: bytes read again (after a
        // cut, with the next block) are not counted twice.
        let end = offset + n as u64;
        self.count(self.read.fetch_max(end, Ordering::Relaxed).max(end));
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::text::width;

    /// A progress line never takes a terminal's whole width (a long path
    /// would wrap it, and the part above could not be erased).
    #[test]
    fn the_line_fits_the_terminal() {
        let line = format!(
            "reading {}  2.8 GiB / 3.0 GiB (95%) · 1 entries",
            "/d".repeat(60)
        );
        for columns in [1u16, 2, 20, 80, 300] {
            let fitted = fitted(&line, Some(columns));
            assert!(
                width(&fitted) < usize::from(columns).max(2),
                "{columns}: {fitted}"
            );
        }
        assert_eq!(fitted("reading x", Some(80)), "reading x");
        assert!(width(&fitted(&line, None)) < 80);
    }
}
