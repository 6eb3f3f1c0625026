//! `igflight serve`: build the Graph client (or start the demo simulator), then serve Flight until
//! Ctrl-C.

use std::sync::Arc;

use anyhow::Context;

use super::{IgFlightService, demo_examples, serve};
use crate::cli::ServeArgs;
use crate::plan::ReportContext;
use crate::sim::{SimConfig, Simulator};

/// The environment variable holding the Graph access token.
pub const TOKEN_ENV: &str = "IGFLIGHT_ACCESS_TOKEN";

/// Run `igflight serve` until Ctrl-C.
pub async fn run_serve(args: ServeArgs) -> anyhow::Result<()> {
    let mut sim = None;
    let (client, examples) = if args.demo {
        let config = SimConfig {
            seed: args.seed,
            ..SimConfig::default()
        };
        let handle = Simulator::start(config, "127.0.0.1:0".parse()?)
            .await
            .context("could not start the simulated Graph API")?;
        let client = args
            .graph
            .client(handle.token().to_string(), Some(handle.base_url()))?;
        let examples = demo_examples(&handle.dataset());
        println!(
            "igflight demo: simulated Graph API on {}/{} (seed {})",
            handle.base_url(),
            args.graph.graph_version,
            args.seed
        );
        sim = Some(handle);
        (client, Some(examples))
    } else {
        let selected =
            crate::accounts::select_token(&args.graph, args.connection.as_deref()).await?;
        (
            args.graph
                .client(selected.token.expose().to_string(), None)?,
            None,
        )
    };

    let ctx = Arc::new(ReportContext::new(client));
    let mut service = IgFlightService::new(ctx);
    if let Some(examples) = examples {
        service = service.with_examples(examples);
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("could not listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    println!("igflight serving Flight on grpc://{addr}");
    tracing::info!(%addr, demo = args.demo, "Flight server listening");
    serve(service, listener, async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down");
    })
    .await?;
    if let Some(sim) = sim {
        sim.shutdown().await;
    }
    Ok(())
}
