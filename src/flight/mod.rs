//! The Arrow Flight server: [`service::IgFlightService`] (the RPCs), [`serve`] (the tonic server) and
//! [`FlightServerHandle`] (a server on a free port, for tests and embedding).

pub mod examples;
mod run;
pub mod service;
pub mod sql;

use std::future::Future;
use std::net::SocketAddr;

use arrow_flight::flight_service_server::FlightServiceServer;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_stream::wrappers::TcpListenerStream;

pub use examples::{Examples, demo_examples, generic_examples};
pub use run::{TOKEN_ENV, run_serve};
pub use service::IgFlightService;

/// Largest gRPC message accepted or sent (Flight batches are split well below this).
pub const MAX_MESSAGE_SIZE: usize = 64 * 1024 * 1024;

/// The tonic service for `service`, with raised message limits.
pub fn flight_server(service: IgFlightService) -> FlightServiceServer<IgFlightService> {
    FlightServiceServer::new(service)
        .max_decoding_message_size(MAX_MESSAGE_SIZE)
        .max_encoding_message_size(MAX_MESSAGE_SIZE)
}

/// Serve Flight on `listener` until `shutdown` completes.
pub async fn serve(
    service: IgFlightService,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), tonic::transport::Error> {
    tonic::transport::Server::builder()
        .add_service(flight_server(service))
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), shutdown)
        .await
}

/// A Flight server running in a tokio task; dropping the handle shuts it down.
#[derive(Debug)]
pub struct FlightServerHandle {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), tonic::transport::Error>>>,
}

impl FlightServerHandle {
    /// Start `service` on `addr` (`127.0.0.1:0` picks a free port).
    pub async fn start(service: IgFlightService, addr: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(service, listener, async move {
            let _ = rx.await;
        }));
        Ok(FlightServerHandle {
            addr,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`, for a tonic channel.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
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
