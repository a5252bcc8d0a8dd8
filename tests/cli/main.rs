//! Integration tests: the real `agentcli` binary, run hermetically.

mod util;

mod analyze;
mod diff;
mod export;
mod flow;
mod follow;
mod generated;
mod hostile;
mod list;
mod otlp;
mod props;
mod reader;
mod readme;
mod redact;
mod settings;
mod stats;
mod trace;
mod validate;
