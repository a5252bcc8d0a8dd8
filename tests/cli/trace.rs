//! `agentcli trace`: the table, session lookup, filters.

use crate::util::{agentcli, run, snapshot_run, stderr, stdout};

const SESSION: &str = "session-4702419103";

#[test]
fn shows_the_timeline_of_a_session_by_id() {
    insta::assert_snapshot!(snapshot_run(&[
        "trace",
        "--dir",
        "fixtures/sessions",
        SESSION
    ]));
}

#[test]
fn fits_the_table_to_the_width() {
    let out = run(&[
        "trace",
        "--dir",
        "fixtures/sessions",
        "--width",
        "80",
        SESSION,
    ]);
    let text = stdout(&out);
    for line in text.lines() {
        assert!(
            line.chars().count() <= 80,
            "{} columns: {line}",
            line.chars().count()
        );
    }
    insta::assert_snapshot!(text);
}

#[test]
fn finds_sessions_in_traces_below_the_directory_and_by_path() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("traces")).unwrap();
    std::fs::copy(
        "fixtures/odd/single-object.trace.json",
        dir.path().join("traces/abc.trace.json"),
    )
    .unwrap();
    let out = agentcli()
        .args(["trace", "--format", "jsonl", "--dir"])
        .arg(dir.path())
        .arg("abc")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let without_suffix = dir.path().join("traces/abc");
    let out = agentcli()
        .args(["trace", "--format", "jsonl"])
        .arg(&without_suffix)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 1);
}

#[test]
fn unknown_session_names_the_directory_and_the_closest_ids() {
    insta::assert_snapshot!(snapshot_run(&[
        "trace",
        "--dir",
        "fixtures/sessions",
        "session-470241910"
    ]));
}

#[test]
fn filters_by_agent_hook_and_error() {
    let count = |args: &[&str]| -> usize {
        let mut full = vec!["trace", "--dir", "fixtures/sessions", "--format", "jsonl"];
        full.extend_from_slice(args);
        full.push(SESSION);
        stdout(&run(&full)).lines().count()
    };
    let all = count(&[]);
    let planner = count(&["--filter", "agent=planner"]);
    assert!(planner > 0 && planner < all);
    assert_eq!(
        count(&["--filter", "planner"]),
        planner,
        "a bare name is an agent"
    );
    assert_eq!(count(&["--agent", "planner"]), planner);
    assert_eq!(count(&["--filter", "agent!=planner"]), all - planner);
    let errors = count(&["--filter", "hook=AgentError"]);
    assert_eq!(errors, 1);
    assert_eq!(
        count(&["--filter", "error"]),
        2,
        "AgentError and its AfterEventHandling"
    );
    assert_eq!(
        count(&["--filter", "error", "--filter", "hook=AgentError"]),
        1
    );
    assert_eq!(count(&["--since", "2099-01-01"]), 0);
}

#[test]
fn no_match_says_which_filter_and_succeeds() {
    insta::assert_snapshot!(snapshot_run(&[
        "trace",
        "--dir",
        "fixtures/sessions",
        "--filter",
        "agent=nobody",
        SESSION
    ]));
}

/// A bare word that names no agent is read as one, as documented; when
/// nothing matches, the note says what the word more likely meant.
#[test]
fn no_match_hints_at_what_a_bare_word_meant() {
    let filtered = |word: &str| {
        let out = agentcli()
            .args([
                "trace",
                "--dir",
                "fixtures/sessions",
                "--filter",
                word,
                SESSION,
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "{word}");
        String::from_utf8(out.stderr).unwrap()
    };
    for (word, hint) in [
        ("errors", "`--filter error` keeps entries with an error"),
        ("FAILED", "`--filter error` keeps entries with an error"),
        (
            "agenterror",
            "'agenterror' is a hook: `--filter hook=AgentError`",
        ),
        (
            "beforeAgentRun",
            "'beforeAgentRun' is a hook: `--filter hook=BeforeAgentRun`",
        ),
        ("summariser", "did you mean `--filter summarizer`?"),
    ] {
        let stderr = filtered(word);
        assert!(
            stderr.contains("note: no entries match"),
            "{word}: {stderr}"
        );
        assert!(
            stderr.ends_with(&format!("hint: {hint}\n")),
            "{word}: {stderr}"
        );
    }
    // A word unlike any agent, hook or `error` gets the note alone.
    let stderr = filtered("nobody");
    assert!(stderr.contains("note: no entries match"), "{stderr}");
    assert!(!stderr.contains("hint:"), "{stderr}");
}

#[test]
fn bad_filter_shows_the_grammar() {
    insta::assert_snapshot!(snapshot_run(&["trace", "--filter", "colour=red", SESSION]));
}

#[test]
fn verbose_shows_full_state_under_each_row() {
    insta::assert_snapshot!(snapshot_run(&[
        "trace",
        "--verbose",
        "fixtures/odd/single-object.trace.json"
    ]));
}

#[test]
fn debug_shows_raw_entries_positions_and_every_problem() {
    insta::assert_snapshot!(snapshot_run(&[
        "trace",
        "--debug",
        "--width",
        "100",
        "fixtures/odd/damaged.trace.json"
    ]));
}

#[test]
fn colors_only_when_asked() {
    let plain = run(&["trace", "fixtures/odd/legacy-types.trace.json"]);
    assert!(!stdout(&plain).contains('\u{1b}'));
    let colored = run(&[
        "trace",
        "--color",
        "always",
        "fixtures/odd/legacy-types.trace.json",
    ]);
    assert!(stdout(&colored).contains("\u{1b}["));
    let forced = agentcli()
        .args(["trace", "fixtures/odd/legacy-types.trace.json"])
        .env("CLICOLOR_FORCE", "1")
        .output()
        .unwrap();
    assert!(stdout(&forced).contains("\u{1b}["));
    let no_color = agentcli()
        .args([
            "trace",
            "--color",
            "auto",
            "fixtures/odd/legacy-types.trace.json",
        ])
        .env("NO_COLOR", "1")
        .env("CLICOLOR_FORCE", "0")
        .output()
        .unwrap();
    assert!(!stdout(&no_color).contains('\u{1b}'));
}

#[test]
fn help_documents_exit_statuses_and_filters() {
    let help = stdout(&run(&["trace", "--help"]));
    assert!(help.contains("Exit status"));
    assert!(help.contains("agent=NAME"));
    let top = stdout(&run(&["--help"]));
    assert!(top.contains("Exit status"));
}

#[test]
fn shows_one_entry_in_full_with_what_its_state_changed() {
    insta::assert_snapshot!(snapshot_run(&[
        "trace",
        "--at",
        "9",
        "--width",
        "100",
        "--dir",
        "fixtures/sessions",
        "session-4702419103"
    ]));
    let json: serde_json::Value = serde_json::from_str(&stdout(&run(&[
        "trace",
        "--at",
        "9",
        "--format",
        "json",
        "--dir",
        "fixtures/sessions",
        "session-4702419103",
    ])))
    .unwrap();
    assert_eq!(json["index"], 9);
    assert_eq!(json["entry"]["agent"], "summarizer");
    assert_eq!(json["previous"]["same"], "event");
    let keys: Vec<&str> = json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["analysis", "message", "meta.route", "usage"]);
    let missing = run(&[
        "trace",
        "--at",
        "999",
        "fixtures/odd/legacy-types.trace.json",
    ]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("no entry #999"),
        "{}",
        stderr(&missing)
    );
}

#[test]
fn state_diff_says_which_keys_each_hop_changed() {
    let hops: Vec<serde_json::Value> = stdout(&run(&[
        "trace",
        "--flow-only",
        "--state-diff",
        "--format",
        "jsonl",
        "--dir",
        "fixtures/sessions",
        "session-4702419103",
    ]))
    .lines()
    .map(|l| serde_json::from_str(l).unwrap())
    .collect();
    assert_eq!(hops[0]["state_changes"], "~message +meta.route ~usage");
    let plain = stdout(&run(&[
        "trace",
        "--flow-only",
        "--format",
        "jsonl",
        "--dir",
        "fixtures/sessions",
        "session-4702419103",
    ]));
    assert!(plain.lines().all(|l| l.contains("\"state_changes\":null")));
}
