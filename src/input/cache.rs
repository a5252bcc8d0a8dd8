//! What reading a file found, kept between runs (`list`'s summaries): a
//! row per file, keyed by its path, size and modification time, so a file
//! that changed in any way is read again. The cache is a convenience: one
//! that cannot be read or written is treated as empty and never an error,
//! and one written by another build of agentcli is ignored.
//!
//! The file is a line of the version (a JSON string), then a line a row:
//! its path (a JSON string), a tab, and `{"stamp":…,"value":…}`. Loading
//! it reads the file and each row's path, nothing more; a row's JSON is
//! made into a value only when asked for ([`Cache::get`]), on the thread
//! that asks. With 10,000 rows, `list` no longer waits for one thread to
//! parse them all: the workers that stat the files make their rows side by
//! side.

use std::collections::HashMap;
use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Rows kept at most; the oldest written go first.
const MAX_ROWS: usize = 200_000;

/// Which build wrote a cache: rows from another are not trusted.
const VERSION: &str = crate::VERSION;

/// A file's size and modification time (seconds and nanoseconds since
/// the epoch): when either changes, the row is stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    pub size: u64,
    pub modified: (u64, u32),
}

impl Stamp {
    pub fn of(meta: &std::fs::Metadata) -> Option<Stamp> {
        let modified = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
        Some(Stamp {
            size: meta.len(),
            modified: (modified.as_secs(), modified.subsec_nanos()),
        })
    }
}

/// A row's JSON, as it follows its path.
#[derive(Serialize, Deserialize)]
struct Row<T> {
    stamp: Stamp,
    value: T,
}

/// Where a row's JSON is: in the file as loaded, or made by this run.
enum Kept {
    Loaded(Range<usize>),
    Made(String),
}

/// The cache file `name` under a directory (`$XDG_CACHE_HOME/agentcli`),
/// of rows of `T`.
pub struct Cache<T> {
    file: PathBuf,
    /// The file as loaded (empty when it could not be used).
    loaded: String,
    /// foldhash: paths are no secret, and there are thousands to look up.
    rows: HashMap<String, Kept, foldhash::fast::RandomState>,
    /// Paths in the order their rows were written.
    order: Vec<String>,
    changed: bool,
    of: std::marker::PhantomData<fn() -> T>,
}

/// The cache's first line: this build's version.
fn version_line() -> String {
    serde_json::Value::from(VERSION).to_string()
}

impl<T: Serialize + DeserializeOwned> Cache<T> {
    /// Loads the cache, or starts an empty one.
    pub fn open(dir: &Path, name: &str) -> Self {
        let file = dir.join(name);
        let mut cache = Cache {
            file,
            loaded: String::new(),
            rows: Default::default(),
            order: Vec::new(),
            changed: false,
            of: std::marker::PhantomData,
        };
        let Ok(loaded) = std::fs::read_to_string(&cache.file) else {
            return cache;
        };
        let version = version_line();
        let mut end = 0;
        for line in loaded.split_inclusive('\n') {
            let start = end;
            end += line.len();
            // Whole lines only: a torn last one is passed over.
            let Some(line) = line.strip_suffix('\n') else {
                break;
            };
            if start == 0 {
                if line != version {
                    return cache;
                }
                continue;
            }
            // A JSON string holds no raw tab: the first one ends the path.
            let Some(tab) = line.find('\t') else {
                continue;
            };
            let Ok(path) = serde_json::from_str::<String>(&line[..tab]) else {
                continue;
            };
            let row = start + tab + 1..start + line.len();
            if cache.rows.insert(path.clone(), Kept::Loaded(row)).is_none() {
                cache.order.push(path);
            }
        }
        cache.loaded = loaded;
        cache
    }

    /// The JSON of `path`'s row, as loaded or made.
    fn json(&self, path: &str) -> Option<&str> {
        match self.rows.get(path)? {
            Kept::Loaded(range) => self.loaded.get(range.clone()),
            Kept::Made(json) => Some(json),
        }
    }

    /// The row of `path`, if it was written for the file as it is now
    /// (and still reads as a `T`).
    pub fn get(&self, path: &str, stamp: Stamp) -> Option<T> {
        let row: Row<T> = serde_json::from_str(self.json(path)?).ok()?;
        (row.stamp == stamp).then_some(row.value)
    }

    /// Keeps `value` as the row of `path` (a value that cannot be written
    /// as JSON is not kept).
    pub fn put(&mut self, path: String, stamp: Stamp, value: &T) {
        let Ok(json) = serde_json::to_string(&Row { stamp, value }) else {
            return;
        };
        if self.rows.insert(path.clone(), Kept::Made(json)).is_none() {
            self.order.push(path);
        }
        self.changed = true;
    }

    /// Drops the rows of paths `keep` says no to (files gone since).
    pub fn retain(&mut self, keep: impl Fn(&str) -> bool) {
        let before = self.order.len();
        self.order.retain(|path| keep(path));
        if self.order.len() != before {
            self.rows.retain(|path, _| keep(path));
            self.changed = true;
        }
    }

    /// Writes the cache if anything changed: to a temporary file renamed
    /// over the old one, so a reader never sees half of it.
    pub fn save(mut self) -> std::io::Result<()> {
        if !self.changed {
            return Ok(());
        }
        let excess = self.order.len().saturating_sub(MAX_ROWS);
        for path in self.order.drain(..excess) {
            self.rows.remove(&path);
        }
        let dir = self.file.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)?;
        let temp = self
            .file
            .with_extension(format!("tmp{}", std::process::id()));
        let result = (|| {
            let mut out = std::io::BufWriter::new(std::fs::File::create(&temp)?);
            writeln!(out, "{}", version_line())?;
            for path in &self.order {
                if let Some(json) = self.json(path) {
                    serde_json::to_writer(&mut out, path)?;
                    writeln!(out, "\t{json}")?;
                }
            }
            out.flush()?;
            drop(out);
            std::fs::rename(&temp, &self.file)
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STAMP: Stamp = Stamp {
        size: 10,
        modified: (1, 2),
    };

    /// A directory holding the cache `t.json`, saved with `rows` (path and
    /// value).
    fn saved(rows: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let mut cache: Cache<String> = Cache::open(dir.path(), "t.json");
        for (path, value) in rows {
            cache.put(path.to_string(), STAMP, &value.to_string());
        }
        cache.save().unwrap();
        dir
    }

    #[test]
    fn rows_come_back_only_for_the_same_size_and_time() {
        let empty = tempfile::tempdir().unwrap();
        let cache: Cache<String> = Cache::open(empty.path(), "t.json");
        assert!(cache.get("a", STAMP).is_none());
        let dir = saved(&[("a", "row")]);
        let cache: Cache<String> = Cache::open(dir.path(), "t.json");
        assert_eq!(cache.get("a", STAMP).as_deref(), Some("row"));
        let grown = Stamp { size: 11, ..STAMP };
        assert!(cache.get("a", grown).is_none());
        let touched = Stamp {
            modified: (1, 3),
            ..STAMP
        };
        assert!(cache.get("a", touched).is_none());
    }

    #[test]
    fn a_row_that_no_longer_reads_is_not_found() {
        let dir = saved(&[("a", "row")]);
        // Rows are read when asked for: one of another shape is a miss.
        let cache: Cache<u64> = Cache::open(dir.path(), "t.json");
        assert_eq!(cache.rows.len(), 1);
        assert!(cache.get("a", STAMP).is_none());
    }

    #[test]
    fn damaged_lines_are_passed_over_and_the_rest_kept() {
        let dir = saved(&[("a\tb\n", "first"), ("c", "second")]);
        let file = dir.path().join("t.json");
        let mut text = std::fs::read_to_string(&file).unwrap();
        assert_eq!(text.lines().count(), 3, "{text}");
        text.push_str("no tab\n\"bad\t{}\n{\"d\"}\t{}\n\"e\"\t{\"stamp\":");
        std::fs::write(&file, text).unwrap();
        let cache: Cache<String> = Cache::open(dir.path(), "t.json");
        assert_eq!(cache.get("a\tb\n", STAMP).as_deref(), Some("first"));
        assert_eq!(cache.get("c", STAMP).as_deref(), Some("second"));
        assert_eq!(cache.order, ["a\tb\n", "c"]);
        // A cache of another build is not read.
        let other = std::fs::read_to_string(&file)
            .unwrap()
            .replacen(VERSION, "0.0.0 (other)", 1);
        std::fs::write(&file, other).unwrap();
        let cache: Cache<String> = Cache::open(dir.path(), "t.json");
        assert!(cache.rows.is_empty());
    }

    #[test]
    fn a_damaged_cache_is_an_empty_one() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("t.json"), b"{not json").unwrap();
        let cache: Cache<String> = Cache::open(dir.path(), "t.json");
        assert!(cache.rows.is_empty());
    }
}
