//! `agentcli validate`: structural defects of one session or of every
//! session under a directory, for people or for CI.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;

use super::Outcome;
use crate::analysis::validate::{Defect, Validator};
use crate::config::{Config, ValidateConfig};
use crate::input::{self, Diagnostic, EntrySink, ParseOptions, Source};
use crate::model::Entry;
use crate::output::Reporter;
use crate::render::text::escape;
use crate::render::Role;

struct ValidateSink<'a>(&'a mut Validator);

impl EntrySink for ValidateSink<'_> {
    fn entry(&mut self, entry: &mut Entry) -> Result<()> {
        self.0.push(entry);
        Ok(())
    }
    fn problem(&mut self, problem: Diagnostic) {
        self.0.problem(&problem);
    }
}

/// One file's result.
#[derive(Serialize)]
struct FileResult {
    path: String,
    entries: u64,
    defects: Vec<Defect>,
}

/// Checks one session: read on every core, or, with `scratch`, on this
/// thread alone (one of many files read side by side).
fn validate(
    source: &Source,
    tolerance_ms: u64,
    scratch: Option<&mut input::parallel::Scratch>,
) -> Result<FileResult> {
    let name = source.to_string();
    let mut reader = super::open_source(source)?;
    let mut validator = Validator::new(tolerance_ms);
    let options = ParseOptions::lean();
    let mut sink = ValidateSink(&mut validator);
    let size = source.size();
    let report = input::read_here_or_all(reader.input(), size, options, None, &mut sink, scratch)
        .with_context(|| format!("failed to read '{name}'"))?;
    Ok(FileResult {
        path: name,
        entries: report.entries,
        defects: validator.finish(&report),
    })
}

pub fn run(
    config: &Config,
    validate_config: &ValidateConfig,
    out: &mut dyn Write,
) -> Result<Outcome> {
    let mut reporter = Reporter::new(config.stderr_theme, usize::MAX, config.quiet);
    // Files under the directory that could not be listed count as unreadable.
    let mut listed = Outcome::default();
    let sources: Vec<Source> = match validate_config.target.as_deref() {
        Some(t) if !Path::new(t).is_dir() => vec![input::resolve(t, &config.dir)?],
        target => {
            let dir = target.map_or(config.dir.as_path(), Path::new);
            super::list_traces(dir, None, &mut reporter, &mut listed)?
                .into_iter()
                .map(Source::File)
                .collect()
        }
    };
    let tolerance = validate_config.tolerance_ms;
    let checked = match sources.as_slice() {
        [one] => vec![validate(one, tolerance, None)],
        // Small files side by side, a large one alone on every core.
        many => input::parallel::batches(many, |s| s.size().unwrap_or(0))
            .into_iter()
            .flat_map(|batch| match batch {
                ([one], true) => vec![validate(one, tolerance, None)],
                (batch, _) => input::parallel::side_by_side(batch.len(), |i, scratch| {
                    validate(&batch[i], tolerance, Some(scratch))
                }),
            })
            .collect(),
    };
    let mut results = Vec::with_capacity(sources.len());
    let mut unreadable = listed.damaged;
    for checked in checked {
        match checked {
            Ok(r) => results.push(r),
            Err(e) => {
                unreadable = true;
                reporter.warn(&format!("{e:#}"));
            }
        }
    }
    let with_defects = results.iter().filter(|r| !r.defects.is_empty()).count();
    let defects: usize = results.iter().map(|r| r.defects.len()).sum();
    if validate_config.json {
        serde_json::to_writer_pretty(&mut *out, &results)?;
        writeln!(out)?;
    } else {
        let theme = config.text.theme;
        for r in &results {
            for d in &r.defects {
                writeln!(
                    out,
                    "{}:{}:{}: {}: {}",
                    escape(&r.path),
                    d.line,
                    d.column,
                    theme.paint(d.kind, Role::Warning),
                    escape(&d.message)
                )?;
            }
        }
        let files = results.len();
        let summary = if defects == 0 {
            theme
                .paint(
                    &format!(
                        "{files} file{} checked, no defects",
                        if files == 1 { "" } else { "s" }
                    ),
                    Role::Good,
                )
                .into_owned()
        } else {
            theme
                .paint(
                    &format!(
                        "{defects} defect{} in {with_defects} of {files} file{}",
                        if defects == 1 { "" } else { "s" },
                        if files == 1 { "" } else { "s" }
                    ),
                    Role::Error,
                )
                .into_owned()
        };
        writeln!(out, "{summary}")?;
    }
    out.flush()?;
    Ok(Outcome {
        damaged: defects > 0 || unreadable,
    })
}
