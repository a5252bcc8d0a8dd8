//! `trace --follow` and `list --follow`: sessions read as they are written,
//! with `tail -F` semantics. The bytes come from [`FileTail`] (or stdin) and
//! go through the same reader, sink and filters as `trace`; only the
//! renderers differ, writing each entry the moment it is complete.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Sender};

use anyhow::{bail, Result};

use super::trace::{TraceSink, View};
use super::Outcome;
use crate::analysis::flow::FlowBuilder;
use crate::analysis::{Filter, SessionSummary};
use crate::config::{Config, FollowConfig, TraceConfig, TraceView};
use crate::input::discover::{session_id_of, SUFFIX};
use crate::input::follow::{Change, FileTail, TailEvent, Wake, Waker};
use crate::input::{self, ParseOptions, ResolveError, Source, TraceReader};
use crate::output::Reporter;
use crate::render::text::escape;
use crate::render::{self, EntryRenderer, HopRenderer, TextOptions, TraceContext};

/// The live renderer shared by every followed session.
enum Live {
    Entries(Box<dyn EntryRenderer>),
    Flow(Box<dyn HopRenderer>),
}

impl Live {
    fn new(view: &TraceView, text: TextOptions, many: bool) -> Result<Live> {
        let live = match view {
            TraceView::Entries(f) => render::live_entry_renderer(*f, text, many).map(Live::Entries),
            TraceView::Flow(f) => render::live_hop_renderer(*f, text, many).map(Live::Flow),
            TraceView::Analyze(..) | TraceView::At(..) | TraceView::Spans(_) => None,
        };
        live.ok_or_else(|| {
            anyhow::anyhow!(
                "--follow writes entries as they arrive; this format needs the whole session\n\
                 hint: use --format jsonl (or table, csv); json, mermaid and dot work without --follow"
            )
        })
    }

    fn parse_options(&self, text: &TextOptions) -> ParseOptions {
        match self {
            Live::Entries(r) => ParseOptions {
                keep_state: r.needs_state(),
                keep_raw: text.debug,
            },
            Live::Flow(_) => ParseOptions::lean(),
        }
    }

    fn finish(&mut self, out: &mut dyn Write) -> Result<()> {
        let summary = SessionSummary::default();
        let context = TraceContext {
            session: "",
            source: "",
            summary: &summary,
            completeness: crate::model::Completeness::Open,
            entries_after_close: 0,
            shown: 0,
            candidates: 0,
            noun: "entries",
            filter: "",
        };
        match self {
            Live::Entries(r) => r.finish(&context, out)?,
            Live::Flow(r) => r.finish(&context, out)?,
        }
        Ok(())
    }
}

/// One session being followed.
struct Followed {
    label: String,
    color: u8,
    tail: Option<FileTail>,
    reader: TraceReader,
    options: ParseOptions,
    redact: Option<std::sync::Arc<crate::input::redact::Redactor>>,
    builder: FlowBuilder,
    summary: SessionSummary,
    shown: u64,
    candidates: u64,
    reporter: Reporter,
    /// Read this session's entries as they come (else: only skip past
    /// them, to start at its end).
    showing: bool,
}

impl Followed {
    fn new(
        label: String,
        color: u8,
        tail: Option<FileTail>,
        options: ParseOptions,
        redact: Option<std::sync::Arc<crate::input::redact::Redactor>>,
        reporter: Reporter,
    ) -> Self {
        Followed {
            label,
            color,
            tail,
            reader: TraceReader::with_redactor(options, redact.clone()),
            options,
            redact,
            builder: FlowBuilder::default(),
            summary: SessionSummary::default(),
            shown: 0,
            candidates: 0,
            reporter,
            showing: true,
        }
    }

    /// A new file under the same name: its entries start over.
    fn restart(&mut self) {
        self.reader = TraceReader::with_redactor(self.options, self.redact.clone());
        self.builder = FlowBuilder::default();
    }

    fn feed(
        &mut self,
        bytes: &[u8],
        live: &mut Live,
        filter: &Filter,
        out: &mut dyn Write,
    ) -> Result<()> {
        if !self.showing {
            self.reader.skip(bytes);
            return Ok(());
        }
        let view = match live {
            Live::Entries(r) => {
                r.set_session(&self.label, self.color);
                View::Entries(r.as_mut())
            }
            Live::Flow(r) => {
                r.set_session(&self.label, self.color);
                View::Flow {
                    builder: &mut self.builder,
                    renderer: r.as_mut(),
                }
            }
        };
        let mut sink = TraceSink {
            filter,
            view,
            out,
            summary: &mut self.summary,
            shown: &mut self.shown,
            candidates: &mut self.candidates,
            counted: None,
            reporter: &mut self.reporter,
        };
        self.reader.push(bytes, &mut sink)
    }

    /// Reads what is new in the file, saying on stderr what changed.
    fn poll(&mut self, live: &mut Live, filter: &Filter, out: &mut dyn Write) -> Result<()> {
        let Some(mut tail) = self.tail.take() else {
            return Ok(());
        };
        let shown_path = escape(&tail.path().display().to_string()).into_owned();
        let had_file = tail.offset() > 0;
        let result = tail.poll(&mut |event| match event {
            TailEvent::Data(bytes) => self.feed(bytes, live, filter, out),
            TailEvent::Change(change) => {
                let message = match change {
                    Change::Missing if had_file => {
                        format!("'{shown_path}' was removed; waiting for it to come back")
                    }
                    Change::Missing => format!("waiting for '{shown_path}' to appear"),
                    Change::Appeared => format!("'{shown_path}' appeared; following it"),
                    Change::Truncated => {
                        format!("'{shown_path}' was truncated; reading it again from the start")
                    }
                    Change::Replaced => {
                        format!("'{shown_path}' was replaced; reading the new file from the start")
                    }
                };
                self.reporter.note(&message);
                if change != Change::Appeared {
                    self.restart();
                }
                // Whatever comes after a change is new: show it.
                self.showing = true;
                Ok(())
            }
        });
        self.tail = Some(tail);
        result.map(|_| ())
    }
}

/// A color per session, stable for its id.
fn color_of(id: &str) -> u8 {
    id.bytes()
        .fold(0u8, |h, b| h.wrapping_mul(31).wrapping_add(b))
}

/// Stops the wait on Ctrl-C or SIGTERM; following ends with status 0.
fn stop_on_signal(stop: Sender<Wake>) {
    // Setting the handler fails only if one is set already; then that one
    // stops us.
    let _ = ctrlc::set_handler(move || {
        let _ = stop.send(Wake::Stop);
    });
}

pub fn run(
    config: &Config,
    trace: &TraceConfig,
    follow: FollowConfig,
    out: &mut dyn Write,
) -> Result<Outcome> {
    match trace.session.as_deref() {
        None => follow_dir(config, &config.dir, &trace.view, &trace.filter, follow, out),
        Some(arg) if arg == "-" => follow_stdin(config, trace, out),
        Some(arg) => {
            let path = match input::resolve(arg, &config.dir) {
                Ok(Source::File(path)) => path,
                Ok(Source::Stdin) => return follow_stdin(config, trace, out),
                // Not there yet: wait for it where it will be written.
                Err(ResolveError::NotFound { .. } | ResolveError::NoSuchFile(_)) => {
                    expected_path(arg, &config.dir)
                }
                Err(e) => return Err(e.into()),
            };
            follow_file(config, trace, follow, &path, out)
        }
    }
}

/// Where a session that does not exist yet will appear: the path given,
/// or `<id>.trace.json` in the directory (in its `traces/` if that exists).
fn expected_path(arg: &std::ffi::OsStr, dir: &Path) -> PathBuf {
    let text = arg.to_string_lossy();
    if text.contains('/') || text.contains(std::path::MAIN_SEPARATOR) || text.ends_with(".json") {
        return PathBuf::from(arg);
    }
    let traces = dir.join("traces");
    let base = if traces.is_dir() {
        traces
    } else {
        dir.to_path_buf()
    };
    base.join(format!("{text}{SUFFIX}"))
}

fn follow_file(
    config: &Config,
    trace: &TraceConfig,
    follow: FollowConfig,
    path: &Path,
    out: &mut dyn Write,
) -> Result<Outcome> {
    let text = config.text;
    let mut live = Live::new(&trace.view, text, false)?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let (waker, fallback) = Waker::new(&[(parent, false)], follow.poll_interval, follow.force_poll);
    stop_on_signal(waker.stopper());
    let mut reporter = Reporter::new(config.stderr_theme, 20, config.quiet);
    reporter.set_source(&path.display().to_string());
    if let Some(why) = fallback {
        reporter.note(&why);
    }
    let options = live.parse_options(&text);
    let mut session = Followed::new(
        session_id_of(path),
        0,
        Some(FileTail::new(path)),
        options,
        config.redact.clone(),
        reporter,
    );
    if let Live::Entries(r) = &mut live {
        r.begin(out)?;
    }
    loop {
        session.poll(&mut live, &trace.filter, out)?;
        out.flush()?;
        if waker.wait() == Wake::Stop {
            break;
        }
    }
    live.finish(out)?;
    out.flush()?;
    Ok(Outcome::default())
}

enum StdinMessage {
    Data(Vec<u8>),
    End,
    Failed(std::io::Error),
    Stop,
}

fn follow_stdin(config: &Config, trace: &TraceConfig, out: &mut dyn Write) -> Result<Outcome> {
    let text = config.text;
    let mut live = Live::new(&trace.view, text, false)?;
    let (tx, rx) = channel();
    let stop = tx.clone();
    let _ = ctrlc::set_handler(move || {
        let _ = stop.send(StdinMessage::Stop);
    });
    // A blocking read cannot be interrupted; it runs on its own thread and
    // the process ends without waiting for it.
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let message = match crate::input::read_some(&mut stdin, &mut buf) {
                Ok(0) => StdinMessage::End,
                Ok(n) => StdinMessage::Data(buf[..n].to_vec()),
                Err(e) => StdinMessage::Failed(e),
            };
            let last = !matches!(message, StdinMessage::Data(_));
            if tx.send(message).is_err() || last {
                return;
            }
        }
    });
    let mut reporter = Reporter::new(config.stderr_theme, 20, config.quiet);
    reporter.set_source("<stdin>");
    let options = live.parse_options(&text);
    let mut session = Followed::new(
        "-".to_string(),
        0,
        None,
        options,
        config.redact.clone(),
        reporter,
    );
    if let Live::Entries(r) = &mut live {
        r.begin(out)?;
    }
    let mut ended = false;
    while let Ok(message) = rx.recv() {
        match message {
            StdinMessage::Data(bytes) => {
                session.feed(&bytes, &mut live, &trace.filter, out)?;
                out.flush()?;
            }
            StdinMessage::End => {
                ended = true;
                break;
            }
            StdinMessage::Failed(e) => bail!("failed to read <stdin>: {e}"),
            StdinMessage::Stop => break,
        }
    }
    if ended {
        // The stream is over: a last entry without its end is now known
        // to be incomplete.
        let Followed {
            reader, reporter, ..
        } = &mut session;
        struct Problems<'a>(&'a mut Reporter);
        impl input::EntrySink for Problems<'_> {
            fn entry(&mut self, _entry: &mut crate::model::Entry) -> Result<()> {
                Ok(())
            }
            fn problem(&mut self, problem: input::Diagnostic) {
                self.0.problem(&problem);
            }
        }
        reader.finish(&mut Problems(reporter));
    }
    live.finish(out)?;
    out.flush()?;
    session.reporter.finish_source();
    Ok(Outcome {
        damaged: session.reader.report().damage > 0,
    })
}

fn follow_dir(
    config: &Config,
    dir: &Path,
    view: &TraceView,
    filter: &Filter,
    follow: FollowConfig,
    out: &mut dyn Write,
) -> Result<Outcome> {
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => bail!("cannot follow '{}': not a directory", dir.display()),
        Err(e) => bail!(
            "cannot follow '{}': {}",
            dir.display(),
            crate::output::describe_io(&e)
        ),
    }
    // Notifications name files by absolute path; the listing must too, or
    // one file would be followed twice under two names.
    let dir = &std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let text = config.text;
    let mut live = Live::new(view, text, true)?;
    let (waker, fallback) = Waker::new(
        &[(dir.to_path_buf(), true)],
        follow.poll_interval,
        follow.force_poll,
    );
    stop_on_signal(waker.stopper());
    let mut notes = Reporter::new(config.stderr_theme, usize::MAX, config.quiet);
    if let Some(why) = fallback {
        notes.note(&why);
    }
    let options = live.parse_options(&text);
    let mut sessions: BTreeMap<PathBuf, Followed> = BTreeMap::new();
    let add = |path: &Path, showing: bool| -> Followed {
        let id = session_id_of(path);
        let mut reporter = Reporter::new(config.stderr_theme, 20, config.quiet);
        reporter.set_source(&path.display().to_string());
        let mut s = Followed::new(
            id.clone(),
            color_of(&id),
            Some(FileTail::new(path)),
            options,
            config.redact.clone(),
            reporter,
        );
        s.showing = showing;
        s
    };

    // Sessions already there: start at their end, like tail -F.
    let listing = input::find_traces(dir, None);
    for problem in &listing.problems {
        notes.warn(problem);
    }
    for path in &listing.files {
        let mut s = add(path, false);
        s.poll(&mut live, filter, out)?;
        s.showing = true;
        sessions.insert(path.clone(), s);
    }
    notes.note(&format!(
        "following {} session{} under '{}'; new entries appear as they are written (Ctrl-C to stop)",
        sessions.len(),
        if sessions.len() == 1 { "" } else { "s" },
        escape(&dir.display().to_string())
    ));
    if let Live::Entries(r) = &mut live {
        r.begin(out)?;
    }
    loop {
        out.flush()?;
        let paths = match waker.wait() {
            Wake::Stop => break,
            Wake::Look(paths) => paths,
        };
        if paths.is_empty() {
            // A poll: look at every session, and for new ones.
            for path in input::find_traces(dir, None).files {
                sessions
                    .entry(path.clone())
                    .or_insert_with(|| add(&path, true));
            }
            for s in sessions.values_mut() {
                s.poll(&mut live, filter, out)?;
            }
            continue;
        }
        for path in paths {
            let is_trace = path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().ends_with(SUFFIX));
            if !sessions.contains_key(&path) {
                if !is_trace || !path.is_file() {
                    continue;
                }
                sessions.insert(path.clone(), add(&path, true));
            }
            if let Some(s) = sessions.get_mut(&path) {
                s.poll(&mut live, filter, out)?;
            }
        }
    }
    live.finish(out)?;
    out.flush()?;
    Ok(Outcome::default())
}
