//! Example tickets for `list-reports`: one JSON ticket per report.
//!
//! In demo mode they are computed from the simulator's data set, so that each one returns rows there
//! (accounts are named by their page's exact name, not by id). Against the real Graph API the generic
//! examples only show the shape of a ticket.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::reports::catalog::ReportKind;
use crate::sim::Dataset;
use crate::sim::data::IgAccount;

/// Example tickets by report.
pub type Examples = BTreeMap<ReportKind, Value>;

/// Generic examples (placeholders where a real name or id is needed): each report's own.
pub fn generic_examples() -> Examples {
    ReportKind::ALL
        .iter()
        .map(|r| {
            let v = serde_json::from_str(r.spec().example)
                .unwrap_or_else(|_| json!({"report": r.name()}));
            (*r, v)
        })
        .collect()
}

/// Examples that return rows on the simulator's data set `data`.
pub fn demo_examples(data: &Dataset) -> Examples {
    let mut m = generic_examples();
    // The page name of an account (examples name accounts by page, so they do not depend on ids).
    let page_of = |a: &IgAccount| -> Option<String> {
        data.pages
            .iter()
            .find(|p| p.ig_account_id.as_deref() == Some(a.id.as_str()))
            .map(|p| p.name.clone())
    };
    let linked: Vec<(&IgAccount, String)> = data
        .accounts
        .iter()
        .filter_map(|a| page_of(a).map(|p| (a, p)))
        .collect();
    let Some((first, first_page)) = linked.first().cloned() else {
        return m;
    };
    let with_page = |mut v: Value, page: &str| {
        v["page"] = Value::from(page);
        v
    };
    let pick = |pred: &dyn Fn(&IgAccount) -> bool| {
        linked
            .iter()
            .find(|(a, _)| pred(a))
            .cloned()
            .unwrap_or((first, first_page.clone()))
    };

    m.insert(
        ReportKind::User,
        with_page(json!({"report": "user"}), &first_page),
    );
    m.insert(
        ReportKind::UserMedia,
        with_page(json!({"report": "user_media", "limit": 20}), &first_page),
    );
    m.insert(
        ReportKind::UserInsights,
        with_page(
            json!({"report": "user_insights", "period": "day", "date_from_offset": 7, "date_to_offset": 1}),
            &first_page,
        ),
    );
    m.insert(
        ReportKind::MediaInsights,
        with_page(
            json!({"report": "media_insights", "limit": 50}),
            &first_page,
        ),
    );
    let (_, stories_page) = pick(&|a| !a.stories.is_empty());
    m.insert(
        ReportKind::UserStories,
        with_page(json!({"report": "user_stories"}), &stories_page),
    );
    let (searched, searched_page) = pick(&|a| !a.recent_searches.is_empty());
    m.insert(
        ReportKind::RecentlySearchedHashtags,
        with_page(
            json!({"report": "recently_searched_hashtags"}),
            &searched_page,
        ),
    );
    // A hashtag with media in both edges; preferably one the account already searched (no new slot of
    // the 30-hashtags-per-7-days limit is spent).
    let usable =
        |h: &&crate::sim::data::Hashtag| !h.recent_media.is_empty() && !h.top_media.is_empty();
    let hashtag = data
        .hashtags
        .iter()
        .filter(usable)
        .find(|h| searched.recent_searches.iter().any(|(n, _)| n == &h.name))
        .or_else(|| data.hashtags.iter().find(usable));
    if let Some(h) = hashtag {
        for r in [ReportKind::HashtagRecentMedia, ReportKind::HashtagTopMedia] {
            m.insert(
                r,
                with_page(
                    json!({"report": r.name(), "hashtag": h.name, "limit": 20}),
                    &searched_page,
                ),
            );
        }
    }
    // A media with comments.
    if let Some((a, page)) = linked
        .iter()
        .find(|(a, _)| a.media.iter().any(|x| !x.comments.is_empty()))
        && let Some(media) = a.media.iter().find(|x| !x.comments.is_empty())
    {
        m.insert(
            ReportKind::MediaComments,
            with_page(
                json!({"report": "media_comments", "media_id": media.id}),
                page,
            ),
        );
    }
    if let Some(d) = data.discovery.first() {
        m.insert(
            ReportKind::OtherUsers,
            with_page(
                json!({"report": "other_users", "username": d.username}),
                &first_page,
            ),
        );
    }
    if let Some(d) = data.discovery.iter().find(|d| !d.media.is_empty()) {
        m.insert(
            ReportKind::OtherUsersMedia,
            with_page(
                json!({"report": "other_users_media", "username": d.username, "limit": 20}),
                &first_page,
            ),
        );
    }
    m
}
