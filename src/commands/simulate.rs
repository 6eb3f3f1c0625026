//! `igflight simulate`: the simulated Graph API alone, as an HTTP server.

use crate::cli::SimulateArgs;

/// Serve the simulated Graph API until the process ends; prints its base URL, token and stats URL.
pub async fn run(args: SimulateArgs) -> anyhow::Result<()> {
    let config = args.to_config();
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    let addr = listener.local_addr()?;
    println!("igflight simulated Graph API listening on http://{addr}");
    println!("  base URL: http://{addr}/v15.0   token: {}", config.token);
    println!("  call stats: http://{addr}/__stats");
    let versions = crate::sim::served_versions(config.api_as_of);
    println!(
        "  Graph API as of {}: {}",
        config.api_as_of,
        versions.join(", ")
    );
    crate::sim::serve_forever(config, listener).await?;
    Ok(())
}
