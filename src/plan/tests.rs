use super::media::{keep, unix_bounds};
use super::*;
use crate::ticket::{DateRange, ReportParams, decode};
use chrono::NaiveDate;
use serde_json::json;

fn req(json: &str) -> ReportRequest {
    decode(
        json.as_bytes(),
        NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(),
        crate::reports::catalog::GraphVersion::V15,
    )
    .unwrap()
}

#[test]
fn graph_fields_follow_the_projection() {
    let all = ["id", "caption", "children", "timestamp"];
    assert_eq!(
        media_graph_fields(&["timestamp", "children"], &all),
        "id,timestamp,children{id}"
    );
    assert_eq!(
        media_graph_fields(&["ig_user_id"], &all),
        "id",
        "context columns are not Graph fields"
    );
}

#[test]
fn date_ranges_are_whole_utc_days() {
    let r = DateRange {
        from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        to: NaiveDate::from_ymd_opt(2026, 1, 2).unwrap(),
    };
    let (since, until) = unix_bounds(&r);
    assert_eq!(until - since, 2 * 86_400);
    assert_eq!(since, 1_767_225_600);
}

#[test]
fn local_filters_on_media_type_and_dates() {
    let r = req(
        r#"{"report":"user_media","media_type":"reels","date_from":"2026-01-01","date_to":"2026-01-31"}"#,
    );
    let ReportParams::UserMedia { filter, .. } = r.params else {
        panic!("{r:?}")
    };
    let r = filter;
    assert!(keep(
        &r,
        &json!({"media_type":"VIDEO","media_product_type":"REELS","timestamp":"2026-01-31T23:59:59+0000"})
    ));
    assert!(!keep(
        &r,
        &json!({"media_type":"VIDEO","media_product_type":"FEED","timestamp":"2026-01-15T00:00:00+0000"})
    ));
    assert!(!keep(
        &r,
        &json!({"media_type":"VIDEO","media_product_type":"REELS","timestamp":"2026-02-01T00:00:00+0000"})
    ));
    assert!(
        !keep(
            &r,
            &json!({"media_type":"VIDEO","media_product_type":"REELS"})
        ),
        "no timestamp: not provably inside"
    );
}

/// Two new hashtags asked at once when one slot of the 30 is left: one gets it, the other is refused
/// without a call (the check and the reservation are one critical section).
#[tokio::test]
async fn two_new_hashtags_at_once_cannot_both_take_the_last_slot() {
    let sim = crate::sim::Simulator::start(
        crate::sim::SimConfig::default(),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let graph = crate::graph::GraphClient::builder(sim.token().to_string())
        .base_url(sim.base_url())
        .build()
        .unwrap();
    let ctx = ReportContext::new(graph);
    let ig = crate::graph::NodeId::parse(&sim.dataset().accounts[0].id).unwrap();
    let now = ctx.now();
    let names: Vec<String> = (0..hashtag::HASHTAG_BUDGET - 1)
        .map(|i| format!("used{i}"))
        .collect();
    ctx.ledger()
        .seed_hashtags(ig.as_str(), &names, now.timestamp_millis())
        .await
        .unwrap();
    let used: std::collections::HashMap<String, _> = names.into_iter().map(|n| (n, now)).collect();
    ctx.hashtag_window
        .lock()
        .insert(ig.as_str().to_string(), used);
    let summary = RunSummary::default();
    let (a, b) = futures::join!(
        hashtag::hashtag_id(&ctx, &summary, &ig, "newone"),
        hashtag::hashtag_id(&ctx, &summary, &ig, "newtwo"),
    );
    let refused = [&a, &b]
        .iter()
        .filter(|r| matches!(r, Err(ReportError::HashtagBudget { .. })))
        .count();
    assert_eq!(refused, 1, "{a:?} / {b:?}");
    assert!(a.is_ok() || b.is_ok());
    assert_eq!(
        ctx.hashtag_window.lock()[ig.as_str()].len(),
        hashtag::HASHTAG_BUDGET
    );
    sim.shutdown().await;
}

#[test]
fn the_context_speaks_the_configured_version() {
    use crate::reports::catalog::GraphVersion;
    let ctx = |v: &str| {
        ReportContext::new(
            crate::graph::GraphClient::builder("t")
                .version(v)
                .build()
                .unwrap(),
        )
    };
    assert_eq!(ctx("v22.0").api_version(), GraphVersion::V22);
    assert_eq!(ctx("v15.0").api_version(), GraphVersion::V15);
    // not a version the catalog knows how to read: the default catalog's
    assert_eq!(ctx("latest").api_version(), GraphVersion::V15);
    let default = ReportContext::new(crate::graph::GraphClient::builder("t").build().unwrap());
    assert_eq!(default.api_version(), GraphVersion::V15);
}
