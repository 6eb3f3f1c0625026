//! Benchmark: every report on the simulated Graph API, through the one report-stream function.
//! Prints the Graph calls each report spent, its rows, and rows per second; for `media_insights` it also
//! prints the calls against N (one call per media) and N / 100 + N / 50 (the plan's target).
//!
//! Run: `cargo bench --bench reports` (optionally `-- --latency-ms 20` to add simulated network latency).

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use igflight::graph::{BudgetConfig, GraphClient};
use igflight::plan::{ReportContext, report_stream};
use igflight::sim::{SimConfig, Simulator};
use igflight::ticket::decode;
use serde_json::json;

#[tokio::main]
async fn main() {
    let latency_ms: u64 = std::env::args()
        .skip_while(|a| a != "--latency-ms")
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let sim = Simulator::start(
        SimConfig {
            latency: Duration::from_millis(latency_ms),
            ..SimConfig::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let ds = sim.dataset();
    let acc = &ds.accounts[0];
    let busiest = acc
        .media
        .iter()
        .max_by_key(|m| m.stored_comment_total())
        .unwrap();
    let tag = &ds.hashtags[0];
    let other = &ds.discovery[0];
    let tickets = vec![
        json!({"report":"pages"}),
        json!({"report":"user","account":acc.id}),
        json!({"report":"user_media","account":acc.id}),
        json!({"report":"user_stories","account":acc.id}),
        json!({"report":"media_comments","media_id":busiest.id}),
        json!({"report":"media_insights","account":acc.id}),
        json!({"report":"user_insights","account":acc.id}),
        json!({"report":"user_insights","account":acc.id,"metrics":["reach","impressions"],"date_from_offset":365,"date_to_offset":1}),
        json!({"report":"user_insights","account":acc.id,"period":"lifetime"}),
        json!({"report":"other_users","account":acc.id,"username":other.username}),
        json!({"report":"other_users_media","account":acc.id,"username":other.username}),
        json!({"report":"recently_searched_hashtags","account":acc.id}),
        json!({"report":"hashtag_recent_media","account":acc.id,"hashtag":tag.name}),
        json!({"report":"hashtag_top_media","account":acc.id,"hashtag":tag.name}),
    ];
    println!("igflight reports on the simulated Graph API (latency {latency_ms} ms per call)");
    println!(
        "{:<28} {:>8} {:>7} {:>12} {:>10}",
        "report", "rows", "calls", "rows/s", "ms"
    );
    for t in tickets {
        // a fresh context per report, so caches do not hide calls
        let graph = GraphClient::builder(sim.token().to_string())
            .base_url(sim.base_url())
            .budget_config(BudgetConfig {
                limit: 1_000_000,
                ..BudgetConfig::default()
            })
            .build()
            .unwrap();
        let ctx = Arc::new(ReportContext::new(graph));
        let req = decode(t.to_string().as_bytes(), ctx.today(), ctx.api_version()).unwrap();
        let name = req.report.name().to_string();
        let label = if t.get("date_from_offset").is_some() {
            format!("{name} (365 days)")
        } else if t.get("period").is_some() {
            format!("{name} (lifetime)")
        } else {
            name.clone()
        };
        let started = Instant::now();
        let rs = report_stream(ctx.clone(), req);
        let summary = rs.summary.clone();
        let batches: Vec<_> = rs.batches.try_collect().await.unwrap();
        let elapsed = started.elapsed();
        let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
        println!(
            "{label:<28} {rows:>8} {:>7} {:>12.0} {:>10.1}",
            summary.graph_calls(),
            rows as f64 / elapsed.as_secs_f64(),
            elapsed.as_secs_f64() * 1000.0
        );
        if name == "media_insights" {
            let n = acc.media.len();
            println!(
                "    media_insights over N = {n} media: {} calls (one call per media would be {n}; N/100 + N/50 = {}); skipped {:?}",
                summary.graph_calls(),
                n.div_ceil(100) + n.div_ceil(50),
                summary.skipped()
            );
        }
    }
    sim.shutdown().await;
}
