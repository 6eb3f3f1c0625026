//! The routes: `/__stats`, versioned and unversioned paths, unknown paths.

use super::*;

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

fn message(v: &Value) -> &str {
    v["error"]["message"].as_str().unwrap_or("")
}

/// Paths outside the routes are answered as Facebook answers them: deeper paths, paths below the
/// fixed routes, ids as written (percent escapes kept), empty segments, the root without `ids`, a
/// versioned `/__stats` (a Graph call), and reads that are not GETs.
#[tokio::test]
async fn paths_outside_the_routes() {
    let h = start(cfg()).await;
    let acc = h.dataset().accounts[0].id.clone();
    let (s, v) = get(&h, &format!("{acc}/media/x/y")).await;
    assert_eq!((s, err_code(&v)), (400, 2500));
    assert_eq!(message(&v), "Unknown path components: /x/y");
    let (_, v) = get(&h, "oauth/access_token/x").await;
    assert_eq!(message(&v), "Unknown path components: /x");
    let (s, v) = get(&h, "dialog/x").await;
    assert_eq!((s, v["error"]["error_subcode"].as_i64()), (400, Some(33)));
    assert!(message(&v).contains("Object with ID 'dialog' does not exist"));
    let (_, v) = get(&h, "%31234").await;
    assert!(message(&v).contains("Object with ID '%31234' does not exist"));
    let (s, v) = get(&h, "__stats").await;
    assert_eq!((s, err_code(&v)), (400, 100));
    let (s, v) = get(&h, "").await;
    assert_eq!(s, 400);
    assert_eq!(
        message(&v),
        "(#100) Missing parameter ids or an object path"
    );
    let (s, v) = get_url(&format!(
        "{}//v15.0//me//accounts?access_token={}",
        h.base_url(),
        h.token()
    ))
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["data"].as_array().unwrap().len(), 3);
    let r = reqwest::Client::new()
        .post(format!("{}/v15.0/me", h.base_url()))
        .form(&[("access_token", h.token())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert!(message(&v).starts_with("Unsupported post request. Object with ID 'me'"));
    let st = h.stats();
    assert_eq!(st.by_endpoint["unknown"], 5, "{st:?}");
    assert_eq!(st.by_endpoint["me/accounts"], 1);
    assert_eq!(st.by_endpoint["ids"], 1);
    assert_eq!(st.by_endpoint["me"], 1);
}

/// Batch items are routed like requests, with or without a version.
#[tokio::test]
async fn batch_items_take_the_same_routes() {
    let h = start(cfg()).await;
    let acc = h.dataset().accounts[0].id.clone();
    let batch = serde_json::json!([
        {"method": "GET", "relative_url": "me?fields=id,name"},
        {"method": "GET", "relative_url": format!("v15.0/{acc}/media/x")},
        {"method": "POST", "relative_url": ""},
        {"method": "GET", "relative_url": "v15.0/%31234"},
        {"method": "GET", "relative_url": "v15.0/debug_token?input_token=expired-token"},
    ]);
    let r = reqwest::Client::new()
        .post(format!("{}/v15.0/", h.base_url()))
        .form(&[("access_token", h.token()), ("batch", &batch.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    let body =
        |i: usize| -> Value { serde_json::from_str(v[i]["body"].as_str().unwrap()).unwrap() };
    assert_eq!(v[0]["code"], 200);
    assert_eq!(body(0)["id"], h.dataset().user.id);
    assert_eq!(message(&body(1)), "Unknown path components: /x");
    assert!(message(&body(2)).starts_with("Unsupported post request. Object with ID ''"));
    assert!(message(&body(3)).contains("Object with ID '%31234'"));
    assert_eq!(v[4]["code"], 200);
    assert_eq!(body(4)["data"]["is_valid"], false);
    let st = h.stats();
    assert_eq!(
        st.by_endpoint["batch"], 2,
        "the batch and its POST item: {st:?}"
    );
    assert_eq!(st.by_endpoint["debug_token"], 1);
    assert_eq!(st.total, 6);
}
