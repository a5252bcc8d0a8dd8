//! Arbitrary bytes as a trace file: read with every option, whole and
//! pushed in pieces; never a panic, and the cheap invariants hold.
#![no_main]

use agentcli::input::{read_all, Collect, ParseOptions, ProblemKind, ReadReport, TraceReader};
use agentcli::render::entry_record::EntryRecord;
use agentcli::render::record::JsonWriter;
use libfuzzer_sys::fuzz_target;

const OPTIONS: [ParseOptions; 4] = [
    ParseOptions {
        keep_state: true,
        keep_raw: false,
    },
    ParseOptions {
        keep_state: false,
        keep_raw: false,
    },
    ParseOptions {
        keep_state: true,
        keep_raw: true,
    },
    ParseOptions {
        keep_state: false,
        keep_raw: true,
    },
];

fuzz_target!(|data: &[u8]| {
    for options in OPTIONS {
        let mut whole = Collect::default();
        let report = read_all(data, options, &mut whole).expect("reading memory cannot fail");
        check(data, options, &whole, &report);

        // Split at a point the input chooses (its first two bytes), and
        // byte by byte for small inputs: same entries, same problems.
        let at = match data {
            [a, b, ..] => usize::from(u16::from_le_bytes([*a, *b])) % (data.len() + 1),
            _ => data.len() / 2,
        };
        let split = pushed(data, options, &[at]);
        same(&whole, &split, "split in two");
        if data.len() <= 256 {
            let cuts: Vec<usize> = (1..data.len()).collect();
            let bytewise = pushed(data, options, &cuts);
            same(&whole, &bytewise, "byte by byte");
        }
    }
});

/// Reads `data` pushed in pieces cut at `cuts` (increasing).
fn pushed(data: &[u8], options: ParseOptions, cuts: &[usize]) -> Collect {
    let mut reader = TraceReader::new(options);
    let mut c = Collect::default();
    let mut from = 0;
    for &at in cuts.iter().chain(std::iter::once(&data.len())) {
        reader
            .push(&data[from..at], &mut c)
            .expect("collecting cannot fail");
        from = at;
    }
    reader.finish(&mut c);
    c
}

fn same(a: &Collect, b: &Collect, how: &str) {
    assert_eq!(a.entries.len(), b.entries.len(), "{how}: entry count");
    for (x, y) in a.entries.iter().zip(&b.entries) {
        assert_eq!(format!("{x:?}"), format!("{y:?}"), "{how}: entry");
    }
    assert_eq!(a.problems, b.problems, "{how}: problems");
}

fn check(data: &[u8], options: ParseOptions, c: &Collect, report: &ReadReport) {
    let len = data.len() as u64;
    assert_eq!(report.entries, c.entries.len() as u64);
    assert_eq!(report.bytes, len);
    let damage = c.problems.iter().filter(|p| p.kind.is_damage()).count() as u64;
    assert_eq!(report.damage, damage);
    let _ = report.completeness();

    for (i, e) in c.entries.iter().enumerate() {
        assert_eq!(e.index, i as u64 + 1, "indexes count entries from 1");
        let at = e.position.offset as usize;
        assert_eq!(data.get(at), Some(&b'{'), "an entry starts at a brace");
        assert!(e.position.line >= 1 && e.position.column >= 1);
        assert_eq!(e.raw.is_some(), options.keep_raw);
        if !options.keep_state {
            assert!(e.state.is_none());
            assert!(e
                .result
                .as_ref()
                .is_none_or(|r| r.raw.is_none() && r.output_state.is_none()));
        }
        if let Some(state) = &e.state {
            same_json(&state.compact(), state.get());
            same_json(&state.pretty(0), state.get());
        }
        let _ = (e.agent(), e.route(), e.error(), e.duration_ms());
        let _ = e.timestamp.instant_nanos();
    }
    for p in &c.problems {
        // Positions point into the input, scanner's and parser's alike
        // (fixtures/fuzz-regressions/reader-* once broke this).
        assert!(p.position.offset <= len, "problem past the end: {p:?}");
        assert!(p.position.line >= 1 && p.position.column >= 1, "{p:?}");
    }

    // The JSON lines export of whatever was read is JSON, line by line,
    // even for strict readers.
    let mut writer = JsonWriter::new(false);
    let mut out = Vec::new();
    writer.begin(&mut out).unwrap();
    for e in &c.entries {
        writer.record(&EntryRecord(e), &mut out).unwrap();
    }
    writer.finish(&mut out).unwrap();
    let text = std::str::from_utf8(&out).expect("the export is UTF-8");
    assert_eq!(text.lines().count(), c.entries.len());
    for line in text.lines() {
        if let Err(e) = serde_json::from_str::<serde_json::Value>(line) {
            assert!(is_depth(&e), "export line is not JSON ({e}): {line}");
        }
    }
}

/// serde_json stops at 128 levels; deeper is the checker's limit, not a
/// fault of the text.
fn is_depth(e: &serde_json::Error) -> bool {
    e.to_string().contains("recursion limit")
}

/// Two renderings of kept JSON mean the same value.
fn same_json(a: &str, b: &str) {
    let (x, y) = (
        serde_json::from_str::<serde_json::Value>(a),
        serde_json::from_str::<serde_json::Value>(b),
    );
    match (x, y) {
        (Ok(x), Ok(y)) => assert_eq!(x, y, "{a} vs {b}"),
        (Err(e), _) | (_, Err(e)) => assert!(is_depth(&e), "not JSON ({e}): {a} / {b}"),
    }
}
