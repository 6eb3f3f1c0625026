//! The standard gRPC health service (`grpc.health.v1.Health`, from `tonic-health`) on the Flight
//! port, answered without client credentials (it is routed beside the authentication layer, not
//! behind it), so probes and load balancers need no secret.
//!
//! - Service `""` (the server): SERVING until the server drains ([`ServerHealth::drain`]), then
//!   NOT_SERVING.
//! - Service `igflight.connection.NAME`, one per served connection: NOT_SERVING while its token is
//!   past its expiry or was refused by the Graph API ([`Served::mark_refused`]), SERVING again once a
//!   Graph call succeeds or a new token is adopted. One expired token never takes the whole server
//!   out: `""` does not follow the connections.
//!
//! A `Watch` stream ends once the server drains (after saying NOT_SERVING), so it does not hold the
//! shutdown open until the grace runs out.

use std::pin::Pin;
use std::time::Duration;

use futures::{Stream, StreamExt};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tonic::{Request, Response, Status};
use tonic_health::ServingStatus;
use tonic_health::pb::health_check_response::ServingStatus as PbStatus;
use tonic_health::pb::health_server::{Health, HealthServer};
use tonic_health::pb::{HealthCheckRequest, HealthCheckResponse};
use tonic_health::server::{HealthReporter, HealthService};

use super::connections::{Connections, Served, TokenHealth};

/// The health service name of connection `NAME`: `igflight.connection.NAME`.
pub fn connection_service(name: &str) -> String {
    format!("igflight.connection.{name}")
}

/// How often a refused connection looks for a Graph call that succeeded since (made by a report,
/// SQL or a scheduled sync run): such a call shows the token works again.
const REFUSED_RECHECK: Duration = Duration::from_secs(2);

/// The longest a monitor sleeps before it looks at a token's expiry again (a wall clock that jumps
/// is caught within this).
const EXPIRY_RECHECK: Duration = Duration::from_secs(60);

/// The server's health statuses and the tasks that keep each connection's up to date; dropping it
/// stops the tasks.
#[derive(Debug)]
pub struct ServerHealth {
    reporter: HealthReporter,
    names: Vec<String>,
    monitors: parking_lot::Mutex<Vec<JoinHandle<()>>>,
    /// Set once draining: `Watch` streams say NOT_SERVING and end.
    ended: watch::Sender<bool>,
}

/// The `Health` service: `tonic-health`'s, with `Watch` streams that end when the server drains.
#[derive(Debug)]
pub struct DrainingHealth {
    inner: HealthService,
    ended: watch::Receiver<bool>,
}

impl ServerHealth {
    /// `""` SERVING and one status per connection (from its token's state now), kept up to date by a
    /// task per connection; and the tonic service answering them.
    pub async fn start(conns: &Connections) -> (ServerHealth, HealthServer<DrainingHealth>) {
        let reporter = HealthReporter::new();
        reporter
            .set_service_status("", ServingStatus::Serving)
            .await;
        let mut monitors = Vec::new();
        let mut names = Vec::new();
        for served in conns.iter() {
            let name = connection_service(&served.name);
            // the first status before the server answers anything: a probe never sees NOT_FOUND
            let now = chrono::Utc::now().timestamp();
            let status = status_of(served.token_health(now));
            reporter.set_service_status(&name, status).await;
            monitors.push(tokio::spawn(monitor(
                served.clone(),
                name.clone(),
                status,
                reporter.clone(),
            )));
            names.push(name);
        }
        let (ended, ended_rx) = watch::channel(false);
        let service = DrainingHealth {
            inner: HealthService::from_health_reporter(reporter.clone()),
            ended: ended_rx,
        };
        let health = ServerHealth {
            reporter,
            names,
            monitors: parking_lot::Mutex::new(monitors),
            ended,
        };
        (health, HealthServer::new(service))
    }

    /// The server drains: every status NOT_SERVING (`""` and each connection, which no longer takes
    /// requests either), and `Watch` streams end after saying so.
    pub async fn drain(&self) {
        let monitors = std::mem::take(&mut *self.monitors.lock());
        for m in monitors {
            m.abort();
            // an aborted monitor cannot set a status after the NOT_SERVING below
            let _ = m.await;
        }
        self.reporter
            .set_service_status("", ServingStatus::NotServing)
            .await;
        for name in &self.names {
            self.reporter
                .set_service_status(name, ServingStatus::NotServing)
                .await;
        }
        self.ended.send_replace(true);
        tracing::info!("health: NOT_SERVING (draining)");
    }
}

impl Drop for ServerHealth {
    fn drop(&mut self) {
        for m in self.monitors.lock().iter() {
            m.abort();
        }
    }
}

fn status_of(health: TokenHealth) -> ServingStatus {
    match health {
        TokenHealth::Usable => ServingStatus::Serving,
        TokenHealth::Expired | TokenHealth::Refused => ServingStatus::NotServing,
    }
}

/// Keep connection `served`'s status (`name`) up to date: on every change of its token state, when
/// its expiry passes, and — while refused — every [`REFUSED_RECHECK`] for a call that succeeded.
async fn monitor(served: Served, name: String, mut last: ServingStatus, reporter: HealthReporter) {
    let mut changes = served.watch_token();
    loop {
        served.recheck();
        let now = chrono::Utc::now().timestamp();
        let health = served.token_health(now);
        let status = status_of(health);
        if status != last {
            reporter.set_service_status(&name, status).await;
            match health {
                TokenHealth::Usable => {
                    tracing::info!(connection = %served.name, "health: connection SERVING")
                }
                TokenHealth::Expired => {
                    tracing::warn!(connection = %served.name, "health: connection NOT_SERVING: its token has expired")
                }
                TokenHealth::Refused => {
                    tracing::warn!(connection = %served.name, "health: connection NOT_SERVING: the Graph API refused its token")
                }
            }
            last = status;
        }
        let wait = match health {
            TokenHealth::Refused => REFUSED_RECHECK,
            TokenHealth::Usable => served
                .expires_at()
                .map(|at| Duration::from_secs(u64::try_from(at - now).unwrap_or(0) + 1))
                .map_or(EXPIRY_RECHECK, |d| d.min(EXPIRY_RECHECK)),
            // until a new token (a change) comes
            TokenHealth::Expired => EXPIRY_RECHECK,
        };
        tokio::select! {
            changed = changes.changed() => {
                if changed.is_err() {
                    return; // the connection is gone
                }
            }
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

type WatchStream = Pin<Box<dyn Stream<Item = Result<HealthCheckResponse, Status>> + Send>>;

#[tonic::async_trait]
impl Health for DrainingHealth {
    async fn check(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, Status> {
        self.inner.check(request).await
    }

    type WatchStream = WatchStream;

    async fn watch(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        let mut inner = self.inner.watch(request).await?.into_inner();
        let mut ended = self.ended.clone();
        let s = async_stream::stream! {
            let draining = async move {
                let _ = ended.wait_for(|e| *e).await;
            };
            tokio::pin!(draining);
            let mut last = None;
            loop {
                tokio::select! {
                    // a change published with the drain comes out before the stream ends
                    biased;
                    item = inner.next() => match item {
                        Some(item) => {
                            last = item.as_ref().ok().map(|r| r.status);
                            yield item;
                        }
                        None => return,
                    },
                    _ = &mut draining => break,
                }
            }
            let not_serving = PbStatus::NotServing as i32;
            if last != Some(not_serving) {
                yield Ok(HealthCheckResponse { status: not_serving });
            }
        };
        Ok(Response::new(Box::pin(s)))
    }
}

/// `stream` of a report or SQL query on `served`, watched for the Graph API's verdict on the token:
/// a refusal (`UNAUTHENTICATED`) marks the connection NOT_SERVING, a stream that ends well lets it
/// recover.
pub fn watch_refusals(
    served: Served,
    stream: super::service::BoxedStream<arrow_flight::FlightData>,
) -> super::service::BoxedStream<arrow_flight::FlightData> {
    let s = async_stream::stream! {
        let mut stream = stream;
        let mut failed = false;
        while let Some(item) = stream.next().await {
            if let Err(status) = &item {
                served.observe(status);
                failed |= status.code() != tonic::Code::Ok;
            }
            yield item;
        }
        if !failed {
            served.recheck();
        }
    };
    Box::pin(s)
}
