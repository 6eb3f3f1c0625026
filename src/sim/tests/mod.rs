//! End-to-end tests of the simulator over HTTP, one file per concern.

use chrono::{TimeZone, Utc};
use serde_json::Value;

use super::*;

mod auth;
mod batch;
mod budget;
mod clock;
mod edges;
mod eras;
mod faults;
mod hashtags;
mod insights;
mod routes;
mod versions;

fn cfg() -> SimConfig {
    SimConfig {
        now: Utc.with_ymd_and_hms(2024, 5, 20, 15, 30, 0).unwrap(),
        ..SimConfig::default()
    }
}

async fn start(c: SimConfig) -> SimHandle {
    Simulator::start(c, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

async fn get_url(url: &str) -> (u16, Value) {
    let r = reqwest::get(url).await.unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap())
}

async fn get(h: &SimHandle, pq: &str) -> (u16, Value) {
    let sep = if pq.contains('?') { '&' } else { '?' };
    get_url(&format!(
        "{}/v15.0/{pq}{sep}access_token={}",
        h.base_url(),
        h.token()
    ))
    .await
}

fn err_code(v: &Value) -> i64 {
    v["error"]["code"].as_i64().unwrap_or(-1)
}
