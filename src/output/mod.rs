//! Output: where text goes and how. The color decision, the environment
//! (behind a trait so tests can fake it), problems reported on stderr, and
//! closed pipes treated as success.

pub mod pager;
pub mod progress;
pub mod push;

use std::io::{self, IsTerminal, Write};

use crate::input::Diagnostic;
use crate::render::text::escape;
use crate::render::{Role, Theme};

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorWhen {
    #[default]
    Auto,
    Always,
    Never,
}

/// What agentcli reads from its surroundings.
pub trait Env {
    fn var(&self, name: &str) -> Option<String>;
    /// A variable as the OS has it (paths need not be UTF-8).
    fn var_os(&self, name: &str) -> Option<std::ffi::OsString> {
        self.var(name).map(Into::into)
    }
    fn stdout_is_terminal(&self) -> bool;
    fn stderr_is_terminal(&self) -> bool;
    /// Columns of the terminal on stdout, if it is one.
    fn terminal_width(&self) -> Option<usize>;
}

/// The real process environment.
pub struct SystemEnv;

impl Env for SystemEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
    }
    fn var_os(&self, name: &str) -> Option<std::ffi::OsString> {
        std::env::var_os(name)
    }
    fn stdout_is_terminal(&self) -> bool {
        io::stdout().is_terminal()
    }
    fn stderr_is_terminal(&self) -> bool {
        io::stderr().is_terminal()
    }
    fn terminal_width(&self) -> Option<usize> {
        terminal_size::terminal_size_of(io::stdout()).map(|(w, _)| w.0 as usize)
    }
}

/// Whether to color a stream: `--color` wins, then `CLICOLOR_FORCE`, then
/// `NO_COLOR`, then whether the stream is a terminal (and not `TERM=dumb`).
pub fn use_color(when: ColorWhen, env: &dyn Env, is_terminal: bool) -> bool {
    match when {
        ColorWhen::Always => return true,
        ColorWhen::Never => return false,
        ColorWhen::Auto => {}
    }
    let set = |name: &str| env.var(name).is_some_and(|v| !v.is_empty() && v != "0");
    if set("CLICOLOR_FORCE") {
        return true;
    }
    if env.var("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        return false;
    }
    is_terminal && env.var("TERM").as_deref() != Some("dumb")
}

/// Width for tables: `--width`, else the terminal's, else `COLUMNS`, else
/// a width that suits files and pipes.
pub fn table_width(forced: Option<usize>, env: &dyn Env) -> usize {
    forced
        .or_else(|| env.terminal_width())
        .or_else(|| env.var("COLUMNS").and_then(|c| c.trim().parse().ok()))
        .filter(|w| *w > 0)
        .unwrap_or(120)
}

/// An I/O error in the words of agentcli's messages: lowercase, without
/// the operating system's error number.
pub fn describe_io(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file or directory".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => {
            let text = e.to_string();
            let text = match text.rfind(" (os error ") {
                Some(i) => text[..i].to_string(),
                None => text,
            };
            let mut chars = text.chars();
            match chars.next() {
                Some(first) => first.to_lowercase().chain(chars).collect(),
                None => text,
            }
        }
    }
}

/// The context of an error met writing the output while the input was
/// still being read, so that it is not told as a failure to read.
#[derive(Debug)]
pub struct WritingOutput;

impl std::fmt::Display for WritingOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("failed to write the output")
    }
}

/// The context of any other error a view met while the input was still
/// being read (the table's temporary file, say): not a failure to read.
#[derive(Debug)]
pub struct ShowingTrace;

impl std::fmt::Display for ShowingTrace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("failed to show the trace")
    }
}

/// Whether an error is a write into a closed pipe (`agentcli … | head`),
/// which ends the run quietly and successfully.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        let kind = match cause.downcast_ref::<io::Error>() {
            Some(e) => Some(e.kind()),
            // serde_json wraps the write's error and does not give it as
            // its source.
            None => cause
                .downcast_ref::<serde_json::Error>()
                .and_then(serde_json::Error::io_error_kind),
        };
        kind == Some(io::ErrorKind::BrokenPipe)
    })
}

/// Reports the reader's problems on stderr as `warning: path:line:col: …`,
/// at most `limit` per input (all with `--debug`), then how many more.
pub struct Reporter {
    theme: Theme,
    limit: usize,
    quiet: bool,
    source: String,
    shown: usize,
    hidden: usize,
    /// Lines held rather than written ([`Reporter::holding`]).
    held: Option<Vec<(Role, &'static str, String)>>,
}

impl Reporter {
    pub fn new(theme: Theme, limit: usize, quiet: bool) -> Self {
        Reporter {
            theme,
            limit,
            quiet,
            source: String::new(),
            shown: 0,
            hidden: 0,
            held: None,
        }
    }

    /// A reporter like this one that holds its lines until they are
    /// [`Reporter::replay`]ed: for a file read on another thread, whose
    /// problems must still come out in file order.
    pub fn holding(&self) -> Reporter {
        Reporter {
            held: Some(Vec::new()),
            ..Reporter::new(self.theme, self.limit, self.quiet)
        }
    }

    /// Writes what `held` held, as if it had been reported here: the
    /// source before it is finished first, and a source `held` did not
    /// finish (its reading failed) is finished by the next one, as when
    /// the files are read one after another.
    pub fn replay(&mut self, mut held: Reporter) {
        self.finish_source();
        for (role, label, text) in held.held.take().unwrap_or_default() {
            self.say(role, label, &text);
        }
        self.source = held.source;
        self.shown = held.shown;
        self.hidden = held.hidden;
    }

    /// Starts reporting for another input.
    pub fn set_source(&mut self, source: &str) {
        self.finish_source();
        self.source = source.to_string();
        self.shown = 0;
        self.hidden = 0;
    }

    pub fn problem(&mut self, d: &Diagnostic) {
        if self.quiet && !d.kind.is_damage() {
            return;
        }
        if self.shown >= self.limit {
            self.hidden += 1;
            return;
        }
        self.shown += 1;
        let line = format!(
            "{}:{}: {}",
            escape(&self.source),
            d.position,
            escape(&d.message)
        );
        self.say(Role::Warning, "warning", &line);
    }

    /// Says how many problems were not shown for the current input.
    pub fn finish_source(&mut self) {
        if self.hidden > 0 {
            let line = format!(
                "{}: {} more problem{} not shown (--debug shows all)",
                escape(&self.source),
                self.hidden,
                if self.hidden == 1 { "" } else { "s" }
            );
            self.say(Role::Warning, "warning", &line);
            self.hidden = 0;
        }
    }

    /// A warning that is not about a place in a file.
    pub fn warn(&mut self, text: &str) {
        self.say(Role::Warning, "warning", &escape(text));
    }

    /// A note (never about damage); silenced by `--quiet`.
    pub fn note(&mut self, text: &str) {
        self.aside("note", text);
    }

    /// What the user may have meant, after a note; silenced by `--quiet`.
    pub fn hint(&mut self, text: &str) {
        self.aside("hint", text);
    }

    /// A line `--quiet` silences.
    fn aside(&mut self, label: &'static str, text: &str) {
        if !self.quiet {
            self.say(Role::Dim, label, text);
        }
    }

    fn say(&mut self, role: Role, label: &'static str, text: &str) {
        if let Some(held) = &mut self.held {
            held.push((role, label, text.to_string()));
            return;
        }
        // stderr may be closed too; nothing useful can be done about it.
        let mut err = io::stderr().lock();
        progress::clear_line(&mut err);
        let _ = writeln!(err, "{}: {text}", self.theme.paint(label, role));
    }
}

/// An environment for unit tests: these variables, both streams
/// terminals of unknown width.
#[cfg(test)]
pub(crate) struct FakeEnv(std::collections::HashMap<&'static str, &'static str>);

#[cfg(test)]
impl FakeEnv {
    pub(crate) fn new(vars: &[(&'static str, &'static str)]) -> Self {
        FakeEnv(vars.iter().copied().collect())
    }
}

#[cfg(test)]
impl Env for FakeEnv {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn color_follows_flag_then_clicolor_force_then_no_color() {
        let env = FakeEnv::new;
        assert!(use_color(ColorWhen::Auto, &env(&[]), true));
        assert!(!use_color(ColorWhen::Auto, &env(&[]), false));
        assert!(!use_color(
            ColorWhen::Auto,
            &env(&[("NO_COLOR", "1")]),
            true
        ));
        assert!(use_color(
            ColorWhen::Auto,
            &env(&[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")]),
            false
        ));
        assert!(use_color(
            ColorWhen::Always,
            &env(&[("NO_COLOR", "1")]),
            false
        ));
        assert!(!use_color(
            ColorWhen::Never,
            &env(&[("CLICOLOR_FORCE", "1")]),
            true
        ));
        assert!(!use_color(ColorWhen::Auto, &env(&[("TERM", "dumb")]), true));
    }

    #[test]
    fn width_prefers_flag_then_terminal_then_columns() {
        let env = FakeEnv::new(&[("COLUMNS", "90")]);
        assert_eq!(table_width(Some(60), &env), 60);
        assert_eq!(table_width(None, &env), 90);
        assert_eq!(table_width(None, &FakeEnv::new(&[])), 120);
    }

    #[test]
    fn io_errors_read_like_our_messages() {
        assert_eq!(
            describe_io(&io::Error::from(io::ErrorKind::NotFound)),
            "no such file or directory"
        );
        let e = io::Error::from_raw_os_error(40);
        assert_eq!(describe_io(&e), "too many levels of symbolic links");
    }

    #[test]
    fn finds_broken_pipe_in_the_chain() {
        let e = anyhow::Error::new(io::Error::from(io::ErrorKind::BrokenPipe)).context("writing");
        assert!(is_broken_pipe(&e));
        assert!(!is_broken_pipe(&anyhow::anyhow!("other")));
    }
}
