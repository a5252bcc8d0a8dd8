//! Arbitrary bytes as a session argument, resolved against a small
//! directory of sessions (made once, the process's working directory):
//! never a panic, and what it returns exists.
#![no_main]

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use agentcli::input::{resolve, ResolveError, Source};
use libfuzzer_sys::fuzz_target;

/// The sessions directory: made idempotently at a fixed place, so runs
/// (and parallel jobs) share it and nothing piles up in the temp dir.
fn sessions() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join("agentcli-fuzz-resolve");
        let file = |rel: &str| {
            let p = dir.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, b"[\n").unwrap();
        };
        file("a.trace.json");
        file("session-a.trace.json");
        file("session-b.trace.json");
        file("traces/b.trace.json");
        file("sub/c.trace.json");
        file("sub2/c.trace.json"); // c is ambiguous
        file("sub/deep/er/e.trace.json");
        file("plain.json");
        file("noext");
        std::fs::create_dir_all(dir.join("d.trace.json")).unwrap(); // a directory
        std::fs::create_dir_all(dir.join("emptydir")).unwrap();
        let link = |target: &str, name: &str| {
            let _ = std::os::unix::fs::symlink(target, dir.join(name));
        };
        link("a.trace.json", "link.trace.json");
        link("nowhere.trace.json", "dangling.trace.json");
        link("loop.trace.json", "loop.trace.json");
        link("sub", "subdir-link");
        std::env::set_current_dir(&dir).unwrap();
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let dir = sessions();
    let arg = OsStr::from_bytes(data);
    match resolve(arg, dir) {
        Ok(Source::Stdin) => assert_eq!(data, b"-"),
        Ok(Source::File(p)) => {
            assert!(
                p.symlink_metadata().is_ok(),
                "resolved to {} which does not exist",
                p.display()
            );
            assert!(!p.is_dir(), "resolved to the directory {}", p.display());
            let _ = Source::File(p).session_id();
        }
        Err(e) => {
            if let ResolveError::IsDirectory(p) = &e {
                assert!(p.is_dir(), "{} is said to be a directory", p.display());
            }
            let _ = e.to_string();
        }
    }
});
