//! The hourly budget and the usage headers.

use serde_json::Value;

use super::*;

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
