//! Settings built from the command line and the environment. Everything
//! past this point takes these plain structs, never clap types.

use std::path::PathBuf;

use anyhow::{anyhow, bail, Result};
use chrono::Utc;

use crate::analysis::time_range::{parse_time, End};
use crate::analysis::{Condition, Filter, SessionSort, TimeRange};
use crate::cli::{
    Cli, ColorArg, Command, CompleteKindArg, DiagramArg, ExportFormatArg, ListFormatArg, OtlpArgs,
    SortKey, TraceFormatArg, ValidateFormatArg,
};
use crate::input::redact::{Redactor, DEFAULT_PATTERNS};
use crate::input::TraceGlob;
use crate::output::push::{endpoint_url, PushOptions};
use crate::output::{table_width, use_color, ColorWhen, Env};
use crate::render::analysis::AnalysisFormat;
use crate::render::mermaid::Diagram;
use crate::render::otlp::OtlpOptions;
use crate::render::time::{TimeFormat, TimeStyle, Zone};
use crate::render::{EntryFormat, FlowFormat, ListFormat, TextOptions, Theme};

pub mod file;

/// Settings all commands share.
#[derive(Debug, Clone)]
pub struct Config {
    pub dir: PathBuf,
    /// Colors and width for stdout.
    pub text: TextOptions,
    /// Colors for stderr.
    pub stderr_theme: Theme,
    pub quiet: bool,
    /// `--redact`, `--redact-defaults`: applied as traces are read.
    pub redact: Option<std::sync::Arc<Redactor>>,
    /// The pager to send the output through, when the view is long text
    /// for a terminal.
    pub pager: Option<String>,
    /// Show a progress line on stderr for long reads (a terminal, not
    /// --quiet).
    pub progress: bool,
}

/// Whether a command writes text for people that may be long (never
/// follow, exports or machine formats).
fn pages(command: &CommandConfig) -> bool {
    match command {
        CommandConfig::List(l) => l.follow.is_none() && l.format == ListFormat::Table,
        CommandConfig::Trace(t) => {
            t.follow.is_none()
                && matches!(
                    t.view,
                    TraceView::Entries(EntryFormat::Table)
                        | TraceView::Flow(FlowFormat::Text)
                        | TraceView::Analyze(AnalysisFormat::Text, _)
                        | TraceView::At(_, false)
                )
        }
        CommandConfig::Diff(d) => !d.json,
        CommandConfig::Stats(s) => s.format == ListFormat::Table,
        CommandConfig::Validate(v) => !v.json,
        CommandConfig::Export(_) | CommandConfig::Complete(_) | CommandConfig::PrintConfig(_) => {
            false
        }
    }
}

#[derive(Debug, Clone)]
pub struct TraceConfig {
    /// `None` only when following a whole directory.
    pub session: Option<std::ffi::OsString>,
    pub filter: Filter,
    pub view: TraceView,
    pub follow: Option<FollowConfig>,
    /// `--state-diff`: hops say which state keys they changed.
    pub state_diff: bool,
}

/// How `--follow` watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FollowConfig {
    pub poll_interval: std::time::Duration,
    /// Poll instead of using file notifications.
    pub force_poll: bool,
}

/// What `trace` shows: entries, or the flow of hops.
#[derive(Debug, Clone)]
pub enum TraceView {
    Entries(EntryFormat),
    Flow(FlowFormat),
    /// `--analyze`, as text or JSON, with the number of slowest runs.
    Analyze(AnalysisFormat, usize),
    /// `--at N`: one entry in full; JSON or not.
    At(u64, bool),
    /// OTLP or Chrome trace events.
    Spans(SpanExportConfig),
}

#[derive(Debug, Clone)]
pub struct ListConfig {
    /// With `follow`: how entries are written.
    pub follow_format: EntryFormat,
    pub time: TimeRange,
    pub agents: Vec<String>,
    pub failed: bool,
    pub sort: SessionSort,
    pub reverse: bool,
    pub limit: Option<usize>,
    pub glob: Option<TraceGlob>,
    pub format: ListFormat,
    /// `list --follow`: follow the directory instead of listing it.
    pub follow: Option<FollowConfig>,
}

#[derive(Debug, Clone)]
pub struct ValidateConfig {
    /// `None`: every session under the trace directory.
    pub target: Option<std::ffi::OsString>,
    pub tolerance_ms: u64,
    pub json: bool,
}

#[derive(Debug, Clone)]
pub struct DiffConfig {
    pub a: std::ffi::OsString,
    pub b: std::ffi::OsString,
    pub fail_on_regression: Option<f64>,
    pub json: bool,
}

#[derive(Debug, Clone)]
pub struct StatsConfig {
    pub time: TimeRange,
    pub agents: Vec<String>,
    pub filter: Filter,
    pub glob: Option<TraceGlob>,
    pub format: ListFormat,
}

/// Span-based exports (OTLP, Chrome).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpanFormat {
    Otlp,
    OtlpJsonl,
    Chrome,
}

#[derive(Debug, Clone)]
pub struct SpanExportConfig {
    pub format: SpanFormat,
    pub otlp: OtlpOptions,
    /// Where to send instead of writing.
    pub push: Option<PushOptions>,
}

#[derive(Debug, Clone)]
pub struct ExportConfig {
    pub sessions: Vec<std::ffi::OsString>,
    pub time: TimeRange,
    pub agents: Vec<String>,
    pub failed: bool,
    pub glob: Option<TraceGlob>,
    pub spans: SpanExportConfig,
}

fn span_export(format: SpanFormat, a: OtlpArgs) -> Result<SpanExportConfig> {
    let push = match &a.otlp_endpoint {
        None => None,
        Some(endpoint) => {
            if format == SpanFormat::Chrome {
                bail!("--otlp-endpoint sends OpenTelemetry traces, not Chrome trace events");
            }
            let mut headers = Vec::new();
            for h in &a.otlp_header {
                let Some((k, v)) = h.split_once('=') else {
                    bail!("invalid --otlp-header '{h}': expected KEY=VALUE");
                };
                if k.trim().is_empty() {
                    bail!("invalid --otlp-header '{h}': the key is empty");
                }
                headers.push((k.trim().to_string(), v.to_string()));
            }
            Some(PushOptions {
                url: endpoint_url(endpoint)?,
                headers,
                timeout: a.otlp_timeout,
                retries: a.otlp_retries,
            })
        }
    };
    Ok(SpanExportConfig {
        format,
        otlp: OtlpOptions {
            service_name: a.service_name,
            include_state: a.include_state,
        },
        push,
    })
}

/// `__complete`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompleteKind {
    Sessions,
    Agents,
    Filters,
}

#[derive(Debug, Clone)]
pub struct CompleteConfig {
    pub kind: CompleteKind,
    pub prefix: String,
}

#[derive(Debug, Clone)]
pub enum CommandConfig {
    Complete(CompleteConfig),
    Export(ExportConfig),
    Diff(DiffConfig),
    Stats(StatsConfig),
    List(ListConfig),
    Trace(TraceConfig),
    Validate(ValidateConfig),
    /// `--print-config`: the settings in effect, as a config file.
    PrintConfig(String),
}

/// `--color` as the output layer takes it.
pub fn color_when(arg: ColorArg) -> ColorWhen {
    match arg {
        ColorArg::Auto => ColorWhen::Auto,
        ColorArg::Always => ColorWhen::Always,
        ColorArg::Never => ColorWhen::Never,
    }
}

/// Where a setting came from, for `--print-config`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Flag,
    Env(&'static str),
    File,
    Default,
}

impl Source {
    fn describe(self) -> String {
        match self {
            Source::Flag => "command line".to_string(),
            Source::Env(name) => name.to_string(),
            Source::File => "config file".to_string(),
            Source::Default => "default".to_string(),
        }
    }
}

/// The first of flag, environment, config file, default that is set.
fn pick<T>(
    flag: Option<T>,
    env: Option<(T, &'static str)>,
    file: Option<T>,
    default: T,
) -> (T, Source) {
    flag.map(|v| (v, Source::Flag))
        .or_else(|| env.map(|(v, name)| (v, Source::Env(name))))
        .or_else(|| file.map(|v| (v, Source::File)))
        .unwrap_or((default, Source::Default))
}

fn parse_color(value: &str) -> Option<ColorArg> {
    match value.trim().to_ascii_lowercase().as_str() {
        "auto" => Some(ColorArg::Auto),
        "always" => Some(ColorArg::Always),
        "never" => Some(ColorArg::Never),
        _ => None,
    }
}

/// `AGENTCLI_COLOR`, checked.
fn env_color(env: &dyn Env) -> Result<Option<ColorArg>> {
    match env.var("AGENTCLI_COLOR").filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => match parse_color(&v) {
            Some(c) => Ok(Some(c)),
            None => bail!("AGENTCLI_COLOR is '{v}'\nhint: use auto, always or never"),
        },
    }
}

/// Colors for messages printed before (or instead of) the settings being
/// built: `--color`, else `AGENTCLI_COLOR`, else auto.
pub fn early_color(cli: &Cli, env: &dyn Env) -> ColorWhen {
    color_when(
        cli.global
            .color
            .or_else(|| env_color(env).ok().flatten())
            .unwrap_or(ColorArg::Auto),
    )
}

fn parse_zone(value: &str) -> Option<Zone> {
    match value.trim().to_ascii_lowercase().as_str() {
        "written" | "as-written" | "as_written" => Some(Zone::AsWritten),
        "utc" => Some(Zone::Utc),
        "local" => Some(Zone::Local),
        _ => None,
    }
}

fn color_name(c: ColorArg) -> &'static str {
    match c {
        ColorArg::Auto => "auto",
        ColorArg::Always => "always",
        ColorArg::Never => "never",
    }
}

/// A TOML string.
fn toml_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// Builds the settings; errors here are usage errors. Each setting comes
/// from the command line, else the environment, else the config file,
/// else its default.
pub fn configure(cli: Cli, env: &dyn Env) -> Result<(Config, CommandConfig)> {
    let (file, file_path) = file::load(env)?;
    let file_color = match &file.color {
        None => None,
        Some(v) => Some(parse_color(v).ok_or_else(|| {
            anyhow!("config file: color = '{v}'\nhint: use auto, always or never")
        })?),
    };
    let env_color = env_color(env)?.map(|c| (c, "AGENTCLI_COLOR"));
    let (color, color_source) = pick(cli.global.color, env_color, file_color, ColorArg::Auto);
    let when = color_when(color);
    if let Some(w) = file.width.filter(|w| *w < 20) {
        bail!("config file: width = {w}\nhint: tables need at least 20 columns");
    }
    let (width, width_source) = pick(
        cli.global.width.map(Some),
        None,
        file.width.map(Some),
        None, // measured: the terminal's, else COLUMNS
    );
    let zone_file = match &file.time_zone {
        None => None,
        Some(v) => Some(parse_zone(v).ok_or_else(|| {
            anyhow!("config file: time_zone = '{v}'\nhint: use written, utc or local")
        })?),
    };
    let zone_flag = if cli.global.utc {
        Some(Zone::Utc)
    } else if cli.global.local {
        Some(Zone::Local)
    } else {
        None
    };
    let (zone, zone_source) = match (zone_flag, zone_file) {
        (Some(z), _) => (Some(z), Source::Flag),
        (None, Some(z)) => (Some(z), Source::File),
        (None, None) => (None, Source::Default),
    };
    let (time_format_text, time_format_source) = pick(
        cli.global.time_format.clone(),
        None,
        file.time_format.clone(),
        "clock".to_string(),
    );
    let time_format =
        TimeFormat::parse(&time_format_text).map_err(|e| match time_format_source {
            Source::File => anyhow!("config file: time_format: {e}"),
            _ => anyhow!("--time-format: {e}"),
        })?;
    let mut text = TextOptions {
        theme: Theme {
            color: use_color(when, env, env.stdout_is_terminal()),
        },
        width: table_width(width.map(usize::from), env),
        verbose: false,
        debug: false,
        formula_guard: true,
        time: TimeStyle {
            zone,
            format: time_format,
        },
    };
    let stderr_theme = Theme {
        color: use_color(when, env, env.stderr_is_terminal()),
    };
    let command = match cli.command {
        _ if cli.print_config => CommandConfig::PrintConfig(String::new()),
        None => bail!(
            "a command is needed\nhint: agentcli list, agentcli trace SESSION, or agentcli --help"
        ),
        Some(Command::List(a)) => {
            text.verbose = a.verbose;
            text.formula_guard = !a.no_formula_guard;
            CommandConfig::List(ListConfig {
                follow_format: match a.format {
                    ListFormatArg::Table => EntryFormat::Table,
                    ListFormatArg::Jsonl => EntryFormat::Jsonl,
                    ListFormatArg::Csv => EntryFormat::Csv,
                    ListFormatArg::Json => EntryFormat::Json,
                },
                time: time_range(a.since, a.until)?,
                agents: a.agent,
                failed: a.failed,
                sort: match a.sort {
                    SortKey::Start => SessionSort::Start,
                    SortKey::Id => SessionSort::Id,
                    SortKey::Duration => SessionSort::Duration,
                    SortKey::Entries => SessionSort::Entries,
                    SortKey::Errors => SessionSort::Errors,
                    SortKey::Agents => SessionSort::Agents,
                },
                reverse: a.reverse,
                limit: a.limit,
                glob: a
                    .glob
                    .map(|g| TraceGlob::new(&g).map_err(|e| anyhow!("invalid --glob '{g}': {e}")))
                    .transpose()?,
                follow: a.follow.then_some(FollowConfig {
                    poll_interval: a.watch.poll_interval,
                    force_poll: a.watch.poll,
                }),
                format: match a.format {
                    ListFormatArg::Table => ListFormat::Table,
                    ListFormatArg::Json => ListFormat::Json,
                    ListFormatArg::Jsonl => ListFormat::Jsonl,
                    ListFormatArg::Csv => ListFormat::Csv,
                },
            })
        }
        Some(Command::Complete(a)) => CommandConfig::Complete(CompleteConfig {
            kind: match a.kind {
                CompleteKindArg::Sessions => CompleteKind::Sessions,
                CompleteKindArg::Agents => CompleteKind::Agents,
                CompleteKindArg::Filters => CompleteKind::Filters,
            },
            prefix: a.prefix,
        }),
        Some(Command::Export(a)) => CommandConfig::Export(ExportConfig {
            sessions: a.sessions,
            time: time_range(a.since, a.until)?,
            agents: a.agent,
            failed: a.failed,
            glob: a
                .glob
                .map(|g| TraceGlob::new(&g).map_err(|e| anyhow!("invalid --glob '{g}': {e}")))
                .transpose()?,
            spans: span_export(
                match a.format {
                    ExportFormatArg::Otlp => SpanFormat::Otlp,
                    ExportFormatArg::OtlpJsonl => SpanFormat::OtlpJsonl,
                    ExportFormatArg::Chrome => SpanFormat::Chrome,
                },
                a.otlp,
            )?,
        }),
        Some(Command::Stats(a)) => {
            text.formula_guard = !a.no_formula_guard;
            let mut conditions = Vec::new();
            for expr in &a.filter {
                conditions.push(Condition::parse(expr)?);
            }
            CommandConfig::Stats(StatsConfig {
                time: time_range(a.since, a.until)?,
                agents: a.agent,
                filter: Filter {
                    conditions,
                    time: TimeRange::default(),
                },
                glob: a
                    .glob
                    .map(|g| TraceGlob::new(&g).map_err(|e| anyhow!("invalid --glob '{g}': {e}")))
                    .transpose()?,
                format: match a.format {
                    ListFormatArg::Table => ListFormat::Table,
                    ListFormatArg::Json => ListFormat::Json,
                    ListFormatArg::Jsonl => ListFormat::Jsonl,
                    ListFormatArg::Csv => ListFormat::Csv,
                },
            })
        }
        Some(Command::Diff(a)) => CommandConfig::Diff(DiffConfig {
            a: a.a,
            b: a.b,
            fail_on_regression: a.fail_on_regression,
            json: a.format == ValidateFormatArg::Json,
        }),
        Some(Command::Validate(a)) => CommandConfig::Validate(ValidateConfig {
            target: a.target,
            tolerance_ms: a.tolerance.as_millis() as u64,
            json: a.format == ValidateFormatArg::Json,
        }),
        Some(Command::Trace(a)) => {
            text.verbose = a.verbose;
            text.debug = a.debug;
            text.formula_guard = !a.no_formula_guard;
            let mut conditions = Vec::new();
            for expr in &a.filter {
                conditions.push(Condition::parse(expr)?);
            }
            if !a.agent.is_empty() {
                conditions.push(Condition::parse(&format!("agent={}", a.agent.join(",")))?);
            }
            CommandConfig::Trace(TraceConfig {
                session: a.session,
                filter: Filter {
                    conditions,
                    time: time_range(a.since, a.until)?,
                },
                view: if let Some(n) = a.at {
                    match a.format {
                        TraceFormatArg::Table => TraceView::At(n, false),
                        TraceFormatArg::Json => TraceView::At(n, true),
                        _ => anyhow::bail!(
                            "--at writes text or JSON\nhint: use --at N --format json"
                        ),
                    }
                } else if a.analyze {
                    TraceView::Analyze(
                        match a.format {
                            TraceFormatArg::Table => AnalysisFormat::Text,
                            TraceFormatArg::Json => AnalysisFormat::Json,
                            other => anyhow::bail!(
                                "--analyze writes text or JSON, not {}\nhint: use --analyze --format json",
                                format!("{other:?}").to_lowercase()
                            ),
                        },
                        a.top,
                    )
                } else {
                    if a.diagram.is_some() && a.format != TraceFormatArg::Mermaid {
                        anyhow::bail!("--diagram chooses the kind of Mermaid diagram\nhint: add --format mermaid");
                    }
                    trace_view(
                        a.format,
                        a.flow_only,
                        a.diagram.unwrap_or(DiagramArg::Sequence),
                        a.otlp,
                    )?
                },
                follow: a.follow.then_some(FollowConfig {
                    poll_interval: a.watch.poll_interval,
                    force_poll: a.watch.poll,
                }),
                state_diff: a.state_diff,
            })
        }
    };
    crate::render::text::set_raw(cli.global.raw);
    let mut globs = cli.global.redact.clone();
    globs.extend(file.redact.iter().cloned());
    let redact_defaults = cli.global.redact_defaults || file.redact_defaults == Some(true);
    if redact_defaults {
        globs.extend(DEFAULT_PATTERNS.iter().map(|p| p.to_string()));
    }
    let redact = if globs.is_empty() {
        None
    } else {
        Some(std::sync::Arc::new(
            Redactor::new(&globs).map_err(|e| anyhow!(e))?,
        ))
    };
    let pager = (!cli.global.no_pager && env.stdout_is_terminal() && pages(&command))
        .then(|| crate::output::pager::pager_command(env, file.pager.as_deref()))
        .flatten();
    let dir_env = env.var("AGENTCLI_DIR").filter(|d| !d.is_empty());
    let dir_flag = cli.global.dir.clone();
    let (dir, dir_source) = match dir_flag {
        Some(d) if dir_env.as_deref().map(PathBuf::from).as_ref() == Some(&d) => {
            (d, Source::Env("AGENTCLI_DIR"))
        }
        Some(d) => (d, Source::Flag),
        None => match file.dir.clone() {
            Some(d) => (d, Source::File),
            None => (PathBuf::from("."), Source::Default),
        },
    };
    let command = match command {
        CommandConfig::PrintConfig(_) => {
            let mut lines = vec![match &file_path {
                Some(p) => format!("# config file: {}", p.display()),
                None => match file::location(env) {
                    Some((p, _)) => format!("# config file: {} (not found)", p.display()),
                    None if env.var("AGENTCLI_CONFIG").is_some() => {
                        "# config file: none (AGENTCLI_CONFIG is empty)".to_string()
                    }
                    None => {
                        "# config file: none (neither XDG_CONFIG_HOME nor HOME is set)".to_string()
                    }
                },
            }];
            let mut line = |key: &str, value: String, source: Source| {
                lines.push(format!("{key} = {value}  # {}", source.describe()));
            };
            line("dir", toml_string(&dir.to_string_lossy()), dir_source);
            line("color", toml_string(color_name(color)), color_source);
            let pager_source = if env.var("AGENTCLI_PAGER").is_some() {
                Source::Env("AGENTCLI_PAGER")
            } else if file.pager.is_some() {
                Source::File
            } else if env.var("PAGER").is_some() {
                Source::Env("PAGER")
            } else {
                Source::Default
            };
            let pager_value = crate::output::pager::pager_command(env, file.pager.as_deref());
            line(
                "pager",
                toml_string(pager_value.as_deref().unwrap_or("")),
                pager_source,
            );
            line("width", text.width.to_string(), width_source);
            line(
                "time_format",
                toml_string(&time_format_text),
                time_format_source,
            );
            line(
                "time_zone",
                toml_string(match zone {
                    None => "written",
                    Some(Zone::AsWritten) => "written",
                    Some(Zone::Utc) => "utc",
                    Some(Zone::Local) => "local",
                }),
                zone_source,
            );
            let all_redact: Vec<String> = cli
                .global
                .redact
                .iter()
                .chain(&file.redact)
                .map(|g| toml_string(g))
                .collect();
            line(
                "redact",
                format!("[{}]", all_redact.join(", ")),
                match (cli.global.redact.is_empty(), file.redact.is_empty()) {
                    (false, _) => Source::Flag,
                    (true, false) => Source::File,
                    (true, true) => Source::Default,
                },
            );
            line(
                "redact_defaults",
                redact_defaults.to_string(),
                if cli.global.redact_defaults {
                    Source::Flag
                } else if file.redact_defaults.is_some() {
                    Source::File
                } else {
                    Source::Default
                },
            );
            CommandConfig::PrintConfig(lines.join("\n") + "\n")
        }
        other => other,
    };
    let config = Config {
        progress: env.stderr_is_terminal() && !cli.global.quiet,
        pager,
        redact,
        dir,
        text,
        stderr_theme,
        quiet: cli.global.quiet,
    };
    Ok((config, command))
}

fn trace_view(
    format: TraceFormatArg,
    flow_only: bool,
    diagram: DiagramArg,
    otlp: OtlpArgs,
) -> Result<TraceView> {
    let diagram = match diagram {
        DiagramArg::Sequence => Diagram::Sequence,
        DiagramArg::Graph => Diagram::Graph,
    };
    let span = |f: SpanFormat, otlp: OtlpArgs| -> Result<TraceView> {
        Ok(TraceView::Spans(span_export(f, otlp)?))
    };
    if otlp.otlp_endpoint.is_some() {
        // Pushing sends OpenTelemetry; the table default means "just send".
        return match format {
            TraceFormatArg::Table | TraceFormatArg::Otlp | TraceFormatArg::OtlpJsonl => span(SpanFormat::Otlp, otlp),
            _ => bail!("--otlp-endpoint sends OpenTelemetry traces\nhint: leave --format out, or use --format otlp"),
        };
    }
    Ok(match (format, flow_only) {
        (TraceFormatArg::Otlp, _) => return span(SpanFormat::Otlp, otlp),
        (TraceFormatArg::OtlpJsonl, _) => return span(SpanFormat::OtlpJsonl, otlp),
        (TraceFormatArg::Chrome, _) => return span(SpanFormat::Chrome, otlp),
        (TraceFormatArg::Mermaid, _) => TraceView::Flow(FlowFormat::Mermaid(diagram)),
        (TraceFormatArg::Dot, _) => TraceView::Flow(FlowFormat::Dot),
        (TraceFormatArg::Table, true) => TraceView::Flow(FlowFormat::Text),
        (TraceFormatArg::Json, true) => TraceView::Flow(FlowFormat::Json),
        (TraceFormatArg::Jsonl, true) => TraceView::Flow(FlowFormat::Jsonl),
        (TraceFormatArg::Csv, true) => TraceView::Flow(FlowFormat::Csv),
        (TraceFormatArg::Table, false) => TraceView::Entries(EntryFormat::Table),
        (TraceFormatArg::Json, false) => TraceView::Entries(EntryFormat::Json),
        (TraceFormatArg::Jsonl, false) => TraceView::Entries(EntryFormat::Jsonl),
        (TraceFormatArg::Csv, false) => TraceView::Entries(EntryFormat::Csv),
    })
}

fn time_range(since: Option<String>, until: Option<String>) -> Result<TimeRange> {
    let now = Utc::now();
    let parse = |text: &Option<String>, end: End, flag: &str| -> Result<_> {
        text.as_deref()
            .map(|t| parse_time(t, end, now).map_err(|e| anyhow!("invalid {flag}: {e}")))
            .transpose()
    };
    let range = TimeRange {
        since: parse(&since, End::Since, "--since")?,
        until: parse(&until, End::Until, "--until")?,
        since_text: since,
        until_text: until,
    };
    if let (Some(s), Some(u)) = (range.since, range.until) {
        if s > u {
            return Err(anyhow!(
                "--since {} is after --until {}: nothing can match",
                range.since_text.as_deref().unwrap_or_default(),
                range.until_text.as_deref().unwrap_or_default()
            ));
        }
    }
    Ok(range)
}
