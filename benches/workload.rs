//! Benchmark: the full-pull workload of issue 12 on the simulated Graph API — for each of 2 accounts of
//! N media (default 300): `user`, `user_media`, `media_insights` (all media), `user_stories`,
//! `user_insights` (default), `media_insights` of the stories; one connection, one report after the
//! other, as a client would pull them. Prints per report the Graph calls, rows and wall time, the totals,
//! the calls by endpoint kind, then the same workload again on the warm connection (what its caches
//! save). The reference numbers (issue 12, 100 ms per call, 2 × 300 media, the 2022 API): Airbyte
//! source-instagram 2,238 calls and 81 s; the goal ≤ 45 calls and ≤ 2.5 s cold.
//!
//! Run: `cargo bench --bench workload` (options: `-- --latency-ms 100 --media 300 --api-as-of
//! 2022-11-01`; without `--api-as-of` both eras run: the seed's API and today's). For the call counts
//! alone, the debug build is enough: `cargo test --bench workload -- --latency-ms 0`.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{arg, eras};
use futures::TryStreamExt;
use igflight::graph::{BudgetConfig, GraphClient};
use igflight::plan::{ReportContext, report_stream};
use igflight::sim::{SimConfig, SimHandle, Simulator};
use igflight::ticket::decode;
use serde_json::{Value, json};

#[tokio::main]
async fn main() {
    // RUST_LOG=igflight=debug shows each Graph request (which ids, which fields) on stderr
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    }
    let latency_ms: u64 = arg("--latency-ms")
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let media: usize = arg("--media").and_then(|v| v.parse().ok()).unwrap_or(300);
    for api_as_of in eras() {
        let sim = Simulator::start(
            SimConfig {
                latency: Duration::from_millis(latency_ms),
                api_as_of,
                media_per_account: Some(media),
                ..SimConfig::default()
            },
            "127.0.0.1:0".parse().unwrap(),
        )
        .await
        .unwrap();
        println!(
            "\nworkload: 2 accounts x {media} media, Graph API of {api_as_of} (v15.0 asked), {latency_ms} ms per call"
        );
        for parallel in [false, true] {
            // a fresh connection: the first pass is cold
            let graph = GraphClient::builder(sim.token().to_string())
                .base_url(sim.base_url())
                .budget_config(BudgetConfig {
                    limit: 1_000_000,
                    ..BudgetConfig::default()
                })
                .build()
                .unwrap();
            let ctx = Arc::new(ReportContext::new(graph));
            println!(
                "  {}",
                if parallel {
                    "the accounts at once (a client fetching one endpoint per account in parallel):"
                } else {
                    "one report after the other:"
                }
            );
            for pass in ["cold", "warm"] {
                run(&sim, &ctx, pass, parallel).await;
            }
        }
        sim.shutdown().await;
    }
}

/// The workload's tickets, per account.
fn tickets(sim: &SimHandle) -> Vec<Vec<Value>> {
    let ds = sim.dataset();
    let mut out = Vec::new();
    for acc in ds.accounts.iter().take(2) {
        let a = &acc.id;
        out.push(vec![
            json!({"report": "user", "account": a}),
            json!({"report": "user_media", "account": a}),
            json!({"report": "media_insights", "account": a}),
            json!({"report": "user_stories", "account": a}),
            json!({"report": "user_insights", "account": a}),
            json!({"report": "media_insights", "account": a, "media_type": "story"}),
        ]);
    }
    out
}

/// One report run: its label, rows, Graph calls (as the run counted them) and milliseconds.
async fn one(ctx: &Arc<ReportContext>, t: &Value) -> (String, usize, u64, f64) {
    let started = Instant::now();
    let today = ctx.today();
    let req = ctx
        .check_now(|v| decode(t.to_string().as_bytes(), today, v))
        .unwrap();
    let req = ctx.final_request(req).await.unwrap();
    let rs = report_stream(ctx.clone(), req);
    let summary = rs.summary.clone();
    let batches: Vec<_> = rs.batches.try_collect().await.unwrap();
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    let label = match t.get("media_type") {
        Some(_) => format!("{} (stories)", t["report"].as_str().unwrap_or("")),
        None => t["report"].as_str().unwrap_or("").to_string(),
    };
    (
        label,
        rows,
        summary.graph_calls(),
        started.elapsed().as_secs_f64() * 1000.0,
    )
}

async fn run(sim: &SimHandle, ctx: &Arc<ReportContext>, pass: &str, parallel: bool) {
    sim.reset_stats();
    let started = Instant::now();
    println!(
        "  {pass}: {:<34} {:>7} {:>6} {:>9}",
        "report", "rows", "calls", "ms"
    );
    // each account's reports one after the other; the accounts one after the other or at once
    let per_account = tickets(sim).into_iter().map(|ts| {
        let ctx = ctx.clone();
        async move {
            let mut out = Vec::new();
            for t in &ts {
                out.push(one(&ctx, t).await);
            }
            out
        }
    });
    let results: Vec<Vec<_>> = if parallel {
        futures::future::join_all(per_account).await
    } else {
        let mut all = Vec::new();
        for f in per_account {
            all.push(f.await);
        }
        all
    };
    let mut rows_total = 0usize;
    for (label, rows, calls, ms) in results.into_iter().flatten() {
        rows_total += rows;
        println!("        {label:<34} {rows:>7} {calls:>6} {ms:>9.0}");
    }
    let elapsed = started.elapsed();
    let stats = sim.stats();
    let by_kind: BTreeMap<String, u64> = stats.by_endpoint.clone();
    println!(
        "  {pass} total: {} Graph calls, {rows_total} rows, {:.2} s; by endpoint: {by_kind:?}",
        stats.total,
        elapsed.as_secs_f64()
    );
}
