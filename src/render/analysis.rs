//! `trace --analyze`: the analysis as text for people (with small bar
//! charts) or as JSON (the schema of [`crate::analysis::analyze::Analysis`]).

use std::io::{self, Write};

use super::runs::{AnalysisRuns, PATH_WINDOW, RUNS_IN_MEMORY};
use super::style::{Role, Theme};
use super::table::{write_table, Cell, Column};
use super::text::{escape, human_duration, plural, short_id, truncate, width};
use super::timeline::write_session_header;
use super::{EntryRenderer, TextOptions, TraceContext};
use crate::analysis::analyze::{Analysis, RunView};
use crate::analysis::spans::{usage_prepare, RunStatus, SpanBuilder};
use crate::input::Prepare;
use crate::model::{Completeness, Entry};

/// Loops listed in the summary; the rest are counted (the JSON analysis
/// lists them all).
const LOOPS_SHOWN: usize = 5;

/// Whether to write text or JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnalysisFormat {
    Text,
    Json,
}

/// Pairs entries as they come, handing each run to the stores of
/// `runs.rs`; analyzes at the end.
pub struct AnalysisView {
    options: TextOptions,
    format: AnalysisFormat,
    spans: SpanBuilder<AnalysisRuns>,
}

impl AnalysisView {
    pub fn new(options: TextOptions, format: AnalysisFormat, top: usize) -> Self {
        AnalysisView::with_limits(options, format, top, RUNS_IN_MEMORY, PATH_WINDOW)
    }

    /// With `budget` bytes of each store's rows in memory, and at most
    /// `window` runs held by the critical path before it reads them all
    /// (tests make both small, to go through the files and the fallback).
    fn with_limits(
        options: TextOptions,
        format: AnalysisFormat,
        top: usize,
        budget: usize,
        window: usize,
    ) -> Self {
        AnalysisView {
            options,
            format,
            spans: SpanBuilder::with_sink(AnalysisRuns::new(top, budget, window)),
        }
    }
}

impl EntryRenderer for AnalysisView {
    /// Token usage is read out of the outcome entries' payloads on the
    /// reader's threads (lent there, never copied).
    fn prepare(&self) -> Option<Prepare> {
        Some(usage_prepare(false))
    }

    fn entry(&mut self, entry: &Entry, _out: &mut dyn Write) -> io::Result<()> {
        self.spans.push_prepared(entry);
        Ok(())
    }

    fn finish(&mut self, ctx: &TraceContext<'_>, out: &mut dyn Write) -> io::Result<()> {
        self.spans.close_unfinished();
        let (runs, names) = self.spans.parts();
        let (found, shown) = runs.found(names)?;
        let file = match ctx.completeness {
            Completeness::Open | Completeness::Torn => {
                "still being written, or stopped without closing"
            }
            _ => "complete",
        };
        let analysis = found.analysis(ctx.session, ctx.summary, file, &shown, |name| {
            names.get(name).to_string()
        })?;
        match self.format {
            AnalysisFormat::Json => {
                serde_json::to_writer_pretty(&mut *out, &analysis)?;
                out.write_all(b"\n")
            }
            AnalysisFormat::Text => {
                write_session_header(ctx, &self.options, out)?;
                write_text(&analysis, &self.options, out)
            }
        }
    }
}

fn ms(v: Option<f64>) -> String {
    v.map_or("-".to_string(), |v| {
        if v < 10.0 && v.fract() != 0.0 {
            format!("{v:.1}ms")
        } else {
            human_duration(v.round() as i64)
        }
    })
}

/// `12,345`.
fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A bar of `cells` columns filled in proportion to `share` (0..=1).
fn bar(share: f64, cells: usize) -> String {
    let eighths = (share.clamp(0.0, 1.0) * (cells * 8) as f64).round() as usize;
    let mut s = "█".repeat(eighths / 8);
    if eighths % 8 > 0 {
        s.push(['▏', '▎', '▍', '▌', '▋', '▊', '▉'][eighths % 8 - 1]);
    }
    let used = width(&s);
    s.push_str(&"·".repeat(cells.saturating_sub(used)));
    s
}

fn run_line(r: &RunView) -> String {
    let event = r
        .event_id
        .as_deref()
        .map(short_id)
        .unwrap_or_else(|| "-".into());
    let at = r
        .end_index
        .or(r.start_index)
        .map(|i| format!("#{i}"))
        .unwrap_or_default();
    format!(
        "{}  {}  event {}  {}",
        escape(&r.agent),
        ms(r.duration_ms),
        escape(&event),
        at
    )
}

fn write_text(a: &Analysis, options: &TextOptions, out: &mut dyn Write) -> io::Result<()> {
    let theme: Theme = options.theme;
    let heading =
        |out: &mut dyn Write, text: &str| writeln!(out, "\n{}", theme.paint(text, Role::Header));

    heading(out, "Summary:")?;
    let mut facts = vec![
        format!("wall {}", ms(a.wall_ms)),
        plural(a.events, "event", "events"),
        plural(a.runs, "agent run", "agent runs"),
        plural(a.agents, "agent", "agents"),
    ];
    facts.push(
        theme
            .paint(
                &plural(a.errors, "error", "errors"),
                if a.errors > 0 { Role::Error } else { Role::Dim },
            )
            .into_owned(),
    );
    facts.push(plural(a.retries, "retry", "retries"));
    facts.push(plural(a.requeues, "requeue", "requeues"));
    if a.unfinished > 0 {
        facts.push(
            theme
                .paint(
                    &format!("{} unfinished (file {})", a.unfinished, a.file),
                    Role::Warning,
                )
                .into_owned(),
        );
    } else {
        facts.push("0 unfinished".to_string());
    }
    super::text::write_facts(&facts, options.width, out)?;
    if let Some(t) = &a.tokens {
        let models = if a.models.is_empty() {
            String::new()
        } else {
            format!(
                " ({})",
                a.models
                    .iter()
                    .map(|m| escape(m).into_owned())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        // As facts, so that a long list of models wraps within the width
        // like the summary above it.
        let tokens = [
            format!("tokens: {} in", thousands(t.input)),
            format!("{} out", thousands(t.output)),
            format!("{} total{models}", thousands(t.total)),
        ];
        super::text::write_facts(&tokens, options.width, out)?;
    }
    for l in a.loops.iter().take(LOOPS_SHOWN) {
        let chain: Vec<String> = l.agents.iter().map(|x| escape(x).into_owned()).collect();
        writeln!(
            out,
            "  {} {} ×{} (from run {})",
            theme.paint("loop:", Role::Warning),
            chain.join(" → "),
            l.repeats,
            l.first_run
        )?;
    }
    if let Some(more) = a.loops.len().checked_sub(LOOPS_SHOWN).filter(|&n| n > 0) {
        writeln!(
            out,
            "  {}",
            theme.paint(
                &format!(
                    "… {} (--analyze --format json lists them all)",
                    plural(more as u64, "more loop", "more loops")
                ),
                Role::Dim
            )
        )?;
    }

    heading(out, "Per agent:")?;
    let columns = [
        Column::new("AGENT", 5, 24),
        Column::new("RUNS", 4, 7),
        Column::new("ERR", 3, 7),
        Column::new("ERR%", 4, 5).optional(),
        Column::new("TOTAL", 6, 10),
        Column::new("SHARE", 6, 17).optional(),
        Column::new("P50", 5, 9),
        Column::new("P95", 5, 9).optional(),
        Column::new("P99", 5, 9).optional(),
        Column::new("MAX", 5, 9),
        Column::new("WAIT", 5, 9).optional(),
        Column::new("TOKENS", 6, 11).optional(),
    ];
    let rows: Vec<Vec<Cell>> = a
        .per_agent
        .iter()
        .map(|s| {
            let share = s.share.unwrap_or(0.0);
            vec![
                Cell::styled(escape(&s.agent).into_owned(), Role::Agent),
                Cell::number(s.runs.to_string()),
                if s.errors > 0 {
                    Cell::styled(s.errors.to_string(), Role::Error).right()
                } else {
                    Cell::styled("0", Role::Dim).right()
                },
                Cell::number(format!("{:.0}%", s.error_rate * 100.0)),
                Cell::number(ms(Some(s.total_ms))),
                Cell::plain(match s.share {
                    Some(_) => format!("{} {:>3.0}%", bar(share, 10), share * 100.0),
                    None => "-".to_string(),
                }),
                Cell::number(ms(s.p50_ms)),
                Cell::number(ms(s.p95_ms)),
                Cell::number(ms(s.p99_ms)),
                Cell::number(ms(s.max_ms)),
                Cell::number(ms(s.mean_wait_ms)),
                Cell::number(if s.tokens.is_zero() {
                    "-".to_string()
                } else {
                    thousands(s.tokens.total)
                }),
            ]
        })
        .collect();
    let mut indented = Indented(out, true);
    write_table(
        &mut indented,
        &columns,
        &rows,
        options.width.saturating_sub(2),
        theme,
    )?;
    let out = indented.0;

    let path = &a.critical_path;
    let title = match path.duration_ms {
        Some(d) => format!(
            "Critical path ({} from its first run's start to the session's last end):",
            ms(Some(d))
        ),
        None => "Critical path:".to_string(),
    };
    heading(out, &title)?;
    if path.steps.is_empty() {
        writeln!(out, "  (no finished runs)")?;
    }
    let longest = path.steps.longest_ms();
    for (i, step) in path.steps.iter().enumerate() {
        let step = step?;
        let gap = match step.gap_ms {
            Some(g) if g >= 1.0 => format!("  +{} hand-off", ms(Some(g))),
            _ => String::new(),
        };
        let share = step
            .run
            .duration_ms
            .map_or(0.0, |d| if longest > 0.0 { d / longest } else { 0.0 });
        let line = format!(
            "{:>3}. {}  {}{gap}",
            i + 1,
            bar(share, 8),
            run_line(&step.run)
        );
        writeln!(
            out,
            "  {}",
            truncate(&line, options.width.saturating_sub(2))
        )?;
        if step.ambiguous {
            writeln!(
                out,
                "       {}",
                theme.paint("ambiguous: runs in parallel could have handed over here; the latest to end was chosen", Role::Warning)
            )?;
        }
    }

    heading(out, &format!("Slowest runs (top {}):", a.slowest.len()))?;
    for (i, r) in a.slowest.iter().enumerate() {
        let status = match r.status {
            RunStatus::Error => theme.paint("  error", Role::Error).into_owned(),
            _ => String::new(),
        };
        writeln!(out, "  {:>3}. {}{status}", i + 1, run_line(r))?;
    }

    heading(out, "First error:")?;
    match &a.first_error {
        None => writeln!(out, "  none")?,
        Some(e) => {
            let when = e.run.end.as_deref().unwrap_or("-");
            writeln!(
                out,
                "  {} {} in event {} at {}{}",
                theme.paint(&escape(&e.run.agent), Role::Agent),
                theme.paint("failed", Role::Error),
                escape(e.run.event_id.as_deref().unwrap_or("-")),
                escape(when),
                e.run
                    .end_index
                    .map(|i| format!(" (entry #{i})"))
                    .unwrap_or_default()
            )?;
            writeln!(
                out,
                "    error: {}",
                theme.paint(&escape(e.run.error.as_deref().unwrap_or("-")), Role::Error)
            )?;
            if let Some(after) = &e.after {
                writeln!(
                    out,
                    "    after: {} → {}",
                    escape(&after.agent),
                    escape(&e.run.agent)
                )?;
            }
            match &e.retried_by {
                Some(r) => writeln!(
                    out,
                    "    next run of {}: {}",
                    escape(&r.agent),
                    match r.status {
                        RunStatus::Ok => format!("succeeded in {}", ms(r.duration_ms)),
                        RunStatus::Error => "failed again".to_string(),
                        RunStatus::Unfinished => "unfinished".to_string(),
                    }
                )?,
                None => writeln!(out, "    {} did not run again", escape(&e.run.agent))?,
            }
        }
    }
    Ok(())
}

/// Writes every line with two spaces in front.
struct Indented<'a>(&'a mut dyn Write, bool);

impl Write for Indented<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        for line in buf.split_inclusive(|&b| b == b'\n') {
            if self.1 && line != b"\n" {
                self.0.write_all(b"  ")?;
            }
            self.0.write_all(line)?;
            self.1 = line.ends_with(b"\n");
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::spans::Spans;
    use crate::analysis::SessionSummary;
    use crate::model::{AgentResult, Hook, Timestamp};

    fn options() -> TextOptions {
        TextOptions::plain(100)
    }

    /// The analysis as JSON, from spans held whole.
    fn held(entries: &[Entry], summary: &SessionSummary, top: usize) -> String {
        let mut builder = SpanBuilder::default();
        for e in entries {
            builder.push(e);
        }
        let spans: Spans = builder.finish();
        let ctx = TraceContext::whole(summary);
        let a = crate::analysis::analyze::analyze(ctx.session, summary, &spans, top, "complete")
            .unwrap();
        serde_json::to_string_pretty(&a).unwrap() + "\n"
    }

    /// The analysis as the view writes it (text too), its stores holding
    /// `budget` bytes in memory and its critical path `window` runs.
    fn streamed(
        entries: &mut [Entry],
        summary: &SessionSummary,
        top: usize,
        (budget, window): (usize, usize),
    ) -> [String; 2] {
        [AnalysisFormat::Json, AnalysisFormat::Text].map(|format| {
            let mut view = AnalysisView::with_limits(options(), format, top, budget, window);
            let mut out = Vec::new();
            for e in entries.iter_mut() {
                view.entry(e, &mut out).unwrap();
            }
            view.finish(&TraceContext::whole(summary), &mut out)
                .unwrap();
            String::from_utf8(out).unwrap()
        })
    }

    /// The view, which keeps no run, agrees with the analysis of spans held
    /// whole, whatever its stores hold in memory and however many runs its
    /// critical path may hold; its text is the same either way.
    fn agrees(entries: &mut [Entry], what: &str) {
        let mut summary = SessionSummary::default();
        for e in entries.iter() {
            summary.add(e);
        }
        for top in [0, 3, 10] {
            let want = held(entries, &summary, top);
            let mut texts = Vec::new();
            for limits in [(0, 1), (300, 4), (1 << 24, PATH_WINDOW)] {
                let [json, text] = streamed(entries, &summary, top, limits);
                assert_eq!(json, want, "{what}, top {top}, limits {limits:?}");
                texts.push(text);
            }
            assert!(texts.windows(2).all(|w| w[0] == w[1]), "{what}");
        }
    }

    #[test]
    fn the_view_agrees_with_spans_held_whole_on_every_fixture() {
        struct Entries(Vec<Entry>);
        impl crate::input::EntrySink for Entries {
            fn entry(&mut self, entry: &mut Entry) -> anyhow::Result<()> {
                self.0.push(std::mem::take(entry));
                Ok(())
            }
            fn problem(&mut self, _: crate::input::Diagnostic) {}
        }
        for (path, bytes) in crate::input::fixture_files() {
            let parse = crate::input::ParseOptions {
                keep_state: true,
                keep_raw: false,
            };
            let mut read = Entries(Vec::new());
            crate::input::read_all(&bytes[..], parse, &mut read).unwrap();
            agrees(&mut read.0, &path.display().to_string());
        }
    }

    /// An entry of a made-up session.
    #[allow(clippy::type_complexity)]
    fn entry(
        index: u64,
        (hook, agent, event, at, source, route, error, duration): (
            u8,
            Option<u8>,
            Option<u8>,
            Option<i64>,
            Option<u8>,
            Option<u8>,
            bool,
            Option<i64>,
        ),
    ) -> Entry {
        let name = |n: u8| format!("agent{n}").into();
        Entry {
            index,
            hook: match hook {
                0 => Hook::BeforeEventHandling,
                1 => Hook::BeforeAgentRun,
                2 => Hook::AfterAgentRun,
                3 => Hook::AgentError,
                _ => Hook::AfterEventHandling,
            },
            agent_id: agent.map(name),
            event_id: event.map(|e| {
                if e == 0 {
                    "".into()
                } else {
                    format!("e{e}").into()
                }
            }),
            timestamp: at.map_or(Timestamp::Unset, |ms| {
                Timestamp::At(
                    chrono::DateTime::from_timestamp_millis(1_700_000_000_000 + ms)
                        .unwrap()
                        .fixed_offset(),
                )
            }),
            source_agent_id: source.map(name),
            state_route: route.map(name),
            error: error.then(|| "failed".into()),
            result: duration.map(|d| AgentResult {
                duration_ms: Some(d),
                ..AgentResult::default()
            }),
            ..Entry::default()
        }
    }

    proptest::proptest! {
        /// Made-up sessions: few agents and events, times missing, equal,
        /// out of order; events begun after their runs; runs never
        /// finished; routes, errors and durations here and there.
        #[test]
        fn the_view_agrees_with_spans_held_whole_on_made_up_sessions(
            entries in proptest::collection::vec(
                (
                    0u8..5,
                    proptest::option::weighted(0.9, 0u8..4),
                    proptest::option::weighted(0.9, 0u8..7),
                    proptest::option::weighted(0.9, 0i64..20),
                    proptest::option::of(0u8..4),
                    proptest::option::of(0u8..4),
                    proptest::bool::weighted(0.2),
                    proptest::option::of(0i64..5),
                ),
                0..60,
            ),
        ) {
            let mut entries: Vec<Entry> = (1u64..)
                .zip(entries)
                .map(|(i, fields)| entry(i, fields))
                .collect();
            agrees(&mut entries, "made up");
        }
    }

    #[test]
    fn bars_and_numbers() {
        assert_eq!(bar(0.5, 4), "██··");
        assert_eq!(bar(1.0, 2), "██");
        assert_eq!(bar(0.0, 3), "···");
        assert_eq!(width(&bar(0.33, 10)), 10);
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(ms(Some(1.5)), "1.5ms");
        assert_eq!(ms(Some(1500.0)), "1.500s");
    }
}
