//! `agentcli diff`.

use serde_json::Value;

use crate::util::{agentcli, json_lines, root, run, snapshot_run, stdout, trace_files};

fn diff_json(a: &str, b: &str) -> Value {
    let out = run(&["diff", "--format", "json", a, b]);
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&stdout(&out)).unwrap()
}

fn hops(path: &str) -> Vec<(String, Option<String>, String)> {
    json_lines(&stdout(&run(&[
        "trace",
        "--flow-only",
        "--format",
        "jsonl",
        path,
    ])))
    .iter()
    .map(|h| {
        (
            h["agent"].as_str().unwrap().to_string(),
            h["next"].as_str().map(str::to_string),
            h["kind"].as_str().unwrap().to_string(),
        )
    })
    .collect()
}

#[test]
fn a_session_against_itself_has_no_divergence() {
    for path in trace_files(&root().join("fixtures/sessions")) {
        let p = path.to_str().unwrap();
        let d = diff_json(p, p);
        assert_eq!(d["same_route"], true, "{p}");
        assert_eq!(d["divergence"], Value::Null);
        assert_eq!(d["wall_delta_ms"], 0.0);
        assert!(d["agents_added"].as_array().unwrap().is_empty());
        assert!(d["errors_appeared"].as_array().unwrap().is_empty());
    }
}

#[test]
fn reports_the_true_first_divergence_between_different_sessions() {
    let files = trace_files(&root().join("fixtures/sessions"));
    for a in &files {
        for b in &files {
            if a == b {
                continue;
            }
            let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
            let (ha, hb) = (hops(a), hops(b));
            let first = ha.iter().zip(&hb).take_while(|(x, y)| x == y).count();
            let d = diff_json(a, b);
            assert_eq!(d["divergence"]["at_hop"], first as u64 + 1, "{a} vs {b}");
            let side =
                |h: &Vec<(String, Option<String>, String)>| h.get(first).map(|x| x.0.clone());
            assert_eq!(
                d["divergence"]["a"]["agent"].as_str().map(str::to_string),
                side(&ha)
            );
            assert_eq!(
                d["divergence"]["b"]["agent"].as_str().map(str::to_string),
                side(&hb)
            );
        }
    }
}

/// flow-kinds with the writer's hand-off sent to a new agent instead.
fn changed_copy(dir: &std::path::Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(root().join("fixtures/odd/flow-kinds.trace.json")).unwrap();
    let changed = text.replacen("\"route\": \"summarizer\"", "\"route\": \"critic\"", 1);
    assert_ne!(text, changed);
    let path = dir.join("changed.trace.json");
    std::fs::write(&path, changed).unwrap();
    path
}

#[test]
fn names_the_hop_where_a_crafted_change_diverges() {
    let dir = tempfile::tempdir().unwrap();
    let b = changed_copy(dir.path());
    let d = diff_json("fixtures/odd/flow-kinds.trace.json", b.to_str().unwrap());
    assert_eq!(d["divergence"]["at_hop"], 7);
    assert_eq!(d["divergence"]["a"]["next"], "summarizer");
    assert_eq!(d["divergence"]["b"]["next"], "critic");
    assert_eq!(d["divergence"]["after"]["agent"], "reviewer");
}

#[test]
fn shows_added_agents_and_errors_for_people() {
    insta::assert_snapshot!(snapshot_run(&[
        "diff",
        "--width",
        "100",
        "--dir",
        "fixtures/sessions",
        "session-4702419103",
        "session-5082940073"
    ]));
}

#[test]
fn fails_on_regression_for_ci() {
    let a = "fixtures/sessions/session-4702419103.trace.json";
    let b = "fixtures/sessions/session-5082940073.trace.json"; // 42% slower
    let out = agentcli()
        .args(["diff", "--fail-on-regression", "50", a, b])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let out = agentcli()
        .args(["diff", "--fail-on-regression", "10", a, b])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("42.2% slower"));
    let out = agentcli()
        .args(["diff", "--fail-on-regression", "10", b, a])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "faster is no regression");
}
