//! The command line as clap sees it. Nothing below `config` sees these
//! types: [`crate::config`] turns them into plain settings.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXIT_STATUS: &str = "\
Exit status:
  0  success; also when nothing matches, or when the output pipe was
     closed early (agentcli ... | head)
  1  done, but some input was damaged: entries or fields that could not
     be read were skipped and reported on stderr (a last entry that is
     still being written does not count), or list met a file it could
     not read
  2  error: bad arguments, session not found, the trace file or the
     directory cannot be read";

const ENVIRONMENT: &str = "\
Environment:
  AGENTCLI_DIR     the trace directory when --dir is not given
  AGENTCLI_COLOR   auto, always or never when --color is not given
  AGENTCLI_PAGER   the pager for long text on a terminal (empty: none)
  PAGER            the pager when AGENTCLI_PAGER is not set
  AGENTCLI_CONFIG  the config file to read instead of the default one
                   (empty: none)
  NO_COLOR         no colors with --color auto
  CLICOLOR_FORCE   colors with --color auto, even in a pipe
  COLUMNS          table width when stdout is not a terminal
  TZ               the zone --local shows times in
  TMPDIR           where the table, the flow and --analyze keep what does
                   not fit their memory budget on large sessions

Files:
  $XDG_CONFIG_HOME/agentcli/config.toml (else ~/.config/agentcli/config.toml)
      defaults for dir, color, pager, width, time_format, time_zone, redact
      and redact_defaults; flags and environment variables win over it.
      agentcli --print-config shows the settings in effect and where they
      come from.";

const MAIN_EXAMPLES: &str = "\
Examples:
  agentcli list
      sessions in the current directory and below, newest first
  agentcli list --dir fixtures/sessions --verbose
      with paths, agents and first errors
  agentcli trace req-17461596
      the timeline of one session
  agentcli trace --filter agent=writer req-17461596
      only what the writer agent did
  agentcli trace --format jsonl req-17461596 | jq -r .error
      entries as JSON lines, for jq
  agentcli trace - < saved.trace.json
      a trace read from stdin";

/// Read, filter and export AgenticGoKit multi-agent session traces.
///
/// agentcli reads the <session>.trace.json files AgenticGoKit writes, in
/// every shape they take on disk: still being written (no closing ]), torn by
/// a crash, continued after ], JSON lines, with a byte order mark or CRLF.
/// What cannot be read is reported with its line and column; the rest is
/// shown.
#[derive(Debug, Parser)]
#[command(
    name = "agentcli",
    version = crate::VERSION,
    propagate_version = true,
    after_help = EXIT_STATUS,
    after_long_help = format!("{MAIN_EXAMPLES}\n\n{ENVIRONMENT}\n\n{EXIT_STATUS}"),
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    /// Print the settings in effect (from flags, environment and the
    /// config file) as a config file, and exit.
    #[arg(long)]
    pub print_config: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every command takes.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Directory holding the traces, searched recursively (traces/ inside it
    /// first). Default: AGENTCLI_DIR, else the config file's dir, else the
    /// current directory.
    #[arg(long, global = true, value_name = "DIR")]
    pub dir: Option<PathBuf>,

    /// When to use colors (default: AGENTCLI_COLOR, else auto). With auto,
    /// NO_COLOR and CLICOLOR_FORCE are honored.
    #[arg(long, global = true, value_name = "WHEN", value_enum)]
    pub color: Option<ColorArg>,

    /// Width of tables in columns, at least 20. Default: the terminal's, else
    /// $COLUMNS, else 120.
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u16).range(20..))]
    pub width: Option<u16>,

    /// Do not print notes (warnings about damaged input are still printed).
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// Do not page long output (default on a terminal: AGENTCLI_PAGER, else
    /// PAGER, else less -FRX).
    #[arg(long, global = true)]
    pub no_pager: bool,

    /// Show control characters and escape sequences from the data as they
    /// are, instead of escaped (they can move the cursor, retitle the
    /// window, hide text: only for data you trust).
    #[arg(long, global = true)]
    pub raw: bool,

    /// Mask the values of state keys matching GLOB (any depth, any case) in
    /// every output and export: --redact '*token_secret*' (repeatable).
    #[arg(long, global = true, value_name = "GLOB")]
    pub redact: Vec<String>,

    /// Mask the usual secrets: *api_key*, *apikey*, *access_token*,
    /// *auth_token*, *password*, *secret*, authorization, cookie (token
    /// counts such as prompt_tokens stay visible).
    #[arg(long, global = true)]
    pub redact_defaults: bool,

    /// Show times in UTC.
    #[arg(long, global = true, conflicts_with = "local")]
    pub utc: bool,

    /// Show times in this machine's zone (TZ). Default: each entry's
    /// offset as written (lists of sessions: local).
    #[arg(long, global = true)]
    pub local: bool,

    /// How times read: clock (10:15:02.123, with the date or offset when
    /// needed), relative (+1.234s since the session's first entry), full
    /// (RFC 3339), or a strftime pattern such as '%H:%M:%S%.6f'.
    #[arg(long, global = true, value_name = "FORMAT")]
    pub time_format: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    /// On a terminal, unless NO_COLOR is set or TERM is dumb.
    Auto,
    /// Always, even in a pipe.
    Always,
    /// Never.
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the sessions under the trace directory, with a summary of each.
    ///
    /// Finds every *.trace.json below the trace directory and shows, per
    /// session: when it started, how long it ran, its entries, agents and
    /// errors, and whether the file is complete, still open, or torn.
    #[command(after_long_help = LIST_HELP)]
    List(ListArgs),

    /// Compare two sessions: where their routes diverge, agents added or
    /// removed, per-agent runs and timing, errors, tokens, wall time.
    #[command(after_long_help = DIFF_HELP)]
    Diff(DiffArgs),

    /// Export sessions as OpenTelemetry traces (OTLP/JSON) or Chrome trace
    /// events, or push them to an OTLP/HTTP collector.
    #[command(after_long_help = EXPORT_HELP)]
    Export(ExportArgs),

    /// Per-agent runs, errors, p50/p95/p99/max run time and tokens over
    /// every matching session.
    #[command(after_long_help = STATS_HELP)]
    Stats(StatsArgs),

    /// Candidates for shell completion, one per line (used by the scripts
    /// in completions/).
    #[command(name = "__complete", hide = true)]
    Complete(CompleteArgs),

    /// Check sessions for structural defects (for CI gates).
    ///
    /// Reports, one line each with its place: a file not closed, a torn
    /// last entry, entries after ], unreadable entries or fields, missing or
    /// mixed session ids, Before without After and After without Before,
    /// unknown hooks, time going backwards. Exit status 0 when clean, 1 when
    /// defects were found.
    #[command(after_long_help = VALIDATE_HELP)]
    Validate(ValidateArgs),

    /// Show one session's timeline, or export its entries.
    ///
    /// Shows a session as a table in time order (time, hook, agent, event,
    /// state, error), or writes its entries as JSON, JSON lines or CSV. Filters
    /// keep the entries of an agent, a hook, an event, errors, or a time range.
    #[command(after_long_help = TRACE_HELP)]
    Trace(TraceArgs),
}

const LIST_HELP: &str = "\
Examples:
  agentcli list
      newest first
  agentcli list --dir ./traces --since 2h
      sessions started in the last two hours
  agentcli list --since 2025-05-01 --until 2025-05-02
      two whole days (dates are local time)
  agentcli list --failed --agent writer
      sessions where writer ran and something failed
  agentcli list --sort duration --limit 5
      the five longest sessions
  agentcli list --format json | jq -r '.[].id'
      session ids, for scripts

Status:
  complete  a closed array, or JSON lines ending cleanly
  open      no closing ]: still running, or stopped between entries
  torn      the last entry is incomplete: being written, or crashed
  empty     no entries
  N damaged entries or fields that could not be read (agentcli trace
            shows where)

Exit status: 0 success (also when no session matches), 1 a file could not
be read or is damaged, 2 error.";

const TRACE_HELP: &str = "\
Examples:
  agentcli trace req-17461596
      by id: in --dir, its traces/, or anywhere below it
  agentcli trace ./runs/req-17461596.trace.json
      by path (the .trace.json suffix may be left out)
  agentcli trace --filter agent=writer req-17461596
      what one agent did
  agentcli trace -f hook=AgentError,AfterAgentRun -f agent!=planner ID
      filters combine: all must match
  agentcli trace --filter error --since 10m req-17461596
      errors of the last ten minutes
  agentcli trace --verbose req-17461596
      full state under each row
  agentcli trace --format csv req-17461596 > trace.csv
      for spreadsheets (formula-safe)
  agentcli trace --format jsonl ID | jq 'select(.hook == \"AgentError\")'
      for jq

Filters (--filter, repeatable; all must match):
  agent=NAME[,NAME...]  the agent that ran (before it ran: the one the
                        event was sent to); a bare NAME means the same
  hook=HOOK[,HOOK...]   BeforeEventHandling, BeforeAgentRun, AfterAgentRun,
                        AgentError, AfterEventHandling, or another name
  event=ID              event ids equal to or starting with ID
  session=ID, source=NAME, target=NAME
                        session id, the agent that emitted the event, the
                        agent it was sent to
  error                 entries that carry an error
  error=TEXT            entries whose error contains TEXT (any case)
  KEY!=VALUE            the opposite of KEY=VALUE

Times (--since, --until): a date (2025-05-02, local time; with --until
the whole day), a date and time (2025-05-02T14:30, RFC 3339 with an
offset), now, today, yesterday, or a span back from now (30m, 2h, 3d).

The table is in time order (ties keep file order); exports keep file
order. Times are shown in the offset each entry was written with. A hook
marked * was derived from the entry's type field.

Export columns (json, jsonl, csv; one record per entry, in this order):
  index, timestamp, hook, type, session_id, event_id, agent, source,
  target, route, duration_ms, error, state, agent_result, extra
(the agentcli README describes each).

Exit status: 0 success (also when nothing matches the filter), 1 some
entries or fields could not be read (reported on stderr), 2 error.";

const DIFF_HELP: &str = "\
Examples:
  agentcli diff run-monday run-tuesday
      what changed between two runs of the same system
  agentcli diff base.trace.json new.trace.json --fail-on-regression 10
      exit 1 when the new run is more than 10% slower (for CI)
  agentcli diff A B --format json | jq .divergence

Exit status: 0 done, 1 B slower than A by more than --fail-on-regression
(or a file was damaged), 2 error.";

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The first session (id, path, or -).
    #[arg(value_name = "A")]
    pub a: std::ffi::OsString,

    /// The second session.
    #[arg(value_name = "B")]
    pub b: std::ffi::OsString,

    /// Exit with status 1 when B's wall time exceeds A's by more than PCT
    /// percent.
    #[arg(long, value_name = "PCT")]
    pub fail_on_regression: Option<f64>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ValidateFormatArg::Text, value_name = "FORMAT")]
    pub format: ValidateFormatArg,
}

const EXPORT_HELP: &str = "\
Examples:
  agentcli export > traces.json
      every session under the trace directory, one OTLP/JSON request
  agentcli export --since 1d --otlp-endpoint http://localhost:4318
      the last day's sessions, to a collector (Jaeger, Tempo, ...)
  agentcli export --otlp-endpoint https://otlp.example.com \\
      --otlp-header 'Authorization=Bearer TOKEN' req-17461596
  agentcli export --format chrome req-17461596 > trace.json
      open it in https://ui.perfetto.dev

One trace per session: a root span, a span per event, a child span per agent
run; ids are derived from the session, so exporting twice gives the same ids.";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormatArg {
    /// One OTLP/JSON ExportTraceServiceRequest with every session.
    Otlp,
    /// One request per session, a line each.
    OtlpJsonl,
    /// Chrome trace events, a process per session.
    Chrome,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Sessions to export (ids or paths); default: every session under
    /// --dir that passes the filters below.
    #[arg(value_name = "SESSION")]
    pub sessions: Vec<std::ffi::OsString>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ExportFormatArg::Otlp, value_name = "FORMAT")]
    pub format: ExportFormatArg,

    /// Sessions that started at or after TIME (as for list).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,

    /// Sessions that started at or before TIME.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,

    /// Sessions in which this agent ran (repeatable: any of them).
    #[arg(long, value_name = "NAME")]
    pub agent: Vec<String>,

    /// Sessions with at least one error.
    #[arg(long)]
    pub failed: bool,

    /// Which files are traces (as for list).
    #[arg(long, value_name = "PATTERN")]
    pub glob: Option<String>,

    #[command(flatten)]
    pub otlp: OtlpArgs,
}

const STATS_HELP: &str = "\
Examples:
  agentcli stats
      every session under the trace directory
  agentcli stats --since 1d --agent writer
      the writer over the last day
  agentcli stats --format csv > agents.csv

Percentiles are nearest-rank over the runs' durations; unfinished runs are
left out of them.";

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Sessions that started at or after TIME (as for list).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,

    /// Sessions that started at or before TIME.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,

    /// Only these agents (repeatable), in the sessions where they ran.
    #[arg(long, value_name = "NAME")]
    pub agent: Vec<String>,

    /// Only entries matching FILTER are paired into runs (as for trace).
    #[arg(short, long, value_name = "FILTER")]
    pub filter: Vec<String>,

    /// Which files are traces (as for list).
    #[arg(long, value_name = "PATTERN")]
    pub glob: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormatArg::Table, value_name = "FORMAT")]
    pub format: ListFormatArg,

    /// In CSV, do not prefix cells that start with = + - @, a tab or a
    /// carriage return with a quote.
    #[arg(long)]
    pub no_formula_guard: bool,
}

const VALIDATE_HELP: &str = "\
Examples:
  agentcli validate req-17461596
      one session
  agentcli validate --dir ./traces
      every session under the directory
  agentcli validate ./traces --format json | jq '.[] | select(.defects != [])'

Defect kinds: no-entries, not-closed, torn-last-entry, entries-after-close, cut-off-entry,
stray-bytes, unparseable-entry, not-an-entry, bad-field, invalid-utf8,
control-character, missing-session-id, mixed-session-ids,
before-without-after, after-without-before, event-without-end,
event-without-start, unknown-hook, no-hook, time-goes-back.

Exit status: 0 no defects, 1 defects found, 2 error.";

#[derive(Debug, Args)]
pub struct CompleteArgs {
    /// What to complete.
    #[arg(value_enum)]
    pub kind: CompleteKindArg,

    /// What is typed so far.
    #[arg(default_value = "", allow_hyphen_values = true)]
    pub prefix: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompleteKindArg {
    Sessions,
    Agents,
    Filters,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// A session id, a trace file, - for stdin, or a directory (every
    /// trace below it). Default: every session under --dir.
    #[arg(value_name = "TARGET")]
    pub target: Option<std::ffi::OsString>,

    /// How far back in time an entry may go before it is a defect
    /// (parallel agents interleave): 500ms, 1s, 5s.
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = parse_duration)]
    pub tolerance: std::time::Duration,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ValidateFormatArg::Text, value_name = "FORMAT")]
    pub format: ValidateFormatArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ValidateFormatArg {
    /// One line per defect, `path:line:column: kind: message`.
    Text,
    /// One JSON array with an object per file.
    Json,
}

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
    /// A Mermaid diagram of the flow (implies --flow-only).
    Mermaid,
    /// A Graphviz digraph of the agent graph (implies --flow-only).
    Dot,
    /// OpenTelemetry: one OTLP/JSON ExportTraceServiceRequest.
    Otlp,
    /// OpenTelemetry: one request per line (the OpenTelemetry file
    /// exporter's format).
    OtlpJsonl,
    /// Chrome trace events, for Perfetto and chrome://tracing.
    Chrome,
}

/// OpenTelemetry options, shared by trace and export.
#[derive(Debug, Args)]
#[command(next_help_heading = "OpenTelemetry")]
pub struct OtlpArgs {
    /// service.name of the exported traces.
    #[arg(long, value_name = "NAME", default_value = "agentcli")]
    pub service_name: String,

    /// Put each run's input and output state into span attributes (can be
    /// large, and may hold secrets).
    #[arg(long)]
    pub include_state: bool,

    /// Send the traces to an OTLP/HTTP collector instead of writing them
    /// (http://localhost:4318 is taken as http://localhost:4318/v1/traces).
    #[arg(long, value_name = "URL")]
    pub otlp_endpoint: Option<String>,

    /// A header to send, such as an API key (repeatable).
    #[arg(long, value_name = "KEY=VALUE", requires = "otlp_endpoint")]
    pub otlp_header: Vec<String>,

    /// How long one request may take.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub otlp_timeout: std::time::Duration,

    /// Retries on 429, 502, 503, 504 and connection failures, with backoff
    /// (Retry-After is honored).
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub otlp_retries: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiagramArg {
    /// A sequenceDiagram of the hops in time order.
    Sequence,
    /// A flowchart of the agent graph, with hop counts on the edges.
    Graph,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormatArg {
    /// A table for people (default).
    Table,
    /// One JSON array of sessions.
    Json,
    /// One JSON object per line.
    Jsonl,
    /// RFC 4180 CSV with a header row.
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

/// How --follow notices changes.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// With --follow: how often to look for changes when file
    /// notifications are not delivered (network file systems, watch
    /// limits), and as a safety net when they are: 250ms, 1s, 2m (10ms to
    /// 1h).
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = parse_interval)]
    pub poll_interval: std::time::Duration,

    /// With --follow: look every --poll-interval instead of using file
    /// notifications.
    #[arg(long)]
    pub poll: bool,
}

/// A duration on the command line: `250ms`, `1s`, `1.5s`, `2m`, `1h`, or
/// a plain number of seconds; at most an hour.
fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let t = text.trim();
    let (number, unit) = match t.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => (&t[..i], &t[i..]),
        None => (t, "s"),
    };
    let scale = match unit {
        "ms" => 0.001,
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        _ => return Err(format!("'{text}' is not a duration (250ms, 1s, 2m, 1h)")),
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("'{text}' is not a duration (250ms, 1s, 2m, 1h)"))?;
    let seconds = value * scale;
    if !seconds.is_finite() || !(0.0..=3600.0).contains(&seconds) {
        return Err(format!("'{text}' is out of range (0 to 1h)"));
    }
    std::time::Duration::try_from_secs_f64(seconds).map_err(|e| format!("'{text}': {e}"))
}

/// How often to look: at least 10ms (anything less would spin).
fn parse_interval(text: &str) -> Result<std::time::Duration, String> {
    let d = parse_duration(text)?;
    if d < std::time::Duration::from_millis(10) {
        return Err(format!("'{text}' is too short (10ms to 1h)"));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units_and_never_panic() {
        assert_eq!(
            parse_duration("250ms"),
            Ok(std::time::Duration::from_millis(250))
        );
        assert_eq!(
            parse_duration("1.5s"),
            Ok(std::time::Duration::from_millis(1500))
        );
        assert_eq!(
            parse_duration("2m"),
            Ok(std::time::Duration::from_secs(120))
        );
        assert_eq!(
            parse_duration("1h"),
            Ok(std::time::Duration::from_secs(3600))
        );
        assert_eq!(parse_duration("2"), Ok(std::time::Duration::from_secs(2)));
        for bad in ["inf", "1e30", "NaN", "-1s", "2d", "", "s", "1e400ms"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert!(parse_interval("1ms").is_err());
        assert!(parse_interval("10ms").is_ok());
    }
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Also show each session's path, size, agents and first error.
    #[arg(short, long)]
    pub verbose: bool,

    /// Keep sessions that started at or after TIME: a date, a date and time,
    /// now, today, yesterday, or a span back from now (30m, 2h, 3d, 1w).
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
    /// the directory when it has a /. Default: names ending in .trace.json.
    #[arg(long, value_name = "PATTERN")]
    pub glob: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormatArg::Table, value_name = "FORMAT")]
    pub format: ListFormatArg,

    /// In CSV, do not prefix cells that start with = + - @, a tab or a
    /// carriage return with a quote.
    #[arg(long)]
    pub no_formula_guard: bool,

    /// Read every file again. By default summaries are kept in
    /// $XDG_CACHE_HOME/agentcli (else ~/.cache/agentcli) and reused while a
    /// file keeps its size and modification time.
    #[arg(long)]
    pub no_cache: bool,

    /// Instead of listing, follow every session under --dir as it is
    /// written: the same as `agentcli trace --follow` without a session.
    #[arg(
        long,
        conflicts_with_all = ["verbose", "since", "until", "agent", "failed", "limit", "sort", "reverse", "glob"]
    )]
    pub follow: bool,

    #[command(flatten)]
    pub watch: WatchArgs,
}

#[derive(Debug, Args)]
pub struct TraceArgs {
    /// The session: an id (looked up as <id>.trace.json in --dir, its
    /// traces/, or below), a path to a trace file, or - for stdin.
    /// With --follow, it may be left out to follow every session under
    /// --dir.
    #[arg(value_name = "SESSION", required_unless_present = "follow")]
    pub session: Option<std::ffi::OsString>,

    /// Keep entries matching FILTER: agent=NAME, hook=HOOK, event=ID,
    /// error, ... (repeatable; all must match; the Filters section of
    /// --help has the grammar).
    #[arg(short, long, value_name = "FILTER")]
    pub filter: Vec<String>,

    /// Keep entries of this agent: the same as --filter agent=NAME.
    /// Repeatable (any of them); combined with --filter, both must match.
    #[arg(long, value_name = "NAME")]
    pub agent: Vec<String>,

    /// Keep entries at or after TIME (a date, a date and time, or a span
    /// back from now such as 30m).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,

    /// Keep entries at or before TIME (a bare date includes that whole day).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,

    /// Show each entry's full state, result and unknown keys under its row.
    #[arg(short, long)]
    pub verbose: bool,

    /// Show each entry's raw text and position, and every reader problem.
    #[arg(long)]
    pub debug: bool,

    /// Analyze the session instead of listing entries: wall time, runs,
    /// errors, retries, loops, tokens; per agent p50/p95/p99/max and share
    /// of time; the critical path; the slowest runs; the first error. With
    /// --format json, the same as JSON.
    #[arg(long, conflicts_with_all = ["flow_only", "follow"])]
    pub analyze: bool,

    /// Show entry N (the # of the table) in full, with the state keys added,
    /// removed and changed since the previous state of its event or agent.
    #[arg(long, value_name = "N", conflicts_with_all = ["flow_only", "follow", "analyze"])]
    pub at: Option<u64>,

    #[command(flatten)]
    pub otlp: OtlpArgs,

    /// With --flow-only: the state keys each hop added, removed or changed
    /// (from the event's input state to the run's output state).
    #[arg(long, requires = "flow_only")]
    pub state_diff: bool,

    /// With --analyze: how many of the slowest runs to show.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub top: usize,

    /// Keep reading as the session is written: show what the file holds,
    /// then each new entry as soon as it is complete, until Ctrl-C. Without
    /// SESSION, follow every session under --dir.
    #[arg(long)]
    pub follow: bool,

    #[command(flatten)]
    pub watch: WatchArgs,

    /// Show who handed work to whom instead of every entry: the flow table,
    /// sequence diagrams, the condensed route and a lane diagram; with
    /// --format json|jsonl|csv, the hops as records.
    #[arg(long)]
    pub flow_only: bool,

    /// Output format.
    #[arg(long, value_enum, default_value_t = TraceFormatArg::Table, value_name = "FORMAT")]
    pub format: TraceFormatArg,

    /// With --format mermaid: a sequence diagram of the hops, or a graph of
    /// the agents.
    #[arg(long, value_enum, value_name = "KIND")]
    pub diagram: Option<DiagramArg>,

    /// In CSV, do not prefix cells that start with = + - @, a tab or a
    /// carriage return with a quote.
    #[arg(long)]
    pub no_formula_guard: bool,
}
