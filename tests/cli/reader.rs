//! The reader through the binary: every framing, damaged files, stdin.

use serde_json::Value;

use crate::util::{fixture, json_lines, run, run_with_stdin, snapshot_run, stderr, stdout};

const FRAMINGS: [&str; 5] = ["go-live", "go-closed", "dump", "compact", "jsonl"];

fn jsonl_of(path: &str) -> Vec<Value> {
    let out = run(&["trace", "--format", "jsonl", path]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    json_lines(&stdout(&out))
}

#[test]
fn every_framing_yields_the_same_entries() {
    let reference = jsonl_of("fixtures/framings/go-closed.trace.json");
    assert!(reference.len() > 20);
    for framing in FRAMINGS {
        let entries = jsonl_of(&format!("fixtures/framings/{framing}.trace.json"));
        assert_eq!(entries, reference, "{framing} differs from go-closed");
    }
}

#[test]
fn export_matches_an_independent_read_of_the_file() {
    let text = std::fs::read_to_string(fixture("framings/dump.trace.json")).unwrap();
    let expected: Vec<Value> = serde_json::from_str(&text).unwrap();
    let got = jsonl_of("fixtures/framings/dump.trace.json");
    assert_eq!(got.len(), expected.len());
    for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
        assert_eq!(g["index"], (i + 1) as u64);
        assert_eq!(g["timestamp"], e["timestamp"]);
        assert_eq!(g["hook"], e["hook"]);
        assert_eq!(g["event_id"], e["event_id"]);
        assert_eq!(g["session_id"], e["session_id"]);
        assert_eq!(g["agent"], *e.get("agent_id").unwrap_or(&Value::Null));
        assert_eq!(
            g["target"],
            *e.get("target_agent_id").unwrap_or(&Value::Null)
        );
        assert_eq!(
            g["source"],
            *e.get("source_agent_id").unwrap_or(&Value::Null)
        );
        assert_eq!(g["state"], *e.get("state").unwrap_or(&Value::Null));
        assert_eq!(
            g["agent_result"],
            *e.get("agent_result").unwrap_or(&Value::Null)
        );
        let route = e
            .pointer("/agent_result/output_state/meta/route")
            .or_else(|| e.pointer("/state/meta/route"))
            .cloned()
            .unwrap_or(Value::Null);
        assert_eq!(g["route"], route, "entry {}", i + 1);
        let error = e
            .get("error")
            .or_else(|| e.pointer("/agent_result/error"))
            .cloned()
            .unwrap_or(Value::Null);
        assert_eq!(g["error"], error, "entry {}", i + 1);
    }
}

#[test]
fn reads_stdin_like_a_file() {
    let bytes = std::fs::read(fixture("framings/go-live.trace.json")).unwrap();
    let out = run_with_stdin(&["trace", "--format", "jsonl", "-"], bytes);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        json_lines(&stdout(&out)),
        jsonl_of("fixtures/framings/go-live.trace.json")
    );
}

#[test]
fn byte_order_mark_and_crlf_read_cleanly() {
    let out = run(&[
        "trace",
        "--format",
        "jsonl",
        "fixtures/odd/bom-crlf.trace.json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stderr(&out), "");
    assert_eq!(json_lines(&stdout(&out)).len(), 8);
}

#[test]
fn torn_last_entry_is_skipped_with_a_warning_and_status_zero() {
    let out = run(&[
        "trace",
        "--format",
        "jsonl",
        "fixtures/odd/torn-tail.trace.json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json_lines(&stdout(&out)).len(), 8);
    assert!(stderr(&out)
        .starts_with("warning: fixtures/odd/torn-tail.trace.json:159:1: last entry is incomplete"));
}

#[test]
fn damaged_file_keeps_every_complete_entry_and_exits_one() {
    let out = run(&[
        "trace",
        "--format",
        "jsonl",
        "fixtures/odd/damaged.trace.json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let entries = json_lines(&stdout(&out));
    // 10 entries written: one not valid JSON, one cut off; the wrong-typed
    // field, the invalid UTF-8 and the raw control character cost nothing.
    assert_eq!(entries.len(), 8);
    assert_eq!(entries[1]["agent"], Value::Null);
    assert_eq!(entries[1]["extra"]["agent_id"], 42);
    let warnings: Vec<String> = stderr(&out).lines().map(str::to_string).collect();
    assert_eq!(warnings.len(), 6, "{warnings:#?}");
    for w in &warnings {
        let rest = w
            .strip_prefix("warning: fixtures/odd/damaged.trace.json:")
            .expect(w);
        let mut parts = rest.splitn(3, ':');
        assert!(parts.next().unwrap().parse::<u32>().is_ok(), "{w}");
        assert!(parts.next().unwrap().parse::<u32>().is_ok(), "{w}");
    }
}

#[test]
fn odd_files_render_as_expected() {
    for name in [
        "bom-crlf",
        "bracket-only",
        "continued-after-close",
        "damaged",
        "deep-nesting",
        "empty",
        "hostile",
        "legacy-types",
        "parallel-out-of-order",
        "single-object",
        "torn-tail",
        "unknown-hooks-and-keys",
        "zero-times",
    ] {
        let path = format!("fixtures/odd/{name}.trace.json");
        insta::assert_snapshot!(
            format!("odd_{name}"),
            snapshot_run(&["trace", "--width", "110", &path])
        );
    }
}

#[test]
fn legacy_type_field_gives_the_hook() {
    let entries = jsonl_of("fixtures/odd/legacy-types.trace.json");
    let hooks: Vec<&str> = entries
        .iter()
        .map(|e| e["hook"].as_str().unwrap())
        .collect();
    assert_eq!(
        hooks,
        [
            "BeforeEventHandling",
            "BeforeAgentRun",
            "AgentError",
            "AfterEventHandling"
        ]
    );
}

#[test]
fn go_zero_time_is_never_shown_as_a_time() {
    let out = run(&["trace", "fixtures/odd/zero-times.trace.json"]);
    let text = stdout(&out);
    assert!(!text.contains("0001"), "{text}");
    assert!(!text.contains("00:00:00.000"), "{text}");
}

#[test]
fn entries_after_a_closing_bracket_are_read_and_noted() {
    let out = run(&["trace", "fixtures/odd/continued-after-close.trace.json"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("2 entries after a closing ']'"));
    assert_eq!(
        jsonl_of("fixtures/odd/continued-after-close.trace.json").len(),
        6
    );
}
