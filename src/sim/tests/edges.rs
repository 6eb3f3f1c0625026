//! List edges and their paging quirks, business discovery, comments and replies, node errors.

use std::collections::HashSet;

use serde_json::Value;

use super::*;

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
