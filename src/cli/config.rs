//! Configuration from flags, environment variables and an optional TOML file, in that order of
//! precedence, then the built-in defaults.
//!
//! The file's settings become the *defaults* of the matching flags before the command line is parsed,
//! so clap applies the precedence by itself: a flag beats its environment variable, which beats the
//! file, which beats the built-in default. The file uses the flags' names (`listen = "0.0.0.0:8080"`,
//! `database-url` or `database_url`) and applies to every command that has the setting.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::parser::ValueSource;
use clap::{ArgMatches, Command, CommandFactory, FromArgMatches};

use super::Cli;

/// The environment variable naming the configuration file (the `--config` flag wins over it).
pub const CONFIG_ENV: &str = "CUSTOMER_INSIGHTS_CONFIG";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration file {path}: {reason}")]
    File { path: PathBuf, reason: String },
}

/// The parsed command line, and which settings came from the configuration file.
pub struct LoadedCli {
    pub cli: Cli,
    pub(super) matches: ArgMatches,
    pub(super) from_file: BTreeSet<String>,
    pub config_file: Option<PathBuf>,
}

/// Where a setting's value came from, for the start-up log.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Flag,
    Environment,
    File,
    Default,
}

impl Source {
    pub const fn as_str(self) -> &'static str {
        match self {
            Source::Flag => "flag",
            Source::Environment => "environment",
            Source::File => "file",
            Source::Default => "default",
        }
    }
}

/// One effective setting, with secrets masked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setting {
    pub name: String,
    pub value: String,
    pub source: Source,
}

/// Parses `args` (the program name first) and the configuration file they or the environment name.
/// Exits with clap's usage message on bad flags, like `Cli::parse` would.
pub fn load(args: Vec<OsString>) -> Result<LoadedCli, ConfigError> {
    let config_file = config_path(&args);
    let (command, from_file) = match &config_file {
        Some(path) => apply_file(Cli::command(), path)?,
        None => (Cli::command(), BTreeSet::new()),
    };
    let matches = command.get_matches_from(args);
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    Ok(LoadedCli { cli, matches, from_file, config_file })
}

impl LoadedCli {
    /// The settings of the subcommand being run, each with its value (secrets masked) and source.
    pub fn effective_settings(&self) -> Vec<Setting> {
        let mut settings = settings_of(&self.matches, &self.from_file);
        if let Some((_, sub)) = self.matches.subcommand() {
            settings.extend(settings_of(sub, &self.from_file));
        }
        settings
    }
}

fn settings_of(matches: &ArgMatches, from_file: &BTreeSet<String>) -> Vec<Setting> {
    let mut settings = Vec::new();
    for id in matches.ids() {
        let name = id.as_str();
        if NOT_SETTINGS.contains(&name) {
            continue;
        }
        let Some((values, source)) = value_of(matches, name, from_file) else { continue };
        let value = values.join(",");
        settings.push(Setting { name: name.replace('_', "-"), value: mask(name, &value), source });
    }
    settings
}

/// Flags of the command line that are not settings of a configuration file.
pub(super) const NOT_SETTINGS: [&str; 4] = ["config", "print_config", "help", "version"];

/// The values of the setting `id` (unmasked) and where they came from; `None` when it has none.
pub(super) fn value_of(matches: &ArgMatches, id: &str, from_file: &BTreeSet<String>) -> Option<(Vec<String>, Source)> {
    // First: it errs on ids that are not this level's own, such as the values of global flags a
    // subcommand passed up, where `value_source` would panic.
    let raw = matches.try_get_raw(id).ok()??;
    let source = matches.value_source(id)?;
    let values = raw.map(|v| v.to_string_lossy().into_owned()).collect();
    let source = match source {
        ValueSource::CommandLine => Source::Flag,
        ValueSource::EnvVariable => Source::Environment,
        _ if from_file.contains(id) => Source::File,
        _ => Source::Default,
    };
    Some((values, source))
}

/// Hides passwords in URLs and any value of a setting named like a secret.
pub fn mask(name: &str, value: &str) -> String {
    if is_secret_name(name) {
        return "****".to_owned();
    }
    mask_url_password(value)
}

/// Hides the secrets of a database URL: the password of its user-info
/// (`postgres://user:secret@host/db` becomes `postgres://user:****@host/db`) and the values of query
/// parameters named like secrets (`?password=...`, `sslpassword`, ...).
pub fn mask_url_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{user}:****@{host}"),
            None => authority.to_owned(),
        },
        None => authority.to_owned(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let parameters: Vec<String> = query
                .split('&')
                .map(|parameter| match parameter.split_once('=') {
                    Some((name, _)) if is_secret_name(name) => format!("{name}=****"),
                    _ => parameter.to_owned(),
                })
                .collect();
            format!("{path}?{}", parameters.join("&"))
        }
        None => tail.to_owned(),
    };
    format!("{scheme}://{authority}{tail}")
}

/// Whether a setting or parameter name says it holds a secret.
fn is_secret_name(name: &str) -> bool {
    let lowered = name.to_ascii_lowercase();
    ["password", "passwd", "secret", "token", "key"].iter().any(|word| lowered.contains(word))
}

/// `--config FILE`, `--config=FILE`, or the environment variable.
fn config_path(args: &[OsString]) -> Option<PathBuf> {
    let mut iter = args.iter().skip(1);
    while let Some(arg) = iter.next() {
        let text = arg.to_string_lossy();
        if text == "--" {
            break;
        }
        if text == "--config" {
            return iter.next().map(PathBuf::from);
        }
        if let Some(path) = text.strip_prefix("--config=") {
            return Some(PathBuf::from(path));
        }
    }
    std::env::var_os(CONFIG_ENV).filter(|v| !v.is_empty()).map(PathBuf::from)
}

/// Makes each setting of the file the default of the flag with that name, on every command that has it.
fn apply_file(mut command: Command, path: &Path) -> Result<(Command, BTreeSet<String>), ConfigError> {
    let error = |reason: String| ConfigError::File { path: path.to_owned(), reason };
    let text = std::fs::read_to_string(path).map_err(|e| error(format!("cannot read it ({e})")))?;
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| error(e.message().to_owned()))?;
    let mut applied = BTreeSet::new();
    for (key, value) in &table {
        let id = key.replace('-', "_");
        if id == "config" {
            return Err(error("`config` cannot name another file".into()));
        }
        if id == "print_config" {
            return Err(error("`print-config` is a flag of the command line, not a setting".into()));
        }
        let values = match value {
            toml::Value::Array(items) if is_list(&command, &id) => items
                .iter()
                .map(scalar)
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| error(format!("`{key}` must be a list of strings, numbers or booleans")))?,
            value => vec![scalar(value).ok_or_else(|| {
                error(format!("`{key}` must be a string, a number or a boolean{}", list_hint(&command, &id)))
            })?],
        };
        let mut found = false;
        if has_arg(&command, &id) {
            command = command.mut_arg(&id, |arg| arg.default_values(values.clone()));
            found = true;
        }
        let subcommands: Vec<String> =
            command.get_subcommands().filter(|sub| has_arg(sub, &id)).map(|sub| sub.get_name().to_owned()).collect();
        for name in subcommands {
            found = true;
            command = command.mut_subcommand(name, |sub| sub.mut_arg(&id, |arg| arg.default_values(values.clone())));
        }
        if !found {
            return Err(error(format!("unknown setting `{key}` (settings are named like the flags of `--help`)")));
        }
        applied.insert(id);
    }
    Ok((command, applied))
}

fn has_arg(command: &Command, id: &str) -> bool {
    command.get_arguments().any(|arg| arg.get_id() == id && arg.get_long().is_some())
}

/// A TOML value the flags take: a string, a number or a boolean, as the flag would spell it.
fn scalar(value: &toml::Value) -> Option<String> {
    match value {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Integer(i) => Some(i.to_string()),
        toml::Value::Float(f) => Some(f.to_string()),
        toml::Value::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Whether the setting `id` takes a list (`allowed-origins = ["https://a.example", ...]`), on the top
/// level or on any command.
fn is_list(command: &Command, id: &str) -> bool {
    std::iter::once(command)
        .chain(command.get_subcommands())
        .flat_map(Command::get_arguments)
        .any(|arg| arg.get_id() == id && is_list_arg(arg))
}

pub(super) fn is_list_arg(arg: &clap::Arg) -> bool {
    matches!(arg.get_action(), clap::ArgAction::Append)
}

fn list_hint(command: &Command, id: &str) -> &'static str {
    if is_list(command, id) { " (or a list of them)" } else { "" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_are_masked() {
        assert_eq!(mask_url_password("postgres://app:s3cr@t@db:5432/ci"), "postgres://app:****@db:5432/ci");
        assert_eq!(mask_url_password("postgres://app@db/ci"), "postgres://app@db/ci");
        assert_eq!(mask_url_password("sqlite://customer-insights.db"), "sqlite://customer-insights.db");
        assert_eq!(mask("api_key", "abc"), "****");
        assert_eq!(
            mask("read_database_url", "postgres://u:p@h/d?sslmode=require"),
            "postgres://u:****@h/d?sslmode=require"
        );
        assert_eq!(
            mask_url_password("postgres://app@db/ci?sslmode=require&password=s3cret&sslpassword=x"),
            "postgres://app@db/ci?sslmode=require&password=****&sslpassword=****"
        );
        assert_eq!(
            mask_url_password("postgres://db/ci?user=app&password=s3cret"),
            "postgres://db/ci?user=app&password=****"
        );
    }

    #[test]
    fn the_config_flag_is_found_before_clap_parses() {
        let args = |list: &[&str]| list.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(config_path(&args(&["ci", "--config", "a.toml", "serve"])), Some(PathBuf::from("a.toml")));
        assert_eq!(config_path(&args(&["ci", "serve", "--config=b.toml"])), Some(PathBuf::from("b.toml")));
    }
}
