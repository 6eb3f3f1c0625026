//! Every report through the one report-stream function against the in-process simulator: the rows equal
//! what the simulator holds (not just "some rows"), across several pages, for the parameters of a ticket.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{Int64Type, TimestampSecondType};
use chrono::{Duration, Utc};
use futures::TryStreamExt;
use igflight::error::ReportError;
use igflight::plan::{ReportContext, RunSummary, report_stream};
use igflight::sim::{SimConfig, SimHandle};
use igflight::ticket::decode;
use serde_json::{Value, json};
use tonic::Code;

use common::{client, client_with, start_sim};

struct Run {
    batches: Vec<RecordBatch>,
    summary: Arc<RunSummary>,
}

async fn run_on(ctx: &Arc<ReportContext>, ticket: Value) -> Result<Run, ReportError> {
    let req = decode(
        ticket.to_string().as_bytes(),
        ctx.today(),
        ctx.api_version(),
    )?;
    let rs = report_stream(ctx.clone(), req);
    let schema = rs.schema.clone();
    let batches: Vec<RecordBatch> = rs.batches.try_collect().await?;
    for b in &batches {
        assert_eq!(b.schema(), schema, "every batch has the announced schema");
    }
    Ok(Run {
        batches,
        summary: rs.summary,
    })
}

fn ctx(sim: &SimHandle) -> Arc<ReportContext> {
    Arc::new(ReportContext::new(client(sim)))
}

/// The (media_id, metric) pairs of a media_insights run, sorted (runs that ask groups in another
/// order compare equal).
fn media_metric_pairs(run: &Run) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = ids(&run.batches, "media_id")
        .into_iter()
        .zip(ids(&run.batches, "metric"))
        .collect();
    v.sort();
    v
}

fn strings(batches: &[RecordBatch], col: &str) -> Vec<Option<String>> {
    batches
        .iter()
        .flat_map(|b| {
            let a = b
                .column_by_name(col)
                .unwrap_or_else(|| panic!("column {col}"))
                .as_string::<i32>()
                .clone();
            (0..a.len())
                .map(move |i| a.is_valid(i).then(|| a.value(i).to_string()))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn ids(batches: &[RecordBatch], col: &str) -> Vec<String> {
    strings(batches, col)
        .into_iter()
        .map(|s| s.expect("not null"))
        .collect()
}

fn rows(batches: &[RecordBatch]) -> usize {
    batches.iter().map(RecordBatch::num_rows).sum()
}

#[tokio::test]
async fn user_media_equals_the_simulators_media_across_pages() {
    let sim = start_sim(SimConfig::default()).await;
    let ctx = ctx(&sim);
    let ds = sim.dataset();
    for acc in &ds.accounts {
        let run = run_on(
            &ctx,
            json!({"report":"user_media","account":acc.id,"page_size":25}),
        )
        .await
        .unwrap();
        assert!(run.batches.len() > 5, "one batch per Graph page");
        let got = ids(&run.batches, "id");
        let want: Vec<String> = acc.media.iter().map(|m| m.id.clone()).collect();
        assert_eq!(got, want);
        assert_eq!(got.len() as u64, acc.media_count);
        // every field equals the simulator's value
        let captions = strings(&run.batches, "caption");
        let likes: Vec<Option<i64>> = run
            .batches
            .iter()
            .flat_map(|b| {
                let a = b
                    .column_by_name("like_count")
                    .unwrap()
                    .as_primitive::<Int64Type>()
                    .clone();
                (0..a.len())
                    .map(move |i| a.is_valid(i).then(|| a.value(i)))
                    .collect::<Vec<_>>()
            })
            .collect();
        let ts: Vec<i64> = run
            .batches
            .iter()
            .flat_map(|b| {
                b.column_by_name("timestamp")
                    .unwrap()
                    .as_primitive::<TimestampSecondType>()
                    .values()
                    .to_vec()
            })
            .collect();
        for (i, m) in acc.media.iter().enumerate() {
            assert_eq!(captions[i], m.caption, "caption of {}", m.id);
            assert_eq!(
                likes[i],
                m.like_count.map(|v| v as i64),
                "like_count of {}",
                m.id
            );
            assert_eq!(ts[i], m.timestamp.timestamp());
        }
        let children = run.batches.iter().flat_map(|b| {
            let l = b
                .column_by_name("children")
                .unwrap()
                .as_list::<i32>()
                .clone();
            (0..l.len())
                .map(move |i| {
                    if l.is_valid(i) {
                        l.value(i).as_string::<i32>().len()
                    } else {
                        0
                    }
                })
                .collect::<Vec<_>>()
        });
        for (m, n) in acc.media.iter().zip(children) {
            assert_eq!(n, m.children.len(), "children of {}", m.id);
        }
        assert_eq!(
            strings(&run.batches, "ig_user_id")[0].as_deref(),
            Some(acc.id.as_str())
        );
    }
}

#[tokio::test]
async fn user_media_parameters_fields_type_dates_single_limit_page() {
    let sim = start_sim(SimConfig::default()).await;
    let ctx = ctx(&sim);
    let ds = sim.dataset();
    let acc = &ds.accounts[0];
    let page = ds
        .pages
        .iter()
        .find(|p| p.ig_account_id.as_deref() == Some(acc.id.as_str()))
        .unwrap();

    // fields narrow the columns
    let run = run_on(
        &ctx,
        json!({"report":"user_media","page":page.name,"fields":["timestamp","id"]}),
    )
    .await
    .unwrap();
    let schema = run.batches[0].schema();
    assert_eq!(
        schema
            .fields()
            .iter()
            .map(|f| f.name().as_str())
            .collect::<Vec<_>>(),
        ["timestamp", "id"]
    );
    assert_eq!(rows(&run.batches), acc.media.len());

    // media_type
    let run = run_on(
        &ctx,
        json!({"report":"user_media","account":acc.id,"media_type":"reels"}),
    )
    .await
    .unwrap();
    let want: Vec<String> = acc
        .media
        .iter()
        .filter(|m| m.media_product_type.as_str() == "REELS")
        .map(|m| m.id.clone())
        .collect();
    assert!(!want.is_empty());
    assert_eq!(ids(&run.batches, "id"), want);

    // a date range by offsets: media whose UTC date is inside it
    let today = Utc::now().date_naive();
    let (from, to) = (today - Duration::days(120), today - Duration::days(30));
    let run = run_on(
        &ctx,
        json!({"report":"user_media","account":acc.id,"date_from_offset":120,"date_to_offset":30}),
    )
    .await
    .unwrap();
    let want: Vec<String> = acc
        .media
        .iter()
        .filter(|m| (from..=to).contains(&m.timestamp.date_naive()))
        .map(|m| m.id.clone())
        .collect();
    assert!(!want.is_empty());
    assert_eq!(ids(&run.batches, "id"), want);

    // single media
    let m = &acc.media[7];
    let run = run_on(
        &ctx,
        json!({"report":"user_media","account":acc.id,"media_items":"single","media_id":m.id}),
    )
    .await
    .unwrap();
    assert_eq!(ids(&run.batches, "id"), vec![m.id.clone()]);

    // limit stops paging
    sim.reset_stats();
    let run = run_on(
        &ctx,
        json!({"report":"user_media","account":acc.id,"limit":30,"page_size":25}),
    )
    .await
    .unwrap();
    assert_eq!(rows(&run.batches), 30);
    assert_eq!(run.summary.graph_calls(), 2, "25 + 5");
    assert_eq!(sim.stats().total, 2);
}

#[tokio::test]
async fn accounts_resolve_by_page_name_and_several_without_a_name_are_listed() {
    let sim = start_sim(SimConfig::default()).await;
    let ctx = ctx(&sim);
    let ds = sim.dataset();
    let err = run_on(&ctx, json!({"report":"user"}))
        .await
        .err()
        .expect("ambiguous");
    assert_eq!(err.to_status().code(), Code::InvalidArgument);
    for a in &ds.accounts {
        assert!(err.to_string().contains(&a.id), "lists {}: {err}", a.id);
    }
    let no_ig = ds.pages.iter().find(|p| p.ig_account_id.is_none()).unwrap();
    let err = run_on(&ctx, json!({"report":"user","page":no_ig.name}))
        .await
        .err()
        .unwrap();
    assert_eq!(err.to_status().code(), Code::NotFound, "{err}");
    let err = run_on(&ctx, json!({"report":"user","page":"No Such Page"}))
        .await
        .err()
        .unwrap();
    assert_eq!(err.to_status().code(), Code::NotFound, "{err}");

    let acc = &ds.accounts[1];
    let page = ds
        .pages
        .iter()
        .find(|p| p.ig_account_id.as_deref() == Some(acc.id.as_str()))
        .unwrap();
    sim.reset_stats();
    for by in [
        json!({"report":"user","page":page.name}),
        json!({"report":"user","page":page.id}),
    ] {
        let run = run_on(&ctx, by).await.unwrap();
        assert_eq!(ids(&run.batches, "id"), vec![acc.id.clone()]);
        assert_eq!(
            strings(&run.batches, "username")[0].as_deref(),
            Some(acc.username.as_str())
        );
    }
    assert_eq!(
        sim.stats()
            .by_endpoint
            .get("me/accounts")
            .copied()
            .unwrap_or(0),
        0,
        "page listing was cached"
    );
}

#[tokio::test]
async fn pages_user_and_other_users() {
    let sim = start_sim(SimConfig::default()).await;
    let ctx = ctx(&sim);
    let ds = sim.dataset();
    let run = run_on(&ctx, json!({"report":"pages"})).await.unwrap();
    assert_eq!(
        ids(&run.batches, "page_id"),
        ds.pages.iter().map(|p| p.id.clone()).collect::<Vec<_>>()
    );
    assert_eq!(
        strings(&run.batches, "ig_user_id"),
        ds.pages
            .iter()
            .map(|p| p.ig_account_id.clone())
            .collect::<Vec<_>>()
    );

    let acc = &ds.accounts[0];
    let run = run_on(&ctx, json!({"report":"user","account":acc.id}))
        .await
        .unwrap();
    let b = &run.batches[0];
    assert_eq!(
        b.column_by_name("media_count")
            .unwrap()
            .as_primitive::<Int64Type>()
            .value(0) as u64,
        acc.media_count
    );
    // ids are strings (CONTRACT §4), even where the Graph API writes a number
    assert_eq!(
        b.column_by_name("ig_id")
            .unwrap()
            .as_string::<i32>()
            .value(0),
        acc.ig_id.to_string()
    );

    let other = &ds.discovery[0];
    let run = run_on(
        &ctx,
        json!({"report":"other_users","account":acc.id,"username":other.username}),
    )
    .await
    .unwrap();
    assert_eq!(ids(&run.batches, "id"), vec![other.id.clone()]);
    assert_eq!(
        run.batches[0]
            .column_by_name("followers_count")
            .unwrap()
            .as_primitive::<Int64Type>()
            .value(0) as u64,
        other.followers_count
    );
    let err = run_on(
        &ctx,
        json!({"report":"other_users","account":acc.id,"username":"nobody_at_all"}),
    )
    .await
    .err()
    .unwrap();
    assert_eq!(err.to_status().code(), Code::NotFound, "{err}");
}

#[tokio::test]
async fn other_users_media_pages_through_business_discovery() {
    let sim = start_sim(SimConfig::default()).await;
    let ctx = ctx(&sim);
    let ds = sim.dataset();
    let acc = &ds.accounts[0];
    let other = &ds.discovery[0];
    let run = run_on(&ctx, json!({"report":"other_users_media","account":acc.id,"username":other.username,"page_size":25}))
        .await
        .unwrap();
    assert_eq!(
        ids(&run.batches, "id"),
        other.media.iter().map(|m| m.id.clone()).collect::<Vec<_>>()
    );
    assert!(
        strings(&run.batches, "username")
            .iter()
            .all(|u| u.as_deref() == Some(other.username.as_str()))
    );
    assert!(run.summary.graph_calls() >= (other.media.len() / 25) as u64);
    let err = run_on(
        &ctx,
        json!({"report":"other_users_media","account":acc.id,"username":"nobody_at_all"}),
    )
    .await
    .err()
    .unwrap();
    assert_eq!(err.to_status().code(), Code::NotFound, "{err}");
}

#[tokio::test]
async fn stories_and_recently_searched_hashtags() {
    let sim = start_sim(SimConfig::default()).await;
    let ctx = ctx(&sim);
    let ds = sim.dataset();
    for acc in &ds.accounts {
        let run = run_on(&ctx, json!({"report":"user_stories","account":acc.id}))
            .await
            .unwrap();
        assert_eq!(
            ids(&run.batches, "id"),
            acc.stories.iter().map(|m| m.id.clone()).collect::<Vec<_>>()
        );
        let run = run_on(
            &ctx,
            json!({"report":"recently_searched_hashtags","account":acc.id}),
        )
        .await
        .unwrap();
        let got: BTreeSet<String> = ids(&run.batches, "id").into_iter().collect();
        let week_ago = ds.now - Duration::days(7);
        let want: BTreeSet<String> = acc
            .recent_searches
            .iter()
            .filter(|(_, t)| *t > week_ago)
            .map(|(id, _)| id.clone())
            .collect();
        assert_eq!(got, want);
    }
}

#[tokio::test]
async fn hashtag_media_with_cached_ids_and_the_30_per_week_budget() {
    let sim = start_sim(SimConfig::default()).await;
    let ctx = ctx(&sim);
    let ds = sim.dataset();
    let acc = &ds.accounts[0];
    let tag = &ds.hashtags[0];
    let run = run_on(&ctx, json!({"report":"hashtag_recent_media","account":acc.id,"hashtag":format!("#{}", tag.name)}))
        .await
        .unwrap();
    let got: Vec<String> = ids(&run.batches, "id");
    assert_eq!(
        got.iter().collect::<HashSet<_>>().len(),
        got.len(),
        "no duplicates despite the repeated cursor"
    );
    assert_eq!(
        got.into_iter().collect::<BTreeSet<_>>(),
        tag.recent_media.iter().map(|m| m.id.clone()).collect()
    );
    assert!(
        strings(&run.batches, "hashtag")
            .iter()
            .all(|h| h.as_deref() == Some(tag.name.as_str()))
    );
    assert!(
        strings(&run.batches, "hashtag_id")
            .iter()
            .all(|h| h.as_deref() == Some(tag.id.as_str()))
    );

    sim.reset_stats();
    let run = run_on(
        &ctx,
        json!({"report":"hashtag_top_media","account":acc.id,"hashtag":tag.name}),
    )
    .await
    .unwrap();
    assert_eq!(
        ids(&run.batches, "id"),
        tag.top_media
            .iter()
            .map(|m| m.id.clone())
            .collect::<Vec<_>>()
    );
    assert_eq!(
        sim.stats()
            .by_endpoint
            .get("hashtag_search")
            .copied()
            .unwrap_or(0),
        0,
        "the hashtag id was cached"
    );

    // fill the account's 7-day window, then a new hashtag is refused without a call
    let mut refused = None;
    for i in 0..40 {
        let r = run_on(&ctx, json!({"report":"hashtag_top_media","account":acc.id,"hashtag":format!("newtag{i}"),"limit":1})).await;
        if let Err(e) = r
            && e.to_status().code() == Code::ResourceExhausted
        {
            refused = Some(e);
            break;
        }
    }
    let err = refused.expect("the hashtag budget runs out");
    assert!(err.to_string().contains("30 hashtags"), "{err}");
    let before = sim.stats().total;
    let again = run_on(
        &ctx,
        json!({"report":"hashtag_top_media","account":acc.id,"hashtag":"yetanother"}),
    )
    .await
    .err()
    .unwrap();
    assert_eq!(again.to_status().code(), Code::ResourceExhausted);
    assert_eq!(sim.stats().total, before, "refused without a Graph call");
    // a hashtag already in the window still works
    run_on(
        &ctx,
        json!({"report":"hashtag_top_media","account":acc.id,"hashtag":tag.name,"limit":3}),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn media_comments_with_replies_paged_where_needed() {
    let sim = start_sim(SimConfig::default()).await;
    let ctx = ctx(&sim);
    let ds = sim.dataset();
    let m = ds
        .accounts
        .iter()
        .flat_map(|a| &a.media)
        .max_by_key(|m| m.stored_comment_total())
        .unwrap();
    let run = run_on(&ctx, json!({"report":"media_comments","media_id":m.id}))
        .await
        .unwrap();
    let mut want = Vec::new();
    for c in &m.comments {
        want.push((c.id.clone(), None));
        for r in &c.replies {
            want.push((r.id.clone(), Some(c.id.clone())));
        }
    }
    let got: Vec<(String, Option<String>)> = ids(&run.batches, "id")
        .into_iter()
        .zip(strings(&run.batches, "parent_id"))
        .collect();
    assert_eq!(got.len() as u64, m.stored_comment_total());
    assert_eq!(got, want);
    assert!(ids(&run.batches, "media_id").iter().all(|x| x == &m.id));
    // replies are paged only where a comment has more than one page of them
    let extra_reply_pages: u64 = m
        .comments
        .iter()
        .map(|c| (c.replies.len().max(1) as u64 - 1) / 50)
        .sum();
    let comment_pages = m.comments.len().div_ceil(50) as u64;
    assert_eq!(run.summary.graph_calls(), comment_pages + extra_reply_pages);

    let run = run_on(
        &ctx,
        json!({"report":"media_comments","media_id":m.id,"include_replies":false}),
    )
    .await
    .unwrap();
    assert_eq!(rows(&run.batches), m.comments.len());
    let err = run_on(
        &ctx,
        json!({"report":"media_comments","media_id":"17999999999999999"}),
    )
    .await
    .err()
    .unwrap();
    assert_eq!(err.to_status().code(), Code::NotFound, "{err}");
}

#[tokio::test]
async fn user_insights_long_rows_over_several_windows() {
    let sim = start_sim(SimConfig::default()).await;
    let ctx = ctx(&sim);
    let ds = sim.dataset();
    let acc = &ds.accounts[0];
    // defaults: period day, the last 30 days ending yesterday, every day metric
    let run = run_on(&ctx, json!({"report":"user_insights","account":acc.id}))
        .await
        .unwrap();
    let metrics: BTreeSet<String> = ids(&run.batches, "metric").into_iter().collect();
    assert_eq!(metrics.len(), 9);
    assert_eq!(run.summary.graph_calls(), 1);
    let mut per_metric: BTreeMap<String, usize> = BTreeMap::new();
    for m in ids(&run.batches, "metric") {
        *per_metric.entry(m).or_default() += 1;
    }
    // follower_count only exists for the last 30 × 24 hours: the window's first Pacific day can be missing
    assert!(
        per_metric
            .iter()
            .all(|(m, n)| *n == 30 || (m == "follower_count" && *n == 29)),
        "one value per day for 30 days: {per_metric:?}"
    );

    // 70 days of reach: three windows, every value equals the simulator's
    let run = run_on(&ctx, json!({"report":"user_insights","account":acc.id,"metrics":["reach"],"date_from_offset":70,"date_to_offset":1}))
        .await
        .unwrap();
    assert_eq!(run.summary.graph_calls(), 3);
    assert_eq!(rows(&run.batches), 70);
    let b = &run.batches;
    let ends: Vec<i64> = b
        .iter()
        .flat_map(|x| {
            x.column_by_name("end_time")
                .unwrap()
                .as_primitive::<TimestampSecondType>()
                .values()
                .to_vec()
        })
        .collect();
    let vals: Vec<i64> = b
        .iter()
        .flat_map(|x| {
            x.column_by_name("value")
                .unwrap()
                .as_primitive::<Int64Type>()
                .values()
                .to_vec()
        })
        .collect();
    for (e, v) in ends.iter().zip(&vals) {
        let t = chrono::DateTime::from_timestamp(*e, 0).unwrap();
        let want = ds
            .user_insight(&acc.id, "reach", "day", Some(t))
            .and_then(|x| x.as_i64());
        assert_eq!(Some(*v), want, "reach at {t}");
    }
    assert_eq!(
        ends.iter().collect::<HashSet<_>>().len(),
        70,
        "no duplicates across windows"
    );

    // lifetime demographics: one row per map key, no end_time
    let run = run_on(&ctx, json!({"report":"user_insights","account":acc.id,"period":"lifetime","metrics":["audience_country"]})).await.unwrap();
    let want = ds
        .user_insight(&acc.id, "audience_country", "lifetime", None)
        .unwrap();
    assert_eq!(rows(&run.batches), want.as_object().unwrap().len());
    assert!(
        run.batches[0]
            .column_by_name("end_time")
            .unwrap()
            .null_count()
            == run.batches[0].num_rows()
    );
}

#[tokio::test]
async fn media_insights_spend_about_n_over_100_plus_n_over_50_calls_and_skip_visibly() {
    let sim = start_sim(SimConfig::default()).await;
    let ctx = ctx(&sim);
    let ds = sim.dataset();
    for acc in &ds.accounts {
        sim.reset_stats();
        let run = run_on(&ctx, json!({"report":"media_insights","account":acc.id}))
            .await
            .unwrap();
        let n = acc.media.len();
        let before: Vec<_> = acc
            .media
            .iter()
            .filter(|m| ds.before_conversion(&m.id))
            .collect();
        let after: Vec<_> = acc
            .media
            .iter()
            .filter(|m| !ds.before_conversion(&m.id))
            .collect();
        // every media after the conversion has rows, with the simulator's values
        let got: BTreeMap<String, usize> =
            ids(&run.batches, "media_id")
                .into_iter()
                .fold(BTreeMap::new(), |mut m, id| {
                    *m.entry(id).or_default() += 1;
                    m
                });
        assert_eq!(got.len(), after.len(), "account {}", acc.id);
        let skipped = run.summary.skipped();
        assert_eq!(
            skipped
                .get("before_business_conversion")
                .copied()
                .unwrap_or(0) as usize,
            before.len(),
            "{skipped:?}"
        );
        let calls = sim.stats().total as usize;
        let budget = n.div_ceil(100) + n.div_ceil(50) + 4 + 2 * 6; // listing + groups + kinds + one isolation
        assert!(
            calls <= budget,
            "{calls} calls for {n} media (budget {budget})"
        );
        assert!(calls < n / 3, "not one call per media: {calls} for {n}");
        let metric = ids(&run.batches, "metric");
        let media = ids(&run.batches, "media_id");
        let vals: Vec<i64> = run
            .batches
            .iter()
            .flat_map(|x| {
                x.column_by_name("value")
                    .unwrap()
                    .as_primitive::<Int64Type>()
                    .values()
                    .to_vec()
            })
            .collect();
        for i in (0..vals.len()).step_by(37) {
            let want = ds.media_insight(&media[i], &metric[i]).unwrap();
            assert_eq!(Some(vals[i]), want.as_i64(), "{} {}", media[i], metric[i]);
        }
    }
}

#[tokio::test]
async fn media_insights_of_stories_skip_those_with_too_few_viewers() {
    let sim = start_sim(SimConfig::default()).await;
    let ctx = ctx(&sim);
    let ds = sim.dataset();
    let acc = ds
        .accounts
        .iter()
        .find(|a| a.stories.iter().any(|s| s.low_viewers))
        .expect("a low-viewer story");
    let run = run_on(&ctx, json!({"report":"media_insights","account":acc.id,"media_type":"story","metrics":["reach","exits"]}))
        .await
        .unwrap();
    let low = acc.stories.iter().filter(|s| s.low_viewers).count();
    assert_eq!(
        run.summary
            .skipped()
            .get("not_enough_viewers")
            .copied()
            .unwrap_or(0) as usize,
        low
    );
    let media: BTreeSet<String> = ids(&run.batches, "media_id").into_iter().collect();
    assert_eq!(media.len(), acc.stories.len() - low);
    assert_eq!(rows(&run.batches), 2 * (acc.stories.len() - low));
}

/// The conversion boundary is found once per account on a connection: a second `media_insights` run
/// asking fresh data (`max_age: 0`, no cached answer) skips the pre-conversion media without a call
/// and asks the rest in full groups (listing pages + one call per 50 media of one metric set), with
/// the same rows and the same skipped counts.
#[tokio::test]
async fn the_conversion_boundary_is_remembered_per_account() {
    let sim = start_sim(SimConfig::default()).await;
    let ctx = ctx(&sim);
    let ds = sim.dataset();
    let acc = &ds.accounts[0];
    let t = json!({"report":"media_insights","account":acc.id});
    sim.reset_stats();
    let first = run_on(&ctx, t.clone()).await.unwrap();
    let first_stats = sim.stats();
    let first_calls = first_stats.total;
    sim.reset_stats();
    let fresh = json!({"report":"media_insights","account":acc.id,"max_age":0});
    let second = run_on(&ctx, fresh).await.unwrap();
    let second_calls = sim.stats().total;
    let (a, b) = (media_metric_pairs(&first), media_metric_pairs(&second));
    assert!(a == b, "{} rows, then {}", a.len(), b.len());
    assert_eq!(first.summary.skipped(), second.summary.skipped());
    // media after the conversion, by metric set (the kinds' sets): full groups of 50, no search
    let after: Vec<_> = acc
        .media
        .iter()
        .filter(|m| !ds.before_conversion(&m.id))
        .collect();
    let mut per_kind: BTreeMap<String, usize> = BTreeMap::new();
    for m in &after {
        let kind = format!("{:?}/{:?}", m.media_type, m.media_product_type);
        *per_kind.entry(kind).or_default() += 1;
    }
    let groups: usize = per_kind.values().map(|n| n.div_ceil(50)).sum();
    // every insights call of the second run answers, one per group
    let stats = sim.stats();
    assert_eq!(
        stats.by_endpoint.get("ids").copied().unwrap_or(0) as usize,
        groups,
        "second run: {stats:?}; first: {first_calls} calls"
    );
    assert_eq!(stats.by_status.get("400"), None, "{stats:?}");
    assert!(second_calls < first_calls, "{second_calls} < {first_calls}");
    // finding the boundary cost the first run about log2(media) calls more (plan/conversion.rs), not
    // one per media
    let first_ids = first_stats.by_endpoint.get("ids").copied().unwrap_or(0) as usize;
    let search = first_ids - groups;
    let bound = acc.media.len().ilog2() as usize + 1;
    assert!(
        search <= bound,
        "the search cost {search} calls (bound {bound}): {first_stats:?}"
    );
}

/// A full `user_media` listing serves the next `media_insights` of the account on the connection: no
/// second listing call, the same rows as a run that lists, one cache hit in the summary. A filtered or
/// limited `user_media` keeps nothing.
#[tokio::test]
async fn media_insights_reuse_the_listing_user_media_just_read() {
    let sim = start_sim(SimConfig::default()).await;
    let ds = sim.dataset();
    let acc = &ds.accounts[0];
    let insights = json!({"report":"media_insights","account":acc.id});
    let listings = |sim: &SimHandle| {
        sim.stats()
            .by_endpoint
            .get("user/media")
            .copied()
            .unwrap_or(0)
    };

    // a limited listing keeps nothing: media_insights lists again
    let fresh = ctx(&sim);
    run_on(
        &fresh,
        json!({"report":"user_media","account":acc.id,"limit":10}),
    )
    .await
    .unwrap();
    sim.reset_stats();
    let listed = run_on(&fresh, insights.clone()).await.unwrap();
    assert!(listings(&sim) >= 3, "{:?}", sim.stats());
    assert_eq!(listed.summary.to_json().get("cache_hits"), None);

    let warm = ctx(&sim);
    run_on(&warm, json!({"report":"user_media","account":acc.id}))
        .await
        .unwrap();
    sim.reset_stats();
    let reused = run_on(&warm, insights).await.unwrap();
    assert_eq!(listings(&sim), 0, "{:?}", sim.stats());
    assert_eq!(reused.summary.to_json()["cache_hits"], 1);
    let (a, b) = (media_metric_pairs(&listed), media_metric_pairs(&reused));
    assert!(a == b, "{} rows listed, {} reused", a.len(), b.len());
}

/// A full `user_stories` listing serves the next story `media_insights` of the account: no second
/// listing call, the same rows.
#[tokio::test]
async fn a_stories_listing_serves_the_story_insights_that_follow() {
    let sim = start_sim(SimConfig::default()).await;
    let ds = sim.dataset();
    let acc = &ds.accounts[0];
    let insights = json!({"report":"media_insights","account":acc.id,"media_type":"story"});
    let stories = |sim: &SimHandle| {
        sim.stats()
            .by_endpoint
            .get("user/stories")
            .copied()
            .unwrap_or(0)
    };
    let fresh = ctx(&sim);
    sim.reset_stats();
    let listed = run_on(&fresh, insights.clone()).await.unwrap();
    assert_eq!(stories(&sim), 1, "{:?}", sim.stats());

    let warm = ctx(&sim);
    run_on(&warm, json!({"report":"user_stories","account":acc.id}))
        .await
        .unwrap();
    sim.reset_stats();
    let reused = run_on(&warm, insights).await.unwrap();
    assert_eq!(stories(&sim), 0, "{:?}", sim.stats());
    assert!(reused.summary.cache_hits() >= 1);
    let (a, b) = (media_metric_pairs(&listed), media_metric_pairs(&reused));
    assert!(a == b, "{} rows listed, {} reused", a.len(), b.len());
}

/// Insight groups past the known conversion boundary are asked at once (the simulator sees several
/// requests in flight), with the same rows as one after the other; and the call budget holds under
/// that concurrency: a budget of exactly the calls the runs need suffices, one less stops the run with
/// the budget error and the simulator never answers more calls than the budget allows.
#[tokio::test]
async fn groups_past_the_conversion_are_asked_concurrently_within_the_budget() {
    let sim = start_sim(SimConfig {
        latency: std::time::Duration::from_millis(20),
        ..SimConfig::default()
    })
    .await;
    let ds = sim.dataset();
    let acc = &ds.accounts[1];
    let t = json!({"report":"media_insights","account":acc.id});

    let ctx = ctx(&sim);
    sim.reset_stats();
    let first = run_on(&ctx, t.clone()).await.unwrap();
    let first_calls = sim.stats().total;
    sim.reset_stats();
    let fresh = json!({"report":"media_insights","account":acc.id,"max_age":0});
    let second = run_on(&ctx, fresh.clone()).await.unwrap();
    let second_calls = sim.stats().total;
    assert!(
        sim.stats().max_in_flight >= 2,
        "groups asked at once: {:?}",
        sim.stats()
    );
    let (a, b) = (media_metric_pairs(&first), media_metric_pairs(&second));
    assert!(a == b, "{} rows, then {}", a.len(), b.len());

    // exactly the budget both runs need
    let needed = (first_calls + second_calls) as u32;
    let exact = Arc::new(ReportContext::new(client_with(
        &sim,
        sim.token(),
        needed,
        1,
    )));
    run_on(&exact, t.clone()).await.unwrap();
    run_on(&exact, fresh.clone()).await.unwrap();
    // one call less: the second run stops on the budget, and no call goes past it
    let short = Arc::new(ReportContext::new(client_with(
        &sim,
        sim.token(),
        needed - 1,
        1,
    )));
    sim.reset_stats();
    run_on(&short, t).await.unwrap();
    let Err(e) = run_on(&short, fresh).await else {
        panic!("the second run fits a budget one call short");
    };
    assert!(e.to_string().contains("budget"), "{e}");
    assert!(sim.stats().total < u64::from(needed), "{:?}", sim.stats());
}

/// The windows of a long user insights range are asked at once after the first (the simulator sees
/// several in flight), with the same rows, in the same order, as one window after the other.
#[tokio::test]
async fn the_windows_of_a_long_range_are_asked_at_once_with_the_same_rows() {
    let sim = start_sim(SimConfig {
        latency: std::time::Duration::from_millis(20),
        ..SimConfig::default()
    })
    .await;
    let acc = sim.dataset().accounts[0].id.clone();
    let t = json!({"report":"user_insights","account":acc,"metrics":["reach"],"date_from_offset":200,"date_to_offset":1});
    let one_by_one = Arc::new(ReportContext::new(client(&sim)).with_graph_concurrency(1));
    sim.reset_stats();
    let seq = run_on(&one_by_one, t.clone()).await.unwrap();
    assert_eq!(sim.stats().max_in_flight, 1, "{:?}", sim.stats());
    let calls = sim.stats().total;
    let at_once = ctx(&sim);
    sim.reset_stats();
    let par = run_on(&at_once, t).await.unwrap();
    assert!(sim.stats().max_in_flight >= 2, "{:?}", sim.stats());
    assert_eq!(sim.stats().total, calls, "the same calls");
    let ends = |r: &Run| -> Vec<i64> {
        r.batches
            .iter()
            .flat_map(|x| {
                x.column_by_name("end_time")
                    .unwrap()
                    .as_primitive::<TimestampSecondType>()
                    .values()
                    .to_vec()
            })
            .collect()
    };
    assert_eq!(ends(&seq).len(), 200);
    assert_eq!(ends(&seq), ends(&par));
}
