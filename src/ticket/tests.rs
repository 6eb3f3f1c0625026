use super::*;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
}

fn ok(json: &str) -> ReportRequest {
    decode(json.as_bytes(), today()).unwrap_or_else(|e| panic!("{json}: {e}"))
}

fn err(json: &str) -> (String, String) {
    match decode(json.as_bytes(), today()) {
        Err(TicketError::Invalid { key, message }) => (key, message),
        other => panic!("{json}: expected a refusal, got {other:?}"),
    }
}

#[test]
fn refusals_name_the_key_and_what_is_accepted() {
    struct Case {
        json: &'static str,
        key: &'static str,
        says: &'static [&'static str],
    }
    let cases = [
        Case {
            json: r#"{"report":"nope"}"#,
            key: "report",
            says: &["unknown report `nope`", "user_media"],
        },
        Case {
            json: r#"{}"#,
            key: "report",
            says: &["missing key `report`"],
        },
        Case {
            json: r#"{"report":"user","connection":"my shop"}"#,
            key: "connection",
            says: &[
                "connection `my shop` is not a connection name",
                "letters, digits",
            ],
        },
        Case {
            json: r#"{"report":"user","colour":"red"}"#,
            key: "colour",
            says: &["unknown key `colour`", "hashtag"],
        },
        Case {
            json: r#"{"report":"user_media","limit":"ten"}"#,
            key: "limit",
            says: &["must be an integer"],
        },
        Case {
            json: r#"{"report":"user_media","limit":0}"#,
            key: "limit",
            says: &["> 0"],
        },
        Case {
            json: r#"{"report":"user_media","fields":[1]}"#,
            key: "fields",
            says: &["list of strings"],
        },
        Case {
            json: r#"{"report":"user_media","fields":["id","colour"]}"#,
            key: "fields",
            says: &["unknown field `colour`", "caption"],
        },
        Case {
            json: r#"{"report":"hashtag_recent_media"}"#,
            key: "hashtag",
            says: &["requires key `hashtag`"],
        },
        Case {
            json: r#"{"report":"media_comments"}"#,
            key: "media_id",
            says: &["requires key `media_id`"],
        },
        Case {
            json: r#"{"report":"other_users_media","username":""}"#,
            key: "username",
            says: &["requires key `username`"],
        },
        Case {
            json: r#"{"report":"user_insights","metrics":["likes_given"]}"#,
            key: "metrics",
            says: &["unknown metric `likes_given`", "profile_views"],
        },
        Case {
            json: r#"{"report":"user_insights","period":"month"}"#,
            key: "period",
            says: &["unknown period `month`", "days_28"],
        },
        Case {
            json: r#"{"report":"user_insights","period":"week","metrics":["profile_views"]}"#,
            key: "metrics",
            says: &["does not fit period `week`", "impressions, reach"],
        },
        Case {
            json: r#"{"report":"media_insights","media_type":"image","metrics":["plays"]}"#,
            key: "metrics",
            says: &["does not fit media type `image`", "saved"],
        },
        Case {
            json: r#"{"report":"media_insights","period":"day"}"#,
            key: "period",
            says: &["accepted: lifetime"],
        },
        Case {
            json: r#"{"report":"user_insights","date_from_offset":-1}"#,
            key: "date_from_offset",
            says: &["≥ 0"],
        },
        Case {
            json: r#"{"report":"user_insights","date_from":"2026-05-02","date_to":"2026-05-01"}"#,
            key: "date_from",
            says: &["after"],
        },
        Case {
            json: r#"{"report":"user_insights","date_from_offset":60}"#,
            key: "metrics",
            says: &["follower_count", "last 30 days"],
        },
        Case {
            json: r#"{"report":"user_insights","date_from":"May 1"}"#,
            key: "date_from",
            says: &["YYYY-MM-DD"],
        },
        Case {
            json: r#"{"report":"user_media","media_items":"single"}"#,
            key: "media_id",
            says: &["needs key `media_id`"],
        },
        Case {
            json: r#"{"report":"user_media","media_items":"some"}"#,
            key: "media_items",
            says: &["all, range, single"],
        },
        Case {
            json: r#"{"report":"user_media","media_type":"story"}"#,
            key: "media_type",
            says: &["user_stories"],
        },
        Case {
            json: r#"{"report":"user","hashtag":"coffee"}"#,
            key: "hashtag",
            says: &["does not apply to report `user`"],
        },
        Case {
            json: r#"{"report":"user","account":"1","page":"2"}"#,
            key: "page",
            says: &["not both"],
        },
        Case {
            json: r#"{"report":"media_comments","media_id":"1","include_replies":"yes"}"#,
            key: "include_replies",
            says: &["boolean"],
        },
    ];
    for c in cases {
        let (key, message) = err(c.json);
        assert_eq!(key, c.key, "{}: {message}", c.json);
        for s in c.says {
            assert!(
                message.contains(s),
                "{}: `{message}` should say `{s}`",
                c.json
            );
        }
    }
}

#[test]
fn user_insights_defaults() {
    let r = ok(r#"{"report":"user_insights"}"#);
    assert_eq!(r.period, Period::Day);
    assert_eq!(r.metrics.len(), user_metrics(Period::Day).len());
    let d = r.dates.unwrap();
    assert_eq!(d.to, today() - Duration::days(1));
    assert_eq!(d.from, today() - Duration::days(30));
}

#[test]
fn offsets_count_days_before_today() {
    let r = ok(r#"{"report":"user_insights","date_from_offset":10,"date_to_offset":5}"#);
    let d = r.dates.unwrap();
    assert_eq!(d.from, NaiveDate::from_ymd_opt(2026, 11, 18).unwrap());
    assert_eq!(d.to, NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
}

#[test]
fn hashtags_lose_their_hash_and_fields_keep_their_order() {
    let r =
        ok(r##"{"report":"hashtag_top_media","hashtag":"#Coffee","fields":["timestamp","id"]}"##);
    assert_eq!(r.hashtag.as_deref(), Some("coffee"));
    assert_eq!(
        r.fields.unwrap(),
        vec!["timestamp".to_string(), "id".to_string()]
    );
}

#[test]
fn json_and_protobuf_decode_to_the_same_request() {
    let json = r#"{"report":"media_insights","account":"17841400000000001","metrics":["reach","saved"],
                  "media_type":"image","media_items":"range","date_from":"2026-01-01","date_to_offset":3,"limit":7}"#;
    let from_json = ok(json);
    let bytes = encode(&from_json.raw);
    let from_proto = decode(&bytes, today()).unwrap();
    assert_eq!(from_json, from_proto);
    // and the JSON form of the raw ticket round-trips too
    let again = ok(&to_json(&from_json.raw).to_string());
    assert_eq!(from_json, again);
    // a bare ReportTicket (no Any wrapper) is accepted as well
    let bare = from_json.raw.encode_to_vec();
    assert_eq!(decode(&bare, today()).unwrap(), from_json);
}

/// Frozen bytes of a v1 ticket. Do not change this test: old tickets must stay decodable.
#[test]
fn frozen_v1_ticket_still_decodes() {
    let frozen = hex::decode(FROZEN_V1).unwrap();
    let r = decode(&frozen, today()).unwrap();
    assert_eq!(r.report, ReportKind::UserInsights);
    assert_eq!(
        r.account,
        AccountRef::Account(NodeId::parse("17841400000000001").unwrap())
    );
    assert_eq!(
        r.metrics,
        vec!["reach".to_string(), "impressions".to_string()]
    );
    assert_eq!(r.period, Period::Week);
    assert_eq!(
        r.dates,
        Some(DateRange {
            from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            to: NaiveDate::from_ymd_opt(2026, 2, 15).unwrap()
        })
    );
    assert_eq!(r.limit, Some(100));
}

const FROZEN_V1: &str = include_str!("frozen_v1.hex");

#[test]
fn connection_names_the_served_connection() {
    let r = ok(r#"{"report":"user_media","connection":" shop-1 "}"#);
    assert_eq!(r.connection.as_deref(), Some("shop-1"));
    assert_eq!(ok(r#"{"report":"user_media"}"#).connection, None);
    assert_eq!(
        ok(r#"{"report":"user_media","connection":""}"#).connection,
        None
    );
    // the canonical form carries it too
    let again = decode(&encode(&r.raw), today()).unwrap();
    assert_eq!(again.connection.as_deref(), Some("shop-1"));
}

#[test]
fn garbage_is_undecodable() {
    assert!(matches!(
        decode(b"\xff\xff\xff", today()),
        Err(TicketError::Undecodable(_))
    ));
    assert!(matches!(
        decode(b"{not json", today()),
        Err(TicketError::Undecodable(_))
    ));
    assert!(matches!(
        decode(b"[1,2]", today()),
        Err(TicketError::Undecodable(_))
    ));
}
