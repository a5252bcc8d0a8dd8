//! `agentcli validate`.

use serde_json::Value;

use crate::util::{agentcli, run, snapshot_run, stdout};

#[test]
fn clean_files_in_every_closed_framing_pass() {
    for framing in ["go-closed", "dump", "compact", "jsonl"] {
        let path = format!("fixtures/framings/{framing}.trace.json");
        let out = run(&["validate", &path]);
        assert_eq!(out.status.code(), Some(0), "{framing}: {}", stdout(&out));
        assert_eq!(stdout(&out), "1 file checked, no defects\n");
    }
}

#[test]
fn reports_every_defect_of_the_odd_fixtures() {
    insta::assert_snapshot!(snapshot_run(&["validate", "fixtures/odd"]));
}

/// The defect kinds `validate` finds in `text`.
fn kinds(text: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.trace.json");
    std::fs::write(&path, text).unwrap();
    let out = agentcli()
        .args(["validate", "--format", "json"])
        .arg(&path)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let found: Vec<String> = v[0]["defects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        out.status.code(),
        Some(if found.is_empty() { 0 } else { 1 })
    );
    found
}

const B: &str = r#"{"timestamp":"2025-05-02T10:00:00Z","event_id":"e","session_id":"s","agent_id":"a","hook":"BeforeAgentRun"}"#;
const A: &str = r#"{"timestamp":"2025-05-02T10:00:01Z","event_id":"e","session_id":"s","agent_id":"a","hook":"AfterAgentRun"}"#;

#[test]
fn finds_each_defect_with_its_kind() {
    let cases: Vec<(String, &[&str])> = vec![
        (format!("[{B},{A}]"), &[]),
        (format!("[{B},{A}"), &["not-closed"]),
        (format!("[{B},{A},{{\"timest"), &["torn-last-entry"]),
        (
            format!("[{B},{A}],\n{B},{A}"),
            &["entries-after-close", "not-closed"],
        ),
        (
            format!("[{B},{{\"hook\": nope}},{A}]"),
            &["unparseable-entry"],
        ),
        (format!("[{B},{A}, garbage ]"), &["stray-bytes"]),
        (format!("[{B}]"), &["before-without-after"]),
        (format!("[{A}]"), &["after-without-before"]),
        (
            format!("[{B},{}]", A.replace("\"s\"", "\"other\"")),
            &["mixed-session-ids"],
        ),
        (
            format!("[{},{A}]", B.replace(",\"session_id\":\"s\"", "")),
            &["missing-session-id"],
        ),
        (
            format!("[{B},{A},{}]", A.replace("AfterAgentRun", "OnToolCall")),
            &["unknown-hook"],
        ),
        (
            format!(
                "[{B},{A},{}]",
                B.replace("10:00:00Z", "09:59:00Z")
                    .replace("\"e\"", "\"f\"")
                    .replace("BeforeAgentRun", "OnToolCall")
            ),
            &["time-goes-back", "unknown-hook"],
        ),
        ("[]".to_string(), &["no-entries"]),
        (
            format!(
                "[{B},{}]",
                A.replace("\"agent_id\":\"a\"", "\"agent_id\":7")
            ),
            &["bad-field", "before-without-after"],
        ),
    ];
    for (text, expected) in cases {
        let mut found = kinds(&text);
        found.sort();
        let mut expected: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
        expected.sort();
        assert_eq!(found, expected, "{text}");
    }
}

#[test]
fn tolerance_lets_parallel_agents_interleave() {
    let late = B
        .replace("10:00:00Z", "10:00:00.5Z")
        .replace("\"e\"", "\"f\"")
        .replace("BeforeAgentRun", "OnToolCall");
    let text = format!("[{A},{late}]");
    assert!(!kinds(&text).contains(&"time-goes-back".to_string()));
}

#[test]
fn validates_every_session_under_the_directory() {
    let out = run(&["validate", "--dir", "fixtures/framings"]);
    assert_eq!(out.status.code(), Some(1), "go-live is not closed");
    let text = stdout(&out);
    assert!(
        text.contains("go-live.trace.json") && text.contains("not-closed"),
        "{text}"
    );
    assert!(text.ends_with("1 defect in 1 of 5 files\n"), "{text}");
}
