//! Runs the built binary hermetically: environment cleared, no color, no
//! terminal, fixed time zone, from the repository root.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

/// The repository root (where `fixtures/` is).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(path: &str) -> PathBuf {
    root().join("fixtures").join(path)
}

/// `agentcli` with a clean environment, run from the repository root.
pub fn agentcli() -> Command {
    let mut cmd = Command::cargo_bin("agentcli").expect("the agentcli binary is built");
    cmd.env_clear().env("TZ", "UTC").current_dir(root());
    cmd
}

/// Runs `agentcli ARGS` and returns the output.
pub fn run(args: &[&str]) -> Output {
    agentcli().args(args).output().expect("agentcli runs")
}

/// Runs `agentcli ARGS` with `stdin` as standard input.
pub fn run_with_stdin(args: &[&str], stdin: impl Into<Vec<u8>>) -> Output {
    agentcli()
        .args(args)
        .write_stdin(stdin)
        .output()
        .expect("agentcli runs")
}

/// Status, stdout and stderr in one text, for snapshots.
pub fn transcript(output: &Output) -> String {
    format!(
        "status: {}\n----- stdout -----\n{}----- stderr -----\n{}",
        output
            .status
            .code()
            .map_or("signal".to_string(), |c| c.to_string()),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// `transcript(run(args))`.
pub fn snapshot_run(args: &[&str]) -> String {
    transcript(&run(args))
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Parses JSON lines.
pub fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// Every trace file below `dir`, sorted.
pub fn trace_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walk(dir)
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".trace.json"))
        .collect();
    files.sort();
    files
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("readable dir").flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
