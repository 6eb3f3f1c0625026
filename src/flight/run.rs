//! `igflight serve`: build the Graph client (or start the demo simulator), then serve Flight until
//! Ctrl-C.

use std::sync::Arc;

use anyhow::Context;

use super::auth::Authenticator;
use super::{IgFlightService, ServeOptions, TlsOptions, demo_examples, serve_with};
use crate::cli::{ServeArgs, SourceArgs};
use crate::commands::Source;
use crate::graph::Secret;

/// The environment variable holding the Graph access token.
pub const TOKEN_ENV: &str = "IGFLIGHT_ACCESS_TOKEN";

/// Run `igflight serve` until Ctrl-C.
pub async fn run_serve(args: ServeArgs) -> anyhow::Result<()> {
    let options = serve_options(&args)?;
    // the same startup as `igflight sql` / `export`: the demo simulator, or a token from a stored
    // connection or IGFLIGHT_ACCESS_TOKEN
    let source = Source::connect(&SourceArgs {
        graph: args.graph.clone(),
        demo: args.demo,
        seed: args.seed,
        connection: args.connection.clone(),
    })
    .await?;
    let mut examples = None;
    if let Some(handle) = source.sim() {
        examples = Some(demo_examples(&handle.dataset()));
        println!(
            "igflight demo: simulated Graph API on {}/{} (seed {})",
            handle.base_url(),
            args.graph.graph_version,
            args.seed
        );
    }
    // the stored connection's expiry, for the `accounts` action
    let token_expiry = source.ctx.connection.as_ref().and_then(|name| {
        let store = crate::accounts::store::Store::open_default().ok()?;
        store
            .get(name)
            .and_then(|c| c.expires_at)
            .map(crate::accounts::utc)
    });
    let ctx = source.ctx.clone();
    let mut service = IgFlightService::new(ctx).with_token_expiry(token_expiry);
    if let Some(examples) = examples {
        service = service.with_examples(examples);
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("could not listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    let tls = options.tls.is_some();
    let auth = options.auth.is_some();
    let scheme = if tls { "grpc+tls" } else { "grpc" };
    println!("igflight serving Flight on {scheme}://{addr}");
    tracing::info!(%addr, demo = args.demo, tls, auth, "Flight server listening");
    if !auth && !addr.ip().is_loopback() {
        tracing::warn!(%addr, "Flight server listening beyond loopback without authentication");
        eprintln!(
            "warning: serving on {addr} without authentication: anyone who reaches this address can \
             read the reports; add --auth-token or --auth-user"
        );
    }
    serve_with(
        service,
        listener,
        async {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("shutting down");
        },
        options,
    )
    .await?;
    source.shutdown().await;
    Ok(())
}

/// Authentication and TLS from the `serve` flags (tokens from flags, env and file; users; PEM files).
fn serve_options(args: &ServeArgs) -> anyhow::Result<ServeOptions> {
    let mut tokens: Vec<Secret> = args.auth_tokens.clone();
    if let Some(path) = &args.auth_token_file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("could not read --auth-token-file {}", path.display()))?;
        tokens.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(Secret::new),
        );
        if tokens.is_empty() {
            anyhow::bail!(
                "--auth-token-file {} holds no token: write one token per line",
                path.display()
            );
        }
    }
    let auth = if tokens.is_empty() && args.auth_users.is_empty() {
        None
    } else {
        Some(Arc::new(Authenticator::new(
            tokens.iter(),
            args.auth_users
                .iter()
                .map(|u| (u.name.as_str(), &u.password)),
        )))
    };
    let read = |flag: &str, path: &std::path::Path| {
        std::fs::read(path).with_context(|| format!("could not read {flag} {}", path.display()))
    };
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(TlsOptions {
            cert_pem: read("--tls-cert", cert)?,
            key_pem: read("--tls-key", key)?,
            client_ca_pem: args
                .tls_client_ca
                .as_deref()
                .map(|p| read("--tls-client-ca", p))
                .transpose()?,
        }),
        (None, None) => None,
        _ => anyhow::bail!("--tls-cert and --tls-key go together: give both or neither"),
    };
    if let Some(tls) = &tls {
        tls.validate().map_err(|e| {
            anyhow::anyhow!(
                "--tls-cert/--tls-key: {e}: expected a PEM certificate chain and its PEM private key"
            )
        })?;
    }
    Ok(ServeOptions { auth, tls })
}
