//! The command line as clap sees it. Nothing below `config` sees these
//! types: [`crate::config`] turns them into plain settings.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXIT_STATUS: &str = "\
Exit status:
  0  success (also: nothing matched, or the output pipe was closed early)
  1  done, but some input was damaged: entries or fields that could not be
     read were skipped and reported on stderr (a last entry that is still
     being written does not count)
  2  error: bad arguments, session not found, or a file that cannot be read";

const MAIN_EXAMPLES: &str = "\
Examples:
  agentcli list                                  sessions in . and ./traces
  agentcli list --dir fixtures --verbose         with paths, agents and first errors
  agentcli trace req-17461596                    the timeline of a session
  agentcli trace --filter agent=writer req-17461596
  agentcli trace --format jsonl req-17461596 | jq -r .error
  agentcli trace - < saved.trace.json            read a trace from stdin";

/// Read, filter and export AgenticGoKit multi-agent session traces.
///
/// agentcli reads the `<session>.trace.json` files AgenticGoKit writes, in
/// every shape they take on disk: still being written (no closing `]`), torn
/// by a crash, continued after `]`, JSON lines, with a byte order mark or
/// CRLF. What cannot be read is reported with its line and column; the rest
/// is shown.
#[derive(Debug, Parser)]
#[command(
    name = "agentcli",
    version,
    propagate_version = true,
    after_help = EXIT_STATUS,
    after_long_help = format!("{MAIN_EXAMPLES}\n\n{EXIT_STATUS}"),
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Directory holding the traces (searched recursively; `traces/` inside
    /// it too). Default: the current directory.
    #[arg(long, global = true, value_name = "DIR", env = "AGENTCLI_DIR")]
    pub dir: Option<PathBuf>,

    /// When to use colors. NO_COLOR and CLICOLOR_FORCE are honored with
    /// `auto`.
    #[arg(long, global = true, value_name = "WHEN", value_enum, default_value_t = ColorArg::Auto)]
    pub color: ColorArg,

    /// Width of tables in columns. Default: the terminal's, else $COLUMNS,
    /// else 120.
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u16).range(20..))]
    pub width: Option<u16>,

    /// Do not print notes (warnings about damaged input are still printed).
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the sessions under the trace directory, with a summary of each.
    #[command(after_long_help = LIST_HELP)]
    List(ListArgs),

    /// Show one session's timeline, or export its entries.
    #[command(after_long_help = TRACE_HELP)]
    Trace(TraceArgs),
}

const LIST_HELP: &str = "\
Examples:
  agentcli list                                  newest first
  agentcli list --dir ./traces --since 2h        sessions started in the last two hours
  agentcli list --since 2025-05-01 --until 2025-05-02
  agentcli list --failed --agent writer          sessions where writer ran and something failed
  agentcli list --sort duration --limit 5        the five longest sessions
  agentcli list --format json | jq -r '.[].id'

STATUS is `complete` (closed array, or JSON lines ending cleanly), `open` (no
closing `]`: still running, or stopped between entries), `torn` (the last entry
is incomplete: being written right now, or crashed) or `empty`; `N damaged`
counts entries or fields that could not be read (`agentcli trace` shows where).

Exit status: 0 success (also when no session matches), 1 some file could not
be read, 2 error.";

const TRACE_HELP: &str = "\
Examples:
  agentcli trace req-17461596                    by id, in --dir, its traces/, or below
  agentcli trace ./runs/req-17461596.trace.json  by path (the suffix may be left out)
  agentcli trace --filter agent=writer req-17461596
  agentcli trace --filter hook=AgentError,AfterAgentRun --filter agent!=planner req-17461596
  agentcli trace --filter error --since 10m req-17461596
  agentcli trace --verbose req-17461596          full state under each row
  agentcli trace --format csv req-17461596 > trace.csv
  agentcli trace --format jsonl req-17461596 | jq 'select(.hook == \"AgentError\")'

Filters (--filter, repeatable; all must match):
  agent=NAME[,NAME…]   the agent that ran (or, before it ran, the one the event
                       was sent to); a bare NAME means the same
  hook=HOOK[,HOOK…]    BeforeEventHandling, BeforeAgentRun, AfterAgentRun,
                       AgentError, AfterEventHandling, or any other name
  event=ID             event ids equal to or starting with ID
  session=, source=, target=
                       session id, the agent that emitted the event, the agent
                       it was sent to
  error                entries that carry an error; error=TEXT: whose error
                       contains TEXT (any case)
  KEY!=VALUE           negates any of the above

The table is in time order (ties keep file order); exports keep file order.
Time is shown in the offset each entry was written with. A hook marked `*` was
derived from the entry's `type`.

Export schema (json, jsonl, csv; one record per entry, in this order):
  index, timestamp, hook, type, session_id, event_id, agent, source, target,
  route, duration_ms, error, state, agent_result, extra
See README.md for the meaning of each column.

Exit status: 0 success (also when nothing matches the filter), 1 some entries
or fields could not be read (reported on stderr), 2 error.";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TraceFormatArg {
    /// A table for people (default).
    Table,
    /// One JSON array of entries.
    Json,
    /// One JSON object per line.
    Jsonl,
    /// RFC 4180 CSV with a header row.
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormatArg {
    Table,
    Json,
    Jsonl,
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SortKey {
    /// Start time, newest first.
    Start,
    /// Session id, A to Z.
    Id,
    /// Duration, longest first.
    Duration,
    /// Entries, most first.
    Entries,
    /// Errors, most first.
    Errors,
    /// Agents, most first.
    Agents,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Also show each session's path, size, agents and first error.
    #[arg(short, long)]
    pub verbose: bool,

    /// Keep sessions that started at or after TIME: a date, a date and time,
    /// or a span back from now (30m, 2h, 3d).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,

    /// Keep sessions that started at or before TIME (a bare date includes
    /// that whole day).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,

    /// Keep sessions in which this agent ran (repeatable: any of them).
    #[arg(long, value_name = "NAME")]
    pub agent: Vec<String>,

    /// Keep sessions with at least one error.
    #[arg(long)]
    pub failed: bool,

    /// Order of the rows.
    #[arg(long, value_enum, default_value_t = SortKey::Start, value_name = "KEY")]
    pub sort: SortKey,

    /// Reverse the order.
    #[arg(short, long)]
    pub reverse: bool,

    /// Show at most N sessions (after sorting).
    #[arg(short = 'n', long, value_name = "N")]
    pub limit: Option<usize>,

    /// Which files are traces: a glob on the file name, or on the path below
    /// the directory when it has a `/`. Default: names ending in .trace.json.
    #[arg(long, value_name = "PATTERN")]
    pub glob: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormatArg::Table, value_name = "FORMAT")]
    pub format: ListFormatArg,

    /// In CSV, do not prefix cells that start with = + - @ with a quote.
    #[arg(long)]
    pub no_formula_guard: bool,
}

#[derive(Debug, Args)]
pub struct TraceArgs {
    /// The session: an id (looked up as <id>.trace.json in --dir, its
    /// traces/, or below), a path to a trace file, or `-` for stdin.
    #[arg(value_name = "SESSION")]
    pub session: String,

    /// Keep entries matching FILTER (repeatable; all must match). See the
    /// grammar below (--help).
    #[arg(short, long, value_name = "FILTER")]
    pub filter: Vec<String>,

    /// Keep entries of this agent; the same as --filter agent=NAME.
    #[arg(long, value_name = "NAME")]
    pub agent: Vec<String>,

    /// Keep entries at or after TIME (a date, a date and time, or a span
    /// back from now such as 30m).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,

    /// Keep entries at or before TIME.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,

    /// Show each entry's full state, result and unknown keys under its row.
    #[arg(short, long)]
    pub verbose: bool,

    /// Show each entry's raw text and position, and every reader problem.
    #[arg(long)]
    pub debug: bool,

    /// Output format.
    #[arg(long, value_enum, default_value_t = TraceFormatArg::Table, value_name = "FORMAT")]
    pub format: TraceFormatArg,

    /// In CSV, do not prefix cells that start with = + - @ with a quote.
    #[arg(long)]
    pub no_formula_guard: bool,
}
