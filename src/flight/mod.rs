//! The Arrow Flight server: [`service::IgFlightService`] (the RPCs), [`serve`] (the tonic server, with
//! the gRPC health service of [`health`] and the graceful drain of [`drain`]) and
//! [`FlightServerHandle`] (a server on a free port, for tests and embedding).

pub mod auth;
pub mod connections;
pub mod drain;
pub mod examples;
pub mod health;
pub mod service;
pub mod sql;
pub mod xdbc;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use arrow_flight::flight_service_server::FlightServiceServer;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::{Certificate, Identity, ServerTlsConfig};

use auth::AuthService;

pub use auth::{Access, Authenticator};
pub use connections::{CONNECTION_HEADER, Connections, Served};
pub use drain::Drain;
pub use examples::{Examples, demo_examples, generic_examples};
pub use health::{ServerHealth, connection_service};
pub use service::IgFlightService;

/// Largest gRPC message accepted or sent (Flight batches are split well below this).
pub const MAX_MESSAGE_SIZE: usize = 64 * 1024 * 1024;

/// Largest message a client may send: above the SQL layer's 16 MiB cap on prepared-statement
/// parameters (which then answers with a message naming it); tickets are refused past 64 KiB.
pub const MAX_DECODING_MESSAGE_SIZE: usize = 32 * 1024 * 1024;

/// The tonic service for `service`, with raised message limits.
pub fn flight_server(service: IgFlightService) -> FlightServiceServer<IgFlightService> {
    FlightServiceServer::new(service)
        .max_decoding_message_size(MAX_DECODING_MESSAGE_SIZE)
        .max_encoding_message_size(MAX_MESSAGE_SIZE)
}

/// Default of [`ServeOptions::shutdown_grace`] (`--shutdown-grace`).
pub const DEFAULT_SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(30);

/// After the grace, how long the server waits for its connections to close once their streams were
/// cut (a unary call still running, a client that does not answer the GOAWAY) before it stops anyway.
const AFTER_CUT: std::time::Duration = std::time::Duration::from_secs(2);

/// How the server admits clients (optional authentication and TLS) and how it stops.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// When set (and not empty), every RPC but `Handshake` needs `authorization: Bearer …`.
    pub auth: Option<Arc<Authenticator>>,
    /// When set, the server speaks TLS (and, with a client CA, requires client certificates).
    pub tls: Option<TlsOptions>,
    /// What one client can hold of the server.
    pub limits: ServerLimits,
    /// Once shutdown begins, how long running `DoGet` streams may go on before they are cut
    /// (`--shutdown-grace`).
    pub shutdown_grace: std::time::Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            auth: None,
            tls: None,
            limits: ServerLimits::default(),
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
        }
    }
}

/// How a server stopped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stopped {
    /// `DoGet` streams still running when the shutdown grace was over, ended with `UNAVAILABLE`.
    pub streams_cut: usize,
}

/// What one client can hold of the server: requests in flight per connection, how long a unary call
/// may take, and keepalives that find dead peers.
#[derive(Debug, Clone)]
pub struct ServerLimits {
    /// Requests in flight per client connection (`--max-requests-per-connection`).
    pub requests_per_connection: usize,
    /// HTTP/2 streams a client may open at once on one connection.
    pub streams_per_connection: u32,
    /// Time limit of a call until its response starts (`--request-timeout-secs`).
    pub request_timeout: std::time::Duration,
    /// HTTP/2 ping interval; a peer that does not answer within `keepalive_timeout` is dropped.
    pub keepalive_interval: std::time::Duration,
    /// See `keepalive_interval`.
    pub keepalive_timeout: std::time::Duration,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            requests_per_connection: 32,
            streams_per_connection: 64,
            request_timeout: std::time::Duration::from_secs(300),
            keepalive_interval: std::time::Duration::from_secs(30),
            keepalive_timeout: std::time::Duration::from_secs(20),
        }
    }
}

/// TLS material, PEM encoded.
#[derive(Clone)]
pub struct TlsOptions {
    pub cert_pem: Vec<u8>,
    pub key_pem: Vec<u8>,
    /// The CA that client certificates must chain to (mutual TLS).
    pub client_ca_pem: Option<Vec<u8>>,
}

impl std::fmt::Debug for TlsOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsOptions")
            .field("mutual", &self.client_ca_pem.is_some())
            .finish_non_exhaustive()
    }
}

impl TlsOptions {
    /// Check that the certificate and key (and client CA) make a usable server configuration.
    pub fn validate(&self) -> Result<(), tonic::transport::Error> {
        tonic::transport::Server::builder()
            .tls_config(self.server_config())
            .map(|_| ())
    }

    fn server_config(&self) -> ServerTlsConfig {
        let mut config =
            ServerTlsConfig::new().identity(Identity::from_pem(&self.cert_pem, &self.key_pem));
        if let Some(ca) = &self.client_ca_pem {
            config = config.client_ca_root(Certificate::from_pem(ca));
        }
        config
    }
}

impl ServeOptions {
    /// `https` with TLS, `http` without.
    pub fn scheme(&self) -> &'static str {
        if self.tls.is_some() { "https" } else { "http" }
    }
}

/// Serve Flight on `listener` until `shutdown` completes.
pub async fn serve(
    service: IgFlightService,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<Stopped, tonic::transport::Error> {
    serve_with(service, listener, shutdown, ServeOptions::default()).await
}

/// Serve Flight and the gRPC health service on `listener`, with authentication and TLS as
/// configured, until `shutdown` completes; then drain: health NOT_SERVING, no new connection or
/// call, running `DoGet` streams go on for [`ServeOptions::shutdown_grace`] and are cut after it.
pub async fn serve_with(
    service: IgFlightService,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send,
    options: ServeOptions,
) -> Result<Stopped, tonic::transport::Error> {
    let limits = &options.limits;
    let mut builder = tonic::transport::Server::builder()
        .concurrency_limit_per_connection(limits.requests_per_connection)
        .max_concurrent_streams(Some(limits.streams_per_connection))
        .timeout(limits.request_timeout)
        .http2_keepalive_interval(Some(limits.keepalive_interval))
        .http2_keepalive_timeout(Some(limits.keepalive_timeout))
        .tcp_keepalive(Some(limits.keepalive_interval));
    if let Some(tls) = &options.tls {
        builder = builder.tls_config(tls.server_config())?;
    }
    let drain = service.drain().clone();
    let (health, health_service) = ServerHealth::start(service.connections()).await;
    // The health service sits beside the authentication layer, not behind it: probes carry no
    // credentials.
    let router = builder.add_service(health_service);
    let router = match options.auth.filter(|a| !a.is_empty()) {
        Some(auth) => router.add_service(AuthService::new(flight_server(service), auth)),
        None => router.add_service(flight_server(service)),
    };
    let (begun, draining) = oneshot::channel::<()>();
    let health = std::sync::Arc::new(health);
    let signal = {
        let health = health.clone();
        async move {
            shutdown.await;
            // NOT_SERVING first, while the server still answers: a watching balancer learns it
            // before the port closes
            health.drain().await;
            let _ = begun.send(());
        }
    };
    let incoming = TcpListenerStream::new(listener);
    let serve = router.serve_with_incoming_shutdown(incoming, signal);
    tokio::pin!(serve);
    tokio::select! {
        served = &mut serve => return served.map(|()| Stopped::default()),
        _ = draining => {}
    }
    // tonic now accepts no connection and no new call, and waits for the running ones without a
    // bound: the grace is the bound
    let grace = options.shutdown_grace;
    tracing::info!(
        streams = drain.active(),
        grace = %humantime::format_duration(grace),
        "draining: running streams may finish within the shutdown grace"
    );
    if let Ok(served) = tokio::time::timeout(grace, &mut serve).await {
        tracing::info!("drained: every stream finished");
        return served.map(|()| Stopped::default());
    }
    let streams_cut = drain.cut(grace);
    tracing::warn!(
        streams_cut,
        grace = %humantime::format_duration(grace),
        "shutdown grace over: running streams cut"
    );
    match tokio::time::timeout(AFTER_CUT, &mut serve).await {
        Ok(served) => served?,
        Err(_) => tracing::warn!("connections still open after the grace: closing them"),
    }
    Ok(Stopped { streams_cut })
}

/// A Flight server running in a tokio task; dropping the handle shuts it down.
#[derive(Debug)]
pub struct FlightServerHandle {
    addr: SocketAddr,
    scheme: &'static str,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<Stopped, tonic::transport::Error>>>,
}

impl FlightServerHandle {
    /// Start `service` on `addr` (`127.0.0.1:0` picks a free port).
    pub async fn start(service: IgFlightService, addr: SocketAddr) -> std::io::Result<Self> {
        Self::start_with(service, addr, ServeOptions::default()).await
    }

    /// Start `service` on `addr` with authentication and TLS options.
    pub async fn start_with(
        service: IgFlightService,
        addr: SocketAddr,
        options: ServeOptions,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let scheme = options.scheme();
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(serve_with(
            service,
            listener,
            async move {
                let _ = rx.await;
            },
            options,
        ));
        Ok(FlightServerHandle {
            addr,
            scheme,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR` (`https://` with TLS), for a tonic channel.
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// Stop serving and wait (at most 5 s) for the server to end.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(std::time::Duration::from_secs(5), &mut task)
                .await
                .is_err()
        {
            task.abort();
        }
    }
}

impl Drop for FlightServerHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
