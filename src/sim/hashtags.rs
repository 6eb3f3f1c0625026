//! Hashtags: the search budget (30 unique hashtags per IG user per 7 days), `ig_hashtag_search`, and the
//! `top_media` / `recent_media` edges (whose paging is deliberately odd: see the module docs of `sim`).

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use super::ctx::{Ctx, GResult, PageReq};
use super::data::{Dataset, Hashtag, IgAccount, Media, MediaType, ProductType, hashtag_id_for};
use super::edges::{Links, Pages};
use super::error::GraphError;
use super::fields::Field;
use super::paging::{b64_decode, b64_encode, parse_limit};
use super::render::MediaCtx;

/// Hashtag search state: the 30-unique-per-7-days budget and the tags seen.
#[derive(Debug, Default)]
pub struct HashtagState {
    /// Per IG user: (hashtag id, name, first query time of the current window).
    pub searches: HashMap<String, Vec<(String, String, DateTime<Utc>)>>,
    /// Hashtags searched that are not in the data set (id → name); they have no media.
    pub virtual_tags: HashMap<String, String>,
}

impl HashtagState {
    /// Initial state from the data set's pre-start searches.
    pub fn from_dataset(d: &Dataset) -> Self {
        let mut s = HashtagState::default();
        for a in &d.accounts {
            let v = a
                .recent_searches
                .iter()
                .map(|(id, t)| {
                    let name = d
                        .hashtags
                        .iter()
                        .find(|h| &h.id == id)
                        .map(|h| h.name.clone())
                        .unwrap_or_default();
                    (id.clone(), name, *t)
                })
                .collect();
            s.searches.insert(a.id.clone(), v);
        }
        s
    }
    /// Hashtags searched by `user` in the 7 days before `now`, most recent first.
    pub fn active(&self, user: &str, now: DateTime<Utc>) -> Vec<(String, String, DateTime<Utc>)> {
        let mut v: Vec<_> = self
            .searches
            .get(user)
            .map(|l| {
                l.iter()
                    .filter(|(_, _, t)| *t > now - Duration::days(7) && *t <= now)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        v.sort_by_key(|a| std::cmp::Reverse(a.2));
        v
    }
}

impl Ctx<'_> {
    /// The IG user a hashtag call is made for (`user_id`, required).
    fn hashtag_user(&self) -> GResult<&IgAccount> {
        let user = self
            .param("user_id")
            .ok_or_else(|| GraphError::param("The parameter user_id is required"))?;
        let acc = self
            .data
            .account(user)
            .ok_or_else(|| GraphError::unsupported_get(user))?;
        self.concern(&acc.id);
        Ok(acc)
    }

    /// `/ig_hashtag_search?user_id=…&q=…`: the hashtag id, within the 30-unique-per-7-days budget.
    pub(super) fn hashtag_search(&self) -> GResult<Value> {
        let acc = self.hashtag_user()?;
        let q = self
            .param("q")
            .ok_or_else(|| GraphError::param("The parameter q is required"))?;
        let name = q.trim().trim_start_matches('#').to_lowercase();
        if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
            return Ok(json!({"data": []}));
        }
        let id = self
            .data
            .hashtag_by_name(&name)
            .map(|h| h.id.clone())
            .unwrap_or_else(|| hashtag_id_for(&name));
        let mut st = self.tags.lock();
        let active = st.active(&acc.id, self.now);
        if !active.iter().any(|(i, _, _)| *i == id) {
            let unique: std::collections::HashSet<&String> =
                active.iter().map(|(i, _, _)| i).collect();
            if unique.len() >= 30 {
                return Err(GraphError::new(
                    18,
                    "(#18) Hashtag limit of 30 unique hashtags per week has been reached",
                ));
            }
            st.searches.entry(acc.id.clone()).or_default().push((
                id.clone(),
                name.clone(),
                self.now,
            ));
        }
        if self.data.hashtag_by_name(&name).is_none() {
            st.virtual_tags.insert(id.clone(), name);
        }
        Ok(json!({ "data": [{ "id": id }] }))
    }
    /// `{hashtag}/top_media` and `{hashtag}/recent_media` (`h`: `None` for a hashtag searched but not in
    /// the data set: no media).
    pub(super) fn hashtag_media_edge(
        &self,
        h: Option<&Hashtag>,
        edge: &str,
        req: &PageReq,
        fields: &[Field],
    ) -> GResult<Value> {
        if edge != "recent_media" && edge != "top_media" {
            return Err(GraphError::nonexisting_field(edge, "ShadowIGHashtag"));
        }
        self.hashtag_user()?;
        // validate fields even when there is no data
        let probe = Media::probe();
        self.render_media(&probe, fields, MediaCtx::Hashtag)?;
        let empty = Vec::new();
        let render = |m: &Media| self.render_media(m, fields, MediaCtx::Hashtag);
        if edge == "top_media" {
            let items = h.map(|h| &h.top_media).unwrap_or(&empty);
            return self.edge(items, req, Pages::plain(25, 50), Links::TopLevel, &render);
        }
        // recent_media: only a constant `after` cursor; the real position travels in `__paging_token`.
        let items = h.map(|h| &h.recent_media).unwrap_or(&empty);
        let limit = parse_limit(req.limit.as_deref(), 25, 50);
        let pos = self
            .param("__paging_token")
            .and_then(b64_decode)
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.strip_prefix("pos:").and_then(|p| p.parse::<usize>().ok()))
            .unwrap_or(0);
        let len = items.len();
        let (start, end) = if pos >= len {
            (len.saturating_sub(limit), len)
        } else {
            (pos, (pos + limit).min(len))
        };
        let data = items[start..end]
            .iter()
            .map(render)
            .collect::<GResult<Vec<_>>>()?;
        if data.is_empty() {
            return Ok(json!({"data": []}));
        }
        let after =
            b64_encode(format!("recent:{}", h.map(|h| h.id.as_str()).unwrap_or("")).as_bytes());
        let next_pos = if pos >= len { pos } else { end };
        let token = b64_encode(format!("pos:{next_pos}").as_bytes());
        let next = self.paged_url(limit, &[("after", &after), ("__paging_token", &token)]);
        Ok(json!({"data": data, "paging": {"cursors": {"after": after}, "next": next}}))
    }
}

impl Media {
    /// A field-validation probe (hashtag edges validate `fields` even without data).
    fn probe() -> Media {
        Media {
            id: String::new(),
            ig_id: String::new(),
            caption: None,
            media_type: MediaType::Image,
            media_product_type: ProductType::Feed,
            media_url: None,
            thumbnail_url: None,
            permalink: String::new(),
            shortcode: String::new(),
            timestamp: DateTime::<Utc>::UNIX_EPOCH,
            like_count: None,
            comments_count: None,
            is_comment_enabled: false,
            is_shared_to_feed: None,
            username: String::new(),
            owner_id: String::new(),
            children: Vec::new(),
            comments: Vec::new(),
            low_viewers: false,
        }
    }
}
