//! `trace --analyze`.

use serde_json::Value;

use crate::util::{root, run, snapshot_run, stdout, trace_files};

#[test]
fn analyzes_a_session_with_a_loop_a_retry_and_an_unfinished_run() {
    insta::assert_snapshot!(snapshot_run(&[
        "trace",
        "--analyze",
        "--width",
        "110",
        "fixtures/odd/loop.trace.json"
    ]));
}

/// Past five loops the summary counts the rest; the JSON lists them all.
#[test]
fn lists_the_first_loops_and_counts_the_others() {
    insta::assert_snapshot!(snapshot_run(&[
        "trace",
        "--analyze",
        "--width",
        "110",
        "fixtures/odd/many-loops.trace.json"
    ]));
    let all = analysis("fixtures/odd/many-loops.trace.json");
    assert_eq!(all["loops"].as_array().map(Vec::len), Some(7));
}

#[test]
fn analyzes_a_generated_session() {
    insta::assert_snapshot!(snapshot_run(&[
        "trace",
        "--analyze",
        "--width",
        "110",
        "--dir",
        "fixtures/sessions",
        "session-4702419103"
    ]));
}

fn analysis(path: &str) -> Value {
    let out = run(&["trace", "--analyze", "--format", "json", path]);
    assert_eq!(out.status.code(), Some(0), "{path}");
    serde_json::from_str(&stdout(&out)).unwrap()
}

/// Per-agent runs, errors, max and p50 (nearest rank) computed straight
/// from the file's entries: every AfterAgentRun or AgentError is a run,
/// its duration `agent_result.duration_ms`.
fn independent(path: &str) -> Vec<(String, u64, u64, f64, f64)> {
    let entries: Vec<Value> = stdout(&run(&["trace", "--format", "jsonl", path]))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut order: Vec<String> = Vec::new();
    let mut per: std::collections::HashMap<String, (u64, u64, Vec<f64>)> = Default::default();
    for e in &entries {
        let hook = e["hook"].as_str().unwrap_or("");
        if hook != "AfterAgentRun" && hook != "AgentError" {
            continue;
        }
        let agent = e["agent"].as_str().unwrap().to_string();
        if !order.contains(&agent) {
            order.push(agent.clone());
        }
        let slot = per.entry(agent).or_default();
        slot.0 += 1;
        if hook == "AgentError" {
            slot.1 += 1;
        }
        slot.2.push(e["duration_ms"].as_f64().unwrap());
    }
    order
        .into_iter()
        .map(|agent| {
            let (runs, errors, mut d) = per.remove(&agent).unwrap();
            d.sort_by(f64::total_cmp);
            let p50 = d[((0.5 * d.len() as f64).ceil() as usize).max(1) - 1];
            (agent, runs, errors, *d.last().unwrap(), p50)
        })
        .collect()
}

#[test]
fn per_agent_figures_match_an_independent_computation_from_every_file() {
    let mut files = trace_files(&root().join("fixtures/sessions"));
    files.extend(trace_files(&root().join("fixtures/framings")));
    for path in files {
        let path = path.to_str().unwrap();
        let a = analysis(path);
        let got: Vec<(String, u64, u64, f64, f64)> = a["per_agent"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["runs"].as_u64().unwrap() > 0)
            .map(|s| {
                (
                    s["agent"].as_str().unwrap().to_string(),
                    s["runs"].as_u64().unwrap(),
                    s["errors"].as_u64().unwrap(),
                    s["max_ms"].as_f64().unwrap(),
                    s["p50_ms"].as_f64().unwrap(),
                )
            })
            .collect();
        assert_eq!(got, independent(path), "{path}");
        assert_eq!(
            a["errors"],
            a["per_agent"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["errors"].as_u64().unwrap())
                .sum::<u64>()
        );
    }
}

#[test]
fn json_has_the_documented_fields() {
    let a = analysis("fixtures/odd/loop.trace.json");
    for key in [
        "session",
        "start",
        "end",
        "wall_ms",
        "entries",
        "events",
        "runs",
        "agents",
        "errors",
        "retries",
        "requeues",
        "unfinished",
        "file",
        "loops",
        "tokens",
        "models",
        "per_agent",
        "critical_path",
        "slowest",
        "first_error",
    ] {
        assert!(a.get(key).is_some(), "missing {key}");
    }
    assert_eq!(a["unfinished"], 1);
    assert_eq!(a["retries"], 1);
    assert_eq!(
        a["loops"][0]["agents"],
        serde_json::json!(["researcher", "writer"])
    );
    assert_eq!(a["loops"][0]["repeats"], 3);
    assert_eq!(a["tokens"]["total"], 415);
    assert_eq!(
        a["models"],
        serde_json::json!(["gpt-4o", "claude", "llama"])
    );
    assert_eq!(a["first_error"]["agent"], "reviewer");
    assert_eq!(a["first_error"]["retried_by"]["status"], "ok");
    let steps = a["critical_path"]["steps"].as_array().unwrap();
    assert_eq!(steps.first().unwrap()["agent"], "planner");
    assert_eq!(steps.last().unwrap()["agent"], "reviewer");
    assert_eq!(a["slowest"].as_array().unwrap().len(), 5);
    let top2 = analysis_top("fixtures/odd/loop.trace.json", "2");
    assert_eq!(top2["slowest"].as_array().unwrap().len(), 2);
}

fn analysis_top(path: &str, top: &str) -> Value {
    serde_json::from_str(&stdout(&run(&[
        "trace",
        "--analyze",
        "--top",
        top,
        "--format",
        "json",
        path,
    ])))
    .unwrap()
}

#[test]
fn parallel_candidates_make_the_critical_path_say_it_is_ambiguous() {
    let a = analysis("fixtures/odd/flow-kinds.trace.json");
    assert_eq!(
        a["critical_path"]["ambiguous"], false,
        "sequential hand-offs are certain"
    );
    // Two researchers route to the writer at nearly the same time.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.trace.json");
    let lines = [
        r#"{"timestamp":"2025-05-02T10:00:00Z","event_id":"a","agent_id":"r1","hook":"BeforeAgentRun"}"#,
        r#"{"timestamp":"2025-05-02T10:00:00.1Z","event_id":"b","agent_id":"r2","hook":"BeforeAgentRun"}"#,
        r#"{"timestamp":"2025-05-02T10:00:01Z","event_id":"a","agent_id":"r1","hook":"AfterAgentRun","agent_result":{"duration_ms":1000,"output_state":{"data":{},"meta":{"route":"w"}}}}"#,
        r#"{"timestamp":"2025-05-02T10:00:01.1Z","event_id":"b","agent_id":"r2","hook":"AfterAgentRun","agent_result":{"duration_ms":1000,"output_state":{"data":{},"meta":{"route":"w"}}}}"#,
        r#"{"timestamp":"2025-05-02T10:00:02Z","event_id":"c","agent_id":"w","hook":"BeforeAgentRun"}"#,
        r#"{"timestamp":"2025-05-02T10:00:03Z","event_id":"c","agent_id":"w","hook":"AfterAgentRun","agent_result":{"duration_ms":1000,"output_state":{"data":{},"meta":{}}}}"#,
    ];
    std::fs::write(&path, lines.join("\n")).unwrap();
    let a = analysis(path.to_str().unwrap());
    assert_eq!(
        a["critical_path"]["ambiguous"], true,
        "{}",
        a["critical_path"]
    );
    let text = stdout(&run(&["trace", "--analyze", path.to_str().unwrap()]));
    assert!(text.contains("ambiguous"), "{text}");
}

#[test]
fn analyze_refuses_formats_it_does_not_write() {
    let out = run(&[
        "trace",
        "--analyze",
        "--format",
        "csv",
        "fixtures/odd/loop.trace.json",
    ]);
    assert_eq!(out.status.code(), Some(2));
}
