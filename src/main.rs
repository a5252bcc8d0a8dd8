//! The agentcli binary: parse arguments, configure, run (through a pager
//! when the output is long text for a terminal), print the error chain
//! once, choose the exit status.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use agentcli::output::pager::{Output, Pager};
use agentcli::output::{is_broken_pipe, use_color, Env, SystemEnv};
use agentcli::render::text::escape;
use agentcli::render::{Role, Theme};

fn main() -> ExitCode {
    let cli = agentcli::cli::Cli::parse();
    if cli.command.is_none() && !cli.print_config {
        // What clap says when a subcommand is missing: usage, exit 2.
        agentcli::cli::Cli::command()
            .error(
                clap::error::ErrorKind::MissingSubcommand,
                "a command is needed: list, trace, validate, diff, stats or export",
            )
            .exit();
    }
    let env = SystemEnv;
    // Errors while configuring use the flag and environment; once the
    // settings are built (config file included), theirs.
    let mut stderr_theme = Theme {
        color: use_color(
            agentcli::config::early_color(&cli, &env),
            &env,
            env.stderr_is_terminal(),
        ),
    };
    let result = agentcli::config::configure(cli, &env).and_then(|(config, command)| {
        stderr_theme = config.stderr_theme;
        let mut output = match &config.pager {
            None => Output::stdout(),
            Some(pager) => match Pager::start(pager, &env) {
                Ok((pager, input)) => {
                    Output::Pager(io::BufWriter::with_capacity(1 << 16, input), pager)
                }
                Err(e) => {
                    let _ = writeln!(
                        io::stderr().lock(),
                        "{}: cannot start the pager '{}' ({}); writing to the terminal",
                        stderr_theme.paint("warning", Role::Warning),
                        escape(pager),
                        agentcli::output::describe_io(&e)
                    );
                    Output::stdout()
                }
            },
        };
        let outcome = agentcli::execute(&config, command, output.writer());
        let finished = output.finish();
        let outcome = outcome?;
        finished?;
        Ok(outcome)
    });
    match result {
        Ok(outcome) => ExitCode::from(outcome.exit_code() as u8),
        Err(e) if is_broken_pipe(&e) => ExitCode::from(agentcli::exit::SUCCESS as u8),
        Err(e) => {
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
