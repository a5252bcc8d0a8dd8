//! OpenTelemetry and Chrome exports, and pushing to a collector.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::Command;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::util::{agentcli, json_lines, root, run, stderr, stdout, trace_files};

/// `python3 tests/otlp/validate.py`, when opentelemetry-proto is installed
/// (CI installs it and must not skip).
fn validator() -> Option<Command> {
    let ok = Command::new("python3")
        .args([
            "-c",
            "import opentelemetry.proto.collector.trace.v1.trace_service_pb2",
        ])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        if std::env::var_os("CI").is_some() {
            panic!("CI must install opentelemetry-proto (.ci/run does)");
        }
        return None;
    }
    let mut cmd = Command::new("python3");
    cmd.arg(root().join("tests/otlp/validate.py"));
    Some(cmd)
}

fn fixture_sessions() -> Vec<String> {
    let mut files = trace_files(&root().join("fixtures/sessions"));
    files.extend(trace_files(&root().join("fixtures/framings")));
    files.push(root().join("fixtures/odd/loop.trace.json"));
    files.push(root().join("fixtures/odd/hostile.trace.json"));
    files
        .iter()
        .map(|p| p.to_str().unwrap().to_string())
        .collect()
}

#[test]
fn exports_pass_a_strict_otlp_validator() {
    let Some(mut check) = validator() else {
        eprintln!("skipped: pip install opentelemetry-proto to validate OTLP exports");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (i, session) in fixture_sessions().iter().enumerate() {
        for (format, lines) in [("otlp", false), ("otlp-jsonl", true)] {
            let path = dir.path().join(format!("{i}.{format}"));
            std::fs::write(
                &path,
                run(&["trace", "--format", format, "--include-state", session]).stdout,
            )
            .unwrap();
            files.push((path, lines));
        }
    }
    let all = dir.path().join("all.json");
    std::fs::write(&all, run(&["export", "--dir", "fixtures/sessions"]).stdout).unwrap();
    files.push((all, false));
    for (path, lines) in files {
        let out = if lines {
            check.arg("--lines").arg(&path).output()
        } else {
            check.arg(&path).output()
        }
        .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{}: {text}", path.display());
        check = validator().unwrap();
    }
}

/// Events (BeforeEventHandling) plus agent runs (AfterAgentRun, AgentError,
/// and Befores left open) plus the session's root.
fn expected_spans(session: &str) -> usize {
    let entries = json_lines(&stdout(&run(&["trace", "--format", "jsonl", session])));
    let hook = |h: &str| entries.iter().filter(|e| e["hook"] == h).count();
    let mut open = std::collections::HashSet::new();
    for e in &entries {
        let key = (e["event_id"].to_string(), e["agent"].to_string());
        match e["hook"].as_str() {
            Some("BeforeAgentRun") => {
                open.insert(key);
            }
            Some("AfterAgentRun" | "AgentError") => {
                open.remove(&key);
            }
            _ => {}
        }
    }
    hook("BeforeEventHandling") + hook("AfterAgentRun") + hook("AgentError") + open.len() + 1
}

#[test]
fn one_span_per_event_and_run_plus_a_root_with_stable_ids() {
    for session in fixture_sessions() {
        let first = stdout(&run(&["trace", "--format", "otlp", &session]));
        let again = stdout(&run(&["trace", "--format", "otlp", &session]));
        assert_eq!(
            first, again,
            "{session}: exporting twice gives the same ids"
        );
        let doc: Value = serde_json::from_str(&first).unwrap();
        let spans = doc["resourceSpans"][0]["scopeSpans"][0]["spans"]
            .as_array()
            .unwrap();
        assert_eq!(spans.len(), expected_spans(&session), "{session}");
        let roots: Vec<&Value> = spans
            .iter()
            .filter(|s| s.get("parentSpanId").is_none())
            .collect();
        assert_eq!(roots.len(), 1, "{session}");
        let errors = spans.iter().filter(|s| s["status"]["code"] == 2).count();
        let failed = json_lines(&stdout(&run(&[
            "trace",
            "--format",
            "jsonl",
            "--filter",
            "hook=AgentError",
            &session,
        ])))
        .len();
        assert_eq!(
            errors, failed,
            "{session}: AgentError runs have error status"
        );
        for s in spans.iter().filter(|s| s["status"]["code"] == 2) {
            assert_eq!(s["events"][0]["name"], "exception");
        }
    }
}

#[test]
fn state_goes_into_spans_only_when_asked() {
    let session = "fixtures/odd/loop.trace.json";
    assert!(!stdout(&run(&["trace", "--format", "otlp", session])).contains("agentcli.state"));
    assert!(stdout(&run(&[
        "trace",
        "--format",
        "otlp",
        "--include-state",
        session
    ]))
    .contains("agentcli.state.output"));
    let named = stdout(&run(&[
        "trace",
        "--format",
        "otlp",
        "--service-name",
        "planner-svc",
        session,
    ]));
    assert!(named.contains(r#""stringValue":"planner-svc""#));
}

#[test]
fn chrome_export_has_a_track_per_agent_and_well_formed_events() {
    let doc: Value = serde_json::from_str(&stdout(&run(&[
        "trace",
        "--format",
        "chrome",
        "fixtures/odd/flow-kinds.trace.json",
    ])))
    .unwrap();
    let events = doc["traceEvents"].as_array().unwrap();
    let tracks: Vec<&str> = events
        .iter()
        .filter(|e| e["ph"] == "M" && e["name"] == "thread_name")
        .map(|e| e["args"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        tracks,
        [
            "planner",
            "researcher",
            "reviewer",
            "writer",
            "summarizer",
            "editor"
        ]
    );
    for e in events.iter().filter(|e| e["ph"] == "X") {
        assert!(
            e["ts"].as_f64().unwrap() >= 0.0 && e["dur"].as_f64().unwrap() >= 0.0,
            "{e}"
        );
        assert!(e["tid"].as_u64().unwrap() >= 1);
    }
    assert_eq!(
        events.iter().filter(|e| e["ph"] == "i").count(),
        2,
        "two errors"
    );
    let starts = events.iter().filter(|e| e["ph"] == "s").count();
    assert_eq!(
        starts,
        events.iter().filter(|e| e["ph"] == "f").count(),
        "every arrow has both ends"
    );
    assert!(starts > 0);
}

/// A request the loopback receiver got.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// Serves OTLP/HTTP on 127.0.0.1, answering with `replies` in turn (the
/// last one again when they run out). Returns the address and what came.
fn receiver(
    replies: Vec<(u16, Vec<(&'static str, &'static str)>)>,
) -> (String, Arc<Mutex<Vec<Received>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let got = Arc::new(Mutex::new(Vec::new()));
    let log = got.clone();
    std::thread::spawn(move || {
        for (n, stream) in listener.incoming().enumerate() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            let path = request_line
                .split_whitespace()
                .nth(1)
                .unwrap_or("")
                .to_string();
            let mut headers = Vec::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() || line.trim().is_empty() {
                    break;
                }
                if let Some((k, v)) = line.trim_end().split_once(':') {
                    headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
                }
            }
            let length: usize = headers
                .iter()
                .find(|(k, _)| k == "content-length")
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            let mut body = vec![0u8; length];
            let _ = reader.read_exact(&mut body);
            log.lock().unwrap().push(Received {
                path,
                headers,
                body,
            });
            let (status, extra) = replies.get(n).or(replies.last()).cloned().unwrap();
            let mut response =
                format!("HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n");
            for (k, v) in extra {
                response.push_str(&format!("{k}: {v}\r\n"));
            }
            response.push_str("\r\n");
            let _ = stream.write_all(response.as_bytes());
        }
    });
    (address, got)
}

#[test]
fn push_retries_after_503_with_retry_after_and_delivers_every_span() {
    let (address, got) = receiver(vec![(503, vec![("Retry-After", "1")]), (200, vec![])]);
    let out = agentcli()
        .args([
            "export",
            "--dir",
            "fixtures/sessions",
            "--otlp-endpoint",
            &address,
            "--otlp-header",
            "X-Api-Key=s3cret",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 2, "one 503, then delivered");
    assert_eq!(got[0].body, got[1].body, "the same request again");
    let last = &got[1];
    assert_eq!(last.path, "/v1/traces");
    assert!(last
        .headers
        .iter()
        .any(|(k, v)| k == "content-type" && v == "application/json"));
    assert!(last
        .headers
        .iter()
        .any(|(k, v)| k == "x-api-key" && v == "s3cret"));
    let pushed: Value = serde_json::from_slice(&last.body).unwrap();
    let written: Value =
        serde_json::from_str(&stdout(&run(&["export", "--dir", "fixtures/sessions"]))).unwrap();
    assert_eq!(pushed, written, "every span of every session");
    assert!(String::from_utf8_lossy(&out.stderr).contains("sent "));
}

/// 45 sessions: the five fixtures, each under nine names.
fn many_sessions() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (i, file) in trace_files(&root().join("fixtures/sessions"))
        .iter()
        .enumerate()
    {
        for copy in 0..9 {
            let name = format!("session-{i}{copy}.trace.json");
            std::fs::copy(file, dir.path().join(name)).unwrap();
        }
    }
    dir
}

#[test]
fn push_sends_twenty_sessions_a_request_and_counts_every_span() {
    let dir = many_sessions();
    let dir_arg = dir.path().to_str().unwrap();
    let (address, got) = receiver(vec![(200, vec![])]);
    let out = agentcli()
        .args(["export", "--dir", dir_arg, "--otlp-endpoint", &address])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let got = got.lock().unwrap().clone();
    let sizes: Vec<usize> = got
        .iter()
        .map(|r| {
            let body: Value = serde_json::from_slice(&r.body).unwrap();
            body["resourceSpans"].as_array().unwrap().len()
        })
        .collect();
    assert_eq!(sizes, [20, 20, 5]);
    // The requests together are the document `export` writes.
    let mut pushed = Vec::new();
    for r in &got {
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        pushed.extend(body["resourceSpans"].as_array().unwrap().iter().cloned());
    }
    let written: Value =
        serde_json::from_str(&stdout(&run(&["export", "--dir", dir_arg]))).unwrap();
    assert_eq!(&pushed, written["resourceSpans"].as_array().unwrap());
    let spans: usize = pushed
        .iter()
        .map(|rs| rs["scopeSpans"][0]["spans"].as_array().unwrap().len())
        .sum();
    assert!(spans > 45, "{spans} spans");
    let note = stderr(&out);
    assert!(
        note.contains(&format!(
            "sent {spans} spans of 45 sessions to {address}/v1/traces in 3 requests"
        )),
        "{note}"
    );
}

#[test]
fn exports_of_many_sessions_are_one_document_of_them_all() {
    let dir = many_sessions();
    let dir_arg = dir.path().to_str().unwrap();
    let document: Value =
        serde_json::from_str(&stdout(&run(&["export", "--dir", dir_arg]))).unwrap();
    let lines = json_lines(&stdout(&run(&[
        "export",
        "--dir",
        dir_arg,
        "--format",
        "otlp-jsonl",
    ])));
    assert_eq!(lines.len(), 45);
    let from_lines: Vec<Value> = lines
        .iter()
        .map(|l| l["resourceSpans"][0].clone())
        .collect();
    assert_eq!(&from_lines, document["resourceSpans"].as_array().unwrap());
    let chrome: Value = serde_json::from_str(&stdout(&run(&[
        "export", "--dir", dir_arg, "--format", "chrome",
    ])))
    .unwrap();
    let processes: Vec<u64> = chrome["traceEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["name"] == "process_name")
        .map(|e| e["pid"].as_u64().unwrap())
        .collect();
    assert_eq!(processes, (1..=45).collect::<Vec<u64>>());
}

#[test]
fn push_does_not_retry_a_400_and_says_who_answered_what() {
    let (address, got) = receiver(vec![(400, vec![])]);
    let out = agentcli()
        .args([
            "trace",
            "--otlp-endpoint",
            &address,
            "fixtures/odd/loop.trace.json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("{address}/v1/traces answered 400")),
        "{err}"
    );
    assert_eq!(got.lock().unwrap().len(), 1, "no retry on 400");
}

#[test]
fn push_gives_up_after_its_retries() {
    let (address, got) = receiver(vec![(503, vec![("Retry-After", "0")])]);
    let out = agentcli()
        .args([
            "trace",
            "--otlp-retries",
            "2",
            "--otlp-endpoint",
            &address,
            "fixtures/odd/loop.trace.json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("answered 503 (after 3 attempts)"));
    assert_eq!(got.lock().unwrap().len(), 3);
}
