//! Batch requests.

use serde_json::Value;

use super::*;

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
