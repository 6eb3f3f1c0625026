//! Where a Graph request goes: an [`Endpoint`] is the path igflight asks for, built only from typed
//! ids ([`NodeId`]) and fixed segments, together with its [`EndpointKind`], the name it is counted
//! under in statistics, logs and error messages.
//!
//! The kind is stated by whoever builds the request, never guessed back from the URL: a node read
//! says whether it reads a user ([`Endpoint::user`]), a business discovery ([`Endpoint::business_discovery`])
//! or a media ([`Endpoint::media`]); an edge says its kind through [`Edge::kind`]; the pages that follow
//! a `next` URL are counted under the kind of the request that produced the first page.

use std::fmt;

use serde::Serialize;

use super::id::{Edge, NodeId};

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

/// A request target: the path under `/{version}/` (no leading `/`, no query) and its kind. Built only
/// by the constructors below and [`NodeId::edge`], so a path is always fixed segments and checked ids.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Endpoint {
    kind: EndpointKind,
    path: String,
}

impl Endpoint {
    fn new(kind: EndpointKind, path: impl Into<String>) -> Self {
        Self {
            kind,
            path: path.into(),
        }
    }

    /// `GET /me`: the token's user.
    pub fn me() -> Self {
        Self::new(EndpointKind::Me, "me")
    }

    /// `GET /me/accounts`: the pages the token reaches.
    pub fn me_accounts() -> Self {
        Self::new(EndpointKind::MeAccounts, "me/accounts")
    }

    /// `GET /{ig-user-id}`: an Instagram user's own fields.
    pub fn user(id: &NodeId) -> Self {
        Self::new(EndpointKind::User, id.as_str())
    }

    /// `GET /{ig-user-id}?fields=business_discovery.username(…){…}`: another account's fields or
    /// media, read through the user `id` making the request.
    pub fn business_discovery(id: &NodeId) -> Self {
        Self::new(EndpointKind::BusinessDiscovery, id.as_str())
    }

    /// `GET /{media-id}`: one media.
    pub fn media(id: &NodeId) -> Self {
        Self::new(EndpointKind::Media, id.as_str())
    }

    /// `GET /ig_hashtag_search?user_id=…&q=…`: a hashtag name to its id.
    pub fn hashtag_search() -> Self {
        Self::new(EndpointKind::HashtagSearch, "ig_hashtag_search")
    }

    /// `GET /?ids=a,b,…`: several nodes in one call.
    pub fn ids() -> Self {
        Self::new(EndpointKind::Ids, "")
    }

    /// `POST /` with `batch=[…]`: a batch of requests.
    pub fn batch() -> Self {
        Self::new(EndpointKind::Batch, "")
    }

    /// `GET /debug_token?input_token=…`: what a token is.
    pub fn debug_token() -> Self {
        Self::new(EndpointKind::DebugToken, "debug_token")
    }

    /// `GET /oauth/access_token`: a token exchange (code or long-lived token).
    pub fn oauth_access_token() -> Self {
        Self::new(EndpointKind::OAuth, "oauth/access_token")
    }

    /// `GET /{id}/{edge}`: an edge of a node (see [`NodeId::edge`]).
    pub(super) fn edge(id: &NodeId, edge: Edge) -> Self {
        Self::new(edge.kind(), format!("{id}/{}", edge.as_str()))
    }

    /// The kind counted in statistics and named in logs and errors.
    pub fn kind(&self) -> EndpointKind {
        self.kind
    }

    /// The path under `/{version}/`, e.g. `17841405309211844/media` (empty for [`Self::ids`] and
    /// [`Self::batch`]).
    pub fn path(&self) -> &str {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::EndpointKind as K;
    use super::*;

    fn id(s: &str) -> NodeId {
        NodeId::parse(s).unwrap()
    }

    fn pair(e: &Endpoint) -> (&str, K) {
        (e.path(), e.kind())
    }

    #[test]
    fn endpoints_state_their_path_and_kind() {
        let user = id("17841405309211844");
        let media = id("17895695668004550");
        assert_eq!(pair(&Endpoint::me()), ("me", K::Me));
        assert_eq!(
            pair(&Endpoint::me_accounts()),
            ("me/accounts", K::MeAccounts)
        );
        assert_eq!(pair(&Endpoint::user(&user)), ("17841405309211844", K::User));
        assert_eq!(
            pair(&Endpoint::business_discovery(&user)),
            ("17841405309211844", K::BusinessDiscovery)
        );
        assert_eq!(
            pair(&Endpoint::media(&media)),
            ("17895695668004550", K::Media)
        );
        assert_eq!(
            pair(&Endpoint::hashtag_search()),
            ("ig_hashtag_search", K::HashtagSearch)
        );
        assert_eq!(pair(&Endpoint::ids()), ("", K::Ids));
        assert_eq!(pair(&Endpoint::batch()), ("", K::Batch));
        assert_eq!(
            pair(&Endpoint::debug_token()),
            ("debug_token", K::DebugToken)
        );
        assert_eq!(
            pair(&Endpoint::oauth_access_token()),
            ("oauth/access_token", K::OAuth)
        );
    }

    #[test]
    fn edges_state_their_path_and_kind() {
        let user = id("17841405309211844");
        let media = id("17895695668004550");
        let comment = id("17870913679156914");
        let tag = id("17843857450040591");
        for (e, path, kind, name) in [
            (
                user.edge(Edge::Media),
                "17841405309211844/media",
                K::UserMedia,
                "user/media",
            ),
            (
                user.edge(Edge::Stories),
                "17841405309211844/stories",
                K::UserStories,
                "user/stories",
            ),
            (
                user.edge(Edge::UserInsights),
                "17841405309211844/insights",
                K::UserInsights,
                "user/insights",
            ),
            (
                user.edge(Edge::RecentlySearchedHashtags),
                "17841405309211844/recently_searched_hashtags",
                K::UserRecentlySearchedHashtags,
                "user/recently_searched_hashtags",
            ),
            (
                media.edge(Edge::MediaInsights),
                "17895695668004550/insights",
                K::MediaInsights,
                "media/insights",
            ),
            (
                media.edge(Edge::Comments),
                "17895695668004550/comments",
                K::MediaComments,
                "media/comments",
            ),
            (
                comment.edge(Edge::Replies),
                "17870913679156914/replies",
                K::CommentReplies,
                "comment/replies",
            ),
            (
                tag.edge(Edge::RecentMedia),
                "17843857450040591/recent_media",
                K::HashtagRecentMedia,
                "hashtag/recent_media",
            ),
            (
                tag.edge(Edge::TopMedia),
                "17843857450040591/top_media",
                K::HashtagTopMedia,
                "hashtag/top_media",
            ),
        ] {
            assert_eq!(pair(&e), (path, kind));
            assert_eq!(e.kind().as_str(), name);
        }
    }

    #[test]
    fn kind_names_are_the_statistics_keys() {
        for (k, name) in [
            (K::Me, "me"),
            (K::MeAccounts, "me/accounts"),
            (K::User, "user"),
            (K::BusinessDiscovery, "business_discovery"),
            (K::Media, "media"),
            (K::Ids, "ids"),
            (K::HashtagSearch, "hashtag_search"),
            (K::Batch, "batch"),
            (K::OAuth, "oauth"),
            (K::DebugToken, "debug_token"),
        ] {
            assert_eq!(k.as_str(), name);
            assert_eq!(k.to_string(), name);
            assert_eq!(serde_json::to_value(k).unwrap(), name);
        }
    }
}
