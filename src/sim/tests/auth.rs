//! Tokens, permissions, OAuth and appsecret_proof.

use serde_json::json;

use super::*;

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
