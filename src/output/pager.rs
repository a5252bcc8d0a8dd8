//! Long text on a terminal goes through a pager: `AGENTCLI_PAGER`, else
//! `PAGER`, else `less -FRX` (quits at once when it fits, keeps colors,
//! leaves the screen as it was).

use std::io::{self, Write};
use std::process::{Child, ChildStdin, Command, Stdio};

use super::Env;

/// The pager to use, from the environment: `None` when paging is off
/// (`AGENTCLI_PAGER=` empty, or `PAGER=cat`).
pub fn pager_command(env: &dyn Env, configured: Option<&str>) -> Option<String> {
    let chosen = env
        .var("AGENTCLI_PAGER")
        .or_else(|| configured.map(str::to_string))
        .or_else(|| env.var("PAGER"))
        .unwrap_or_else(|| "less -FRX".to_string());
    let chosen = chosen.trim().to_string();
    if chosen.is_empty() || chosen == "cat" {
        None
    } else {
        Some(chosen)
    }
}

/// A running pager.
pub struct Pager {
    child: Child,
}

impl Pager {
    /// Starts `command` (split at blanks, run without a shell); `Err` says
    /// why it could not start.
    pub fn start(command: &str) -> io::Result<(Pager, ChildStdin)> {
        let mut parts = command.split_whitespace();
        let program = parts.next().unwrap_or("less");
        let mut cmd = Command::new(program);
        cmd.args(parts).stdin(Stdio::piped());
        // less without options of its own still keeps colors.
        if program.ends_with("less") && std::env::var_os("LESS").is_none() {
            cmd.env("LESS", "FRX");
        }
        let mut child = cmd.spawn()?;
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| io::Error::other("the pager has no input"))?;
        Ok((Pager { child }, stdin))
    }

    /// Waits for the reader to quit the pager.
    pub fn wait(mut self) {
        let _ = self.child.wait();
    }
}

/// Where output goes: the terminal (or pipe), or a pager.
pub enum Output {
    Stdout(io::BufWriter<io::StdoutLock<'static>>),
    Pager(io::BufWriter<ChildStdin>, Pager),
}

impl Output {
    pub fn stdout() -> Output {
        Output::Stdout(io::BufWriter::with_capacity(1 << 16, io::stdout().lock()))
    }

    pub fn writer(&mut self) -> &mut dyn Write {
        match self {
            Output::Stdout(w) => w,
            Output::Pager(w, _) => w,
        }
    }

    /// Flushes, closes the pager's input and waits for it.
    pub fn finish(self) -> io::Result<()> {
        match self {
            Output::Stdout(mut w) => w.flush(),
            Output::Pager(mut w, pager) => {
                let flushed = w.flush();
                drop(w);
                pager.wait();
                flushed
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Vars(HashMap<&'static str, &'static str>);

    impl Env for Vars {
        fn var(&self, name: &str) -> Option<String> {
            self.0.get(name).map(|v| v.to_string())
        }
        fn stdout_is_terminal(&self) -> bool {
            true
        }
        fn stderr_is_terminal(&self) -> bool {
            true
        }
        fn terminal_width(&self) -> Option<usize> {
            None
        }
    }

    #[test]
    fn agentcli_pager_wins_then_config_then_pager_then_less() {
        let env = |pairs: &[(&'static str, &'static str)]| Vars(pairs.iter().copied().collect());
        assert_eq!(pager_command(&env(&[]), None).as_deref(), Some("less -FRX"));
        assert_eq!(
            pager_command(&env(&[("PAGER", "more")]), None).as_deref(),
            Some("more")
        );
        assert_eq!(
            pager_command(&env(&[("PAGER", "more")]), Some("most")).as_deref(),
            Some("most")
        );
        assert_eq!(
            pager_command(
                &env(&[("AGENTCLI_PAGER", "bat"), ("PAGER", "more")]),
                Some("most")
            )
            .as_deref(),
            Some("bat")
        );
        assert_eq!(pager_command(&env(&[("AGENTCLI_PAGER", "")]), None), None);
        assert_eq!(pager_command(&env(&[("PAGER", "cat")]), None), None);
    }
}
