//! What reading a file found, kept between runs (`list`'s summaries): a
//! row per file, keyed by its path, size and modification time, so a file
//! that changed in any way is read again. The cache is a convenience: one
//! that cannot be read or written is treated as empty and never an error,
//! and one written by another build of agentcli is ignored.
//!
//! Rows are held as the JSON text they were stored as, and made into values
//! only when asked for ([`Cache::get`]): loading 10,000 rows is then one
//! pass that allocates twice a row, and the rows are made on the threads
//! that ask for them, side by side, not all on the one that loads them.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

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

#[derive(Serialize, Deserialize)]
struct Row<T> {
    path: String,
    stamp: Stamp,
    value: T,
}

#[derive(Serialize, Deserialize)]
struct Stored<T> {
    version: String,
    rows: Vec<Row<T>>,
}

/// The cache file `name` under a directory (`$XDG_CACHE_HOME/agentcli`),
/// of rows of `T`.
pub struct Cache<T> {
    file: PathBuf,
    /// Each row's value as stored. foldhash: paths are no secret, and
    /// there are thousands to look up.
    rows: HashMap<String, (Stamp, Box<RawValue>), foldhash::fast::RandomState>,
    /// Paths in the order their rows were written.
    order: Vec<String>,
    changed: bool,
    of: std::marker::PhantomData<fn() -> T>,
}

impl<T: Serialize + DeserializeOwned> Cache<T> {
    /// Loads the cache, or starts an empty one.
    pub fn open(dir: &Path, name: &str) -> Self {
        let file = dir.join(name);
        let stored: Option<Stored<Box<RawValue>>> = std::fs::read(&file)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .filter(|s: &Stored<Box<RawValue>>| s.version == VERSION);
        let mut cache = Cache {
            file,
            rows: Default::default(),
            order: Vec::new(),
            changed: false,
            of: std::marker::PhantomData,
        };
        for row in stored.map(|s| s.rows).unwrap_or_default() {
            cache.order.push(row.path.clone());
            cache.rows.insert(row.path, (row.stamp, row.value));
        }
        cache
    }

    /// The row of `path`, if it was written for the file as it is now
    /// (and still reads as a `T`).
    pub fn get(&self, path: &str, stamp: Stamp) -> Option<T> {
        let (kept, value) = self.rows.get(path)?;
        if *kept != stamp {
            return None;
        }
        serde_json::from_str(value.get()).ok()
    }

    /// Keeps `value` as the row of `path` (a value that cannot be written
    /// as JSON is not kept).
    pub fn put(&mut self, path: String, stamp: Stamp, value: &T) {
        let Ok(value) = serde_json::value::to_raw_value(value) else {
            return;
        };
        if self.rows.insert(path.clone(), (stamp, value)).is_none() {
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
        let rows: Vec<Row<Box<RawValue>>> = self
            .order
            .iter()
            .filter_map(|path| {
                let (stamp, value) = self.rows.remove(path)?;
                Some(Row {
                    path: path.clone(),
                    stamp,
                    value,
                })
            })
            .collect();
        let stored = Stored {
            version: VERSION.to_string(),
            rows,
        };
        let dir = self.file.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)?;
        let temp = self
            .file
            .with_extension(format!("tmp{}", std::process::id()));
        let result = (|| {
            let mut out = std::io::BufWriter::new(std::fs::File::create(&temp)?);
            serde_json::to_writer(&mut out, &stored)?;
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

    #[test]
    fn rows_come_back_only_for_the_same_size_and_time() {
        let dir = tempfile::tempdir().unwrap();
        let stamp = Stamp {
            size: 10,
            modified: (1, 2),
        };
        let mut cache: Cache<String> = Cache::open(dir.path(), "t.json");
        assert!(cache.get("a", stamp).is_none());
        cache.put("a".into(), stamp, &"row".to_string());
        cache.save().unwrap();
        let cache: Cache<String> = Cache::open(dir.path(), "t.json");
        assert_eq!(cache.get("a", stamp).as_deref(), Some("row"));
        let grown = Stamp { size: 11, ..stamp };
        assert!(cache.get("a", grown).is_none());
        let touched = Stamp {
            modified: (1, 3),
            ..stamp
        };
        assert!(cache.get("a", touched).is_none());
    }

    #[test]
    fn a_row_that_no_longer_reads_is_not_found() {
        let dir = tempfile::tempdir().unwrap();
        let stamp = Stamp {
            size: 10,
            modified: (1, 2),
        };
        let mut cache: Cache<String> = Cache::open(dir.path(), "t.json");
        cache.put("a".into(), stamp, &"row".to_string());
        cache.save().unwrap();
        // Rows are read when asked for: one of another shape is a miss.
        let cache: Cache<u64> = Cache::open(dir.path(), "t.json");
        assert_eq!(cache.rows.len(), 1);
        assert!(cache.get("a", stamp).is_none());
    }

    #[test]
    fn a_damaged_cache_is_an_empty_one() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("t.json"), b"{not json").unwrap();
        let cache: Cache<String> = Cache::open(dir.path(), "t.json");
        assert!(cache.rows.is_empty());
    }
}
