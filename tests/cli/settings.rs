//! Time display (`--utc`, `--local`, `--time-format`), the config file,
//! `AGENTCLI_COLOR` and `--print-config`.

use std::fs;

use crate::util::{agentcli, fixture, run, run_with_stdin, stderr, stdout, transcript};

const OFFSET_FILE: &str = "odd/legacy-types.trace.json";

fn trace_with(args: &[&str]) -> String {
    let path = fixture(OFFSET_FILE);
    let mut all = vec!["trace", path.to_str().unwrap(), "--width", "120"];
    all.extend_from_slice(args);
    let out = run(&all);
    assert!(out.status.success(), "{}", transcript(&out));
    stdout(&out)
}

/// The TIME cell of the first table row.
fn first_time(text: &str) -> String {
    let row = text
        .lines()
        .find(|l| l.starts_with("1 "))
        .unwrap_or_else(|| panic!("no first row in\n{text}"));
    row.split_whitespace().nth(1).unwrap().to_string()
}

#[test]
fn times_are_as_written_by_default_and_convert_on_request() {
    let written = trace_with(&[]);
    assert!(written.contains("14:32:15.100 +09:00"), "{written}");
    assert_eq!(first_time(&written), "14:32:15.100");
    let utc = trace_with(&["--utc"]);
    assert!(utc.contains("05:32:15.100 +00:00"), "{utc}");
    assert_eq!(first_time(&utc), "05:32:15.100");
    // A POSIX TZ needs no zone database: five and a half hours east.
    let path = fixture(OFFSET_FILE);
    let out = agentcli()
        .env("TZ", "XYZ-5:30")
        .args(["trace", path.to_str().unwrap(), "--local"])
        .output()
        .unwrap();
    assert_eq!(first_time(&stdout(&out)), "11:02:15.100");
}

#[test]
fn time_formats_relative_full_and_strftime() {
    let relative = trace_with(&["--time-format", "relative"]);
    assert_eq!(first_time(&relative), "+0.000s");
    assert!(relative.contains("\n2  +0.100s"), "{relative}");
    let full = trace_with(&["--time-format", "full"]);
    assert_eq!(first_time(&full), "2025-05-02T14:32:15.100+09:00");
    let custom = trace_with(&["--time-format", "%H.%M.%S", "--utc"]);
    assert_eq!(first_time(&custom), "05.32.15");
    let flow = trace_with(&["--flow-only", "--time-format", "relative"]);
    assert!(flow.contains("\n+0.200s   planner  (end)"), "{flow}");
}

#[test]
fn a_bad_time_format_says_what_works() {
    let out = run(&["trace", "x", "--time-format", "iso"]);
    assert_eq!(out.status.code(), Some(2));
    insta::assert_snapshot!(stderr(&out).trim_end(), @"error: --time-format: 'iso' is not a time format: use clock, relative, full, or a strftime pattern such as '%T%.3f'");
    let out = run(&["trace", "x", "--utc", "--local"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn follow_shows_relative_times_from_the_first_entry() {
    let bytes = fs::read(fixture(OFFSET_FILE)).unwrap();
    let out = run_with_stdin(
        &["trace", "--follow", "--time-format", "relative", "-"],
        bytes,
    );
    let text = stdout(&out);
    assert!(text.contains("+0.000s"), "{}", transcript(&out));
    assert!(text.contains("+0.100s"), "{}", transcript(&out));
}

fn write_config(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("agentcli-settings-{}-{name}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let path = dir.join("config.toml");
    fs::write(&path, text).unwrap();
    path
}

#[test]
fn the_config_file_sets_defaults_that_flags_override() {
    let config = write_config(
        "defaults",
        "dir = \"fixtures/sessions\"\ntime_format = \"relative\"\nwidth = 100\n",
    );
    let out = agentcli()
        .env("AGENTCLI_CONFIG", &config)
        .args(["trace", "session-1602878526"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", transcript(&out));
    assert_eq!(first_time(&stdout(&out)), "+0.000s");
    let out = agentcli()
        .env("AGENTCLI_CONFIG", &config)
        .args(["trace", "session-1602878526", "--time-format", "clock"])
        .output()
        .unwrap();
    assert_eq!(first_time(&stdout(&out)), "15:11:15.481");
}

#[test]
fn the_config_file_is_found_under_xdg_config_home() {
    let config = write_config("xdg", "dir = \"~/sessions\"\n");
    let xdg = config.parent().unwrap().join("xdg");
    fs::create_dir_all(xdg.join("agentcli")).unwrap();
    fs::copy(&config, xdg.join("agentcli/config.toml")).unwrap();
    let out = agentcli()
        .env("XDG_CONFIG_HOME", &xdg)
        .env("HOME", crate::util::fixture(""))
        // HOME is the fixtures: keep list's cache out of them.
        .args(["list", "--no-cache", "--format", "jsonl"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", transcript(&out));
    assert_eq!(stdout(&out).lines().count(), 5);
}

#[test]
fn print_config_names_every_setting_and_its_source() {
    let config = write_config(
        "print",
        "color = \"always\"\npager = \"most\"\nredact = [\"*token*\"]\n",
    );
    let out = agentcli()
        .env("AGENTCLI_CONFIG", &config)
        .env("AGENTCLI_DIR", "fixtures")
        .args(["--print-config", "--utc", "--time-format", "relative"])
        .output()
        .unwrap();
    let text = transcript(&out).replace(config.to_str().unwrap(), "CONFIG");
    insta::assert_snapshot!(text, @r#"
    status: 0
    ----- stdout -----
    # config file: CONFIG
    dir = "fixtures"  # AGENTCLI_DIR
    color = "always"  # config file
    pager = "most"  # config file
    width = 120  # default
    time_format = "relative"  # command line
    time_zone = "utc"  # command line
    redact = ["*token*"]  # config file
    redact_defaults = false  # default
    ----- stderr -----
    "#);
}

#[test]
fn config_mistakes_name_the_file_and_line() {
    let config = write_config("bad", "color = \"never\"\ncolour = \"always\"\n");
    let out = agentcli()
        .env("AGENTCLI_CONFIG", &config)
        .args(["list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let text = stderr(&out).replace(config.to_str().unwrap(), "CONFIG");
    assert!(
        text.starts_with("error: config file CONFIG: line 2: unknown field `colour`"),
        "{text}"
    );
    let out = agentcli()
        .env("AGENTCLI_CONFIG", "/nonexistent/agentcli.toml")
        .args(["list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot read the config file /nonexistent/agentcli.toml"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn agentcli_color_is_honored_and_checked() {
    let out = agentcli()
        .env("AGENTCLI_COLOR", "always")
        .args(["list", "--dir", "fixtures/sessions"])
        .output()
        .unwrap();
    assert!(stdout(&out).contains("\u{1b}["), "{}", transcript(&out));
    let out = agentcli()
        .env("AGENTCLI_COLOR", "always")
        .args(["list", "--dir", "fixtures/sessions", "--color", "never"])
        .output()
        .unwrap();
    assert!(!stdout(&out).contains("\u{1b}["));
    let out = agentcli()
        .env("AGENTCLI_COLOR", "sometimes")
        .args(["list", "--dir", "fixtures/sessions"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("AGENTCLI_COLOR is 'sometimes'"));
}

#[test]
fn no_command_prints_usage() {
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("Usage:"), "{}", transcript(&out));
}
