//! `--redact`, `--redact-defaults` and `--raw`.

use crate::util::{agentcli, stdout};

const SECRET_TRACE: &str = concat!(
    r#"{"timestamp":"2025-05-02T10:00:00Z","event_id":"e1","session_id":"s","hook":"BeforeEventHandling","target_agent_id":"a","state":{"data":{"OPENAI_API_KEY":"sk-live-SECRET1"},"meta":{}}}"#,
    "\n",
    r#"{"timestamp":"2025-05-02T10:00:00.1Z","event_id":"e1","session_id":"s","agent_id":"a","hook":"BeforeAgentRun","state":{"data":{"deep":[{"db":{"Password":"SECRET2"}}],"usage":{"prompt_tokens":77}},"meta":{"authorization":"Bearer SECRET3"}}}"#,
    "\n",
    r#"{"timestamp":"2025-05-02T10:00:01Z","event_id":"e1","session_id":"s","agent_id":"a","hook":"AfterAgentRun","agent_result":{"duration_ms":900,"output_state":{"data":{"client_secret":"SECRET4","answer":"ok","usage":{"prompt_tokens":77,"completion_tokens":5}},"meta":{"cookie":"SECRET5"}}},"x_api_key":"SECRET6"}"#,
    "\n"
);

fn run_on_trace(args: &[&str]) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.trace.json");
    std::fs::write(&path, SECRET_TRACE).unwrap();
    let out = agentcli().args(args).arg(&path).output().unwrap();
    (
        stdout(&out),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn default_redaction_reaches_every_output_and_export() {
    let views: &[&[&str]] = &[
        &["trace"],
        &["trace", "--verbose"],
        &["trace", "--debug"],
        &["trace", "--format", "json"],
        &["trace", "--format", "jsonl"],
        &["trace", "--format", "csv"],
        &["trace", "--at", "3"],
        &["trace", "--at", "3", "--format", "json"],
        &["trace", "--flow-only", "--state-diff"],
        &["trace", "--analyze", "--format", "json"],
        &["trace", "--format", "otlp", "--include-state"],
        &["trace", "--format", "chrome"],
        &["export", "--include-state"],
    ];
    for view in views {
        let mut args = vec!["--redact-defaults"];
        args.extend_from_slice(view);
        let (out, err) = run_on_trace(&args);
        assert!(!out.is_empty(), "{view:?}: {err}");
        for n in 1..=6 {
            assert!(
                !out.contains(&format!("SECRET{n}")),
                "{view:?} shows SECRET{n}:\n{out}"
            );
        }
        if view.contains(&"jsonl") {
            assert!(out.contains("[REDACTED]"));
            assert!(
                out.contains(r#""prompt_tokens":77"#),
                "token counts stay visible"
            );
        }
    }
    // Without it, the data is shown as written.
    let (out, _) = run_on_trace(&["trace", "--format", "jsonl"]);
    assert!(out.contains("SECRET1") && out.contains("SECRET4"));
}

#[test]
fn custom_globs_mask_only_what_they_match() {
    let (out, _) = run_on_trace(&[
        "--redact", "*answer*", "--redact", "PROMPT_*", "trace", "--format", "jsonl",
    ]);
    assert!(!out.contains(r#""answer":"ok""#) && out.contains(r#""answer":"[REDACTED]""#));
    assert!(out.contains(r#""prompt_tokens":"[REDACTED]""#));
    assert!(out.contains("SECRET1"), "only the keys asked for");
}

#[test]
fn raw_opts_out_of_escaping_explicitly() {
    let escaped = stdout(
        &agentcli()
            .args(["trace", "fixtures/odd/hostile.trace.json"])
            .output()
            .unwrap(),
    );
    assert!(!escaped.contains('\u{1b}'));
    assert!(escaped.contains("\\x1b"));
    let raw = stdout(
        &agentcli()
            .args(["trace", "--raw", "fixtures/odd/hostile.trace.json"])
            .output()
            .unwrap(),
    );
    assert!(raw.contains('\u{1b}'), "--raw shows the data as it is");
}
