//! The kind of Graph endpoint a request goes to, for statistics, logs and error messages.
//!
//! Heuristics (kept simple on purpose): the path is taken without a leading version segment
//! (`v15.0/`); a segment of digits is an id. IG user ids start with `1784` (e.g. `17841405309211844`),
//! so a digits node read is `user` when its id starts with `1784` (or `business_discovery` when the
//! `fields` parameter mentions `business_discovery`), otherwise `media`; `{id}/insights` is
//! `user/insights` for a `1784…` id and `media/insights` otherwise. Hashtag ids also start with `1784`:
//! a bare hashtag node read counts as `user`; its edges (`recent_media`, `top_media`) are exact.

use std::fmt;

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EndpointKind {
    Me,
    MeAccounts,
    User,
    UserMedia,
    UserInsights,
    UserStories,
    UserRecentlySearchedHashtags,
    BusinessDiscovery,
    Media,
    MediaComments,
    MediaInsights,
    MediaChildren,
    CommentReplies,
    Ids,
    HashtagSearch,
    HashtagRecentMedia,
    HashtagTopMedia,
    Batch,
    OAuth,
    DebugToken,
    Other,
}

impl EndpointKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Me => "me",
            Self::MeAccounts => "me/accounts",
            Self::User => "user",
            Self::UserMedia => "user/media",
            Self::UserInsights => "user/insights",
            Self::UserStories => "user/stories",
            Self::UserRecentlySearchedHashtags => "user/recently_searched_hashtags",
            Self::BusinessDiscovery => "business_discovery",
            Self::Media => "media",
            Self::MediaComments => "media/comments",
            Self::MediaInsights => "media/insights",
            Self::MediaChildren => "media/children",
            Self::CommentReplies => "comment/replies",
            Self::Ids => "ids",
            Self::HashtagSearch => "hashtag_search",
            Self::HashtagRecentMedia => "hashtag/recent_media",
            Self::HashtagTopMedia => "hashtag/top_media",
            Self::Batch => "batch",
            Self::OAuth => "oauth",
            Self::DebugToken => "debug_token",
            Self::Other => "other",
        }
    }

    /// Derive the kind of a request from its path (with or without leading `/` and version segment)
    /// and its query parameters.
    pub fn from_request<'a>(
        is_post: bool,
        path: &str,
        params: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Self {
        let path = path.split(['?', '#']).next().unwrap_or("");
        let mut segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        if segments.first().is_some_and(|s| is_version(s)) {
            segments.remove(0);
        }
        let mut has_ids = false;
        let mut wants_discovery = false;
        for (k, v) in params {
            match k {
                "ids" => has_ids = true,
                "fields" if v.contains("business_discovery") => wants_discovery = true,
                _ => {}
            }
        }
        let is_id = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let is_ig_user = |s: &str| s.starts_with("1784");
        match segments.as_slice() {
            [] if is_post => Self::Batch,
            [] if has_ids => Self::Ids,
            ["me"] => Self::Me,
            ["me", "accounts"] => Self::MeAccounts,
            ["ig_hashtag_search"] => Self::HashtagSearch,
            ["debug_token"] => Self::DebugToken,
            ["oauth", ..] => Self::OAuth,
            [id] if is_id(id) && wants_discovery => Self::BusinessDiscovery,
            [id] if is_id(id) && is_ig_user(id) => Self::User,
            [id] if is_id(id) => Self::Media,
            [id, edge] if is_id(id) => match *edge {
                "media" => Self::UserMedia,
                "stories" => Self::UserStories,
                "recently_searched_hashtags" => Self::UserRecentlySearchedHashtags,
                "recent_media" => Self::HashtagRecentMedia,
                "top_media" => Self::HashtagTopMedia,
                "comments" => Self::MediaComments,
                "replies" => Self::CommentReplies,
                "children" => Self::MediaChildren,
                "insights" if is_ig_user(id) => Self::UserInsights,
                "insights" => Self::MediaInsights,
                _ => Self::Other,
            },
            _ => Self::Other,
        }
    }
}

/// A version path segment: `v<digits>.<digits>` (`v15.0`, `v22.0`).
pub(crate) fn is_version(s: &str) -> bool {
    s.strip_prefix('v')
        .and_then(|rest| rest.split_once('.'))
        .is_some_and(|(a, b)| {
            !a.is_empty()
                && !b.is_empty()
                && a.bytes().all(|c| c.is_ascii_digit())
                && b.bytes().all(|c| c.is_ascii_digit())
        })
}

impl fmt::Display for EndpointKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for EndpointKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::EndpointKind as K;

    fn kind(path: &str, params: &[(&str, &str)]) -> K {
        K::from_request(false, path, params.iter().copied())
    }

    #[test]
    fn kinds_from_paths() {
        assert_eq!(kind("me/accounts", &[]), K::MeAccounts);
        assert_eq!(kind("/v15.0/me/accounts", &[]), K::MeAccounts);
        assert_eq!(
            kind("17841405309211844", &[("fields", "id,username")]),
            K::User
        );
        assert_eq!(
            kind(
                "17841405309211844",
                &[("fields", "business_discovery.username(x){id}")]
            ),
            K::BusinessDiscovery
        );
        assert_eq!(kind("17841405309211844/media", &[]), K::UserMedia);
        assert_eq!(kind("17841405309211844/insights", &[]), K::UserInsights);
        assert_eq!(kind("17841405309211844/stories", &[]), K::UserStories);
        assert_eq!(
            kind("17841405309211844/recently_searched_hashtags", &[]),
            K::UserRecentlySearchedHashtags
        );
        assert_eq!(kind("17895695668004550", &[]), K::Media);
        assert_eq!(kind("17895695668004550/insights", &[]), K::MediaInsights);
        assert_eq!(kind("17895695668004550/comments", &[]), K::MediaComments);
        assert_eq!(kind("17895695668004550/children", &[]), K::MediaChildren);
        assert_eq!(kind("17870913679156914/replies", &[]), K::CommentReplies);
        assert_eq!(
            kind("17843857450040591/recent_media", &[]),
            K::HashtagRecentMedia
        );
        assert_eq!(
            kind("v15.0/17843857450040591/top_media", &[]),
            K::HashtagTopMedia
        );
        assert_eq!(
            kind("ig_hashtag_search", &[("q", "coffee")]),
            K::HashtagSearch
        );
        assert_eq!(kind("", &[("ids", "1,2")]), K::Ids);
        assert_eq!(kind("oauth/access_token", &[]), K::OAuth);
        assert_eq!(kind("debug_token", &[]), K::DebugToken);
        assert_eq!(kind("me", &[]), K::Me);
        assert_eq!(kind("somewhere/else/deep", &[]), K::Other);
        assert_eq!(K::from_request(true, "/v15.0/", []), K::Batch);
    }
}
