//! Benchmark: every report on the simulated Graph API, through the one report-stream function, on two
//! eras of the API: the seed's (`--api-as-of 2022-11-01`: v15.0 answers, the v15 metrics) and today's
//! (v15.0 asked, v21.0 answering, the v22 catalog). Prints the Graph calls each report spent, its rows,
//! rows per second and the metrics it left out; for `media_insights` it also prints the calls against N
//! (one call per media) and N / 100 + N / 50 (the plan's target). Each report runs on a fresh connection,
//! so caches do not hide calls; on today's API each insights report first spends the one call that
//! learns the answering version (column `+v`).
//!
//! Run: `cargo bench --bench reports` (options: `-- --latency-ms 20` adds simulated network latency per
//! call; `--api-as-of DATE` runs one era).

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use common::{arg, eras};
use futures::TryStreamExt;
use igflight::graph::{BudgetConfig, GraphClient};
use igflight::plan::{ReportContext, report_stream};
use igflight::sim::{SimConfig, Simulator};
use igflight::ticket::decode;
use serde_json::json;

#[tokio::main]
async fn main() {
    let latency_ms: u64 = arg("--latency-ms")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    for api_as_of in eras() {
        run(api_as_of, latency_ms).await;
    }
}

async fn run(api_as_of: NaiveDate, latency_ms: u64) {
    let sim = Simulator::start(
        SimConfig {
            latency: Duration::from_millis(latency_ms),
            api_as_of,
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
    let seed_era = api_as_of < NaiveDate::from_ymd_opt(2023, 12, 11).unwrap();
    let long_range = if seed_era { 365 } else { 89 };
    let other = &ds.discovery[0];
    let tickets = vec![
        json!({"report":"pages"}),
        json!({"report":"user","account":acc.id}),
        json!({"report":"user_media","account":acc.id}),
        json!({"report":"user_stories","account":acc.id}),
        json!({"report":"media_comments","media_id":busiest.id}),
        json!({"report":"media_insights","account":acc.id}),
        json!({"report":"user_insights","account":acc.id}),
        // the longest range the era keeps reach for (v22: 90 days)
        json!({"report":"user_insights","account":acc.id,"metrics":["reach","impressions"],"date_from_offset":long_range,"date_to_offset":1}),
        json!({"report":"user_insights","account":acc.id,"period":"lifetime"}),
        json!({"report":"media_insights","account":acc.id,"media_type":"story"}),
        json!({"report":"other_users","account":acc.id,"username":other.username}),
        json!({"report":"other_users_media","account":acc.id,"username":other.username}),
        json!({"report":"recently_searched_hashtags","account":acc.id}),
        json!({"report":"hashtag_recent_media","account":acc.id,"hashtag":tag.name}),
        json!({"report":"hashtag_top_media","account":acc.id,"hashtag":tag.name}),
    ];
    println!(
        "\nigflight reports on the simulated Graph API of {api_as_of} (v15.0 asked; latency {latency_ms} ms per call)"
    );
    println!(
        "{:<28} {:>8} {:>7} {:>3} {:>12} {:>10}  left out",
        "report", "rows", "calls", "+v", "rows/s", "ms"
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
        let started = Instant::now();
        let today = ctx.today();
        let req = ctx
            .check_now(|v| decode(t.to_string().as_bytes(), today, v))
            .unwrap();
        // as DoGet does: an insights request learns the answering version first (one call)
        let req = ctx.final_request(req).await.unwrap();
        let learn = ctx.graph.stats().total;
        let name = req.report.name().to_string();
        let label = if t.get("date_from_offset").is_some() {
            format!("{name} ({long_range} days)")
        } else if t.get("period").is_some() {
            format!("{name} (lifetime)")
        } else if t.get("media_type").is_some() {
            format!("{name} (stories)")
        } else {
            name.clone()
        };
        let rs = report_stream(ctx.clone(), req);
        let summary = rs.summary.clone();
        let batches: Vec<_> = rs.batches.try_collect().await.unwrap();
        let elapsed = started.elapsed();
        let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
        let left_out: Vec<String> = summary
            .dropped_metrics()
            .iter()
            .map(|d| format!("{} ({})", d.metric, d.scope))
            .collect();
        println!(
            "{label:<28} {rows:>8} {:>7} {learn:>3} {:>12.0} {:>10.1}  {}",
            summary.graph_calls(),
            rows as f64 / elapsed.as_secs_f64(),
            elapsed.as_secs_f64() * 1000.0,
            left_out.join(", ")
        );
        if label == "media_insights" {
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
