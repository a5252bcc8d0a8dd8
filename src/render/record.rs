//! Structured records and the machine-readable formats that write them:
//! JSON (one array), JSON lines and CSV. Any view that exports rows (entries,
//! sessions, later flow hops and statistics) describes a row as a
//! [`Record`] and gets all three formats.

use std::borrow::Cow;
use std::cell::RefCell;
use std::io::{self, Write};
use std::rc::Rc;

/// One value of a record.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Null,
    Str(Cow<'a, str>),
    Int(i64),
    /// A number with a fraction; not finite is written as null.
    Float(f64),
    /// JSON text kept as written, compacted to one line.
    Json(Cow<'a, str>),
    /// A list of strings (a JSON array; `;`-joined in CSV).
    List(Vec<Cow<'a, str>>),
}

impl<'a> Value<'a> {
    pub fn opt_str(s: Option<&'a str>) -> Value<'a> {
        s.map_or(Value::Null, |s| Value::Str(Cow::Borrowed(s)))
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

fn write_object(buf: &mut Vec<u8>, record: &dyn Record) -> io::Result<()> {
    debug_assert_eq!(
        record.columns().len(),
        record.values().len(),
        "a record's columns and values differ"
    );
    buf.push(b'{');
    for (i, (name, value)) in record.columns().iter().zip(record.values()).enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        serde_json::to_writer(&mut *buf, name)?;
        buf.push(b':');
        match value {
            Value::Null => buf.extend_from_slice(b"null"),
            Value::Str(s) => serde_json::to_writer(&mut *buf, s.as_ref())?,
            Value::Int(n) => buf.extend_from_slice(n.to_string().as_bytes()),
            Value::Float(f) if f.is_finite() => buf.extend_from_slice(format!("{f}").as_bytes()),
            Value::Float(_) => buf.extend_from_slice(b"null"),
            Value::Json(raw) => buf.extend_from_slice(raw.as_bytes()),
            Value::List(items) => serde_json::to_writer(&mut *buf, &items)?,
        }
    }
    buf.push(b'}');
    Ok(())
}

/// The csv crate wants to own its writer; this one hands the bytes back.
#[derive(Clone, Default)]
struct Shared(Rc<RefCell<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Writes records as RFC 4180 CSV with a header row.
pub struct CsvWriter {
    csv: csv::Writer<Shared>,
    pending: Shared,
    /// Neutralize cells a spreadsheet would run as a formula.
    formula_guard: bool,
    header_done: bool,
}

impl CsvWriter {
    pub fn new(formula_guard: bool) -> Self {
        let pending = Shared::default();
        CsvWriter {
            csv: csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .from_writer(pending.clone()),
            pending,
            formula_guard,
            header_done: false,
        }
    }

    /// Writes the header; a CSV with no records is still a header row.
    pub fn header(&mut self, columns: &[&str], out: &mut dyn Write) -> io::Result<()> {
        if self.header_done {
            return Ok(());
        }
        self.header_done = true;
        self.csv.write_record(columns).map_err(io::Error::other)?;
        self.drain(out)
    }

    pub fn record(&mut self, record: &dyn Record, out: &mut dyn Write) -> io::Result<()> {
        debug_assert_eq!(
            record.columns().len(),
            record.values().len(),
            "a record's columns and values differ"
        );
        self.header(record.columns(), out)?;
        let cells: Vec<Cow<'_, str>> = record
            .values()
            .into_iter()
            .map(|v| match v {
                Value::Null => Cow::Borrowed(""),
                Value::Str(s) if self.formula_guard => guard_formula(s),
                Value::Str(s) => s,
                Value::Int(n) => Cow::Owned(n.to_string()),
                Value::Float(f) if f.is_finite() => Cow::Owned(format!("{f}")),
                Value::Float(_) => Cow::Borrowed(""),
                Value::Json(raw) => raw,
                Value::List(items) => {
                    let joined = Cow::Owned(items.join(";"));
                    if self.formula_guard {
                        Cow::Owned(guard_formula(joined).into_owned())
                    } else {
                        joined
                    }
                }
            })
            .collect();
        self.csv
            .write_record(cells.iter().map(|c| c.as_bytes()))
            .map_err(io::Error::other)?;
        self.drain(out)
    }

    fn drain(&mut self, out: &mut dyn Write) -> io::Result<()> {
        self.csv.flush()?;
        let mut buf = self.pending.0.borrow_mut();
        out.write_all(&buf)?;
        buf.clear();
        Ok(())
    }
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
