//! Fault injection.

use std::time::Instant;

use super::*;

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

#[test]
fn fault_kind_names() {
    for k in FaultKind::ALL {
        assert_eq!(k.to_string().parse::<FaultKind>().unwrap(), k);
    }
    assert!("nope".parse::<FaultKind>().is_err());
    let c = SimConfig::default();
    assert!(!format!("{c:?}").contains("demo-token"));
}
