//! `trace --flow-only` and the diagram formats.

use std::process::Command;

use serde_json::Value;

use crate::util::{fixture, json_lines, root, run, snapshot_run, stderr, stdout, trace_files};

#[test]
fn shows_every_section_of_the_flow() {
    insta::assert_snapshot!(snapshot_run(&[
        "trace",
        "--flow-only",
        "--width",
        "110",
        "fixtures/odd/flow-kinds.trace.json"
    ]));
}

#[test]
fn shows_the_flow_of_a_generated_session() {
    insta::assert_snapshot!(snapshot_run(&[
        "trace",
        "--flow-only",
        "--width",
        "100",
        "--dir",
        "fixtures/sessions",
        "session-4702419103"
    ]));
}

#[test]
fn lane_diagram_letters_many_agents_and_stays_within_80_columns() {
    let out = run(&[
        "trace",
        "--flow-only",
        "--width",
        "80",
        "fixtures/odd/many-agents.trace.json",
    ]);
    let text = stdout(&out);
    let lanes = &text[text.find("Lane diagram:").unwrap()..];
    assert!(
        lanes.contains("lanes are lettered to fit 80 columns"),
        "{lanes}"
    );
    for line in lanes.lines() {
        assert!(
            line.chars().count() <= 80,
            "{} columns: {line}",
            line.chars().count()
        );
    }
    insta::assert_snapshot!(lanes);
}

#[test]
fn every_line_fits_80_columns() {
    for file in [
        "fixtures/odd/flow-kinds.trace.json",
        "fixtures/framings/go-live.trace.json",
    ] {
        let text = stdout(&run(&["trace", "--flow-only", "--width", "80", file]));
        for line in text.lines().skip(1) {
            assert!(
                line.chars().count() <= 80,
                "{file}: {} columns: {line}",
                line.chars().count()
            );
        }
    }
}

/// A hop as (agent, next, kind).
type Hop = (String, Option<String>, String);

/// The hops an independent reading finds in a trace file: for every
/// AfterAgentRun or AgentError, the agent and `meta.route` of the output
/// state (else of the state), in time order. The entries come from the
/// JSON-lines export (checked against the files in reader.rs), which gives
/// the file's content whatever its framing.
fn expected_hops(path: &std::path::Path) -> Vec<Hop> {
    let out = run(&["trace", "--format", "jsonl", path.to_str().unwrap()]);
    let mut hops: Vec<(String, usize, Hop)> = Vec::new();
    for (i, e) in json_lines(&stdout(&out)).iter().enumerate() {
        let hook = e["hook"].as_str().unwrap_or("");
        if hook != "AfterAgentRun" && hook != "AgentError" {
            continue;
        }
        let route = e
            .pointer("/agent_result/output_state/meta/route")
            .or_else(|| e.pointer("/state/meta/route"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let agent = e["agent"].as_str().unwrap().to_string();
        let kind = match (&route, hook == "AgentError" || e["error"].is_string()) {
            (Some(r), true) if *r == agent => "retry",
            (Some(r), false) if *r == agent => "requeue",
            (Some(_), _) => "handoff",
            (None, true) => "error",
            (None, false) => "end",
        };
        hops.push((
            e["timestamp"].as_str().unwrap().to_string(),
            i,
            (agent, route, kind.to_string()),
        ));
    }
    hops.sort_by(|a, b| {
        let t = |s: &str| chrono_free_instant(s);
        t(&a.0).partial_cmp(&t(&b.0)).unwrap().then(a.1.cmp(&b.1))
    });
    hops.into_iter().map(|h| h.2).collect()
}

/// Seconds since the epoch of an RFC 3339 time, good enough to order the
/// fixtures (which all fall on 2025-05-02).
fn chrono_free_instant(t: &str) -> f64 {
    let (date_time, offset) = match t.rfind(['+', 'Z']).filter(|&i| i > 10) {
        Some(i) if t.as_bytes()[i] == b'Z' => (&t[..i], 0.0),
        Some(i) => {
            let (h, m) = (&t[i + 1..i + 3], &t[i + 4..i + 6]);
            (
                &t[..i],
                h.parse::<f64>().unwrap() * 3600.0 + m.parse::<f64>().unwrap() * 60.0,
            )
        }
        None => {
            let i = t.rfind('-').unwrap();
            let (h, m) = (&t[i + 1..i + 3], &t[i + 4..i + 6]);
            (
                &t[..i],
                -(h.parse::<f64>().unwrap() * 3600.0 + m.parse::<f64>().unwrap() * 60.0),
            )
        }
    };
    let time = &date_time[11..];
    let mut parts = time.split(':');
    let h: f64 = parts.next().unwrap().parse().unwrap();
    let m: f64 = parts.next().unwrap().parse().unwrap();
    let s: f64 = parts.next().unwrap().parse().unwrap();
    let day: f64 = date_time[8..10].parse().unwrap();
    day * 86400.0 + h * 3600.0 + m * 60.0 + s - offset
}

#[test]
fn hops_match_the_routes_recorded_in_every_fixture() {
    let mut checked = 0;
    for path in trace_files(&root().join("fixtures")) {
        let name = path.to_string_lossy().to_string();
        if name.contains("/odd/") && !name.contains("flow-kinds") && !name.contains("many-agents") {
            continue; // odd files are about the reader; their flow is covered above
        }
        let out = run(&["trace", "--flow-only", "--format", "jsonl", &name]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", stderr(&out));
        let got: Vec<Hop> = json_lines(&stdout(&out))
            .iter()
            .map(|h| {
                (
                    h["agent"].as_str().unwrap().to_string(),
                    h["next"].as_str().map(str::to_string),
                    h["kind"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let mut expected = expected_hops(&path);
        if name.contains("flow-kinds") {
            // The older writer's AfterEventHandling route is a hop too.
            expected.insert(
                8,
                ("summarizer".into(), Some("editor".into()), "handoff".into()),
            );
        }
        assert_eq!(got, expected, "{name}");
        checked += 1;
    }
    assert!(checked >= 10, "checked {checked} files");
}

/// Every hop's timestamp is the text its entry was written with, in every
/// writer's form: Go's, fixed-width fractions with trailing zeros, other
/// offsets (a hop keeps the text only when Go would not have written it
/// that way).
#[test]
fn hop_timestamps_are_as_written() {
    let mut checked = 0;
    for path in trace_files(&root().join("fixtures")) {
        let name = path.to_string_lossy().to_string();
        if name.contains("deep-nesting") {
            continue; // deeper than serde_json reads, here in the test
        }
        let entries = json_lines(&stdout(&run(&["trace", "--format", "jsonl", &name])));
        let written: std::collections::HashMap<u64, Value> = entries
            .iter()
            .map(|e| (e["index"].as_u64().unwrap(), e["timestamp"].clone()))
            .collect();
        let hops = json_lines(&stdout(&run(&[
            "trace",
            "--flow-only",
            "--format",
            "jsonl",
            &name,
        ])));
        for hop in hops {
            let index = hop["index"].as_u64().unwrap();
            assert_eq!(hop["timestamp"], written[&index], "{name}, entry {index}");
            checked += 1;
        }
    }
    assert!(checked >= 100, "checked {checked} hops");
}

#[test]
fn filter_keeps_hops_from_or_to_the_agent() {
    let hops = json_lines(&stdout(&run(&[
        "trace",
        "--flow-only",
        "--format",
        "jsonl",
        "--filter",
        "agent=writer",
        "fixtures/odd/flow-kinds.trace.json",
    ])));
    assert_eq!(hops.len(), 3);
    assert!(hops
        .iter()
        .all(|h| h["agent"] == "writer" || h["next"] == "writer"));
}

#[test]
fn flow_csv_has_the_documented_columns() {
    let csv = stdout(&run(&[
        "trace",
        "--flow-only",
        "--format",
        "csv",
        "fixtures/odd/flow-kinds.trace.json",
    ]));
    assert_eq!(
        csv.lines().next().unwrap(),
        "index,timestamp,agent,next,hook,event_id,kind,error,state_changes"
    );
    assert_eq!(csv.lines().count(), 11);
}

#[test]
fn mermaid_and_dot_snapshots() {
    let file = "fixtures/odd/flow-kinds.trace.json";
    insta::assert_snapshot!(
        "mermaid_sequence",
        stdout(&run(&["trace", "--format", "mermaid", file]))
    );
    insta::assert_snapshot!(
        "mermaid_graph",
        stdout(&run(&[
            "trace",
            "--format",
            "mermaid",
            "--diagram",
            "graph",
            file
        ]))
    );
    insta::assert_snapshot!("dot", stdout(&run(&["trace", "--format", "dot", file])));
}

/// Writes a trace whose agent names are hostile to diagram syntaxes.
fn hostile_names_trace(dir: &std::path::Path) -> std::path::PathBuf {
    let names = [
        "plan\"ner",
        "end",
        "a;b#c",
        "x\u{1b}[31my\\",
        "planner-1",
        "subgraph",
        "<b>%%</b>",
    ];
    let mut lines = String::new();
    for (i, pair) in names.windows(2).enumerate() {
        let e = serde_json::json!({
            "timestamp": format!("2025-05-02T10:00:0{i}Z"),
            "event_id": format!("e{i}"),
            "agent_id": pair[0],
            "hook": "AfterAgentRun",
            "agent_result": {"output_state": {"data": {}, "meta": {"route": pair[1]}}}
        });
        lines.push_str(&e.to_string());
        lines.push('\n');
    }
    let path = dir.join("hostile-names.trace.json");
    std::fs::write(&path, lines).unwrap();
    path
}

fn graphviz() -> Option<std::path::PathBuf> {
    let found = Command::new("dot").arg("-V").output().is_ok();
    if !found && std::env::var_os("CI").is_some() {
        panic!("CI must install graphviz (.ci/run does)");
    }
    found.then(|| "dot".into())
}

#[test]
fn graphviz_accepts_the_graph_with_exactly_the_agents_as_nodes() {
    let Some(dot) = graphviz() else {
        eprintln!("skipped: no graphviz `dot` on this machine");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let hostile = hostile_names_trace(dir.path());
    for (file, agents) in [
        (fixture("odd/flow-kinds.trace.json"), 6),
        (fixture("odd/many-agents.trace.json"), 14),
        (hostile, 7),
    ] {
        let text = stdout(&run(&["trace", "--format", "dot", file.to_str().unwrap()]));
        let gv = dir.path().join("graph.gv");
        std::fs::write(&gv, &text).unwrap();
        // -Tcanon then -Tplain: the nodes Graphviz sees, one "node" line each.
        let plain = Command::new(&dot).arg("-Tplain").arg(&gv).output().unwrap();
        assert!(
            plain.status.success(),
            "{}: {}",
            file.display(),
            String::from_utf8_lossy(&plain.stderr)
        );
        let canon = Command::new(&dot).arg("-Tcanon").arg(&gv).output().unwrap();
        assert!(canon.status.success());
        let nodes = String::from_utf8_lossy(&plain.stdout)
            .lines()
            .filter(|l| l.starts_with("node "))
            .count();
        assert_eq!(nodes, agents, "{}:\n{text}", file.display());
    }
}

/// `node` and the installed Mermaid validator (tests/mermaid), or `None`
/// when they are missing here. CI installs them (`.ci/run`) and must not
/// skip.
fn mermaid_validator() -> Option<std::path::PathBuf> {
    let script = root().join("tests/mermaid/validate.mjs");
    let installed = root()
        .join("tests/mermaid/node_modules/mermaid/package.json")
        .is_file();
    let node = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if installed && node {
        return Some(script);
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "CI must install the Mermaid validator: npm ci --prefix tests/mermaid (.ci/run does)"
        );
    }
    None
}

#[test]
fn mermaid_parser_accepts_every_diagram_with_exactly_the_agents() {
    let Some(validator) = mermaid_validator() else {
        eprintln!("skipped: run `npm ci --prefix tests/mermaid` to check diagrams with the real Mermaid parser");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut inputs = trace_files(&root().join("fixtures/sessions"));
    inputs.push(fixture("odd/flow-kinds.trace.json"));
    inputs.push(fixture("odd/many-agents.trace.json"));
    inputs.push(fixture("framings/go-live.trace.json"));
    inputs.push(hostile_names_trace(dir.path()));
    // (diagram file, the agents the flow has, in order of first appearance)
    let mut expected: Vec<(std::path::PathBuf, Vec<String>)> = Vec::new();
    for (n, input) in inputs.iter().enumerate() {
        let input = input.to_str().unwrap();
        let hops = json_lines(&stdout(&run(&[
            "trace",
            "--flow-only",
            "--format",
            "jsonl",
            input,
        ])));
        let mut agents: Vec<String> = Vec::new();
        for h in &hops {
            for name in [&h["agent"], &h["next"]] {
                if let Some(name) = name.as_str() {
                    // The diagram shows control characters escaped.
                    let shown = name.replace('\u{1b}', "\\x1b");
                    if !agents.contains(&shown) {
                        agents.push(shown);
                    }
                }
            }
        }
        for diagram in ["sequence", "graph"] {
            let text = stdout(&run(&[
                "trace",
                "--format",
                "mermaid",
                "--diagram",
                diagram,
                input,
            ]));
            let path = dir.path().join(format!("{n}-{diagram}.mmd"));
            std::fs::write(&path, text).unwrap();
            expected.push((path, agents.clone()));
        }
    }
    let out = Command::new("node")
        .arg(&validator)
        .arg("--json")
        .args(expected.iter().map(|(p, _)| p))
        .output()
        .unwrap();
    let results = json_lines(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(
        results.len(),
        expected.len(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (result, (path, agents)) in results.iter().zip(&expected) {
        assert_eq!(
            result["ok"],
            true,
            "{}: {result}\n{}",
            path.display(),
            std::fs::read_to_string(path).unwrap()
        );
        let found: Vec<String> = result["participants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap().to_string())
            .collect();
        assert_eq!(&found, agents, "{}", path.display());
    }
    assert!(out.status.success());
}
