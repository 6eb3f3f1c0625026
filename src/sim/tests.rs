//! End-to-end tests of the simulator over HTTP.

use std::collections::HashSet;
use std::time::Instant;

use chrono::{TimeZone, Utc};
use serde_json::{Value, json};

use super::*;

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

#[tokio::test]
async fn media_paging_yields_media_count_ids_with_quirks() {
    let h = start(cfg()).await;
    let ds = h.dataset();
    for (ai, acc) in ds.accounts.iter().enumerate() {
        let (s, v) = get(&h, &format!("{}?fields=media_count,username,ig_id", acc.id)).await;
        assert_eq!(s, 200);
        assert!(v["ig_id"].is_u64());
        let count = v["media_count"].as_u64().unwrap() as usize;
        let mut url = format!(
            "{}/v15.0/{}/media?access_token={}&fields=id,timestamp",
            h.base_url(),
            acc.id,
            h.token()
        );
        let mut ids = Vec::new();
        let (mut short, mut empty) = (false, false);
        loop {
            let (s, page) = get_url(&url).await;
            assert_eq!(s, 200, "{page}");
            let data = page["data"].as_array().unwrap();
            let has_next = page["paging"]["next"].is_string();
            if data.is_empty() && has_next {
                empty = true;
            }
            if !data.is_empty() && data.len() < 25 && has_next {
                short = true;
            }
            ids.extend(data.iter().map(|m| m["id"].as_str().unwrap().to_string()));
            match page["paging"]["next"].as_str() {
                Some(n) => {
                    assert!(n.contains("access_token="));
                    url = n.to_string();
                }
                None => break,
            }
        }
        let distinct: HashSet<_> = ids.iter().collect();
        assert_eq!(distinct.len(), count);
        assert_eq!(ids.len(), count);
        let expected: Vec<_> = acc.media.iter().map(|m| m.id.clone()).collect();
        assert_eq!(ids, expected);
        if ai == 0 {
            assert!(short, "account 0 has a short page");
        } else {
            assert!(empty, "account 1 has an empty page with next");
        }
    }
    // default fields: id only
    let (_, v) = get(&h, &format!("{}/media?limit=2", ds.accounts[0].id)).await;
    assert_eq!(v["data"][0].as_object().unwrap().len(), 1);
    assert!(v["paging"]["cursors"]["after"].is_string());
    assert!(v["paging"].get("previous").is_none());
}

#[tokio::test]
async fn recent_media_constant_cursor() {
    let h = start(cfg()).await;
    let ds = h.dataset();
    let acc = &ds.accounts[0].id;
    let (s, v) = get(&h, &format!("ig_hashtag_search?user_id={acc}&q=%23Coffee")).await;
    assert_eq!(s, 200);
    let tag = v["data"][0]["id"].as_str().unwrap().to_string();
    let expected = ds
        .hashtags
        .iter()
        .find(|t| t.id == tag)
        .unwrap()
        .recent_media
        .len();
    let (s, v) = get(
        &h,
        &format!("{tag}/recent_media?user_id={acc}&fields=id,username"),
    )
    .await;
    assert_eq!((s, err_code(&v)), (400, 100));
    let mut url = format!(
        "{}/v15.0/{tag}/recent_media?user_id={acc}&fields=id,caption,media_type,like_count&limit=50&access_token={}",
        h.base_url(),
        h.token()
    );
    let mut seen = HashSet::new();
    let mut afters = HashSet::new();
    let mut pages = 0;
    loop {
        let (s, page) = get_url(&url).await;
        assert_eq!(s, 200);
        pages += 1;
        assert!(page["paging"]["cursors"].get("before").is_none());
        afters.insert(
            page["paging"]["cursors"]["after"]
                .as_str()
                .unwrap()
                .to_string(),
        );
        let before = seen.len();
        for m in page["data"].as_array().unwrap() {
            seen.insert(m["id"].as_str().unwrap().to_string());
        }
        let next = page["paging"]["next"]
            .as_str()
            .expect("recent_media always has next");
        if seen.len() == before {
            break;
        }
        url = next.to_string();
        assert!(pages < 20);
    }
    assert_eq!(afters.len(), 1, "after cursor is constant");
    assert_eq!(seen.len(), expected);
}

#[tokio::test]
async fn business_discovery_nested_paging_has_only_cursors() {
    let h = start(cfg()).await;
    let ds = h.dataset();
    let me = &ds.accounts[0].id;
    let target = ds.discover("bluebottle").unwrap();
    let mut after: Option<String> = None;
    let mut ids = HashSet::new();
    loop {
        let media = match &after {
            Some(a) => format!("media.after({a}).limit(25)"),
            None => "media.limit(25)".into(),
        };
        let q = format!(
            "{me}?fields=business_discovery.username(bluebottle){{followers_count,{media}{{id,caption,like_count}}}}"
        );
        let (s, v) = get(&h, &q.replace('{', "%7B").replace('}', "%7D")).await;
        assert_eq!(s, 200, "{v}");
        let bd = &v["business_discovery"];
        assert_eq!(bd["followers_count"].as_u64(), Some(target.followers_count));
        for m in bd["media"]["data"].as_array().unwrap() {
            ids.insert(m["id"].as_str().unwrap().to_string());
        }
        let paging = bd["media"]["paging"].as_object().unwrap();
        assert!(paging.keys().all(|k| k == "cursors"), "{paging:?}");
        match paging["cursors"].get("after").and_then(Value::as_str) {
            Some(a) => after = Some(a.to_string()),
            None => break,
        }
    }
    assert_eq!(ids.len(), target.media.len());
    let (s, v) = get(
        &h,
        &format!("{me}?fields=business_discovery.username(bluebottle)%7Bmedia%7Bshortcode%7D%7D"),
    )
    .await;
    assert_eq!(s, 400);
    assert_eq!(
        v["error"]["message"],
        "(#100) Please read documentation for supported fields."
    );
    let (s, v) = get(
        &h,
        &format!("{me}?fields=business_discovery.username(nobody_here)%7Bid%7D"),
    )
    .await;
    assert_eq!((s, err_code(&v)), (400, 110));
    assert_eq!(v["error"]["error_subcode"], 2207013);
    assert_eq!(v["error"]["error_user_title"], "Cannot find User");
}

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
async fn hashtag_budget_31st_tag_is_refused() {
    let h = start(cfg()).await;
    let ds = h.dataset();
    let acc = &ds.accounts[1].id; // one search already in the window ("travel")
    for i in 0..29 {
        let (s, v) = get(&h, &format!("ig_hashtag_search?user_id={acc}&q=tag{i}")).await;
        assert_eq!(s, 200, "{i} {v}");
    }
    let (s, v) = get(&h, &format!("ig_hashtag_search?user_id={acc}&q=onemore")).await;
    assert_eq!((s, err_code(&v)), (400, 18));
    assert_eq!(
        v["error"]["message"],
        "(#18) Hashtag limit of 30 unique hashtags per week has been reached"
    );
    let (s, _) = get(&h, &format!("ig_hashtag_search?user_id={acc}&q=travel")).await;
    assert_eq!(s, 200, "repeats are free");
    let (_, v) = get(
        &h,
        &format!("{acc}/recently_searched_hashtags?limit=30&fields=id,name"),
    )
    .await;
    assert_eq!(v["data"].as_array().unwrap().len(), 30);
}

#[tokio::test]
async fn hourly_budget_throttles() {
    let h = start(SimConfig {
        calls_per_hour: Some(5),
        throttle_code: 80002,
        ..cfg()
    })
    .await;
    let acc = h.dataset().accounts[0].id.clone();
    for _ in 0..5 {
        let r = reqwest::get(format!(
            "{}/v15.0/{acc}?access_token={}",
            h.base_url(),
            h.token()
        ))
        .await
        .unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.headers().get("x-app-usage").is_some());
    }
    let r = reqwest::get(format!(
        "{}/v15.0/{acc}?access_token={}",
        h.base_url(),
        h.token()
    ))
    .await
    .unwrap();
    assert_eq!(r.status(), 400);
    let buc: Value =
        serde_json::from_str(r.headers()["x-business-use-case-usage"].to_str().unwrap()).unwrap();
    assert!(
        buc[&acc][0]["estimated_time_to_regain_access"]
            .as_u64()
            .unwrap()
            > 0
    );
    let app: Value = serde_json::from_str(r.headers()["x-app-usage"].to_str().unwrap()).unwrap();
    assert_eq!(app["call_count"], 100);
    let v: Value = r.json().await.unwrap();
    assert_eq!(err_code(&v), 80002);
    assert_eq!(h.stats().throttled, 1);
    // /__stats is never throttled
    let (s, _) = get_url(&format!("{}/__stats", h.base_url())).await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn each_fault_kind() {
    let one = |k: FaultKind| SimConfig {
        fault_rate: 1.0,
        faults: vec![k],
        slow_delay: std::time::Duration::from_millis(200),
        ..cfg()
    };
    let h = start(one(FaultKind::Http500Code2)).await;
    let (s, v) = get(&h, "me").await;
    assert_eq!((s, err_code(&v)), (500, 2));
    assert_eq!(v["error"]["is_transient"], true);
    assert!(v["error"]["fbtrace_id"].is_string());
    assert_eq!(h.stats().faults_injected, 1);
    let (s, _) = get_url(&format!("{}/__stats", h.base_url())).await;
    assert_eq!(s, 200);

    let h = start(one(FaultKind::Code1)).await;
    let (s, v) = get(&h, "me").await;
    assert_eq!((s, err_code(&v)), (500, 1));
    assert_eq!(v["error"]["message"], "An unknown error has occurred.");

    let h = start(one(FaultKind::Html503)).await;
    let r = reqwest::get(format!(
        "{}/v15.0/me?access_token={}",
        h.base_url(),
        h.token()
    ))
    .await
    .unwrap();
    assert_eq!(r.status(), 503);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(r.text().await.unwrap().contains("<html"));

    let h = start(one(FaultKind::DropConnection)).await;
    let acc = h.dataset().accounts[0].id.clone();
    let r = reqwest::get(format!(
        "{}/v15.0/{acc}/media?fields=id,caption&access_token={}",
        h.base_url(),
        h.token()
    ))
    .await;
    let failed = match r {
        Err(_) => true,
        Ok(r) => r.bytes().await.is_err(),
    };
    assert!(failed, "the body must fail mid-way");

    let h = start(one(FaultKind::Slow)).await;
    let t = Instant::now();
    let (s, v) = get(&h, "me").await;
    assert_eq!(s, 200);
    assert_eq!(v["id"], h.dataset().user.id);
    assert!(t.elapsed() >= std::time::Duration::from_millis(200));

    // a fault rate between 0 and 1 is deterministic per seed and call number
    let h = start(SimConfig {
        fault_rate: 0.3,
        faults: vec![FaultKind::Code1],
        ..cfg()
    })
    .await;
    let mut codes = Vec::new();
    for _ in 0..20 {
        codes.push(get(&h, "me").await.0);
    }
    let h2 = start(SimConfig {
        fault_rate: 0.3,
        faults: vec![FaultKind::Code1],
        ..cfg()
    })
    .await;
    let mut codes2 = Vec::new();
    for _ in 0..20 {
        codes2.push(get(&h2, "me").await.0);
    }
    assert_eq!(codes, codes2);
    assert!(codes.contains(&500) && codes.contains(&200));
}

#[tokio::test]
async fn batch_requests() {
    let h = start(cfg()).await;
    let ds = h.dataset();
    let acc = &ds.accounts[0];
    let batch = serde_json::json!([
        {"method": "GET", "relative_url": format!("v15.0/{}?fields=username", acc.id)},
        {"method": "GET", "relative_url": format!("v15.0/{}/media?limit=3", acc.id)},
        {"method": "GET", "relative_url": "v15.0/123"},
    ]);
    let c = reqwest::Client::new();
    let r = c
        .post(format!("{}/v15.0/", h.base_url()))
        .form(&[("access_token", h.token()), ("batch", &batch.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v[0]["code"], 200);
    let body: Value = serde_json::from_str(v[0]["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["username"], acc.username.as_str());
    assert!(
        v[0]["headers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["name"] == "x-app-usage")
    );
    let body: Value = serde_json::from_str(v[1]["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["data"].as_array().unwrap().len(), 3);
    assert_eq!(v[2]["code"], 400);
    let st = h.stats();
    assert_eq!(st.by_endpoint["batch"], 1);
    assert_eq!(st.by_endpoint["user/media"], 1);
    assert_eq!(st.total, 4);

    let many: Vec<Value> = (0..51)
        .map(|_| serde_json::json!({"method": "GET", "relative_url": "me"}))
        .collect();
    let r = c
        .post(format!("{}/", h.base_url()))
        .form(&[
            ("access_token", h.token()),
            ("batch", &Value::Array(many).to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["type"], "GraphBatchException");
    assert_eq!(
        v["error"]["message"],
        "Too many requests in batch message. Maximum batch size is 50"
    );
}

#[tokio::test]
async fn oauth_and_tokens() {
    let h = start(SimConfig {
        require_appsecret_proof: false,
        ..cfg()
    })
    .await;
    let b = h.base_url();
    let (s, v) = get_url(&format!("{b}/v15.0/me")).await;
    assert_eq!((s, err_code(&v)), (400, 104));
    let (s, v) = get_url(&format!("{b}/v15.0/me?access_token=nope")).await;
    assert_eq!((s, err_code(&v)), (400, 190));
    assert_eq!(
        v["error"]["message"],
        "Invalid OAuth access token - Cannot parse access token"
    );
    let (_, v) = get_url(&format!("{b}/v15.0/me?access_token=expired-token")).await;
    assert_eq!(v["error"]["error_subcode"], 463);
    assert!(
        v["error"]["message"].as_str().unwrap().starts_with(
            "Error validating access token: Session has expired on Saturday, 01-Jan-22"
        )
    );

    let (s, v) = get_url(&format!(
        "{b}/v15.0/oauth/access_token?grant_type=fb_exchange_token&client_id=demo-app&client_secret=demo-secret&fb_exchange_token={}",
        h.token()
    ))
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["token_type"], "bearer");
    assert_eq!(v["expires_in"], 5_184_000);
    let long = v["access_token"].as_str().unwrap().to_string();
    let (s, v) = get_url(&format!("{b}/v15.0/me/accounts?access_token={long}&fields=id,name,instagram_business_account%7Bid,username%7D")).await;
    assert_eq!(s, 200);
    let pages = v["data"].as_array().unwrap();
    assert_eq!(pages.len(), 3);
    assert!(pages[2].get("instagram_business_account").is_none());
    assert_eq!(
        v["paging"].as_object().unwrap().len(),
        1,
        "last page: only cursors.before"
    );
    assert!(v["paging"]["cursors"].get("after").is_none());

    let (_, v) = get_url(&format!(
        "{b}/debug_token?input_token={long}&access_token=demo-app|demo-secret"
    ))
    .await;
    assert_eq!(v["data"]["is_valid"], true);
    assert_eq!(v["data"]["user_id"], h.dataset().user.id);
    let (_, v) = get_url(&format!(
        "{b}/debug_token?input_token=expired-token&access_token=demo-app|demo-secret"
    ))
    .await;
    assert_eq!(v["data"]["is_valid"], false);
    assert_eq!(v["data"]["error"]["subcode"], 463);

    // login flow without a browser
    let c = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = c
        .get(format!("{b}/v15.0/dialog/oauth?client_id=demo-app&redirect_uri=http://localhost:9/cb&state=xyz&scope=instagram_basic"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let loc = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    let q: std::collections::HashMap<_, _> = loc.query_pairs().into_owned().collect();
    assert_eq!(q["state"], "xyz");
    let code = &q["code"];
    let ex = format!(
        "{b}/v15.0/oauth/access_token?client_id=demo-app&client_secret=demo-secret&redirect_uri=http://localhost:9/cb&code={code}"
    );
    let (s, v) = get_url(&ex).await;
    assert_eq!(s, 200);
    let short = v["access_token"].as_str().unwrap();
    let (s, _) = get_url(&format!("{b}/v15.0/me?access_token={short}")).await;
    assert_eq!(s, 200);
    let (s, _) = get_url(&ex).await;
    assert_eq!(s, 400, "a code is single-use");

    // the token has the permissions the dialog asked for, and no more
    let (_, v) = get_url(&format!(
        "{b}/debug_token?input_token={short}&access_token=demo-app|demo-secret"
    ))
    .await;
    assert_eq!(v["data"]["scopes"], json!(["instagram_basic"]));
    let ig = &h.dataset().accounts[0].id;
    let (s, v) = get_url(&format!(
        "{b}/v15.0/{ig}/insights?metric=reach&period=day&access_token={short}"
    ))
    .await;
    assert_eq!((s, err_code(&v)), (400, 10));
    assert_eq!(
        v["error"]["message"],
        "(#10) Application does not have permission for this action"
    );
    let (s, _) = get_url(&format!("{b}/v15.0/{ig}/media?access_token={short}")).await;
    assert_eq!(s, 200, "instagram_basic is enough for media");
    // an exchanged token keeps them
    let (_, v) = get_url(&format!(
        "{b}/v15.0/oauth/access_token?grant_type=fb_exchange_token&client_id=demo-app&client_secret=demo-secret&fb_exchange_token={short}"
    ))
    .await;
    let long = v["access_token"].as_str().unwrap();
    let (_, v) = get_url(&format!(
        "{b}/v15.0/{ig}?fields=business_discovery.username(x){{id}}&access_token={long}"
    ))
    .await;
    assert_eq!(err_code(&v), 10);
}

#[tokio::test]
async fn appsecret_proof_required() {
    let h = start(SimConfig {
        require_appsecret_proof: true,
        ..cfg()
    })
    .await;
    let (s, v) = get(&h, "me").await;
    assert_eq!((s, err_code(&v)), (400, 100));
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"demo-secret").unwrap();
    mac.update(h.token().as_bytes());
    let proof = hex::encode(mac.finalize().into_bytes());
    let (s, _) = get(&h, &format!("me?appsecret_proof={proof}")).await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn comments_replies_and_errors() {
    let h = start(cfg()).await;
    let ds = h.dataset();
    let big = &ds.accounts[0].media[data::BIG_THREAD_MEDIA];
    let (s, v) = get(
        &h,
        &format!(
            "{}/comments?fields=id,text,username,replies.limit(5)%7Bid,parent_id%7D",
            big.id
        ),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(v["data"].as_array().unwrap().len(), 25);
    let with_many = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["replies"]["paging"]["next"].is_string());
    let first = big
        .comments
        .iter()
        .position(|c| c.replies.len() > 5)
        .unwrap();
    if first < 25 {
        let c = with_many.expect("a comment with a replies next link");
        let next = c["replies"]["paging"]["next"].as_str().unwrap();
        assert!(next.contains("/replies?"));
        let (s, p2) = get_url(next).await;
        assert_eq!(s, 200);
        assert_eq!(p2["data"][0]["parent_id"], c["id"]);
    }
    // count comments + replies through paging equals comments_count
    let mut total = 0;
    let mut url = format!(
        "{}/v15.0/{}/comments?limit=50&access_token={}",
        h.base_url(),
        big.id,
        h.token()
    );
    let mut tops = Vec::new();
    loop {
        let (_, p) = get_url(&url).await;
        for c in p["data"].as_array().unwrap() {
            tops.push(c["id"].as_str().unwrap().to_string());
            assert!(c["timestamp"].is_string() && c["text"].is_string());
        }
        match p["paging"]["next"].as_str() {
            Some(n) => url = n.to_string(),
            None => break,
        }
    }
    total += tops.len();
    for id in &tops {
        let mut url = format!(
            "{}/v15.0/{id}/replies?limit=50&access_token={}",
            h.base_url(),
            h.token()
        );
        loop {
            let (_, p) = get_url(&url).await;
            total += p["data"].as_array().unwrap().len();
            match p["paging"]["next"].as_str() {
                Some(n) => url = n.to_string(),
                None => break,
            }
        }
    }
    assert_eq!(total as u64, big.comments_count.unwrap());

    let (s, v) = get(&h, &format!("{}?fields=foo", ds.accounts[0].id)).await;
    assert_eq!(s, 400);
    assert_eq!(
        v["error"]["message"],
        "(#100) Tried accessing nonexisting field (foo) on node type (IGUser)"
    );
    let (s, v) = get(&h, "1234567").await;
    assert_eq!((s, v["error"]["error_subcode"].as_i64()), (400, Some(33)));
    assert_eq!(v["error"]["type"], "GraphMethodException");
    // children omitted on non-carousels, present on carousels
    let img = ds.accounts[0]
        .media
        .iter()
        .find(|m| m.media_type == data::MediaType::Image)
        .unwrap();
    let (_, v) = get(&h, &format!("{}?fields=id,children%7Bid%7D", img.id)).await;
    assert!(v.get("children").is_none());
    let car = ds.accounts[0]
        .media
        .iter()
        .find(|m| m.media_type == data::MediaType::CarouselAlbum)
        .unwrap();
    let (_, v) = get(
        &h,
        &format!("{}?fields=children%7Bid,media_type,caption%7D", car.id),
    )
    .await;
    assert_eq!(
        v["children"]["data"].as_array().unwrap().len(),
        car.children.len()
    );
    assert!(v["children"]["data"][0].get("caption").is_none());
    // no version prefix works too
    let (s, _) = get_url(&format!("{}/me?access_token={}", h.base_url(), h.token())).await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn stats_count_calls() {
    let h = start(cfg()).await;
    let acc = h.dataset().accounts[0].id.clone();
    get(&h, &format!("{acc}/media")).await;
    get(&h, &format!("{acc}/stories")).await;
    get(&h, "nope/zzz").await;
    let (_, v) = get_url(&format!("{}/__stats", h.base_url())).await;
    assert_eq!(v["total"], 3);
    assert_eq!(v["by_endpoint"]["user/media"], 1);
    assert_eq!(v["by_endpoint"]["user/stories"], 1);
    assert_eq!(v["by_status"]["400"], 1);
    assert_eq!(h.stats().total, 3);
    reqwest::Client::new()
        .post(format!("{}/__stats/reset", h.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(h.stats().total, 0);
    h.shutdown().await;
}

#[test]
fn fault_kind_names() {
    for k in FaultKind::ALL {
        assert_eq!(k.to_string().parse::<FaultKind>().unwrap(), k);
    }
    assert!("nope".parse::<FaultKind>().is_err());
    let c = SimConfig::default();
    assert!(!format!("{c:?}").contains("demo-token"));
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
