//! Turns the bytes of one entry into an [`Entry`], field by field.
//!
//! Every field is parsed on its own from a borrowed raw value, so a field of
//! the wrong type costs that field (it is kept among the unknown keys), not
//! the entry; invalid UTF-8 is read as U+FFFD, as Go itself writes it; state
//! payloads are kept as raw text and never decoded here (the checking walk
//! splits their outer objects, [`super::fast::Outline`], and no more), so
//! their depth and size cost little.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::diagnostic::{Diagnostic, ProblemKind};
use super::fast::{Outline, Pair};
use super::read::Payloads;
use super::redact::Redactor;
use crate::model::{AgentResult, Entry, Hook, Position, RawJson, Text, Timestamp, Written};

/// What the parser keeps of each entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseOptions {
    /// Keep `state`, `agent_result.output_state` and the raw result; views
    /// that do not show payloads turn this off to save memory and time.
    pub keep_state: bool,
    /// Keep each entry's text as written (for `--debug`).
    pub keep_raw: bool,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            keep_state: true,
            keep_raw: false,
        }
    }
}

impl ParseOptions {
    /// Nothing but the fields views that show no payloads need.
    pub fn lean() -> Self {
        ParseOptions {
            keep_state: false,
            keep_raw: false,
        }
    }
}

/// What parsing keeps of payloads: their JSON text, masked by `redact`;
/// or, when it lends them, nothing (their text is handed out in
/// [`Payloads`] instead).
#[derive(Clone, Copy)]
pub(super) struct Keeper<'a> {
    /// Each entry's own text is kept too (`--debug`).
    keep_raw: bool,
    redact: Option<&'a Redactor>,
    payloads: Held,
}

/// What becomes of an entry's payloads (`state`, `output_state`, the raw
/// `agent_result`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Held {
    /// Copied into the entry, masked.
    Keep,
    /// Handed out in [`Payloads`], as written.
    Lend,
    Drop,
}

impl<'a> Keeper<'a> {
    /// Payloads are lent when `lend`, else kept as `options` say.
    pub(super) fn new(options: ParseOptions, redact: Option<&'a Redactor>, lend: bool) -> Self {
        let payloads = match (lend, options.keep_state) {
            (true, _) => Held::Lend,
            (false, true) => Held::Keep,
            (false, false) => Held::Drop,
        };
        Keeper {
            keep_raw: options.keep_raw,
            redact,
            payloads,
        }
    }

    /// The same keeper, keeping what it would lend (for text that is
    /// mended before it is read, so cannot be lent).
    fn unlent(&self) -> Self {
        Keeper {
            payloads: match self.payloads {
                Held::Lend => Held::Keep,
                other => other,
            },
            ..*self
        }
    }

    /// Puts a payload's text where it goes: masked into `kept`, or into
    /// `lent`, or nowhere.
    fn hold<'t>(&self, raw: &'t str, kept: &mut Option<RawJson>, lent: &mut Option<&'t str>) {
        match self.payloads {
            Held::Keep => *kept = Some(self.keep(raw)),
            Held::Lend => *lent = Some(raw),
            Held::Drop => {}
        }
    }

    /// The value of an unknown top-level `key`: masked whole when the key
    /// itself matches.
    fn keep_field(&self, key: &str, json: &str) -> RawJson {
        match self.redact {
            Some(r) if r.matches(key) => RawJson(super::redact::MASK.to_string()),
            _ => self.keep(json),
        }
    }

    fn keep(&self, json: &str) -> RawJson {
        match self.redact {
            Some(r) => RawJson(r.redact(json)),
            None => RawJson(json.to_owned()),
        }
    }
}

/// The keys of a JSON object with their raw values, in file order: as
/// the fast path split them (keys as written), or as serde_json read
/// them (keys decoded).
enum Fields<'o, 'a> {
    /// Split by the fast path (by the walk that checked them, or since).
    Split(Cow<'o, [Pair<'a>]>),
    Decoded(Vec<(Cow<'a, str>, &'a str)>),
}

impl<'o, 'a> Fields<'o, 'a> {
    /// The fields of `text`, an object already checked as a whole: as the
    /// checking walk split them when it did (`outline`), else split by the
    /// fast path when it can, else by serde_json (which also says what is
    /// wrong).
    fn of_checked(text: &'a str, outline: &'o Outline<'a>) -> Result<Self, serde_json::Error> {
        match outline.pairs_or_split(text) {
            Some(pairs) => Ok(Fields::Split(pairs)),
            None => serde_json::from_str(text),
        }
    }
}

impl<'o, 'a> IntoIterator for Fields<'o, 'a> {
    type Item = (Cow<'a, str>, &'a str);
    type IntoIter = FieldsIter<'o, 'a>;
    fn into_iter(self) -> FieldsIter<'o, 'a> {
        match self {
            Fields::Split(Cow::Borrowed(pairs)) => FieldsIter::Split(pairs.iter()),
            Fields::Split(Cow::Owned(pairs)) => FieldsIter::Plain(pairs.into_iter()),
            Fields::Decoded(pairs) => FieldsIter::Decoded(pairs.into_iter()),
        }
    }
}

/// The pairs of [`Fields`], keys borrowed where they can be.
enum FieldsIter<'o, 'a> {
    Split(std::slice::Iter<'o, Pair<'a>>),
    Plain(std::vec::IntoIter<Pair<'a>>),
    Decoded(std::vec::IntoIter<(Cow<'a, str>, &'a str)>),
}

impl<'a> Iterator for FieldsIter<'_, 'a> {
    type Item = (Cow<'a, str>, &'a str);
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            FieldsIter::Split(pairs) => pairs.next().map(|&(k, v)| (Cow::Borrowed(k), v)),
            FieldsIter::Plain(pairs) => pairs.next().map(|(k, v)| (Cow::Borrowed(k), v)),
            FieldsIter::Decoded(pairs) => pairs.next(),
        }
    }
}

impl<'de: 'a, 'a: 'o, 'o> Deserialize<'de> for Fields<'o, 'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'o, 'a>(std::marker::PhantomData<(&'o (), &'a ())>);
        impl<'de: 'a, 'a: 'o, 'o> Visitor<'de> for V<'o, 'a> {
            type Value = Fields<'o, 'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
                let mut fields = Vec::with_capacity(12);
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    let value: &'de RawValue = map.next_value()?;
                    fields.push((key, value.get()));
                }
                Ok(Fields::Decoded(fields))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// Parses one entry. Returns the entry, or `None` when nothing of it could
/// be read; problems go to `problems` either way.
pub fn parse_entry(
    bytes: &[u8],
    start: Position,
    shifts: &[(usize, usize)],
    options: ParseOptions,
    redact: Option<&Redactor>,
    problems: &mut dyn FnMut(Diagnostic),
) -> Option<Entry> {
    let keeper = Keeper::new(options, redact, false);
    let mut entry = Entry::default();
    parse_entry_lent(
        &mut entry,
        bytes,
        start,
        shifts,
        &keeper,
        &mut Outline::with_room(),
        problems,
    )
    .map(|_| entry)
}

/// [`parse_entry`] into `entry` (a default one), giving the payloads it
/// lends when the keeper says so (see [`Keeper`]): the parallel reader's
/// workers hand them to the view's preparer while the text is still
/// there, instead of copying them into the entry. The entry's objects are
/// split into `outline` when the fast path reads it (else it is left
/// empty). `None` when nothing of it could be read.
pub(super) fn parse_entry_lent<'t>(
    entry: &mut Entry,
    bytes: &'t [u8],
    start: Position,
    shifts: &[(usize, usize)],
    keeper: &Keeper<'_>,
    outline: &mut Outline<'t>,
    problems: &mut dyn FnMut(Diagnostic),
) -> Option<Payloads<'t>> {
    let mut utf8_shifts = Vec::new();
    let text: Cow<'_, str> = match crate::model::utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(e) => {
            let at = Placer::new(start, bytes, &[], shifts).at(e.valid_up_to());
            problems(Diagnostic::new(
                ProblemKind::InvalidUtf8,
                at,
                "bytes that are not UTF-8; read as U+FFFD",
            ));
            Cow::Owned(lossy(bytes, &mut utf8_shifts))
        }
    };
    // The fast path takes most entries as they are; it gives up on any
    // `\u` surrogate, so only the slow path needs the check below.
    if let Cow::Borrowed(text) = text {
        if super::fast::object(text, outline).is_some() {
            return entry_from_outline(entry, text, outline, start, shifts, keeper, problems);
        }
    }
    outline.clear();
    // Off the fast path (rare) the text may be mended below, so what would
    // be lent is kept instead.
    let keeper = keeper.unlent();
    // A \u escape of half a UTF-16 pair is valid JSON text but no
    // character; strict readers (serde_json, jq) reject it. Read it as
    // U+FFFD, as Go does for invalid UTF-8.
    let text: Cow<'_, str> = match first_lone_surrogate(&text) {
        None => text,
        Some(offset) => {
            let at = Placer::new(start, text.as_bytes(), &utf8_shifts, shifts).at(offset);
            problems(Diagnostic::new(
                ProblemKind::InvalidUtf8,
                at,
                "\\u escape of a lone UTF-16 surrogate, which is no character; read as U+FFFD",
            ));
            Cow::Owned(replace_lone_surrogates(&text))
        }
    };
    let text = text.as_ref();
    let placer = Placer::new(start, text.as_bytes(), &utf8_shifts, shifts);
    let fields: Fields<'_, '_> = match serde_json::from_str(text) {
        Ok(f) => f,
        Err(e) => {
            let at = placer.at(json_error_offset(text, &e));
            problems(Diagnostic::new(
                ProblemKind::InvalidJson,
                at,
                format!(
                    "entry is not valid JSON ({}); skipped",
                    json_error_reason(&e)
                ),
            ));
            return None;
        }
    };
    // Nothing is lent from text mended here.
    entry_of(
        entry,
        text,
        fields,
        &Outline::default(),
        &placer,
        &keeper,
        problems,
    )
    .map(|_| Payloads::default())
}

/// Reads into `entry` (a default one) the object the fast path has split
/// into `outline` (here, or in the parallel reader's walker); `shifts` as
/// [`parse_entry`] takes them. The payloads it lends, or `None` when
/// nothing of it could be read.
pub(super) fn entry_from_outline<'t>(
    entry: &mut Entry,
    text: &'t str,
    outline: &Outline<'t>,
    start: Position,
    shifts: &[(usize, usize)],
    keeper: &Keeper<'_>,
    problems: &mut dyn FnMut(Diagnostic),
) -> Option<Payloads<'t>> {
    let placer = Placer::new(start, text.as_bytes(), &[], shifts);
    entry_of(
        entry,
        text,
        Fields::Split(Cow::Borrowed(outline.top())),
        outline,
        &placer,
        keeper,
        problems,
    )
}

/// Reads an object's fields into `entry`, a default one (both paths end
/// here, so they read the same fields the same way; the parallel reader
/// reads into the entry's place among its items, as an entry is over 500
/// bytes). The payloads it lends, or `None` when the object is no entry.
fn entry_of<'t>(
    entry: &mut Entry,
    text: &'t str,
    fields: Fields<'_, 't>,
    outline: &Outline<'t>,
    placer: &Placer<'_>,
    keeper: &Keeper<'_>,
    problems: &mut dyn FnMut(Diagnostic),
) -> Option<Payloads<'t>> {
    let mut lent = Payloads::default();
    let start = placer.start;
    entry.position = start;
    entry.raw = keeper.keep_raw.then(|| keeper.keep(text).0);
    let mut hook_name: Option<Cow<'t, str>> = None;
    let mut recognised = false;
    let mut field = FieldReader {
        text,
        outline,
        placer,
        problems,
    };
    for (key, raw) in fields {
        let slot: Option<&mut Option<Text>> = match key.as_ref() {
            "type" => Some(&mut entry.kind),
            "event_id" => Some(&mut entry.event_id),
            "session_id" => Some(&mut entry.session_id),
            "agent_id" => Some(&mut entry.agent_id),
            "error" => Some(&mut entry.error),
            "target_agent_id" => Some(&mut entry.target_agent_id),
            "source_agent_id" => Some(&mut entry.source_agent_id),
            _ => None,
        };
        if let Some(slot) = slot {
            recognised = true;
            match field.string(&key, raw) {
                Some(v) => *slot = v,
                None => keep_extra(entry, keeper, key, raw),
            }
            continue;
        }
        match key.as_ref() {
            "hook" => {
                recognised = true;
                match field.text(&key, raw) {
                    Some(v) => hook_name = v,
                    None => keep_extra(entry, keeper, key, raw),
                }
            }
            "timestamp" => {
                recognised = true;
                match field.text(&key, raw) {
                    Some(v) => {
                        let (time, go) = field.timestamp(&key, raw, v.as_deref());
                        entry.timestamp = time;
                        entry.timestamp_written = match v {
                            None => Written::Absent,
                            Some(_) if go => Written::AsParsed,
                            Some(text) => Written::Text(Text::from(text)),
                        };
                    }
                    None => keep_extra(entry, keeper, key, raw),
                }
            }
            "state" => match field.state(&key, raw) {
                Some(route) => {
                    entry.state_route = route;
                    if !is_null(raw) {
                        keeper.hold(raw, &mut entry.state, &mut lent.state);
                    }
                }
                None => keep_extra(entry, keeper, key, raw),
            },
            "agent_result" => match field.agent_result(raw, keeper, &mut lent) {
                Some(result) => entry.result = result,
                None => keep_extra(entry, keeper, key, raw),
            },
            _ => keep_extra(entry, keeper, key, raw),
        }
    }

    if !recognised {
        (field.problems)(Diagnostic::new(
            ProblemKind::NotAnEntry,
            start,
            "object has none of the keys of a trace entry (timestamp, hook, type, event_id, session_id, agent_id); skipped",
        ));
        return None;
    }

    let has_error = entry.error().is_some();
    entry.hook = match hook_name.as_deref() {
        Some(name) if !name.is_empty() => Hook::from_name(name),
        _ => match entry
            .kind
            .as_deref()
            .and_then(|k| Hook::from_type(k, has_error))
        {
            Some(h) => {
                entry.hook_derived = true;
                h
            }
            None => Hook::Unknown,
        },
    };
    Some(lent)
}

/// Keeps a key this version does not read (or a field it could not) among
/// the entry's unknown keys, masked as the keeper says.
fn keep_extra(entry: &mut Entry, keeper: &Keeper<'_>, key: Cow<'_, str>, raw: &str) {
    let kept = keeper.keep_field(&key, raw);
    entry.extra.push((key.into_owned(), kept));
}

fn is_null(raw: &str) -> bool {
    raw == "null"
}

/// Reads typed fields out of raw values and reports those that do not fit.
struct FieldReader<'t, 'p> {
    text: &'t str,
    /// The objects the checking walk split (empty off the fast path).
    outline: &'p Outline<'t>,
    placer: &'p Placer<'p>,
    problems: &'p mut dyn FnMut(Diagnostic),
}

impl<'t> FieldReader<'t, '_> {
    fn at(&self, raw: &str) -> Position {
        let offset = (raw.as_ptr() as usize).saturating_sub(self.text.as_ptr() as usize);
        self.placer.at(offset)
    }

    fn bad(&mut self, raw: &str, message: String) {
        let at = self.at(raw);
        (self.problems)(Diagnostic::new(ProblemKind::BadField, at, message));
    }

    /// A string or null; `None` (after a report) when it is neither.
    #[inline(always)]
    fn string(&mut self, key: &dyn fmt::Display, raw: &str) -> Option<Option<Text>> {
        self.text(key, raw).map(|t| t.map(Text::from))
    }

    /// [`Self::string`], borrowed from `raw` when it holds no escapes.
    /// Inlined: it reads nearly every field of every entry, and nearly
    /// always finds a plain string.
    #[inline(always)]
    fn text<'r>(&mut self, key: &dyn fmt::Display, raw: &'r str) -> Option<Option<Cow<'r, str>>> {
        if let Some(plain) = super::fast::plain_string(raw) {
            return Some(Some(Cow::Borrowed(plain)));
        }
        if is_null(raw) {
            return Some(None);
        }
        self.text_decoded(key, raw)
    }

    /// [`Self::text`] of a value that is no plain string: decoded, or
    /// reported.
    #[cold]
    #[inline(never)]
    fn text_decoded(
        &mut self,
        key: &dyn fmt::Display,
        raw: &str,
    ) -> Option<Option<Cow<'static, str>>> {
        match serde_json::from_str::<Option<String>>(raw) {
            Ok(v) => Some(v.map(Cow::Owned)),
            Err(_) => {
                let msg = format!(
                    "field \"{key}\" should be a string but is {}; kept as an unknown key",
                    describe(raw)
                );
                self.bad(raw, msg);
                None
            }
        }
    }

    /// Milliseconds as an integer. Go writes an integer; a float from
    /// another writer is still a duration; a number that fits no i64 is
    /// reported, never clamped into a made-up value.
    fn duration(&mut self, key: &dyn fmt::Display, raw: &str) -> Option<i64> {
        let text = raw;
        if text == "null" {
            return None;
        }
        if let Ok(n) = text.parse::<i64>() {
            return Some(n);
        }
        let is_number = text.starts_with(|c: char| c == '-' || c.is_ascii_digit());
        if is_number {
            if let Ok(f) = text.parse::<f64>() {
                if f.is_finite() && f.abs() < 9.0e18 {
                    return Some(f as i64);
                }
            }
            let msg = format!("field \"{key}\" is {text}, too large for a duration; ignored");
            self.bad(raw, msg);
        } else {
            let msg = format!(
                "field \"{key}\" should be a number but is {}; ignored",
                describe(raw)
            );
            self.bad(raw, msg);
        }
        None
    }

    /// The time, and whether `text` is written as Go writes it
    /// ([`Timestamp::parse_written`]).
    fn timestamp(
        &mut self,
        key: &dyn fmt::Display,
        raw: &str,
        text: Option<&str>,
    ) -> (Timestamp, bool) {
        let Some(text) = text else {
            return (Timestamp::Unset, false);
        };
        match Timestamp::parse_written(text) {
            Ok(read) => read,
            Err(e) => {
                let msg =
                    format!("field \"{key}\" is not an RFC 3339 time ({e}); treated as unset");
                self.bad(raw, msg);
                (Timestamp::Unset, false)
            }
        }
    }

    /// A state object (or null): returns its `meta.route`.
    fn state(&mut self, key: &dyn fmt::Display, raw: &str) -> Option<Option<Text>> {
        if is_null(raw) {
            return Some(None);
        }
        if let Some(route) = route_fast(raw, self.outline) {
            return Some(route);
        }
        #[derive(Deserialize)]
        struct State<'a> {
            #[serde(borrow, default)]
            meta: Option<&'a RawValue>,
        }
        #[derive(Deserialize)]
        struct Meta<'a> {
            #[serde(borrow, default)]
            route: Option<&'a RawValue>,
        }
        let state: State<'_> = match serde_json::from_str(raw) {
            Ok(s) => s,
            Err(_) => {
                let msg = format!(
                    "field \"{key}\" should be an object but is {}; kept as an unknown key",
                    describe(raw)
                );
                self.bad(raw, msg);
                return None;
            }
        };
        let Some(meta) = state.meta.map(RawValue::get).filter(|m| !is_null(m)) else {
            return Some(None);
        };
        let meta: Meta<'_> = match serde_json::from_str(meta) {
            Ok(m) => m,
            Err(_) => {
                let msg = format!(
                    "field \"{key}.meta\" should be an object but is {}",
                    describe(meta)
                );
                self.bad(meta, msg);
                return Some(None);
            }
        };
        match meta.route.map(RawValue::get) {
            None => Some(None),
            Some(route) => match serde_json::from_str::<Option<String>>(route) {
                Ok(r) => Some(r.map(Text::from)),
                Err(_) => {
                    let msg = format!(
                        "field \"{key}.meta.route\" should be a string but is {}; ignored",
                        describe(route)
                    );
                    self.bad(route, msg);
                    Some(None)
                }
            },
        }
    }

    fn agent_result(
        &mut self,
        raw: &'t str,
        keeper: &Keeper<'_>,
        lent: &mut Payloads<'t>,
    ) -> Option<Option<AgentResult>> {
        if is_null(raw) {
            return Some(None);
        }
        // Already validated with the whole entry.
        let fields = match Fields::of_checked(raw, self.outline) {
            Ok(f) => f,
            Err(_) => {
                let msg = format!(
                    "field \"agent_result\" should be an object but is {}; kept as an unknown key",
                    describe(raw)
                );
                self.bad(raw, msg);
                return None;
            }
        };
        let mut result = AgentResult::default();
        for (key, value) in fields {
            // Named only if reported: no allocation per field.
            let name = AgentResultField(&key);
            match key.as_ref() {
                "duration_ms" => result.duration_ms = self.duration(&name, value),
                "start_time" | "end_time" => {
                    // Read from the text in place: a time is never kept as
                    // written here.
                    if let Some(text) = self.text(&name, value) {
                        let (t, _) = self.timestamp(&name, value, text.as_deref());
                        if key == "start_time" {
                            result.start_time = t;
                        } else {
                            result.end_time = t;
                        }
                    }
                }
                "error" => {
                    if let Some(e) = self.string(&name, value) {
                        result.error = e;
                    }
                }
                "output_state" => {
                    if let Some(route) = self.state(&name, value) {
                        result.output_route = route;
                        if !is_null(value) {
                            keeper.hold(value, &mut result.output_state, &mut lent.output_state);
                        }
                    }
                }
                _ => {}
            }
        }
        keeper.hold(raw, &mut result.raw, &mut lent.result);
        Some(Some(result))
    }
}

/// The `meta.route` of a state object already known to be valid JSON, by
/// the fast path; `None` when the serde path must decide (not an object,
/// a key given twice or escaped, a route that is not a plain string).
fn route_fast<'t>(state: &'t str, outline: &Outline<'t>) -> Option<Option<Text>> {
    use super::fast::{field_in, plain_string};
    let field = |object: &'t str, key: &str| field_in(&outline.pairs_or_split(object)?, key);
    let meta = match field(state, "meta")? {
        None | Some("null") => return Some(None),
        Some(meta) => meta,
    };
    match field(meta, "route")? {
        None | Some("null") => Some(None),
        Some(route) => plain_string(route).map(|r| Some(Text::from(r))),
    }
}

/// Walks the `\u` escapes of JSON text; `visit(offset, lone)` is called for
/// each surrogate escape, `lone` when it is not part of a valid pair.
fn surrogate_escapes(text: &str, mut visit: impl FnMut(usize, bool) -> bool) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(found) = memchr_backslash(&bytes[i..]) {
        i += found;
        match bytes.get(i + 1) {
            Some(b'u') => {
                let Some(unit) = super::fast::unicode_escape(bytes, i) else {
                    i += 2;
                    continue;
                };
                if (0xD800..0xDC00).contains(&unit) {
                    let low = (bytes.get(i + 6) == Some(&b'\\') && bytes.get(i + 7) == Some(&b'u'))
                        .then(|| super::fast::unicode_escape(bytes, i + 6))
                        .flatten();
                    if low.is_some_and(|l| (0xDC00..0xE000).contains(&l)) {
                        i += 12;
                        continue;
                    }
                    if !visit(i, true) {
                        return;
                    }
                } else if (0xDC00..0xE000).contains(&unit) && !visit(i, true) {
                    return;
                }
                i += 6;
            }
            // Any other escape (\\ included) is two bytes.
            Some(_) => i += 2,
            None => return,
        }
    }
}

fn memchr_backslash(bytes: &[u8]) -> Option<usize> {
    memchr::memchr(b'\\', bytes)
}

/// `agent_result.KEY`, for messages about a field of the agent result.
struct AgentResultField<'a>(&'a str);

impl fmt::Display for AgentResultField<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "agent_result.{}", self.0)
    }
}

/// Offset of the first lone surrogate escape, if any.
fn first_lone_surrogate(text: &str) -> Option<usize> {
    if !text.contains("\\u") {
        return None;
    }
    let mut first = None;
    surrogate_escapes(text, |offset, _| {
        first = Some(offset);
        false
    });
    first
}

/// `text` with each lone surrogate escape replaced by `\ufffd`.
fn replace_lone_surrogates(text: &str) -> String {
    let mut lone = Vec::new();
    surrogate_escapes(text, |offset, _| {
        lone.push(offset);
        true
    });
    let mut out = String::with_capacity(text.len());
    let mut from = 0;
    for at in lone {
        out.push_str(&text[from..at]);
        out.push_str("\\ufffd");
        from = at + 6;
    }
    out.push_str(&text[from..]);
    out
}

/// A short description of a JSON value's type, for messages.
fn describe(raw: &str) -> &'static str {
    match raw.as_bytes().first() {
        Some(b'"') => "a string",
        Some(b'{') => "an object",
        Some(b'[') => "an array",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        _ => "a number",
    }
}

/// `bytes` as text, invalid UTF-8 read as U+FFFD (3 bytes, whatever the
/// length it replaces); `shifts` receives where the text and the bytes
/// correspond again after each replacement (as [`RawEntry::shifts`]).
///
/// [`RawEntry::shifts`]: super::scan::RawEntry::shifts
fn lossy(bytes: &[u8], shifts: &mut Vec<(usize, usize)>) -> String {
    let mut text = String::with_capacity(bytes.len() + 8);
    let mut consumed = 0;
    for chunk in bytes.utf8_chunks() {
        text.push_str(chunk.valid());
        consumed += chunk.valid().len();
        if !chunk.invalid().is_empty() {
            text.push('\u{fffd}');
            consumed += chunk.invalid().len();
            shifts.push((text.len(), consumed));
        }
    }
    text
}

/// `x` moved through `shifts` (pairs from which offsets correspond one to
/// one); an offset inside a replaced run goes to the run's end at most.
fn shift(shifts: &[(usize, usize)], x: usize) -> usize {
    let i = shifts.partition_point(|s| s.0 <= x);
    let mapped = match i {
        0 => x,
        _ => shifts[i - 1].1 + (x - shifts[i - 1].0),
    };
    match shifts.get(i) {
        Some(next) => mapped.min(next.1),
        None => mapped,
    }
}

/// Places offsets of the parsed text in the file: through the UTF-8
/// replacements, then the scanner's escapes, then lines and columns.
struct Placer<'a> {
    start: Position,
    text: &'a [u8],
    to_buffer: &'a [(usize, usize)],
    to_file: &'a [(usize, usize)],
}

impl<'a> Placer<'a> {
    fn new(
        start: Position,
        text: &'a [u8],
        to_buffer: &'a [(usize, usize)],
        to_file: &'a [(usize, usize)],
    ) -> Self {
        Placer {
            start,
            text,
            to_buffer,
            to_file,
        }
    }

    fn file_offset(&self, text_offset: usize) -> usize {
        shift(self.to_file, shift(self.to_buffer, text_offset))
    }

    /// The position of `offset` bytes into the text.
    fn at(&self, offset: usize) -> Position {
        let offset = offset.min(self.text.len());
        let in_file = self.file_offset(offset);
        let before = &self.text[..offset];
        // Line breaks are never replaced, so they count the same here.
        let newlines = before.iter().filter(|&&b| b == b'\n').count() as u64;
        let column = match before.iter().rposition(|&b| b == b'\n') {
            Some(nl) => (in_file - self.file_offset(nl)) as u64,
            None => self.start.column + in_file as u64,
        };
        Position {
            line: self.start.line + newlines,
            column,
            offset: self.start.offset + in_file as u64,
        }
    }
}

/// The offset in `text` that serde_json's line and column (1-based, 0 for
/// "before the first byte of the line") point at.
fn json_error_offset(text: &str, e: &serde_json::Error) -> usize {
    let line_start = if e.line() <= 1 {
        0
    } else {
        text.match_indices('\n')
            .nth(e.line() - 2)
            .map_or(text.len(), |(i, _)| i + 1)
    };
    (line_start + e.column().saturating_sub(1)).min(text.len())
}

/// serde_json's message without its " at line L column C" suffix (we give
/// the position in the file instead).
fn json_error_reason(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> (Option<Entry>, Vec<Diagnostic>) {
        parse_bytes(text.as_bytes())
    }

    fn parse_bytes(bytes: &[u8]) -> (Option<Entry>, Vec<Diagnostic>) {
        let mut problems = Vec::new();
        let start = Position {
            line: 10,
            column: 1,
            offset: 100,
        };
        let e = parse_entry(bytes, start, &[], ParseOptions::default(), None, &mut |d| {
            problems.push(d)
        });
        (e, problems)
    }

    const FULL: &str = r#"{
  "timestamp": "2025-05-02T20:09:16.464169428+05:30",
  "type": "",
  "event_id": "req-73383683",
  "session_id": "s1",
  "agent_id": "planner",
  "hook": "AfterAgentRun",
  "target_agent_id": "planner",
  "agent_result": {
    "duration_ms": 929,
    "end_time": "2025-05-02T20:09:16.463307742+05:30",
    "output_state": {"data": {"x": 1}, "meta": {"route": "writer"}},
    "start_time": "0001-01-01T00:00:00Z"
  },
  "x_custom": [1, 2]
}"#;

    #[test]
    fn reads_every_field_of_a_go_entry() {
        let (e, p) = parse(FULL);
        let e = e.unwrap();
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(e.hook, Hook::AfterAgentRun);
        assert_eq!(e.agent_id.as_deref(), Some("planner"));
        assert_eq!(e.route(), Some("writer"));
        assert_eq!(e.duration_ms(), Some(929));
        let r = e.result.as_ref().unwrap();
        assert_eq!(r.start_time, Timestamp::Unset);
        assert!(r.end_time.get().is_some());
        assert_eq!(e.extra, vec![("x_custom".into(), RawJson("[1, 2]".into()))]);
        assert_eq!(
            e.timestamp_text().as_deref(),
            Some("2025-05-02T20:09:16.464169428+05:30")
        );
    }

    #[test]
    fn derives_hook_from_type() {
        let (e, _) = parse(r#"{"type":"agent_end","agent_id":"a","error":"boom"}"#);
        let e = e.unwrap();
        assert_eq!(e.hook, Hook::AgentError);
        assert!(e.hook_derived);
        let (e, _) = parse(r#"{"type":"event_start","hook":""}"#);
        assert_eq!(e.unwrap().hook, Hook::BeforeEventHandling);
    }

    #[test]
    fn keeps_unknown_hooks() {
        let (e, p) = parse(r#"{"hook":"OnToolCall","agent_id":"a"}"#);
        assert_eq!(e.unwrap().hook, Hook::Other("OnToolCall".into()));
        assert!(p.is_empty());
    }

    #[test]
    fn wrong_type_costs_only_that_field() {
        let (e, p) = parse("{\"hook\":\"BeforeAgentRun\",\n\"agent_id\": 42, \"event_id\":\"e1\"}");
        let e = e.unwrap();
        assert_eq!(e.agent_id, None);
        assert_eq!(e.event_id.as_deref(), Some("e1"));
        assert_eq!(e.extra[0].0, "agent_id");
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].kind, ProblemKind::BadField);
        assert_eq!(p[0].position.to_string(), "11:13");
        assert!(p[0].message.contains("agent_id"));
    }

    #[test]
    fn bad_timestamp_is_unset_and_reported() {
        let (e, p) = parse(r#"{"timestamp":"yesterday","hook":"AgentError"}"#);
        let e = e.unwrap();
        assert_eq!(e.timestamp, Timestamp::Unset);
        assert_eq!(e.timestamp_text().as_deref(), Some("yesterday"));
        assert_eq!(p[0].kind, ProblemKind::BadField);
    }

    #[test]
    fn invalid_utf8_is_replaced_and_the_entry_kept() {
        let (e, p) = parse_bytes(b"{\"hook\":\"AgentError\",\"error\":\"bad \xff byte\"}");
        assert_eq!(e.unwrap().error.as_deref(), Some("bad \u{fffd} byte"));
        assert_eq!(p[0].kind, ProblemKind::InvalidUtf8);
        assert_eq!(p[0].position.to_string(), "10:35");
    }

    #[test]
    fn deep_state_is_kept_raw_without_error() {
        let deep = format!(
            r#"{{"hook":"BeforeAgentRun","state":{{"data":{{"x":{}{}}},"meta":{{"route":"w"}}}}}}"#,
            "[".repeat(5000),
            "]".repeat(5000)
        );
        let (e, p) = parse(&deep);
        let e = e.unwrap();
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(e.route(), Some("w"));
        assert!(e.state.unwrap().get().len() > 10_000);
    }

    #[test]
    fn invalid_json_is_reported_at_its_place_in_the_file() {
        let (e, p) = parse("{\n  \"hook\": \"AgentError\",\n  \"error\": oops\n}");
        assert!(e.is_none());
        assert_eq!(p[0].kind, ProblemKind::InvalidJson);
        assert_eq!(p[0].position.line, 12);
        assert!(!p[0].message.contains("at line"), "{}", p[0].message);
    }

    #[test]
    fn lone_surrogates_are_read_as_replacement_characters() {
        let (e, p) =
            parse(r#"{"hook":"AgentError","error":"a\ud800b \ud83d\ude80 \\ud800 \udfff"}"#);
        assert_eq!(
            e.unwrap().error.as_deref(),
            Some("a\u{fffd}b \u{1f680} \\ud800 \u{fffd}")
        );
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].kind, ProblemKind::InvalidUtf8);
        assert_eq!(p[0].position.column, 32);
    }

    #[test]
    fn durations_that_fit_no_integer_are_reported_not_clamped() {
        for (text, expect) in [
            ("929", Some(929)),
            ("12.7", Some(12)),
            ("1e999", None),
            ("1e30", None),
            ("\"x\"", None),
        ] {
            let entry =
                format!(r#"{{"hook":"AfterAgentRun","agent_result":{{"duration_ms":{text}}}}}"#);
            let (e, p) = parse(&entry);
            assert_eq!(e.unwrap().duration_ms(), expect, "{text}");
            assert_eq!(p.len(), usize::from(expect.is_none()), "{text}: {p:?}");
            if let Some(d) = p.first() {
                assert!(!d.message.contains("is a number"), "{}", d.message);
            }
        }
    }

    #[test]
    fn object_without_entry_keys_is_not_an_entry() {
        let (e, p) = parse(r#"{"foo": 1}"#);
        assert!(e.is_none());
        assert_eq!(p[0].kind, ProblemKind::NotAnEntry);
    }

    #[test]
    fn state_can_be_dropped_for_views_that_do_not_show_it() {
        let mut problems = Vec::new();
        let e = parse_entry(
            FULL.as_bytes(),
            Position::default(),
            &[],
            ParseOptions::lean(),
            None,
            &mut |d| problems.push(d),
        )
        .unwrap();
        assert_eq!(e.route(), Some("writer"));
        assert!(e.result.unwrap().output_state.is_none());
    }
}
