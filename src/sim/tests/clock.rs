//! The data clock: moving it forward shows what was posted meanwhile (the same at any later clock),
//! the user-insight days ended meanwhile, counts still growing on recent media only; the admin
//! endpoint; the clock never goes back.

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use super::*;
use crate::sim::data::{Media, day_share, engagement_share, pacific_end_times};

/// Every item of a top-level list edge, following `next`.
async fn all_pages(h: &SimHandle, pq: &str) -> Vec<Value> {
    let sep = if pq.contains('?') { '&' } else { '?' };
    let mut url = format!("{}/v15.0/{pq}{sep}access_token={}", h.base_url(), h.token());
    let mut items = Vec::new();
    loop {
        let (s, page) = get_url(&url).await;
        assert_eq!(s, 200, "{page}");
        items.extend(page["data"].as_array().unwrap().iter().cloned());
        match page["paging"]["next"].as_str() {
            Some(n) => url = n.to_string(),
            None => return items,
        }
    }
}

/// What must never change about a media once it exists.
fn identity(m: &Media) -> String {
    let children: Vec<&str> = m.children.iter().map(|c| c.id.as_str()).collect();
    format!(
        "{}|{}|{:?}|{:?}|{:?}|{}|{:?}|{:?}",
        m.id,
        m.timestamp,
        m.caption,
        m.media_type,
        m.media_url,
        m.permalink,
        children,
        m.like_count.is_some()
    )
}

fn start_clock() -> DateTime<Utc> {
    cfg().now
}

#[tokio::test]
async fn advancing_a_day_shows_the_new_posts_and_keeps_the_old() {
    let h = start(cfg()).await;
    let t0 = start_clock();
    assert_eq!(h.start_clock(), t0);
    let before = h.dataset();
    assert_eq!(before.now, t0);
    let t1 = t0 + Duration::days(1);
    // the data set of a later clock is known before the clock gets there, and not served yet
    let ahead = h.dataset_at(t1);
    let fresh = ahead.accounts[0].media[0].clone();
    assert!(fresh.timestamp > t0 && fresh.timestamp <= t1);
    let (s, v) = get(&h, &format!("{}?fields=id,timestamp", fresh.id)).await;
    assert_eq!((s, err_code(&v)), (400, 100), "{v}");

    assert_eq!(h.set_now(t1), Ok(t1));
    assert!(h.now() >= t1 && h.now() < t1 + Duration::minutes(1));
    let after = h.dataset();
    assert_eq!(after.now, t1);
    for (a, (old, new)) in before.accounts.iter().zip(&after.accounts).enumerate() {
        let posted: Vec<&Media> = new.media.iter().filter(|m| m.timestamp > t0).collect();
        // about 2.4 posts a day, from an hour after the start
        assert!(
            (1..=4).contains(&posted.len()),
            "account {a}: {}",
            posted.len()
        );
        assert!(posted.iter().all(|m| m.timestamp <= t1));
        assert_eq!(new.media.len(), old.media.len() + posted.len());
        assert_eq!(new.media_count as usize, new.media.len());
        let kept: Vec<String> = new.media[posted.len()..].iter().map(identity).collect();
        assert_eq!(kept, old.media.iter().map(identity).collect::<Vec<_>>());
        let known: Vec<String> = ahead.accounts[a].media.iter().map(identity).collect();
        assert_eq!(new.media.iter().map(identity).collect::<Vec<_>>(), known);
        // what the API serves: the listing (paging quirks and all), the count, the new posts by id
        let listed = all_pages(&h, &format!("{}/media?fields=id,timestamp,caption", new.id)).await;
        let ids: Vec<&str> = listed.iter().map(|m| m["id"].as_str().unwrap()).collect();
        let expected: Vec<&str> = new.media.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, expected);
        let (_, u) = get(&h, &format!("{}?fields=media_count", new.id)).await;
        assert_eq!(u["media_count"].as_u64(), Some(new.media_count));
        for m in &posted {
            let (s, v) = get(&h, &format!("{}?fields=id,timestamp,caption", m.id)).await;
            assert_eq!(s, 200, "{v}");
            assert_eq!(v["timestamp"], data::fmt_ts(m.timestamp));
            assert_eq!(v["caption"].as_str(), m.caption.as_deref());
        }
    }
    let (s, v) = get(&h, &format!("{}?fields=id,timestamp", fresh.id)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["timestamp"], data::fmt_ts(fresh.timestamp));
    // business discovery of an own account sees the new posts too
    let me = &after.accounts[1].id;
    let (s, v) = get(
        &h,
        &format!(
            "{me}?fields=business_discovery.username({})%7Bmedia_count,media.limit(1)%7Bid%7D%7D",
            after.accounts[0].username
        ),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let bd = &v["business_discovery"];
    assert_eq!(
        bd["media_count"].as_u64(),
        Some(after.accounts[0].media_count)
    );
    assert_eq!(
        bd["media"]["data"][0]["id"].as_str(),
        Some(fresh.id.as_str())
    );
}

#[tokio::test]
async fn stories_are_those_of_the_last_24_hours_at_the_clock() {
    let h = start(cfg()).await;
    let t0 = start_clock();
    let first: Vec<String> = h.dataset().accounts[0]
        .stories
        .iter()
        .map(|s| s.id.clone())
        .collect();
    assert_eq!(first.len(), 4);
    h.advance(Duration::days(1)).unwrap();
    let ds = h.dataset();
    for (a, acc) in ds.accounts.iter().enumerate() {
        assert!(!acc.stories.is_empty(), "account {a}");
        assert!(
            acc.stories
                .iter()
                .all(|s| s.timestamp > ds.now - Duration::hours(24)
                    && s.timestamp <= ds.now
                    && s.timestamp > t0)
        );
        assert!(acc.stories.iter().any(|s| s.low_viewers) || acc.stories.len() == 1);
        let listed = all_pages(&h, &format!("{}/stories?fields=id,timestamp", acc.id)).await;
        let ids: Vec<&str> = listed.iter().map(|s| s["id"].as_str().unwrap()).collect();
        let expected: Vec<&str> = acc.stories.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, expected);
    }
    assert!(first.iter().all(|id| ds.media(id).is_none()));
    let live = ds.accounts[0]
        .stories
        .iter()
        .find(|s| !s.low_viewers)
        .unwrap();
    let (s, v) = get(&h, &format!("{}/insights?metric=reach", live.id)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v["data"][0]["values"][0]["value"].as_u64(),
        Some(ds.media_value(live, "reach"))
    );
}

#[tokio::test]
async fn user_insights_gain_the_day_ended_and_settle_after_two_days() {
    let h = start(cfg()).await;
    let t0 = start_clock();
    let ig = h.dataset().accounts[0].id.clone();
    let since = (t0 - Duration::days(5)).timestamp();
    let until = (t0 + Duration::days(3)).timestamp();
    let q =
        format!("{ig}/insights?metric=reach,follower_count&period=day&since={since}&until={until}");
    let values = |v: &Value, i: usize| -> Vec<(String, u64)> {
        v["data"][i]["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                (
                    x["end_time"].as_str().unwrap().to_string(),
                    x["value"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let (s, v0) = get(&h, &q).await;
    assert_eq!(s, 200, "{v0}");
    let before = values(&v0, 0);
    let ds0 = h.dataset();
    let ends = pacific_end_times(t0 - Duration::days(5), t0);
    assert_eq!(before.len(), ends.len());
    for ((end, value), e) in before.iter().zip(&ends) {
        assert_eq!(*end, data::fmt_ts(*e));
        assert_eq!(
            Some(json!(value)),
            ds0.user_insight(&ig, "reach", "day", Some(*e))
        );
    }

    h.advance(Duration::days(1)).unwrap();
    let (s, v1) = get(&h, &q).await;
    assert_eq!(s, 200, "{v1}");
    let after = values(&v1, 0);
    assert_eq!(after.len(), before.len() + 1, "one more day has ended");
    assert_eq!(values(&v1, 1).len(), values(&v0, 1).len() + 1);
    let ds1 = h.dataset();
    let t1 = ds1.now;
    for ((end, value), (end0, value0)) in after.iter().zip(&before) {
        assert_eq!(end, end0);
        let e = ends.iter().find(|e| data::fmt_ts(**e) == *end).unwrap();
        if *e <= t0 - Duration::days(2) {
            assert_eq!(
                value, value0,
                "a day ended over 2 days ago is settled: {end}"
            );
        } else {
            assert!(value >= value0, "{end}");
        }
        assert_eq!(day_share(*e, t1) == 1000, *e <= t1 - Duration::days(2));
    }
    let (new_end, new_value) = after.last().unwrap();
    let e = pacific_end_times(t0, t1)[0];
    assert_eq!(*new_end, data::fmt_ts(e));
    assert_eq!(
        Some(json!(new_value)),
        ds1.user_insight(&ig, "reach", "day", Some(e))
    );
}

#[tokio::test]
async fn counts_of_recent_media_grow_and_old_ones_stay() {
    let h = start(cfg()).await;
    let t0 = start_clock();
    let ds0 = h.dataset();
    h.advance(Duration::days(1)).unwrap();
    let ds1 = h.dataset();
    let acc0 = &ds0.accounts[0];
    let acc1 = &ds1.accounts[0];
    let posted = acc1.media.len() - acc0.media.len();
    let mut grew = 0;
    for (m0, m1) in acc0.media.iter().zip(&acc1.media[posted..]) {
        assert_eq!(m0.id, m1.id);
        if t0 - m0.timestamp >= Duration::hours(72) {
            assert_eq!(m0.like_count, m1.like_count, "{}", m0.id);
            assert_eq!(m0.comments_count, m1.comments_count, "{}", m0.id);
        } else if m1.like_count > m0.like_count {
            grew += 1;
        }
        assert!(m1.like_count >= m0.like_count);
    }
    assert!(grew > 0, "a media of the last 3 days got likes");
    // a post made after the start: likes, comments and insights grow for 3 days, then stay
    let new = acc1.media[0].clone();
    assert!(new.timestamp > t0);
    let share = engagement_share(new.timestamp, ds1.now);
    assert!(share < 1000);
    let reach = |ds: &Dataset| ds.media_value(ds.media(&new.id).unwrap(), "reach");
    let later = h.dataset_at(new.timestamp + Duration::days(2));
    let settled = h.dataset_at(new.timestamp + Duration::days(4));
    let much_later = h.dataset_at(new.timestamp + Duration::days(30));
    let at = |ds: &Dataset| ds.media(&new.id).unwrap().clone();
    assert!(at(&later).like_count >= new.like_count);
    assert!(reach(&later) > reach(&ds1));
    assert!(at(&settled).comments_count >= at(&later).comments_count);
    assert_eq!(at(&settled).like_count, at(&much_later).like_count);
    assert_eq!(at(&settled).comments_count, at(&much_later).comments_count);
    assert_eq!(reach(&settled), reach(&much_later));
    let m = at(&settled);
    assert_eq!(m.comments_count, Some(m.stored_comment_total()));
    // what the API serves at the clock
    let (s, v) = get(
        &h,
        &format!(
            "{}?fields=like_count,comments_count,insights.metric(reach)",
            new.id
        ),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["like_count"].as_u64(), new.like_count);
    assert_eq!(v["comments_count"].as_u64(), new.comments_count);
    assert_eq!(
        v["insights"]["data"][0]["values"][0]["value"].as_u64(),
        Some(reach(&ds1))
    );
    let (s, v) = get(&h, &format!("{}/comments?fields=id&limit=50", new.id)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["data"].as_array().unwrap().len(), new.comments.len());
}

#[tokio::test]
async fn the_clock_never_goes_back() {
    let h = start(cfg()).await;
    let t0 = start_clock();
    let t1 = t0 + Duration::hours(30);
    assert_eq!(h.set_now(t1), Ok(t1));
    let count = h.dataset().accounts[0].media_count;
    assert!(matches!(
        h.set_now(t0),
        Err(ClockError::Backwards { asked, .. }) if asked == t0
    ));
    assert!(matches!(
        h.advance(Duration::seconds(-1)),
        Err(ClockError::Backwards { .. })
    ));
    assert!(matches!(
        h.set_now(t0 + Duration::days(MAX_AHEAD_DAYS + 1)),
        Err(ClockError::TooFar { .. })
    ));
    assert!(h.now() >= t1 && h.now() < t1 + Duration::minutes(1));
    assert_eq!(h.dataset().accounts[0].media_count, count);
    // an earlier data set can still be looked at, and is what it was
    let then = h.dataset_at(t0);
    assert_eq!(then.now, t0);
    let first: Vec<String> = Dataset::generate(42, t0).accounts[0]
        .media
        .iter()
        .map(identity)
        .collect();
    assert_eq!(
        then.accounts[0]
            .media
            .iter()
            .map(identity)
            .collect::<Vec<_>>(),
        first
    );
}

#[tokio::test]
async fn tokens_expire_at_their_time_relative_to_the_start() {
    let h = start(cfg()).await;
    h.advance(Duration::days(58)).unwrap();
    let (s, v) = get(&h, "me?fields=id").await;
    assert_eq!(s, 200, "{v}");
    h.advance(Duration::days(2)).unwrap();
    let (s, v) = get(&h, "me?fields=id").await;
    assert_eq!((s, err_code(&v)), (400, 190), "{v}");
    assert_eq!(v["error"]["error_subcode"], 463);
}

#[tokio::test]
async fn the_admin_endpoint_moves_the_clock_and_refuses_bad_input() {
    let h = start(cfg()).await;
    let t0 = start_clock();
    let http = reqwest::Client::new();
    let url = format!("{}/__sim/clock", h.base_url());
    let (s, v) = get_url(&url).await;
    assert_eq!(s, 200);
    assert_eq!(v["start"], "2024-05-20T15:30:00Z");
    let now: DateTime<Utc> = v["now"].as_str().unwrap().parse().unwrap();
    assert!(now >= t0 && now < t0 + Duration::minutes(1));
    let calls = h.stats().total;
    let post = |body: String| {
        let http = http.clone();
        let url = url.clone();
        async move {
            let r = http.post(url).body(body).send().await.unwrap();
            let s = r.status().as_u16();
            (s, r.json::<Value>().await.unwrap())
        }
    };
    let (s, v) = post(json!({"advance_secs": 86_400}).to_string()).await;
    assert_eq!(s, 200, "{v}");
    let moved: DateTime<Utc> = v["now"].as_str().unwrap().parse().unwrap();
    assert!(
        moved >= t0 + Duration::days(1) && moved < t0 + Duration::days(1) + Duration::minutes(1)
    );
    assert!(h.now() >= moved);
    let (s, v) = post(json!({"now": "2024-05-23T00:00:00Z"}).to_string()).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["now"], "2024-05-23T00:00:00Z");
    assert_eq!(v["start"], "2024-05-20T15:30:00Z");
    assert_eq!(h.dataset().now.to_rfc3339(), "2024-05-23T00:00:00+00:00");
    let (s, v) = post(json!({"now": "2024-05-23T03:00:00+02:00"}).to_string()).await;
    assert_eq!((s, &v["now"]), (200, &json!("2024-05-23T01:00:00Z")), "{v}");
    for (body, needle) in [
        ("not json", "not JSON"),
        ("[1]", "JSON object"),
        (r#"{"later": 1}"#, "unknown key `later`"),
        ("{}", "give `now` or `advance_secs`"),
        (
            r#"{"now": "2024-05-24T00:00:00Z", "advance_secs": 1}"#,
            "not both",
        ),
        (r#"{"now": "tomorrow"}"#, "RFC 3339"),
        (r#"{"now": 1716422400}"#, "RFC 3339"),
        (r#"{"advance_secs": -5}"#, "0 or more"),
        (r#"{"advance_secs": 1.5}"#, "0 or more"),
        (r#"{"now": "2024-05-21T00:00:00Z"}"#, "only moves forward"),
        (r#"{"now": "2099-01-01T00:00:00Z"}"#, "at most 3660 days"),
    ] {
        let (s, v) = post(body.to_string()).await;
        assert_eq!(s, 400, "{body}: {v}");
        let msg = v["error"]["message"].as_str().unwrap();
        assert!(msg.contains(needle), "{body}: {msg}");
        assert_eq!(v["error"]["accepted"].as_array().unwrap().len(), 2, "{v}");
    }
    assert_eq!(h.dataset().now.to_rfc3339(), "2024-05-23T01:00:00+00:00");
    // neither counted as Graph calls nor needing a token
    assert_eq!(h.stats().total, calls);
    // the Graph API answers at the new clock
    let (s, v) = get(
        &h,
        &format!("{}?fields=media_count", h.dataset().accounts[0].id),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(
        v["media_count"].as_u64(),
        Some(h.dataset().accounts[0].media_count)
    );
    assert!(
        h.dataset().accounts[0].media_count > Dataset::generate(42, t0).accounts[0].media_count
    );
}

/// The data set kept between two changes is the one of every clock in between.
#[test]
fn a_data_set_holds_until_the_next_change() {
    use crate::sim::timeline::Timeline;
    use std::sync::Arc;
    let t0 = start_clock();
    let tl = Arc::new(Timeline::generate(7, t0, Some(20)));
    let fingerprint = |ds: &Dataset| -> Vec<String> {
        let mut v = Vec::new();
        for a in ds.accounts.iter().chain(&ds.discovery) {
            for m in a.media.iter().chain(&a.stories) {
                v.push(format!(
                    "{}|{:?}|{:?}|{}",
                    identity(m),
                    m.like_count,
                    m.comments_count,
                    ds.media_value(m, "reach")
                ));
                for c in &m.comments {
                    v.push(format!("{}|{}", c.id, c.replies.len()));
                }
            }
        }
        v
    };
    let mut t = t0;
    let (mut ds, mut until) = tl.view(t);
    let mut changes = 0;
    while t < t0 + Duration::hours(30) {
        assert!(until > t && until <= t + Duration::hours(1));
        let (last, _) = tl.view(until - Duration::seconds(1));
        let here = fingerprint(&ds);
        assert_eq!(here, fingerprint(&last), "{t} .. {until}");
        t = until;
        (ds, until) = tl.view(t);
        if fingerprint(&ds) != here {
            changes += 1;
        }
    }
    assert!(changes > 8, "{changes}");
    // the stories at a late clock are those of the last 24 hours, however many came before
    let late = t0 + Duration::days(10) + Duration::minutes(17);
    let (ds, _) = tl.view(late);
    for a in 0..ds.accounts.len() {
        let mut expected: Vec<String> = (0..60)
            .map(|j| tl.story(a, j))
            .filter(|s| s.timestamp <= late && s.timestamp > late - Duration::hours(24))
            .map(|s| s.id)
            .collect();
        expected.reverse();
        let got: Vec<String> = ds.accounts[a]
            .stories
            .iter()
            .map(|s| s.id.clone())
            .collect();
        assert_eq!(got, expected, "account {a}");
    }
}
