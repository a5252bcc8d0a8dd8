//! A progress line on stderr while a large input is read: bytes, entries
//! and rate. Shown only on a terminal, only after a second, and erased when
//! done, so short runs and pipes never see it.

use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::render::text::{escape, human_size};

/// How long before the line appears, and how often it changes.
const DELAY: Duration = Duration::from_secs(1);
const EVERY: Duration = Duration::from_millis(100);

/// Counts what passes through and draws the line now and then.
pub struct ProgressReader<'a, R> {
    inner: R,
    name: String,
    total: Option<u64>,
    read: u64,
    entries: &'a AtomicU64,
    started: Instant,
    drawn: Option<Instant>,
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
            read: 0,
            entries,
            started: Instant::now(),
            drawn: None,
            enabled,
        }
    }

    fn draw(&mut self) {
        let now = Instant::now();
        let elapsed = now - self.started;
        if elapsed < DELAY || self.drawn.is_some_and(|d| now - d < EVERY) {
            return;
        }
        self.drawn = Some(now);
        let rate = self.read as f64 / elapsed.as_secs_f64();
        let amount = match self.total {
            Some(total) if total > 0 => format!(
                "{} / {} ({:.0}%)",
                human_size(self.read),
                human_size(total),
                self.read as f64 * 100.0 / total as f64
            ),
            _ => human_size(self.read),
        };
        let line = format!(
            "reading {}  {amount} · {} entries · {}/s",
            self.name,
            self.entries.load(Ordering::Relaxed),
            human_size(rate as u64)
        );
        let mut err = io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K{line}");
        SHOWING.store(true, Ordering::Relaxed);
    }
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
        if self.drawn.is_some() {
            clear_line(&mut io::stderr().lock());
        }
    }
}

impl<R: Read> Read for ProgressReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.enabled {
            self.draw();
        }
        Ok(n)
    }
}
