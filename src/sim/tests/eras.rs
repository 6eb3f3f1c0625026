//! Insights by era: the refusals of removed or incompatible metrics (with the real texts), the
//! total-value and breakdown shapes of today's API, and their values against the data set.

use std::collections::BTreeSet;

use chrono::{NaiveDate, TimeZone, Utc};
use serde_json::json;

use super::versions::{get_versioned, late};
use super::*;
use crate::sim::catalog::{AGES, GENDERS};
use crate::sim::data::{Media, MediaType, ProductType};

fn message(v: &Value) -> &str {
    v["error"]["message"].as_str().unwrap_or("")
}

/// A media of `acc[0]` posted after the business conversion, of this type and product.
fn media_of(ds: &Dataset, t: MediaType, p: ProductType) -> Media {
    let a = &ds.accounts[0];
    a.media
        .iter()
        .chain(a.stories.iter().filter(|s| !s.low_viewers))
        .find(|m| m.media_type == t && m.media_product_type == p && m.timestamp > a.conversion_time)
        .unwrap_or_else(|| panic!("no {t:?} {p:?} media"))
        .clone()
}

/// A story with insights.
fn story(ds: &Dataset) -> Media {
    ds.accounts[0]
        .stories
        .iter()
        .find(|s| !s.low_viewers)
        .unwrap()
        .clone()
}

fn sum_of_results(tv: &Value) -> u64 {
    tv["breakdowns"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["value"].as_u64().unwrap())
        .sum()
}

#[tokio::test]
async fn removed_user_metrics_are_refused_with_the_real_texts() {
    let h = start(late()).await;
    let acc = h.dataset().accounts[0].id.clone();
    let user = |v: &str, q: &str| format!("{v}/{acc}/insights?{q}");
    // impressions on v22+: its own text
    let (s, _, v) = get_versioned(&h, &user("v23.0", "metric=impressions&period=day")).await;
    assert_eq!((s, err_code(&v)), (400, 100));
    assert_eq!(v["error"]["type"], "OAuthException");
    assert!(
        message(&v).starts_with(
            "(#100) Starting from version 22 and above, the impressions metric is no longer supported for the queried user"
        ),
        "{v}"
    );
    // on v21 (a v15 request) after 2025-04-21: the list of that version, without impressions (views
    // reached every version that day)
    let (_, _, v) = get_versioned(&h, &user("v15.0", "metric=reach,impressions&period=day")).await;
    assert_eq!(
        message(&v),
        "(#100) metric[1] must be one of the following values: reach, follower_count, \
         website_clicks, profile_views, online_followers, accounts_engaged, total_interactions, \
         likes, comments, shares, saves, replies, engaged_audience_demographics, \
         reached_audience_demographics, follower_demographics, follows_and_unfollows, \
         profile_links_taps, views"
    );
    // v22+ lists views too; audience_* is gone
    let (_, _, v) = get_versioned(&h, &user("v22.0", "metric=audience_city&period=lifetime")).await;
    assert!(
        message(&v).starts_with("(#100) metric[0] must be one of"),
        "{v}"
    );
    assert!(message(&v).ends_with("profile_links_taps, views"), "{v}");
    // time-series clicks are gone; profile_views is a total value now
    let (_, _, v) = get_versioned(&h, &user("v23.0", "metric=email_contacts&period=day")).await;
    assert!(message(&v).starts_with("(#100) metric[0] must be one of"));
    let (_, _, v) = get_versioned(
        &h,
        &user("v23.0", "metric=profile_views,accounts_engaged&period=day"),
    )
    .await;
    assert_eq!(
        message(&v),
        "(#100) The following metrics (profile_views, accounts_engaged) should be specified with parameter metric_type=total_value"
    );
    let (_, _, v) = get_versioned(
        &h,
        &user(
            "v23.0",
            "metric=reach,follower_count&period=day&metric_type=total_value",
        ),
    )
    .await;
    assert_eq!(
        message(&v),
        "(#100) The following metric (follower_count) is incompatible with the metric type (total_value)"
    );
    let (_, _, v) = get_versioned(
        &h,
        &user("v23.0", "metric=reach&period=day&metric_type=sum"),
    )
    .await;
    assert_eq!(
        message(&v),
        "(#100) metric_type must be one of the following values: default, time_series, total_value"
    );
}

#[tokio::test]
async fn demographics_breakdowns_and_windows_are_checked() {
    let h = start(late()).await;
    let acc = h.dataset().accounts[0].id.clone();
    let ask = |q: &str| format!("v23.0/{acc}/insights?{q}");
    let demo = "metric=follower_demographics&period=lifetime";
    let (_, _, v) = get_versioned(
        &h,
        &ask(&format!("{demo}&timeframe=this_month&breakdown=age")),
    )
    .await;
    assert_eq!(
        message(&v),
        "(#100) The following metrics (follower_demographics) should be specified with parameter metric_type=total_value"
    );
    let (_, _, v) = get_versioned(
        &h,
        &ask(&format!("{demo}&metric_type=total_value&breakdown=age")),
    )
    .await;
    assert_eq!(
        message(&v),
        "(#100) The following metrics (follower_demographics) require the parameter timeframe"
    );
    let (_, _, v) = get_versioned(
        &h,
        &ask(&format!(
            "{demo}&metric_type=total_value&breakdown=age&timeframe=last_30_days"
        )),
    )
    .await;
    assert_eq!(
        message(&v),
        "(#100) timeframe must be one of the following values: this_week, this_month"
    );
    // the older timeframes in their era (v19 on 2024-06-01)
    let h19 = start(SimConfig {
        api_as_of: NaiveDate::from_ymd_opt(2024, 6, 1).unwrap(),
        ..cfg()
    })
    .await;
    let (s, _, v) = get_versioned(
        &h19,
        &ask(&format!(
            "{demo}&metric_type=total_value&breakdown=age&timeframe=last_30_days"
        ))
        .replace("v23.0", "v19.0"),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    // a breakdown the metric does not have
    for q in [
        "metric=accounts_engaged&period=day&metric_type=total_value&breakdown=media_product_type",
        "metric=reach&period=day&metric_type=total_value&breakdown=age",
        "metric=reach&period=day&breakdown=follow_type",
        "metric=follower_demographics&period=lifetime&metric_type=total_value&timeframe=this_week&breakdown=age,city",
    ] {
        let (s, _, v) = get_versioned(&h, &ask(q)).await;
        assert_eq!((s, err_code(&v)), (400, 1), "{q}: {v}");
        assert_eq!(message(&v), "An unknown error has occurred.");
    }
    // the 30-day window, as for time series
    let until = Utc
        .with_ymd_and_hms(2024, 5, 19, 0, 0, 0)
        .unwrap()
        .timestamp();
    let since = until - 31 * 86_400;
    let (s, _, v) = get_versioned(
        &h,
        &ask(&format!(
            "metric=reach&period=day&metric_type=total_value&since={since}&until={until}"
        )),
    )
    .await;
    assert_eq!(s, 400);
    assert_eq!(
        message(&v),
        "(#100) There cannot be more than 30 days (2592000 s) between since and until"
    );
}

#[tokio::test]
async fn removed_and_incompatible_media_metrics() {
    let h = start(late()).await;
    let ds = h.dataset();
    let album = media_of(&ds, MediaType::CarouselAlbum, ProductType::Feed);
    let image = media_of(&ds, MediaType::Image, ProductType::Feed);
    let (s, _, v) = get_versioned(
        &h,
        &format!(
            "v23.0/{}/insights?metric=reach,carousel_album_reach",
            album.id
        ),
    )
    .await;
    assert_eq!((s, err_code(&v)), (400, 100));
    assert_eq!(
        message(&v),
        "(#100) metric[1] must be one of the following values: reach, replies, saved, likes, \
         comments, shares, total_interactions, follows, profile_visits, profile_activity, \
         navigation, ig_reels_avg_watch_time, ig_reels_video_view_total_time, views"
    );
    for removed in [
        "impressions",
        "engagement",
        "video_views",
        "plays",
        "taps_forward",
    ] {
        let (_, _, v) =
            get_versioned(&h, &format!("v15.0/{}/insights?metric={removed}", image.id)).await;
        assert!(
            message(&v).starts_with("(#100) metric[0] must be one of"),
            "{removed}: {v}"
        );
    }
    // one bad metric fails an ids= call as a whole
    let (s, _, v) = get_versioned(
        &h,
        &format!(
            "v23.0/?ids={},{}&fields=id,insights.metric(reach,impressions)",
            image.id, album.id
        ),
    )
    .await;
    assert_eq!((s, err_code(&v)), (400, 100), "{v}");
    // a metric of another product type
    let story = story(&ds);
    let (_, _, v) = get_versioned(
        &h,
        &format!("v23.0/{}/insights?metric=navigation", image.id),
    )
    .await;
    assert_eq!(
        message(&v),
        "(#100) Incompatible metric (navigation) with the media"
    );
    let (_, _, v) = get_versioned(&h, &format!("v23.0/{}/insights?metric=saved", story.id)).await;
    assert_eq!(
        message(&v),
        "(#100) Incompatible metric (saved) with the media"
    );

    // v19 (2024-06-01): feed videos do not have total_interactions yet
    let h19 = start(SimConfig {
        api_as_of: NaiveDate::from_ymd_opt(2024, 6, 1).unwrap(),
        ..cfg()
    })
    .await;
    let video = media_of(&h19.dataset(), MediaType::Video, ProductType::Feed);
    let (_, v19, v) = get_versioned(
        &h19,
        &format!(
            "v19.0/{}/insights?metric=reach,total_interactions",
            video.id
        ),
    )
    .await;
    assert_eq!(v19, "v19.0");
    assert_eq!(
        message(&v),
        "(#100) Incompatible metric (total_interactions) with the media"
    );

    // v21 before 2025-04-21: views on Reels only
    let h21 = start(SimConfig {
        api_as_of: NaiveDate::from_ymd_opt(2025, 2, 1).unwrap(),
        ..cfg()
    })
    .await;
    let ds21 = h21.dataset();
    let image = media_of(&ds21, MediaType::Image, ProductType::Feed);
    let reel = media_of(&ds21, MediaType::Video, ProductType::Reels);
    let (s, _, v) = get_versioned(
        &h21,
        &format!("v21.0/{}/insights?metric=reach,views", image.id),
    )
    .await;
    assert_eq!((s, err_code(&v)), (400, 100));
    assert_eq!(
        message(&v),
        "(#100) The Media Insights API does not support the views metric for this media product type."
    );
    let (s, _, v) = get_versioned(&h21, &format!("v21.0/{}/insights?metric=views", reel.id)).await;
    assert_eq!(s, 200, "{v}");
    // v22 on the same date: the views of every media come with v22
    let (s, _, v) = get_versioned(&h21, &format!("v22.0/{}/insights?metric=views", image.id)).await;
    assert_eq!(s, 200, "{v}");
}

#[tokio::test]
async fn user_total_values_and_breakdowns() {
    let h = start(late()).await;
    let ds = h.dataset();
    let acc = ds.accounts[0].id.clone();
    let until = Utc.with_ymd_and_hms(2024, 5, 19, 0, 0, 0).unwrap();
    let since = until - chrono::Duration::days(7);
    let window = format!("since={}&until={}", since.timestamp(), until.timestamp());
    let (s, _, v) = get_versioned(
        &h,
        &format!(
            "v23.0/{acc}/insights?metric=reach,views&period=day&metric_type=total_value&breakdown=media_product_type,follow_type&{window}"
        ),
    )
    .await;
    // views has follower_type, not follow_type
    assert_eq!((s, err_code(&v)), (400, 1), "{v}");
    let (s, _, v) = get_versioned(
        &h,
        &format!(
            "v23.0/{acc}/insights?metric=reach&period=day&metric_type=total_value&breakdown=media_product_type,follow_type&{window}"
        ),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let r = &v["data"][0];
    assert!(r.get("values").is_none(), "{r}");
    assert_eq!(r["name"], "reach");
    assert_eq!(r["id"], format!("{acc}/insights/reach/day"));
    let tv = &r["total_value"];
    let total = ds.user_total(&acc, "reach", since, until).unwrap();
    assert_eq!(tv["value"], total);
    assert_eq!(
        tv["breakdowns"][0]["dimension_keys"],
        json!(["media_product_type", "follow_type"])
    );
    let results = tv["breakdowns"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 10);
    assert_eq!(results[0]["dimension_values"], json!(["POST", "FOLLOWER"]));
    assert_eq!(sum_of_results(tv), total);
    assert!(v["paging"]["next"].as_str().unwrap().contains("/v23.0/"));
    // views without a breakdown: only the value; follows_and_unfollows by follow_type
    let (s, _, v) = get_versioned(
        &h,
        &format!("v23.0/{acc}/insights?metric=views,accounts_engaged&period=day&metric_type=total_value&{window}"),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v["data"][0]["total_value"],
        json!({"value": ds.user_total(&acc, "views", since, until).unwrap()})
    );
    assert!(v["data"][1]["total_value"]["value"].as_u64().unwrap() > 0);
    // period=total_over_range: the same sum, the period echoed; week is not a total-value period
    let (s, _, v) = get_versioned(
        &h,
        &format!("v23.0/{acc}/insights?metric=likes&period=total_over_range&metric_type=total_value&{window}"),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["data"][0]["period"], "total_over_range");
    assert_eq!(
        v["data"][0]["total_value"]["value"],
        ds.user_total(&acc, "likes", since, until).unwrap()
    );
    let (s, _, v) = get_versioned(
        &h,
        &format!("v23.0/{acc}/insights?metric=likes&period=week&metric_type=total_value"),
    )
    .await;
    assert_eq!(s, 400);
    assert!(
        message(&v)
            .starts_with("(#100) The following metrics do not support the period week: likes")
    );
    // the nested form
    let (s, _, v) = get_versioned(
        &h,
        &format!("v23.0/{acc}?fields=insights.metric(follows_and_unfollows).period(day).metric_type(total_value).breakdown(follow_type).since({}).until({})", since.timestamp(), until.timestamp()),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let tv = &v["insights"]["data"][0]["total_value"];
    assert_eq!(tv["breakdowns"][0]["results"].as_array().unwrap().len(), 2);
    assert_eq!(sum_of_results(tv), tv["value"].as_u64().unwrap());
}

#[tokio::test]
async fn demographics_keep_every_pair() {
    let h = start(late()).await;
    let ds = h.dataset();
    let acc = ds.accounts[0].id.clone();
    let ask = |metric: &str, breakdown: &str| {
        format!(
            "v23.0/{acc}/insights?metric={metric}&period=lifetime&metric_type=total_value&timeframe=this_month&breakdown={breakdown}"
        )
    };
    let (s, _, v) = get_versioned(&h, &ask("follower_demographics", "age,gender")).await;
    assert_eq!(s, 200, "{v}");
    let r = &v["data"][0];
    assert!(r.get("values").is_none());
    assert_eq!(r["period"], "lifetime");
    assert!(v.get("paging").is_none());
    let tv = &r["total_value"];
    assert_eq!(
        tv["breakdowns"][0]["dimension_keys"],
        json!(["age", "gender"])
    );
    let pairs: BTreeSet<(String, String)> = tv["breakdowns"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let d = r["dimension_values"].as_array().unwrap();
            assert_eq!(d.len(), 2);
            (
                d[0].as_str().unwrap().to_string(),
                d[1].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let every: BTreeSet<(String, String)> = AGES
        .iter()
        .flat_map(|a| GENDERS.iter().map(move |g| (a.to_string(), g.to_string())))
        .collect();
    assert_eq!(pairs, every);
    assert!(pairs.contains(&("25-34".to_string(), "F".to_string())));
    assert_eq!(sum_of_results(tv), tv["value"].as_u64().unwrap());
    let want = ds
        .demographics(
            &acc,
            "follower_demographics",
            &["age", "gender"],
            "this_month",
        )
        .unwrap();
    assert_eq!(tv["value"], want.iter().map(|(_, v)| v).sum::<u64>());
    // gender,age: the pairs in that order
    let (_, _, v) = get_versioned(&h, &ask("engaged_audience_demographics", "gender,age")).await;
    let first = &v["data"][0]["total_value"]["breakdowns"][0]["results"][0];
    assert_eq!(first["dimension_values"], json!(["F", "13-17"]));
    // city and country: one key each; the follower cities are the old audience_city map
    let (_, _, v) = get_versioned(&h, &ask("follower_demographics", "city")).await;
    let results = &v["data"][0]["total_value"]["breakdowns"][0]["results"];
    assert_eq!(results[0]["dimension_values"], json!(["Portland, Oregon"]));
    let old = ds
        .user_insight(&acc, "audience_city", "lifetime", None)
        .unwrap();
    assert_eq!(results[0]["value"], old["Portland, Oregon"]);
    let (s, _, v) = get_versioned(&h, &ask("reached_audience_demographics", "country")).await;
    assert_eq!(s, 200, "{v}");
}

#[tokio::test]
async fn media_total_values_and_breakdowns() {
    let h = start(late()).await;
    let ds = h.dataset();
    let image = media_of(&ds, MediaType::Image, ProductType::Feed);
    let reel = media_of(&ds, MediaType::Video, ProductType::Reels);
    let story = story(&ds);
    let (s, _, v) = get_versioned(
        &h,
        &format!("v23.0/{}/insights?metric=views,total_interactions,profile_activity&breakdown=action_type", image.id),
    )
    .await;
    // views has no breakdown: the whole call fails
    assert_eq!((s, err_code(&v)), (400, 1), "{v}");
    let (s, _, v) = get_versioned(
        &h,
        &format!(
            "v23.0/{}/insights?metric=profile_activity&breakdown=action_type",
            image.id
        ),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let r = &v["data"][0];
    let value = ds.media_value(&image, "profile_activity");
    assert_eq!(r["values"], json!([{"value": value}]));
    assert_eq!(r["total_value"]["value"], value);
    assert_eq!(
        r["total_value"]["breakdowns"][0]["dimension_keys"],
        json!(["action_type"])
    );
    assert_eq!(
        r["total_value"]["breakdowns"][0]["results"][0]["dimension_values"],
        json!(["bio_link_clicked"])
    );
    assert_eq!(sum_of_results(&r["total_value"]), value);
    // the interactions and views, as the data set gives them
    let (s, _, v) = get_versioned(
        &h,
        &format!("v23.0/{}/insights?metric=views,reach,saved,likes,comments,shares,total_interactions,follows,profile_visits", image.id),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v["data"][0]["values"][0]["value"],
        ds.media_value(&image, "views")
    );
    let n = |i: usize| v["data"][i]["values"][0]["value"].as_u64().unwrap();
    assert_eq!(n(6), n(2) + n(3) + n(4) + n(5), "total_interactions");
    assert_eq!(n(3), image.like_count.unwrap_or(n(3)));
    // metric_type=total_value: no values
    let (s, _, v) = get_versioned(
        &h,
        &format!("v23.0/{}/insights?metric=views,ig_reels_avg_watch_time,ig_reels_video_view_total_time&metric_type=total_value", reel.id),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert!(v["data"][0].get("values").is_none());
    assert_eq!(
        v["data"][0]["total_value"],
        json!({"value": ds.media_value(&reel, "views")})
    );
    // story navigation
    let (s, _, v) = get_versioned(
        &h,
        &format!("v23.0/{}/insights?metric=navigation,replies,total_interactions&breakdown=story_navigation_action_type", story.id),
    )
    .await;
    assert_eq!((s, err_code(&v)), (400, 1), "replies has no breakdown: {v}");
    let (s, _, v) = get_versioned(
        &h,
        &format!(
            "v23.0/{}?fields=id,insights.metric(navigation).breakdown(story_navigation_action_type)",
            story.id
        ),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let tv = &v["insights"]["data"][0]["total_value"];
    let keys: Vec<&str> = tv["breakdowns"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["dimension_values"][0].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        ["tap_forward", "tap_back", "tap_exit", "swipe_forward"]
    );
    assert_eq!(sum_of_results(tv), tv["value"].as_u64().unwrap());
}
