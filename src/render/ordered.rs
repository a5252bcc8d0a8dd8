//! Rendering rows on every core, written in order: for a last pass that can
//! only start once every row is known (the table's widths), and would
//! otherwise run on one core after the readers are done.

use std::io::{self, Write};
use std::ops::Range;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

/// Encoded row bytes gathered before a batch is handed to a thread.
const BATCH: usize = 256 << 10;

/// Batches handed out per thread before the first one's text is written.
const AHEAD: usize = 2;

/// Renders one batch, appending its text.
pub type Render<'a, B> = dyn Fn(&B, &mut Vec<u8>) -> io::Result<()> + Sync + 'a;

/// Renders one encoded row, appending its text.
pub type RenderRow<'a> = Render<'a, [u8]>;

/// A batch and the buffer its text goes into (kept for the next batch).
type Work<B> = (B, Vec<u8>);

/// A thread's channel for work and its channel for rendered work (or what
/// went wrong).
type Lane<B> = (SyncSender<Work<B>>, Receiver<io::Result<Work<B>>>);

/// Hands every batch that `batches` gives to `render` and writes the text
/// each makes to `out`, in the order the batches came, rendering them side
/// by side on `threads` threads. A single batch is rendered here, with no
/// thread started.
pub fn render_in_order<B: Send>(
    batches: impl FnOnce(&mut dyn FnMut(B) -> io::Result<()>) -> io::Result<()>,
    render: &Render<'_, B>,
    threads: usize,
    out: &mut dyn Write,
) -> io::Result<()> {
    let threads = threads.max(1);
    std::thread::scope(|scope| {
        let mut lanes = Lanes::default();
        let mut first = None;
        batches(&mut |batch| {
            if lanes.lanes.is_empty() {
                let Some(held) = first.take() else {
                    first = Some(batch);
                    return Ok(());
                };
                lanes.lanes = (0..threads).map(|_| spawn_lane(scope, render)).collect();
                lanes.hand_out(held, out)?;
            }
            lanes.hand_out(batch, out)
        })?;
        if let Some(only) = first {
            let mut text = Vec::new();
            render(&only, &mut text)?;
            return out.write_all(&text);
        }
        while lanes.written < lanes.sent {
            lanes.write_next(out)?;
        }
        Ok(())
    })
}

/// [`render_in_order`] for rows that `rows` gives encoded, one at a time:
/// they are gathered into batches of a few hundred kilobytes.
pub fn render_rows_in_order(
    rows: impl FnOnce(&mut dyn FnMut(&[u8]) -> io::Result<()>) -> io::Result<()>,
    render: &RenderRow<'_>,
    threads: usize,
    out: &mut dyn Write,
) -> io::Result<()> {
    render_in_order(
        |each| {
            // Room for the row that passes the mark: not grown row by row.
            let mut batch = Vec::with_capacity(BATCH + (BATCH >> 2));
            rows(&mut |row| {
                let len = u32::try_from(row.len()).map_err(|_| io::Error::other("row too long"))?;
                batch.extend_from_slice(&len.to_le_bytes());
                batch.extend_from_slice(row);
                if batch.len() >= BATCH {
                    let next = Vec::with_capacity(BATCH + (BATCH >> 2));
                    each(std::mem::replace(&mut batch, next))?;
                }
                Ok(())
            })?;
            if batch.is_empty() {
                return Ok(());
            }
            each(batch)
        },
        &|batch: &Vec<u8>, text: &mut Vec<u8>| each_row(batch, &mut |row| render(row, text)),
        threads,
        out,
    )
}

/// [`render_in_order`] for items `0..len` (of a list the caller holds),
/// `step` to a batch.
pub fn render_ranges_in_order(
    len: usize,
    step: usize,
    render: &Render<'_, Range<usize>>,
    threads: usize,
    out: &mut dyn Write,
) -> io::Result<()> {
    let step = step.max(1);
    render_in_order(
        |each| {
            (0..len)
                .step_by(step)
                .try_for_each(|start| each(start..(start + step).min(len)))
        },
        render,
        threads,
        out,
    )
}

/// `f` of each of `threads` parts of `items`, folded with `combine`, the
/// parts on threads of their own when there are at least `threshold`
/// items; `None` for no items.
pub fn fold_parts<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    threshold: usize,
    f: &(dyn Fn(&[T]) -> R + Sync),
    combine: impl Fn(R, R) -> R,
) -> Option<R> {
    if items.is_empty() {
        return None;
    }
    if items.len() < threshold.max(2) || threads < 2 {
        return Some(f(items));
    }
    let part = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(part)
            .map(|part| scope.spawn(move || f(part)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .reduce(combine)
    })
}

/// The rendering threads, each with a channel for batches and one for
/// their text, and what has been handed out and written so far.
struct Lanes<B> {
    lanes: Vec<Lane<B>>,
    sent: usize,
    written: usize,
    /// Text buffers back from the threads, to fill again.
    spare: Vec<Vec<u8>>,
}

impl<B> Default for Lanes<B> {
    fn default() -> Self {
        Lanes {
            lanes: Vec::new(),
            sent: 0,
            written: 0,
            spare: Vec::new(),
        }
    }
}

impl<B: Send> Lanes<B> {
    /// Hands `batch` to the next thread in turn, first writing the oldest
    /// text when enough are out.
    fn hand_out(&mut self, batch: B, out: &mut dyn Write) -> io::Result<()> {
        if self.sent - self.written == self.lanes.len() * AHEAD {
            self.write_next(out)?;
        }
        let text = self.spare.pop().unwrap_or_default();
        self.lanes[self.sent % self.lanes.len()]
            .0
            .send((batch, text))
            .map_err(|_| stopped())?;
        self.sent += 1;
        Ok(())
    }

    /// Writes the text of the oldest batch handed out.
    fn write_next(&mut self, out: &mut dyn Write) -> io::Result<()> {
        let (_, text) = self.lanes[self.written % self.lanes.len()]
            .1
            .recv()
            .map_err(|_| stopped())??;
        out.write_all(&text)?;
        self.written += 1;
        self.spare.push(text);
        Ok(())
    }
}

fn stopped() -> io::Error {
    io::Error::other("internal error: a rendering thread stopped")
}

/// A thread that renders the batches it is sent, in the order sent.
fn spawn_lane<'scope, 'env, B: Send + 'scope>(
    scope: &'scope std::thread::Scope<'scope, 'env>,
    render: &'env Render<'env, B>,
) -> Lane<B> {
    let (batch_tx, batch_rx) = sync_channel::<Work<B>>(AHEAD);
    let (text_tx, text_rx) = sync_channel::<io::Result<Work<B>>>(AHEAD);
    scope.spawn(move || {
        for (batch, mut text) in batch_rx {
            text.clear();
            let done = render(&batch, &mut text).map(|()| (batch, text));
            // The writer is gone (it failed): stop.
            if text_tx.send(done).is_err() {
                break;
            }
        }
    });
    (batch_tx, text_rx)
}

/// The rows of a batch, each its length (4 bytes, little-endian) first.
pub(super) fn each_row(batch: &[u8], f: &mut dyn FnMut(&[u8]) -> io::Result<()>) -> io::Result<()> {
    let truncated = || io::Error::other("internal error: truncated row batch");
    let mut rest = batch;
    while !rest.is_empty() {
        let (len, tail) = rest.split_first_chunk::<4>().ok_or_else(truncated)?;
        let len = u32::from_le_bytes(*len) as usize;
        let row = tail.get(..len).ok_or_else(truncated)?;
        f(row)?;
        rest = &tail[len..];
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows rendered on threads come out in the order they went in, as
    /// they would on one thread, whatever the batch count.
    #[test]
    fn rows_come_out_in_order_from_any_number_of_threads() {
        let rows: Vec<Vec<u8>> = (0..50_000u32)
            .map(|n| format!("row {n} {}", "x".repeat((n % 97) as usize)).into_bytes())
            .collect();
        let render = |row: &[u8], out: &mut Vec<u8>| -> io::Result<()> {
            out.extend_from_slice(row);
            out.push(b'\n');
            Ok(())
        };
        let want: Vec<u8> = rows.iter().flat_map(|r| [&r[..], b"\n"].concat()).collect();
        for threads in [1, 2, 3] {
            for count in [0, 1, 10, rows.len()] {
                let mut out = Vec::new();
                render_rows_in_order(
                    |each| rows[..count].iter().try_for_each(|r| each(r)),
                    &render,
                    threads,
                    &mut out,
                )
                .expect("in memory");
                let want: Vec<u8> = rows[..count]
                    .iter()
                    .flat_map(|r| [&r[..], b"\n"].concat())
                    .collect();
                assert!(out == want, "{threads} threads, {count} rows");
            }
        }
        assert!(want.len() > 4 * BATCH, "the test spans many batches");
    }

    /// A row that fails to render stops the pass with its error.
    #[test]
    fn a_failing_row_stops_the_pass_with_its_error() {
        let render = |row: &[u8], out: &mut Vec<u8>| -> io::Result<()> {
            if row == b"bad" {
                return Err(io::Error::other("bad row"));
            }
            out.extend_from_slice(row);
            Ok(())
        };
        let rows: Vec<&[u8]> = std::iter::repeat_n(&b"good row of some length"[..], 40_000)
            .chain([&b"bad"[..]])
            .chain(std::iter::repeat_n(&b"after"[..], 1000))
            .collect();
        let mut out = Vec::new();
        let err = render_rows_in_order(
            |each| rows.iter().try_for_each(|r| each(r)),
            &render,
            2,
            &mut out,
        )
        .expect_err("a bad row");
        assert_eq!(err.to_string(), "bad row");
    }
}
