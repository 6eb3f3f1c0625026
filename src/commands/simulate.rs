//! `igflight simulate`: the simulated Graph API alone, as an HTTP server.

use crate::cli::SimulateArgs;

/// Serve the simulated Graph API until Ctrl-C or SIGTERM; prints its base URL, token and stats URL.
pub async fn run(args: SimulateArgs) -> anyhow::Result<()> {
    let stop = super::stop_signal();
    let config = args.to_config();
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| anyhow::anyhow!(super::serve::listen_error(args.listen, &e)))?;
    let addr = listener.local_addr()?;
    println!("igflight simulated Graph API listening on http://{addr}");
    let versions = crate::sim::served_versions(config.api_as_of);
    let oldest = versions.first().map_or("v15.0", String::as_str);
    let note = if versions.iter().any(|v| v == "v15.0") {
        String::new()
    } else {
        format!(" (v15.0 has expired: answered by {oldest})")
    };
    println!(
        "  base URL: http://{addr}/v15.0{note}   token: {}",
        config.token
    );
    println!("  call stats: http://{addr}/__stats");
    println!(
        "  data clock: {} (runs with the wall clock; GET/POST http://{addr}/__sim/clock, simulator only)",
        config.now.format("%Y-%m-%dT%H:%M:%SZ")
    );
    println!(
        "  Graph API as of {}: {} served",
        config.api_as_of,
        versions.join(", ")
    );
    // Ctrl-C or SIGTERM ends it cleanly (exit 0)
    tokio::select! {
        served = crate::sim::serve_forever(config, listener) => served?,
        _ = stop => eprintln!("simulate: stopped"),
    }
    Ok(())
}
