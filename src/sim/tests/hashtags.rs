//! Hashtag search, its weekly budget, and the hashtag media edges.

use std::collections::HashSet;

use super::*;

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
