//! Node rendering with field selection and nested expansion (`fields=id,media.limit(5){id,caption}`):
//! the Facebook user, pages, IG users (and business discovery), media, carousel children, comments and
//! hashtags. The fields each node type has are in [`catalog`](super::catalog).

use serde_json::{Map, Value, json};

use super::catalog::{
    ACCOUNTS_DEFAULT_FIELDS, DISCOVERY_MEDIA_REFUSED, HASHTAG_MEDIA_FIELDS, IG_USER_FIELDS,
    MEDIA_FIELDS, PAGE_TASKS,
};
use super::ctx::{Ctx, GResult, PageReq};
use super::data::{Child, Comment, FbUser, IgAccount, Media, MediaType, Page, fmt_ts};
use super::edges::{Links, Pages, filter_time};
use super::error::GraphError;
use super::fields::Field;
use super::insights::InsightsReq;
use super::paging::Style;

/// Where a media is rendered: its owner's view, business discovery, or a hashtag edge (the last two
/// refuse some fields).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum MediaCtx {
    Owned,
    Discovery,
    Hashtag,
}

fn opt<T: serde::Serialize>(v: Option<&T>) -> Value {
    v.map(|x| json!(x)).unwrap_or(Value::Null)
}

/// `v`, or `None` (left out of the answer) when it is null.
fn present(v: Value) -> Option<Value> {
    Some(v).filter(|v| !v.is_null())
}

/// A list edge without data and without `paging` (left out of a node's answer).
fn empty_edge(v: &Value) -> bool {
    v.get("data")
        .and_then(Value::as_array)
        .is_some_and(|d| d.is_empty())
        && v.get("paging").is_none()
}

/// A node's answer: each field of `fields` (the `default` ones when none is asked for) as `value`
/// gives it; `None` leaves the field out.
fn node(
    fields: &[Field],
    default: &[&str],
    mut value: impl FnMut(&Field) -> GResult<Option<Value>>,
) -> GResult<Value> {
    let default: Vec<Field> = default.iter().map(|n| Field::plain(n)).collect();
    let mut o = Map::new();
    for f in if fields.is_empty() {
        &default[..]
    } else {
        fields
    } {
        if let Some(v) = value(f)? {
            o.insert(f.name.clone(), v);
        }
    }
    Ok(Value::Object(o))
}

impl Ctx<'_> {
    pub(super) fn render_fb_user(&self, u: &FbUser, fields: &[Field]) -> GResult<Value> {
        node(fields, &["name", "id"], |f| {
            Ok(Some(match f.name.as_str() {
                "id" => json!(u.id),
                "name" => json!(u.name),
                "accounts" => self.pages_edge(
                    &PageReq::from_field(f),
                    f.sub(),
                    Links::nested(format!("{}/accounts", u.id), f.sub()),
                )?,
                other => return Err(GraphError::nonexisting_field(other, "User")),
            }))
        })
    }

    pub(super) fn render_page(
        &self,
        p: &Page,
        fields: &[Field],
        in_accounts: bool,
    ) -> GResult<Value> {
        let default = if in_accounts {
            ACCOUNTS_DEFAULT_FIELDS
        } else {
            &["name", "id"]
        };
        node(fields, default, |f| {
            Ok(Some(match f.name.as_str() {
                "id" => json!(p.id),
                "name" => json!(p.name),
                "category" => json!(p.category),
                "category_list" => {
                    json!([{"id": format!("{}", 100_000_000_000_000u64 + (p.category.len() as u64) * 7919), "name": p.category}])
                }
                "tasks" => json!(PAGE_TASKS),
                "access_token" => json!(p.access_token),
                "instagram_business_account" | "connected_instagram_account" => {
                    let Some(ig) = &p.ig_account_id else {
                        return Ok(None);
                    };
                    let a = self
                        .data
                        .accounts
                        .iter()
                        .position(|a| &a.id == ig)
                        .ok_or_else(|| GraphError::unsupported_get(ig))?;
                    self.render_user(a, f.sub())?
                }
                other => return Err(GraphError::nonexisting_field(other, "Page")),
            }))
        })
    }

    pub(super) fn render_hashtag(&self, id: &str, name: &str, fields: &[Field]) -> GResult<Value> {
        node(fields, &["id"], |f| match f.name.as_str() {
            "id" => Ok(Some(json!(id))),
            "name" => Ok(Some(json!(name))),
            other => Err(GraphError::nonexisting_field(other, "ShadowIGHashtag")),
        })
    }

    pub(super) fn render_user(&self, ai: usize, fields: &[Field]) -> GResult<Value> {
        let a = &self.data.accounts[ai];
        self.concern(&a.id);
        node(fields, &["id"], |f| {
            if let Some(v) = self.user_scalar(a, &f.name) {
                return Ok(Some(v));
            }
            let sub = f.sub();
            let req = PageReq::from_field(f);
            let v = match f.name.as_str() {
                edge @ ("media" | "stories" | "recently_searched_hashtags") => {
                    let links = Links::nested(format!("{}/{edge}", a.id), sub);
                    self.account_edge(ai, edge, &req, sub, links)?
                }
                "insights" => self.user_insights(a, &InsightsReq::from_field(f), false)?,
                "business_discovery" => self.business_discovery(f)?,
                "tags" | "live_media" => json!({"data": []}),
                other => return Err(GraphError::nonexisting_field(other, "IGUser")),
            };
            Ok(Some(v).filter(|v| !empty_edge(v)))
        })
    }

    pub(super) fn user_scalar(&self, a: &IgAccount, name: &str) -> Option<Value> {
        Some(match name {
            "id" => json!(a.id),
            "ig_id" => json!(a.ig_id),
            "username" => json!(a.username),
            "name" => json!(a.name),
            "biography" => json!(a.biography),
            "website" => json!(a.website),
            "profile_picture_url" => json!(a.profile_picture_url),
            "followers_count" => json!(a.followers_count),
            "follows_count" => json!(a.follows_count),
            "media_count" => json!(a.media_count),
            _ => return None,
        })
    }

    pub(super) fn business_discovery(&self, f: &Field) -> GResult<Value> {
        let username = f.modifier_one("username").ok_or_else(|| {
            GraphError::param("Missing username parameter for business_discovery")
        })?;
        let target = self.data.discover(username).ok_or_else(|| {
            GraphError::new(110, "Invalid user id")
                .subcode(2207013)
                .user(
                    "Cannot find User",
                    &format!("The user with username: {username} cannot be found."),
                )
        })?;
        node(f.sub(), &["id"], |g| {
            if let Some(v) = self.user_scalar(target, &g.name) {
                return Ok(Some(v));
            }
            match g.name.as_str() {
                "media" => {
                    let sub = g.sub();
                    let req = PageReq::from_field(g);
                    let items = filter_time(&target.media, &req)?;
                    let pages = Pages {
                        style: Style::CursorsOnly,
                        ..Pages::plain(25, 50)
                    };
                    let v = self.edge(&items, &req, pages, Links::TopLevel, &|m| {
                        self.render_media(m, sub, MediaCtx::Discovery)
                    })?;
                    Ok(Some(v))
                }
                "stories" | "tags" => Err(GraphError::new(
                    10,
                    "(#10) Application does not have permission for this action",
                )),
                "live_media" => Err(GraphError::new(
                    36104,
                    "(#36104) Cannot access live media from business discovery",
                )),
                other if IG_USER_FIELDS.contains(&other) => Err(GraphError::unsupported_field()),
                other => Err(GraphError::nonexisting_field(other, "IGUser")),
            }
        })
    }

    pub(super) fn render_media(&self, m: &Media, fields: &[Field], mc: MediaCtx) -> GResult<Value> {
        node(fields, &["id"], |f| {
            let name = f.name.as_str();
            if !MEDIA_FIELDS.contains(&name) {
                return Err(GraphError::nonexisting_field(name, "IGMedia"));
            }
            match mc {
                MediaCtx::Discovery if DISCOVERY_MEDIA_REFUSED.contains(&name) => {
                    return Err(GraphError::unsupported_field());
                }
                MediaCtx::Hashtag if !HASHTAG_MEDIA_FIELDS.contains(&name) => {
                    return Err(GraphError::unsupported_field());
                }
                _ => {}
            }
            let sub = f.sub();
            let v = match name {
                "id" => json!(m.id),
                "ig_id" => json!(m.ig_id),
                "caption" => opt(m.caption.as_ref()),
                "comments_count" => opt(m.comments_count.as_ref()),
                "like_count" => opt(m.like_count.as_ref()),
                "is_comment_enabled" => json!(m.is_comment_enabled),
                "is_shared_to_feed" => opt(m.is_shared_to_feed.as_ref()),
                "media_type" => json!(m.media_type.as_str()),
                "media_product_type" => json!(m.media_product_type.as_str()),
                "media_url" => opt(m.media_url.as_ref()),
                "thumbnail_url" => opt(m.thumbnail_url.as_ref()),
                "permalink" => json!(m.permalink),
                "shortcode" => json!(m.shortcode),
                "timestamp" => json!(fmt_ts(m.timestamp)),
                "username" if m.username.is_empty() => Value::Null,
                "username" => json!(m.username),
                "owner" if mc != MediaCtx::Owned => Value::Null,
                "owner" => node(sub, &["id"], |g| match g.name.as_str() {
                    "id" => Ok(Some(json!(m.owner_id))),
                    "username" => Ok(Some(json!(m.username))),
                    other => Err(GraphError::nonexisting_field(other, "IGUser")),
                })?,
                "children" if m.media_type != MediaType::CarouselAlbum => Value::Null,
                "children" => self.children_edge(m, sub)?,
                "comments" => {
                    let links = Links::nested(format!("{}/comments", m.id), sub);
                    let v = self.comments_edge(&m.comments, &PageReq::from_field(f), sub, links)?;
                    if empty_edge(&v) { Value::Null } else { v }
                }
                "insights" => self.media_insights(&m.id, &InsightsReq::from_field(f))?,
                _ => Value::Null,
            };
            Ok(present(v))
        })
    }

    pub(super) fn render_child(
        &self,
        c: &Child,
        parent: &Media,
        fields: &[Field],
    ) -> GResult<Value> {
        node(fields, &["id"], |f| {
            let name = f.name.as_str();
            if !MEDIA_FIELDS.contains(&name) {
                return Err(GraphError::nonexisting_field(name, "IGMedia"));
            }
            let v = match name {
                "id" => json!(c.id),
                "ig_id" => json!(c.ig_id),
                "media_type" => json!(c.media_type.as_str()),
                "media_url" => json!(c.media_url),
                "thumbnail_url" => opt(c.thumbnail_url.as_ref()),
                "permalink" => json!(c.permalink),
                "shortcode" => json!(c.shortcode),
                "timestamp" => json!(fmt_ts(c.timestamp)),
                "username" if !parent.username.is_empty() => json!(parent.username),
                "owner" if !parent.owner_id.is_empty() => json!({"id": parent.owner_id}),
                "insights" => {
                    return Err(GraphError::incompatible_metric(
                        f.modifier_one("metric").unwrap_or(""),
                    ));
                }
                _ => Value::Null, // caption, like_count, comments_count, … are omitted on album children
            };
            Ok(present(v))
        })
    }

    pub(super) fn render_comment(&self, c: &Comment, fields: &[Field]) -> GResult<Value> {
        node(fields, &["timestamp", "text", "id"], |f| {
            let sub = f.sub();
            let v = match f.name.as_str() {
                "id" => json!(c.id),
                "text" => json!(c.text),
                "timestamp" => json!(fmt_ts(c.timestamp)),
                "username" => json!(c.username),
                "like_count" => json!(c.like_count),
                "hidden" => json!(c.hidden),
                "from" => json!({"id": c.from_id, "username": c.username}),
                "media" => {
                    let m = self
                        .data
                        .media(&c.media_id)
                        .ok_or_else(|| GraphError::unsupported_get(&c.media_id))?;
                    self.render_media(m, sub, MediaCtx::Owned)?
                }
                "parent_id" => opt(c.parent_id.as_ref()),
                "user" => Value::Null,
                "replies" if c.replies.is_empty() => Value::Null,
                "replies" => {
                    let links = Links::nested(format!("{}/replies", c.id), sub);
                    self.comments_edge(&c.replies, &PageReq::from_field(f), sub, links)?
                }
                other => return Err(GraphError::nonexisting_field(other, "IGComment")),
            };
            Ok(present(v))
        })
    }
}
