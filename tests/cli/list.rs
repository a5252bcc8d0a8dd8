//! `agentcli list`.

use serde_json::Value;

use crate::util::{agentcli, json_lines, root, run, snapshot_run, stderr, stdout, trace_files};

#[test]
fn lists_sessions_newest_first() {
    insta::assert_snapshot!(snapshot_run(&["list", "--dir", "fixtures/sessions"]));
}

#[test]
fn verbose_adds_path_agents_and_first_error() {
    insta::assert_snapshot!(snapshot_run(&[
        "list",
        "--verbose",
        "--dir",
        "fixtures/sessions"
    ]));
}

#[test]
fn finds_every_session_recursively_with_its_status() {
    let out = run(&["list", "--dir", "fixtures", "--format", "jsonl"]);
    let rows = json_lines(&stdout(&out));
    assert_eq!(rows.len(), trace_files(&root().join("fixtures")).len());
    let status = |suffix: &str| -> Value {
        rows.iter()
            .find(|r| r["path"].as_str().unwrap().ends_with(suffix))
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(status("framings/go-live.trace.json"), "open");
    for done in ["go-closed", "dump", "compact", "jsonl"] {
        assert_eq!(
            status(&format!("framings/{done}.trace.json")),
            "complete",
            "{done}"
        );
    }
    assert_eq!(status("odd/torn-tail.trace.json"), "torn");
    assert_eq!(status("odd/empty.trace.json"), "empty");
    assert_eq!(status("odd/bracket-only.trace.json"), "open");
    // Damaged files are listed, and the status says so.
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("odd/damaged.trace.json"));
}

#[test]
fn counts_match_the_files() {
    let out = run(&["list", "--dir", "fixtures/framings", "--format", "json"]);
    let rows: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    let text = std::fs::read_to_string(root().join("fixtures/framings/dump.trace.json")).unwrap();
    let entries: Vec<Value> = serde_json::from_str(&text).unwrap();
    let failed_runs = entries.iter().filter(|e| e["hook"] == "AgentError").count();
    for row in &rows {
        assert_eq!(row["entries"], entries.len(), "{}", row["id"]);
        assert_eq!(row["errors"], failed_runs, "{}", row["id"]);
        assert_eq!(row["start"], entries[0]["timestamp"]);
    }
}

#[test]
fn filters_by_failure_agent_and_time() {
    let ids = |args: &[&str]| -> Vec<String> {
        let mut full = vec!["list", "--dir", "fixtures/sessions", "--format", "jsonl"];
        full.extend_from_slice(args);
        json_lines(&stdout(&run(&full)))
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect()
    };
    let all = ids(&[]);
    assert_eq!(all.len(), 5);
    let failed = ids(&["--failed"]);
    assert!(!failed.is_empty() && failed.len() < all.len());
    assert_eq!(ids(&["--agent", "nobody"]), Vec::<String>::new());
    assert_eq!(ids(&["--agent", "planner"]).len(), 5);
    assert_eq!(ids(&["--since", "2025-05-03"]), Vec::<String>::new());
    assert_eq!(ids(&["--until", "2025-05-02"]).len(), 5);
    // Starts: 15:26Z, 15:19Z, 15:11Z, 14:56Z, 14:46Z.
    assert_eq!(ids(&["--since", "2025-05-02T15:00:00Z"]).len(), 3);
    assert_eq!(ids(&["--sort", "entries", "--limit", "2"]).len(), 2);
    let by_id = ids(&["--sort", "id"]);
    let mut sorted = by_id.clone();
    sorted.sort();
    assert_eq!(by_id, sorted);
}

#[test]
fn empty_directory_says_so_and_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let out = agentcli()
        .args(["list", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out), "");
    assert!(stderr(&out).contains("no sessions in"), "{}", stderr(&out));
}

#[test]
fn missing_directory_is_an_error() {
    insta::assert_snapshot!(snapshot_run(&["list", "--dir", "no/such/dir"]));
}

#[test]
fn reads_the_directory_from_agentcli_dir() {
    let out = agentcli()
        .args(["list", "--format", "jsonl"])
        .env("AGENTCLI_DIR", "fixtures/sessions")
        .output()
        .unwrap();
    assert_eq!(json_lines(&stdout(&out)).len(), 5);
}

#[test]
fn csv_has_a_header_and_one_row_per_session() {
    let out = run(&["list", "--dir", "fixtures/sessions", "--format", "csv"]);
    let text = stdout(&out);
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "id,path,size_bytes,status,start,end,duration_ms,entries,agents,errors,first_error,first_error_agent,problems"
    );
    assert_eq!(lines.count(), 5);
}

#[test]
fn rejects_a_time_it_cannot_read() {
    insta::assert_snapshot!(snapshot_run(&["list", "--since", "last tuesday"]));
}

/// Summaries are cached per path, size and modification time: a second
/// run reads them back (same output), a file that grew is read again, and
/// --no-cache neither reads nor writes the cache.
#[test]
fn summaries_are_cached_until_a_file_changes() {
    let dir = tempfile::tempdir().unwrap();
    let traces = dir.path().join("traces");
    std::fs::create_dir(&traces).unwrap();
    for name in ["go-live", "jsonl", "compact"] {
        std::fs::copy(
            root().join(format!("fixtures/framings/{name}.trace.json")),
            traces.join(format!("{name}.trace.json")),
        )
        .unwrap();
    }
    let cache = dir.path().join("cache");
    let list = |extra: &[&str]| {
        let out = agentcli()
            .env("XDG_CACHE_HOME", &cache)
            .args(["list", "--format", "json", "--dir"])
            .arg(&traces)
            .args(extra)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    // One cache file for the directory listed.
    let cache_file = || -> Option<std::path::PathBuf> {
        let mut files = std::fs::read_dir(cache.join("agentcli")).ok()?;
        Some(files.next()?.ok()?.path())
    };

    let uncached = list(&["--no-cache"]);
    assert!(cache_file().is_none(), "--no-cache wrote the cache");
    let first = list(&[]);
    assert_eq!(first, uncached);
    let cache_file = cache_file().expect("a cache file");
    assert!(cache_file
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("list-"));
    // The second run takes every row from the cache: prove it by
    // planting a different entry count for one file in the cache.
    let kept = std::fs::read_to_string(&cache_file).unwrap();
    let planted = kept.replacen("\"entries\":", "\"entries\":9999,\"x\":", 1);
    std::fs::write(&cache_file, &planted).unwrap();
    let second = list(&[]);
    assert!(second.contains("9999"), "the cache was not read: {second}");
    // Appending to a file changes its size: it is read again.
    let live = traces.join("go-live.trace.json");
    let live_entries = |listed: &str| {
        let rows: Value = serde_json::from_str(listed).unwrap();
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["path"].as_str().unwrap().ends_with("go-live.trace.json"))
            .unwrap()["entries"]
            .as_u64()
            .unwrap()
    };
    let before = live_entries(&first);
    let mut text = std::fs::read_to_string(&live).unwrap();
    text.push_str(",\n{\n  \"timestamp\": \"2030-01-01T00:00:00Z\",\n  \"hook\": \"AgentError\",\n  \"agent_id\": \"late\",\n  \"error\": \"boom\"\n}");
    std::fs::write(&live, text).unwrap();
    assert_eq!(live_entries(&list(&[])), before + 1);
}

/// A damaged cache is ignored (and replaced), never an error.
#[test]
fn a_damaged_cache_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let list = || {
        agentcli()
            .env("XDG_CACHE_HOME", dir.path())
            .args(["list", "--format", "json", "--dir", "fixtures/sessions"])
            .output()
            .unwrap()
    };
    assert!(list().status.success());
    let file = std::fs::read_dir(dir.path().join("agentcli"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::write(&file, b"\x00not json").unwrap();
    let out = list();
    assert!(out.status.success(), "{}", stderr(&out));
    let uncached = run(&["list", "--format", "json", "--dir", "fixtures/sessions"]);
    assert_eq!(stdout(&out), stdout(&uncached));
    // Written again: the version line first, then a line a session.
    let rewritten = std::fs::read_to_string(&file).unwrap();
    assert!(rewritten.starts_with('"'), "{rewritten}");
    let sessions = std::fs::read_dir("fixtures/sessions").unwrap().count();
    assert_eq!(rewritten.lines().count(), 1 + sessions);
}
