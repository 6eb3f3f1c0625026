//! Graph endpoints of the simulator: routing of one authenticated call, node rendering with field
//! selection/expansion, edges with paging, insights, hashtag search and business discovery.

use std::cell::RefCell;
use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use parking_lot::Mutex;
use serde_json::{Map, Value, json};
use url::form_urlencoded;

use super::data::{
    Child, Comment, Dataset, FbUser, Hashtag, IgAccount, InsightError, Media, MediaType, ObjRef,
    Page, USER_METRICS_ALL, USER_PERIODS, fmt_ts, hashtag_id_for, pacific_end_times,
    user_metrics_for_period,
};
use super::error::GraphError;
use super::fields::{Field, FieldList, parse_fields};
use super::paging::{Quirk, Style, Window, paging, parse_limit, window};
use crate::base64::{decode as b64_decode, encode as b64_encode};

type GResult<T> = Result<T, GraphError>;

/// Offset at which `accounts[0]`'s `/media` edge returns a short page (see module docs of `sim`).
pub const SHORT_PAGE_AT: usize = 110;
/// Offset from which `accounts[1]`'s `/media` edge returns one empty page that still has `next`.
pub const EMPTY_PAGE_FROM: usize = 150;

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

/// One call's context.
pub(crate) struct Ctx<'a> {
    pub data: &'a Dataset,
    pub tags: &'a Mutex<HashtagState>,
    /// `http://host:port`.
    pub base: String,
    /// `v15.0` when the request had a version prefix.
    pub version: Option<String>,
    /// Path segments without the version.
    pub segs: Vec<String>,
    pub params: Vec<(String, String)>,
    pub token: String,
    pub proof: Option<String>,
    /// The simulator clock.
    pub now: DateTime<Utc>,
    /// The IG account this call concerns (for the BUC header).
    pub ig_user: RefCell<Option<String>>,
}

/// Where `next`/`previous` links point.
enum Links {
    /// Rebuild the request URL with new paging params.
    TopLevel,
    /// `/{path}?fields=…` for a nested edge.
    Nested { path: String, fields: String },
}

/// Paging parameters, from the query string or from field modifiers.
#[derive(Default)]
struct PageReq {
    limit: Option<String>,
    after: Option<String>,
    before: Option<String>,
    since: Option<String>,
    until: Option<String>,
}

impl PageReq {
    fn from_field(f: &Field) -> Self {
        let g = |k| f.modifier_one(k).map(str::to_string);
        PageReq {
            limit: g("limit"),
            after: g("after"),
            before: g("before"),
            since: g("since"),
            until: g("until"),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum MediaCtx {
    Owned,
    Discovery,
    Hashtag,
}

/// Parse a `since`/`until` value: unix seconds, or a `YYYY-MM-DD` / RFC 3339 date (strtotime-like).
/// Times outside 1970…2100 are refused like unparsable ones, so date arithmetic on them cannot overflow.
pub fn parse_time(v: &str) -> Option<DateTime<Utc>> {
    let v = v.trim();
    let t = if let Ok(n) = v.parse::<i64>() {
        Utc.timestamp_opt(n, 0).single()
    } else if let Ok(d) = NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        Some(d.and_hms_opt(0, 0, 0)?.and_utc())
    } else {
        DateTime::parse_from_rfc3339(v)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }?;
    let latest = Utc.with_ymd_and_hms(2100, 12, 31, 23, 59, 59).single()?;
    (t.timestamp() >= 0 && t <= latest).then_some(t)
}

fn time_param(name: &str, v: Option<&str>) -> GResult<Option<DateTime<Utc>>> {
    match v {
        None => Ok(None),
        Some("") => Ok(None),
        Some(s) => parse_time(s).map(Some).ok_or_else(|| {
            GraphError::param(format!(
                "The parameter {name} must be a valid unix timestamp or date"
            ))
        }),
    }
}

fn user_metric_title(m: &str) -> (&'static str, &'static str) {
    match m {
        "impressions" => (
            "Impressions",
            "Total number of times the Business Account's media objects have been viewed",
        ),
        "reach" => (
            "Reach",
            "Total number of times the Business Account's media objects have been uniquely viewed",
        ),
        "follower_count" => (
            "Follower Count",
            "Total number of unique accounts following this profile",
        ),
        "email_contacts" => (
            "Email Contacts",
            "Total number of taps on the email link in this profile",
        ),
        "phone_call_clicks" => (
            "Phone Call Clicks",
            "Total number of taps on the call link in this profile",
        ),
        "text_message_clicks" => (
            "Text Message Clicks",
            "Total number of taps on the text message link in this profile",
        ),
        "get_directions_clicks" => (
            "Get Directions Clicks",
            "Total number of taps on the directions link in this profile",
        ),
        "website_clicks" => (
            "Website Clicks",
            "Total number of taps on the website link in this profile",
        ),
        "profile_views" => (
            "Profile Views",
            "Total number of users who have viewed the Business Account's profile within the specified period",
        ),
        "online_followers" => (
            "Online Followers",
            "Total number of this profile's followers that were online during the specified period",
        ),
        "audience_city" => ("Audience City", "The cities of this profile's followers"),
        "audience_country" => (
            "Audience Country",
            "The countries of this profile's followers",
        ),
        "audience_gender_age" => (
            "Gender and Age",
            "The gender and age distribution of this profile's followers",
        ),
        "audience_locale" => (
            "Location",
            "The locales by country codes of this profile's followers",
        ),
        _ => ("", ""),
    }
}

fn media_metric_title(m: &str) -> (String, String) {
    let title = m
        .split('_')
        .enumerate()
        .map(|(i, w)| {
            if i == 0 {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                    .unwrap_or_default()
            } else {
                w.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    let desc = match m {
        "reach" | "carousel_album_reach" => {
            "Total number of unique accounts that have seen the media object"
        }
        "impressions" | "carousel_album_impressions" => {
            "Total number of times the media object has been seen"
        }
        "saved" | "carousel_album_saved" => {
            "Total number of unique accounts that have saved the media object"
        }
        "engagement" | "carousel_album_engagement" => {
            "Total number of likes and comments on the media object"
        }
        "video_views" | "carousel_album_video_views" => {
            "Total number of times the video has been seen"
        }
        "exits" => "Number of times someone exited the story",
        "replies" => "Total number of replies to the story",
        "taps_forward" => "Total number of taps to see this story's next photo or video",
        "taps_back" => "Total number of taps to see this story's previous photo or video",
        "plays" => {
            "Total number of times the Reel starts to play after an impression is already counted"
        }
        "shares" => "Total number of shares of the media",
        "likes" => "Total number of likes on the media",
        "comments" => "Total number of comments on the media",
        _ => "Total number of interactions on the media",
    };
    (title, desc.to_string())
}

fn map_insight_err(e: InsightError, media_id: &str, index: usize, metric: &str) -> GraphError {
    match e {
        InsightError::UnknownMedia => GraphError::unsupported_get(media_id),
        InsightError::InvalidMetric => {
            GraphError::invalid_metric(index, super::data::MEDIA_METRICS_ALL)
        }
        InsightError::Incompatible => GraphError::incompatible_metric(metric),
        InsightError::BeforeConversion => GraphError::before_conversion(),
        InsightError::NotEnoughViewers => GraphError::not_enough_viewers(),
    }
}

const IGUSER_FIELDS: &[&str] = &[
    "id",
    "ig_id",
    "username",
    "name",
    "biography",
    "website",
    "profile_picture_url",
    "followers_count",
    "follows_count",
    "media_count",
    "media",
    "stories",
    "insights",
    "business_discovery",
    "recently_searched_hashtags",
    "tags",
    "live_media",
];
const MEDIA_FIELDS: &[&str] = &[
    "id",
    "ig_id",
    "caption",
    "comments_count",
    "like_count",
    "is_comment_enabled",
    "is_shared_to_feed",
    "media_type",
    "media_product_type",
    "media_url",
    "thumbnail_url",
    "permalink",
    "shortcode",
    "timestamp",
    "username",
    "owner",
    "children",
    "comments",
    "insights",
];
const HASHTAG_MEDIA_ALLOWED: &[&str] = &[
    "id",
    "caption",
    "media_type",
    "media_product_type",
    "comments_count",
    "like_count",
    "media_url",
    "permalink",
    "timestamp",
    "children",
];
const DISCOVERY_MEDIA_REFUSED: &[&str] = &[
    "ig_id",
    "is_comment_enabled",
    "shortcode",
    "thumbnail_url",
    "is_shared_to_feed",
];

impl<'a> Ctx<'a> {
    pub fn param(&self, k: &str) -> Option<&str> {
        self.params
            .iter()
            .rev()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    }

    fn concern(&self, ig_user: &str) {
        let mut c = self.ig_user.borrow_mut();
        if c.is_none() {
            *c = Some(ig_user.to_string());
        }
    }

    fn fields_param(&self) -> GResult<Vec<Field>> {
        match self.param("fields") {
            None => Ok(Vec::new()),
            Some(f) => parse_fields(f).map_err(|e| {
                GraphError::new(
                    2500,
                    format!(
                        "Syntax error \"{}\" at character {}: {}",
                        e.message, e.position, f
                    ),
                )
            }),
        }
    }

    fn url(&self, path: &str, params: &[(String, String)]) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in params {
            s.append_pair(k, v);
        }
        match &self.version {
            Some(v) => format!("{}/{v}/{path}?{}", self.base, s.finish()),
            None => format!("{}/{path}?{}", self.base, s.finish()),
        }
    }

    fn link(&self, links: &Links, limit: usize, key: &str, cursor: &str) -> String {
        match links {
            Links::TopLevel => {
                let mut p: Vec<(String, String)> = self
                    .params
                    .iter()
                    .filter(|(k, _)| {
                        !matches!(k.as_str(), "after" | "before" | "limit" | "__paging_token")
                    })
                    .cloned()
                    .collect();
                p.push(("limit".into(), limit.to_string()));
                p.push((key.into(), cursor.into()));
                self.url(&self.segs.join("/"), &p)
            }
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
    #[allow(clippy::too_many_arguments)]
    fn edge<T>(
        &self,
        items: &[T],
        req: &PageReq,
        default: usize,
        max: usize,
        quirk: Quirk,
        style: Style,
        links: Links,
        render: &dyn Fn(&T) -> GResult<Value>,
    ) -> GResult<Value> {
        let limit = parse_limit(req.limit.as_deref(), default, max);
        let w: Window = window(
            items.len(),
            limit,
            req.after.as_deref(),
            req.before.as_deref(),
            quirk,
        )?;
        let data = items[w.start..w.end]
            .iter()
            .map(render)
            .collect::<GResult<Vec<_>>>()?;
        let mut out = Map::new();
        out.insert("data".into(), Value::Array(data));
        if let Some(p) = paging(&w, items.len(), style, &|k, c| {
            self.link(&links, limit, k, c)
        }) {
            out.insert("paging".into(), p);
        }
        Ok(Value::Object(out))
    }

    // ------------------------------------------------------------------ routing

    /// Route an authenticated call. Returns the body; `ig_user` is set as a side effect.
    pub fn route(&self) -> GResult<Value> {
        let segs: Vec<&str> = self.segs.iter().map(String::as_str).collect();
        match segs.as_slice() {
            [] => self.multi_ids(),
            ["ig_hashtag_search"] => self.hashtag_search(),
            ["me"] => self.node("me"),
            ["me", edge] => self.edge_of(&self.data.user.id.clone(), edge),
            [id] => self.node(id),
            [id, edge] => self.edge_of(id, edge),
            _ => Err(GraphError::new(
                2500,
                format!("Unknown path components: /{}", segs[2..].join("/")),
            )),
        }
    }

    fn multi_ids(&self) -> GResult<Value> {
        let ids: Vec<&str> = match self.param("ids") {
            Some(s) => s
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect(),
            None => return Err(GraphError::param("Missing parameter ids or an object path")),
        };
        if ids.len() > 50 {
            return Err(GraphError::param(format!(
                "Too many IDs. Maximum: 50. Provided: {}.",
                ids.len()
            )));
        }
        let fields = self.fields_param()?;
        let missing: Vec<&str> = ids.iter().copied().filter(|id| !self.exists(id)).collect();
        if !missing.is_empty() {
            return Err(GraphError::new(
                803,
                format!(
                    "(#803) Some of the aliases you requested do not exist: {}",
                    missing.join(",")
                ),
            ));
        }
        let mut out = Map::new();
        for id in ids {
            out.insert(id.to_string(), self.render_id(id, &fields)?);
        }
        Ok(Value::Object(out))
    }

    fn exists(&self, id: &str) -> bool {
        id == "me"
            || self.data.lookup(id).is_some()
            || self.tags.lock().virtual_tags.contains_key(id)
    }

    fn node(&self, id: &str) -> GResult<Value> {
        let fields = self.fields_param()?;
        self.render_id(id, &fields)
    }

    fn render_id(&self, id: &str, fields: &[Field]) -> GResult<Value> {
        let d = self.data;
        match if id == "me" {
            Some(ObjRef::FbUser)
        } else {
            d.lookup(id)
        } {
            Some(ObjRef::FbUser) => self.render_fb_user(&d.user, fields),
            Some(ObjRef::Page(i)) => self.render_page(&d.pages[i], fields, false),
            Some(ObjRef::Account(i)) => self.render_user(i, fields),
            Some(ObjRef::Media(a, i)) => {
                self.render_media(&d.accounts[a].media[i], fields, MediaCtx::Owned)
            }
            Some(ObjRef::Story(a, i)) => {
                self.render_media(&d.accounts[a].stories[i], fields, MediaCtx::Owned)
            }
            Some(ObjRef::Child(a, i, c)) => {
                let m = &d.accounts[a].media[i];
                self.render_child(&m.children[c], m, fields)
            }
            Some(ObjRef::Comment(a, _, _, _)) => {
                self.concern(&d.accounts[a].id);
                let c = d
                    .comment(id)
                    .ok_or_else(|| GraphError::unsupported_get(id))?;
                self.render_comment(c, fields)
            }
            Some(ObjRef::Hashtag(i)) => {
                self.render_hashtag(&d.hashtags[i].id, &d.hashtags[i].name, fields)
            }
            None => {
                let name = self.tags.lock().virtual_tags.get(id).cloned();
                match name {
                    Some(n) => self.render_hashtag(id, &n, fields),
                    None => Err(GraphError::unsupported_get(id)),
                }
            }
        }
    }

    fn query_req(&self) -> PageReq {
        let g = |k| self.param(k).map(str::to_string);
        PageReq {
            limit: g("limit"),
            after: g("after"),
            before: g("before"),
            since: g("since"),
            until: g("until"),
        }
    }

    fn edge_of(&self, id: &str, edge: &str) -> GResult<Value> {
        let d = self.data;
        let fields = self.fields_param()?;
        let req = self.query_req();
        let bad_edge = |node: &str| GraphError::nonexisting_field(edge, node);
        match d.lookup(id) {
            Some(ObjRef::FbUser) => match edge {
                "accounts" => self.pages_edge(&req, &fields, Links::TopLevel),
                _ => Err(bad_edge("User")),
            },
            Some(ObjRef::Account(a)) => {
                self.concern(&d.accounts[a].id);
                match edge {
                    "media" => self.media_edge(a, &req, &fields, Links::TopLevel),
                    "stories" => self.stories_edge(a, &req, &fields, Links::TopLevel),
                    "insights" => {
                        let metrics: Vec<String> = self
                            .param("metric")
                            .map(|m| {
                                m.split(',')
                                    .map(|s| s.trim().to_string())
                                    .filter(|s| !s.is_empty())
                                    .collect()
                            })
                            .unwrap_or_default();
                        self.user_insights(
                            &d.accounts[a],
                            &metrics,
                            self.param("period"),
                            &req,
                            true,
                        )
                    }
                    "recently_searched_hashtags" => {
                        self.recent_searches_edge(a, &req, &fields, Links::TopLevel)
                    }
                    "tags" | "live_media" => Ok(json!({"data": []})),
                    _ => Err(bad_edge("IGUser")),
                }
            }
            Some(ObjRef::Media(a, _)) | Some(ObjRef::Story(a, _)) => {
                self.concern(&d.accounts[a].id);
                let m = d.media(id).ok_or_else(|| GraphError::unsupported_get(id))?;
                match edge {
                    "children" => self.children_edge(m, &fields),
                    "comments" => self.comments_edge(m, &req, &fields, Links::TopLevel),
                    "insights" => {
                        let metrics: Vec<String> = self
                            .param("metric")
                            .map(|m| {
                                m.split(',')
                                    .map(|s| s.trim().to_string())
                                    .filter(|s| !s.is_empty())
                                    .collect()
                            })
                            .unwrap_or_default();
                        self.media_insights(&m.id, &metrics)
                    }
                    _ => Err(bad_edge("IGMedia")),
                }
            }
            Some(ObjRef::Child(a, _, _)) => {
                self.concern(&d.accounts[a].id);
                match edge {
                    "insights" => {
                        let metric = self
                            .param("metric")
                            .unwrap_or("")
                            .split(',')
                            .next()
                            .unwrap_or("")
                            .to_string();
                        Err(GraphError::incompatible_metric(&metric))
                    }
                    "children" | "comments" => Ok(json!({"data": []})),
                    _ => Err(bad_edge("IGMedia")),
                }
            }
            Some(ObjRef::Comment(a, _, _, r)) => {
                self.concern(&d.accounts[a].id);
                let c = d
                    .comment(id)
                    .ok_or_else(|| GraphError::unsupported_get(id))?;
                match edge {
                    "replies" if r.is_none() => {
                        self.replies_edge(c, &req, &fields, Links::TopLevel)
                    }
                    "replies" => Ok(json!({"data": []})),
                    _ => Err(bad_edge("IGComment")),
                }
            }
            Some(ObjRef::Hashtag(i)) => {
                self.hashtag_media_edge(Some(&d.hashtags[i]), edge, &req, &fields)
            }
            Some(ObjRef::Page(_)) => Err(bad_edge("Page")),
            None => {
                if self.tags.lock().virtual_tags.contains_key(id) {
                    self.hashtag_media_edge(None, edge, &req, &fields)
                } else {
                    Err(GraphError::unsupported_get(id))
                }
            }
        }
    }

    // ------------------------------------------------------------------ nodes

    fn render_fb_user(&self, u: &FbUser, fields: &[Field]) -> GResult<Value> {
        let mut o = Map::new();
        let default = [Field::plain("name"), Field::plain("id")];
        for f in if fields.is_empty() {
            &default[..]
        } else {
            fields
        } {
            match f.name.as_str() {
                "id" => o.insert("id".into(), json!(u.id)),
                "name" => o.insert("name".into(), json!(u.name)),
                "accounts" => o.insert(
                    "accounts".into(),
                    self.pages_edge(
                        &PageReq::from_field(f),
                        f.children.as_deref().unwrap_or(&[]),
                        Links::Nested {
                            path: format!("{}/accounts", u.id),
                            fields: FieldList(f.children.as_deref().unwrap_or(&[])).to_string(),
                        },
                    )?,
                ),
                other => return Err(GraphError::nonexisting_field(other, "User")),
            };
        }
        Ok(Value::Object(o))
    }

    fn pages_edge(&self, req: &PageReq, fields: &[Field], links: Links) -> GResult<Value> {
        self.edge(
            &self.data.pages,
            req,
            25,
            100,
            Quirk::None,
            Style::AccountsLast,
            links,
            &|p| self.render_page(p, fields, true),
        )
    }

    fn render_page(&self, p: &Page, fields: &[Field], in_accounts: bool) -> GResult<Value> {
        let mut o = Map::new();
        let default: Vec<Field> = if in_accounts {
            [
                "access_token",
                "category",
                "category_list",
                "name",
                "id",
                "tasks",
            ]
            .iter()
            .map(|n| Field::plain(n))
            .collect()
        } else {
            vec![Field::plain("name"), Field::plain("id")]
        };
        for f in if fields.is_empty() {
            &default[..]
        } else {
            fields
        } {
            let v = match f.name.as_str() {
                "id" => json!(p.id),
                "name" => json!(p.name),
                "category" => json!(p.category),
                "category_list" => {
                    json!([{"id": format!("{}", 100_000_000_000_000u64 + (p.category.len() as u64) * 7919), "name": p.category}])
                }
                "tasks" => json!([
                    "ANALYZE",
                    "ADVERTISE",
                    "MESSAGING",
                    "MODERATE",
                    "CREATE_CONTENT",
                    "MANAGE"
                ]),
                "access_token" => json!(p.access_token),
                "instagram_business_account" | "connected_instagram_account" => {
                    match &p.ig_account_id {
                        None => continue,
                        Some(ig) => {
                            let a = self
                                .data
                                .accounts
                                .iter()
                                .position(|a| &a.id == ig)
                                .ok_or_else(|| GraphError::unsupported_get(ig))?;
                            self.render_user(a, f.children.as_deref().unwrap_or(&[]))?
                        }
                    }
                }
                other => return Err(GraphError::nonexisting_field(other, "Page")),
            };
            o.insert(f.name.clone(), v);
        }
        Ok(Value::Object(o))
    }

    fn render_hashtag(&self, id: &str, name: &str, fields: &[Field]) -> GResult<Value> {
        let mut o = Map::new();
        let default = [Field::plain("id")];
        for f in if fields.is_empty() {
            &default[..]
        } else {
            fields
        } {
            match f.name.as_str() {
                "id" => o.insert("id".into(), json!(id)),
                "name" => o.insert("name".into(), json!(name)),
                other => return Err(GraphError::nonexisting_field(other, "ShadowIGHashtag")),
            };
        }
        Ok(Value::Object(o))
    }

    fn render_user(&self, ai: usize, fields: &[Field]) -> GResult<Value> {
        let a = &self.data.accounts[ai];
        self.concern(&a.id);
        let mut o = Map::new();
        let default = [Field::plain("id")];
        for f in if fields.is_empty() {
            &default[..]
        } else {
            fields
        } {
            if let Some(v) = self.user_scalar(a, &f.name) {
                o.insert(f.name.clone(), v);
                continue;
            }
            let sub = f.children.as_deref().unwrap_or(&[]);
            let nested = |edge: &str| Links::Nested {
                path: format!("{}/{edge}", a.id),
                fields: FieldList(sub).to_string(),
            };
            let v = match f.name.as_str() {
                "media" => self.media_edge(ai, &PageReq::from_field(f), sub, nested("media"))?,
                "stories" => {
                    self.stories_edge(ai, &PageReq::from_field(f), sub, nested("stories"))?
                }
                "recently_searched_hashtags" => self.recent_searches_edge(
                    ai,
                    &PageReq::from_field(f),
                    sub,
                    nested("recently_searched_hashtags"),
                )?,
                "insights" => {
                    let metrics: Vec<String> =
                        f.modifier("metric").map(|m| m.to_vec()).unwrap_or_default();
                    self.user_insights(
                        a,
                        &metrics,
                        f.modifier_one("period"),
                        &PageReq::from_field(f),
                        false,
                    )?
                }
                "business_discovery" => self.business_discovery(f)?,
                "tags" | "live_media" => json!({"data": []}),
                other => return Err(GraphError::nonexisting_field(other, "IGUser")),
            };
            if v.get("data")
                .and_then(Value::as_array)
                .is_some_and(|d| d.is_empty())
                && v.get("paging").is_none()
            {
                continue;
            }
            o.insert(f.name.clone(), v);
        }
        Ok(Value::Object(o))
    }

    fn user_scalar(&self, a: &IgAccount, name: &str) -> Option<Value> {
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

    fn business_discovery(&self, f: &Field) -> GResult<Value> {
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
        let fields = f.children.as_deref().unwrap_or(&[]);
        let mut o = Map::new();
        let default = [Field::plain("id")];
        for g in if fields.is_empty() {
            &default[..]
        } else {
            fields
        } {
            if let Some(v) = self.user_scalar(target, &g.name) {
                o.insert(g.name.clone(), v);
                continue;
            }
            match g.name.as_str() {
                "media" => {
                    let sub = g.children.as_deref().unwrap_or(&[]);
                    let req = PageReq::from_field(g);
                    let items = filter_time(&target.media, &req)?;
                    let v = self.edge(
                        &items,
                        &req,
                        25,
                        50,
                        Quirk::None,
                        Style::CursorsOnly,
                        Links::TopLevel,
                        &|m| self.render_media(m, sub, MediaCtx::Discovery),
                    )?;
                    o.insert("media".into(), v);
                }
                "stories" | "tags" => {
                    return Err(GraphError::new(
                        10,
                        "(#10) Application does not have permission for this action",
                    ));
                }
                "live_media" => {
                    return Err(GraphError::new(
                        36104,
                        "(#36104) Cannot access live media from business discovery",
                    ));
                }
                other if IGUSER_FIELDS.contains(&other) => {
                    return Err(GraphError::unsupported_field());
                }
                other => return Err(GraphError::nonexisting_field(other, "IGUser")),
            }
        }
        Ok(Value::Object(o))
    }

    fn render_media(&self, m: &Media, fields: &[Field], mc: MediaCtx) -> GResult<Value> {
        let mut o = Map::new();
        let default = [Field::plain("id")];
        for f in if fields.is_empty() {
            &default[..]
        } else {
            fields
        } {
            let name = f.name.as_str();
            if !MEDIA_FIELDS.contains(&name) {
                return Err(GraphError::nonexisting_field(name, "IGMedia"));
            }
            match mc {
                MediaCtx::Discovery
                    if DISCOVERY_MEDIA_REFUSED.contains(&name)
                        || name == "comments"
                        || name == "insights" =>
                {
                    return Err(GraphError::unsupported_field());
                }
                MediaCtx::Hashtag if !HASHTAG_MEDIA_ALLOWED.contains(&name) => {
                    return Err(GraphError::unsupported_field());
                }
                _ => {}
            }
            let sub = f.children.as_deref().unwrap_or(&[]);
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
                "username" => {
                    if m.username.is_empty() {
                        Value::Null
                    } else {
                        json!(m.username)
                    }
                }
                "owner" => {
                    if mc != MediaCtx::Owned {
                        Value::Null
                    } else {
                        let mut ow = Map::new();
                        let d = [Field::plain("id")];
                        for g in if sub.is_empty() { &d[..] } else { sub } {
                            match g.name.as_str() {
                                "id" => ow.insert("id".into(), json!(m.owner_id)),
                                "username" => ow.insert("username".into(), json!(m.username)),
                                other => {
                                    return Err(GraphError::nonexisting_field(other, "IGUser"));
                                }
                            };
                        }
                        Value::Object(ow)
                    }
                }
                "children" => {
                    if m.media_type != MediaType::CarouselAlbum {
                        Value::Null
                    } else {
                        self.children_edge(m, sub)?
                    }
                }
                "comments" => {
                    let links = Links::Nested {
                        path: format!("{}/comments", m.id),
                        fields: FieldList(sub).to_string(),
                    };
                    let v = self.comments_edge(m, &PageReq::from_field(f), sub, links)?;
                    if v["data"].as_array().is_some_and(|d| d.is_empty())
                        && v.get("paging").is_none()
                    {
                        Value::Null
                    } else {
                        v
                    }
                }
                "insights" => {
                    let metrics: Vec<String> =
                        f.modifier("metric").map(|m| m.to_vec()).unwrap_or_default();
                    self.media_insights(&m.id, &metrics)?
                }
                _ => Value::Null,
            };
            if !v.is_null() {
                o.insert(name.to_string(), v);
            }
        }
        Ok(Value::Object(o))
    }

    fn render_child(&self, c: &Child, parent: &Media, fields: &[Field]) -> GResult<Value> {
        let mut o = Map::new();
        let default = [Field::plain("id")];
        for f in if fields.is_empty() {
            &default[..]
        } else {
            fields
        } {
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
            if !v.is_null() {
                o.insert(name.to_string(), v);
            }
        }
        Ok(Value::Object(o))
    }

    fn render_comment(&self, c: &Comment, fields: &[Field]) -> GResult<Value> {
        let mut o = Map::new();
        let default = [
            Field::plain("timestamp"),
            Field::plain("text"),
            Field::plain("id"),
        ];
        for f in if fields.is_empty() {
            &default[..]
        } else {
            fields
        } {
            let sub = f.children.as_deref().unwrap_or(&[]);
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
                    let d = [Field::plain("id")];
                    self.render_media(
                        m,
                        if sub.is_empty() { &d[..] } else { sub },
                        MediaCtx::Owned,
                    )?
                }
                "parent_id" => opt(c.parent_id.as_ref()),
                "user" => Value::Null,
                "replies" => {
                    if c.replies.is_empty() {
                        Value::Null
                    } else {
                        let links = Links::Nested {
                            path: format!("{}/replies", c.id),
                            fields: FieldList(sub).to_string(),
                        };
                        self.replies_edge(c, &PageReq::from_field(f), sub, links)?
                    }
                }
                other => return Err(GraphError::nonexisting_field(other, "IGComment")),
            };
            if !v.is_null() {
                o.insert(f.name.clone(), v);
            }
        }
        Ok(Value::Object(o))
    }

    // ------------------------------------------------------------------ edges

    fn media_edge(
        &self,
        ai: usize,
        req: &PageReq,
        fields: &[Field],
        links: Links,
    ) -> GResult<Value> {
        let a = &self.data.accounts[ai];
        let items = filter_time(&a.media, req)?;
        let quirk = match ai {
            0 => Quirk::ShortAt(SHORT_PAGE_AT),
            1 => Quirk::EmptyFrom(EMPTY_PAGE_FROM),
            _ => Quirk::None,
        };
        self.edge(&items, req, 25, 100, quirk, Style::Full, links, &|m| {
            self.render_media(m, fields, MediaCtx::Owned)
        })
    }

    fn stories_edge(
        &self,
        ai: usize,
        req: &PageReq,
        fields: &[Field],
        links: Links,
    ) -> GResult<Value> {
        let a = &self.data.accounts[ai];
        let live: Vec<&Media> = a
            .stories
            .iter()
            .filter(|s| s.timestamp > self.now - Duration::hours(24))
            .collect();
        self.edge(&live, req, 25, 100, Quirk::None, Style::Full, links, &|m| {
            self.render_media(m, fields, MediaCtx::Owned)
        })
    }

    fn children_edge(&self, m: &Media, fields: &[Field]) -> GResult<Value> {
        let data = m
            .children
            .iter()
            .map(|c| self.render_child(c, m, fields))
            .collect::<GResult<Vec<_>>>()?;
        Ok(json!({ "data": data }))
    }

    fn comments_edge(
        &self,
        m: &Media,
        req: &PageReq,
        fields: &[Field],
        links: Links,
    ) -> GResult<Value> {
        self.edge(
            &m.comments,
            req,
            25,
            50,
            Quirk::None,
            Style::Full,
            links,
            &|c| self.render_comment(c, fields),
        )
    }

    fn replies_edge(
        &self,
        c: &Comment,
        req: &PageReq,
        fields: &[Field],
        links: Links,
    ) -> GResult<Value> {
        self.edge(
            &c.replies,
            req,
            25,
            50,
            Quirk::None,
            Style::Full,
            links,
            &|r| self.render_comment(r, fields),
        )
    }

    fn recent_searches_edge(
        &self,
        ai: usize,
        req: &PageReq,
        fields: &[Field],
        links: Links,
    ) -> GResult<Value> {
        let a = &self.data.accounts[ai];
        let active = self.tags.lock().active(&a.id, self.now);
        self.edge(
            &active,
            req,
            25,
            30,
            Quirk::None,
            Style::Full,
            links,
            &|(id, name, _)| self.render_hashtag(id, name, fields),
        )
    }

    fn hashtag_media_edge(
        &self,
        h: Option<&Hashtag>,
        edge: &str,
        req: &PageReq,
        fields: &[Field],
    ) -> GResult<Value> {
        if edge != "recent_media" && edge != "top_media" {
            return Err(GraphError::nonexisting_field(edge, "ShadowIGHashtag"));
        }
        let user = self
            .param("user_id")
            .ok_or_else(|| GraphError::param("The parameter user_id is required"))?;
        let acc = self
            .data
            .account(user)
            .ok_or_else(|| GraphError::unsupported_get(user))?;
        self.concern(&acc.id);
        // validate fields even when there is no data
        let probe = Media::probe();
        self.render_media(&probe, fields, MediaCtx::Hashtag)?;
        let empty = Vec::new();
        let render = |m: &Media| self.render_media(m, fields, MediaCtx::Hashtag);
        if edge == "top_media" {
            let items = h.map(|h| &h.top_media).unwrap_or(&empty);
            return self.edge(
                items,
                req,
                25,
                50,
                Quirk::None,
                Style::Full,
                Links::TopLevel,
                &render,
            );
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
        let mut p: Vec<(String, String)> = self
            .params
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "after" | "before" | "limit" | "__paging_token"))
            .cloned()
            .collect();
        p.push(("limit".into(), limit.to_string()));
        p.push(("after".into(), after.clone()));
        p.push((
            "__paging_token".into(),
            b64_encode(format!("pos:{next_pos}").as_bytes()),
        ));
        let next = self.url(&self.segs.join("/"), &p);
        Ok(json!({"data": data, "paging": {"cursors": {"after": after}, "next": next}}))
    }

    // ------------------------------------------------------------------ insights

    fn media_insights(&self, media_id: &str, metrics: &[String]) -> GResult<Value> {
        if metrics.is_empty() {
            return Err(GraphError::param("The parameter metric is required"));
        }
        let mut data = Vec::new();
        for (i, metric) in metrics.iter().enumerate() {
            let v = self
                .data
                .media_insight(media_id, metric)
                .map_err(|e| map_insight_err(e, media_id, i, metric))?;
            let (title, desc) = media_metric_title(metric);
            data.push(json!({
                "name": metric, "period": "lifetime", "values": [{"value": v}],
                "title": title, "description": desc,
                "id": format!("{media_id}/insights/{metric}/lifetime"),
            }));
        }
        Ok(json!({ "data": data }))
    }

    fn user_insights(
        &self,
        a: &IgAccount,
        metrics: &[String],
        period: Option<&str>,
        req: &PageReq,
        top_level: bool,
    ) -> GResult<Value> {
        if metrics.is_empty() {
            return Err(GraphError::param("The parameter metric is required"));
        }
        for (i, m) in metrics.iter().enumerate() {
            if !USER_METRICS_ALL.contains(&m.as_str()) {
                return Err(GraphError::invalid_metric(i, USER_METRICS_ALL));
            }
        }
        let period = period.ok_or_else(|| GraphError::param("The parameter period is required"))?;
        if !USER_PERIODS.contains(&period) {
            return Err(GraphError::param(format!(
                "period must be one of the following values: {}",
                USER_PERIODS.join(", ")
            )));
        }
        let bad: Vec<&str> = metrics
            .iter()
            .map(String::as_str)
            .filter(|m| !user_metrics_for_period(period).contains(m))
            .collect();
        if !bad.is_empty() {
            return Err(GraphError::param(format!(
                "The following metrics do not support the period {period}: {}. All metrics of one request must share a compatible period",
                bad.join(", ")
            )));
        }
        let since = time_param("since", req.since.as_deref())?;
        let until = time_param("until", req.until.as_deref())?;
        let windowed = period != "lifetime" || metrics.iter().any(|m| m == "online_followers");
        let (since, until) = match (since, until) {
            (Some(s), Some(u)) => (s, u),
            (Some(s), None) => (s, s + Duration::days(2)),
            (None, Some(u)) => (u - Duration::days(2), u),
            (None, None) => (self.now - Duration::days(2), self.now),
        };
        if windowed {
            if since > until {
                return Err(GraphError::param(
                    "The since parameter must be earlier than the until parameter",
                ));
            }
            if (until - since).num_seconds() > 2_592_000 {
                return Err(GraphError::param(
                    "There cannot be more than 30 days (2592000 s) between since and until",
                ));
            }
            let today = self
                .now
                .date_naive()
                .and_hms_opt(0, 0, 0)
                .expect("midnight")
                .and_utc();
            if metrics.iter().any(|m| m == "follower_count") && since < today - Duration::days(30) {
                return Err(GraphError::param(
                    "(follower_count) metric only supports querying data for the last 30 days excluding the current day",
                ));
            }
        }
        let ends = pacific_end_times(since, until);
        let mut data = Vec::new();
        for m in metrics {
            let values: Vec<Value> = if m.starts_with("audience_") {
                self.data
                    .user_insight(&a.id, m, period, None)
                    .map(|v| vec![json!({ "value": v })])
                    .unwrap_or_default()
            } else {
                ends.iter()
                    .filter_map(|e| {
                        self.data
                            .user_insight(&a.id, m, period, Some(*e))
                            .map(|v| json!({"value": v, "end_time": fmt_ts(*e)}))
                    })
                    .collect()
            };
            let (title, desc) = user_metric_title(m);
            data.push(json!({
                "name": m, "period": period, "values": values, "title": title, "description": desc,
                "id": format!("{}/insights/{m}/{period}", a.id),
            }));
        }
        let mut out = Map::new();
        out.insert("data".into(), Value::Array(data));
        if windowed && top_level {
            let w = until - since;
            let mk = |s: DateTime<Utc>, u: DateTime<Utc>| {
                let mut p: Vec<(String, String)> = self
                    .params
                    .iter()
                    .filter(|(k, _)| k != "since" && k != "until")
                    .cloned()
                    .collect();
                p.push(("since".into(), s.timestamp().to_string()));
                p.push(("until".into(), u.timestamp().to_string()));
                self.url(&self.segs.join("/"), &p)
            };
            out.insert(
                "paging".into(),
                json!({"previous": mk(since - w, until - w), "next": mk(since + w, until + w)}),
            );
        }
        Ok(Value::Object(out))
    }

    // ------------------------------------------------------------------ hashtag search

    fn hashtag_search(&self) -> GResult<Value> {
        let user = self
            .param("user_id")
            .ok_or_else(|| GraphError::param("The parameter user_id is required"))?;
        let acc = self
            .data
            .account(user)
            .ok_or_else(|| GraphError::unsupported_get(user))?;
        self.concern(&acc.id);
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
}

fn opt<T: serde::Serialize>(v: Option<&T>) -> Value {
    v.map(|x| json!(x)).unwrap_or(Value::Null)
}

/// Media filtered by `since`/`until` (inclusive, on `timestamp`).
fn filter_time<'m>(media: &'m [Media], req: &PageReq) -> GResult<Vec<&'m Media>> {
    let since = time_param("since", req.since.as_deref())?;
    let until = time_param("until", req.until.as_deref())?;
    Ok(media
        .iter()
        .filter(|m| {
            since.is_none_or(|s| m.timestamp >= s) && until.is_none_or(|u| m.timestamp <= u)
        })
        .collect())
}

impl Media {
    /// A field-validation probe (hashtag edges validate `fields` even without data).
    fn probe() -> Media {
        Media {
            id: String::new(),
            ig_id: String::new(),
            caption: None,
            media_type: MediaType::Image,
            media_product_type: super::data::ProductType::Feed,
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
