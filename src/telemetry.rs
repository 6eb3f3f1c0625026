//! Logging setup: `tracing` with an `EnvFilter` (`RUST_LOG` wins over `-v`).

use tracing_subscriber::EnvFilter;

/// Install the global subscriber. `verbosity` counts `-v` flags: 0 = info, 1 = debug, 2+ = trace.
pub fn init(verbosity: u8, json: bool) {
    let default = match verbosity {
        0 => "info",
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
