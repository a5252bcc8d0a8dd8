//! The agentcli binary: parse arguments, run, print the error chain once,
//! choose the exit status.

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use clap::Parser;

use agentcli::output::{is_broken_pipe, use_color, Env, SystemEnv};
use agentcli::render::text::escape;
use agentcli::render::{Role, Theme};

fn main() -> ExitCode {
    let cli = agentcli::cli::Cli::parse();
    let env = SystemEnv;
    let color_when = agentcli::config::color_when(cli.global.color);
    let stderr_theme = Theme {
        color: use_color(color_when, &env, env.stderr_is_terminal()),
    };
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let result = agentcli::run(cli, &env, &mut out).and_then(|outcome| {
        out.flush()?;
        Ok(outcome)
    });
    match result {
        Ok(outcome) => ExitCode::from(outcome.exit_code() as u8),
        Err(e) if is_broken_pipe(&e) => ExitCode::from(agentcli::exit::SUCCESS as u8),
        Err(e) => {
            // Drop what is buffered for a closed stdout silently; the error
            // is what matters now.
            let _ = out.flush();
            // Messages can quote file names and ids from the disk: escape
            // them line by line (hints stay on lines of their own).
            let message = error_message(&e);
            let safe: Vec<String> = message.lines().map(|l| escape(l).into_owned()).collect();
            let _ = writeln!(
                io::stderr().lock(),
                "{}: {}",
                stderr_theme.paint("error", Role::Error),
                safe.join("\n")
            );
            ExitCode::from(agentcli::exit::ERROR as u8)
        }
    }
}

/// The error chain as one message: I/O errors in agentcli's words (no OS
/// error numbers), and an I/O error without context, which can only come
/// from writing the output, says so.
fn error_message(e: &anyhow::Error) -> String {
    let parts: Vec<String> = e
        .chain()
        .map(|cause| match cause.downcast_ref::<io::Error>() {
            Some(io_error) => agentcli::output::describe_io(io_error),
            None => cause.to_string(),
        })
        .collect();
    let bare_io = e.chain().count() == 1 && e.downcast_ref::<io::Error>().is_some();
    if bare_io {
        format!("failed to write the output: {}", parts.join(": "))
    } else {
        parts.join(": ")
    }
}
