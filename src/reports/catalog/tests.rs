//! The catalog: the report registry, and the metric catalog of each era checked against the
//! reference (the v15 lists exactly as the seed's; removals and replacements as the changelogs name them).

use super::*;

#[test]
fn names_round_trip() {
    for r in ReportKind::ALL {
        assert_eq!(ReportKind::from_name(r.name()), Some(r));
        for req in r.required() {
            assert!(r.accepted().contains(req), "{r}: {req}");
        }
    }
    assert_eq!(ReportKind::from_name("nope"), None);
    for p in Period::ALL {
        assert_eq!(Period::from_name(p.name()), Some(p));
    }
}

#[test]
fn reels_are_not_videos() {
    assert_eq!(
        MediaKind::classify(Some("VIDEO"), Some("REELS")),
        Some(MediaKind::Reels)
    );
    assert_eq!(
        MediaKind::classify(Some("VIDEO"), Some("FEED")),
        Some(MediaKind::Video)
    );
    assert_eq!(
        MediaKind::classify(Some("IMAGE"), Some("STORY")),
        Some(MediaKind::Story)
    );
    assert_eq!(
        MediaKind::classify(Some("CAROUSEL_ALBUM"), None),
        Some(MediaKind::CarouselAlbum)
    );
    let v15 = Catalog::of(GraphVersion::V15);
    assert!(v15.media_metrics(MediaKind::Reels).contains(&"plays"));
    assert!(!v15.media_metrics(MediaKind::Image).contains(&"video_views"));
}

/// The v15 catalog, exactly as the seed's (reference §5.2, §5.4): a changed list here changes every v15
/// call.
#[test]
fn the_v15_catalog_is_the_seeds() {
    let c = Catalog::of(GraphVersion::V15);
    assert_eq!(
        c.user_metrics(Period::Day),
        [
            "impressions",
            "reach",
            "follower_count",
            "email_contacts",
            "phone_call_clicks",
            "text_message_clicks",
            "get_directions_clicks",
            "website_clicks",
            "profile_views",
        ]
    );
    assert_eq!(c.user_metrics(Period::Week), ["impressions", "reach"]);
    assert_eq!(c.user_metrics(Period::Days28), ["impressions", "reach"]);
    assert_eq!(
        c.user_metrics(Period::Lifetime),
        [
            "online_followers",
            "audience_city",
            "audience_country",
            "audience_gender_age",
            "audience_locale",
        ]
    );
    assert_eq!(
        c.media_metrics(MediaKind::Video),
        ["engagement", "impressions", "reach", "saved", "video_views"]
    );
    assert_eq!(
        c.media_metrics(MediaKind::Story),
        [
            "exits",
            "impressions",
            "reach",
            "replies",
            "taps_forward",
            "taps_back"
        ]
    );
    assert_eq!(
        c.media_metrics(MediaKind::Reels),
        [
            "comments",
            "likes",
            "plays",
            "reach",
            "saved",
            "shares",
            "total_interactions"
        ]
    );
    assert_eq!(c.media_metrics(MediaKind::CarouselAlbum).len(), 5);
    // no v15 metric takes a breakdown, a total value or a timeframe
    assert!(c.user_breakdown_keys().is_empty() && c.media_breakdown_keys().is_empty());
    assert!(
        c.user
            .iter()
            .all(|m| !m.shapes.iter().any(|s| s.total_value()))
    );
    let follower_count = c.user_metric("follower_count").unwrap();
    assert_eq!(follower_count.retention_days, Some(30));
    assert_eq!(c.user_metric("reach").unwrap().retention_days, None);
    assert_eq!(
        c.user_metric("audience_city").unwrap().shapes,
        [Shape::Snapshot]
    );
    assert_eq!(c.media_retention_days, 730);
}

/// Every era's catalog holds together: names once, shapes, periods, breakdowns and timeframes that fit.
#[test]
fn every_catalog_is_consistent() {
    for era in Era::ALL {
        let c = Catalog::of_era(era);
        assert_eq!(c.era, era);
        assert_eq!(Catalog::of(era.since()).era, era);
        let names = c.all_user_metrics();
        for (i, m) in c.user.iter().enumerate() {
            assert!(!names[..i].contains(&m.name), "{era:?}: {} twice", m.name);
            assert!(!m.periods.is_empty() && !m.shapes.is_empty(), "{}", m.name);
            assert!(
                c.removed_user(m.name).is_none(),
                "{era:?}: {} served and removed",
                m.name
            );
            if m.demographic() {
                assert_eq!(m.periods, [Period::Lifetime], "{}", m.name);
                assert!(m.timeframes.contains(&c.default_timeframe), "{}", m.name);
                for b in m.default_breakdowns {
                    assert!(m.takes_breakdown(b), "{}: {b}", m.name);
                }
            } else {
                assert!(
                    m.default_breakdowns.is_empty() && m.timeframes.is_empty(),
                    "{}",
                    m.name
                );
            }
            if !m.breakdowns.is_empty() {
                assert!(
                    m.shapes.iter().any(|s| s.total_value()),
                    "{}: a breakdown needs a total",
                    m.name
                );
            }
        }
        for p in Period::ALL {
            assert!(!c.user_metrics(p).is_empty(), "{era:?} {p}");
        }
        for k in MediaKind::ALL {
            let ms = c.media_metrics(k);
            assert!(!ms.is_empty(), "{era:?} {}", k.name());
            for (i, m) in ms.iter().enumerate() {
                assert!(!ms[..i].contains(m), "{era:?} {}: {m} twice", k.name());
                assert!(
                    c.removed_media(m).is_none(),
                    "{era:?}: {m} served and removed"
                );
            }
        }
        for (m, _) in c.media_breakdowns {
            assert!(c.all_media_metrics().contains(m), "{era:?}: {m}");
        }
    }
}

#[test]
fn removed_metrics_name_the_changelogs_replacement() {
    let v18 = Catalog::of(GraphVersion::V18);
    let v21 = Catalog::of(GraphVersion::V21);
    let v22 = Catalog::of(GraphVersion::V22);
    for (c, metric, replacement) in [
        (v18, "audience_city", Some("follower_demographics")),
        (v18, "audience_gender_age", Some("follower_demographics")),
        (v18, "audience_locale", None),
        (v22, "impressions", Some("views")),
        (v22, "email_contacts", Some("profile_links_taps")),
    ] {
        assert_eq!(c.user_replacement(metric), replacement, "{metric}");
        assert!(c.user_metric(metric).is_none(), "{metric}");
    }
    assert_eq!(
        v21.user_replacement("impressions"),
        None,
        "still served by v21"
    );
    assert!(v21.user_metric("impressions").is_some());
    for (c, metric, replacement) in [
        (v18, "carousel_album_reach", "reach"),
        (v18, "carousel_album_impressions", "impressions"),
        (v18, "carousel_album_video_views", "video_views"),
        (v21, "carousel_album_video_views", "views"),
        (v22, "carousel_album_impressions", "views"),
        (v18, "carousel_album_engagement", "total_interactions"),
        (v18, "engagement", "total_interactions"),
        (v18, "taps_forward", "navigation"),
        (v18, "taps_back", "navigation"),
        (v18, "exits", "navigation"),
        (v21, "video_views", "views"),
        (v22, "plays", "views"),
        (v22, "clips_replays_count", "views"),
    ] {
        assert_eq!(
            c.media_replacement(metric),
            Some(replacement),
            "{:?} {metric}",
            c.era
        );
    }
    assert_eq!(v18.removed_media("exits").unwrap().since, GraphVersion::V18);
    assert_eq!(
        v22.removed_media("video_views").unwrap().since,
        GraphVersion::V21
    );
    // every replacement v22 names is a metric v22 serves
    for r in v22.removed_user.iter().flat_map(|l| l.iter()) {
        if let Some(n) = v22.user_replacement(r.metric) {
            assert!(v22.user_metric(n).is_some(), "{} → {n}", r.metric);
        }
    }
    for r in v22.removed_media.iter().flat_map(|l| l.iter()) {
        let n = v22.media_replacement(r.metric).unwrap();
        assert!(v22.all_media_metrics().contains(&n), "{} → {n}", r.metric);
    }
    // and when each arrived
    assert_eq!(user_metric_since("views"), Some(Era::V22));
    assert_eq!(user_metric_since("follower_demographics"), Some(Era::V18));
    assert_eq!(user_metric_since("reach"), Some(Era::V15));
    assert_eq!(media_metric_since("navigation"), Some(Era::V18));
    assert_eq!(user_metric_since("nope"), None);
}

#[test]
fn each_versions_default_sets() {
    let v22 = Catalog::of(GraphVersion::parse("v25.0").unwrap());
    assert_eq!(v22.era, Era::V22);
    assert_eq!(
        v22.user_metrics(Period::Day),
        [
            "reach",
            "follower_count",
            "website_clicks",
            "profile_views",
            "views",
            "accounts_engaged",
            "total_interactions",
            "likes",
            "comments",
            "shares",
            "saves",
            "replies",
            "follows_and_unfollows",
            "profile_links_taps",
        ]
    );
    assert_eq!(v22.user_metrics(Period::Week), ["reach"]);
    assert_eq!(
        v22.user_metrics(Period::Lifetime),
        [
            "online_followers",
            "follower_demographics",
            "engaged_audience_demographics",
            "reached_audience_demographics",
        ]
    );
    let demographics = v22.user_metric("follower_demographics").unwrap();
    assert_eq!(
        demographics.default_breakdowns,
        ["age,gender", "city", "country"]
    );
    assert_eq!(demographics.retention_days, None);
    assert_eq!(v22.user_metric("reach").unwrap().retention_days, Some(90));
    assert_eq!(
        v22.user_metric("follower_count").unwrap().retention_days,
        Some(30)
    );
    let engaged = v22.user_metric("engaged_audience_demographics").unwrap();
    assert_eq!(engaged.timeframes, Timeframe::CURRENT);
    let v18 = Catalog::of(GraphVersion::V18);
    assert_eq!(
        v18.user_metric("engaged_audience_demographics")
            .unwrap()
            .timeframes,
        Timeframe::ALL
    );
    assert!(
        !v18.media_metrics(MediaKind::Video)
            .contains(&"total_interactions")
    );
    assert!(
        v18.media_metrics(MediaKind::Image)
            .contains(&"total_interactions")
    );
    assert_eq!(
        v22.media_breakdowns("navigation"),
        ["story_navigation_action_type"]
    );
    assert!(v22.media_takes_breakdown("profile_activity", "action_type"));
    assert!(!v22.media_takes_breakdown("reach", "action_type"));
    let reach = v22.user_metric("reach").unwrap();
    assert_eq!(
        reach.shape_for(MetricType::Default, false),
        Some(Shape::TimeSeries)
    );
    assert_eq!(
        reach.shape_for(MetricType::TotalValue, false),
        Some(Shape::TotalValue)
    );
    assert_eq!(
        reach.shape_for(MetricType::Default, true),
        Some(Shape::TotalValue)
    );
    let fc = v22.user_metric("follower_count").unwrap();
    assert_eq!(fc.shape_for(MetricType::TotalValue, false), None);
    assert!(reach.takes_breakdown("media_product_type,follow_type"));
    assert!(!reach.takes_breakdown("media_product_type,city"));
}
