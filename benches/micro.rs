//! Micro-benchmarks of agentcli's stages, with divan: framing
//! (`reader::scan`), reading a whole session on one thread and on every
//! core (`reader::read_*`), parsing pre-split entries (`parse::parse_entry`),
//! and the views `trace` renders (`render::*`), each over one ~8 MB session
//! held in memory. Throughput counts the bytes of the session's trace (for
//! `parse_entry`, of its entries), so every stage reads in MB/s of input.
//!
//! The session is generated once per process with
//! `../shared/tools/gentrace.py` (the go-live style `agentcli` reads while a
//! session runs, and the same session as a one-line `compact` array); when
//! python3 or the script is missing, an equivalent session is synthesized
//! here instead. Views write to `std::io::sink()`.
//!
//! Run: `cargo bench --bench micro` (add a filter to run some, e.g.
//! `cargo bench --bench micro -- reader`). Benchmarks are never timed
//! tests: they measure and print, and assert nothing about time. `cargo
//! test --all-targets` runs each once, only to check that it still works.

use std::io;
use std::path::Path;
use std::process::Command;
use std::sync::LazyLock;

use agentcli::analysis::analyze::analyze;
use agentcli::analysis::flow::FlowBuilder;
use agentcli::analysis::spans::SpanBuilder;
use agentcli::analysis::SessionSummary;
use agentcli::input::parallel::{self, Sizes};
use agentcli::input::parse::parse_entry;
use agentcli::input::scan::{ScanEvent, Scanner};
use agentcli::input::{
    read_all, read_all_with, Collect, Diagnostic, EntrySink, Input, ParseOptions, ReadReport,
};
use agentcli::model::{Entry, Position};
use agentcli::render::analysis::{AnalysisFormat, AnalysisView};
use agentcli::render::mermaid::Diagram;
use agentcli::render::{
    entry_renderer, hop_renderer, EntryFormat, EntryRenderer, FlowFormat, TextOptions, TraceContext,
};
use divan::counter::BytesCount;
use divan::Bencher;

fn main() {
    // Generate the session before divan starts printing its table.
    LazyLock::force(&INPUTS);
    divan::main();
}

/// Size of the generated session, in MB (as gentrace.py counts them: of
/// the go-live style).
const SIZE_MB: u32 = 8;
const SESSION: &str = "bench";

/// One session, in two framings.
struct Inputs {
    /// Go-live style: `[` then pretty-printed entries, no closing `]`.
    live: Vec<u8>,
    /// The same entries as a one-line JSON array.
    compact: Vec<u8>,
}

static INPUTS: LazyLock<Inputs> = LazyLock::new(|| {
    let inputs = generate().unwrap_or_else(|why| {
        eprintln!("micro: {why}; synthesizing the session in Rust instead");
        synthesize()
    });
    eprintln!(
        "micro: session of {} bytes (go-live), {} bytes (compact)",
        inputs.live.len(),
        inputs.compact.len()
    );
    inputs
});

/// Runs gentrace.py twice (go-live, compact) into a directory of this
/// process's own, and reads what it wrote.
fn generate() -> Result<Inputs, String> {
    let script = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/tools/gentrace.py"
    ));
    if !script.is_file() {
        return Err(format!("{} not found", script.display()));
    }
    let dir = std::env::temp_dir().join(format!("agentcli-micro-{}", std::process::id()));
    let result = (|| {
        Ok(Inputs {
            live: gentrace(script, &dir.join("live"), "go-live")?,
            compact: gentrace(script, &dir.join("compact"), "compact")?,
        })
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn gentrace(script: &Path, out: &Path, style: &str) -> Result<Vec<u8>, String> {
    let size = SIZE_MB.to_string();
    let status = Command::new("python3")
        .arg(script)
        .arg("--out")
        .arg(out)
        .args(["--sessions", "1", "--size-mb", &size, "--name", SESSION])
        .args(["--style", style])
        .status()
        .map_err(|e| format!("cannot run python3: {e}"))?;
    if !status.success() {
        return Err(format!("gentrace.py --style {style} failed: {status}"));
    }
    let path = out.join(format!("{SESSION}.trace.json"));
    let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    if bytes.is_empty() {
        return Err(format!("{} is empty", path.display()));
    }
    Ok(bytes)
}

/// A session of the shape gentrace.py writes: events of four or five
/// hooks, each state with a context string of a few kilobytes.
fn synthesize() -> Inputs {
    const AGENTS: [&str; 6] = [
        "planner",
        "researcher",
        "analyzer",
        "writer",
        "reviewer",
        "summarizer",
    ];
    const WORDS: [&str; 12] = [
        "data",
        "trends",
        "revenue",
        "analysis",
        "model",
        "agent",
        "token",
        "latency",
        "retrieval",
        "summary",
        "draft",
        "context",
    ];
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        // xorshift64: deterministic, no dependency.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let start = chrono::DateTime::parse_from_rfc3339("2025-05-02T14:32:15.123456789Z")
        .expect("a valid time");
    let mut ms = 0i64;
    let mut time = |step_ms: u64| {
        ms += step_ms as i64;
        (start + chrono::TimeDelta::milliseconds(ms))
            .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
    };
    let limit = (SIZE_MB as usize) << 20;
    let mut entries: Vec<serde_json::Value> = Vec::new();
    let mut size = 0;
    let (mut source, mut agent) = ("", AGENTS[0]);
    for step in 0u64.. {
        if size >= limit {
            break;
        }
        let context: Vec<&str> = (0..400)
            .map(|_| WORDS[(next() % WORDS.len() as u64) as usize])
            .collect();
        let state = serde_json::json!({
            "data": {
                "context": context.join(" "),
                "message": format!("step {step} of the plan"),
                "step": step,
                "usage": {"completion_tokens": next() % 900, "model": "gpt-4o",
                          "prompt_tokens": 100 + next() % 4000},
            },
            "meta": {"session_id": SESSION},
        });
        let event_id = format!("req-{:08}", next() % 100_000_000);
        let base = |hook: &str, timestamp: String| {
            serde_json::json!({
                "timestamp": timestamp, "type": "", "event_id": event_id,
                "session_id": SESSION, "hook": hook, "target_agent_id": agent,
                "source_agent_id": source,
            })
        };
        let mut before_event = base("BeforeEventHandling", time(1));
        before_event["state"] = state.clone();
        let mut before_run = base("BeforeAgentRun", time(1));
        before_run["agent_id"] = agent.into();
        before_run["state"] = state.clone();
        let t0 = time(0);
        let duration = 80 + next() % 4000;
        let t1 = time(duration);
        let failed = next() % 100 < 7;
        let mut after_run = if failed {
            let mut e = base("AgentError", time(1));
            e["error"] = "context deadline exceeded".into();
            e["agent_result"] = serde_json::json!({
                "duration_ms": duration, "end_time": t1, "error": "context deadline exceeded",
                "output_state": null, "start_time": t0,
            });
            e
        } else {
            let mut e = base("AfterAgentRun", time(1));
            e["agent_result"] = serde_json::json!({
                "duration_ms": duration, "end_time": t1, "output_state": state.clone(),
                "start_time": t0,
            });
            e
        };
        after_run["agent_id"] = agent.into();
        let mut after_event = base("AfterEventHandling", time(1));
        after_event["agent_id"] = agent.into();
        after_event["state"] = state;
        for e in [before_event, before_run, after_run, after_event] {
            size += serde_json::to_string_pretty(&e).expect("JSON").len() + 3;
            entries.push(e);
        }
        source = agent;
        if !failed {
            agent = AGENTS[(next() % AGENTS.len() as u64) as usize];
        }
    }
    let mut live = b"[\n".to_vec();
    let mut compact = b"[".to_vec();
    for (i, e) in entries.iter().enumerate() {
        if i > 0 {
            live.extend_from_slice(b",\n");
            compact.push(b',');
        }
        serde_json::to_writer_pretty(&mut live, e).expect("JSON");
        live.push(b'\n');
        serde_json::to_writer(&mut compact, e).expect("JSON");
    }
    compact.extend_from_slice(b"]\n");
    Inputs { live, compact }
}

/// What the parser keeps.
#[derive(Debug, Clone, Copy)]
enum Options {
    Default,
    Lean,
}

impl Options {
    fn get(self) -> ParseOptions {
        match self {
            Options::Default => ParseOptions::default(),
            Options::Lean => ParseOptions::lean(),
        }
    }
}

const OPTIONS: [Options; 2] = [Options::Default, Options::Lean];

/// A sink that counts entries and drops them.
#[derive(Default)]
struct Count {
    entries: u64,
    problems: u64,
}

impl EntrySink for Count {
    fn entry(&mut self, _entry: &mut Entry) -> anyhow::Result<()> {
        self.entries += 1;
        Ok(())
    }
    fn problem(&mut self, _problem: Diagnostic) {
        self.problems += 1;
    }
}

/// Bytes read, for divan's throughput.
fn bytes(input: &[u8]) -> BytesCount {
    BytesCount::of_slice(input)
}

#[divan::bench_group(sample_count = 20)]
mod reader {
    use super::*;

    /// Framing alone: the scanner over the whole session, entries dropped.
    #[divan::bench]
    fn scan(bencher: Bencher) {
        let input = &INPUTS.live;
        bencher.counter(bytes(input)).bench(|| {
            let mut scanner = Scanner::new();
            scanner.push(input, &mut |_| {});
            scanner.finish(&mut |_| {});
            scanner.framing().objects
        });
    }

    /// One thread: scanner then parser, as for small files.
    #[divan::bench(args = OPTIONS)]
    fn read_all(bencher: Bencher, options: Options) {
        let input = &INPUTS.live;
        bencher.counter(bytes(input)).bench(|| {
            let mut sink = Count::default();
            super::read_all(&input[..], options.get(), &mut sink).expect("read");
            (sink.entries, sink.problems)
        });
    }

    /// Every core: blocks cut at column-1 braces (what `trace` does).
    #[divan::bench(args = OPTIONS)]
    fn read_parallel(bencher: Bencher, options: Options) {
        bench_read_all_with(bencher, &INPUTS.live, options);
    }

    /// The one-line array through `read_all_with`: no brace in column 1 to
    /// cut at. Below `Sizes::max_block` (16 MiB) the whole input is one
    /// block, read by one worker.
    #[divan::bench(args = OPTIONS)]
    fn read_parallel_compact(bencher: Bencher, options: Options) {
        bench_read_all_with(bencher, &INPUTS.compact, options);
    }

    /// `input` through `read_all_with`, read at offsets and its size given
    /// as a file's would be.
    fn bench_read_all_with(bencher: Bencher, input: &[u8], options: Options) {
        bencher.counter(bytes(input)).bench(|| {
            let mut sink = Count::default();
            let size = Some(input.len() as u64);
            let file = Input::<&[u8]>::File(&input);
            read_all_with(file, size, options.get(), None, &mut sink).expect("read");
            (sink.entries, sink.problems)
        });
    }

    /// The one-line array with `max_block` at 1 MiB, so the reader gives
    /// up cutting and takes the fallback: it scans on its own thread and
    /// the workers only parse (as `read_all_with` does past 16 MiB).
    #[divan::bench(args = OPTIONS)]
    fn read_parallel_compact_fallback(bencher: Bencher, options: Options) {
        let input = &INPUTS.compact;
        let sizes = Sizes {
            max_block: 1 << 20,
            ..Sizes::default()
        };
        bencher.counter(bytes(input)).bench(|| {
            let mut sink = Count::default();
            let stream = Input::Stream(&input[..]);
            parallel::read(stream, options.get(), None, &mut sink, sizes).expect("read");
            (sink.entries, sink.problems)
        });
    }
}

/// One scanned entry, owned.
struct RawOwned {
    bytes: Vec<u8>,
    start: Position,
    shifts: Vec<(usize, usize)>,
}

/// The session's entries as the scanner cuts them.
static SPLIT: LazyLock<Vec<RawOwned>> = LazyLock::new(|| {
    let mut raws = Vec::new();
    let mut take = |event: ScanEvent<'_>| {
        if let ScanEvent::Entry(raw) = event {
            raws.push(RawOwned {
                bytes: raw.bytes.to_vec(),
                start: raw.start,
                shifts: raw.shifts.to_vec(),
            });
        }
    };
    let mut scanner = Scanner::new();
    scanner.push(&INPUTS.live, &mut take);
    scanner.finish(&mut take);
    assert!(!raws.is_empty(), "the scanner found no entries");
    raws
});

#[divan::bench_group(sample_count = 20)]
mod parse {
    use super::*;

    /// The parser alone, entry after entry, on one thread.
    #[divan::bench(args = OPTIONS)]
    fn parse_entry(bencher: Bencher, options: Options) {
        let raws = &*SPLIT;
        let total: usize = raws.iter().map(|r| r.bytes.len()).sum();
        let options = options.get();
        bencher.counter(BytesCount::new(total)).bench(|| {
            let mut parsed = 0u64;
            for raw in raws {
                let entry = super::parse_entry(
                    &raw.bytes,
                    raw.start,
                    &raw.shifts,
                    options,
                    None,
                    &mut |_| {},
                );
                parsed += u64::from(entry.is_some());
            }
            parsed
        });
    }
}

/// The session's entries, parsed once, and what reading it found.
struct Parsed {
    entries: Vec<Entry>,
    summary: SessionSummary,
    report: ReadReport,
}

static PARSED: LazyLock<Parsed> = LazyLock::new(|| {
    let mut collect = Collect::default();
    let report = read_all(&INPUTS.live[..], ParseOptions::default(), &mut collect).expect("read");
    assert!(
        collect.problems.is_empty(),
        "the generated session has problems: {:?}",
        &collect.problems[..collect.problems.len().min(3)]
    );
    let mut summary = SessionSummary::default();
    for entry in &collect.entries {
        summary.add(entry);
    }
    Parsed {
        entries: collect.entries,
        summary,
        report,
    }
});

/// Plain text: no color, 120 columns, times as written.
fn text() -> TextOptions {
    TextOptions::plain(120)
}

/// What `trace` hands a view at the end, with nothing filtered out.
fn context<'a>(parsed: &'a Parsed, shown: u64, noun: &'static str) -> TraceContext<'a> {
    TraceContext {
        session: SESSION,
        source: "bench.trace.json",
        summary: &parsed.summary,
        completeness: parsed.report.completeness(),
        entries_after_close: parsed.report.framing.entries_after_close,
        shown,
        candidates: shown,
        noun,
        filter: "",
    }
}

/// Feeds every entry to an entry view, then finishes it.
fn render_entries(view: &mut dyn EntryRenderer, parsed: &Parsed) {
    let mut out = io::sink();
    let context = context(parsed, parsed.entries.len() as u64, "entries");
    view.begin(&mut out).expect("begin");
    for entry in &parsed.entries {
        view.entry(entry, &mut out).expect("entry");
    }
    view.finish(&context, &mut out).expect("finish");
}

#[divan::bench_group(sample_count = 20)]
mod render {
    use super::*;

    /// `trace --format table|json|jsonl|csv`.
    #[divan::bench(args = [EntryFormat::Table, EntryFormat::Json, EntryFormat::Jsonl, EntryFormat::Csv])]
    fn entries(bencher: Bencher, format: EntryFormat) {
        let parsed = &*PARSED;
        bencher.counter(bytes(&INPUTS.live)).bench(|| {
            let mut view = entry_renderer(format, text());
            render_entries(view.as_mut(), parsed);
        });
    }

    /// `trace --flow-only --format …`: hops built and drawn.
    #[divan::bench(args = [
        FlowFormat::Text,
        FlowFormat::Json,
        FlowFormat::Jsonl,
        FlowFormat::Csv,
        FlowFormat::Mermaid(Diagram::Sequence),
        FlowFormat::Mermaid(Diagram::Graph),
        FlowFormat::Dot,
    ])]
    fn flow(bencher: Bencher, format: FlowFormat) {
        let parsed = &*PARSED;
        bencher.counter(bytes(&INPUTS.live)).bench(|| {
            let mut out = io::sink();
            let mut builder = FlowBuilder::default();
            let mut view = hop_renderer(format, text());
            let mut hops = 0;
            for entry in &parsed.entries {
                if let Some(hop) = builder.push(entry) {
                    hops += 1;
                    view.hop(&hop, &mut out).expect("hop");
                }
            }
            builder.forget();
            view.finish(&context(parsed, hops, "hops"), &mut out)
                .expect("finish");
        });
    }

    /// `trace --analyze [--json]`: runs paired, analyzed and written.
    #[divan::bench(args = [AnalysisFormat::Text, AnalysisFormat::Json])]
    fn analyze_view(bencher: Bencher, format: AnalysisFormat) {
        let parsed = &*PARSED;
        bencher.counter(bytes(&INPUTS.live)).bench(|| {
            let mut view = AnalysisView::new(text(), format, 5);
            render_entries(&mut view, parsed);
        });
    }

    /// The analysis alone, written nowhere: spans paired, then analyzed.
    #[divan::bench]
    fn analyze(bencher: Bencher) {
        let parsed = &*PARSED;
        bencher.counter(bytes(&INPUTS.live)).bench(|| {
            let mut spans = SpanBuilder::default();
            for entry in &parsed.entries {
                spans.push(entry);
            }
            let spans = spans.finish();
            super::analyze(SESSION, &parsed.summary, &spans, 5, "complete")
        });
    }
}
