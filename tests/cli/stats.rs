//! `agentcli stats`.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::util::{root, run, snapshot_run, stdout, trace_files};

#[test]
fn adds_up_the_analyses_of_every_session() {
    let mut expected: BTreeMap<String, (u64, u64, f64, u64)> = BTreeMap::new();
    for path in trace_files(&root().join("fixtures/sessions")) {
        let a: Value = serde_json::from_str(&stdout(&run(&[
            "trace",
            "--analyze",
            "--format",
            "json",
            path.to_str().unwrap(),
        ])))
        .unwrap();
        for s in a["per_agent"].as_array().unwrap() {
            let slot = expected
                .entry(s["agent"].as_str().unwrap().to_string())
                .or_default();
            slot.0 += s["runs"].as_u64().unwrap();
            slot.1 += s["errors"].as_u64().unwrap();
            slot.2 = slot.2.max(s["max_ms"].as_f64().unwrap_or(0.0));
            slot.3 += 1;
        }
    }
    let rows: Vec<Value> = serde_json::from_str(&stdout(&run(&[
        "stats",
        "--dir",
        "fixtures/sessions",
        "--format",
        "json",
    ])))
    .unwrap();
    let got: BTreeMap<String, (u64, u64, f64, u64)> = rows
        .iter()
        .map(|r| {
            (
                r["agent"].as_str().unwrap().to_string(),
                (
                    r["runs"].as_u64().unwrap(),
                    r["errors"].as_u64().unwrap(),
                    r["max_ms"].as_f64().unwrap(),
                    r["sessions"].as_u64().unwrap(),
                ),
            )
        })
        .collect();
    assert_eq!(got, expected);
}

#[test]
fn shows_a_table_and_keeps_only_the_agents_asked_for() {
    insta::assert_snapshot!(snapshot_run(&["stats", "--dir", "fixtures/sessions"]));
    let csv = stdout(&run(&[
        "stats",
        "--dir",
        "fixtures/sessions",
        "--agent",
        "writer",
        "--format",
        "csv",
    ]));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines[1].starts_with("writer,"));
    let none = run(&[
        "stats",
        "--dir",
        "fixtures/sessions",
        "--since",
        "2099-01-01",
    ]);
    assert_eq!(none.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&none.stderr).contains("no sessions match"));
}
