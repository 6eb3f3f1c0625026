//! A failing, retrying run against the simulator with every log line captured (trace level, global
//! subscriber — this file holds one test so the capture is not shared): neither the Graph token, the app
//! secret nor the appsecret_proof appears in any log line, error message or error Debug.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::TryStreamExt;
use hmac::{Hmac, Mac};
use igflight::graph::{Edge, Endpoint, GraphClient, NodeId, PageRequest};
use igflight::sim::{FaultKind, SimConfig};
use sha2::Sha256;

use common::{big_budget, fast_retry, start_sim};

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
async fn no_token_or_secret_in_logs_or_errors_of_a_failing_retrying_run() {
    let capture = Capture::default();
    let writer = capture.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();

    const TOKEN: &str = "EAAGsecretTOKEN0123456789abcdef";
    const APP_SECRET: &str = "appSECRET9876543210";
    let proof = {
        let mut mac = Hmac::<Sha256>::new_from_slice(APP_SECRET.as_bytes()).unwrap();
        mac.update(TOKEN.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    };
    let sim = start_sim(SimConfig {
        token: TOKEN.into(),
        app_secret: APP_SECRET.into(),
        require_appsecret_proof: true,
        fault_rate: 0.5,
        faults: vec![
            FaultKind::Http500Code2,
            FaultKind::Code1,
            FaultKind::DropConnection,
            FaultKind::Html503,
        ],
        ..SimConfig::default()
    })
    .await;
    let client = GraphClient::builder(TOKEN)
        .base_url(sim.base_url())
        .app_secret(APP_SECRET)
        .retry(fast_retry(2))
        .budget_config(big_budget())
        .request_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let ds = sim.dataset();
    let ig = NodeId::parse(&ds.accounts[0].id).unwrap();

    let mut texts = Vec::new();
    let mut record = |e: &dyn std::fmt::Debug, d: String| texts.push(format!("{d}\n{e:?}"));
    // paging with `next` URLs that embed the token, under faults: some streams fail after retries
    for a in &ds.accounts {
        let id = NodeId::parse(&a.id).unwrap();
        let req =
            PageRequest::new(id.edge(Edge::Media), &[("fields", "id".to_string())]).page_size(10);
        if let Err(e) = client.pages(req).try_collect::<Vec<_>>().await {
            record(&e, e.to_string());
        }
    }
    // errors that are not retried: a node that does not exist, an edge the node does not have
    let missing = NodeId::parse("1789999999999999999").unwrap();
    for endpoint in [Endpoint::media(&missing), ig.edge(Edge::TopMedia)] {
        if let Err(e) = client.get(&endpoint, &[]).await {
            record(&e, e.to_string());
        }
    }
    // a wrong token and a missing proof
    let wrong = client.with_token("EAAGwrongTOKENabcdef0123");
    if let Err(e) = wrong.get(&Endpoint::user(&ig), &[]).await {
        record(&e, e.to_string());
    }
    let no_proof = GraphClient::builder(TOKEN)
        .base_url(sim.base_url())
        .retry(fast_retry(2))
        .build()
        .unwrap();
    if let Err(e) = no_proof.get(&Endpoint::user(&ig), &[]).await {
        record(&e, e.to_string());
    }
    assert!(
        texts.len() >= 3,
        "the run produced errors to inspect: {}",
        texts.len()
    );
    texts.push(format!("{client:?}"));
    texts.push(serde_json::to_string(&client.stats()).unwrap());

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(logs.lines().count() > 10, "logs were captured");
    assert!(
        logs.contains("retry") || logs.contains("retrying"),
        "retries were logged"
    );
    for secret in [
        TOKEN,
        APP_SECRET,
        proof.as_str(),
        "EAAGwrongTOKENabcdef0123",
    ] {
        assert!(!logs.contains(secret), "a secret leaked into the logs");
        for t in &texts {
            assert!(!t.contains(secret), "a secret leaked into an error: {t}");
        }
    }
}
