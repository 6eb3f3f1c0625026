//! Logging setup: `tracing` with an `EnvFilter` (`RUST_LOG` wins over `-v`).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Install the global subscriber for a long-running command (`serve`, `simulate`): info by default.
/// `verbosity` counts `-v` flags: 1 = debug, 2+ = trace.
pub fn init(verbosity: u8, json: bool) {
    init_with_default(verbosity, json, "info");
}

/// DataFusion and its SQL parser log every token, logical and physical plan, literals included, at debug
/// and trace: a query with a long literal would write a line as long. These targets stay at info unless
/// `RUST_LOG` says otherwise.
const PLAN_LOGGING_TARGETS: [&str; 8] = [
    "sqlparser",
    "datafusion",
    "datafusion_optimizer",
    "datafusion_physical_optimizer",
    "datafusion_physical_plan",
    "datafusion_sql",
    "datafusion_expr",
    "datafusion_execution",
];

/// The filter directives without `RUST_LOG`: `quiet_level` without `-v`, igflight at debug with `-v`,
/// everything at trace with `-vv` (except DataFusion's plan logging, see [`PLAN_LOGGING_TARGETS`]).
pub fn default_filter(verbosity: u8, quiet_level: &str) -> String {
    let quiet_planner = PLAN_LOGGING_TARGETS.map(|t| format!("{t}=info")).join(",");
    match verbosity {
        0 => quiet_level.to_string(),
        1 => format!("igflight=debug,info,{quiet_planner}"),
        _ => format!("trace,{quiet_planner}"),
    }
}

/// Install the global subscriber with `quiet_level` as the level without `-v` (the one-shot commands use
/// `warn`, so stderr stays for progress and errors).
pub fn init_with_default(verbosity: u8, json: bool, quiet_level: &str) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(default_filter(verbosity, quiet_level)));
    // colours only for a person at a terminal: redirected logs (a file, journald, docker) get no
    // escape codes
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// Longest prefix of a client-supplied value that goes into a log line or an error message.
pub const LOG_VALUE_CHARS: usize = 200;

/// A client-supplied value cut to its first `max` characters, with its full length when it was cut:
/// `abc… (31457280 bytes)`. Log lines and messages quote values through this, so a 30 MB ticket or
/// account id costs a line of a few hundred bytes.
pub fn bounded(value: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match value.char_indices().nth(max) {
        None => std::borrow::Cow::Borrowed(value),
        Some((cut, _)) => {
            std::borrow::Cow::Owned(format!("{}… ({} bytes)", &value[..cut], value.len()))
        }
    }
}

/// [`bounded`] with [`LOG_VALUE_CHARS`], as a `Display` for `tracing` fields (`value = %Bounded(s)`).
#[derive(Debug, Clone, Copy)]
pub struct Bounded<'a>(pub &'a str);

impl std::fmt::Display for Bounded<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&bounded(self.0, LOG_VALUE_CHARS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_cut_with_their_length() {
        assert_eq!(bounded("short", 10), "short");
        assert_eq!(bounded("abcdef", 3), "abc… (6 bytes)");
        // cut on a character boundary
        assert_eq!(bounded("ééé", 2), "éé… (6 bytes)");
        let big = "x".repeat(30 << 20);
        assert!(Bounded(&big).to_string().len() < LOG_VALUE_CHARS + 40);
    }
}
