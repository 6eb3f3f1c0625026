//! List edges with cursor paging (`/media`, `/stories`, `/comments`, `/replies`, `/children`,
//! `/recently_searched_hashtags`, `/me/accounts`), top level or expanded inside `fields`, and the
//! `next`/`previous` links they carry.

use chrono::Duration;
use serde_json::{Map, Value, json};

use super::ctx::{Ctx, GResult, PageReq, time_param};
use super::data::{Comment, Media};
use super::error::GraphError;
use super::fields::{Field, FieldList};
use super::paging::{EMPTY_PAGE_FROM, Quirk, SHORT_PAGE_AT, Style, paging, parse_limit, window};
use super::render::MediaCtx;

/// Where `next`/`previous` links point.
pub(super) enum Links {
    /// Rebuild the request URL with new paging params.
    TopLevel,
    /// `/{path}?fields=…` for a nested edge.
    Nested { path: String, fields: String },
}

impl Links {
    /// The links of an edge expanded inside `fields`: `/{path}?fields=…` with the edge's selection.
    pub fn nested(path: String, fields: &[Field]) -> Links {
        Links::Nested {
            path,
            fields: FieldList(fields).to_string(),
        }
    }
}

/// How one list edge pages.
#[derive(Clone, Copy)]
pub(super) struct Pages {
    /// `limit` when absent.
    pub default: usize,
    /// The largest `limit` honoured (larger ones are capped silently).
    pub max: usize,
    pub quirk: Quirk,
    pub style: Style,
}

impl Pages {
    /// Plain paging with the full `paging` object.
    pub const fn plain(default: usize, max: usize) -> Self {
        Pages {
            default,
            max,
            quirk: Quirk::None,
            style: Style::Full,
        }
    }
}

/// Media filtered by `since`/`until` (inclusive, on `timestamp`).
pub(super) fn filter_time<'m>(media: &'m [Media], req: &PageReq) -> GResult<Vec<&'m Media>> {
    let since = time_param("since", req.since.as_deref())?;
    let until = time_param("until", req.until.as_deref())?;
    Ok(media
        .iter()
        .filter(|m| {
            since.is_none_or(|s| m.timestamp >= s) && until.is_none_or(|u| m.timestamp <= u)
        })
        .collect())
}

impl Ctx<'_> {
    /// This call's URL with other paging parameters: `limit` and `cursors` instead of its own.
    pub(super) fn paged_url(&self, limit: usize, cursors: &[(&str, &str)]) -> String {
        let mut p: Vec<(String, String)> = self
            .params
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "after" | "before" | "limit" | "__paging_token"))
            .cloned()
            .collect();
        p.push(("limit".into(), limit.to_string()));
        p.extend(cursors.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        self.url(&self.target.path(), &p)
    }

    /// The `next`/`previous` URL of a list edge.
    fn link(&self, links: &Links, limit: usize, key: &str, cursor: &str) -> String {
        match links {
            Links::TopLevel => self.paged_url(limit, &[(key, cursor)]),
            Links::Nested { path, fields } => {
                let mut p = vec![("access_token".to_string(), self.token.clone())];
                if let Some(pr) = &self.proof {
                    p.push(("appsecret_proof".into(), pr.clone()));
                }
                p.push(("fields".into(), fields.clone()));
                p.push(("limit".into(), limit.to_string()));
                p.push((key.into(), cursor.into()));
                self.url(path, &p)
            }
        }
    }

    /// Render a list edge `{data, paging}`.
    pub(super) fn edge<T>(
        &self,
        items: &[T],
        req: &PageReq,
        pages: Pages,
        links: Links,
        render: &dyn Fn(&T) -> GResult<Value>,
    ) -> GResult<Value> {
        let limit = parse_limit(req.limit.as_deref(), pages.default, pages.max);
        let w = window(
            items.len(),
            limit,
            req.after.as_deref(),
            req.before.as_deref(),
            pages.quirk,
        )?;
        let data = items[w.start..w.end]
            .iter()
            .map(render)
            .collect::<GResult<Vec<_>>>()?;
        let mut out = Map::new();
        out.insert("data".into(), Value::Array(data));
        if let Some(p) = paging(&w, items.len(), pages.style, &|k, c| {
            self.link(&links, limit, k, c)
        }) {
            out.insert("paging".into(), p);
        }
        Ok(Value::Object(out))
    }

    /// A list edge of `accounts[ai]`: `media` (with the deliberate quirks of accounts 0 and 1),
    /// `stories` (those of the last 24 h) or `recently_searched_hashtags` (the searches of the last
    /// 7 days).
    pub(super) fn account_edge(
        &self,
        ai: usize,
        edge: &str,
        req: &PageReq,
        fields: &[Field],
        links: Links,
    ) -> GResult<Value> {
        let a = &self.data.accounts[ai];
        let media = |m: &&Media| self.render_media(m, fields, MediaCtx::Owned);
        match edge {
            "media" => {
                let items = filter_time(&a.media, req)?;
                let quirk = match ai {
                    0 => Quirk::ShortAt(SHORT_PAGE_AT),
                    1 => Quirk::EmptyFrom(EMPTY_PAGE_FROM),
                    _ => Quirk::None,
                };
                let pages = Pages {
                    quirk,
                    ..Pages::plain(25, 100)
                };
                self.edge(&items, req, pages, links, &media)
            }
            "stories" => {
                let live: Vec<&Media> = a
                    .stories
                    .iter()
                    .filter(|s| s.timestamp > self.now - Duration::hours(24))
                    .collect();
                self.edge(&live, req, Pages::plain(25, 100), links, &media)
            }
            "recently_searched_hashtags" => {
                let active = self.tags.lock().active(&a.id, self.now);
                self.edge(
                    &active,
                    req,
                    Pages::plain(25, 30),
                    links,
                    &|(id, name, _)| self.render_hashtag(id, name, fields),
                )
            }
            other => Err(GraphError::nonexisting_field(other, "IGUser")),
        }
    }

    /// A carousel's `children` (never paged).
    pub(super) fn children_edge(&self, m: &Media, fields: &[Field]) -> GResult<Value> {
        let data = m
            .children
            .iter()
            .map(|c| self.render_child(c, m, fields))
            .collect::<GResult<Vec<_>>>()?;
        Ok(json!({ "data": data }))
    }

    /// A media's top-level comments, or a comment's replies.
    pub(super) fn comments_edge(
        &self,
        comments: &[Comment],
        req: &PageReq,
        fields: &[Field],
        links: Links,
    ) -> GResult<Value> {
        self.edge(comments, req, Pages::plain(25, 50), links, &|c| {
            self.render_comment(c, fields)
        })
    }

    /// `/me/accounts`: the pages (the last page has only `cursors.before`).
    pub(super) fn pages_edge(
        &self,
        req: &PageReq,
        fields: &[Field],
        links: Links,
    ) -> GResult<Value> {
        let pages = Pages {
            style: Style::AccountsLast,
            ..Pages::plain(25, 100)
        };
        self.edge(&self.data.pages, req, pages, links, &|p| {
            self.render_page(p, fields, true)
        })
    }
}
