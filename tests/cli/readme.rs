//! The README's examples are real: every `$ agentcli …` line in a
//! ```console block is run, and its output must be what the README shows.
//! `AGENTCLI_UPDATE_README=1 cargo test --test cli readme` rewrites them.

use crate::util::{agentcli, root};

/// One example: the command line and the output shown under it.
struct Example {
    command: String,
    /// Line range of the shown output in the README.
    output: std::ops::Range<usize>,
    /// The example ends with `…`: only its first lines are shown.
    cut: bool,
}

fn examples(lines: &[&str]) -> Vec<Example> {
    let mut out = Vec::new();
    let mut in_console = false;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if line.starts_with("```") {
            in_console = line == "```console";
            i += 1;
            continue;
        }
        if in_console {
            if let Some(cmd) = line.strip_prefix("$ ") {
                let start = i + 1;
                let mut end = start;
                while end < lines.len()
                    && !lines[end].starts_with("$ ")
                    && !lines[end].starts_with("```")
                {
                    end += 1;
                }
                // A blank line before the next command separates examples.
                let mut shown_end = end;
                while shown_end > start && lines[shown_end - 1].is_empty() {
                    shown_end -= 1;
                }
                let cut = shown_end > start && lines[shown_end - 1] == "…";
                if cut {
                    shown_end -= 1;
                }
                out.push(Example {
                    command: cmd.to_string(),
                    output: start..shown_end,
                    cut,
                });
                i = end;
                continue;
            }
        }
        i += 1;
    }
    out
}

/// Runs an example the way the README shows it; `None` for examples that
/// pipe into other programs.
fn run_example(command: &str) -> Option<String> {
    let (command, stderr_only) = match command.strip_suffix(" > /dev/null") {
        Some(c) => (c, true),
        None => (command, false),
    };
    if command.contains('|')
        || command.contains('>')
        || command.contains('<')
        || !command.starts_with("agentcli ")
    {
        return None;
    }
    let args: Vec<&str> = command["agentcli ".len()..].split_whitespace().collect();
    let out = agentcli().args(&args).output().unwrap();
    let text = if stderr_only { out.stderr } else { out.stdout };
    Some(String::from_utf8(text).unwrap())
}

#[test]
fn readme_examples_show_what_agentcli_prints() {
    let path = root().join("README.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let update = std::env::var("AGENTCLI_UPDATE_README").as_deref() == Ok("1");
    let mut replaced: Vec<(std::ops::Range<usize>, Vec<String>)> = Vec::new();
    let mut checked = 0;
    for ex in examples(&lines) {
        let Some(actual) = run_example(&ex.command) else {
            continue;
        };
        checked += 1;
        let mut actual: Vec<String> = actual.lines().map(str::to_string).collect();
        if ex.cut {
            actual.truncate(ex.output.len());
        }
        let shown: Vec<String> = lines[ex.output.clone()]
            .iter()
            .map(|l| l.to_string())
            .collect();
        if update {
            if ex.cut {
                actual.truncate(shown.len().max(1));
            }
            replaced.push((ex.output.clone(), actual));
        } else {
            assert_eq!(
                shown, actual,
                "README example `{}` is out of date; AGENTCLI_UPDATE_README=1 cargo test --test cli readme rewrites it",
                ex.command
            );
        }
    }
    assert!(checked >= 8, "only {checked} examples found");
    if update {
        let mut new: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        for (range, output) in replaced.into_iter().rev() {
            new.splice(range, output);
        }
        std::fs::write(&path, new.join("\n") + "\n").unwrap();
    }
}
