//! `trace --format json|jsonl|csv`: the documented schema.

use serde_json::Value;

use crate::util::{json_lines, run, stdout};

const COLUMNS: &str =
    "index,timestamp,hook,type,session_id,event_id,agent,source,target,route,duration_ms,error,state,agent_result,extra";
const FILE: &str = "fixtures/framings/go-live.trace.json";

#[test]
fn json_is_one_array_of_the_same_records_as_jsonl() {
    let json: Vec<Value> =
        serde_json::from_str(&stdout(&run(&["trace", "--format", "json", FILE]))).unwrap();
    let jsonl = json_lines(&stdout(&run(&["trace", "--format", "jsonl", FILE])));
    assert_eq!(json, jsonl);
    let keys: Vec<&str> = json[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected: Vec<&str> = COLUMNS.split(',').collect();
    expected.sort();
    let mut keys_sorted = keys.clone();
    keys_sorted.sort();
    assert_eq!(keys_sorted, expected);
}

#[test]
fn csv_has_the_documented_columns_and_a_row_per_entry() {
    let csv = stdout(&run(&["trace", "--format", "csv", FILE]));
    let jsonl = json_lines(&stdout(&run(&["trace", "--format", "jsonl", FILE])));
    assert_eq!(csv.lines().next().unwrap(), COLUMNS);
    // State cells hold no raw line breaks here, so lines are records.
    assert_eq!(csv.lines().count(), jsonl.len() + 1);
    assert!(csv.contains("\r\n"), "RFC 4180 line ends");
}

#[test]
fn filters_apply_to_exports() {
    let all = json_lines(&stdout(&run(&["trace", "--format", "jsonl", FILE])));
    let errors = json_lines(&stdout(&run(&[
        "trace",
        "--format",
        "jsonl",
        "--filter",
        "hook=AgentError",
        FILE,
    ])));
    assert!(!errors.is_empty());
    assert!(errors
        .iter()
        .all(|e| e["hook"] == "AgentError" && e["error"].is_string()));
    assert_eq!(
        errors.len(),
        all.iter().filter(|e| e["hook"] == "AgentError").count()
    );
}

#[test]
fn an_empty_result_is_still_valid_output() {
    let json = stdout(&run(&[
        "trace",
        "--format",
        "json",
        "--filter",
        "agent=nobody",
        FILE,
    ]));
    assert_eq!(json, "[]\n");
    let csv = stdout(&run(&[
        "trace",
        "--format",
        "csv",
        "--filter",
        "agent=nobody",
        FILE,
    ]));
    assert_eq!(csv, format!("{COLUMNS}\r\n"));
    let jsonl = stdout(&run(&[
        "trace",
        "--format",
        "jsonl",
        "--filter",
        "agent=nobody",
        FILE,
    ]));
    assert_eq!(jsonl, "");
}

#[test]
fn csv_neutralizes_formulas_unless_turned_off() {
    let guarded = stdout(&run(&[
        "trace",
        "--format",
        "csv",
        "fixtures/odd/hostile.trace.json",
    ]));
    assert!(guarded.contains("\"'=HYPERLINK("), "{guarded}");
    assert!(guarded.contains(",'+cmd|"), "{guarded}");
    let raw = stdout(&run(&[
        "trace",
        "--format",
        "csv",
        "--no-formula-guard",
        "fixtures/odd/hostile.trace.json",
    ]));
    assert!(raw.contains("\"=HYPERLINK("), "{raw}");
}

#[test]
fn export_keeps_unknown_keys_and_the_raw_timestamp() {
    let entries = json_lines(&stdout(&run(&[
        "trace",
        "--format",
        "jsonl",
        "fixtures/odd/unknown-hooks-and-keys.trace.json",
    ])));
    assert_eq!(entries[0]["extra"]["x_trace_version"], 3);
    assert_eq!(entries[1]["hook"], "OnToolCall");
    assert_eq!(entries[1]["extra"]["tool"]["name"], "web_search");
    assert_eq!(entries[0]["timestamp"], "2025-05-02T14:32:15.1+09:00");
}
