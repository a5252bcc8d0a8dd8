//! The shell completions in `completions/` and the man pages in `man/` are
//! generated from the clap definition (`agentcli::cli::Cli`). These tests
//! generate them again, in memory, and fail when the committed files differ.
//!
//! To regenerate the files after changing the command line:
//!
//! ```text
//! AGENTCLI_UPDATE_GENERATED=1 cargo test --test cli generated
//! ```

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use clap::CommandFactory;
use clap_complete::Shell;

use crate::util;

/// Set to `1` to write the generated files instead of comparing them.
const UPDATE_VAR: &str = "AGENTCLI_UPDATE_GENERATED";

const REGENERATE: &str = "AGENTCLI_UPDATE_GENERATED=1 cargo test --test cli generated";

const BIN: &str = "agentcli";

/// One generated file: its path relative to the repository root, and its
/// contents.
struct Generated {
    path: String,
    contents: Vec<u8>,
}

fn cli() -> clap::Command {
    // The commit in --version changes with every commit; generated files
    // carry the package version only, or they would drift each time.
    agentcli::cli::Cli::command().version(env!("CARGO_PKG_VERSION"))
}

/// The completion file name for each shell, in the conventional spelling of
/// that shell's completion directory.
const COMPLETIONS: [(Shell, &str); 5] = [
    (Shell::Bash, "agentcli.bash"),
    (Shell::Zsh, "_agentcli"),
    (Shell::Fish, "agentcli.fish"),
    (Shell::PowerShell, "_agentcli.ps1"),
    (Shell::Elvish, "agentcli.elv"),
];

fn completion(shell: Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cli(), BIN, &mut out);
    let text = String::from_utf8(out).expect("completions are UTF-8");
    let text = match shell {
        Shell::Bash => bash_dynamic(text),
        Shell::Zsh => zsh_dynamic(&text),
        Shell::Fish => fish_dynamic(text),
        _ => text,
    };
    text.into_bytes()
}

/// Options that take a value (their values come from clap's completion),
/// besides those completed dynamically.
fn value_options() -> Vec<String> {
    fn walk(cmd: &clap::Command, out: &mut Vec<String>) {
        for arg in cmd.get_arguments() {
            if !arg.get_action().takes_values() || arg.is_positional() {
                continue;
            }
            if let Some(long) = arg.get_long() {
                if long != "filter" && long != "agent" {
                    out.push(format!("--{long}"));
                }
            }
            if let Some(short) = arg.get_short() {
                if short != 'f' {
                    out.push(format!("-{short}"));
                }
            }
        }
        for sub in cmd.get_subcommands() {
            walk(sub, out);
        }
    }
    let mut out = Vec::new();
    walk(&cli(), &mut out);
    out.sort();
    out.dedup();
    out
}

/// Session ids, filters and agent names come from `agentcli __complete`,
/// so they follow the trace directory (`--dir` on the line is passed on).
fn bash_dynamic(clap: String) -> String {
    format!(
        r#"{clap}
# Session ids, filters and agent names, from agentcli itself.
_agentcli_dynamic() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}" prev="${{COMP_WORDS[COMP_CWORD-1]}}"
    local i sub="" kind="" dir=()
    for ((i = 1; i < COMP_CWORD; i++)); do
        case "${{COMP_WORDS[i]}}" in
            --dir) dir=(--dir "${{COMP_WORDS[i+1]}}") ;;
            --dir=*) dir=(--dir "${{COMP_WORDS[i]#--dir=}}") ;;
        esac
        if [[ -z "$sub" ]]; then
            case "${{COMP_WORDS[i]}}" in list|trace|diff|stats|export|validate) sub="${{COMP_WORDS[i]}}" ;; esac
        fi
    done
    case "$prev" in
        --filter|-f) kind=filters ;;
        --agent) kind=agents ;;
        {value_options}) ;;
        *)
            if [[ "$cur" != -* ]]; then
                case "$sub" in trace|diff|export|validate) kind=sessions ;; esac
            fi
            ;;
    esac
    if [[ -n "$kind" ]]; then
        local IFS=$'
'
        COMPREPLY=($(compgen -W "$(agentcli "${{dir[@]}}" __complete "$kind" "$cur" 2>/dev/null)" -- "$cur"))
        if [[ ${{#COMPREPLY[@]}} -gt 0 || "$kind" != sessions ]]; then
            [[ "$kind" == filters ]] && compopt -o nospace 2>/dev/null
            return 0
        fi
    fi
    _agentcli "$@"
}}

if [[ "${{BASH_VERSINFO[0]}}" -eq 4 && "${{BASH_VERSINFO[1]}}" -ge 4 || "${{BASH_VERSINFO[0]}}" -gt 4 ]]; then
    complete -F _agentcli_dynamic -o nosort -o bashdefault -o default agentcli
else
    complete -F _agentcli_dynamic -o bashdefault -o default agentcli
fi
"#,
        value_options = value_options().join("|")
    )
}

fn zsh_dynamic(clap: &str) -> String {
    let mut text = String::new();
    for line in clap.lines() {
        let trimmed = line.trim_start();
        let dynamic = if trimmed.starts_with("':a -- ")
            || trimmed.starts_with("':b -- ")
            || trimmed.starts_with("'::session -- ")
            || trimmed.starts_with("'::target -- ")
            || trimmed.starts_with("'*::sessions -- ")
        {
            Some("_agentcli_sessions")
        } else if trimmed.contains("--filter=[") || trimmed.starts_with("'*-f+[") {
            Some("_agentcli_filters")
        } else if trimmed.contains("--agent=[") {
            Some("_agentcli_agents")
        } else {
            None
        };
        match dynamic {
            Some(action) if line.contains(":_default'") => {
                text.push_str(&line.replacen(":_default'", &format!(":{action}'"), 1))
            }
            _ => text.push_str(line),
        }
        text.push('\n');
    }
    const FUNCTIONS: &str = r#"# Session ids, filters and agent names, from agentcli itself. The kind
# comes first; the rest are compadd options (_alternative passes some).
(( $+functions[_agentcli_complete] )) ||
_agentcli_complete() {
    local kind=$1; shift
    local -a dir items
    local i
    for ((i = 1; i < ${#words}; i++)); do
        [[ ${words[i]} == --dir ]] && dir=(--dir "${words[i+1]}")
        [[ ${words[i]} == --dir=* ]] && dir=(--dir "${words[i]#--dir=}")
    done
    items=(${(f)"$(agentcli $dir __complete $kind "$PREFIX" 2>/dev/null)"})
    compadd "$@" -a items
}
(( $+functions[_agentcli_session_ids] )) ||
_agentcli_session_ids() {
    _agentcli_complete sessions "$@"
}
(( $+functions[_agentcli_sessions] )) ||
_agentcli_sessions() {
    _alternative 'sessions:session:_agentcli_session_ids' 'files:trace file:_files -g "*.json"'
}
(( $+functions[_agentcli_filters] )) ||
_agentcli_filters() {
    _agentcli_complete filters -S ''
}
(( $+functions[_agentcli_agents] )) ||
_agentcli_agents() {
    _agentcli_complete agents
}

"#;
    match text.find("if [ \"$funcstack[1]\" = \"_agentcli\" ]") {
        Some(i) => format!("{}{FUNCTIONS}{}", &text[..i], &text[i..]),
        None => format!("{text}\n{FUNCTIONS}"),
    }
}

fn fish_dynamic(clap: String) -> String {
    format!(
        r#"{clap}
# Session ids, filters and agent names, from agentcli itself.
complete -c agentcli -n "__fish_seen_subcommand_from trace diff export validate" -f -a "(agentcli __complete sessions (commandline -ct) 2>/dev/null)"
complete -c agentcli -n "__fish_seen_subcommand_from trace stats" -s f -l filter -x -a "(agentcli __complete filters (commandline -ct) 2>/dev/null)"
complete -c agentcli -n "__fish_seen_subcommand_from list trace stats export" -l agent -x -a "(agentcli __complete agents 2>/dev/null)"
"#
    )
}

fn completions() -> Vec<Generated> {
    COMPLETIONS
        .iter()
        .map(|&(shell, name)| Generated {
            path: format!("completions/{name}"),
            contents: completion(shell),
        })
        .collect()
}

/// `man/agentcli.1`, then `man/agentcli-<sub>.1` for each subcommand (except
/// the built-in `help`). The pages carry no date, so they do not change from
/// one day to the next.
fn man_pages() -> Vec<Generated> {
    // Built once, so that subcommands carry their full name
    // (`agentcli list`) and the global options.
    let mut cmd = cli().disable_help_subcommand(true);
    cmd.build();
    let source = format!("{BIN} {}", cmd.get_version().unwrap_or_default());

    let mut pages = vec![Generated {
        path: format!("man/{BIN}.1"),
        contents: man_page(&cmd, BIN, &source),
    }];
    for sub in cmd
        .get_subcommands()
        .filter(|s| s.get_name() != "help" && !s.is_hide_set())
    {
        let title = format!("{BIN}-{}", sub.get_name());
        pages.push(Generated {
            path: format!("man/{title}.1"),
            contents: man_page(sub, &title, &source),
        });
    }
    pages
}

fn man_page(cmd: &clap::Command, title: &str, source: &str) -> Vec<u8> {
    let man = clap_mangen::Man::new(cmd.clone())
        .title(title)
        .section("1")
        .source(source);
    let mut out = Vec::new();
    man.render(&mut out)
        .expect("rendering to memory cannot fail");
    let page = String::from_utf8(out).expect("man pages are UTF-8");
    keep_layout_of_extra_section(&page, cmd).into_bytes()
}

/// clap_mangen sets the text after the options (`after_long_help`: examples,
/// filters, exit status) as one filled paragraph per line, which reflows the
/// columns of the examples. This sets it again: indented lines as they are
/// (no filling), unindented lines as filled text, a blank line as a paragraph
/// break, and an unindented line ending in `:` in bold, as a heading.
fn keep_layout_of_extra_section(page: &str, cmd: &clap::Command) -> String {
    const HEADING: &str = "\n.SH EXTRA\n";
    let Some(text) = cmd.get_after_long_help().or_else(|| cmd.get_after_help()) else {
        return page.to_owned();
    };
    let start = page
        .find(HEADING)
        .expect("the after-help text is in an EXTRA section")
        + HEADING.len();
    // Text lines never start with `.` (roff escapes them), so the next
    // section starts at the next `\n.SH `.
    let end = page[start..]
        .find("\n.SH ")
        .map_or(page.len(), |i| start + i + 1);

    let mut roff = clap_mangen::roff::Roff::new();
    let mut no_fill = false;
    for line in text.to_string().lines() {
        let indented = line.starts_with(char::is_whitespace);
        if indented != no_fill {
            roff.control(if indented { "nf" } else { "fi" }, []);
            no_fill = indented;
        }
        if line.trim().is_empty() {
            roff.control("PP", []);
        } else if !indented && line.ends_with(':') {
            roff.text([clap_mangen::roff::bold(line)]);
        } else {
            roff.text([clap_mangen::roff::roman(line)]);
        }
    }
    if no_fill {
        roff.control("fi", []);
    }
    // `render` starts with the definition of `\*(Aq`, which the page has.
    let body = roff.render();
    let body = body
        .split_inclusive('\n')
        .filter(|l| !l.starts_with(".ie \\n(.g .ds Aq") && !l.starts_with(".el .ds Aq"))
        .collect::<String>();
    format!("{}{body}{}", &page[..start], &page[end..])
}

fn update_requested() -> bool {
    std::env::var(UPDATE_VAR).is_ok_and(|v| v == "1")
}

/// Compares `files` with the committed ones (or writes them when
/// `AGENTCLI_UPDATE_GENERATED=1`). Files in `dir` that start with `prefix`
/// but are not generated any more (say, the page of a removed subcommand)
/// are reported too, or removed when updating.
fn check(files: &[Generated], dir: &str, prefix: &str) {
    let root = util::root();
    let update = update_requested();
    let mut problems = Vec::new();

    for file in files {
        let path = root.join(&file.path);
        let committed = fs::read(&path).ok();
        if committed.as_deref() == Some(file.contents.as_slice()) {
            continue;
        }
        if update {
            let parent = path.parent().expect("generated files are in a directory");
            fs::create_dir_all(parent)
                .unwrap_or_else(|e| panic!("cannot create {}: {e}", parent.display()));
            fs::write(&path, &file.contents)
                .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        } else if committed.is_none() {
            problems.push(format!("{} is missing", file.path));
        } else {
            problems.push(format!(
                "{} differs from what the CLI definition generates",
                file.path
            ));
        }
    }

    for stale in stale_files(&root.join(dir), dir, prefix, files) {
        if update {
            let path = root.join(&stale);
            fs::remove_file(&path)
                .unwrap_or_else(|e| panic!("cannot remove {}: {e}", path.display()));
        } else {
            problems.push(format!("{stale} is not generated any more (remove it)"));
        }
    }

    assert!(
        problems.is_empty(),
        "generated files are out of date:\n  {}\nRegenerate them with:\n  {REGENERATE}",
        problems.join("\n  ")
    );
}

/// Files in `dir` whose names start with `prefix` and that are not in `files`,
/// as paths relative to the repository root, sorted.
fn stale_files(abs_dir: &Path, dir: &str, prefix: &str, files: &[Generated]) -> Vec<String> {
    let Ok(entries) = fs::read_dir(abs_dir) else {
        return Vec::new();
    };
    let mut stale: Vec<String> = entries
        .flatten()
        .filter(|e| e.path().is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|name| name.starts_with(prefix))
        .map(|name| format!("{dir}/{name}"))
        .filter(|path| !files.iter().any(|f| &f.path == path))
        .collect();
    stale.sort();
    stale
}

#[test]
fn completions_match_the_cli_definition() {
    check(&completions(), "completions", "");
}

#[test]
fn man_pages_match_the_cli_definition() {
    check(&man_pages(), "man", BIN);
}

#[test]
fn man_pages_are_titled_after_their_command() {
    let cmd = cli();
    let subs: Vec<&str> = cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
        .map(|s| s.get_name())
        .filter(|&n| n != "help")
        .collect();
    assert!(
        subs.contains(&"list") && subs.contains(&"trace"),
        "subcommands: {subs:?}"
    );

    let pages = man_pages();
    let paths: Vec<&str> = pages.iter().map(|p| p.path.as_str()).collect();
    let mut expected = vec![format!("man/{BIN}.1")];
    expected.extend(subs.iter().map(|s| format!("man/{BIN}-{s}.1")));
    assert_eq!(paths, expected);

    for page in &pages {
        let text = String::from_utf8(page.contents.clone()).expect("man pages are UTF-8");
        let title = page.path.trim_start_matches("man/").trim_end_matches(".1");
        let th = text
            .lines()
            .find(|l| l.starts_with(".TH "))
            .unwrap_or_else(|| panic!("{}: no .TH line", page.path));
        let th_args: Vec<&str> = th.split_whitespace().collect();
        assert_eq!(
            th_args.get(1..3),
            Some(&[title, "1"][..]),
            "{}: title line is {th:?}",
            page.path
        );
        let source = format!("\"{BIN} {}\"", env!("CARGO_PKG_VERSION"));
        assert!(th.contains(&source), "{}: title line is {th:?}", page.path);
        if title != BIN {
            let usage = format!("{BIN} {}", &title[BIN.len() + 1..]);
            assert!(
                text.contains(&usage),
                "{}: the synopsis does not name `{usage}`",
                page.path
            );
        }
    }
}

#[test]
fn completions_offer_the_subcommands_their_options_and_values() {
    for (shell, name) in COMPLETIONS {
        let text = String::from_utf8(completion(shell)).expect("completions are UTF-8");
        // fish spells options without their dashes (`-l format`).
        for word in [
            "list",
            "trace",
            "format",
            "filter",
            "dir",
            "since",
            "no-formula-guard",
        ] {
            assert!(text.contains(word), "{name}: `{word}` is not offered");
        }
        // clap_complete completes values only for these shells.
        if matches!(shell, Shell::Bash | Shell::Zsh | Shell::Fish) {
            for word in ["jsonl", "csv", "duration", "never"] {
                assert!(
                    text.contains(word),
                    "{name}: the value `{word}` is not offered"
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The generated files are accepted by the tools that read them. A tool that is
// not installed is skipped.

/// `name` as found on `PATH`, if it is there.
fn program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// Runs `program ARGS` with `stdin` as standard input.
fn run_with_stdin(program: &Path, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    let mut input = child.stdin.take().expect("stdin is piped");
    // A tool that stops reading early is not an error here; its status is.
    let _ = input.write_all(stdin);
    drop(input);
    child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("{} did not finish: {e}", program.display()))
}

/// Writes `contents` to a temporary file named `name` and returns the
/// directory (kept alive by the caller) and the path.
fn temp_file(name: &str, contents: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join(name);
    fs::write(&path, contents).expect("the temporary file is written");
    (dir, path)
}

fn assert_success(what: &str, output: &Output) {
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn bash_completion_is_valid_bash_and_registers_agentcli() {
    let Some(bash) = program("bash") else { return };
    let (_dir, script) = temp_file("agentcli.bash", &completion(Shell::Bash));
    let script = script.to_str().expect("temporary paths are UTF-8");

    assert_success(
        "bash -n agentcli.bash",
        &run_with_stdin(&bash, &["-n", script], b""),
    );

    let output = run_with_stdin(
        &bash,
        &[
            "--norc",
            "--noprofile",
            "-c",
            r#"source "$1" && complete -p agentcli"#,
            "bash",
            script,
        ],
        b"",
    );
    assert_success("sourcing agentcli.bash", &output);
    let registered = String::from_utf8_lossy(&output.stdout);
    assert!(
        registered.contains("-F _agentcli_dynamic agentcli"),
        "`complete -p agentcli` printed {registered:?}"
    );
}

#[test]
fn zsh_completion_is_valid_zsh() {
    let Some(zsh) = program("zsh") else { return };
    let (_dir, script) = temp_file("_agentcli", &completion(Shell::Zsh));
    let script = script.to_str().expect("temporary paths are UTF-8");
    assert_success(
        "zsh -n _agentcli",
        &run_with_stdin(&zsh, &["-n", script], b""),
    );
}

#[test]
fn fish_completion_is_valid_fish() {
    let Some(fish) = program("fish") else { return };
    let (_dir, script) = temp_file("agentcli.fish", &completion(Shell::Fish));
    let script = script.to_str().expect("temporary paths are UTF-8");
    assert_success(
        "fish --no-execute agentcli.fish",
        &run_with_stdin(&fish, &["--no-execute", script], b""),
    );
}

/// Renders `page` with groff, else mandoc, else man, to UTF-8 text; `None`
/// when none of them is installed. Fails on an error or a warning.
fn render_man_page(name: &str, page: &[u8]) -> Option<String> {
    let (tool, output) = if let Some(groff) = program("groff") {
        (
            "groff",
            run_with_stdin(&groff, &["-k", "-man", "-Tutf8", "-ww"], page),
        )
    } else if let Some(mandoc) = program("mandoc") {
        (
            "mandoc",
            run_with_stdin(&mandoc, &["-man", "-Tutf8", "-Wwarning"], page),
        )
    } else if let Some(man) = program("man") {
        ("man", run_with_stdin(&man, &["-l", "-Tutf8", "-"], page))
    } else {
        return None;
    };
    assert_success(&format!("{tool} on {name}"), &output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.to_lowercase().contains("warning"))
        .collect();
    assert!(
        warnings.is_empty(),
        "{tool} warns about {name}:\n{}",
        warnings.join("\n")
    );
    Some(String::from_utf8_lossy(&output.stdout).into_owned())
}

#[test]
fn man_pages_render_without_warnings() {
    for page in man_pages() {
        let Some(text) = render_man_page(&page.path, &page.contents) else {
            return;
        };
        // Formatters mark bold and italic with escapes or overstrikes; strip
        // them before looking at the words.
        let text = strip_overstrike(&text);
        for section in ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS"] {
            assert!(
                text.contains(section),
                "{}: no {section} section in:\n{text}",
                page.path
            );
        }
        assert!(
            text.contains("--dir"),
            "{}: --dir is not documented in:\n{text}",
            page.path
        );
    }
}

#[test]
fn top_level_man_page_lists_the_subcommand_pages() {
    let pages = man_pages();
    let Some(text) = render_man_page(&pages[0].path, &pages[0].contents) else {
        return;
    };
    let text = strip_overstrike(&text);
    for page in &pages[1..] {
        let name = page.path.trim_start_matches("man/").trim_end_matches(".1");
        assert!(
            text.contains(&format!("{name}(1)")),
            "{} does not refer to {name}(1):\n{text}",
            pages[0].path
        );
    }
}

/// Removes the `X\bX` (bold) and `_\bX` (underline) overstrikes and the SGR
/// escapes a formatter may use, and spells `\-` (which some set as a minus
/// sign or a hyphen) as `-`.
fn strip_overstrike(text: &str) -> String {
    let mut out: Vec<char> = Vec::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{8}' => {
                out.pop();
            }
            '\u{1b}' => {
                // CSI: ESC [ parameters final-byte
                if chars.peek() == Some(&'[') {
                    chars.next();
                    for c in chars.by_ref() {
                        if c.is_ascii_alphabetic() {
                            break;
                        }
                    }
                }
            }
            '\u{2010}' | '\u{2212}' => out.push('-'),
            c => out.push(c),
        }
    }
    out.into_iter().collect()
}

/// Runs the bash completion as bash would for `line` (the cursor at its
/// end) and returns the candidates.
fn bash_complete(line: &[&str]) -> Vec<String> {
    let Some(bash) = program("bash") else {
        return Vec::new();
    };
    let bin_dir = std::path::Path::new(&assert_cmd::cargo::cargo_bin("agentcli"))
        .parent()
        .expect("the binary has a directory")
        .to_path_buf();
    let words: Vec<String> = line.iter().map(|w| format!("'{w}'")).collect();
    let script = format!(
        "source completions/agentcli.bash\nCOMP_WORDS=({})\nCOMP_CWORD={}\n_agentcli_dynamic agentcli '{}' '{}'\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        words.join(" "),
        line.len() - 1,
        line[line.len() - 1],
        line[line.len() - 2]
    );
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new(bash)
        .arg("-c")
        .arg(script)
        .env("PATH", path)
        .current_dir(util::root())
        .output()
        .expect("bash runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn bash_completes_session_ids_filters_and_falls_back_to_clap() {
    if program("bash").is_none() {
        eprintln!("skipped: no bash");
        return;
    }
    assert_eq!(
        bash_complete(&[
            "agentcli",
            "--dir",
            "fixtures/sessions",
            "trace",
            "session-47"
        ]),
        ["session-4702419103"]
    );
    let all = bash_complete(&["agentcli", "trace", "--dir", "fixtures/sessions", ""]);
    assert_eq!(all.len(), 5, "{all:?}");
    assert_eq!(
        bash_complete(&[
            "agentcli",
            "--dir",
            "fixtures/sessions",
            "trace",
            "--filter",
            "hook=Agent"
        ]),
        ["hook=AgentError"]
    );
    assert!(bash_complete(&[
        "agentcli",
        "--dir",
        "fixtures/sessions",
        "trace",
        "--agent",
        "wr"
    ])
    .contains(&"writer".to_string()));
    // Other options' values come from clap.
    assert_eq!(
        bash_complete(&["agentcli", "trace", "--format", "js"]),
        ["json", "jsonl"]
    );
}
