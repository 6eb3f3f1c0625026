//! Shared fixtures: the simulated Graph API in-process on port 0, and Graph clients pointed at it.
#![allow(dead_code)]

use std::time::Duration;

use igflight::graph::{BudgetConfig, GraphClient, RetryPolicy};
use igflight::sim::{SimConfig, SimHandle, Simulator};

/// Start the simulator on 127.0.0.1:0.
pub async fn start_sim(config: SimConfig) -> SimHandle {
    Simulator::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("start simulator")
}

/// A retry policy with millisecond backoff, so fault tests stay fast.
pub fn fast_retry(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        max_elapsed: Duration::from_secs(60),
        base_delay: Duration::from_millis(2),
        max_delay: Duration::from_millis(20),
    }
}

/// A budget large enough to never bind.
pub fn big_budget() -> BudgetConfig {
    BudgetConfig {
        limit: 100_000,
        ..BudgetConfig::default()
    }
}

/// A client for `sim` with fast retries and an unbinding budget.
pub fn client(sim: &SimHandle) -> GraphClient {
    GraphClient::builder(sim.token().to_string())
        .base_url(sim.base_url())
        .retry(fast_retry(8))
        .budget_config(big_budget())
        .request_timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

/// A Flight server (on 127.0.0.1:0) over `graph`, with the demo examples of `sim`, and a client for it.
pub async fn start_flight(
    sim: &SimHandle,
    graph: GraphClient,
) -> (
    igflight::flight::FlightServerHandle,
    arrow_flight::FlightClient,
) {
    use std::sync::Arc;
    let ctx = Arc::new(igflight::plan::ReportContext::new(graph));
    let service = igflight::flight::IgFlightService::new(ctx)
        .with_examples(igflight::flight::demo_examples(&sim.dataset()));
    let server =
        igflight::flight::FlightServerHandle::start(service, "127.0.0.1:0".parse().unwrap())
            .await
            .expect("start Flight server");
    let channel = tonic::transport::Channel::from_shared(server.url())
        .unwrap()
        .connect()
        .await
        .expect("connect to Flight server");
    (server, arrow_flight::FlightClient::new(channel))
}

/// A client for `sim` with this budget (calls per hour) and retry count.
pub fn client_with(sim: &SimHandle, token: &str, budget: u32, attempts: u32) -> GraphClient {
    GraphClient::builder(token.to_string())
        .base_url(sim.base_url())
        .retry(fast_retry(attempts))
        .budget_config(BudgetConfig {
            limit: budget,
            ..BudgetConfig::default()
        })
        .request_timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

/// A Flight server (on 127.0.0.1:0) over `graph`, with the demo examples of `sim`, admitting clients
/// as `options` says (authentication, TLS). No client: the caller connects as the test needs.
pub async fn start_flight_with(
    sim: &SimHandle,
    graph: GraphClient,
    options: igflight::flight::ServeOptions,
) -> igflight::flight::FlightServerHandle {
    use std::sync::Arc;
    let ctx = Arc::new(igflight::plan::ReportContext::new(graph));
    let service = igflight::flight::IgFlightService::new(ctx)
        .with_examples(igflight::flight::demo_examples(&sim.dataset()));
    igflight::flight::FlightServerHandle::start_with(
        service,
        "127.0.0.1:0".parse().unwrap(),
        options,
    )
    .await
    .expect("start Flight server")
}

/// Test certificates made in the test (`rcgen`): a CA, a server certificate for localhost/127.0.0.1
/// and a client certificate, both signed by it (PEM).
pub struct Certs {
    pub ca: String,
    pub server: String,
    pub server_key: String,
    pub client: String,
    pub client_key: String,
}

pub fn make_certs() -> Certs {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
        KeyPair, KeyUsagePurpose,
    };
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "igflight test CA");
    ca.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
    ];
    let ca_key = KeyPair::generate().unwrap();
    let ca_pem = ca.self_signed(&ca_key).unwrap().pem();
    let issuer = Issuer::new(ca, ca_key);
    let leaf = |names: Vec<String>, who: &str, usage: ExtendedKeyUsagePurpose| {
        let mut params = CertificateParams::new(names).unwrap();
        params.distinguished_name.push(DnType::CommonName, who);
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![usage];
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &issuer).unwrap();
        (cert.pem(), key.serialize_pem())
    };
    let (server, server_key) = leaf(
        vec!["localhost".into(), "127.0.0.1".into()],
        "server",
        ExtendedKeyUsagePurpose::ServerAuth,
    );
    let (client, client_key) = leaf(vec![], "client", ExtendedKeyUsagePurpose::ClientAuth);
    Certs {
        ca: ca_pem,
        server,
        server_key,
        client,
        client_key,
    }
}
