//! The config file of the command line (`--config FILE`, else `igflight.toml` in the config folder
//! when present): TOML with the same keys as the flags, so a server's settings live in one file.
//!
//! ```toml
//! listen = "0.0.0.0:50051"      # top level: any command that has the flag
//! calls-per-hour = 150
//! [serve]                       # a table per command: only that command
//! auth-file = "/etc/igflight/clients.txt"
//! cache-ttl = ["media=10m", "insights=1h"]
//! ```
//!
//! Precedence: a flag on the command line, then its environment variable, then the file, then the
//! default. It is done with clap alone: the command line is parsed once leniently to learn the
//! command and where each value came from, and every flag the file sets that neither the command line
//! nor the environment set is added to the arguments, which are parsed again. clap then checks the
//! file's values exactly as it checks typed ones.
//!
//! Keys are the long flag names (`calls-per-hour` or `calls_per_hour`); a boolean flag takes `true`
//! or `false`, a repeatable one an array, `verbose` a count. A key that no command has, or that the
//! command's own table does not have, is refused with the accepted keys.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::parser::ValueSource;
use clap::{ArgMatches, Command, CommandFactory, FromArgMatches};

use crate::cli::Cli;

/// The config file's name in the config folder (`$IGFLIGHT_CONFIG_DIR`, else `~/.config/igflight`).
pub const CONFIG_FILE: &str = "igflight.toml";

/// The largest config file read.
const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// Why the config file could not be used (a usage error: exit 2).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("could not read the config file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is too large.
    #[error("the config file {path} is larger than 1 MiB")]
    TooLarge {
        /// The file.
        path: String,
    },
    /// Not TOML, or a value of the wrong kind.
    #[error("config file {path}: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// The command line, with the config file's values where neither the command line nor the environment
/// gave one.
#[derive(Debug)]
pub struct Parsed {
    /// The typed arguments.
    pub cli: Cli,
    /// clap's matches of the final parse: where each value came from (`--print-config`).
    pub matches: ArgMatches,
    /// The config file read, if any.
    pub file: Option<PathBuf>,
    /// The flags whose values came from the file (long names).
    pub from_file: Vec<String>,
}

/// Parse the process's arguments with the config file; on a usage error print it and exit 2 (on
/// `--help` and `--version`, print and exit 0), as `Cli::parse` does.
pub fn parse() -> Parsed {
    match parse_from(std::env::args_os().collect()) {
        Ok(p) => p,
        Err(Failure::Clap(e)) => e.exit(),
        Err(Failure::Config(e)) => {
            eprintln!("error: {e}");
            std::process::exit(crate::commands::EXIT_USAGE)
        }
    }
}

/// Why [`parse_from`] failed.
#[derive(Debug)]
pub enum Failure {
    /// clap's own error (usage, help, version), to print with its exit code.
    Clap(clap::Error),
    /// The config file.
    Config(ConfigError),
}

/// [`parse`] of `args` (the program name first).
pub fn parse_from(args: Vec<OsString>) -> Result<Parsed, Failure> {
    let (path, explicit) = match config_flag(&args) {
        Some(p) => (Some(p), true),
        None => (default_file(), false),
    };
    // without a file (or when the command line itself is wrong) clap parses as usual
    let plain = |file: Option<PathBuf>| -> Result<Parsed, Failure> {
        let matches = Cli::command()
            .try_get_matches_from(&args)
            .map_err(Failure::Clap)?;
        finish(matches, file, Vec::new())
    };
    let Some(path) = path.filter(|p| explicit || p.is_file()) else {
        return plain(None);
    };
    let table = read(&path).map_err(Failure::Config)?;
    // learn the command and where its values came from; errors wait for the real parse
    let Ok(lenient) = Cli::command()
        .ignore_errors(true)
        .try_get_matches_from(&args)
    else {
        return plain(Some(path));
    };
    let mut root = Cli::command();
    root.build();
    let (names, leaf_matches) = leaf(&lenient);
    let Some(leaf_cmd) = find(&root, &names) else {
        return plain(Some(path));
    };
    let settings = settings_for(&table, &root, &names, leaf_cmd, &path).map_err(Failure::Config)?;
    let mut added: Vec<OsString> = Vec::new();
    let mut from_file = Vec::new();
    for (arg, value) in settings {
        let id = arg.get_id().as_str();
        let given = leaf_matches
            .value_source(id)
            .is_some_and(|s| matches!(s, ValueSource::CommandLine | ValueSource::EnvVariable));
        if given {
            continue;
        }
        let long = arg.get_long().unwrap_or(id).to_string();
        added.extend(as_args(arg, &long, &value, &path).map_err(Failure::Config)?);
        from_file.push(long);
    }
    // the file's flags go before a `--` (after it everything is positional)
    let at = args.iter().position(|a| a == "--").unwrap_or(args.len());
    let mut full = args[..at].to_vec();
    full.extend(added);
    full.extend_from_slice(&args[at..]);
    match Cli::command().try_get_matches_from(&full) {
        Ok(matches) => finish(matches, Some(path), from_file),
        Err(e) if !from_file.is_empty() && e.use_stderr() => {
            // clap names the flag; say the value may be the file's
            Err(Failure::Config(ConfigError::Invalid {
                path: path.display().to_string(),
                message: format!(
                    "{} (the file sets {})",
                    e.render().to_string().trim().trim_start_matches("error: "),
                    from_file
                        .iter()
                        .map(|f| format!("`{f}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }))
        }
        Err(e) => Err(Failure::Clap(e)),
    }
}

fn finish(
    matches: ArgMatches,
    file: Option<PathBuf>,
    from_file: Vec<String>,
) -> Result<Parsed, Failure> {
    let cli = Cli::from_arg_matches(&matches).map_err(Failure::Clap)?;
    Ok(Parsed {
        cli,
        matches,
        file,
        from_file,
    })
}

/// The value of `--config FILE` / `--config=FILE` on the command line, before any `--`.
fn config_flag(args: &[OsString]) -> Option<PathBuf> {
    let mut it = args.iter().skip(1);
    while let Some(a) = it.next() {
        if a == "--" {
            return None;
        }
        if a == "--config" {
            return it.next().map(PathBuf::from);
        }
        if let Some(v) = a.to_str().and_then(|s| s.strip_prefix("--config=")) {
            return Some(PathBuf::from(v));
        }
    }
    None
}

/// `igflight.toml` in the config folder, if there is a config folder.
fn default_file() -> Option<PathBuf> {
    crate::accounts::config_dir()
        .ok()
        .map(|d| d.join(CONFIG_FILE))
}

/// The file as a TOML table.
fn read(path: &Path) -> Result<toml::Table, ConfigError> {
    use std::io::Read;
    let shown = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|source| ConfigError::Read {
        path: shown.clone(),
        source,
    })?;
    let mut text = String::new();
    file.take(MAX_CONFIG_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|source| ConfigError::Read {
            path: shown.clone(),
            source,
        })?;
    if text.len() as u64 > MAX_CONFIG_BYTES {
        return Err(ConfigError::TooLarge { path: shown });
    }
    text.parse::<toml::Table>()
        .map_err(|e| ConfigError::Invalid {
            path: shown,
            message: e.message().to_string(),
        })
}

/// The names of the subcommands chosen (`["sync", "run"]`) and the matches of the last one.
fn leaf(matches: &ArgMatches) -> (Vec<String>, &ArgMatches) {
    let mut names = Vec::new();
    let mut m = matches;
    while let Some((name, sub)) = m.subcommand() {
        names.push(name.to_string());
        m = sub;
    }
    (names, m)
}

/// The (built) subcommand at `names` under `root`.
fn find<'a>(root: &'a Command, names: &[String]) -> Option<&'a Command> {
    let mut cmd = root;
    for n in names {
        cmd = cmd.find_subcommand(n)?;
    }
    Some(cmd)
}

/// The flags of every command, by key (long names), to tell a misspelt key from one meant for another
/// command.
fn all_longs(cmd: &Command, out: &mut Vec<String>) {
    out.extend(
        cmd.get_arguments()
            .filter_map(|a| a.get_long().map(str::to_string)),
    );
    for sub in cmd.get_subcommands() {
        all_longs(sub, out);
    }
}

/// A key as a long flag name: `calls_per_hour` is `calls-per-hour`.
fn key_name(key: &str) -> String {
    key.replace('_', "-")
}

/// The flags of `leaf` the file sets, with their values: the top-level keys the command has, then its
/// own table's (`[serve]`), which win.
fn settings_for<'a>(
    table: &toml::Table,
    root: &Command,
    names: &[String],
    leaf: &'a Command,
    path: &Path,
) -> Result<Vec<(&'a clap::Arg, toml::Value)>, ConfigError> {
    let invalid = |message: String| ConfigError::Invalid {
        path: path.display().to_string(),
        message,
    };
    let commands: Vec<&str> = root.get_subcommands().map(Command::get_name).collect();
    let mut known = Vec::new();
    all_longs(root, &mut known);
    // the flags the file may set: named, taking a value or a switch, not --config/--help/--version
    let flag = |key: &str| {
        let name = key_name(key);
        leaf.get_arguments().find(|a| {
            a.get_long() == Some(name.as_str())
                && !matches!(
                    name.as_str(),
                    "config" | "help" | "version" | "print-config"
                )
        })
    };
    let mut out: Vec<(&clap::Arg, toml::Value)> = Vec::new();
    let mut put = |arg: &'a clap::Arg, v: &toml::Value| {
        out.retain(|(a, _)| a.get_id() != arg.get_id());
        out.push((arg, v.clone()));
    };
    for (key, value) in table {
        if commands.contains(&key.as_str()) {
            continue;
        }
        if let toml::Value::Table(_) = value {
            return Err(invalid(format!(
                "`[{key}]` is not a command; accepted tables: {}",
                commands
                    .iter()
                    .map(|c| format!("[{c}]"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        match flag(key) {
            Some(arg) => put(arg, value),
            None if known.contains(&key_name(key)) => {} // another command's flag
            None => {
                return Err(invalid(format!(
                    "unknown key `{key}`; keys are the long flag names of `igflight COMMAND --help`"
                )));
            }
        }
    }
    let Some(own) = names.first().and_then(|n| table.get(n)) else {
        return Ok(out);
    };
    let Some(own) = own.as_table() else {
        return Err(invalid(format!(
            "`{}` must be a table ([{}])",
            names[0], names[0]
        )));
    };
    for (key, value) in own {
        match flag(key) {
            Some(arg) => put(arg, value),
            None => {
                let mut accepted: Vec<&str> = leaf
                    .get_arguments()
                    .filter_map(clap::Arg::get_long)
                    .filter(|l| !matches!(*l, "config" | "help" | "version" | "print-config"))
                    .collect();
                accepted.sort_unstable();
                return Err(invalid(format!(
                    "unknown key `{key}` in [{}]; accepted: {}",
                    names.join(" "),
                    accepted.join(", ")
                )));
            }
        }
    }
    Ok(out)
}

/// The arguments that set `arg` to `value`: `--long VALUE` (repeated for an array), `--long` for
/// `true`, nothing for `false`, `--long` n times for a count.
fn as_args(
    arg: &clap::Arg,
    long: &str,
    value: &toml::Value,
    path: &Path,
) -> Result<Vec<OsString>, ConfigError> {
    let flag = OsString::from(format!("--{long}"));
    let invalid = |what: &str| ConfigError::Invalid {
        path: path.display().to_string(),
        message: format!("`{long}` {what}"),
    };
    let scalar = |v: &toml::Value| -> Result<String, ConfigError> {
        match v {
            toml::Value::String(s) => Ok(s.clone()),
            toml::Value::Integer(i) => Ok(i.to_string()),
            toml::Value::Float(f) => Ok(f.to_string()),
            toml::Value::Boolean(b) => Ok(b.to_string()),
            toml::Value::Datetime(d) => Ok(d.to_string()),
            _ => Err(invalid("takes a string, number or boolean")),
        }
    };
    let action = arg.get_action();
    if matches!(action, clap::ArgAction::Count) {
        let n = value
            .as_integer()
            .filter(|n| (0..=3).contains(n))
            .ok_or_else(|| invalid("takes a count from 0 to 3"))?;
        return Ok((0..n).map(|_| flag.clone()).collect());
    }
    if !action.takes_values() {
        return match value.as_bool() {
            Some(true) => Ok(vec![flag]),
            Some(false) => Ok(Vec::new()),
            None => Err(invalid("takes true or false")),
        };
    }
    let values = match value {
        toml::Value::Array(items) if matches!(action, clap::ArgAction::Append) => {
            items.iter().map(scalar).collect::<Result<Vec<_>, _>>()?
        }
        toml::Value::Array(_) => return Err(invalid("takes one value, not an array")),
        v => vec![scalar(v)?],
    };
    Ok(values
        .into_iter()
        .flat_map(|v| [flag.clone(), OsString::from(v)])
        .collect())
}

/// The effective settings of the command `matches` ran, as a config file: every flag with its value
/// and where it came from, secret values (flags that hide their environment values) redacted.
pub fn effective(parsed: &Parsed) -> String {
    let mut root = Cli::command();
    root.build();
    let (names, m) = leaf(&parsed.matches);
    let Some(cmd) = find(&root, &names) else {
        return String::new();
    };
    let mut out = String::new();
    out.push_str(&format!(
        "# igflight {} settings: command line, then environment, then {}, then defaults\n",
        names.join(" "),
        parsed
            .file
            .as_ref()
            .map_or("no config file".to_string(), |p| format!(
                "the config file {}",
                p.display()
            ))
    ));
    if std::env::var_os(crate::accounts::TOKEN_ENV).is_some_and(|v| !v.is_empty()) {
        out.push_str(&format!(
            "# {} is set (the Graph access token; not shown)\n",
            crate::accounts::TOKEN_ENV
        ));
    }
    out.push_str(&format!("[{}]\n", names.first().map_or("", String::as_str)));
    for arg in cmd.get_arguments() {
        let Some(long) = arg.get_long() else { continue };
        if matches!(long, "config" | "help" | "version" | "print-config") {
            continue;
        }
        let id = arg.get_id().as_str();
        let source = match m.value_source(id) {
            Some(ValueSource::CommandLine) if parsed.from_file.iter().any(|f| f == long) => {
                "config file"
            }
            Some(ValueSource::CommandLine) => "command line",
            Some(ValueSource::EnvVariable) => "environment",
            Some(ValueSource::DefaultValue) => "default",
            Some(_) => "other",
            None => "unset",
        };
        let secret = arg.is_hide_env_values_set();
        let action = arg.get_action();
        let value = if matches!(action, clap::ArgAction::Count) {
            m.get_count(id).to_string()
        } else if !action.takes_values() {
            m.get_flag(id).to_string()
        } else {
            let raw: Vec<String> = m
                .get_raw(id)
                .map(|vs| vs.map(|v| v.to_string_lossy().into_owned()).collect())
                .unwrap_or_default();
            let shown: Vec<String> = raw
                .iter()
                .map(|v| match v.parse::<i64>() {
                    Ok(n) if !secret => n.to_string(),
                    _ => {
                        let v = if secret { "<redacted>" } else { v.as_str() };
                        toml::Value::String(v.to_string()).to_string()
                    }
                })
                .collect();
            match (matches!(action, clap::ArgAction::Append), shown.len()) {
                (_, 0) if source == "unset" => {
                    out.push_str(&format!("# {long} =  # unset\n"));
                    continue;
                }
                (true, _) => format!("[{}]", shown.join(", ")),
                (false, _) => shown.join(", "),
            }
        };
        // defaults are shown commented out: the printed file sets only what was set
        let comment = if source == "default" { "# " } else { "" };
        out.push_str(&format!("{comment}{long} = {value}  # {source}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<OsString> {
        std::iter::once("igflight")
            .chain(a.iter().copied())
            .map(OsString::from)
            .collect()
    }

    fn write(text: &str) -> (tempfile::TempDir, String) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("igflight.toml");
        std::fs::write(&path, text).unwrap();
        let p = path.display().to_string();
        (dir, p)
    }

    fn serve(p: &Parsed) -> &crate::cli::ServeArgs {
        match &p.cli.command {
            crate::cli::Command::Serve(s) => s,
            _ => panic!("not serve"),
        }
    }

    #[test]
    fn the_file_sets_what_the_command_line_does_not() {
        let (_d, path) = write(
            "calls-per-hour = 150\nlisten = \"127.0.0.1:6000\"\nverbose = 1\n\
             [serve]\nlisten = \"127.0.0.1:7000\"\ncache_ttl = [\"media=10m\", \"insights=1h\"]\n\
             log-json = true\nsql-timeout = 60\n",
        );
        let p = parse_from(args(&["serve", "--config", &path, "--sql-timeout", "90"])).unwrap();
        let s = serve(&p);
        // the command's table wins over the top level; the command line over both
        assert_eq!(s.listen.to_string(), "127.0.0.1:7000");
        assert_eq!(s.api.graph.calls_per_hour, 150);
        assert_eq!(s.api.graph.cache_ttl.len(), 2);
        assert_eq!(s.sql.sql_timeout, 90);
        assert!(p.cli.logging.log_json);
        assert_eq!(p.cli.logging.verbose, 1);
        assert!(p.from_file.contains(&"listen".to_string()));
        assert!(!p.from_file.contains(&"sql-timeout".to_string()));
        // `--config=FILE` and a `--` keep working
        let p = parse_from(args(&[
            &format!("--config={path}"),
            "sql",
            "--demo",
            "--",
            "SELECT 1",
        ]))
        .unwrap();
        match &p.cli.command {
            crate::cli::Command::Sql(q) => {
                assert_eq!(q.query, "SELECT 1");
                assert_eq!(q.source.api.graph.calls_per_hour, 150);
            }
            _ => panic!("not sql"),
        }
    }

    #[test]
    fn keys_and_values_are_checked() {
        for (text, needle) in [
            ("listne = \"x\"\n", "unknown key `listne`"),
            (
                "[serve]\nseed-x = 1\n",
                "unknown key `seed-x` in [serve]; accepted: ",
            ),
            ("[srve]\nlisten = \"x\"\n", "`[srve]` is not a command"),
            ("listen = \n", "config file"),
            (
                "[serve]\nlisten = \"nowhere\"\n",
                "invalid value 'nowhere' for '--listen",
            ),
            (
                "[serve]\nlog-json = \"yes\"\n",
                "`log-json` takes true or false",
            ),
            (
                "[serve]\nlisten = [\"a\", \"b\"]\n",
                "`listen` takes one value",
            ),
        ] {
            let (_d, path) = write(text);
            let e = match parse_from(args(&["serve", "--config", &path])) {
                Err(Failure::Config(e)) => e.to_string(),
                other => panic!("{text}: {other:?}"),
            };
            assert!(e.contains(needle) && e.contains(&path), "{text}: {e}");
        }
        // a file past 1 MiB is refused before it is parsed
        let (_d, path) = write(&format!("# {}\n", "x".repeat(1 << 20)));
        match parse_from(args(&["serve", "--config", &path])) {
            Err(Failure::Config(e @ ConfigError::TooLarge { .. })) => {
                assert!(e.to_string().contains("larger than 1 MiB"), "{e}")
            }
            other => panic!("{other:?}"),
        }
        // a count past what -v means is refused, not repeated a billion times
        let (_d, path) = write("verbose = 1000000000\n");
        match parse_from(args(&["serve", "--config", &path])) {
            Err(Failure::Config(e)) => assert!(e.to_string().contains("count from 0 to 3"), "{e}"),
            other => panic!("{other:?}"),
        }
        // a key of another command is not an error (`format` is sql's and export's)
        let (_d, path) = write("format = \"csv\"\n");
        assert!(parse_from(args(&["serve", "--config", &path])).is_ok());
        // an explicit file that does not exist is
        match parse_from(args(&["serve", "--config", "/nonexistent/igflight.toml"])) {
            Err(Failure::Config(ConfigError::Read { path, .. })) => {
                assert!(path.contains("nonexistent"))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn print_config_redacts_secrets_and_says_where_values_came_from() {
        let (_d, path) = write("[serve]\napp-secret = \"s3cret\"\nauth-token = [\"tok1\"]\n");
        let p = parse_from(args(&[
            "serve",
            "--config",
            &path,
            "--listen",
            "127.0.0.1:1",
        ]))
        .unwrap();
        let text = effective(&p);
        assert!(!text.contains("s3cret") && !text.contains("tok1"), "{text}");
        assert!(
            text.contains("app-secret = \"<redacted>\"  # config file"),
            "{text}"
        );
        assert!(
            text.contains("auth-token = [\"<redacted>\"]  # config file"),
            "{text}"
        );
        assert!(
            text.contains("listen = \"127.0.0.1:1\"  # command line"),
            "{text}"
        );
        assert!(text.contains("# calls-per-hour = 200  # default"), "{text}");
        // what it prints is a config file that gives the same settings
        let (_d2, again) = write(&text.replace("\"<redacted>\"", "\"x\""));
        assert!(
            parse_from(args(&["serve", "--config", &again])).is_ok(),
            "{text}"
        );
    }
}
