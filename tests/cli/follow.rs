//! `--follow`: a file written while agentcli reads it. The tests write from
//! the test process and read agentcli's output as it comes.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{root, run};

/// How long a test waits for output it expects.
const PATIENCE: Duration = Duration::from_secs(20);

/// A running `agentcli … --follow …` and its output, line by line.
struct Follower {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
    errors: Receiver<String>,
    stderr_seen: Vec<String>,
}

impl Follower {
    fn start(args: &[&str]) -> Follower {
        Follower::start_in(&root(), args)
    }

    fn start_in(cwd: &Path, args: &[&str]) -> Follower {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("agentcli"))
            .args(args)
            .env_clear()
            .env("TZ", "UTC")
            .current_dir(cwd)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("agentcli starts");
        let lines = read_lines(child.stdout.take().unwrap());
        let errors = read_lines(child.stderr.take().unwrap());
        Follower {
            child,
            lines,
            seen: Vec::new(),
            errors,
            stderr_seen: Vec::new(),
        }
    }

    /// Waits until a line of stderr contains `text`.
    fn wait_for_stderr(&mut self, text: &str) {
        let deadline = Instant::now() + PATIENCE;
        while !self.stderr_seen.iter().any(|l| l.contains(text)) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.errors.recv_timeout(left) {
                Ok(line) => self.stderr_seen.push(line),
                Err(_) => panic!(
                    "waited for {text:?} on stderr:\n{}",
                    self.stderr_seen.join("\n")
                ),
            }
        }
    }

    /// Waits until `n` lines have come (all of them so far are returned).
    fn wait_for_lines(&mut self, n: usize) -> &[String] {
        let deadline = Instant::now() + PATIENCE;
        while self.seen.len() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(_) => panic!(
                    "waited for {n} lines, got {}:\n{}",
                    self.seen.len(),
                    self.seen.join("\n")
                ),
            }
        }
        &self.seen
    }

    /// Sends SIGINT (Ctrl-C) and returns the exit status, stderr and any
    /// lines that came after the last wait.
    fn interrupt(mut self) -> (Option<i32>, String, Vec<String>) {
        let pid = self.child.id().to_string();
        let status = Command::new("kill").args(["-INT", &pid]).status().unwrap();
        assert!(status.success());
        let status = self.child.wait().unwrap();
        let mut rest = Vec::new();
        while let Ok(line) = self.lines.recv_timeout(Duration::from_millis(200)) {
            rest.push(line);
        }
        let mut stderr = self.stderr_seen;
        while let Ok(line) = self.errors.recv_timeout(Duration::from_millis(200)) {
            stderr.push(line);
        }
        (status.code(), stderr.join("\n"), rest)
    }
}

fn read_lines(stream: impl std::io::Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

/// A trace entry as AgenticGoKit writes it (pretty, two-space indent).
fn entry(session: &str, i: usize) -> String {
    let e = serde_json::json!({
        "timestamp": format!("2025-05-02T10:{:02}:{:02}.{:03}Z", i / 60000 % 60, i / 1000 % 60, i % 1000),
        "type": "",
        "event_id": format!("{session}-e{i}"),
        "session_id": session,
        "agent_id": "planner",
        "hook": "AfterAgentRun",
        "agent_result": {"duration_ms": i, "output_state": {"data": {"i": i, "text": "naïve 数据 \u{1F680}"}, "meta": {"route": "writer"}}}
    });
    serde_json::to_string_pretty(&e).unwrap()
}

/// Appends entries the way the Go file logger does.
struct Writer {
    path: PathBuf,
    count: usize,
}

impl Writer {
    fn new(path: &Path) -> Writer {
        Writer {
            path: path.to_path_buf(),
            count: 0,
        }
    }

    fn append(&self, bytes: &[u8]) {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .unwrap();
        f.write_all(bytes).unwrap();
        f.flush().unwrap();
    }

    /// The bytes of the next entry, with its separator.
    fn next_bytes(&mut self, session: &str, i: usize) -> Vec<u8> {
        let text = if self.count == 0 {
            format!("[\n{}\n", entry(session, i))
        } else {
            format!(",\n{}\n", entry(session, i))
        };
        self.count += 1;
        text.into_bytes()
    }

    fn write_entry(&mut self, session: &str, i: usize) {
        let bytes = self.next_bytes(session, i);
        self.append(&bytes);
    }

    /// Starts the file over (the next entry opens a new array).
    fn reset(&mut self) {
        self.count = 0;
    }
}

fn durations(lines: &[String]) -> Vec<u64> {
    lines
        .iter()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
            v["duration_ms"].as_u64().unwrap()
        })
        .collect()
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn follows_torn_writes_split_at_every_byte_of_an_entry_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("live.trace.json");
    let mut writer = Writer::new(&path);
    writer.write_entry("live", 0);
    let mut f = Follower::start(&["trace", "--follow", "--format", "jsonl", path_str(&path)]);
    f.wait_for_lines(1);
    let template_len = writer.next_bytes("live", 1).len();
    writer.count -= 1;
    // Entry i is torn after i bytes: every byte position of an entry.
    let total = template_len.min(400);
    for i in 1..=total {
        let bytes = writer.next_bytes("live", i);
        let cut = i.min(bytes.len() - 1);
        writer.append(&bytes[..cut]);
        if i % 16 == 0 {
            // Let the follower see some of the halves on their own.
            std::thread::sleep(Duration::from_millis(15));
        }
        writer.append(&bytes[cut..]);
    }
    let lines = f.wait_for_lines(total + 1).to_vec();
    let (status, stderr, rest) = f.interrupt();
    assert_eq!(status, Some(0), "{stderr}");
    assert!(rest.is_empty(), "nothing shown twice: {rest:?}");
    assert_eq!(durations(&lines), (0..=total as u64).collect::<Vec<_>>());
    assert!(!stderr.contains("warning"), "{stderr}");
}

#[test]
fn follows_truncation_delete_recreate_and_rename_replace() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("live.trace.json");
    let mut f = Follower::start(&[
        "trace",
        "--follow",
        "--format",
        "jsonl",
        "--poll-interval",
        "200ms",
        path_str(&path),
    ]);
    let mut writer = Writer::new(&path);
    let mut expected = Vec::new();
    let mut next = 0;
    let mut burst = |writer: &mut Writer, n: usize, expected: &mut Vec<u64>| {
        for _ in 0..n {
            writer.write_entry("live", next);
            expected.push(next as u64);
            next += 1;
        }
    };
    burst(&mut writer, 30, &mut expected);
    f.wait_for_lines(expected.len());
    // Truncated and written again: the follower starts the file over.
    std::fs::write(&path, b"").unwrap();
    writer.reset();
    burst(&mut writer, 10, &mut expected);
    f.wait_for_lines(expected.len());
    // Deleted and re-created.
    std::fs::remove_file(&path).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    writer.reset();
    burst(&mut writer, 7, &mut expected);
    f.wait_for_lines(expected.len());
    // Replaced by a rename.
    let other = dir.path().join("next.tmp");
    let mut replacement = Writer::new(&other);
    burst(&mut replacement, 5, &mut expected);
    std::fs::rename(&other, &path).unwrap();
    writer.reset();
    writer.count = replacement.count;
    f.wait_for_lines(expected.len());
    burst(&mut writer, 3, &mut expected);
    let lines = f.wait_for_lines(expected.len()).to_vec();
    let (status, stderr, rest) = f.interrupt();
    assert_eq!(status, Some(0));
    assert!(rest.is_empty(), "nothing shown twice: {rest:?}");
    assert_eq!(durations(&lines), expected);
    for said in ["waiting for", "truncated", "removed", "replaced"] {
        assert!(stderr.contains(said), "stderr says {said}: {stderr}");
    }
}

#[test]
fn waits_for_a_session_that_does_not_exist_yet_saying_so_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = Follower::start(&[
        "trace",
        "--follow",
        "--format",
        "jsonl",
        "--poll-interval",
        "50ms",
        "--dir",
        path_str(dir.path()),
        "later",
    ]);
    f.wait_for_stderr("waiting for");
    std::thread::sleep(Duration::from_millis(200));
    let mut writer = Writer::new(&dir.path().join("later.trace.json"));
    writer.write_entry("later", 1);
    f.wait_for_lines(1);
    let (status, stderr, _) = f.interrupt();
    assert_eq!(status, Some(0));
    assert_eq!(stderr.matches("waiting for").count(), 1, "{stderr}");
}

#[test]
fn follows_stdin_until_it_ends() {
    let mut f = Follower::start(&["trace", "--follow", "--format", "jsonl", "-"]);
    let mut stdin = f.child.stdin.take().unwrap();
    let mut writer = Writer::new(Path::new("/dev/null"));
    for i in 0..20 {
        let bytes = writer.next_bytes("pipe", i);
        let (a, b) = bytes.split_at(bytes.len() / 2);
        stdin.write_all(a).unwrap();
        stdin.flush().unwrap();
        if i == 10 {
            // Shown before the stream ends.
            f.wait_for_lines(10);
        }
        stdin.write_all(b).unwrap();
    }
    drop(stdin);
    let status = f.child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    let mut lines = f.seen.clone();
    while let Ok(l) = f.lines.recv_timeout(Duration::from_secs(2)) {
        lines.push(l);
    }
    assert_eq!(durations(&lines), (0..20).collect::<Vec<_>>());
}

#[test]
fn ctrl_c_ends_a_table_follow_with_status_zero() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.trace.json");
    let mut writer = Writer::new(&path);
    writer.write_entry("t", 0);
    let mut f = Follower::start(&["trace", "--follow", "--width", "100", path_str(&path)]);
    f.wait_for_lines(2); // header and the first row
    writer.write_entry("t", 1);
    let lines = f.wait_for_lines(3).to_vec();
    let (status, stderr, _) = f.interrupt();
    assert_eq!(status, Some(0), "{stderr}");
    assert!(lines[0].starts_with("#"), "{lines:?}");
    assert!(lines[2].starts_with("2 "), "{lines:?}");
    assert!(lines.iter().all(|l| l.chars().count() <= 100));
}

#[test]
fn follows_five_sessions_written_at_once_in_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("traces")).unwrap();
    let mut f = Follower::start(&[
        "trace",
        "--follow",
        "--format",
        "jsonl",
        "--dir",
        path_str(dir.path()),
    ]);
    // Files there before agentcli looked are followed from their end.
    f.wait_for_stderr("following 0 sessions");
    let per_session = 60;
    let writers: Vec<_> = (0..5)
        .map(|s| {
            let path = dir.path().join("traces").join(format!("s{s}.trace.json"));
            std::thread::spawn(move || {
                let mut w = Writer::new(&path);
                let id = format!("s{s}");
                for i in 0..per_session {
                    let bytes = w.next_bytes(&id, i);
                    let (a, b) = bytes.split_at(bytes.len() / 3);
                    w.append(a);
                    std::thread::sleep(Duration::from_millis(2));
                    w.append(b);
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    let lines = f.wait_for_lines(5 * per_session).to_vec();
    let (status, stderr, rest) = f.interrupt();
    assert_eq!(status, Some(0), "{stderr}");
    assert!(rest.is_empty(), "nothing shown twice: {rest:?}");
    for s in 0..5 {
        let id = format!("s{s}");
        let seen: Vec<u64> = lines
            .iter()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|v| v["session_id"] == id.as_str())
            .map(|v| v["duration_ms"].as_u64().unwrap())
            .collect();
        assert_eq!(seen, (0..per_session as u64).collect::<Vec<_>>(), "{id}");
    }
}

#[test]
fn follow_refuses_formats_that_need_the_whole_session() {
    let out = run(&[
        "trace",
        "--follow",
        "--format",
        "json",
        "fixtures/odd/legacy-types.trace.json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--format jsonl"));
}

#[test]
fn follows_the_flow_hop_by_hop() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flow.trace.json");
    let mut writer = Writer::new(&path);
    let mut f = Follower::start(&[
        "trace",
        "--follow",
        "--flow-only",
        "--format",
        "jsonl",
        path_str(&path),
    ]);
    for i in 0..5 {
        writer.write_entry("flow", i);
    }
    let hops: Vec<Value> = f
        .wait_for_lines(5)
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (status, _, _) = f.interrupt();
    assert_eq!(status, Some(0));
    assert!(hops
        .iter()
        .all(|h| h["agent"] == "planner" && h["next"] == "writer" && h["kind"] == "handoff"));
}

#[test]
fn directory_follow_with_a_relative_dir_shows_each_new_entry_once_and_no_old_ones() {
    let cwd = tempfile::tempdir().unwrap();
    std::fs::create_dir(cwd.path().join("live")).unwrap();
    let mut old = Writer::new(&cwd.path().join("live/old.trace.json"));
    for i in 0..5 {
        old.write_entry("old", i);
    }
    let mut f = Follower::start_in(
        cwd.path(),
        &[
            "trace",
            "--follow",
            "--format",
            "jsonl",
            "--poll-interval",
            "200ms",
            "--dir",
            "live",
        ],
    );
    f.wait_for_stderr("following 1 session");
    let mut new = Writer::new(&cwd.path().join("live/new.trace.json"));
    for i in 0..8 {
        new.write_entry("new", i);
    }
    let lines = f.wait_for_lines(8).to_vec();
    // Past a few poll intervals: a rescan must not show anything again.
    std::thread::sleep(Duration::from_millis(800));
    let (status, stderr, rest) = f.interrupt();
    assert_eq!(status, Some(0), "{stderr}");
    assert!(rest.is_empty(), "shown again: {rest:?}");
    assert_eq!(durations(&lines), (0..8).collect::<Vec<_>>());
}

#[test]
fn waits_for_a_path_that_does_not_exist_yet() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("soon.trace.json");
    let mut f = Follower::start(&["trace", "--follow", "--format", "jsonl", path_str(&path)]);
    f.wait_for_stderr("waiting for");
    Writer::new(&path).write_entry("soon", 1);
    f.wait_for_lines(1);
    let (status, _, _) = f.interrupt();
    assert_eq!(status, Some(0));
}
