//! Metrics and the run summary line: a Flight server over the simulator, with the Prometheus recorder
//! installed and the log captured (this file holds one test: the recorder and the subscriber are
//! global), runs a report to its end, one that fails and one whose client goes away; each is counted
//! once under its outcome, its rows and Graph calls match what the client and the Graph client saw,
//! and each logs exactly one `report done` line.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arrow_flight::Ticket;
use futures::{StreamExt, TryStreamExt};
use igflight::flight::connections::Served;
use igflight::graph::Endpoint;
use igflight::plan::ReportContext;
use igflight::reports::catalog::ReportKind;
use igflight::sim::{FaultKind, SimConfig};

use common::{client, client_with, start_flight, start_sim};

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

impl Capture {
    /// The captured `report done` lines (JSON).
    fn runs(&self) -> Vec<serde_json::Value> {
        let text = String::from_utf8(self.0.lock().unwrap().clone()).unwrap();
        text.lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|v| v["fields"]["message"] == "report done")
            .collect()
    }
}

/// The value of the series `name{labels}` (labels as rendered, in order), if present.
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        let (name, v) = l.rsplit_once(' ')?;
        (name == series).then(|| v.parse().unwrap())
    })
}

fn ticket(v: &serde_json::Value) -> Ticket {
    Ticket::new(v.to_string())
}

#[tokio::test]
async fn report_runs_are_counted_and_logged_once_each() {
    let handle = igflight::monitoring::install_recorder().unwrap();
    let capture = Capture::default();
    let writer = capture.clone();
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(tracing_subscriber::EnvFilter::new("info"))
        .with_writer(move || writer.clone())
        .init();

    // every Graph answer takes 200 ms, so a reader can go away while a run waits for its next page
    let sim = start_sim(SimConfig {
        latency: Duration::from_millis(200),
        ..SimConfig::default()
    })
    .await;
    let graph = client(&sim);
    let (_server, mut fc) = start_flight(&sim, graph.clone()).await;
    let examples = igflight::flight::demo_examples(&sim.dataset());
    let media = examples[&ReportKind::UserMedia].clone();

    // a run to its end
    let batches: Vec<_> = fc
        .do_get(ticket(&media))
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    assert!(rows > 0);
    let text = handle.render();
    let ok = r#"igflight_report_runs_total{report="user_media",connection="default",outcome="ok"}"#;
    assert_eq!(value(&text, ok), Some(1.0), "{text}");
    assert_eq!(
        value(
            &text,
            r#"igflight_report_rows_total{report="user_media",connection="default"}"#
        ),
        Some(rows as f64),
        "{text}"
    );
    assert_eq!(
        value(
            &text,
            r#"igflight_report_duration_seconds_count{report="user_media"}"#
        ),
        Some(1.0),
        "{text}"
    );
    // every Graph attempt is counted, by endpoint kind (the simulator answers all of them)
    let calls: f64 = text
        .lines()
        .filter(|l| l.starts_with("igflight_graph_calls_total{"))
        .map(|l| l.rsplit_once(' ').unwrap().1.parse::<f64>().unwrap())
        .sum();
    assert_eq!(calls, graph.stats().total as f64, "{text}");
    assert!(
        value(
            &text,
            r#"igflight_graph_calls_total{endpoint="user/media",outcome="ok"}"#
        )
        .is_some_and(|n| n >= 1.0),
        "{text}"
    );
    // the run refreshed its connection's budget gauge: the budget's limit less the calls made
    let left = graph
        .budget()
        .remaining_for(graph.token_key())
        .await
        .unwrap();
    assert_eq!(
        value(&text, r#"igflight_graph_budget_left{connection="default"}"#),
        Some(f64::from(left)),
        "{text}"
    );
    assert_eq!(
        u64::from(graph.budget().config().limit - left),
        graph.stats().total
    );
    assert_eq!(
        value(&text, "igflight_report_streams_active"),
        Some(0.0),
        "{text}"
    );
    let runs = capture.runs();
    assert_eq!(runs.len(), 1, "{runs:?}");
    let f = &runs[0]["fields"];
    assert_eq!(f["report"], "user_media");
    assert_eq!(f["connection"], "default");
    assert_eq!(f["outcome"], "ok");
    assert_eq!(f["rows"], rows as u64);
    assert!(f["graph_calls"].as_u64().unwrap() >= 1, "{f}");
    assert!(f["cache_hits"].is_u64(), "{f}");
    assert!(f["elapsed_ms"].is_u64(), "{f}");

    // a run that fails: the token reaches two accounts and the ticket names none
    let err = match fc
        .do_get(ticket(&serde_json::json!({"report": "user_media"})))
        .await
    {
        Ok(s) => s.try_collect::<Vec<_>>().await.unwrap_err(),
        Err(e) => e,
    };
    assert!(err.to_string().contains("name one with"), "{err}");
    let text = handle.render();
    assert_eq!(
        value(
            &text,
            r#"igflight_report_runs_total{report="user_media",connection="default",outcome="invalid_argument"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(value(&text, ok), Some(1.0), "{text}");
    let runs = capture.runs();
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert_eq!(runs[1]["fields"]["outcome"], "invalid_argument");
    assert!(
        runs[1]["fields"]["error"]
            .as_str()
            .unwrap()
            .contains("name one with")
    );

    // a reader that goes away after the first batch of a run of many pages
    let mut long = media.clone();
    long["limit"] = 200.into();
    long["page_size"] = 2.into();
    let mut stream = fc.do_get(ticket(&long)).await.unwrap();
    let first = stream.next().await.unwrap().unwrap();
    assert!(first.num_rows() > 0);
    drop(stream);
    let cancelled = r#"igflight_report_runs_total{report="user_media",connection="default",outcome="cancelled"}"#;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while value(&handle.render(), cancelled).is_none() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the dropped run was not counted: {}",
            handle.render()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let text = handle.render();
    assert_eq!(value(&text, cancelled), Some(1.0), "{text}");
    assert_eq!(value(&text, ok), Some(1.0), "{text}");
    assert_eq!(
        value(&text, "igflight_report_streams_active"),
        Some(0.0),
        "{text}"
    );
    let runs = capture.runs();
    assert_eq!(runs.len(), 3, "{runs:?}");
    assert_eq!(runs[2]["fields"]["outcome"], "cancelled");
    assert!(runs[2]["fields"]["rows"].as_u64().unwrap() >= first.num_rows() as u64);
    // a hashtag search takes one of the account's 30 weekly slots: the gauge shows it
    let tags = examples[&ReportKind::HashtagRecentMedia].clone();
    let _: Vec<_> = fc
        .do_get(ticket(&tags))
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let text = handle.render();
    assert!(
        value(
            &text,
            r#"igflight_hashtag_searches_used{connection="default"}"#
        )
        .is_some_and(|n| n >= 1.0),
        "{text}"
    );

    // the gauges `serve` refreshes on its timer, for a served connection named `shop`
    let served = Served::new(Arc::new(ReportContext::new(graph.clone())))
        .named("shop")
        .expiring(Some(chrono::Utc::now().timestamp() + 3 * 86_400 + 60));
    assert_eq!(served.ctx.served_name(), "shop");
    igflight::monitoring::refresh_connection(&served).await;
    let text = handle.render();
    let days = value(&text, r#"igflight_token_days_left{connection="shop"}"#).unwrap();
    assert!((3.0..3.01).contains(&days), "{text}");
    let left = graph
        .budget()
        .remaining_for(graph.token_key())
        .await
        .unwrap();
    assert_eq!(
        value(&text, r#"igflight_graph_budget_left{connection="shop"}"#),
        Some(f64::from(left)),
        "{text}"
    );
    assert_eq!(
        value(
            &text,
            r#"igflight_hashtag_searches_used{connection="shop"}"#
        ),
        Some(0.0),
        "{text}"
    );

    // a Graph API that fails every call: each attempt counted under its error class, each retry counted
    let failing = start_sim(SimConfig {
        fault_rate: 1.0,
        faults: vec![FaultKind::Http500Code2],
        ..SimConfig::default()
    })
    .await;
    let flaky = client_with(&failing, failing.token(), 1000, 3);
    let attempts = r#"igflight_graph_calls_total{endpoint="me",outcome="retryable"}"#;
    let retries = r#"igflight_graph_retries_total{endpoint="me",reason="retryable"}"#;
    let before = handle.render();
    let count = |text: &str, series: &str| value(text, series).unwrap_or(0.0);
    flaky
        .get(&Endpoint::me(), &[("fields", "id".to_string())])
        .await
        .unwrap_err();
    let text = handle.render();
    assert_eq!(
        count(&text, attempts) - count(&before, attempts),
        3.0,
        "{text}"
    );
    assert_eq!(
        count(&text, retries) - count(&before, retries),
        2.0,
        "{text}"
    );

    // no label holds a token or its key
    assert!(!text.contains(sim.token()), "{text}");
    assert!(!text.contains(graph.token_key().as_str()), "{text}");
}
