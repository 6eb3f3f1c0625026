//! Graph node ids as a type: the only thing igflight pastes into a request path.
//!
//! Instagram user, media, comment, hashtag and Facebook page ids are numeric strings. Anything that comes
//! from outside (a ticket, a SQL filter, a header, a Graph body) is checked with [`NodeId::parse`] before it
//! can become a path segment, so a value such as `../../x?fields=…` or `me/accounts?x=` never reaches the
//! URL. Names (hashtags, usernames) travel as query values, percent-encoded by the URL builder, never as a
//! path.

use std::fmt;

use super::endpoint::{Endpoint, EndpointKind};

/// Longest id accepted (Graph ids are 15–19 digits today).
pub const MAX_ID_DIGITS: usize = 32;

/// A Graph node id: 1 to [`MAX_ID_DIGITS`] ASCII digits.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(String);

impl NodeId {
    /// The id, when `s` (trimmed) is one.
    pub fn parse(s: &str) -> Option<NodeId> {
        let s = s.trim();
        (!s.is_empty() && s.len() <= MAX_ID_DIGITS && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| NodeId(s.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// An edge of this node: path `{id}/{edge}`, kind [`Edge::kind`].
    pub fn edge(&self, edge: Edge) -> Endpoint {
        Endpoint::edge(self, edge)
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for NodeId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// The edges igflight reads: a closed set, so an edge name is never built from input. Each edge is
/// of one node type and so of one [`EndpointKind`] ([`Edge::kind`]); two edges may share a path
/// segment (`insights`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edge {
    /// `/{ig-user-id}/media`.
    Media,
    /// `/{ig-user-id}/stories`.
    Stories,
    /// `/{ig-user-id}/insights`.
    UserInsights,
    /// `/{media-id}/insights`.
    MediaInsights,
    /// `/{media-id}/comments`.
    Comments,
    /// `/{comment-id}/replies`.
    Replies,
    /// `/{ig-user-id}/recently_searched_hashtags`.
    RecentlySearchedHashtags,
    /// `/{hashtag-id}/recent_media`.
    RecentMedia,
    /// `/{hashtag-id}/top_media`.
    TopMedia,
}

impl Edge {
    /// The path segment.
    pub fn as_str(self) -> &'static str {
        match self {
            Edge::Media => "media",
            Edge::Stories => "stories",
            Edge::UserInsights | Edge::MediaInsights => "insights",
            Edge::Comments => "comments",
            Edge::Replies => "replies",
            Edge::RecentlySearchedHashtags => "recently_searched_hashtags",
            Edge::RecentMedia => "recent_media",
            Edge::TopMedia => "top_media",
        }
    }

    /// The kind of endpoint this edge is.
    pub fn kind(self) -> EndpointKind {
        match self {
            Edge::Media => EndpointKind::UserMedia,
            Edge::Stories => EndpointKind::UserStories,
            Edge::UserInsights => EndpointKind::UserInsights,
            Edge::MediaInsights => EndpointKind::MediaInsights,
            Edge::Comments => EndpointKind::MediaComments,
            Edge::Replies => EndpointKind::CommentReplies,
            Edge::RecentlySearchedHashtags => EndpointKind::UserRecentlySearchedHashtags,
            Edge::RecentMedia => EndpointKind::HashtagRecentMedia,
            Edge::TopMedia => EndpointKind::HashtagTopMedia,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_digits_are_ids() {
        assert_eq!(
            NodeId::parse(" 17841400000000001 ").unwrap().as_str(),
            "17841400000000001"
        );
        for bad in [
            "",
            " ",
            "../../x/y?inj=1&fields=zzz#f",
            "me/accounts?x=",
            "me",
            "1784 1",
            "-1",
            "+1",
            "1e5",
            "１２３", // full-width digits
            &"1".repeat(MAX_ID_DIGITS + 1),
        ] {
            assert!(NodeId::parse(bad).is_none(), "{bad:?}");
        }
        assert!(NodeId::parse(&"9".repeat(MAX_ID_DIGITS)).is_some());
    }

    #[test]
    fn edges_are_paths_under_the_id() {
        let id = NodeId::parse("17841").unwrap();
        assert_eq!(id.edge(Edge::Media).path(), "17841/media");
        assert_eq!(id.edge(Edge::TopMedia).path(), "17841/top_media");
        assert_eq!(id.edge(Edge::UserInsights).path(), "17841/insights");
        assert_eq!(id.edge(Edge::MediaInsights).path(), "17841/insights");
        assert_eq!(
            id.edge(Edge::UserInsights).kind(),
            EndpointKind::UserInsights
        );
        assert_eq!(
            id.edge(Edge::MediaInsights).kind(),
            EndpointKind::MediaInsights
        );
    }
}
