//! User and media insights: values, windows, errors.

use chrono::{TimeZone, Utc};

use super::*;

#[tokio::test]
async fn insights_rules() {
    let h = start(cfg()).await;
    let ds = h.dataset();
    let acc = &ds.accounts[0].id;
    let until = Utc
        .with_ymd_and_hms(2024, 5, 19, 0, 0, 0)
        .unwrap()
        .timestamp();
    let since = until - 31 * 86_400;
    let (s, v) = get(
        &h,
        &format!("{acc}/insights?metric=reach&period=day&since={since}&until={until}"),
    )
    .await;
    assert_eq!(s, 400);
    assert_eq!(
        v["error"]["message"],
        "(#100) There cannot be more than 30 days (2592000 s) between since and until"
    );
    let since = until - 30 * 86_400;
    let (s, v) = get(
        &h,
        &format!("{acc}/insights?metric=reach,impressions&period=day&since={since}&until={until}"),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let vals = v["data"][0]["values"].as_array().unwrap();
    assert_eq!(vals.len(), 30);
    assert_eq!(vals[0]["end_time"], "2024-04-19T07:00:00+0000");
    assert!(
        v["paging"]["next"]
            .as_str()
            .unwrap()
            .contains(&format!("since={until}"))
    );
    // default window: 2 values
    let (_, v) = get(&h, &format!("{acc}/insights?metric=reach&period=day")).await;
    assert_eq!(v["data"][0]["values"].as_array().unwrap().len(), 2);
    // invalid metric, mixed periods, audience
    let (_, v) = get(&h, &format!("{acc}/insights?metric=bogus&period=day")).await;
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("(#100) metric[0] must be one of the following values: impressions")
    );
    let (s, _) = get(
        &h,
        &format!("{acc}/insights?metric=reach,online_followers&period=day"),
    )
    .await;
    assert_eq!(s, 400);
    let (_, v) = get(
        &h,
        &format!("{acc}/insights?metric=audience_city,audience_gender_age&period=lifetime"),
    )
    .await;
    assert!(v["data"][0]["values"][0]["value"].is_object());
    assert!(v["data"][0]["values"][0].get("end_time").is_none());
    let old = until - 60 * 86_400;
    let (_, v) = get(
        &h,
        &format!(
            "{acc}/insights?metric=follower_count&period=day&since={old}&until={}",
            old + 86_400 * 5
        ),
    )
    .await;
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("(follower_count) metric only supports")
    );
    // media insights: the value matches the data set
    let m = ds.accounts[0]
        .media
        .iter()
        .find(|m| {
            m.media_type == data::MediaType::Image && m.timestamp > ds.accounts[0].conversion_time
        })
        .unwrap();
    let (_, v) = get(&h, &format!("{}/insights?metric=reach,saved", m.id)).await;
    assert_eq!(
        v["data"][0]["values"][0]["value"],
        ds.media_insight(&m.id, "reach").unwrap()
    );
    assert_eq!(
        v["data"][1]["id"],
        format!("{}/insights/saved/lifetime", m.id)
    );
    let low = ds.accounts[0]
        .stories
        .iter()
        .find(|s| s.low_viewers)
        .unwrap();
    let (_, v) = get(&h, &format!("{}/insights?metric=reach", low.id)).await;
    assert_eq!(
        v["error"]["message"],
        "(#10) Not enough viewers for the media to show insights"
    );
}

#[tokio::test]
async fn ids_expansion_fails_whole_call_on_pre_conversion_media() {
    let h = start(cfg()).await;
    let ds = h.dataset();
    let a = &ds.accounts[0];
    let new: Vec<&str> = a
        .media
        .iter()
        .filter(|m| {
            m.timestamp > a.conversion_time
                && m.media_product_type == data::ProductType::Feed
                && m.media_type == data::MediaType::Image
        })
        .take(2)
        .map(|m| m.id.as_str())
        .collect();
    let old = a
        .media
        .iter()
        .find(|m| m.timestamp < a.conversion_time && m.media_type == data::MediaType::Image)
        .unwrap();
    let (s, v) = get(
        &h,
        &format!(
            "?ids={}&fields=id,insights.metric(reach,saved)",
            new.join(",")
        ),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert!(v[new[0]]["insights"]["data"][0]["values"][0]["value"].is_u64());
    let (s, v) = get(
        &h,
        &format!(
            "?ids={},{}&fields=id,insights.metric(reach)",
            new.join(","),
            old.id
        ),
    )
    .await;
    assert_eq!(s, 400);
    assert_eq!(v["error"]["error_subcode"], 2108006);
    assert_eq!(v["error"]["message"], "Invalid parameter");
    assert_eq!(v["error"]["is_transient"], false);
    let many: Vec<String> = a.media.iter().take(51).map(|m| m.id.clone()).collect();
    let (s, _) = get(&h, &format!("?ids={}", many.join(","))).await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn extreme_since_and_until_are_refused_not_panics() {
    let h = start(cfg()).await;
    let acc = h.dataset().accounts[0].id.clone();
    let media = format!("{acc}/media?fields=id,timestamp");
    let insights = format!("{acc}/insights?metric=reach&period=day");
    let lifetime = format!("{acc}/insights?metric=audience_city&period=lifetime");
    for value in [
        "9223372036854775807",
        "-9223372036854775808",
        "-8334600451200",
        "253402300800",
        "+262142-12-31",
        "262142-12-31",
        "-262143-01-01",
        "1e30",
    ] {
        for edge in [&media, &insights, &lifetime] {
            for key in ["since", "until"] {
                let (status, v) = get(&h, &format!("{edge}&{key}={value}")).await;
                assert_eq!(status, 400, "{edge} {key}={value}: {v}");
                assert_eq!(err_code(&v), 100, "{v}");
            }
        }
    }
    // the server still answers
    let (status, _) = get(&h, &media).await;
    assert_eq!(status, 200);
}
