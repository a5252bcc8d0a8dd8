//! `agentcli stats`.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::util::{agentcli, root, run, snapshot_run, stderr, stdout, trace_files};

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

/// 70 damaged sessions, more than are read side by side at once: every
/// file's problems come out in file order, each file's cut at 20 with how
/// many more there were, as when the files were read one after another.
#[test]
fn problems_of_many_sessions_come_out_in_file_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut want = Vec::new();
    for f in 0..70 {
        let name = format!("s{f:02}.trace.json");
        let problems = if f % 10 == 3 { 25 } else { 1 };
        let mut text = String::new();
        for i in 0..problems {
            text.push_str(&format!(
                "{{\"timestamp\":\"2025-01-01T00:00:{i:02}Z\",\"hook\":\"BeforeAgentRun\",\"agent_id\":\"a\",\"event_id\":\"e{i}\"}}\nGARBAGE{i}\n"
            ));
            if i < 20 {
                want.push(format!("{name}:{}:1:", 2 * i + 2));
            }
        }
        if problems > 20 {
            want.push(format!("{name}: 5 more problems not shown"));
        }
        std::fs::write(dir.path().join(&name), text).unwrap();
    }
    let out = agentcli()
        .current_dir(dir.path())
        .args(["stats", "--dir", "."])
        .output()
        .unwrap();
    let got: Vec<String> = stderr(&out)
        .lines()
        .filter_map(|l| l.strip_prefix("warning: ./"))
        .map(|l| {
            let end = l
                .find(" skipped")
                .or(l.find(" (--debug"))
                .unwrap_or(l.len());
            l[..end].to_string()
        })
        .collect();
    assert_eq!(got, want);
}
