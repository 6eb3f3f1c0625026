//! The API by date: which version answers, the `facebook-api-version` header on every answer (errors,
//! faults, batch items, OAuth), links under the answering version, future versions refused.

use chrono::NaiveDate;

use super::*;

/// 2026-11-30: v21.0–v25.0 are served.
pub(super) fn late() -> SimConfig {
    SimConfig {
        api_as_of: NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
        ..cfg()
    }
}

/// GET `{base}/{path}` with the token: status, `facebook-api-version`, body.
pub(super) async fn get_versioned(h: &SimHandle, path: &str) -> (u16, String, Value) {
    let sep = if path.contains('?') { '&' } else { '?' };
    let r = reqwest::get(format!(
        "{}/{path}{sep}access_token={}",
        h.base_url(),
        h.token()
    ))
    .await
    .unwrap();
    let status = r.status().as_u16();
    let version = r
        .headers()
        .get("facebook-api-version")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (status, version, r.json().await.unwrap())
}

#[tokio::test]
async fn the_answering_version_and_its_header() {
    let h = start(late()).await;
    let acc = h.dataset().accounts[0].id.clone();
    // an expired version is answered by the oldest served one; a served one by itself
    let (s, v, _) = get_versioned(&h, "v15.0/me").await;
    assert_eq!((s, v.as_str()), (200, "v21.0"));
    let (s, v, _) = get_versioned(&h, "v23.0/me").await;
    assert_eq!((s, v.as_str()), (200, "v23.0"));
    let (_, v, _) = get_versioned(&h, "me").await;
    assert_eq!(v, "v21.0", "unversioned: the oldest served");
    // a version newer than the newest served is refused, as an unknown path
    let (s, v, body) = get_versioned(&h, "v26.0/me/accounts").await;
    assert_eq!((s, err_code(&body)), (400, 2500));
    assert_eq!(
        body["error"]["message"],
        "Unknown path components: /v26.0/me/accounts"
    );
    assert_eq!(body["error"]["type"], "OAuthException");
    assert_eq!(v, "v21.0");
    // errors carry the header too
    let r = reqwest::get(format!("{}/v23.0/me", h.base_url()))
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["facebook-api-version"], "v23.0");
    let (s, v, _) = get_versioned(&h, "v22.0/nope").await;
    assert_eq!((s, v.as_str()), (400, "v22.0"));
    // links carry the answering version
    let (_, _, body) = get_versioned(&h, &format!("v15.0/{acc}/media?limit=2")).await;
    let next = body["paging"]["next"].as_str().unwrap();
    assert!(next.contains(&format!("/v21.0/{acc}/media?")), "{next}");
    let (_, _, body) = get_versioned(&h, &format!("{acc}/insights?metric=reach&period=day")).await;
    let next = body["paging"]["next"].as_str().unwrap();
    assert!(next.contains("/v21.0/"), "{next}");
    // OAuth endpoints are answered by a version as well
    let (_, v, _) = get_versioned(
        &h,
        "v24.0/oauth/access_token?grant_type=fb_exchange_token&client_id=demo-app&client_secret=demo-secret&fb_exchange_token=demo-token",
    )
    .await;
    assert_eq!(v, "v24.0");
}

#[tokio::test]
async fn batches_and_faults_carry_the_header() {
    let h = start(late()).await;
    let batch = serde_json::json!([
        {"method": "GET", "relative_url": "v15.0/me"},
        {"method": "GET", "relative_url": "v25.0/me"},
        {"method": "GET", "relative_url": "v26.0/me"},
    ]);
    let c = reqwest::Client::new();
    let post = |version: &'static str| {
        c.post(format!("{}/{version}", h.base_url()))
            .form(&[("access_token", h.token()), ("batch", &batch.to_string())])
            .send()
    };
    let r = post("v23.0/").await.unwrap();
    assert_eq!(r.headers()["facebook-api-version"], "v23.0");
    let v: Value = r.json().await.unwrap();
    let header = |i: usize| -> String {
        let hs = v[i]["headers"].as_array().unwrap();
        let h = hs
            .iter()
            .find(|h| h["name"] == "facebook-api-version")
            .unwrap();
        h["value"].as_str().unwrap().to_string()
    };
    assert_eq!(
        (v[0]["code"].as_u64(), header(0)),
        (Some(200), "v21.0".into())
    );
    assert_eq!(
        (v[1]["code"].as_u64(), header(1)),
        (Some(200), "v25.0".into())
    );
    assert_eq!(
        (v[2]["code"].as_u64(), header(2)),
        (Some(400), "v21.0".into())
    );
    let body: Value = serde_json::from_str(v[2]["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        body["error"]["message"],
        "Unknown path components: /v26.0/me"
    );
    // a batch posted to a future version is refused as a whole
    let r = post("v26.0/").await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["facebook-api-version"], "v21.0");
    let v: Value = r.json().await.unwrap();
    assert_eq!(err_code(&v), 2500);

    let h = start(SimConfig {
        fault_rate: 1.0,
        faults: vec![FaultKind::Code1],
        ..late()
    })
    .await;
    let (s, v, _) = get_versioned(&h, "v22.0/me").await;
    assert_eq!((s, v.as_str()), (500, "v22.0"));
}

/// The seed's API (the default configuration): v15.0 answers v15.0, v16.0 does not exist yet, and
/// the metric lists are the v15 ones.
#[tokio::test]
async fn the_seed_api_is_v15() {
    let h = start(cfg()).await;
    let ds = h.dataset();
    let acc = &ds.accounts[0].id;
    let (s, v, _) = get_versioned(&h, "v15.0/me").await;
    assert_eq!((s, v.as_str()), (200, "v15.0"));
    let (_, v, _) = get_versioned(&h, "v12.0/me").await;
    assert_eq!(v, "v12.0");
    let (s, _, body) = get_versioned(&h, "v16.0/me").await;
    assert_eq!((s, err_code(&body)), (400, 2500));
    let (_, v, _) = get_versioned(&h, "v9.0/me").await;
    assert_eq!(v, "v10.0", "older than the table: the oldest served");
    let (_, body) = get(&h, &format!("{acc}/insights?metric=bogus&period=day")).await;
    assert_eq!(
        body["error"]["message"],
        "(#100) metric[0] must be one of the following values: impressions, reach, follower_count, \
         email_contacts, phone_call_clicks, text_message_clicks, get_directions_clicks, \
         website_clicks, profile_views, audience_gender_age, audience_locale, audience_country, \
         audience_city, online_followers"
    );
    let m = &ds.accounts[0].media[0];
    let (_, body) = get(&h, &format!("{}/insights?metric=bogus", m.id)).await;
    assert_eq!(
        body["error"]["message"],
        "(#100) metric[0] must be one of the following values: impressions, reach, \
         carousel_album_impressions, carousel_album_reach, carousel_album_engagement, \
         carousel_album_saved, carousel_album_video_views, taps_forward, taps_back, exits, \
         replies, engagement, saved, video_views, likes, comments, shares, plays, \
         total_interactions, follows, profile_visits, profile_activity, navigation"
    );
    // the v18 parameters are ignored: a time series as in v15
    let (s, body) = get(
        &h,
        &format!("{acc}/insights?metric=reach&period=day&metric_type=total_value&breakdown=age"),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    assert!(body["data"][0]["values"].is_array());
    assert!(body["data"][0].get("total_value").is_none());
    let (_, body) = get(
        &h,
        &format!("{acc}/insights?metric=follower_demographics&period=lifetime"),
    )
    .await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("(#100) metric[0] must be one of")
    );
}
