//! The optional config file: defaults that flags and environment variables
//! override. `$AGENTCLI_CONFIG`, else `$XDG_CONFIG_HOME/agentcli/config.toml`,
//! else `~/.config/agentcli/config.toml`.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};
use serde::Deserialize;

use crate::output::Env;

/// What a config file may set; every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub dir: Option<PathBuf>,
    pub color: Option<String>,
    pub pager: Option<String>,
    pub width: Option<u16>,
    pub time_format: Option<String>,
    pub time_zone: Option<String>,
    #[serde(default)]
    pub redact: Vec<String>,
    pub redact_defaults: Option<bool>,
}

/// Where the config file is looked for, and whether it was named
/// explicitly (then it must exist).
pub fn location(env: &dyn Env) -> Option<(PathBuf, bool)> {
    if let Some(explicit) = env.var("AGENTCLI_CONFIG") {
        return (!explicit.is_empty()).then(|| (PathBuf::from(explicit), true));
    }
    let base = xdg_dir(env, "XDG_CONFIG_HOME", ".config")?;
    Some((base.join("agentcli").join("config.toml"), false))
}

/// An XDG base directory: `$VAR` when set, else `~/FALLBACK`.
pub(super) fn xdg_dir(env: &dyn Env, var: &str, fallback: &str) -> Option<PathBuf> {
    env.var(var)
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            env.var("HOME")
                .filter(|h| !h.is_empty())
                .map(|h| Path::new(&h).join(fallback))
        })
}

/// The config file's settings, with whether one was read. A file named by
/// `AGENTCLI_CONFIG` must exist; the default one may not.
pub fn load(env: &dyn Env) -> Result<(FileConfig, Option<PathBuf>)> {
    let Some((path, explicit)) = location(env) else {
        return Ok((FileConfig::default(), None));
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
            return Ok((FileConfig::default(), None));
        }
        Err(e) => {
            return Err(e)
                .with_context(|| format!("cannot read the config file {}", path.display()))
        }
    };
    let mut config = parse(&text).map_err(|e| anyhow!("config file {}: {e}", path.display()))?;
    // `~/…` as a shell would read it.
    if let (Some(dir), Some(home)) = (&config.dir, env.var("HOME")) {
        if let Ok(rest) = dir.strip_prefix("~") {
            config.dir = Some(Path::new(&home).join(rest));
        }
    }
    Ok((config, Some(path)))
}

/// Parses a config file's text; errors name the line and the key.
pub fn parse(text: &str) -> Result<FileConfig, String> {
    toml::from_str(text).map_err(|e| {
        let message = e.message().trim_end().to_string();
        match e.span() {
            Some(span) => {
                let before = &text.as_bytes()[..span.start.min(text.len())];
                let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
                format!("line {line}: {message}")
            }
            None => message,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_parses() {
        let c = parse(
            "dir = \"traces\"\ncolor = \"never\"\npager = \"less -R\"\nwidth = 100\n\
             time_format = \"relative\"\ntime_zone = \"utc\"\nredact = [\"*token*\"]\n\
             redact_defaults = true\n",
        )
        .unwrap();
        assert_eq!(c.dir.as_deref(), Some(Path::new("traces")));
        assert_eq!(c.width, Some(100));
        assert_eq!(c.redact, ["*token*"]);
        assert_eq!(c.redact_defaults, Some(true));
    }

    #[test]
    fn unknown_keys_and_bad_values_name_the_line() {
        let e = parse("color = \"never\"\ncolour = \"always\"\n").unwrap_err();
        assert!(e.starts_with("line 2: unknown field `colour`"), "{e}");
        let e = parse("\n\nwidth = \"wide\"\n").unwrap_err();
        assert!(e.starts_with("line 3:"), "{e}");
    }
}
