//! The settings that may come from the command line, the environment or
//! the config file, resolved once in that order of precedence, each
//! remembering where it came from (for `--print-config`).

use std::path::PathBuf;

use anyhow::{anyhow, bail, Result};
use clap::ValueEnum;

use super::file::{self, FileConfig};
use crate::cli::{ColorArg, GlobalArgs};
use crate::output::Env;
use crate::render::time::{TimeFormat, Zone};

pub const FLAG: &str = "command line";
pub const FILE: &str = "config file";
pub const DEFAULT: &str = "default";

/// A value and where it came from: "command line", an environment
/// variable's name, "config file" or "default".
#[derive(Debug, Clone)]
pub struct Setting<T> {
    pub value: T,
    pub source: &'static str,
}

fn set<T>(value: T, source: &'static str) -> Setting<T> {
    Setting { value, source }
}

/// The first of flag, environment, config file, default that is set.
fn pick<T>(
    flag: Option<T>,
    env: Option<(T, &'static str)>,
    file: Option<T>,
    default: T,
) -> Setting<T> {
    flag.map(|v| set(v, FLAG))
        .or_else(|| env.map(|(v, name)| set(v, name)))
        .or_else(|| file.map(|v| set(v, FILE)))
        .unwrap_or_else(|| set(default, DEFAULT))
}

#[derive(Debug, Clone)]
pub struct Settings {
    /// What `--print-config` says about the config file.
    pub file_note: String,
    /// The config file read, if any.
    pub file_path: Option<PathBuf>,
    pub dir: Setting<PathBuf>,
    pub color: Setting<ColorArg>,
    /// The pager command, before deciding whether to page at all; `None`
    /// when set to nothing (or `cat`).
    pub pager: Setting<Option<String>>,
    /// `None`: measured (the terminal's, else `COLUMNS`).
    pub width: Setting<Option<u16>>,
    /// As given, and parsed.
    pub time_format: Setting<(String, TimeFormat)>,
    /// `None`: each view's default.
    pub zone: Setting<Option<Zone>>,
    /// Globs from the command line, then from the config file.
    pub redact: Setting<Vec<String>>,
    pub redact_defaults: Setting<bool>,
}

/// `AGENTCLI_COLOR`, checked.
pub fn env_color(env: &dyn Env) -> Result<Option<ColorArg>> {
    match env.var("AGENTCLI_COLOR").filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => match ColorArg::from_str(v.trim(), true) {
            Ok(c) => Ok(Some(c)),
            Err(_) => bail!("AGENTCLI_COLOR is '{v}'\nhint: use auto, always or never"),
        },
    }
}

fn file_name(path: Option<&std::path::Path>) -> String {
    match path {
        Some(p) => format!("config file '{}'", p.display()),
        None => "config file".to_string(),
    }
}

fn parse_zone(value: &str) -> Option<Zone> {
    match value.trim().to_ascii_lowercase().as_str() {
        "written" | "as-written" | "as_written" => Some(Zone::AsWritten),
        "utc" => Some(Zone::Utc),
        "local" => Some(Zone::Local),
        _ => None,
    }
}

fn zone_name(zone: Option<Zone>) -> &'static str {
    match zone {
        None | Some(Zone::AsWritten) => "written",
        Some(Zone::Utc) => "utc",
        Some(Zone::Local) => "local",
    }
}

impl Settings {
    /// The config file, for messages about its values.
    pub fn file_name(&self) -> String {
        file_name(self.file_path.as_deref())
    }

    /// Resolves every setting, reading the config file; a bad value names
    /// where it came from.
    pub fn resolve(global: &GlobalArgs, env: &dyn Env) -> Result<Settings> {
        let (file, file_path) = file::load(env)?;
        Settings::from_parts(global, env, file, file_path)
    }

    /// Resolves every setting from a config file already read.
    fn from_parts(
        global: &GlobalArgs,
        env: &dyn Env,
        file: FileConfig,
        file_path: Option<PathBuf>,
    ) -> Result<Settings> {
        let file_note = match &file_path {
            Some(p) => format!("config file: {}", p.display()),
            None => match file::location(env) {
                Some((p, _)) => format!("config file: {} (not found)", p.display()),
                None if env.var("AGENTCLI_CONFIG").is_some() => {
                    "config file: none (AGENTCLI_CONFIG is empty)".to_string()
                }
                None => "config file: none (neither XDG_CONFIG_HOME nor HOME is set)".to_string(),
            },
        };
        let in_file = file_name(file_path.as_deref());
        let FileConfig {
            dir,
            color,
            pager,
            width,
            time_format,
            time_zone,
            redact,
            redact_defaults,
        } = file;

        let file_color = match color {
            None => None,
            Some(v) => Some(
                ColorArg::from_str(v.trim(), true)
                    .map_err(|_| anyhow!("{in_file}: color '{v}' is not auto, always or never"))?,
            ),
        };
        let env_color = env_color(env)?.map(|c| (c, "AGENTCLI_COLOR"));

        if let Some(w) = width.filter(|w| *w < 20) {
            bail!("{in_file}: width {w} is too narrow\nhint: tables need at least 20 columns");
        }

        let file_zone = match time_zone {
            None => None,
            Some(v) => Some(Some(parse_zone(&v).ok_or_else(|| {
                anyhow!("{in_file}: time_zone '{v}' is not written, utc or local")
            })?)),
        };
        let flag_zone = if global.utc {
            Some(Some(Zone::Utc))
        } else if global.local {
            Some(Some(Zone::Local))
        } else {
            None
        };

        let format = pick(
            global.time_format.clone(),
            None,
            time_format,
            "clock".to_string(),
        );
        let parsed = TimeFormat::parse(&format.value).map_err(|e| match format.source {
            FILE => anyhow!("{in_file}: time_format {e}"),
            _ => anyhow!("--time-format: {e}"),
        })?;

        // AGENTCLI_PAGER, then the config file, then PAGER.
        let pager = match (env.var("AGENTCLI_PAGER"), pager, env.var("PAGER")) {
            (Some(p), _, _) => set(p, "AGENTCLI_PAGER"),
            (None, Some(p), _) => set(p, FILE),
            (None, None, Some(p)) => set(p, "PAGER"),
            (None, None, None) => set("less -FRX".to_string(), DEFAULT),
        };
        let command = pager.value.trim();
        let pager = set(
            (!command.is_empty() && command != "cat").then(|| command.to_string()),
            pager.source,
        );

        let redact_source = match (global.redact.is_empty(), redact.is_empty()) {
            (false, _) => FLAG,
            (true, false) => FILE,
            (true, true) => DEFAULT,
        };
        let mut globs = global.redact.clone();
        globs.extend(redact);

        Ok(Settings {
            file_note,
            file_path,
            dir: pick(
                global.dir.clone(),
                env.var_os("AGENTCLI_DIR")
                    .filter(|d| !d.is_empty())
                    .map(|d| (PathBuf::from(d), "AGENTCLI_DIR")),
                dir,
                PathBuf::from("."),
            ),
            color: pick(global.color, env_color, file_color, ColorArg::Auto),
            pager,
            width: pick(global.width.map(Some), None, width.map(Some), None),
            time_format: set((format.value, parsed), format.source),
            zone: pick(flag_zone, None, file_zone, None),
            redact: set(globs, redact_source),
            redact_defaults: pick(
                global.redact_defaults.then_some(true),
                None,
                redact_defaults,
                false,
            ),
        })
    }

    /// The settings as a config file, each line saying where its value
    /// came from; `width` is the width in effect.
    pub fn to_toml(&self, width: usize) -> String {
        let string = |s: &str| serde_json::to_string(s).unwrap_or_default();
        let color = self
            .color
            .value
            .to_possible_value()
            .map_or("auto".to_string(), |v| v.get_name().to_string());
        let globs: Vec<String> = self.redact.value.iter().map(|g| string(g)).collect();
        let lines = [
            (
                "dir",
                string(&self.dir.value.to_string_lossy()),
                self.dir.source,
            ),
            ("color", string(&color), self.color.source),
            (
                "pager",
                string(self.pager.value.as_deref().unwrap_or("")),
                self.pager.source,
            ),
            ("width", width.to_string(), self.width.source),
            (
                "time_format",
                string(&self.time_format.value.0),
                self.time_format.source,
            ),
            (
                "time_zone",
                string(zone_name(self.zone.value)),
                self.zone.source,
            ),
            (
                "redact",
                format!("[{}]", globs.join(", ")),
                self.redact.source,
            ),
            (
                "redact_defaults",
                self.redact_defaults.value.to_string(),
                self.redact_defaults.source,
            ),
        ];
        let mut out = format!("# {}\n", self.file_note);
        for (key, value, source) in lines {
            out.push_str(&format!("{key} = {value}  # {source}\n"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::FakeEnv;
    use clap::Parser;

    fn settings(
        args: &[&str],
        vars: &[(&'static str, &'static str)],
        file: FileConfig,
    ) -> Settings {
        let mut argv = vec!["agentcli"];
        argv.extend_from_slice(args);
        let cli = crate::cli::Cli::try_parse_from(argv).unwrap();
        Settings::from_parts(&cli.global, &FakeEnv::new(vars), file, None).unwrap()
    }

    fn pager(vars: &[(&'static str, &'static str)], configured: Option<&str>) -> Option<String> {
        let file = FileConfig {
            pager: configured.map(str::to_string),
            ..FileConfig::default()
        };
        settings(&["list"], vars, file).pager.value
    }

    #[test]
    fn agentcli_pager_wins_then_config_then_pager_then_less() {
        assert_eq!(pager(&[], None).as_deref(), Some("less -FRX"));
        assert_eq!(pager(&[("PAGER", "more")], None).as_deref(), Some("more"));
        assert_eq!(
            pager(&[("PAGER", "more")], Some("most")).as_deref(),
            Some("most")
        );
        assert_eq!(
            pager(
                &[("AGENTCLI_PAGER", "bat"), ("PAGER", "more")],
                Some("most")
            )
            .as_deref(),
            Some("bat")
        );
        assert_eq!(pager(&[("AGENTCLI_PAGER", "")], None), None);
        assert_eq!(pager(&[("PAGER", "cat")], None), None);
    }

    #[test]
    fn flags_win_over_environment_over_the_file() {
        let file = FileConfig {
            dir: Some("from-file".into()),
            color: Some("never".into()),
            ..FileConfig::default()
        };
        let s = settings(&["list"], &[], file);
        assert_eq!(
            (s.dir.value.to_str(), s.dir.source),
            (Some("from-file"), FILE)
        );
        assert_eq!(s.color.value, ColorArg::Never);
        let file = FileConfig {
            dir: Some("from-file".into()),
            ..FileConfig::default()
        };
        let s = settings(&["list"], &[("AGENTCLI_DIR", "from-env")], file);
        assert_eq!(
            (s.dir.value.to_str(), s.dir.source),
            (Some("from-env"), "AGENTCLI_DIR")
        );
        let s = settings(
            &["list", "--dir", "from-flag"],
            &[("AGENTCLI_DIR", "from-env")],
            FileConfig::default(),
        );
        assert_eq!(
            (s.dir.value.to_str(), s.dir.source),
            (Some("from-flag"), FLAG)
        );
    }
}
