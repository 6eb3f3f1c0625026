//! Client input in log lines is a bounded prefix: a server fed huge tickets, descriptors, actions, SQL
//! and headers (`serve -vv`'s filter, every line captured — this file holds one test so the global subscriber is
//! not shared) writes no long line.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use arrow_flight::sql::client::FlightSqlServiceClient;
use arrow_flight::{Action, Criteria, FlightDescriptor, Ticket};
use futures::TryStreamExt;
use igflight::sim::SimConfig;
use serde_json::json;

use common::{client, start_flight, start_sim};

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

/// The longest log line a request may cause: a few bounded values and the line's own text.
const MAX_LINE: usize = 4096;

#[tokio::test]
async fn huge_client_values_leave_only_short_log_lines() {
    let capture = Capture::default();
    let writer = capture.clone();
    // what `serve -vv` logs: everything at trace
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            igflight::telemetry::default_filter(2, "info"),
        ))
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();

    let sim = start_sim(SimConfig::default()).await;
    let (server, mut fc) = start_flight(&sim, client(&sim)).await;
    let big = "x".repeat(60_000);
    let huge = "y".repeat(2 << 20);

    // tickets near and far past the 64 KiB cap, with a long page name, hashtag, report, key
    for t in [
        json!({"report": "user", "page": big}).to_string(),
        json!({"report": "hashtag_recent_media", "hashtag": big}).to_string(),
        json!({"report": big}).to_string(),
        format!(r#"{{"report":"user","{big}":1}}"#),
        json!({"report": "user", "account": huge}).to_string(),
    ] {
        let _ = fc.do_get(Ticket::new(t.clone())).await;
        let _ = fc
            .get_flight_info(FlightDescriptor::new_cmd(t.clone()))
            .await;
    }
    let _ = fc
        .get_flight_info(FlightDescriptor::new_path(vec![huge.clone()]))
        .await;
    let _ = fc
        .get_schema(FlightDescriptor::new_path(vec![big.clone()]))
        .await;
    if let Ok(s) = fc
        .list_flights(bytes::Bytes::from(huge.clone().into_bytes()))
        .await
    {
        let _ = s.try_collect::<Vec<_>>().await;
    }
    let _ = fc.list_flights(Criteria::default().expression).await;
    if let Ok(s) = fc.do_action(Action::new(huge.clone(), "")).await {
        let _ = s.try_collect::<Vec<_>>().await;
    }
    if let Ok(s) = fc.do_action(Action::new("accounts", huge.clone())).await {
        let _ = s.try_collect::<Vec<_>>().await;
    }

    // SQL: a long query, a long default account header, a long literal
    let channel = tonic::transport::Channel::from_shared(server.url())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut sql = FlightSqlServiceClient::new(channel.clone());
    let _ = sql.execute(format!("SELECT 1 -- {huge}"), None).await;
    let _ = sql
        .execute(
            format!("SELECT id FROM user_media WHERE username = '{big}'"),
            None,
        )
        .await;
    let mut with_header = FlightSqlServiceClient::new(channel);
    with_header.set_header("x-igflight-account", &big);
    let _ = with_header
        .execute("SELECT id FROM user".into(), None)
        .await;

    let text = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(text.lines().count() > 10, "the run was logged:\n{text}");
    let lines: Vec<&str> = text.lines().collect();
    let (at, longest) = lines
        .iter()
        .enumerate()
        .map(|(i, l)| (i, l.len()))
        .max_by_key(|(_, n)| *n)
        .unwrap_or_default();
    let context: Vec<String> = lines[at.saturating_sub(3)..=at]
        .iter()
        .map(|l| l.chars().take(300).collect())
        .collect();
    assert!(
        longest <= MAX_LINE,
        "a log line of {longest} bytes:\n{}",
        context.join("\n")
    );
}
