//! Flight client authentication and TLS: bearer tokens on every RPC but Handshake, the Basic
//! handshake answering a session bearer token, TLS (and mutual TLS) with certificates made in the
//! test (`rcgen`), and no credential in any log line.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use arrow_flight::error::FlightError;
use arrow_flight::flight_service_client::FlightServiceClient;
use arrow_flight::{FlightClient, HandshakeRequest, Ticket};
use futures::TryStreamExt;
use igflight::flight::auth::{CREDENTIALS_REQUIRED, basic_header};
use igflight::flight::{Authenticator, FlightServerHandle, ServeOptions, TlsOptions};
use igflight::graph::Secret;
use igflight::sim::SimConfig;
use tonic::Code;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};

use common::{client, start_flight_with, start_sim};

const TOKEN: &str = "flightTOKEN-0123456789abcdef";
const USER: &str = "alice";
const PASSWORD: &str = "s3cret-PASSWORD-xyz";

fn auth_options() -> ServeOptions {
    let token = Secret::new(TOKEN);
    let password = Secret::new(PASSWORD);
    ServeOptions {
        auth: Some(Arc::new(Authenticator::new([&token], [(USER, &password)]))),
        tls: None,
        ..Default::default()
    }
}

async fn channel(server: &FlightServerHandle) -> Channel {
    Channel::from_shared(server.url())
        .unwrap()
        .connect()
        .await
        .expect("connect")
}

fn code_of(e: &FlightError) -> Code {
    match e {
        FlightError::Tonic(s) => s.code(),
        other => panic!("expected a gRPC status, got {other:?}"),
    }
}

fn pages_ticket() -> Ticket {
    Ticket::new(r#"{"report":"pages"}"#)
}

async fn rows(client: &mut FlightClient) -> Result<usize, FlightError> {
    let batches: Vec<_> = client.do_get(pages_ticket()).await?.try_collect().await?;
    Ok(batches.iter().map(|b| b.num_rows()).sum())
}

/// The Handshake with `authorization` set to `header`: the `authorization` response header.
async fn handshake(channel: Channel, header: &str) -> Result<Option<String>, tonic::Status> {
    let mut raw = FlightServiceClient::new(channel);
    let mut req = tonic::Request::new(futures::stream::iter([HandshakeRequest::default()]));
    req.metadata_mut()
        .insert("authorization", header.parse().unwrap());
    let resp = raw.handshake(req).await?;
    let bearer = resp
        .metadata()
        .get("authorization")
        .map(|v| v.to_str().unwrap().to_string());
    let _ = resp.into_inner().try_collect::<Vec<_>>().await?;
    Ok(bearer)
}

#[tokio::test]
async fn without_credentials_rpcs_are_unauthenticated() {
    let sim = start_sim(SimConfig::default()).await;
    let server = start_flight_with(&sim, client(&sim), auth_options()).await;
    let mut c = FlightClient::new(channel(&server).await);

    let e = rows(&mut c).await.unwrap_err();
    assert_eq!(code_of(&e), Code::Unauthenticated);
    let FlightError::Tonic(status) = &e else {
        unreachable!()
    };
    assert_eq!(status.message(), CREDENTIALS_REQUIRED);

    let e = match c.list_flights(Vec::<u8>::new()).await {
        Err(e) => e,
        Ok(s) => s.try_collect::<Vec<_>>().await.unwrap_err(),
    };
    assert_eq!(code_of(&e), Code::Unauthenticated);

    // A wrong bearer token is refused too.
    c.add_header("authorization", "Bearer not-the-token")
        .unwrap();
    let e = rows(&mut c).await.unwrap_err();
    assert_eq!(code_of(&e), Code::Unauthenticated);
}

#[tokio::test]
async fn with_the_bearer_token_rows_are_read() {
    let sim = start_sim(SimConfig::default()).await;
    let server = start_flight_with(&sim, client(&sim), auth_options()).await;
    let mut c = FlightClient::new(channel(&server).await);
    c.add_header("authorization", &format!("Bearer {TOKEN}"))
        .unwrap();
    assert!(rows(&mut c).await.unwrap() > 0);
    let flights: Vec<_> = c
        .list_flights(Vec::<u8>::new())
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert!(!flights.is_empty());
}

#[tokio::test]
async fn basic_handshake_answers_a_bearer_token_that_works() {
    let sim = start_sim(SimConfig::default()).await;
    let server = start_flight_with(&sim, client(&sim), auth_options()).await;
    let ch = channel(&server).await;
    let bearer = handshake(ch.clone(), &basic_header(USER, PASSWORD))
        .await
        .unwrap()
        .expect("authorization header in the handshake response");
    assert!(bearer.starts_with("Bearer "), "{bearer}");
    assert_ne!(bearer, format!("Bearer {TOKEN}"));

    let mut c = FlightClient::new(ch.clone());
    c.add_header("authorization", &bearer).unwrap();
    assert!(rows(&mut c).await.unwrap() > 0);

    // A bearer token also passes the handshake (echoed back).
    let again = handshake(ch, &format!("Bearer {TOKEN}")).await.unwrap();
    assert_eq!(again, Some(format!("Bearer {TOKEN}")));
}

#[tokio::test]
async fn wrong_password_or_user_is_unauthenticated() {
    let sim = start_sim(SimConfig::default()).await;
    let server = start_flight_with(&sim, client(&sim), auth_options()).await;
    let ch = channel(&server).await;
    for header in [
        basic_header(USER, "wrong"),
        basic_header("bob", PASSWORD),
        "Basic !!!".to_string(),
        "Bearer nope".to_string(),
    ] {
        let e = handshake(ch.clone(), &header).await.unwrap_err();
        assert_eq!(e.code(), Code::Unauthenticated, "{header}");
    }
}

#[tokio::test]
async fn without_auth_the_handshake_answers_ok_and_rpcs_need_no_credentials() {
    let sim = start_sim(SimConfig::default()).await;
    let server = start_flight_with(&sim, client(&sim), ServeOptions::default()).await;
    let ch = channel(&server).await;
    let mut c = FlightClient::new(ch.clone());
    assert!(c.handshake(Vec::<u8>::new()).await.unwrap().is_empty());
    assert!(rows(&mut c).await.unwrap() > 0);
    assert_eq!(handshake(ch, &basic_header("x", "y")).await.unwrap(), None);
}

// ---- TLS ----

async fn tls_channel(
    server: &FlightServerHandle,
    config: ClientTlsConfig,
) -> Result<Channel, tonic::transport::Error> {
    Channel::from_shared(format!("https://localhost:{}", server.addr().port()))
        .unwrap()
        .tls_config(config)
        .unwrap()
        .connect()
        .await
}

/// Whether a do_get over a connection made with `config` succeeds.
async fn tls_rows(server: &FlightServerHandle, config: ClientTlsConfig) -> Result<usize, String> {
    let ch = tls_channel(server, config)
        .await
        .map_err(|e| format!("{e:?}"))?;
    let mut c = FlightClient::new(ch);
    rows(&mut c).await.map_err(|e| format!("{e:?}"))
}

#[tokio::test]
async fn tls_client_with_the_ca_reads_rows_and_one_without_fails() {
    let certs = common::make_certs();
    let sim = start_sim(SimConfig::default()).await;
    let options = ServeOptions {
        auth: None,
        tls: Some(TlsOptions {
            cert_pem: certs.server.clone().into_bytes(),
            key_pem: certs.server_key.clone().into_bytes(),
            client_ca_pem: None,
        }),
        ..Default::default()
    };
    let server = start_flight_with(&sim, client(&sim), options).await;
    assert!(server.url().starts_with("https://"));

    let ca = Certificate::from_pem(&certs.ca);
    let with_ca = ClientTlsConfig::new()
        .ca_certificate(ca)
        .domain_name("localhost");
    assert!(tls_rows(&server, with_ca).await.unwrap() > 0);

    let without_ca = ClientTlsConfig::new().domain_name("localhost");
    assert!(tls_rows(&server, without_ca).await.is_err());

    // Plain HTTP/2 against the TLS port fails too.
    let plain = Channel::from_shared(format!("http://127.0.0.1:{}", server.addr().port()))
        .unwrap()
        .connect()
        .await;
    if let Ok(ch) = plain {
        assert!(rows(&mut FlightClient::new(ch)).await.is_err());
    }
}

#[tokio::test]
async fn mutual_tls_requires_a_client_certificate_and_auth_works_over_tls() {
    let certs = common::make_certs();
    let sim = start_sim(SimConfig::default()).await;
    let mut options = auth_options();
    options.tls = Some(TlsOptions {
        cert_pem: certs.server.clone().into_bytes(),
        key_pem: certs.server_key.clone().into_bytes(),
        client_ca_pem: Some(certs.ca.clone().into_bytes()),
    });
    let server = start_flight_with(&sim, client(&sim), options).await;
    let ca = || Certificate::from_pem(&certs.ca);

    // No client certificate: refused.
    let no_cert = ClientTlsConfig::new()
        .ca_certificate(ca())
        .domain_name("localhost");
    assert!(tls_rows(&server, no_cert).await.is_err());

    // Client certificate and bearer token: rows.
    let with_cert = ClientTlsConfig::new()
        .ca_certificate(ca())
        .domain_name("localhost")
        .identity(Identity::from_pem(&certs.client, &certs.client_key));
    let ch = tls_channel(&server, with_cert).await.unwrap();
    let mut c = FlightClient::new(ch.clone());
    let e = rows(&mut c).await.unwrap_err();
    assert_eq!(code_of(&e), Code::Unauthenticated);
    let bearer = handshake(ch, &basic_header(USER, PASSWORD))
        .await
        .unwrap()
        .unwrap();
    c.add_header("authorization", &bearer).unwrap();
    assert!(rows(&mut c).await.unwrap() > 0);
}

#[tokio::test]
async fn health_over_tls_needs_no_bearer_token() {
    use tonic_health::pb::HealthCheckRequest;
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::health_client::HealthClient;
    let certs = common::make_certs();
    let sim = start_sim(SimConfig::default()).await;
    let mut options = auth_options();
    options.tls = Some(TlsOptions {
        cert_pem: certs.server.clone().into_bytes(),
        key_pem: certs.server_key.clone().into_bytes(),
        client_ca_pem: None,
    });
    let server = start_flight_with(&sim, client(&sim), options).await;
    let tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(&certs.ca))
        .domain_name("localhost");
    let ch = tls_channel(&server, tls).await.unwrap();
    // no `authorization` header: the health service answers, Flight refuses
    let mut health = HealthClient::new(ch.clone());
    for service in ["", "igflight.connection.default"] {
        let status = health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap()
            .into_inner()
            .status;
        assert_eq!(status, ServingStatus::Serving as i32, "{service:?}");
    }
    let e = rows(&mut FlightClient::new(ch)).await.unwrap_err();
    assert_eq!(code_of(&e), Code::Unauthenticated);
}

// ---- logs ----

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_bearer_token_password_or_session_token_in_logs() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let sim = start_sim(SimConfig::default()).await;
    let options = auth_options();
    let debug = format!("{options:?}");
    let server = start_flight_with(&sim, client(&sim), options).await;
    let ch = channel(&server).await;

    let mut anon = FlightClient::new(ch.clone());
    assert!(rows(&mut anon).await.is_err());
    assert!(
        handshake(ch.clone(), &basic_header(USER, "wrong"))
            .await
            .is_err()
    );
    let session = handshake(ch.clone(), &basic_header(USER, PASSWORD))
        .await
        .unwrap()
        .unwrap();
    let mut c = FlightClient::new(ch);
    c.add_header("authorization", &session).unwrap();
    assert!(rows(&mut c).await.unwrap() > 0);
    c.add_header("authorization", &format!("Bearer {TOKEN}"))
        .unwrap();
    assert!(rows(&mut c).await.unwrap() > 0);
    drop(server);

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(logs.lines().count() > 3, "logs were captured: {logs}");
    let session_token = session.trim_start_matches("Bearer ");
    let basic = basic_header(USER, PASSWORD);
    for secret in [TOKEN, PASSWORD, session_token, basic.as_str()] {
        assert!(!logs.contains(secret), "a credential in the logs:\n{logs}");
        assert!(!debug.contains(secret), "a credential in Debug: {debug}");
    }
}
