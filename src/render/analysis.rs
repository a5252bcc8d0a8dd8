//! `trace --analyze`: the analysis as text for people (with small bar
//! charts) or as JSON (the schema of [`crate::analysis::analyze::Analysis`]).

use std::io::{self, Write};

use super::rows::{put_number, put_text, put_time, set_length, RowBytes, RowKey, RowStore};
use super::style::{Role, Theme};
use super::table::{write_table, Cell, Column};
use super::text::{escape, human_duration, plural, short_id, truncate, width};
use super::timeline::write_session_header;
use super::{EntryRenderer, TextOptions, TraceContext};
use crate::analysis::analyze::{
    critical_path, critical_path_from_last, view, Analysis, Found, PathLists, PathRun, RunTotals,
    RunView, TimeWalk, WalkRun,
};
use crate::analysis::flow::HopKind;
use crate::analysis::names::{Name, Names};
use crate::analysis::spans::{
    usage_prepare, AgentRun, FoundRun, RunSink, RunStatus, SpanBuilder, SpanLookup, Tokens,
};
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

/// Pairs entries as they come, handing each run to [`AnalysisRuns`];
/// analyzes at the end.
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
            spans: SpanBuilder::with_sink(AnalysisRuns::new(top, budget, window), false),
        }
    }
}

/// Bytes of rows each of the analysis's three stores holds in memory
/// before it goes to a temporary file. 1 MB rather than 2 took 3 MB off
/// the peak at 1 GB and 3 GB, at no cost measured (rows are small).
const RUNS_IN_MEMORY: usize = 1 << 20;

/// The runs as `--analyze` keeps them: added up as they come
/// ([`RunTotals`]), and in three stores of rows, in memory up to a budget
/// and then in temporary files: the finished runs from the last to end,
/// for the critical path ([`critical_path_from_last`]); every run in time
/// order, for the walk ([`TimeWalk`]); and each run's details in run
/// order, read once at the end for the runs the analysis shows. Event ids
/// and error messages are held only there.
struct AnalysisRuns {
    /// See [`PATH_WINDOW`].
    window: usize,
    /// The next run's place.
    place: u64,
    totals: RunTotals,
    /// The finished runs, last to end first, for the critical path, and
    /// what it knows of them ahead.
    by_end: RowStore<EndOrder>,
    lists: PathLists,
    by_time: RowStore<RunOrder>,
    details: RowStore<RunPlace>,
    /// The first error of the stores' files.
    failed: Option<io::Error>,
    row: Vec<u8>,
}

impl AnalysisRuns {
    fn new(top: usize, budget: usize, window: usize) -> Self {
        AnalysisRuns {
            window,
            place: 0,
            totals: RunTotals::new(top),
            by_end: RowStore::new(budget, EndOrder::of_row, "the analysis's runs"),
            lists: PathLists::default(),
            by_time: RowStore::new(budget, RunOrder::of_row, "the analysis's runs"),
            details: RowStore::new(budget, RunPlace::of_row, "the analysis's runs"),
            failed: None,
            row: Vec::new(),
        }
    }

    /// Keeps run `r` in both stores.
    fn store(&mut self, place: u64, r: &FoundRun<'_>, next: Option<Name>) -> io::Result<()> {
        let at = r.start.instant_nanos().or(r.end.instant_nanos());
        let order = RunOrder {
            untimed: at.is_none(),
            at: at.unwrap_or_default(),
            entry: r.start_index.or(r.end_index),
            place,
        };
        self.row.clear();
        self.row.extend_from_slice(&[0; 4]);
        order.put(&mut self.row);
        put_number(&mut self.row, u64::from(r.agent.number()));
        put_number(&mut self.row, u64::from(next.map_or(0, Name::number)));
        self.row.push(status_code(r.status));
        self.row.push(kind_code(r.kind));
        put_sender(&mut self.row, r);
        set_length(&mut self.row, 0)?;
        self.by_time.push(order, &self.row)?;

        if r.status != RunStatus::Unfinished {
            if let (Some(end), Some(end_index)) = (r.end.instant_nanos(), r.end_index) {
                let start = r.start.instant_nanos();
                self.lists.add(&PathRun {
                    end,
                    end_index,
                    place,
                    start,
                    agent: r.agent,
                    next,
                    sender: None,
                });
                let order = EndOrder {
                    end,
                    end_index,
                    place,
                };
                self.row.clear();
                self.row.extend_from_slice(&[0; 4]);
                order.put(&mut self.row);
                self.row.push(u8::from(start.is_some()));
                self.row
                    .extend_from_slice(&start.unwrap_or_default().to_le_bytes());
                put_number(&mut self.row, u64::from(r.agent.number()));
                put_number(&mut self.row, u64::from(next.map_or(0, Name::number)));
                put_sender(&mut self.row, r);
                set_length(&mut self.row, 0)?;
                self.by_end.push(order, &self.row)?;
            }
        }

        self.row.clear();
        self.row.extend_from_slice(&[0; 4]);
        RunPlace(place).put(&mut self.row);
        put_number(&mut self.row, u64::from(r.agent.number()));
        let optional = [r.event_id, r.error, r.next];
        self.row.push(
            optional
                .iter()
                .enumerate()
                .fold(0, |bits, (i, s)| bits | (u8::from(s.is_some()) << i)),
        );
        for text in optional.into_iter().flatten() {
            put_text(&mut self.row, text);
        }
        put_time(&mut self.row, r.start);
        put_time(&mut self.row, r.end);
        for index in [r.start_index, r.end_index] {
            put_number(&mut self.row, index.map_or(0, |i| i.saturating_add(1)));
        }
        self.row
            .extend_from_slice(&r.duration_ms.unwrap_or(f64::NAN).to_le_bytes());
        self.row.push(status_code(r.status));
        set_length(&mut self.row, 0)?;
        self.details.push(RunPlace(place), &self.row)
    }
}

impl RunSink for AnalysisRuns {
    fn run(&mut self, r: &FoundRun<'_>, names: &mut Names) {
        let place = self.place;
        self.place += 1;
        let next = r.next.map(|n| names.id(n));
        self.totals.add(
            place,
            &AgentRun {
                agent: names.get(r.agent),
                event_id: r.event_id,
                start: r.start,
                end: r.end,
                duration_ms: r.duration_ms,
                wait_ms: r.wait_ms,
                status: r.status,
                error: r.error,
                next: r.next,
                kind: r.kind,
                tokens: r.tokens,
                model: r.model,
                start_index: r.start_index,
                end_index: r.end_index,
                orphan: r.orphan,
                input_state: None,
                output_state: None,
            },
        );
        if self.failed.is_none() {
            if let Err(e) = self.store(place, r, next) {
                self.failed = Some(e);
            }
        }
    }
}

/// Appends who sent run `r`'s event: the sender when known (final),
/// else the event's key, to look the sender up at the end.
fn put_sender(row: &mut Vec<u8>, r: &FoundRun<'_>) {
    match (r.sender, r.event) {
        (Some(sender), _) => {
            row.push(0);
            put_number(row, u64::from(sender.map_or(0, Name::number)));
        }
        (None, None) => row.push(1),
        (None, Some(key)) => {
            row.push(2);
            row.extend_from_slice(&key.to_le_bytes());
        }
    }
}

/// Who sent a run's event, as [`put_sender`] wrote it.
fn sender_in(bytes: &mut RowBytes<'_>, lookup: &SpanLookup<'_>) -> io::Result<Option<Name>> {
    Ok(match bytes.u8()? {
        0 => name_of(bytes.number()?),
        1 => lookup.sender(None),
        _ => lookup.sender(Some(u128::from_le_bytes(bytes.array()?))),
    })
}

/// The name numbered `n` (0: none).
fn name_of(n: u64) -> Option<Name> {
    u32::try_from(n).ok().and_then(Name::from_number)
}

fn status_code(status: RunStatus) -> u8 {
    match status {
        RunStatus::Ok => 0,
        RunStatus::Error => 1,
        RunStatus::Unfinished => 2,
    }
}

fn status_of(code: u8) -> io::Result<RunStatus> {
    Ok(match code {
        0 => RunStatus::Ok,
        1 => RunStatus::Error,
        2 => RunStatus::Unfinished,
        _ => return Err(bad_row("a status")),
    })
}

fn kind_code(kind: Option<HopKind>) -> u8 {
    match kind {
        None => 0,
        Some(HopKind::Handoff) => 1,
        Some(HopKind::Requeue) => 2,
        Some(HopKind::Retry) => 3,
        Some(HopKind::Error) => 4,
        Some(HopKind::End) => 5,
    }
}

fn kind_of(code: u8) -> io::Result<Option<HopKind>> {
    Ok(match code {
        0 => None,
        1 => Some(HopKind::Handoff),
        2 => Some(HopKind::Requeue),
        3 => Some(HopKind::Retry),
        4 => Some(HopKind::Error),
        5 => Some(HopKind::End),
        _ => return Err(bad_row("a kind")),
    })
}

fn bad_row(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("internal error: a held run's {what}"),
    )
}

/// Runs in time order: by start, else end, then by entry (file order),
/// then run order; runs with no time last (as [`Spans::by_time`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct RunOrder {
    untimed: bool,
    at: i128,
    entry: Option<u64>,
    place: u64,
}

impl RunOrder {
    const BYTES: usize = 1 + 16 + 9 + 8;

    fn of_row(_: &mut (), row: &[u8]) -> io::Result<RunOrder> {
        let bytes = row.get(..Self::BYTES).ok_or_else(|| bad_row("order"))?;
        Ok(<RunOrder as RowKey>::get(bytes))
    }
}

impl RowKey for RunOrder {
    const BYTES: usize = RunOrder::BYTES;
    type Keys = ();

    fn put(self, out: &mut Vec<u8>) {
        out.push(u8::from(self.untimed));
        out.extend_from_slice(&self.at.to_le_bytes());
        out.push(u8::from(self.entry.is_some()));
        out.extend_from_slice(&self.entry.unwrap_or_default().to_le_bytes());
        out.extend_from_slice(&self.place.to_le_bytes());
    }

    fn get(bytes: &[u8]) -> Self {
        let mut at = [0; 16];
        at.copy_from_slice(&bytes[1..17]);
        let mut entry = [0; 8];
        entry.copy_from_slice(&bytes[18..26]);
        let mut place = [0; 8];
        place.copy_from_slice(&bytes[26..34]);
        RunOrder {
            untimed: bytes[0] != 0,
            at: i128::from_le_bytes(at),
            entry: (bytes[17] != 0).then_some(u64::from_le_bytes(entry)),
            place: u64::from_le_bytes(place),
        }
    }
}

/// Finished runs from the last to end: by (end, closing entry, place),
/// descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct EndOrder {
    end: i128,
    end_index: u64,
    place: u64,
}

impl Ord for EndOrder {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (other.end, other.end_index, other.place).cmp(&(self.end, self.end_index, self.place))
    }
}

impl PartialOrd for EndOrder {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl EndOrder {
    const BYTES: usize = 16 + 8 + 8;

    fn of_row(_: &mut (), row: &[u8]) -> io::Result<EndOrder> {
        let bytes = row.get(..Self::BYTES).ok_or_else(|| bad_row("end"))?;
        Ok(<EndOrder as RowKey>::get(bytes))
    }
}

impl RowKey for EndOrder {
    const BYTES: usize = EndOrder::BYTES;
    type Keys = ();

    fn put(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.end.to_le_bytes());
        out.extend_from_slice(&self.end_index.to_le_bytes());
        out.extend_from_slice(&self.place.to_le_bytes());
    }

    fn get(bytes: &[u8]) -> Self {
        let mut end = [0; 16];
        end.copy_from_slice(&bytes[..16]);
        let mut end_index = [0; 8];
        end_index.copy_from_slice(&bytes[16..24]);
        let mut place = [0; 8];
        place.copy_from_slice(&bytes[24..32]);
        EndOrder {
            end: i128::from_le_bytes(end),
            end_index: u64::from_le_bytes(end_index),
            place: u64::from_le_bytes(place),
        }
    }
}

/// A row of the end store as the critical path reads it.
fn path_run(row: &[u8], lookup: &SpanLookup<'_>) -> io::Result<PathRun> {
    let order = EndOrder::of_row(&mut (), row)?;
    let mut bytes = RowBytes(row.get(EndOrder::BYTES..).ok_or_else(|| bad_row("end"))?);
    let timed = bytes.u8()? != 0;
    let start = i128::from_le_bytes(bytes.array()?);
    let agent = name_of(bytes.number()?).ok_or_else(|| bad_row("agent"))?;
    let next = name_of(bytes.number()?);
    Ok(PathRun {
        end: order.end,
        end_index: order.end_index,
        place: order.place,
        start: timed.then_some(start),
        agent,
        next,
        sender: sender_in(&mut bytes, lookup)?,
    })
}

/// Runs held at most while the critical path looks for one step: past
/// that (runs that ended long after the step began, or times that go
/// back), it reads them all into memory.
const PATH_WINDOW: usize = 1 << 16;

/// A run's place among the runs, which its details are kept in order of
/// (they come in that order: one run in the store, never sorted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct RunPlace(u64);

impl RunPlace {
    fn of_row(_: &mut (), row: &[u8]) -> io::Result<RunPlace> {
        let bytes = row.get(..8).ok_or_else(|| bad_row("place"))?;
        Ok(<RunPlace as RowKey>::get(bytes))
    }
}

impl RowKey for RunPlace {
    const BYTES: usize = 8;
    type Keys = ();

    fn put(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0.to_le_bytes());
    }

    fn get(bytes: &[u8]) -> Self {
        let mut place = [0; 8];
        place.copy_from_slice(&bytes[..8]);
        RunPlace(u64::from_le_bytes(place))
    }
}

/// A row of the time store, as the walk reads it; who sent the run's event
/// looked up now if it was not known when the run ended.
fn walk_run(row: &[u8], lookup: &SpanLookup<'_>) -> io::Result<WalkRun> {
    let order = RunOrder::of_row(&mut (), row)?;
    let mut bytes = RowBytes(row.get(RunOrder::BYTES..).ok_or_else(|| bad_row("order"))?);
    let agent = name_of(bytes.number()?).ok_or_else(|| bad_row("agent"))?;
    let next = name_of(bytes.number()?);
    let status = status_of(bytes.u8()?)?;
    let kind = kind_of(bytes.u8()?)?;
    let sender = sender_in(&mut bytes, lookup)?;
    Ok(WalkRun {
        place: order.place,
        agent,
        next,
        status,
        kind,
        sender,
    })
}

/// A row of the details store as the run it shows.
fn run_view(row: &[u8], lookup: &SpanLookup<'_>) -> io::Result<RunView> {
    let mut bytes = RowBytes(row.get(8..).ok_or_else(|| bad_row("place"))?);
    let agent = u32::try_from(bytes.number()?)
        .ok()
        .and_then(Name::from_number)
        .ok_or_else(|| bad_row("agent"))?;
    let agent = lookup.name(agent);
    let present = bytes.u8()?;
    let mut optional = [None; 3];
    for (i, text) in optional.iter_mut().enumerate() {
        if present & (1 << i) != 0 {
            *text = Some(bytes.text()?);
        }
    }
    let [event_id, error, next] = optional;
    let start = bytes.timestamp()?;
    let end = bytes.timestamp()?;
    let index = |n: u64| n.checked_sub(1);
    let start_index = index(bytes.number()?);
    let end_index = index(bytes.number()?);
    let duration = f64::from_le_bytes(bytes.array()?);
    let status = status_of(bytes.u8()?)?;
    Ok(view(&AgentRun {
        agent,
        event_id,
        start,
        end,
        duration_ms: (!duration.is_nan()).then_some(duration),
        wait_ms: None,
        status,
        error,
        next,
        kind: None,
        tokens: Tokens::default(),
        model: None,
        start_index,
        end_index,
        orphan: false,
        input_state: None,
        output_state: None,
    }))
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
        let events = self.spans.event_count() as u64;
        let (runs, lookup) = self.spans.parts();
        if let Some(e) = runs.failed.take() {
            return Err(e);
        }
        let path = {
            let mut last_first = runs.by_end.cursor()?;
            let mut next = || -> io::Result<Option<PathRun>> {
                last_first
                    .next()?
                    .map(|row| path_run(row, &lookup))
                    .transpose()
            };
            critical_path_from_last(&runs.lists, &mut next, runs.window)?
        };
        let path = match path {
            Some(path) => path,
            None => {
                let mut finished = Vec::new();
                runs.by_end.for_each(&mut |row| {
                    finished.push(path_run(row, &lookup)?);
                    Ok(())
                })?;
                critical_path(finished)
            }
        };
        let mut walk = TimeWalk::default();
        runs.by_time.for_each(&mut |row| {
            walk.push(walk_run(row, &lookup)?);
            Ok(())
        })?;
        let found = Found {
            totals: std::mem::replace(&mut runs.totals, RunTotals::new(0)),
            walked: walk.finish(),
            path,
            events,
        };
        // The runs shown, read back in one pass in run order.
        let shown = found.shown();
        // Each with the times it is still to be shown: the last takes it,
        // the others copy it (the path's runs are most, and shown once).
        let mut views: Vec<(usize, Option<RunView>)> = Vec::with_capacity(shown.len());
        let mut wanted = shown.iter().peekable();
        runs.details.for_each(&mut |row| {
            let place = RunPlace::of_row(&mut (), row)?.0;
            if let Some(&(_, uses)) = wanted.next_if(|&&(p, _)| p == place) {
                views.push((uses, Some(run_view(row, &lookup)?)));
            }
            Ok(())
        })?;
        let file = match ctx.completeness {
            Completeness::Open | Completeness::Torn => {
                "still being written, or stopped without closing"
            }
            _ => "complete",
        };
        let analysis = found.analysis(
            ctx.session,
            ctx.summary,
            file,
            |place| {
                let at = shown.binary_search_by_key(&place, |&(p, _)| p).ok()?;
                let (uses, view) = views.get_mut(at)?;
                *uses = uses.saturating_sub(1);
                match uses {
                    0 => view.take(),
                    _ => view.clone(),
                }
            },
            |name| lookup.name(name).to_string(),
        );
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
    let longest = path
        .steps
        .iter()
        .filter_map(|s| s.run.duration_ms)
        .fold(0.0, f64::max);
    for (i, step) in path.steps.iter().enumerate() {
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
    use crate::render::style::Theme;

    fn options() -> TextOptions {
        TextOptions {
            theme: Theme { color: false },
            width: 100,
            verbose: false,
            debug: false,
            formula_guard: true,
            time: Default::default(),
        }
    }

    /// The analysis as JSON, from spans held whole.
    fn held(entries: &[Entry], summary: &SessionSummary, top: usize) -> String {
        let mut builder = SpanBuilder::default();
        for e in entries {
            builder.push(e);
        }
        let spans: Spans = builder.finish();
        let ctx = TraceContext::whole(summary);
        let a = crate::analysis::analyze::analyze(ctx.session, summary, &spans, top, "complete");
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
