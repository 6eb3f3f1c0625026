//! Benchmark: decoding Graph media pages, compared with parsing the same bytes into `serde_json::Value`.
//!
//! Run: `cargo bench --bench decode`. The pages come from the simulated Graph API (all media fields,
//! `limit=100`), fetched once over HTTP; then each decoder runs over all pages repeatedly and the best of
//! several rounds is reported as MiB/s, rows/s and as a ratio to `serde_json::Value`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use igflight::reports::media::{decode_media_page, media_rows_to_batch};
use igflight::sim::{SimConfig, Simulator};

const FIELDS: &str = "id,caption,media_type,media_product_type,media_url,thumbnail_url,permalink,shortcode,timestamp,like_count,comments_count,username,is_comment_enabled,children{id}";

async fn fetch_pages() -> Vec<Vec<u8>> {
    let sim = Simulator::start(SimConfig::default(), "127.0.0.1:0".parse().unwrap())
        .await
        .expect("start simulator");
    let base = format!("{}/v15.0", sim.base_url());
    let token = sim.token().to_string();
    let http = reqwest::Client::new();
    let accounts: serde_json::Value = http
        .get(format!("{base}/me/accounts"))
        .query(&[
            ("fields", "id,instagram_business_account"),
            ("access_token", &token),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut pages = Vec::new();
    for page in accounts["data"].as_array().unwrap() {
        let Some(ig) = page["instagram_business_account"]["id"].as_str() else {
            continue;
        };
        let mut url = reqwest::Url::parse_with_params(
            &format!("{base}/{ig}/media"),
            &[
                ("fields", FIELDS),
                ("limit", "100"),
                ("access_token", &token),
            ],
        )
        .unwrap();
        loop {
            let bytes = http
                .get(url.clone())
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
            let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            pages.push(bytes.to_vec());
            match v["paging"]["next"].as_str() {
                Some(next) => url = reqwest::Url::parse(next).unwrap(),
                None => break,
            }
        }
    }
    sim.shutdown().await;
    pages
}

fn best_of(rounds: usize, min_time: Duration, mut f: impl FnMut() -> usize) -> (Duration, usize) {
    let mut best = Duration::MAX;
    let mut rows = 0;
    for _ in 0..rounds {
        let start = Instant::now();
        let mut iters = 0u32;
        while start.elapsed() < min_time {
            rows = f();
            iters += 1;
        }
        best = best.min(start.elapsed() / iters);
    }
    (best, rows)
}

fn main() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let pages = rt.block_on(fetch_pages());
    let bytes: usize = pages.iter().map(Vec::len).sum();
    let mib = bytes as f64 / (1024.0 * 1024.0);

    let (value_t, value_rows) = best_of(5, Duration::from_millis(300), || {
        let mut n = 0;
        for p in &pages {
            let v: serde_json::Value = serde_json::from_slice(p).unwrap();
            n += v["data"].as_array().map_or(0, Vec::len);
            black_box(v);
        }
        n
    });
    let (rows_t, typed_rows) = best_of(5, Duration::from_millis(300), || {
        let mut n = 0;
        for p in &pages {
            let page = decode_media_page(p).unwrap();
            n += page.data.len();
            black_box(page);
        }
        n
    });
    let (arrow_t, arrow_rows) = best_of(5, Duration::from_millis(300), || {
        let mut n = 0;
        for p in &pages {
            let page = decode_media_page(p).unwrap();
            let batch = media_rows_to_batch(&page.data, Some("1784")).unwrap();
            n += batch.num_rows();
            black_box(batch);
        }
        n
    });
    assert_eq!(value_rows, typed_rows);
    assert_eq!(value_rows, arrow_rows);

    println!(
        "decode Graph media pages: {} pages, {} rows, {:.2} MiB",
        pages.len(),
        value_rows,
        mib
    );
    let line = |name: &str, t: Duration| {
        let secs = t.as_secs_f64();
        println!(
            "  {name:<34} {:>9.1} MiB/s {:>12.0} rows/s   ratio to Value: {:.2}x",
            mib / secs,
            value_rows as f64 / secs,
            value_t.as_secs_f64() / secs
        );
    };
    line("serde_json::Value (baseline)", value_t);
    line("typed borrowed rows", rows_t);
    line("typed rows -> Arrow RecordBatch", arrow_t);
}
