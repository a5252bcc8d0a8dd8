//! agentcli: read, filter, export and explain AgenticGoKit session traces.
//!
//! Data flows one way: [`cli`] → [`config`] → [`commands`], which drive
//! [`input`] (bytes → entries) → [`model`] → [`analysis`] → [`render`] →
//! [`output`].

pub mod analysis;
pub mod cli;
pub mod commands;
pub mod config;
pub mod exit;
pub mod input;
pub mod model;
pub mod output;
pub mod render;

use std::io::Write;

use anyhow::Result;

use crate::commands::Outcome;
use crate::config::CommandConfig;

/// Runs a parsed command line, writing its output to `out`.
pub fn run(cli: cli::Cli, env: &dyn output::Env, out: &mut dyn Write) -> Result<Outcome> {
    let (config, command) = config::configure(cli, env)?;
    match command {
        CommandConfig::List(list) => commands::list::run(&config, &list, out),
        CommandConfig::Trace(trace) => commands::trace::run(&config, &trace, out),
    }
}
