//! Property tests: generated sessions written in every framing of FORMAT.md
//! read back to the same entries (whole, torn at any byte, pushed in any
//! chunks, exported through the binary), and the filter grammar never
//! panics. Also replays the inputs under `fixtures/fuzz-regressions/`.
//!
//! Each property bounds its case count so the module stays well under 20 s
//! in a debug build; failures are not persisted (no files are written next
//! to the tests), proptest prints the minimal failing case instead.

use agentcli::analysis::Condition;
use agentcli::input::parallel::{self, Sizes};
use agentcli::input::{
    read_all, Collect, Diagnostic, InOrder, Input, ParseOptions, ProblemKind, TraceReader,
};
use agentcli::model::{Entry, Hook};
use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::TestCaseError;
use serde_json::{Map, Value};

use crate::util;

// ---------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------

/// Pieces strings are built from: each one breaks some naive reader
/// (brace counters, line splitters, escape handling, surrogate checks).
const PIECES: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "\"",
    "\\",
    ",",
    ":",
    "\\\"",
    "\\\\",
    "\n",
    "\r\n",
    "\t",
    "\u{0}",
    "\u{8}",
    "\u{c}",
    "\u{1b}[31m",
    "\u{7f}",
    "<",
    ">",
    "&",
    "</script>",
    "\u{2028}",
    "\u{2029}",
    "\u{feff}",
    "\u{fffd}",
    "é",
    "e\u{301}",
    "中文",
    "🦀",
    "👩‍👩‍👧",
    "\u{10ffff}",
    "\\u003c",
    "\\ud83d",
    "\\udc00",
    "\\ud83d\\ude00",
    "\\u",
    "=HYPERLINK(\"x\")",
    "\n{",
    "\n}",
    "\n]",
    "},{",
    "]\n,\n{",
    "\"}\n]",
    "null",
    "1e5",
    " ",
    "  ",
    "planner",
    "req-17461596",
];

/// A string made of tricky pieces, plain words and arbitrary characters.
fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => prop::sample::select(PIECES).prop_map(str::to_string),
            2 => "[a-z0-9_-]{1,8}",
            1 => any::<char>().prop_map(String::from),
        ],
        0..7,
    )
    .prop_map(|parts| parts.concat())
}

/// A non-empty string.
fn word() -> impl Strategy<Value = String> {
    text().prop_map(|t| if t.is_empty() { "x".to_string() } else { t })
}

/// JSON numbers as written by Go and by other writers, including ones no
/// f64 or i64 holds.
const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "1e5",
    "1E+5",
    "-2.5e-7",
    "0.1",
    "3.0",
    "12345678901234567890",
    "-9223372036854775809",
    "18446744073709551616",
    "1.7976931348623157e308",
    "5e-324",
    "100000000000000000000000000000",
];

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        prop::sample::select(NUMBERS).prop_map(str::to_string),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| format!("{f:?}")),
    ]
    .prop_map(|s| serde_json::from_str::<Value>(&s).expect("a JSON number"))
}

fn object(pairs: impl IntoIterator<Item = (String, Value)>) -> Value {
    Value::Object(pairs.into_iter().collect::<Map<String, Value>>())
}

/// Any JSON value: a small tree, or a value wrapped in up to 40 levels of
/// arrays and objects.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number(),
        text().prop_map(Value::String),
    ];
    let tree = leaf.prop_recursive(5, 40, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(text(), inner, 0..5).prop_map(object),
        ]
    });
    let deep = (
        tree.clone(),
        prop::collection::vec((any::<bool>(), text()), 0..=40),
    )
        .prop_map(|(mut v, wraps)| {
            for (is_array, key) in wraps {
                v = if is_array {
                    Value::Array(vec![v])
                } else {
                    object([(key, v)])
                };
            }
            v
        });
    prop_oneof![3 => tree, 1 => deep]
}

/// Agent names: mostly the usual ones, sometimes anything.
fn agent() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => Just(String::new()),
        3 => prop::sample::select(&["planner", "writer", "reviewer", "summarizer"][..])
            .prop_map(str::to_string),
        2 => word(),
    ]
}

/// A `state` object: `{"data": any, "meta": {string: string}}`, the route
/// (when there is one) among the meta keys.
fn state() -> impl Strategy<Value = Value> {
    (
        json(),
        prop::collection::btree_map(text(), text(), 0..3),
        prop::option::of(agent()),
    )
        .prop_map(|(data, meta, route)| {
            let mut meta: Map<String, Value> = meta
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect();
            if let Some(route) = route {
                meta.insert("route".into(), Value::String(route));
            }
            object([("data".into(), data), ("meta".into(), Value::Object(meta))])
        })
}

/// A timestamp as written, and the instant it means (`None`: Go's zero time).
#[derive(Debug, Clone)]
struct GenTime {
    text: String,
    at: Option<DateTime<FixedOffset>>,
}

fn time() -> impl Strategy<Value = GenTime> {
    let real = (
        (1970i32..2200, 1u32..=12, 1u32..=28),
        (0u32..24, 0u32..60, 0u32..60),
        prop_oneof![Just(0u32), 0u32..1_000_000_000, Just(120_000_000)],
        prop_oneof![
            Just(None),
            (-(23 * 60 + 59)..=(23 * 60 + 59)).prop_map(Some)
        ],
    )
        .prop_map(|((y, mo, d), (h, mi, s), nanos, offset)| {
            let mut text = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}");
            if nanos > 0 {
                let fraction = format!("{nanos:09}");
                text.push('.');
                text.push_str(fraction.trim_end_matches('0'));
            }
            let minutes: i32 = offset.unwrap_or(0);
            match offset {
                None => text.push('Z'),
                Some(m) => {
                    let sign = if m < 0 { '-' } else { '+' };
                    text.push_str(&format!("{sign}{:02}:{:02}", m.abs() / 60, m.abs() % 60));
                }
            }
            let naive = NaiveDate::from_ymd_opt(y, mo, d)
                .and_then(|date| date.and_hms_nano_opt(h, mi, s, nanos))
                .expect("a valid date");
            let at = FixedOffset::east_opt(minutes * 60)
                .expect("a valid offset")
                .from_local_datetime(&naive)
                .single();
            GenTime { text, at }
        });
    prop_oneof![
        9 => real,
        1 => Just(GenTime {
            text: "0001-01-01T00:00:00Z".into(),
            at: None
        }),
    ]
}

#[derive(Debug, Clone)]
struct GenResult {
    duration_ms: i64,
    start: GenTime,
    end: GenTime,
    error: String,
    output_state: Option<Value>,
}

impl GenResult {
    /// As Go writes it: keys sorted, `error` omitted when empty.
    fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("duration_ms".into(), Value::from(self.duration_ms));
        m.insert("end_time".into(), Value::String(self.end.text.clone()));
        if !self.error.is_empty() {
            m.insert("error".into(), Value::String(self.error.clone()));
        }
        m.insert(
            "output_state".into(),
            self.output_state.clone().unwrap_or(Value::Null),
        );
        m.insert("start_time".into(), Value::String(self.start.text.clone()));
        Value::Object(m)
    }
}

fn result() -> impl Strategy<Value = GenResult> {
    (
        prop_oneof![0i64..100_000, Just(0), Just(i64::MAX), Just(-1)],
        time(),
        time(),
        prop_oneof![2 => Just(String::new()), 1 => word()],
        prop::option::of(state()),
    )
        .prop_map(|(duration_ms, start, end, error, output_state)| GenResult {
            duration_ms,
            start,
            end,
            error,
            output_state,
        })
}

/// One generated entry; empty strings stand for omitted keys where Go
/// omits them.
#[derive(Debug, Clone)]
struct GenEntry {
    time: GenTime,
    kind: String,
    event_id: String,
    session_id: String,
    agent_id: String,
    state: Option<Value>,
    error: String,
    hook: String,
    target: String,
    source: String,
    result: Option<GenResult>,
    /// Keys of other versions, in file order.
    extra: Vec<(String, Value)>,
}

const HOOKS: [&str; 5] = [
    "BeforeEventHandling",
    "AfterEventHandling",
    "BeforeAgentRun",
    "AfterAgentRun",
    "AgentError",
];

fn entry() -> impl Strategy<Value = GenEntry> {
    let kind = prop_oneof![
        4 => Just(String::new()),
        2 => prop::sample::select(&["event_start", "event_end", "agent_start", "agent_end"][..])
            .prop_map(str::to_string),
        1 => word(),
    ];
    let hook = prop_oneof![
        2 => Just(String::new()),
        5 => prop::sample::select(&HOOKS[..]).prop_map(str::to_string),
        1 => word(),
    ];
    let id = prop_oneof![
        "req-[0-9]{8}(-[a-z]{3,8})?",
        "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        text(),
    ];
    let extra = prop::collection::btree_map(text().prop_map(|k| format!("x-{k}")), json(), 0..3)
        .prop_map(|m| m.into_iter().collect::<Vec<_>>());
    (
        (time(), kind, id.clone(), id, agent()),
        (
            prop::option::of(state()),
            prop_oneof![3 => Just(String::new()), 1 => word()],
            hook,
            agent(),
            agent(),
        ),
        (prop::option::weighted(0.4, result()), extra),
    )
        .prop_map(
            |(
                (time, kind, event_id, session_id, agent_id),
                (state, error, hook, target, source),
                (result, extra),
            )| GenEntry {
                time,
                kind,
                event_id,
                session_id,
                agent_id,
                state,
                error,
                hook,
                target,
                source,
                result,
                extra,
            },
        )
}

impl GenEntry {
    /// The keys in the order Go writes them, omitted ones left out.
    fn pairs(&self) -> Vec<(String, Value)> {
        let s = |v: &str| Value::String(v.to_string());
        let mut p = vec![
            ("timestamp".to_string(), s(&self.time.text)),
            ("type".to_string(), s(&self.kind)),
            ("event_id".to_string(), s(&self.event_id)),
            ("session_id".to_string(), s(&self.session_id)),
        ];
        let mut opt = |key: &str, v: &str| {
            if !v.is_empty() {
                p.push((key.to_string(), s(v)));
            }
        };
        opt("agent_id", &self.agent_id);
        if let Some(state) = &self.state {
            p.push(("state".into(), state.clone()));
        }
        let mut opt = |key: &str, v: &str| {
            if !v.is_empty() {
                p.push((key.to_string(), s(v)));
            }
        };
        opt("error", &self.error);
        opt("hook", &self.hook);
        opt("target_agent_id", &self.target);
        opt("source_agent_id", &self.source);
        if let Some(r) = &self.result {
            p.push(("agent_result".into(), r.to_json()));
        }
        p.extend(self.extra.iter().cloned());
        p
    }

    /// The entry's error, else its result's (as `Entry::error`).
    fn expected_error(&self) -> Option<&str> {
        non_empty(&self.error).or_else(|| self.result.as_ref().and_then(|r| non_empty(&r.error)))
    }

    /// The hook as written, else the one an older writer's `type` means.
    fn expected_hook(&self) -> (Hook, bool) {
        let known = |name: &str| match name {
            "BeforeEventHandling" => Hook::BeforeEventHandling,
            "AfterEventHandling" => Hook::AfterEventHandling,
            "BeforeAgentRun" => Hook::BeforeAgentRun,
            "AfterAgentRun" => Hook::AfterAgentRun,
            "AgentError" => Hook::AgentError,
            other => Hook::Other(other.to_string()),
        };
        if !self.hook.is_empty() {
            return (known(&self.hook), false);
        }
        let derived = match self.kind.as_str() {
            "event_start" => Hook::BeforeEventHandling,
            "event_end" => Hook::AfterEventHandling,
            "agent_start" => Hook::BeforeAgentRun,
            "agent_end" if self.expected_error().is_some() => Hook::AgentError,
            "agent_end" => Hook::AfterAgentRun,
            _ => return (Hook::Unknown, false),
        };
        (derived, true)
    }

    fn state_route(&self) -> Option<String> {
        route_of(self.state.as_ref())
    }

    fn output_route(&self) -> Option<String> {
        route_of(self.result.as_ref().and_then(|r| r.output_state.as_ref()))
    }

    /// The next agent: the result's route, else the state's (non-empty).
    fn expected_route(&self) -> Option<String> {
        self.output_route()
            .filter(|r| !r.is_empty())
            .or_else(|| self.state_route().filter(|r| !r.is_empty()))
    }
}

fn route_of(state: Option<&Value>) -> Option<String> {
    state?
        .pointer("/meta/route")
        .and_then(Value::as_str)
        .map(str::to_string)
}

fn non_empty(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

// ---------------------------------------------------------------------------
// Writing files in every framing
// ---------------------------------------------------------------------------

/// How strings are escaped.
#[derive(Debug, Clone, Copy)]
enum Escape {
    /// As Go's encoding/json: `<>&` and U+2028/9 as `\u` escapes.
    Go,
    /// Only what JSON requires.
    Minimal,
    /// Everything outside ASCII as `\u` escapes (UTF-16 pairs for emoji).
    Ascii { upper: bool },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// `[` then entries as the Go file logger writes them, no `]`.
    GoLive,
    /// The same with the closing `\n]`.
    GoClosed,
    /// A closed session logged again: `]` after some entries, `,` and more
    /// entries after it.
    Reopened,
    /// `json.MarshalIndent` of the whole array.
    Dump,
    /// One-line array.
    Compact,
    /// One compact entry per line.
    JsonLines,
}

#[derive(Debug, Clone)]
struct Layout {
    framing: Framing,
    escape: Escape,
    indent: &'static str,
    bom: bool,
    crlf: bool,
    /// Reopened: close the array after entry i.
    close_after: Vec<bool>,
    /// JSON lines: end the last line with a newline.
    final_newline: bool,
}

fn layout() -> impl Strategy<Value = Layout> {
    (
        prop::sample::select(
            &[
                Framing::GoLive,
                Framing::GoClosed,
                Framing::Reopened,
                Framing::Dump,
                Framing::Compact,
                Framing::JsonLines,
            ][..],
        ),
        prop_oneof![
            3 => Just(Escape::Go),
            1 => Just(Escape::Minimal),
            1 => any::<bool>().prop_map(|upper| Escape::Ascii { upper }),
        ],
        prop_oneof![4 => Just("  "), 1 => Just("\t"), 1 => Just("    ")],
        prop::bool::weighted(0.25),
        prop::bool::weighted(0.25),
        prop::collection::vec(prop::bool::weighted(0.3), 16),
        any::<bool>(),
    )
        .prop_map(
            |(framing, escape, indent, bom, crlf, close_after, final_newline)| Layout {
                framing,
                escape,
                indent,
                bom,
                crlf,
                close_after,
                final_newline,
            },
        )
}

fn quote(s: &str, escape: Escape, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' if matches!(escape, Escape::Go) => out.push_str("\\b"),
            '\u{c}' if matches!(escape, Escape::Go) => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' if matches!(escape, Escape::Go) => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c if !c.is_ascii() && matches!(escape, Escape::Ascii { .. }) => {
                let upper = matches!(escape, Escape::Ascii { upper: true });
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    if upper {
                        out.push_str(&format!("\\u{:04X}", unit));
                    } else {
                        out.push_str(&format!("\\u{:04x}", unit));
                    }
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Writes JSON; `indent: None` for compact, else pretty at `level`.
fn write_json(v: &Value, escape: Escape, indent: Option<&str>, level: usize, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => quote(s, escape, out),
        Value::Array(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(indent, level + 1, out);
                write_json(item, escape, indent, level + 1, out);
            }
            newline(indent, level, out);
            out.push(']');
        }
        Value::Object(map) => {
            write_object(
                map.iter().map(|(k, v)| (k.as_str(), v)),
                escape,
                indent,
                level,
                out,
            );
        }
    }
}

fn write_object<'a>(
    pairs: impl ExactSizeIterator<Item = (&'a str, &'a Value)>,
    escape: Escape,
    indent: Option<&str>,
    level: usize,
    out: &mut String,
) {
    if pairs.len() == 0 {
        out.push_str("{}");
        return;
    }
    out.push('{');
    for (i, (k, v)) in pairs.enumerate() {
        if i > 0 {
            out.push(',');
        }
        newline(indent, level + 1, out);
        quote(k, escape, out);
        out.push(':');
        if indent.is_some() {
            out.push(' ');
        }
        write_json(v, escape, indent, level + 1, out);
    }
    newline(indent, level, out);
    out.push('}');
}

fn newline(indent: Option<&str>, level: usize, out: &mut String) {
    if let Some(unit) = indent {
        out.push('\n');
        for _ in 0..level {
            out.push_str(unit);
        }
    }
}

/// A file as bytes, with where each entry starts (its `{`) and ends (just
/// past its `}`).
#[derive(Debug)]
struct Built {
    bytes: Vec<u8>,
    spans: Vec<(usize, usize)>,
}

struct Out {
    bytes: Vec<u8>,
    crlf: bool,
}

impl Out {
    fn push(&mut self, text: &str) {
        if self.crlf {
            self.bytes
                .extend_from_slice(text.replace('\n', "\r\n").as_bytes());
        } else {
            self.bytes.extend_from_slice(text.as_bytes());
        }
    }
}

fn build(entries: &[GenEntry], layout: &Layout) -> Built {
    let mut out = Out {
        bytes: Vec::new(),
        crlf: layout.crlf,
    };
    if layout.bom {
        out.bytes.extend_from_slice(b"\xEF\xBB\xBF");
    }
    let mut spans = Vec::new();
    let render = |e: &GenEntry, indent: Option<&str>, level: usize| {
        let pairs = e.pairs();
        let mut s = String::new();
        write_object(
            pairs.iter().map(|(k, v)| (k.as_str(), v)),
            layout.escape,
            indent,
            level,
            &mut s,
        );
        s
    };
    let mut put = |out: &mut Out, text: &str| {
        let start = out.bytes.len();
        out.push(text);
        spans.push((start, out.bytes.len()));
    };
    match layout.framing {
        Framing::GoLive | Framing::GoClosed | Framing::Reopened => {
            out.push("[\n");
            for (i, e) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(",\n");
                }
                put(&mut out, &render(e, Some(layout.indent), 0));
                out.push("\n");
                let close = match layout.framing {
                    Framing::Reopened => layout.close_after[i % layout.close_after.len()],
                    _ => false,
                };
                if close {
                    out.push("\n]");
                }
            }
            if layout.framing == Framing::GoClosed {
                out.push("\n]");
            }
        }
        Framing::Dump => {
            if entries.is_empty() {
                out.push("[]");
            } else {
                out.push("[");
                for (i, e) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(",");
                    }
                    out.push("\n");
                    out.push(layout.indent);
                    put(&mut out, &render(e, Some(layout.indent), 1));
                }
                out.push("\n]");
            }
        }
        Framing::Compact => {
            out.push("[");
            for (i, e) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(",");
                }
                put(&mut out, &render(e, None, 0));
            }
            out.push("]");
        }
        Framing::JsonLines => {
            for (i, e) in entries.iter().enumerate() {
                put(&mut out, &render(e, None, 0));
                if i + 1 < entries.len() || layout.final_newline {
                    out.push("\n");
                }
            }
        }
    }
    Built {
        bytes: out.bytes,
        spans,
    }
}

fn session() -> impl Strategy<Value = (Vec<GenEntry>, Layout)> {
    (prop::collection::vec(entry(), 0..6), layout())
}

// ---------------------------------------------------------------------------
// Reading back
// ---------------------------------------------------------------------------

fn read(bytes: &[u8], options: ParseOptions) -> Collect {
    let mut c = Collect::default();
    read_all(bytes, options, &mut c).expect("reading from memory cannot fail");
    c
}

fn parse_json(text: &str) -> Result<Value, TestCaseError> {
    serde_json::from_str(text)
        .map_err(|e| TestCaseError::fail(format!("kept JSON is not JSON ({e}): {text}")))
}

/// `got` is `want`, the `n`-th entry (0-based), whose text is
/// `bytes[span.0..span.1]`.
fn check_entry(
    got: &Entry,
    want: &GenEntry,
    n: usize,
    span: (usize, usize),
    bytes: &[u8],
    options: ParseOptions,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(got.index, n as u64 + 1);
    prop_assert_eq!(got.position.offset, span.0 as u64, "entry {} position", n);
    let line = 1 + bytes[..span.0].iter().filter(|&&b| b == b'\n').count() as u64;
    prop_assert_eq!(got.position.line, line, "entry {} line", n);
    let written = got.timestamp_text();
    prop_assert_eq!(written.as_deref(), Some(want.time.text.as_str()));
    prop_assert_eq!(got.timestamp.get(), want.time.at);
    if let (Some(g), Some(w)) = (got.timestamp.get(), want.time.at) {
        prop_assert_eq!(g.offset(), w.offset(), "the offset is kept");
    }
    prop_assert_eq!(got.kind.as_deref(), Some(want.kind.as_str()));
    prop_assert_eq!(got.event_id.as_deref(), Some(want.event_id.as_str()));
    prop_assert_eq!(got.session_id.as_deref(), Some(want.session_id.as_str()));
    prop_assert_eq!(got.agent_id.as_deref(), non_empty(&want.agent_id));
    prop_assert_eq!(got.error.as_deref(), non_empty(&want.error));
    prop_assert_eq!(got.target_agent_id.as_deref(), non_empty(&want.target));
    prop_assert_eq!(got.source_agent_id.as_deref(), non_empty(&want.source));
    let (hook, derived) = want.expected_hook();
    prop_assert_eq!(&got.hook, &hook);
    prop_assert_eq!(got.hook_derived, derived);
    prop_assert_eq!(got.error(), want.expected_error());
    let route = want.expected_route();
    prop_assert_eq!(got.route(), route.as_deref());
    let state_route = want.state_route();
    prop_assert_eq!(got.state_route.as_deref(), state_route.as_deref());
    match (&got.state, &want.state) {
        (Some(g), Some(w)) if options.keep_state => prop_assert_eq!(&parse_json(g.get())?, w),
        (None, None) => {}
        (None, Some(_)) if !options.keep_state => {}
        (g, w) => prop_assert!(false, "state: got {:?}, want {:?}", g, w),
    }
    match (&got.result, &want.result) {
        (None, None) => {}
        (Some(g), Some(w)) => {
            prop_assert_eq!(g.duration_ms, Some(w.duration_ms));
            prop_assert_eq!(g.error.as_deref(), non_empty(&w.error));
            prop_assert_eq!(g.start_time.get(), w.start.at);
            prop_assert_eq!(g.end_time.get(), w.end.at);
            prop_assert_eq!(
                g.output_route.as_deref().map(str::to_string),
                want.output_route()
            );
            if options.keep_state {
                let raw = g.raw.as_ref().map(|r| parse_json(r.get())).transpose()?;
                prop_assert_eq!(raw, Some(w.to_json()));
                let out = g
                    .output_state
                    .as_ref()
                    .map(|r| parse_json(r.get()))
                    .transpose()?;
                prop_assert_eq!(out, w.output_state.clone());
            } else {
                prop_assert!(g.raw.is_none() && g.output_state.is_none());
            }
        }
        (g, w) => prop_assert!(false, "agent_result: got {:?}, want {:?}", g, w),
    }
    let extra = got
        .extra
        .iter()
        .map(|(k, v)| Ok((k.clone(), parse_json(v.get())?)))
        .collect::<Result<Vec<_>, TestCaseError>>()?;
    prop_assert_eq!(&extra, &want.extra);
    if options.keep_raw {
        let text = std::str::from_utf8(&bytes[span.0..span.1]).expect("UTF-8");
        prop_assert_eq!(got.raw.as_deref(), Some(text), "the raw text is as written");
    } else {
        prop_assert!(got.raw.is_none());
    }
    Ok(())
}

fn options() -> impl Strategy<Value = ParseOptions> {
    (prop::bool::weighted(0.8), any::<bool>()).prop_map(|(keep_state, keep_raw)| ParseOptions {
        keep_state,
        keep_raw,
    })
}

/// Bounded runs, nothing written next to the tests.
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Entries and problems read at once, in the order they came.
fn read_in_order(bytes: &[u8], options: ParseOptions) -> InOrder {
    let mut c = InOrder::default();
    read_all(bytes, options, &mut c).expect("reading from memory cannot fail");
    c
}

/// Pushes `bytes` to a reader split at `cuts` (indices into the input).
fn read_in_chunks(bytes: &[u8], cuts: &[Index], options: ParseOptions) -> InOrder {
    let mut at: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
    at.push(0);
    at.push(bytes.len());
    at.sort_unstable();
    at.dedup();
    let mut reader = TraceReader::new(options);
    let mut c = InOrder::default();
    for pair in at.windows(2) {
        reader
            .push(&bytes[pair[0]..pair[1]], &mut c)
            .expect("collecting cannot fail");
    }
    reader.finish(&mut c);
    c
}

proptest! {
    #![proptest_config(config(192))]

    /// (a) Whatever the framing, BOM, line ends and escaping, a file of
    /// valid entries reads back to those entries, in order, with nothing
    /// reported.
    #[test]
    fn every_framing_reads_back_the_generated_entries_in_order_without_problems(
        (entries, layout) in session(),
        options in options(),
    ) {
        let built = build(&entries, &layout);
        let mut c = Collect::default();
        let report = read_all(&built.bytes[..], options, &mut c).expect("in memory");
        prop_assert!(c.problems.is_empty(), "problems: {:?}", c.problems);
        prop_assert_eq!(c.entries.len(), entries.len());
        for (n, (got, want)) in c.entries.iter().zip(&entries).enumerate() {
            check_entry(got, want, n, built.spans[n], &built.bytes, options)?;
        }
        prop_assert_eq!(report.entries, entries.len() as u64);
        prop_assert_eq!(report.damage, 0);
        prop_assert_eq!(report.bytes, built.bytes.len() as u64);
        prop_assert_eq!(report.framing.bom, layout.bom);
        prop_assert!(!report.framing.incomplete_tail);
        let array = layout.framing != Framing::JsonLines;
        prop_assert_eq!(report.framing.array, array);
        let closed = match layout.framing {
            Framing::GoLive => false,
            Framing::Reopened => entries
                .len()
                .checked_sub(1)
                .is_some_and(|last| layout.close_after[last % layout.close_after.len()]),
            _ => true,
        };
        if array {
            prop_assert_eq!(report.framing.closed, closed);
        }
    }

    /// (b) A file torn at any byte reads back to exactly the entries
    /// completely written before the cut; the only problem is the
    /// incomplete entry the cut falls in, if it falls in one.
    #[test]
    fn a_file_torn_at_any_byte_reads_back_the_entries_written_before_the_cut(
        (entries, layout) in session(),
        options in options(),
        random_cuts in prop::collection::vec(any::<Index>(), 12),
    ) {
        let built = build(&entries, &layout);
        let len = built.bytes.len();
        let mut cuts: Vec<usize> = random_cuts.iter().map(|i| i.index(len + 1)).collect();
        for &(start, end) in &built.spans {
            cuts.extend([start, start + 1, end - 1, end]);
        }
        cuts.extend([0, 1, 2, 3, len]);
        cuts.retain(|&c| c <= len);
        cuts.sort_unstable();
        cuts.dedup();
        for cut in cuts {
            let torn = &built.bytes[..cut];
            let c = read(torn, options);
            let complete = built.spans.iter().filter(|s| s.1 <= cut).count();
            prop_assert_eq!(c.entries.len(), complete, "cut at {} of {}", cut, len);
            for (n, got) in c.entries.iter().enumerate() {
                check_entry(got, &entries[n], n, built.spans[n], &built.bytes, options)?;
            }
            match built.spans.iter().find(|s| s.0 < cut && cut < s.1) {
                Some(&(start, _)) => {
                    prop_assert_eq!(c.problems.len(), 1, "cut at {}: {:?}", cut, c.problems);
                    prop_assert_eq!(c.problems[0].kind, ProblemKind::IncompleteTail);
                    prop_assert_eq!(c.problems[0].position.offset, start as u64);
                }
                None => prop_assert!(c.problems.is_empty(), "cut at {}: {:?}", cut, c.problems),
            }
        }
    }

    /// (c) Pushing a file (whole, torn or damaged) in chunks of any size
    /// gives the same entries and problems as pushing it at once.
    #[test]
    fn the_entries_do_not_depend_on_how_the_bytes_are_chunked(
        bytes in torn_or_damaged(),
        options in options(),
        cuts in prop::collection::vec(any::<Index>(), 0..24),
    ) {
        let chunked = read_in_chunks(&bytes, &cuts, options);
        prop_assert_eq!(chunked, read_in_order(&bytes, options));
    }

    /// (c, arbitrary input) The same for bytes that are mostly framing
    /// characters, where the scanner's states change most often.
    #[test]
    fn arbitrary_bytes_read_the_same_whatever_the_chunking(
        bytes in prop::collection::vec(
            prop_oneof![
                3 => prop::sample::select(&b"{}[]\",:\\\n\r\t \xEF\xBB\xBF\x01ua0"[..]),
                1 => any::<u8>(),
            ],
            0..300,
        ),
        options in options(),
        cuts in prop::collection::vec(any::<Index>(), 0..32),
    ) {
        let chunked = read_in_chunks(&bytes, &cuts, options);
        prop_assert_eq!(chunked, read_in_order(&bytes, options));
        let whole = read(&bytes, options);
        let mut last = 0;
        for e in &whole.entries {
            prop_assert!(e.index > last, "indexes increase");
            last = e.index;
            prop_assert!(e.position.offset < bytes.len() as u64);
        }
        for p in &whole.problems {
            prop_assert!(p.position.offset <= bytes.len() as u64, "{:?}", p);
        }
    }
}

/// The parallel reader (the fast path), cut into blocks of `block` bytes
/// that may grow to `max_block` before it falls back to scanning; it reads
/// the bytes as a file (at offsets) when `file`, else in order.
fn read_parallel(
    bytes: &[u8],
    options: ParseOptions,
    block: usize,
    max_block: usize,
    file: bool,
) -> (String, InOrder) {
    let mut c = InOrder::default();
    let sizes = Sizes {
        block,
        max_block,
        batch: 64,
        workers: 3,
    };
    let input = if file {
        Input::File(&bytes)
    } else {
        Input::Stream(bytes)
    };
    let report = parallel::read(input, options, None, &mut c, sizes).expect("in memory");
    (format!("{report:?}"), c)
}

proptest! {
    #![proptest_config(config(128))]

    /// (e) The parallel reader finds what the simple one-thread path
    /// finds, entry for entry, problem for problem, report for report, on
    /// whole, torn and damaged files of every framing, at any block size,
    /// read in order or as a file.
    #[test]
    fn the_parallel_reader_reads_as_the_simple_path_does(
        bytes in torn_or_damaged(),
        options in options(),
        block in 1usize..400,
        max_block in prop_oneof![Just(1usize << 20), 1usize..800],
        file in any::<bool>(),
    ) {
        let mut simple = InOrder::default();
        let report = read_all(&bytes[..], options, &mut simple).expect("in memory");
        let (parallel_report, parallel) = read_parallel(&bytes, options, block, max_block, file);
        prop_assert_eq!(parallel, simple);
        prop_assert_eq!(parallel_report, format!("{report:?}"));
    }

    /// (e, arbitrary input) The same for bytes that are mostly framing
    /// characters and line breaks before braces.
    #[test]
    fn the_parallel_reader_reads_arbitrary_bytes_as_the_simple_path_does(
        bytes in prop::collection::vec(
            prop_oneof![
                3 => prop::sample::select(&b"{}[]\",:\\\n\r\t \xEF\xBB\xBF\x01ua0"[..]),
                2 => Just(b'\n'),
                2 => Just(b'{'),
                1 => any::<u8>(),
            ],
            0..300,
        ),
        options in options(),
        block in 1usize..64,
        max_block in prop_oneof![Just(1usize << 20), 1usize..128],
        file in any::<bool>(),
    ) {
        let mut simple = InOrder::default();
        let report = read_all(&bytes[..], options, &mut simple).expect("in memory");
        let (parallel_report, parallel) = read_parallel(&bytes, options, block, max_block, file);
        prop_assert_eq!(parallel, simple);
        prop_assert_eq!(parallel_report, format!("{report:?}"));
    }
}

proptest! {
    #![proptest_config(config(24))]

    /// (d) `agentcli trace --format jsonl FILE` gives back the generated
    /// entries, field by field, in file order.
    #[test]
    fn the_jsonl_export_of_the_binary_gives_back_the_generated_entries(
        (entries, layout) in (prop::collection::vec(entry(), 1..6), layout()),
    ) {
        let built = build(&entries, &layout);
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("prop.trace.json");
        std::fs::write(&path, &built.bytes).expect("written");
        let path = path.to_str().expect("a UTF-8 temporary path");
        let out = util::run(&["trace", "--format", "jsonl", path]);
        prop_assert_eq!(out.status.code(), Some(0), "stderr: {}", util::stderr(&out));
        let lines = util::json_lines(&util::stdout(&out));
        prop_assert_eq!(lines.len(), entries.len());
        let s = |v: Option<&str>| v.map_or(Value::Null, |s| Value::String(s.to_string()));
        for (n, (got, want)) in lines.iter().zip(&entries).enumerate() {
            prop_assert_eq!(&got["index"], &Value::from(n as u64 + 1));
            prop_assert_eq!(&got["timestamp"], &s(Some(&want.time.text)));
            let (hook, _) = want.expected_hook();
            let hook = match hook {
                Hook::Unknown => Value::Null,
                h => Value::String(h.to_string()),
            };
            prop_assert_eq!(&got["hook"], &hook);
            prop_assert_eq!(&got["type"], &s(Some(&want.kind)));
            prop_assert_eq!(&got["session_id"], &s(Some(&want.session_id)));
            prop_assert_eq!(&got["event_id"], &s(Some(&want.event_id)));
            prop_assert_eq!(&got["agent"], &s(non_empty(&want.agent_id)));
            prop_assert_eq!(&got["source"], &s(non_empty(&want.source)));
            prop_assert_eq!(&got["target"], &s(non_empty(&want.target)));
            prop_assert_eq!(&got["route"], &s(want.expected_route().as_deref()));
            let duration = want
                .result
                .as_ref()
                .map_or(Value::Null, |r| Value::from(r.duration_ms));
            prop_assert_eq!(&got["duration_ms"], &duration);
            prop_assert_eq!(&got["error"], &s(want.expected_error()));
            prop_assert_eq!(&got["state"], want.state.as_ref().unwrap_or(&Value::Null));
            let result = want.result.as_ref().map_or(Value::Null, GenResult::to_json);
            prop_assert_eq!(&got["agent_result"], &result);
            let extra = if want.extra.is_empty() {
                Value::Null
            } else {
                object(want.extra.iter().cloned())
            };
            prop_assert_eq!(&got["extra"], &extra);
        }
    }
}

// ---------------------------------------------------------------------------
// The filter grammar
// ---------------------------------------------------------------------------

const KEYS: &[&str] = &[
    "agent",
    "agent_id",
    "hook",
    "event",
    "event_id",
    "session",
    "session_id",
    "source",
    "source_agent_id",
    "target",
    "target_agent_id",
    "error",
    "AGENT",
    "Hook",
    "",
    "colour",
    "agént",
    "agent!",
];

/// Filter-like text: keys, `=`/`!=`, comma lists, odd white space.
fn filter_text() -> impl Strategy<Value = String> {
    let space = prop::sample::select(&["", " ", "\t", "\u{3000}", "\u{a0}", "\n"][..]);
    let structured = (
        space.clone(),
        prop::sample::select(KEYS),
        prop::sample::select(&["=", "!=", "==", "!!=", "=!", ""][..]),
        prop::collection::vec(
            prop_oneof![text(), Just(String::new()), Just(" ".to_string())],
            0..4,
        ),
        space,
    )
        .prop_map(|(a, key, op, values, b)| format!("{a}{key}{op}{}{b}", values.join(",")));
    prop_oneof![
        2 => structured,
        1 => any::<String>(),
        1 => text(),
    ]
}

fn sample_entries() -> Vec<Entry> {
    let mut plain = Entry {
        agent_id: Some("planner".into()),
        event_id: Some("req-1".into()),
        session_id: Some("s".into()),
        hook: Hook::AfterAgentRun,
        ..Entry::default()
    };
    plain.index = 1;
    let failed = Entry {
        index: 2,
        error: Some("Rate LIMIT \u{130} exceeded".into()),
        target_agent_id: Some("writer".into()),
        source_agent_id: Some("é🦀".into()),
        hook: Hook::Other("OnTool\u{2028}".into()),
        ..Entry::default()
    };
    vec![plain, failed, Entry::default()]
}

proptest! {
    #![proptest_config(config(1024))]

    /// (e) Any text: parsing never panics; a filter that parses prints as
    /// text that parses to the same filter, and matching never panics.
    #[test]
    fn filter_parsing_never_panics_and_accepted_filters_round_trip_through_display(
        expr in filter_text(),
    ) {
        if let Ok(c) = Condition::parse(&expr) {
            let shown = c.to_string();
            prop_assert_eq!(Condition::parse(&shown), Ok(c.clone()), "shown as {:?}", shown);
            for e in sample_entries() {
                let _ = c.matches(&e);
                let _ = c.matches_with_next(&e, Some("writer"));
            }
        }
    }

    /// KEY!=VALUES matches exactly the entries KEY=VALUES does not.
    #[test]
    fn negating_a_filter_key_flips_every_match(
        key in prop::sample::select(&KEYS[..12]),
        values in prop::collection::vec(prop_oneof![text(), Just("planner".to_string())], 1..3),
    ) {
        let values = values.join(",");
        let yes = Condition::parse(&format!("{key}={values}"));
        let no = Condition::parse(&format!("{key}!={values}"));
        prop_assert_eq!(yes.is_ok(), no.is_ok());
        if let (Ok(yes), Ok(no)) = (yes, no) {
            for e in sample_entries() {
                prop_assert_ne!(yes.matches(&e), no.matches(&e));
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Fuzz regressions
// ---------------------------------------------------------------------------

/// Every input the fuzzers found, through the library (every option, split
/// at every point for small inputs) and the binary: no panic.
/// The inputs the fuzzers found (`fixtures/fuzz-regressions/<target>-…`),
/// replayed: `reader-*` through the library (every option, split at many
/// points: same result) and the binary, `filter-*` through the filter
/// grammar, `resolve-*` as a session argument. None may panic.
#[test]
fn fuzz_regression_inputs_run_without_panicking() {
    let dir = util::root().join("fixtures").join("fuzz-regressions");
    let Ok(listing) = std::fs::read_dir(&dir) else {
        return; // none yet
    };
    let mut files: Vec<_> = listing.flatten().map(|e| e.path()).collect();
    files.sort();
    for path in files {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("a UTF-8 name")
            .to_string();
        let bytes = std::fs::read(&path).expect("readable");
        if name.starts_with("reader-") {
            read_every_way_without_panicking(&bytes);
            let out = util::run(&["trace", "--format", "jsonl", path.to_str().expect("UTF-8")]);
            assert!(
                matches!(out.status.code(), Some(0..=2)),
                "{name}: {}",
                util::transcript(&out)
            );
        } else if name.starts_with("filter-") {
            let text = String::from_utf8_lossy(&bytes);
            if let Ok(c) = Condition::parse(&text) {
                assert_eq!(Condition::parse(&c.to_string()), Ok(c.clone()), "{name}");
                for e in sample_entries() {
                    let _ = c.matches(&e);
                }
            }
        } else if name.starts_with("resolve-") {
            use std::os::unix::ffi::OsStrExt;
            let sessions = tempfile::tempdir().expect("a temporary directory");
            std::fs::write(sessions.path().join("a.trace.json"), "[\n").unwrap();
            let _ = agentcli::input::resolve(std::ffi::OsStr::from_bytes(&bytes), sessions.path());
        }
    }
}

fn read_every_way_without_panicking(bytes: &[u8]) {
    for keep_state in [false, true] {
        for keep_raw in [false, true] {
            let options = ParseOptions {
                keep_state,
                keep_raw,
            };
            let whole = read_in_order(bytes, options);
            let step = (bytes.len() / 64).max(1);
            for at in (0..=bytes.len()).step_by(step) {
                let mut reader = TraceReader::new(options);
                let mut c = InOrder::default();
                reader.push(&bytes[..at], &mut c).unwrap();
                reader.push(&bytes[at..], &mut c).unwrap();
                reader.finish(&mut c);
                assert_eq!(c, whole, "split at {at}");
            }
        }
    }
}

fn regression(name: &str) -> Vec<u8> {
    std::fs::read(
        util::root()
            .join("fixtures")
            .join("fuzz-regressions")
            .join(name),
    )
    .expect("the regression input is there")
}

/// The line and column (1-based, in bytes) of `offset`; on the first line
/// columns count from after a byte order mark, as editors show them.
fn line_column(bytes: &[u8], offset: usize) -> (u64, u64) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count() as u64;
    let line_start = match before.iter().rposition(|&b| b == b'\n') {
        Some(nl) => nl + 1,
        None if bytes.starts_with(b"\xEF\xBB\xBF") => 3,
        None => 0,
    };
    (line, (offset + 1).saturating_sub(line_start) as u64)
}

/// A problem's position lies in the file, and its line and column are
/// those of its offset.
fn check_position(bytes: &[u8], p: &Diagnostic) -> Result<(), TestCaseError> {
    let offset = p.position.offset as usize;
    prop_assert!(
        offset <= bytes.len(),
        "past the end of {} bytes: {:?}",
        bytes.len(),
        p
    );
    prop_assert_eq!(
        (p.position.line, p.position.column),
        line_column(bytes, offset),
        "line and column disagree with the offset: {:?}",
        p
    );
    Ok(())
}

/// A file of generated entries, whole or torn anywhere, with up to three
/// bytes inserted anywhere (a byte-order mark's among them).
fn torn_or_damaged() -> impl Strategy<Value = Vec<u8>> {
    (
        session(),
        any::<Index>(),
        any::<bool>(),
        prop::collection::vec(
            (
                any::<Index>(),
                prop::sample::select(&b"{}[]\",\\\n\r \x00\xEF\xBB\xBFx\xff"[..]),
            ),
            0..4,
        ),
    )
        .prop_map(|((entries, layout), tear, torn, damage)| {
            let mut bytes = build(&entries, &layout).bytes;
            if torn {
                bytes.truncate(tear.index(bytes.len() + 1));
            }
            for (at, b) in damage {
                let at = at.index(bytes.len() + 1);
                bytes.insert(at, b);
            }
            bytes
        })
}

/// A file of generated entries with a few bytes inserted anywhere.
fn damaged() -> impl Strategy<Value = Vec<u8>> {
    (
        session(),
        prop::collection::vec(
            (
                any::<Index>(),
                prop::sample::select(&b"{}[]\",:\\\n\r \x00\x01\xffx"[..]),
            ),
            1..4,
        ),
    )
        .prop_map(|((entries, layout), damage)| {
            let mut bytes = build(&entries, &layout).bytes;
            for (at, b) in damage {
                let at = at.index(bytes.len() + 1);
                bytes.insert(at, b);
            }
            bytes
        })
}

proptest! {
    #![proptest_config(config(128))]

    /// Every problem in a damaged file, found by the scanner (garbage,
    /// cut-off entries, control characters, an incomplete tail) or while
    /// parsing an entry, is placed where it is: the offset inside the
    /// input, the line and column those of the offset.
    #[test]
    fn every_problem_is_placed_where_it_is_in_the_file(bytes in damaged()) {
        let c = read(&bytes, ParseOptions::default());
        for p in &c.problems {
            check_position(&bytes, p)?;
        }
    }
}

/// Runs a regression check written with the property-test assertions.
fn check(result: Result<(), TestCaseError>) {
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn a_json_error_after_a_control_character_or_invalid_utf8_is_placed_where_it_is_in_the_file() {
    // (file, offset of the byte the JSON error is about)
    for (name, at) in [
        ("reader-control-char-position", 4),
        ("reader-invalid-utf8-position", 8),
    ] {
        let bytes = regression(name);
        let c = read(&bytes, ParseOptions::default());
        let json = c
            .problems
            .iter()
            .find(|p| p.kind == ProblemKind::InvalidJson)
            .unwrap_or_else(|| panic!("{name}: no JSON error in {:?}", c.problems));
        for p in &c.problems {
            check(check_position(&bytes, p));
        }
        assert_eq!(json.position.offset, at, "{name}: {json:?}");
    }
}

#[test]
fn a_json_error_on_a_later_line_of_an_entry_has_a_real_column_and_offset() {
    let bytes = regression("reader-error-column-zero");
    let c = read(&bytes, ParseOptions::default());
    assert_eq!(
        c.problems.iter().map(|p| p.kind).collect::<Vec<_>>(),
        vec![ProblemKind::InvalidJson]
    );
    for p in &c.problems {
        check(check_position(&bytes, p));
        assert!(
            p.position.offset > 0,
            "the error is not at the entry's start: {p:?}"
        );
    }
}
