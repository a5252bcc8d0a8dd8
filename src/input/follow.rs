//! Following files as they are written, with `tail -F` semantics.
//!
//! Follow mode is not a second parser: [`FileTail`] only hands out the new
//! bytes of a path (and says when the file was truncated, removed or
//! replaced); the caller feeds them to the same [`super::TraceReader`] as
//! every other command. [`Waker`] sleeps until something may have changed:
//! a file system event (inotify), a poll interval, or a stop request.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

use notify::{RecursiveMode, Watcher};

/// How many of the last bytes read are kept to notice a file that was
/// truncated and written again past its old size.
const TAIL_CHECK: usize = 64;

/// What happened to a followed path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The path does not exist (yet, or any more).
    Missing,
    /// The path exists again, or for the first time after waiting.
    Appeared,
    /// The file got shorter, or was rewritten from the start.
    Truncated,
    /// Another file now has the path (deleted and re-created, or renamed
    /// over).
    Replaced,
}

/// What [`FileTail::poll`] reports, in order.
#[derive(Debug)]
pub enum TailEvent<'a> {
    /// New bytes.
    Data(&'a [u8]),
    /// A change: after `Truncated`, `Replaced` or `Missing`, the bytes that
    /// follow start a new file.
    Change(Change),
}

/// The identity of an open file, to notice that a path now names another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileId(u64, u64);

#[cfg(unix)]
fn file_id(m: &std::fs::Metadata) -> Option<FileId> {
    use std::os::unix::fs::MetadataExt;
    Some(FileId(m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn file_id(_m: &std::fs::Metadata) -> Option<FileId> {
    None
}

/// Follows one path.
#[derive(Debug)]
pub struct FileTail {
    path: PathBuf,
    file: Option<File>,
    id: Option<FileId>,
    offset: u64,
    /// The last bytes read, ending at `offset`.
    tail: Vec<u8>,
    /// Whether the path was missing at the last look (to say so once).
    missing: bool,
    buf: Vec<u8>,
}

/// Bytes read at a time from a followed file. Small, because following a
/// directory keeps one buffer per session: at 1 MiB, a thousand sessions
/// read from the start would keep a gigabyte resident.
const TAIL_CHUNK: usize = 64 * 1024;

impl FileTail {
    pub fn new(path: &Path) -> Self {
        FileTail {
            path: path.to_path_buf(),
            file: None,
            id: None,
            offset: 0,
            tail: Vec::new(),
            missing: false,
            buf: vec![0; TAIL_CHUNK],
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes read from the current file.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Reads whatever is new and reports changes. Returns whether anything
    /// was reported.
    pub fn poll(
        &mut self,
        on: &mut dyn FnMut(TailEvent<'_>) -> anyhow::Result<()>,
    ) -> anyhow::Result<bool> {
        let mut any = false;
        if self.file.is_some() {
            match std::fs::metadata(&self.path) {
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    self.drain(on)?;
                    self.close();
                    self.missing = true;
                    on(TailEvent::Change(Change::Missing))?;
                    return Ok(true);
                }
                Err(e) => {
                    return Err(anyhow::Error::new(e)
                        .context(format!("cannot follow '{}'", self.path.display())))
                }
                Ok(m) if file_id(&m).is_some() && file_id(&m) != self.id => {
                    any |= self.drain(on)?;
                    self.close();
                    if self.open()? {
                        on(TailEvent::Change(Change::Replaced))?;
                        any = true;
                    }
                }
                Ok(_) => {
                    if self.was_truncated()? {
                        self.rewind()?;
                        on(TailEvent::Change(Change::Truncated))?;
                        any = true;
                    }
                }
            }
        } else if self.open()? {
            if self.missing {
                self.missing = false;
                on(TailEvent::Change(Change::Appeared))?;
            }
            any = true;
        } else {
            if !self.missing {
                self.missing = true;
                on(TailEvent::Change(Change::Missing))?;
                any = true;
            }
            return Ok(any);
        }
        any |= self.drain(on)?;
        Ok(any)
    }

    /// Opens the path; `false` when it does not exist.
    fn open(&mut self) -> anyhow::Result<bool> {
        match File::open(&self.path) {
            Ok(f) => {
                self.id = f.metadata().ok().as_ref().and_then(file_id);
                self.file = Some(f);
                self.offset = 0;
                self.tail.clear();
                Ok(true)
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => {
                Err(anyhow::Error::new(e)
                    .context(format!("cannot follow '{}'", self.path.display())))
            }
        }
    }

    fn close(&mut self) {
        self.file = None;
        self.id = None;
        self.offset = 0;
        self.tail.clear();
    }

    fn rewind(&mut self) -> anyhow::Result<()> {
        if let Some(f) = self.file.as_mut() {
            f.seek(SeekFrom::Start(0))?;
        }
        self.offset = 0;
        self.tail.clear();
        Ok(())
    }

    /// Shorter than what was read, or the last bytes read are not there
    /// any more (truncated and written again past the old size).
    fn was_truncated(&mut self) -> anyhow::Result<bool> {
        let Some(f) = self.file.as_mut() else {
            return Ok(false);
        };
        let len = f.metadata()?.len();
        if len < self.offset {
            return Ok(true);
        }
        if self.tail.is_empty() {
            return Ok(false);
        }
        let start = self.offset - self.tail.len() as u64;
        let mut now = vec![0u8; self.tail.len()];
        f.seek(SeekFrom::Start(start))?;
        let same = f.read_exact(&mut now).is_ok() && now == self.tail;
        f.seek(SeekFrom::Start(self.offset))?;
        Ok(!same)
    }

    /// Reads to the end of the current file.
    fn drain(
        &mut self,
        on: &mut dyn FnMut(TailEvent<'_>) -> anyhow::Result<()>,
    ) -> anyhow::Result<bool> {
        let Some(f) = self.file.as_mut() else {
            return Ok(false);
        };
        let mut any = false;
        loop {
            let n = match super::read::read_some(f, &mut self.buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) => {
                    return Err(anyhow::Error::new(e)
                        .context(format!("cannot read '{}'", self.path.display())))
                }
            };
            any = true;
            self.offset += n as u64;
            let chunk = &self.buf[..n];
            if chunk.len() >= TAIL_CHECK {
                self.tail.clear();
                self.tail
                    .extend_from_slice(&chunk[chunk.len() - TAIL_CHECK..]);
            } else {
                self.tail.extend_from_slice(chunk);
                let excess = self.tail.len().saturating_sub(TAIL_CHECK);
                self.tail.drain(..excess);
            }
            on(TailEvent::Data(chunk))?;
        }
        Ok(any)
    }
}

/// Why [`Waker::wait`] returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wake {
    /// These paths changed on disk; empty: anything may have changed (a
    /// poll interval passed), look at everything.
    Look(Vec<PathBuf>),
    /// Stop following (Ctrl-C, SIGTERM).
    Stop,
}

/// Sleeps until something may have changed.
pub struct Waker {
    rx: Receiver<Wake>,
    tx: Sender<Wake>,
    /// Kept alive while following; `None` when polling.
    watcher: Option<notify::RecommendedWatcher>,
    poll: Duration,
}

impl Waker {
    /// Watches `paths` (directories, recursively when asked) with the
    /// system's notification API, unless `force_poll`; looks anyway every
    /// `poll`, as a safety net for lost events. Returns why it polls when
    /// notifications are unavailable.
    pub fn new(
        paths: &[(PathBuf, bool)],
        poll: Duration,
        force_poll: bool,
    ) -> (Waker, Option<String>) {
        let (tx, rx) = channel();
        let mut waker = Waker {
            rx,
            tx: tx.clone(),
            watcher: None,
            poll,
        };
        if force_poll {
            return (waker, None);
        }
        let events = tx.clone();
        let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            // An error event (say, a queue overflow) may hide changes: look
            // at everything.
            let paths = event.map(|e| e.paths).unwrap_or_default();
            let _ = events.send(Wake::Look(paths));
        });
        let mut watcher = match watcher {
            Ok(w) => w,
            Err(e) => {
                return (
                    waker,
                    Some(format!(
                        "file notifications unavailable ({e}); polling every {}",
                        show(poll)
                    )),
                )
            }
        };
        for (path, recursive) in paths {
            let mode = if *recursive {
                RecursiveMode::Recursive
            } else {
                RecursiveMode::NonRecursive
            };
            if let Err(e) = watcher.watch(path, mode) {
                return (
                    waker,
                    Some(format!(
                        "cannot watch '{}' ({e}); polling every {}",
                        path.display(),
                        show(poll)
                    )),
                );
            }
        }
        waker.watcher = Some(watcher);
        (waker, None)
    }

    /// A handle that stops the wait from another thread or a signal
    /// handler.
    pub fn stopper(&self) -> Sender<Wake> {
        self.tx.clone()
    }

    /// Blocks until an event, a stop request, or the poll interval.
    pub fn wait(&self) -> Wake {
        let first = match self.rx.recv_timeout(self.poll) {
            Ok(w) => w,
            Err(RecvTimeoutError::Timeout) => return Wake::Look(Vec::new()),
            Err(RecvTimeoutError::Disconnected) => Wake::Stop,
        };
        // Events come in bursts; one look serves them all.
        let Wake::Look(mut paths) = first else {
            return Wake::Stop;
        };
        let mut everything = paths.is_empty();
        while let Ok(w) = self.rx.try_recv() {
            match w {
                Wake::Stop => return Wake::Stop,
                Wake::Look(more) => {
                    everything |= more.is_empty();
                    paths.extend(more);
                }
            }
        }
        if everything {
            paths.clear();
        }
        paths.sort();
        paths.dedup();
        Wake::Look(paths)
    }
}

fn show(d: Duration) -> String {
    if d.as_millis() % 1000 == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn collect(tail: &mut FileTail) -> (Vec<u8>, Vec<Change>) {
        let mut data = Vec::new();
        let mut changes = Vec::new();
        tail.poll(&mut |e| {
            match e {
                TailEvent::Data(d) => data.extend_from_slice(d),
                TailEvent::Change(c) => changes.push(c),
            }
            Ok(())
        })
        .unwrap();
        (data, changes)
    }

    #[test]
    fn reads_new_bytes_and_notices_every_change() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.trace.json");
        let mut tail = FileTail::new(&path);
        assert_eq!(collect(&mut tail), (vec![], vec![Change::Missing]));
        assert_eq!(collect(&mut tail), (vec![], vec![]), "says missing once");

        std::fs::write(&path, b"[\n{\"a\":1}").unwrap();
        assert_eq!(
            collect(&mut tail),
            (b"[\n{\"a\":1}".to_vec(), vec![Change::Appeared])
        );
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(b",\n{\"a\":2}").unwrap();
        assert_eq!(collect(&mut tail).0, b",\n{\"a\":2}");

        // Truncated and written again past the old length.
        std::fs::write(&path, b"[\n{\"b\":1}\n,\n{\"b\":2}\n,\n{\"b\":3}").unwrap();
        let (data, changes) = collect(&mut tail);
        assert_eq!(changes, vec![Change::Truncated]);
        assert_eq!(data, b"[\n{\"b\":1}\n,\n{\"b\":2}\n,\n{\"b\":3}");

        // Shorter.
        std::fs::write(&path, b"[\n").unwrap();
        assert_eq!(
            collect(&mut tail),
            (b"[\n".to_vec(), vec![Change::Truncated])
        );

        // Renamed over.
        let other = dir.path().join("new");
        std::fs::write(&other, b"{\"c\":1}").unwrap();
        std::fs::rename(&other, &path).unwrap();
        assert_eq!(
            collect(&mut tail),
            (b"{\"c\":1}".to_vec(), vec![Change::Replaced])
        );

        // Removed, then back.
        std::fs::remove_file(&path).unwrap();
        assert_eq!(collect(&mut tail), (vec![], vec![Change::Missing]));
        std::fs::write(&path, b"{}").unwrap();
        assert_eq!(collect(&mut tail), (b"{}".to_vec(), vec![Change::Appeared]));
    }

    #[test]
    fn waker_times_out_into_a_look_and_stops_on_request() {
        let (waker, _) = Waker::new(&[], Duration::from_millis(10), true);
        assert_eq!(waker.wait(), Wake::Look(Vec::new()));
        waker.stopper().send(Wake::Stop).unwrap();
        assert_eq!(waker.wait(), Wake::Stop);
    }
}
