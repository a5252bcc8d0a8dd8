//! Structured records and the machine-readable formats that write them:
//! JSON (one array), JSON lines and CSV. Any view that exports rows (entries,
//! sessions, later flow hops and statistics) describes a row as a
//! [`Record`] and gets all three formats.

use std::borrow::Cow;
use std::io::{self, Write};

use crate::model::{compact_into, GoTime, Timestamp, Written};

/// One value of a record.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Null,
    Str(Cow<'a, str>),
    /// A time as Go writes it, made again rather than kept (a string).
    Time(GoTime),
    Int(i64),
    /// A number with a fraction; not finite is written as null.
    Float(f64),
    /// JSON text kept as written (valid JSON); the writers compact it to
    /// one line as they write it.
    Json(Cow<'a, str>),
    /// A list of strings (a JSON array; `;`-joined in CSV).
    List(Vec<Cow<'a, str>>),
}

impl<'a> Value<'a> {
    pub fn opt_str(s: Option<&'a str>) -> Value<'a> {
        s.map_or(Value::Null, |s| Value::Str(Cow::Borrowed(s)))
    }

    /// A timestamp as the file wrote it: made again when Go's way (no
    /// allocation), else the text kept; null when there was none.
    pub fn timestamp(time: &Timestamp, written: Written<&'a str>) -> Value<'a> {
        match written {
            Written::Absent => Value::Null,
            Written::AsParsed => time.go_time().map_or(Value::Null, Value::Time),
            Written::Text(text) => Value::Str(Cow::Borrowed(text)),
        }
    }
}

/// A row with a fixed set of named columns.
pub trait Record {
    /// Column names, in order; every record of a type has all of them.
    fn columns(&self) -> &'static [&'static str];
    /// The values, one per column.
    fn values(&self) -> Vec<Value<'_>>;
}

/// Writes records as one JSON array (`array`) or as JSON lines.
#[derive(Debug)]
pub struct JsonWriter {
    array: bool,
    count: u64,
    line: Vec<u8>,
}

impl JsonWriter {
    pub fn new(array: bool) -> Self {
        JsonWriter {
            array,
            count: 0,
            line: Vec::with_capacity(4096),
        }
    }

    pub fn begin(&mut self, out: &mut dyn Write) -> io::Result<()> {
        if self.array {
            out.write_all(b"[")?;
        }
        Ok(())
    }

    pub fn record(&mut self, record: &dyn Record, out: &mut dyn Write) -> io::Result<()> {
        self.line.clear();
        if self.array {
            self.line
                .extend_from_slice(if self.count == 0 { b"\n" } else { b",\n" });
        }
        write_object(&mut self.line, record)?;
        if !self.array {
            self.line.push(b'\n');
        }
        self.count += 1;
        out.write_all(&self.line)
    }

    /// Writes a record whose first value is `first` and whose other values
    /// `tail` holds, as [`record_tail_json`] wrote them (ahead of time, on
    /// another thread): the same bytes as [`JsonWriter::record`].
    pub fn record_with_tail(
        &mut self,
        name: &str,
        first: i64,
        tail: &[u8],
        out: &mut dyn Write,
    ) -> io::Result<()> {
        self.line.clear();
        if self.array {
            self.line
                .extend_from_slice(if self.count == 0 { b"\n" } else { b",\n" });
        }
        self.line.push(b'{');
        serde_json::to_writer(&mut self.line, name)?;
        self.line.push(b':');
        self.line
            .extend_from_slice(itoa::Buffer::new().format(first).as_bytes());
        self.line.push(b',');
        self.count += 1;
        // The tail as it stands, not copied once more into the line.
        out.write_all(&self.line)?;
        out.write_all(tail)?;
        if !self.array {
            out.write_all(b"\n")?;
        }
        Ok(())
    }

    pub fn finish(&mut self, out: &mut dyn Write) -> io::Result<()> {
        if self.array {
            out.write_all(if self.count == 0 { b"]\n" } else { b"\n]\n" })?;
        }
        Ok(())
    }
}

/// A record as one JSON object.
pub fn record_json(record: &dyn Record) -> String {
    let mut buf = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = write_object(&mut buf, record);
    String::from_utf8_lossy(&buf).into_owned()
}

/// A record as one JSON object without its opening brace and first value
/// (`"b":2,"c":3}`), for [`JsonWriter::record_with_tail`].
pub fn record_tail_json(record: &dyn Record, buf: &mut Vec<u8>) {
    // Writing to a Vec cannot fail.
    let _ = write_fields(buf, record, 1);
}

fn write_object(buf: &mut Vec<u8>, record: &dyn Record) -> io::Result<()> {
    buf.push(b'{');
    write_fields(buf, record, 0)
}

/// The fields of `record` from the `skip`th on, and the closing brace.
fn write_fields(buf: &mut Vec<u8>, record: &dyn Record, skip: usize) -> io::Result<()> {
    debug_assert_eq!(
        record.columns().len(),
        record.values().len(),
        "a record's columns and values differ"
    );
    let values = record.values().into_iter().skip(skip);
    for (i, (name, value)) in record.columns()[skip..].iter().zip(values).enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        serde_json::to_writer(&mut *buf, name)?;
        buf.push(b':');
        match value {
            Value::Null => buf.extend_from_slice(b"null"),
            Value::Str(s) => serde_json::to_writer(&mut *buf, s.as_ref())?,
            Value::Time(t) => serde_json::to_writer(&mut *buf, t.as_str())?,
            Value::Int(n) => buf.extend_from_slice(itoa::Buffer::new().format(n).as_bytes()),
            Value::Float(f) if f.is_finite() => buf.extend_from_slice(format!("{f}").as_bytes()),
            Value::Float(_) => buf.extend_from_slice(b"null"),
            Value::Json(raw) => {
                compact_into(&raw, buf, b"\"");
            }
            Value::List(items) => serde_json::to_writer(&mut *buf, &items)?,
        }
    }
    buf.push(b'}');
    Ok(())
}

/// Writes records as RFC 4180 CSV with a header row: CRLF after each row,
/// and a cell in double quotes (its quotes doubled) when it holds a comma,
/// a quote or a line break, as the csv crate writes them (a test compares
/// the two). JSON cells are compacted and quoted in one go.
pub struct CsvWriter {
    row: Vec<u8>,
    /// Neutralize cells a spreadsheet would run as a formula.
    formula_guard: bool,
    header_done: bool,
}

impl CsvWriter {
    pub fn new(formula_guard: bool) -> Self {
        CsvWriter {
            row: Vec::with_capacity(4096),
            formula_guard,
            header_done: false,
        }
    }

    /// A writer with the same settings that has written nothing (for the
    /// rows another thread writes ahead).
    pub fn like(&self) -> CsvWriter {
        CsvWriter::new(self.formula_guard)
    }

    /// Writes the header; a CSV with no records is still a header row.
    pub fn header(&mut self, columns: &[&str], out: &mut dyn Write) -> io::Result<()> {
        if self.header_done {
            return Ok(());
        }
        self.header_done = true;
        self.row.clear();
        for (i, name) in columns.iter().enumerate() {
            if i > 0 {
                self.row.push(b',');
            }
            write_cell(&mut self.row, name);
        }
        if let [only] = columns {
            if only.is_empty() {
                // One empty cell alone would be an empty line.
                self.row.extend_from_slice(b"\"\"");
            }
        }
        self.row.extend_from_slice(b"\r\n");
        out.write_all(&self.row)
    }

    pub fn record(&mut self, record: &dyn Record, out: &mut dyn Write) -> io::Result<()> {
        self.header(record.columns(), out)?;
        let mut row = std::mem::take(&mut self.row);
        row.clear();
        self.cells(record, 0, &mut row);
        let written = out.write_all(&row);
        self.row = row;
        written
    }

    /// A record's row without its first value (`b,c\r\n`), for
    /// [`CsvWriter::record_with_tail`]; a writer of its own makes them (on
    /// another thread), so no header is written here.
    pub fn record_tail(&mut self, record: &dyn Record, buf: &mut Vec<u8>) {
        self.cells(record, 1, buf);
    }

    /// Writes a record whose first value is `first` and whose other values
    /// `tail` holds, as [`CsvWriter::record_tail`] wrote them: the same
    /// bytes as [`CsvWriter::record`]. A number is never quoted.
    pub fn record_with_tail(
        &mut self,
        columns: &[&str],
        first: i64,
        tail: &[u8],
        out: &mut dyn Write,
    ) -> io::Result<()> {
        self.header(columns, out)?;
        out.write_all(itoa::Buffer::new().format(first).as_bytes())?;
        out.write_all(b",")?;
        out.write_all(tail)
    }

    /// Writes the values of `record` from the `skip`th on as one row.
    fn cells(&mut self, record: &dyn Record, skip: usize, row: &mut Vec<u8>) {
        debug_assert_eq!(
            record.columns().len(),
            record.values().len(),
            "a record's columns and values differ"
        );
        let values = record.values();
        let shown = values.len().saturating_sub(skip);
        let start = row.len();
        for (i, value) in values.into_iter().skip(skip).enumerate() {
            if i > 0 {
                row.push(b',');
            }
            match value {
                Value::Null => {}
                Value::Str(s) if self.formula_guard => write_cell(row, &guard_formula(s)),
                Value::Str(s) => write_cell(row, &s),
                // A time starts with its year's digits: never a formula.
                Value::Time(t) => write_cell(row, t.as_str()),
                Value::Int(n) => row.extend_from_slice(itoa::Buffer::new().format(n).as_bytes()),
                Value::Float(f) if f.is_finite() => write_cell(row, &format!("{f}")),
                Value::Float(_) => {}
                Value::Json(raw) => write_json_cell(row, &raw),
                Value::List(items) => {
                    let joined = Cow::Owned(items.join(";"));
                    if self.formula_guard {
                        write_cell(row, &guard_formula(joined));
                    } else {
                        write_cell(row, &joined);
                    }
                }
            }
        }
        if shown == 1 && row.len() == start {
            // One empty cell alone would be an empty line.
            row.extend_from_slice(b"\"\"");
        }
        row.extend_from_slice(b"\r\n");
    }
}

/// Whether a cell must be quoted: it holds a comma, a quote or a line
/// break.
fn needs_quotes(bytes: &[u8]) -> bool {
    crate::model::scan::has_any(bytes, b",\"\n\r")
}

/// Appends `bytes` with every quote doubled.
fn push_doubled(row: &mut Vec<u8>, bytes: &[u8]) {
    let mut rest = bytes;
    while let Some(at) = memchr::memchr(b'"', rest) {
        row.extend_from_slice(&rest[..=at]);
        row.push(b'"');
        rest = &rest[at + 1..];
    }
    row.extend_from_slice(rest);
}

/// A JSON value as one CSV cell: compacted and quoted in one pass (each
/// `"` doubled as it is copied), the opening quote taken back if nothing
/// needed it (a number, say). Compact JSON holds no line break, so only a
/// quote or a comma needs quotes.
fn write_json_cell(row: &mut Vec<u8>, json: &str) {
    let open = row.len();
    row.push(b'"');
    if compact_into(json, row, b"\"\"") {
        row.push(b'"');
    } else {
        row.remove(open);
    }
}

/// One CSV cell: as it is, or in quotes with its quotes doubled when it
/// holds a comma, a quote or a line break.
fn write_cell(row: &mut Vec<u8>, cell: &str) {
    let bytes = cell.as_bytes();
    if !needs_quotes(bytes) {
        row.extend_from_slice(bytes);
        return;
    }
    row.reserve(bytes.len() + 2);
    row.push(b'"');
    push_doubled(row, bytes);
    row.push(b'"');
}

/// A cell that would start a formula in a spreadsheet (`=`, `+`, `-`, `@`,
/// tab, carriage return) gets a leading `'`, which spreadsheets show as
/// text and do not run.
pub fn guard_formula(cell: Cow<'_, str>) -> Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => Cow::Owned(format!("'{cell}")),
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Row(&'static str, Option<&'static str>, i64);

    impl Record for Row {
        fn columns(&self) -> &'static [&'static str] {
            &["name", "note", "n"]
        }
        fn values(&self) -> Vec<Value<'_>> {
            vec![
                Value::Str(self.0.into()),
                Value::opt_str(self.1),
                Value::Int(self.2),
            ]
        }
    }

    fn csv(rows: &[Row], guard: bool) -> String {
        let mut out = Vec::new();
        let mut w = CsvWriter::new(guard);
        for r in rows {
            w.record(r, &mut out).unwrap();
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn csv_neutralizes_formulas_unless_asked_not_to() {
        let rows = [
            Row("=HYPERLINK(\"x\")", Some("@a"), -3),
            Row("plain, \"quoted\"", None, 1),
        ];
        assert_eq!(
            csv(&rows, true),
            "name,note,n\r\n\"'=HYPERLINK(\"\"x\"\")\",'@a,-3\r\n\"plain, \"\"quoted\"\"\",,1\r\n"
        );
        assert!(csv(&rows, false).contains("\"=HYPERLINK"));
    }

    /// Cells of every kind the csv crate quotes, and some it does not.
    fn cell() -> impl proptest::strategy::Strategy<Value = String> {
        proptest::string::string_regex("[a,\"\r\n =+-@\t\u{e9}\u{1b}]{0,8}").expect("a regex")
    }

    proptest::proptest! {
        #[test]
        fn csv_is_written_as_the_csv_crate_writes_it(
            rows in proptest::collection::vec(proptest::collection::vec(cell(), 1..5), 1..5)
        ) {
            let mut ours = Vec::new();
            for row in &rows {
                let mut w = CsvWriter::new(false);
                // A header row is written like any other.
                let columns: Vec<&str> = row.iter().map(String::as_str).collect();
                w.header(&columns, &mut ours).unwrap();
            }
            let mut theirs = csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .flexible(true)
                .from_writer(Vec::new());
            for row in &rows {
                theirs.write_record(row).unwrap();
            }
            let theirs = theirs.into_inner().unwrap();
            proptest::prop_assert_eq!(String::from_utf8(ours).unwrap(), String::from_utf8(theirs).unwrap());
        }
    }

    #[test]
    fn csv_json_cells_are_compacted_then_quoted() {
        struct Json;
        impl Record for Json {
            fn columns(&self) -> &'static [&'static str] {
                &["n", "json"]
            }
            fn values(&self) -> Vec<Value<'_>> {
                vec![
                    Value::Int(1),
                    Value::Json("{ \"a\": [1, 2],\n \"b\": \"x, \\\"y\\\"\" }".into()),
                ]
            }
        }
        let mut out = Vec::new();
        CsvWriter::new(false).record(&Json, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "n,json\r\n1,\"{\"\"a\"\":[1,2],\"\"b\"\":\"\"x, \\\"\"y\\\"\"\"\"}\"\r\n"
        );
        let mut tail = Vec::new();
        CsvWriter::new(false).record_tail(&Json, &mut tail);
        let mut joined = Vec::new();
        let mut w = CsvWriter::new(false);
        w.record_with_tail(Json.columns(), 1, &tail, &mut joined)
            .unwrap();
        let mut whole = Vec::new();
        CsvWriter::new(false).record(&Json, &mut whole).unwrap();
        assert_eq!(joined, whole);
    }

    #[test]
    fn json_array_and_lines() {
        let rows = [Row("a\u{1b}", None, 1), Row("b", Some("n"), 2)];
        let mut out = Vec::new();
        let mut w = JsonWriter::new(true);
        w.begin(&mut out).unwrap();
        for r in &rows {
            w.record(r, &mut out).unwrap();
        }
        w.finish(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "[\n{\"name\":\"a\\u001b\",\"note\":null,\"n\":1},\n{\"name\":\"b\",\"note\":\"n\",\"n\":2}\n]\n"
        );
        let mut out = Vec::new();
        let mut w = JsonWriter::new(true);
        w.begin(&mut out).unwrap();
        w.finish(&mut out).unwrap();
        assert_eq!(out, b"[]\n");
    }
}
