//! Settings built from the command line and the environment. Everything
//! past this point takes these plain structs, never clap types.

use std::path::PathBuf;

use anyhow::{anyhow, bail, Result};
use chrono::Utc;
use clap::ValueEnum;

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
use crate::render::time::TimeStyle;
use crate::render::{EntryFormat, FlowFormat, ListFormat, TextOptions, Theme};

pub mod file;
pub mod settings;

use settings::{Setting, Settings};

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
    /// Where summaries are cached between runs (none with --no-cache or
    /// without XDG_CACHE_HOME and HOME).
    pub cache: Option<PathBuf>,
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

/// Colors for messages printed before (or instead of) the settings being
/// built: `--color`, else `AGENTCLI_COLOR`, else auto (the config file may
/// be what is broken).
pub fn early_color(cli: &Cli, env: &dyn Env) -> ColorWhen {
    color_when(
        cli.global
            .color
            .or_else(|| settings::env_color(env).ok().flatten())
            .unwrap_or(ColorArg::Auto),
    )
}

/// `$XDG_CACHE_HOME/agentcli`, else `~/.cache/agentcli`.
fn cache_dir(env: &dyn Env) -> Option<PathBuf> {
    Some(file::xdg_dir(env, "XDG_CACHE_HOME", ".cache")?.join("agentcli"))
}

/// Builds the settings; errors here are usage errors. Each setting comes
/// from the command line, else the environment, else the config file,
/// else its default.
pub fn configure(cli: Cli, env: &dyn Env) -> Result<(Config, CommandConfig)> {
    let settings = Settings::resolve(&cli.global, env)?;
    let when = color_when(settings.color.value);
    let mut text = TextOptions {
        theme: Theme {
            color: use_color(when, env, env.stdout_is_terminal()),
        },
        width: table_width(settings.width.value.map(usize::from), env),
        verbose: false,
        debug: false,
        formula_guard: true,
        time: TimeStyle {
            zone: settings.zone.value,
            format: settings.time_format.value.1,
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
                cache: if a.no_cache { None } else { cache_dir(env) },
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
                                other.to_possible_value().map_or(String::new(), |v| v.get_name().to_string())
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
    let mut globs = settings.redact.value.clone();
    if settings.redact_defaults.value {
        globs.extend(DEFAULT_PATTERNS.iter().map(|p| p.to_string()));
    }
    let redact = if globs.is_empty() {
        None
    } else {
        let redactor = Redactor::new(&globs).map_err(|e| match settings.redact.source {
            settings::FILE => anyhow!("{}: invalid redact {e}", settings.file_name()),
            _ => anyhow!("invalid --redact {e}"),
        })?;
        Some(std::sync::Arc::new(redactor))
    };
    let pager = (!cli.global.no_pager && env.stdout_is_terminal() && pages(&command))
        .then(|| settings.pager.value.clone())
        .flatten();
    let command = match command {
        CommandConfig::PrintConfig(_) => {
            let mut settings = settings.clone();
            if cli.global.no_pager {
                settings.pager = Setting {
                    value: None,
                    source: settings::FLAG,
                };
            }
            CommandConfig::PrintConfig(settings.to_toml(text.width))
        }
        other => other,
    };
    let config = Config {
        progress: env.stderr_is_terminal() && !cli.global.quiet,
        pager,
        redact,
        dir: settings.dir.value,
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
