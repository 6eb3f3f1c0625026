//! The insights keys against the catalog of each version: defaults, shapes, and every refusal (its key,
//! its INVALID_ARGUMENT status and its message).

use chrono::NaiveDate;
use tonic::Code;

use crate::reports::catalog::{GraphVersion, MediaKind, MetricType, Period, Timeframe};
use crate::ticket::{
    MediaInsightsParams, ReportParams, TicketError, UserInsightsParams, decode, proto,
};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
}

fn v(s: &str) -> GraphVersion {
    GraphVersion::parse(s).unwrap()
}

fn user(json: &str, version: &str) -> UserInsightsParams {
    match decode(json.as_bytes(), today(), v(version)) {
        Ok(r) => match r.params {
            ReportParams::UserInsights(p) => p,
            other => panic!("{other:?}"),
        },
        Err(e) => panic!("{json} on {version}: {e}"),
    }
}

fn media(json: &str, version: &str) -> MediaInsightsParams {
    match decode(json.as_bytes(), today(), v(version)) {
        Ok(r) => match r.params {
            ReportParams::MediaInsights(p) => p,
            other => panic!("{other:?}"),
        },
        Err(e) => panic!("{json} on {version}: {e}"),
    }
}

/// The refusal of `json` on `version`: its key and message; its status is INVALID_ARGUMENT.
fn refused(json: &str, version: &str) -> (String, String) {
    match decode(json.as_bytes(), today(), v(version)) {
        Err(e @ TicketError::Invalid { .. }) => {
            let status = tonic::Status::from(e.clone());
            assert_eq!(status.code(), Code::InvalidArgument, "{json}");
            let TicketError::Invalid { key, message } = e else {
                unreachable!()
            };
            assert_eq!(status.message(), message);
            (key, message)
        }
        other => panic!("{json} on {version}: expected a refusal, got {other:?}"),
    }
}

#[test]
fn the_new_keys_are_keys_of_both_encodings() {
    let json = r#"{"report":"user_insights","period":"lifetime","metrics":["follower_demographics"],
                   "breakdown":"age,gender","metric_type":"total_value","timeframe":"this_week"}"#;
    let r = decode(json.as_bytes(), today(), GraphVersion::V18).unwrap();
    assert_eq!(r.raw.breakdown.as_deref(), Some("age,gender"));
    assert_eq!(r.raw.metric_type.as_deref(), Some("total_value"));
    assert_eq!(r.raw.timeframe.as_deref(), Some("this_week"));
    // the canonical form carries them, and the JSON form of the raw ticket too
    let again = decode(&crate::ticket::encode(&r.raw), today(), GraphVersion::V18).unwrap();
    assert_eq!(again, r);
    let json_again = crate::ticket::to_json(&r.raw);
    assert_eq!(json_again["breakdown"], "age,gender");
    assert_eq!(json_again["metric_type"], "total_value");
    assert_eq!(json_again["timeframe"], "this_week");
    // an old ticket without them: none set
    let old = proto::ReportTicket {
        report: "user_insights".into(),
        ..Default::default()
    };
    let p = match decode(&crate::ticket::encode(&old), today(), GraphVersion::V15)
        .unwrap()
        .params
    {
        ReportParams::UserInsights(p) => p,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        (p.metric_type, p.breakdown, p.timeframe),
        (MetricType::Default, None, None)
    );
}

#[test]
fn v15_keeps_its_defaults() {
    let p = user(r#"{"report":"user_insights"}"#, "v15.0");
    assert_eq!(
        p.metrics,
        [
            "impressions",
            "reach",
            "follower_count",
            "email_contacts",
            "phone_call_clicks",
            "text_message_clicks",
            "get_directions_clicks",
            "website_clicks",
            "profile_views"
        ]
    );
    assert_eq!(p.version, GraphVersion::V15);
    let p = user(r#"{"report":"user_insights","period":"lifetime"}"#, "v15.0");
    assert_eq!(
        p.metrics,
        [
            "online_followers",
            "audience_city",
            "audience_country",
            "audience_gender_age",
            "audience_locale"
        ]
    );
    let p = media(
        r#"{"report":"media_insights","media_type":"image"}"#,
        "v15.0",
    );
    assert_eq!(p.metrics, ["engagement", "impressions", "reach", "saved"]);
    // versions before v18 share the v15 catalog
    let p = user(r#"{"report":"user_insights","period":"lifetime"}"#, "v17.0");
    assert!(p.metrics.contains(&"audience_city".to_string()));
}

#[test]
fn each_version_defaults_to_what_it_serves() {
    let p = user(r#"{"report":"user_insights","period":"lifetime"}"#, "v18.0");
    assert_eq!(
        p.metrics,
        [
            "online_followers",
            "follower_demographics",
            "engaged_audience_demographics",
            "reached_audience_demographics"
        ]
    );
    let day = user(r#"{"report":"user_insights"}"#, "v22.0").metrics;
    assert!(day.contains(&"views".to_string()), "{day:?}");
    assert!(!day.contains(&"impressions".to_string()), "{day:?}");
    assert!(!day.contains(&"email_contacts".to_string()), "{day:?}");
    let day = user(r#"{"report":"user_insights"}"#, "v21.0").metrics;
    assert!(day.contains(&"impressions".to_string()), "{day:?}");
    assert!(!day.contains(&"views".to_string()), "{day:?}");
    // metric_type narrows the default set
    let series = user(
        r#"{"report":"user_insights","metric_type":"time_series"}"#,
        "v22.0",
    )
    .metrics;
    assert_eq!(series, ["reach", "follower_count"]);
    let totals = user(
        r#"{"report":"user_insights","metric_type":"total_value"}"#,
        "v22.0",
    )
    .metrics;
    assert!(!totals.contains(&"follower_count".to_string()));
    assert!(totals.contains(&"reach".to_string()) && totals.contains(&"views".to_string()));
    // a breakdown narrows it to the metrics taking it
    let p = user(
        r#"{"report":"user_insights","period":"lifetime","breakdown":"City"}"#,
        "v22.0",
    );
    assert_eq!(p.breakdown.as_deref(), Some("city"));
    assert_eq!(
        p.metrics,
        [
            "follower_demographics",
            "engaged_audience_demographics",
            "reached_audience_demographics"
        ]
    );
    let p = user(
        r#"{"report":"user_insights","breakdown":"follow_type"}"#,
        "v18.0",
    );
    assert_eq!(p.metrics, ["reach", "follows_and_unfollows"]);
    // a timeframe leaves out the demographics that do not take it (v20+)
    let p = user(
        r#"{"report":"user_insights","period":"lifetime","timeframe":"last_30_days"}"#,
        "v21.0",
    );
    assert_eq!(p.metrics, ["online_followers", "follower_demographics"]);
    assert_eq!(p.timeframe, Some(Timeframe::Last30Days));
    // media: each kind's set of the version, narrowed by a breakdown
    let p = media(
        r#"{"report":"media_insights","media_type":"reels"}"#,
        "v22.0",
    );
    assert!(p.metrics.contains(&"views".to_string()) && !p.metrics.contains(&"plays".to_string()));
    let p = media(
        r#"{"report":"media_insights","media_type":"story","breakdown":"story_navigation_action_type"}"#,
        "v18.0",
    );
    assert_eq!(p.metrics, ["navigation"]);
    let p = media(
        r#"{"report":"media_insights","breakdown":"action_type"}"#,
        "v18.0",
    );
    assert!(
        p.metrics.is_empty(),
        "every media gets its kind's metrics taking it"
    );
    assert_eq!(p.breakdown.as_deref(), Some("action_type"));
}

#[test]
fn removed_metrics_are_left_out_with_their_replacement() {
    let p = user(
        r#"{"report":"user_insights","metrics":["impressions","reach"]}"#,
        "v22.0",
    );
    assert_eq!(p.metrics, ["reach"]);
    assert_eq!(p.removed.len(), 1);
    assert_eq!(p.removed[0].metric, "impressions");
    assert_eq!(p.removed[0].replacement, Some("views"));
    assert_eq!(p.removed[0].since, GraphVersion::V22);
    let p = media(
        r#"{"report":"media_insights","metrics":["plays","reach","taps_forward"]}"#,
        "v22.0",
    );
    assert_eq!(p.metrics, ["reach"]);
    let gone: Vec<&str> = p.removed.iter().map(|r| r.metric).collect();
    assert_eq!(gone, ["plays", "taps_forward"]);
}

#[test]
fn every_new_refusal_names_its_key_and_what_the_version_accepts() {
    struct Case {
        json: &'static str,
        version: &'static str,
        key: &'static str,
        says: &'static [&'static str],
    }
    let cases = [
        // the form of the keys
        Case {
            json: r#"{"report":"user_insights","breakdown":"age,,gender"}"#,
            version: "v18.0",
            key: "breakdown",
            says: &["breakdown keys separated by `,`", "age,gender"],
        },
        Case {
            json: r#"{"report":"user_insights","breakdown":"age,age"}"#,
            version: "v18.0",
            key: "breakdown",
            says: &["breakdown key `age` is given twice"],
        },
        Case {
            json: r#"{"report":"user_insights","metric_type":"sum"}"#,
            version: "v18.0",
            key: "metric_type",
            says: &[
                "unknown metric_type `sum`",
                "default, time_series, total_value",
            ],
        },
        Case {
            json: r#"{"report":"user_insights","timeframe":"yesterday"}"#,
            version: "v18.0",
            key: "timeframe",
            says: &["unknown timeframe `yesterday`", "this_week", "prev_month"],
        },
        Case {
            json: r#"{"report":"media_insights","timeframe":"this_week"}"#,
            version: "v18.0",
            key: "timeframe",
            says: &["does not apply to report `media_insights`", "breakdown"],
        },
        // against the version's catalog
        Case {
            json: r#"{"report":"user_insights","period":"lifetime","breakdown":"city"}"#,
            version: "v15.0",
            key: "breakdown",
            says: &["unknown breakdown `city`", "v15.0 takes no breakdown"],
        },
        Case {
            json: r#"{"report":"user_insights","breakdown":"colour"}"#,
            version: "v18.0",
            key: "breakdown",
            says: &[
                "unknown breakdown `colour`",
                "accepted in v18.0",
                "media_product_type",
            ],
        },
        Case {
            json: r#"{"report":"user_insights","breakdown":"city","metric_type":"time_series"}"#,
            version: "v18.0",
            key: "breakdown",
            says: &["only exists on total values"],
        },
        Case {
            json: r#"{"report":"user_insights","breakdown":"city"}"#,
            version: "v18.0",
            key: "breakdown",
            says: &[
                "no metric of period `day` takes breakdown `city` in v18.0",
                "follower_count",
                "metrics that take the breakdown: follower_demographics (lifetime)",
            ],
        },
        Case {
            json: r#"{"report":"user_insights","metric_type":"total_value"}"#,
            version: "v15.0",
            key: "metric_type",
            says: &["no metric of period `day` takes metric_type `total_value` in v15.0"],
        },
        Case {
            json: r#"{"report":"user_insights","metrics":["follower_count"],"metric_type":"total_value"}"#,
            version: "v18.0",
            key: "metric_type",
            says: &[
                "metric `follower_count` does not take metric_type `total_value` in v18.0",
                "accounts_engaged",
            ],
        },
        Case {
            json: r#"{"report":"user_insights","metrics":["accounts_engaged"],"breakdown":"media_product_type"}"#,
            version: "v18.0",
            key: "breakdown",
            says: &[
                "metric `accounts_engaged` does not take breakdown `media_product_type` in v18.0",
                "it takes no breakdown",
                "total_interactions",
            ],
        },
        Case {
            json: r#"{"report":"user_insights","period":"lifetime","metrics":["engaged_audience_demographics"],"timeframe":"prev_month"}"#,
            version: "v20.0",
            key: "timeframe",
            says: &[
                "metric `engaged_audience_demographics` does not take timeframe `prev_month` in v20.0",
                "this_week, this_month",
            ],
        },
        Case {
            json: r#"{"report":"user_insights","timeframe":"this_week"}"#,
            version: "v18.0",
            key: "timeframe",
            says: &[
                "applies to the demographic metrics",
                "follower_demographics",
            ],
        },
        Case {
            json: r#"{"report":"user_insights","period":"lifetime","timeframe":"this_week"}"#,
            version: "v15.0",
            key: "timeframe",
            says: &["v15.0 has none"],
        },
        Case {
            json: r#"{"report":"user_insights","metrics":["views"]}"#,
            version: "v15.0",
            key: "metrics",
            says: &[
                "unknown metric `views` in v15.0 (it came with v22.0)",
                "profile_views",
            ],
        },
        Case {
            json: r#"{"report":"user_insights","period":"lifetime","metrics":["audience_city","audience_locale"]}"#,
            version: "v18.0",
            key: "metrics",
            says: &[
                "every metric asked was removed by v18.0",
                "`audience_city` (removed in v18.0; use follower_demographics)",
                "`audience_locale` (removed in v18.0; no replacement)",
            ],
        },
        Case {
            json: r#"{"report":"user_insights","metrics":["reach"],"date_from_offset":91}"#,
            version: "v22.0",
            key: "metrics",
            says: &[
                "metric `reach` only has data for the last 90 days",
                "in v22.0",
            ],
        },
        Case {
            json: r#"{"report":"user_insights","period":"lifetime","metrics":["online_followers"],"date_from_offset":45}"#,
            version: "v15.0",
            key: "metrics",
            says: &["metric `online_followers` only has data for the last 30 days"],
        },
        Case {
            json: r#"{"report":"media_insights","breakdown":"city"}"#,
            version: "v22.0",
            key: "breakdown",
            says: &["unknown breakdown `city` for media insights", "action_type"],
        },
        Case {
            json: r#"{"report":"media_insights","media_type":"image","breakdown":"story_navigation_action_type"}"#,
            version: "v22.0",
            key: "breakdown",
            says: &["no image metric takes breakdown", "navigation"],
        },
        Case {
            json: r#"{"report":"media_insights","metrics":["reach"],"breakdown":"action_type"}"#,
            version: "v22.0",
            key: "breakdown",
            says: &[
                "metric `reach` does not take breakdown `action_type` in v22.0",
                "profile_activity",
            ],
        },
        Case {
            json: r#"{"report":"media_insights","metrics":["carousel_album_reach","video_views"]}"#,
            version: "v22.0",
            key: "metrics",
            says: &[
                "every metric asked was removed by v22.0",
                "`carousel_album_reach` (removed in v18.0; use reach)",
                "`video_views` (removed in v21.0; use views)",
            ],
        },
        Case {
            json: r#"{"report":"media_insights","metrics":["navigation"]}"#,
            version: "v15.0",
            key: "metrics",
            says: &["unknown metric `navigation` in v15.0 (it came with v18.0)"],
        },
    ];
    for c in cases {
        let (key, message) = refused(c.json, c.version);
        assert_eq!(key, c.key, "{}: {message}", c.json);
        for s in c.says {
            assert!(message.contains(s), "{}: `{message}` lacks `{s}`", c.json);
        }
    }
}

#[test]
fn named_metrics_take_the_shape_asked() {
    let p = user(
        r#"{"report":"user_insights","metrics":["reach"],"metric_type":"total_value","breakdown":"media_product_type,follow_type"}"#,
        "v18.0",
    );
    assert_eq!(p.metric_type, MetricType::TotalValue);
    assert_eq!(
        p.breakdown.as_deref(),
        Some("media_product_type,follow_type")
    );
    let p = user(
        r#"{"report":"user_insights","period":"lifetime","metrics":["follower_demographics"],"breakdown":"age,gender","timeframe":"last_90_days"}"#,
        "v22.0",
    );
    assert_eq!(p.period, Period::Lifetime);
    assert_eq!(p.timeframe, Some(Timeframe::Last90Days));
    // a demographic without a range reaches back past no retention
    user(
        r#"{"report":"user_insights","period":"lifetime","metrics":["follower_demographics"],"date_from_offset":300}"#,
        "v22.0",
    );
    let p = media(
        r#"{"report":"media_insights","media_type":"story","metrics":["navigation"],"breakdown":"story_navigation_action_type"}"#,
        "v22.0",
    );
    assert_eq!(p.media_type, Some(MediaKind::Story));
    assert_eq!(p.metrics, ["navigation"]);
}
