//! Logging setup: `tracing` with an `EnvFilter` (`RUST_LOG` wins over `-v`).

use tracing_subscriber::EnvFilter;

/// Install the global subscriber for a long-running command (`serve`, `simulate`): info by default.
/// `verbosity` counts `-v` flags: 1 = debug, 2+ = trace.
pub fn init(verbosity: u8, json: bool) {
    init_with_default(verbosity, json, "info");
}

/// Install the global subscriber with `quiet_level` as the level without `-v` (the one-shot commands use
/// `warn`, so stderr stays for progress and errors).
pub fn init_with_default(verbosity: u8, json: bool, quiet_level: &str) {
    let default = match verbosity {
        0 => quiet_level,
        1 => "igflight=debug,info",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
