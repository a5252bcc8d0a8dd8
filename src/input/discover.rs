//! Finds sessions: resolves a session argument to a file or stdin, and lists
//! the trace files under a directory.

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::read::{Input, ReadAt, FILES_READ_AT};

/// The suffix AgenticGoKit gives trace files.
pub const SUFFIX: &str = ".trace.json";

/// Where a trace is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Stdin,
    File(PathBuf),
}

impl Source {
    /// The session id the file name gives (`<id>.trace.json`); `-` for stdin.
    pub fn session_id(&self) -> String {
        match self {
            Source::Stdin => "-".to_string(),
            Source::File(p) => session_id_of(p),
        }
    }

    /// The file's length now (it may still grow); `None` for stdin or a
    /// file that cannot be examined.
    pub fn size(&self) -> Option<u64> {
        match self {
            Source::Stdin => None,
            Source::File(p) => std::fs::metadata(p).ok().map(|m| m.len()),
        }
    }

    /// The source, open to read.
    pub fn open(&self) -> io::Result<Opened> {
        Ok(match self {
            Source::Stdin => Opened::Stdin(io::stdin()),
            Source::File(p) => {
                let file = File::open(p)?;
                let regular = file.metadata()?.is_file() && FILES_READ_AT;
                Opened::File { file, regular }
            }
        })
    }
}

/// A source open to read: stdin, or a file (a named pipe or a device is
/// read in order, as stdin is; a regular file also at offsets).
pub enum Opened {
    Stdin(io::Stdin),
    File { file: File, regular: bool },
}

impl Opened {
    /// Whether it is a regular file, which can be read at any offset.
    pub fn regular(&self) -> bool {
        matches!(self, Opened::File { regular: true, .. })
    }

    /// What to read: at offsets when it is a regular file, else in order.
    pub fn input(&mut self) -> Input<'_, &mut Opened> {
        let regular = self.regular();
        Input::of(self, regular)
    }
}

impl Read for Opened {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Opened::Stdin(s) => s.read(buf),
            Opened::File { file, .. } => file.read(buf),
        }
    }
}

impl ReadAt for Opened {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        match self {
            Opened::Stdin(_) => Err(io::ErrorKind::Unsupported.into()),
            Opened::File { file, .. } => file.read_at(buf, offset),
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Stdin => f.write_str("<stdin>"),
            Source::File(p) => write!(f, "{}", p.display()),
        }
    }
}

/// The session id of a trace file: its name without `.trace.json` (or
/// without `.json`).
pub fn session_id_of(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    for suffix in [SUFFIX, ".json"] {
        if let Some(id) = name.strip_suffix(suffix) {
            if !id.is_empty() {
                return id.to_string();
            }
        }
    }
    name
}

/// Why a session argument did not resolve.
#[derive(Debug)]
pub enum ResolveError {
    NotFound {
        arg: String,
        searched: Vec<PathBuf>,
        suggestions: Vec<String>,
    },
    Ambiguous {
        arg: String,
        matches: Vec<PathBuf>,
    },
    IsDirectory(PathBuf),
    /// A path that does not exist.
    NoSuchFile(PathBuf),
    /// The trace directory itself does not exist.
    NoDirectory(PathBuf),
}

impl fmt::Display for ResolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResolveError::NotFound {
                arg,
                searched,
                suggestions,
            } => {
                let places: Vec<String> = searched
                    .iter()
                    .map(|p| format!("'{}'", p.display()))
                    .collect();
                write!(f, "no session '{arg}' in {}", places.join(" or "))?;
                match suggestions.as_slice() {
                    [] => write!(f, "\nhint: `agentcli list` shows the sessions there; `--dir DIR` searches elsewhere"),
                    [one] => write!(f, "\nhint: did you mean '{one}'?"),
                    many => write!(f, "\nhint: did you mean one of: {}?", many.join(", ")),
                }
            }
            ResolveError::NoSuchFile(path) if path.to_string_lossy().ends_with(".json") => {
                write!(f, "cannot read '{}': no such file", path.display())
            }
            ResolveError::NoSuchFile(path) => write!(
                f,
                "cannot read '{}': no such file (nor '{}{SUFFIX}')",
                path.display(),
                path.display()
            ),
            ResolveError::NoDirectory(dir) => write!(
                f,
                "the trace directory '{}' does not exist\nhint: --dir DIR (or AGENTCLI_DIR) names where the traces are",
                dir.display()
            ),
            ResolveError::IsDirectory(dir) => write!(
                f,
                "'{}' is a directory, not a trace file\nhint: `agentcli list --dir {}` lists the sessions in it",
                dir.display(),
                dir.display()
            ),
            ResolveError::Ambiguous { arg, matches } => {
                write!(f, "session '{arg}' is in more than one file:")?;
                for m in matches {
                    write!(f, "\n  {}", m.display())?;
                }
                write!(f, "\nhint: pass one of the paths instead of the id")
            }
        }
    }
}

impl std::error::Error for ResolveError {}

/// Resolves a session argument: `-` is stdin; a bare id is looked up as
/// `<id>.trace.json` in `dir`, `dir/traces`, then anywhere below `dir`; a
/// path (or an id not found in `dir`) is a file, with or without the suffix.
pub fn resolve(arg: &std::ffi::OsStr, dir: &Path) -> Result<Source, ResolveError> {
    match arg.to_str() {
        Some(text) => resolve_str(text, dir),
        // Ids are text; a name that is not UTF-8 can only be a path.
        None => {
            let p = Path::new(arg);
            if p.symlink_metadata().is_ok() && !p.is_dir() {
                Ok(Source::File(p.to_path_buf()))
            } else {
                Err(ResolveError::NotFound {
                    arg: arg.to_string_lossy().into_owned(),
                    searched: vec![p.to_path_buf()],
                    suggestions: Vec::new(),
                })
            }
        }
    }
}

fn resolve_str(arg: &str, dir: &Path) -> Result<Source, ResolveError> {
    if arg == "-" {
        return Ok(Source::Stdin);
    }
    // Anything that exists and is not a directory is handed to open(), so
    // that a dangling link, a link loop or a permission problem is reported
    // as what it is, not as "no such session". Found by walking a
    // directory, only regular files (a stray FIFO would block).
    let exists = |p: &Path| p.symlink_metadata().is_ok() && !p.is_dir();
    let openable = |p: &Path| match std::fs::metadata(p) {
        Ok(m) => m.is_file(),
        Err(_) => p.symlink_metadata().is_ok(),
    };
    let with_suffix = PathBuf::from(format!("{arg}{SUFFIX}"));

    if arg.contains(std::path::MAIN_SEPARATOR) || arg.contains('/') {
        // A path: with or without the suffix.
        let path = Path::new(arg);
        if path.is_dir() {
            return Err(ResolveError::IsDirectory(path.to_path_buf()));
        }
        return [path.to_path_buf(), with_suffix]
            .into_iter()
            .find(|p| exists(p))
            .map(Source::File)
            .ok_or_else(|| ResolveError::NoSuchFile(path.to_path_buf()));
    }

    // An id, or a file name (as `ls` shows it): in the directory, its
    // traces/, then anywhere below it, then here.
    let file_name = if arg.ends_with(".json") {
        // A file name that is here is the file meant.
        if openable(Path::new(arg)) {
            return Ok(Source::File(PathBuf::from(arg)));
        }
        arg.to_string()
    } else {
        format!("{arg}{SUFFIX}")
    };
    for candidate in [dir.join(&file_name), dir.join("traces").join(&file_name)] {
        if candidate.is_file() {
            return Ok(Source::File(candidate));
        }
    }
    let listing = find_traces(dir, None);
    let matches: Vec<PathBuf> = listing
        .files
        .iter()
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy() == file_name)
        })
        .cloned()
        .collect();
    match matches.len() {
        1 => return Ok(Source::File(matches[0].clone())),
        0 => {}
        _ => {
            return Err(ResolveError::Ambiguous {
                arg: arg.to_string(),
                matches,
            })
        }
    }
    for candidate in [PathBuf::from(arg), with_suffix] {
        if openable(&candidate) {
            return Ok(Source::File(candidate));
        }
    }
    let named_dir = [
        PathBuf::from(arg),
        dir.join(&file_name),
        PathBuf::from(&file_name),
    ]
    .into_iter()
    .find(|p| p.is_dir());
    if let Some(found) = named_dir {
        return Err(ResolveError::IsDirectory(found));
    }
    if !dir.is_dir() {
        return Err(ResolveError::NoDirectory(dir.to_path_buf()));
    }
    let ids: Vec<String> = listing.files.iter().map(|p| session_id_of(p)).collect();
    let wanted = arg.strip_suffix(SUFFIX).unwrap_or(arg);
    Err(ResolveError::NotFound {
        arg: arg.to_string(),
        searched: vec![dir.to_path_buf()],
        suggestions: closest(wanted, &ids, 3),
    })
}

/// Up to `n` of `candidates` that look like `wanted`, closest first.
pub fn closest(wanted: &str, candidates: &[String], n: usize) -> Vec<String> {
    // Edit distance, not prefix similarity: ids share long prefixes
    // (`session-…`) that make every id look like every other.
    let mut scored: Vec<(f64, &String)> = candidates
        .iter()
        .map(|c| {
            let mut score = strsim::normalized_levenshtein(wanted, c);
            if wanted.len() >= 4 && (c.contains(wanted) || wanted.contains(c.as_str())) {
                score = score.max(0.9);
            }
            (score, c)
        })
        .filter(|(s, _)| *s >= 0.7)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    let best = scored.first().map_or(0.0, |s| s.0);
    scored
        .into_iter()
        .filter(|(s, _)| *s >= best - 0.05)
        .take(n)
        .map(|(_, c)| c.clone())
        .collect()
}

/// Trace files found under a directory, and what could not be looked at.
#[derive(Debug, Default)]
pub struct Listing {
    /// Sorted by path.
    pub files: Vec<PathBuf>,
    /// Places that could not be read (permission, loops, vanished files).
    pub problems: Vec<String>,
}

/// Which files under a directory are traces.
#[derive(Debug, Clone)]
pub struct TraceGlob {
    pattern: glob::Pattern,
    /// A pattern with a `/` matches the path below the directory; one
    /// without matches the file name.
    whole_path: bool,
}

impl TraceGlob {
    pub fn new(pattern: &str) -> Result<Self, glob::PatternError> {
        Ok(TraceGlob {
            pattern: glob::Pattern::new(pattern)?,
            whole_path: pattern.contains('/'),
        })
    }

    fn matches(&self, relative: &Path) -> bool {
        let options = glob::MatchOptions {
            case_sensitive: true,
            require_literal_separator: true,
            require_literal_leading_dot: false,
        };
        if self.whole_path {
            self.pattern.matches_path_with(relative, options)
        } else {
            relative
                .file_name()
                .is_some_and(|n| self.pattern.matches_with(&n.to_string_lossy(), options))
        }
    }
}

/// Finds trace files below `dir` (recursively; directory links are not
/// followed, so loops cannot trap the walk). Without a glob, a trace file is
/// one whose name ends in `.trace.json`.
pub fn find_traces(dir: &Path, glob: Option<&TraceGlob>) -> Listing {
    // Each file or problem with its path, sorted at the end: the order of
    // a walk that sorts each directory by name, without walkdir's sort,
    // which takes every name apart again for each comparison.
    let mut found: Vec<(PathBuf, Option<String>)> = Vec::new();
    for item in walkdir::WalkDir::new(dir).follow_links(false) {
        let item = match item {
            Ok(i) => i,
            Err(e) => {
                let path = e.path().unwrap_or(dir).to_path_buf();
                let cause = e
                    .io_error()
                    .map(|io| io.to_string())
                    .unwrap_or_else(|| e.to_string());
                let problem = format!("cannot read '{}': {cause}", path.display());
                found.push((path, Some(problem)));
                continue;
            }
        };
        if item.file_type().is_dir() {
            continue;
        }
        let path = item.path();
        let relative = path.strip_prefix(dir).unwrap_or(path);
        let wanted = match glob {
            Some(g) => g.matches(relative),
            None => path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().ends_with(SUFFIX)),
        };
        if !wanted {
            continue;
        }
        if item.file_type().is_symlink() {
            // A link to a trace is a trace; a dangling or looping one is
            // reported, never followed forever.
            match std::fs::metadata(path) {
                Ok(m) if m.is_file() => {}
                Ok(m) if m.is_dir() => continue,
                Ok(_) => {
                    let problem = format!("'{}' is not a regular file; skipped", path.display());
                    found.push((path.to_path_buf(), Some(problem)));
                    continue;
                }
                Err(e) => {
                    let problem = format!("cannot read '{}': {e}", path.display());
                    found.push((path.to_path_buf(), Some(problem)));
                    continue;
                }
            }
        } else if !item.file_type().is_file() {
            // A FIFO would block the listing forever; sockets and devices
            // are no traces either.
            let problem = format!("'{}' is not a regular file; skipped", path.display());
            found.push((path.to_path_buf(), Some(problem)));
            continue;
        }
        found.push((path.to_path_buf(), None));
    }
    // Name by name: the walk's order with each directory sorted (siblings
    // by name, a directory's files before its next sibling). The key is
    // the names end to end, each closed by a NUL byte (which no name
    // holds), so comparing keys as bytes compares the paths name by name.
    found.sort_by_cached_key(|(path, _)| {
        let mut key = Vec::with_capacity(path.as_os_str().len() + 8);
        for name in path.components() {
            key.extend_from_slice(name.as_os_str().as_encoded_bytes());
            key.push(0);
        }
        key
    });
    let mut listing = Listing::default();
    for (path, problem) in found {
        match problem {
            Some(p) => listing.problems.push(p),
            None => listing.files.push(path),
        }
    }
    listing
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_id_strips_suffix() {
        assert_eq!(session_id_of(Path::new("a/b/req-1.trace.json")), "req-1");
        assert_eq!(session_id_of(Path::new("x.json")), "x");
        assert_eq!(session_id_of(Path::new("plain")), "plain");
    }

    #[test]
    fn closest_ranks_similar_ids() {
        let ids = vec![
            "session-123".to_string(),
            "session-124".into(),
            "other".into(),
        ];
        assert_eq!(
            closest("session-12", &ids, 3),
            vec!["session-123", "session-124"]
        );
        assert!(closest("zzz", &ids, 3).is_empty());
        let many = vec![
            "session-1395766352".to_string(),
            "session-4702419103".into(),
        ];
        assert!(
            closest("nosuch-id", &many, 3).is_empty(),
            "a shared prefix is no likeness"
        );
    }

    /// The order is the one a walk sorting each directory by name gives,
    /// on names where sorting whole paths as text would differ (`-` and
    /// `.` sort before `/`).
    #[test]
    fn traces_come_in_the_order_of_a_walk_sorted_by_name() {
        let root = tempfile::tempdir().expect("a temporary directory");
        for name in [
            "a/x.trace.json",
            "a/b/c.trace.json",
            "a-b.trace.json",
            "a.trace.json",
            "ab/z.trace.json",
            "B.trace.json",
            "é.trace.json",
            "traces/t.trace.json",
        ] {
            let path = root.path().join(name);
            std::fs::create_dir_all(path.parent().expect("a parent")).expect("a directory");
            std::fs::write(&path, "[]").expect("a file");
        }
        let walked: Vec<PathBuf> = walkdir::WalkDir::new(root.path())
            .sort_by_file_name()
            .into_iter()
            .map(|e| e.expect("readable").into_path())
            .filter(|p| p.is_file())
            .collect();
        assert_eq!(walked.len(), 8);
        assert_eq!(find_traces(root.path(), None).files, walked);
    }

    #[test]
    fn glob_without_slash_matches_file_names() {
        let g = TraceGlob::new("*.json").unwrap();
        assert!(g.matches(Path::new("deep/x.json")));
        let g = TraceGlob::new("traces/*.json").unwrap();
        assert!(g.matches(Path::new("traces/x.json")));
        assert!(!g.matches(Path::new("other/traces/x.json")));
    }
}
