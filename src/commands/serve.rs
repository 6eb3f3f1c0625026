//! `igflight serve`: build the Graph client (or start the demo simulator), then serve Flight until
//! SIGTERM or SIGINT (Ctrl-C) and drain ([`crate::flight::serve_with`]); with `--sync-file`, the
//! synced datasets as SQL tables and their schedule ([`crate::sync::scheduler`]) on the default
//! connection; with `--metrics-listen`, Prometheus metrics ([`crate::monitoring`]).

use std::sync::Arc;

use anyhow::Context;

use super::{CliError, Source};
use crate::cli::{ServeArgs, SourceArgs};
use crate::flight::auth::{
    AUTH_FILE_SYNTAX, Access, Authenticator, Credential, parse_auth_file, parse_user,
};
use crate::flight::connections::{Connections, DEFAULT_NAME, Served};
use crate::flight::{IgFlightService, ServeOptions, TlsOptions, demo_examples, serve_with};
use crate::graph::Secret;
use crate::sync::scheduler::Scheduler;

use crate::accounts::TOKEN_ENV;

/// Run `igflight serve` until SIGTERM or SIGINT (Ctrl-C), then drain within `--shutdown-grace`.
pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    // before anything else: a SIGTERM from now on drains instead of killing the process
    let stop = StopSignals::install()?;
    let (options, credentials) = serve_options(&args)?;
    // a wrong sync file is a usage error, found before any connection is made
    let synced = match &args.sync_file {
        Some(path) => super::sync::load(path, &args.api.graph.graph_version)?,
        None => Vec::new(),
    };
    // a taken metrics address fails before any connection is made (exit 1, naming the address)
    if let Some(addr) = args.metrics_listen {
        let addr = crate::monitoring::serve(addr)
            .await
            .map_err(super::CliError::failed)?;
        println!("igflight metrics on http://{addr}/metrics");
        tracing::info!(%addr, "metrics listening");
    }
    let (conns, sources) = connections(&args).await?;
    // a credential limited to a connection this server does not serve is a mistake in the auth file
    for c in &credentials {
        if let Some(names) = c.access.names()
            && !conns.unserved(names).is_empty()
        {
            anyhow::bail!(
                "{} limits a credential to a connection this server does not serve (serving: {}); \
                 check the connection names in its third field",
                c.origin,
                conns.names()
            );
        }
    }
    let mut examples = None;
    if let Some(handle) = sources.iter().find_map(Source::sim) {
        examples = Some(demo_examples(&handle.dataset()));
        println!(
            "igflight demo: simulated Graph API on {}/{} (seed {})",
            handle.base_url(),
            args.api.graph.graph_version,
            args.api.seed
        );
    }
    tracing::info!(connections = %conns.names(), "serving Graph connections");
    let checks = watch_tokens(&args, &conns);
    let gauges = args
        .metrics_listen
        .is_some()
        .then(|| crate::monitoring::watch(&conns));
    println!("igflight connections: {}", conns.names());
    // the schedule runs on the default connection
    let sync_served = conns.first().clone();
    let mut service = IgFlightService::with_connections(conns)
        .with_stall_timeout(std::time::Duration::from_secs(args.stall_timeout_secs))
        .with_sql_limits(args.sql.limits());
    if let Some(examples) = examples {
        service = service.with_examples(examples);
    }
    if !synced.is_empty() {
        service = service.with_synced(synced.clone());
    }
    // a busy or forbidden address is a failure of the run, not of the flags (exit 1)
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| CliError::failed(listen_error(args.listen, &e)))?;
    let addr = listener.local_addr()?;
    let tls = options.tls.is_some();
    let auth = options.auth.is_some();
    let scheme = if tls { "grpc+tls" } else { "grpc" };
    println!("igflight serving Flight on {scheme}://{addr}");
    tracing::info!(%addr, demo = args.api.demo, tls, auth, "Flight server listening");
    if !auth && !addr.ip().is_loopback() {
        tracing::warn!(%addr, "Flight server listening beyond loopback without authentication");
        eprintln!(
            "warning: serving on {addr} without authentication: anyone who reaches this address can \
             read the reports; add --auth-token or --auth-user"
        );
    }
    let scheduler = (!synced.is_empty()).then(|| {
        let names: Vec<String> = synced
            .iter()
            .map(|d| format!("synced.{} ({})", d.name, d.schedule))
            .collect();
        println!("igflight sync: {}", names.join(", "));
        // a run refused by the Graph API turns the connection's health NOT_SERVING, as a request does
        let ctx = sync_served.ctx.clone();
        let refused: crate::sync::scheduler::TokenRefused =
            Arc::new(move || sync_served.mark_refused());
        Scheduler::start_with(ctx, synced, Some(refused))
    });
    let drain = service.drain().clone();
    let mut stop = stop;
    let served = serve_with(
        service,
        listener,
        async move {
            let signal = stop.recv().await;
            tracing::info!(signal, "shutting down");
            // a second signal does not wait for the grace: an operator who presses Ctrl-C again
            // means now
            tokio::spawn(async move {
                let signal = stop.recv().await;
                let cut = drain.cut(std::time::Duration::ZERO);
                tracing::warn!(
                    signal,
                    streams_cut = cut,
                    "second signal: running streams cut now"
                );
            });
        },
        options,
    )
    .await;
    if let Some(s) = scheduler {
        s.stop().await;
    }
    checks.abort();
    if let Some(g) = gauges {
        g.abort();
    }
    let stopped = served.map_err(|e| CliError::failed(format!("the Flight server failed: {e}")))?;
    if stopped.streams_cut > 0 {
        eprintln!(
            "igflight: stopped; cut {} still running after --shutdown-grace",
            super::count(stopped.streams_cut as u64, "stream")
        );
    }
    for source in sources {
        source.shutdown().await;
    }
    Ok(())
}

/// What `could not listen on ADDR` says: the address, the reason, and for a busy port what to do.
pub fn listen_error(addr: std::net::SocketAddr, e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::AddrInUse => format!(
            "could not listen on {addr}: the address is in use (another igflight or another \
             program); stop it or choose another --listen"
        ),
        _ => format!("could not listen on {addr}: {e}"),
    }
}

/// The signals that stop the server: SIGTERM (`docker stop`, `systemctl stop`) and SIGINT (Ctrl-C)
/// on Unix, Ctrl-C elsewhere. Installed at start, so a SIGTERM that comes while the server is still
/// starting drains it instead of killing it.
struct StopSignals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

impl StopSignals {
    fn install() -> anyhow::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let term = signal(SignalKind::terminate()).map_err(|e| {
                CliError::failed(format!("could not install the SIGTERM handler: {e}"))
            })?;
            let int = signal(SignalKind::interrupt()).map_err(|e| {
                CliError::failed(format!("could not install the SIGINT handler: {e}"))
            })?;
            Ok(StopSignals { term, int })
        }
        #[cfg(not(unix))]
        Ok(StopSignals {})
    }

    /// The name of the next signal that comes.
    async fn recv(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.term.recv() => "SIGTERM",
                _ = self.int.recv() => "SIGINT",
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        }
    }
}

/// While serving, check the stored connections every `--token-check-secs`
/// ([`crate::accounts::refresh_served`]): adopt tokens stored meanwhile, renew old ones, warn near
/// expiry.
fn watch_tokens(args: &ServeArgs, conns: &Connections) -> tokio::task::JoinHandle<()> {
    let stored: Vec<Served> = conns
        .iter()
        .filter(|s| s.ctx.connection.is_some())
        .cloned()
        .collect();
    let graph = args.api.graph.settings();
    let every = std::time::Duration::from_secs(args.token_check_secs);
    tokio::spawn(async move {
        if stored.is_empty() {
            return;
        }
        let Ok(dir) = crate::accounts::config_dir() else {
            return;
        };
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await; // the first tick is now: the tokens were just checked at start
        loop {
            tick.tick().await;
            for s in &stored {
                let Some(name) = s.ctx.connection.as_deref() else {
                    continue;
                };
                match crate::accounts::refresh_served(&graph, &dir, name, &s.ctx.graph).await {
                    Ok(refreshed) => {
                        if refreshed.new_token {
                            // the refusal was the old token's: the health service says SERVING
                            // again (until the new one is refused or expires)
                            s.token_replaced();
                        }
                        if refreshed.expires_at.is_some() {
                            s.set_expires_at(refreshed.expires_at);
                        }
                    }
                    Err(e) => {
                        tracing::warn!(connection = %name, error = %e, "could not check the stored connection")
                    }
                }
            }
        }
    })
}

/// The connections to serve: the demo simulator (`demo`); each `--connection NAME`; else
/// IGFLIGHT_ACCESS_TOKEN (`default`); else every stored connection (expired ones are skipped with a
/// warning naming the command that reconnects them).
async fn connections(args: &ServeArgs) -> anyhow::Result<(Connections, Vec<Source>)> {
    let source_args = |connection: Option<String>| SourceArgs {
        api: args.api.clone(),
        connection,
    };
    // one set of run slots for the whole server, shared by every connection
    let slots = Arc::new(tokio::sync::Semaphore::new(
        args.max_concurrent_reports as usize,
    ));
    // one ledger for every connection of the server
    let ledger = super::LedgerSlot::new();
    let served = |source: &Source, name: &str| {
        let expires_at = source.ctx.connection.as_ref().and_then(|n| {
            let store = crate::accounts::store::Store::open_default().ok()?;
            store.get(n).and_then(|c| c.expires_at)
        });
        let ctx = (*source.ctx).clone().with_run_slots(slots.clone());
        Served::new(Arc::new(ctx)).named(name).expiring(expires_at)
    };
    let mut names = args.connections.clone();
    let env_token = std::env::var(TOKEN_ENV).is_ok_and(|t| !t.trim().is_empty());
    let mut all_stored = false;
    if names.is_empty() && !args.api.demo && !env_token {
        // every stored connection (with one or none, Source::connect says what to do)
        if let Ok(store) = crate::accounts::store::Store::open_default()
            && store.connections().len() > 1
        {
            names = store.connections().iter().map(|c| c.name.clone()).collect();
            all_stored = true;
        }
    }
    if names.is_empty() {
        let source = Source::connect_on(&source_args(None), &ledger).await?;
        let name = if args.api.demo {
            "demo".to_string()
        } else {
            source
                .ctx
                .connection
                .clone()
                .unwrap_or_else(|| DEFAULT_NAME.to_string())
        };
        let conns = Connections::single(served(&source, &name));
        return Ok((conns, vec![source]));
    }
    let mut list = Vec::new();
    let mut sources = Vec::new();
    for name in &names {
        if list.iter().any(|s: &Served| &s.name == name) {
            continue;
        }
        match Source::connect_on(&source_args(Some(name.clone())), &ledger).await {
            Ok(source) => {
                list.push(served(&source, name));
                sources.push(source);
            }
            Err(e) if all_stored => {
                tracing::warn!(connection = %name, error = %e, "not serving a stored connection");
                eprintln!("warning: not serving connection `{name}`: {e}");
            }
            Err(e) => return Err(e.into()),
        }
    }
    let conns = Connections::new(list).map_err(|e| {
        anyhow::anyhow!("{e}: every stored connection failed; see the warnings above")
    })?;
    Ok((conns, sources))
}

/// Authentication and TLS from the `serve` flags (tokens from flags, env and files; users; the auth
/// file; PEM files), and the credentials (to check their connection limits once the connections are
/// known). Errors never repeat a credential.
fn serve_options(args: &ServeArgs) -> anyhow::Result<(ServeOptions, Vec<Credential>)> {
    let mut credentials = Vec::new();
    for t in &args.auth_tokens {
        let v = t.expose().trim();
        if v.is_empty() || v.contains(char::is_whitespace) {
            anyhow::bail!(
                "--auth-token (or IGFLIGHT_AUTH_TOKENS): expected a non-empty token without spaces"
            );
        }
        credentials.push(Credential::token(Secret::new(v), Access::All));
    }
    for u in &args.auth_users {
        let (name, password) = parse_user(u.expose())
            .map_err(|e| anyhow::anyhow!("--auth-user: {e} (the value is not repeated here)"))?;
        credentials.push(Credential::user(name, Secret::new(password), Access::All));
    }
    if let Some(path) = &args.auth_file {
        warn_if_readable_by_others(path);
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("could not read --auth-file {}", path.display()))?;
        let creds = parse_auth_file(&text)
            .map_err(|e| anyhow::anyhow!("--auth-file {}: {e}", path.display()))?;
        if creds.is_empty() {
            anyhow::bail!(
                "--auth-file {} holds no credential; expected {AUTH_FILE_SYNTAX}",
                path.display()
            );
        }
        credentials.extend(creds);
    }
    let mut tokens: Vec<Secret> = Vec::new();
    if let Some(path) = &args.auth_token_file {
        warn_if_readable_by_others(path);
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
    credentials.extend(
        tokens
            .into_iter()
            .map(|t| Credential::token(t, Access::All)),
    );
    let auth = if credentials.is_empty() {
        None
    } else {
        Some(Arc::new(Authenticator::from_credentials(&credentials)))
    };
    // read a PEM file and check it holds what the flag expects (tonic's own error says only
    // "transport error")
    let read = |flag: &str, path: &std::path::Path| -> anyhow::Result<Vec<u8>> {
        let bytes = std::fs::read(path)
            .with_context(|| format!("could not read {flag} {}", path.display()))?;
        let text = String::from_utf8_lossy(&bytes);
        let (marker, what) = if flag == "--tls-key" {
            (
                "PRIVATE KEY-----",
                "a PEM private key (-----BEGIN PRIVATE KEY-----)",
            )
        } else {
            (
                "-----BEGIN CERTIFICATE-----",
                "PEM certificates (-----BEGIN CERTIFICATE-----)",
            )
        };
        if !text.contains(marker) {
            anyhow::bail!("{flag} {}: expected {what}", path.display());
        }
        Ok(bytes)
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
    let limits = crate::flight::ServerLimits {
        requests_per_connection: args.max_requests_per_connection as usize,
        request_timeout: std::time::Duration::from_secs(args.request_timeout_secs),
        ..crate::flight::ServerLimits::default()
    };
    Ok((
        ServeOptions {
            auth,
            tls,
            limits,
            shutdown_grace: args.shutdown_grace,
        },
        credentials,
    ))
}

/// Warn when a credentials file can be read by other users.
fn warn_if_readable_by_others(path: &std::path::Path) {
    if let Ok(meta) = std::fs::metadata(path)
        && crate::accounts::store::open_to_others(&meta)
    {
        tracing::warn!(file = %path.display(), "a credentials file is readable by other users");
        eprintln!(
            "warning: {} can be read by other users; it holds credentials: chmod 600 it",
            path.display()
        );
    }
}
