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

/// The version and the commit this build was made from (`--version`, and
/// what tags the cache).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("AGENTCLI_GIT_COMMIT"),
    ")"
);

use anyhow::Result;

use crate::commands::Outcome;
use crate::config::CommandConfig;

/// Runs a configured command.
pub fn execute(
    config: &config::Config,
    command: CommandConfig,
    out: &mut dyn Write,
) -> Result<Outcome> {
    match command {
        CommandConfig::List(list) => match list.follow {
            Some(follow) => {
                let trace = config::TraceConfig {
                    session: None,
                    filter: analysis::Filter::default(),
                    view: config::TraceView::Entries(list.follow_format),
                    follow: Some(follow),
                    state_diff: false,
                };
                commands::follow::run(config, &trace, follow, out)
            }
            None => commands::list::run(config, &list, out),
        },
        CommandConfig::PrintConfig(text) => {
            out.write_all(text.as_bytes())?;
            Ok(Outcome::default())
        }
        CommandConfig::Complete(c) => commands::complete::run(config, &c, out),
        CommandConfig::Export(e) => commands::export::run(config, &e, out),
        CommandConfig::Stats(s) => commands::stats::run(config, &s, out),
        CommandConfig::Diff(d) => commands::diff::run(config, &d, out),
        CommandConfig::Validate(validate) => commands::validate::run(config, &validate, out),
        CommandConfig::Trace(trace) => match trace.follow {
            Some(follow) => commands::follow::run(config, &trace, follow, out),
            None => commands::trace::run(config, &trace, out),
        },
    }
}
