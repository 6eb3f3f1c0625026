//! One authenticated Graph call: its context ([`Ctx`]), and how its target (what the route named) is
//! answered: nodes by id, `ids=`, and the edges of each node type. Rendering is in [`render`](super::render),
//! list edges in [`edges`](super::edges), insights in [`insights`](super::insights), hashtags in
//! [`hashtags`](super::hashtags).

use std::cell::RefCell;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use parking_lot::Mutex;
use serde_json::{Map, Value, json};
use url::form_urlencoded;

use super::call::Target;
use super::data::{Dataset, ObjRef};
use super::edges::Links;
use super::error::GraphError;
use super::fields::{Field, parse_fields};
use super::hashtags::HashtagState;
use super::insights::InsightsReq;
use super::render::MediaCtx;
use super::versions::Api;

pub(super) type GResult<T> = Result<T, GraphError>;

/// One call's context.
pub(super) struct Ctx<'a> {
    pub data: &'a Dataset,
    pub tags: &'a Mutex<HashtagState>,
    /// `http://host:port`.
    pub base: String,
    /// The API date and the answering version (links carry it).
    pub api: Api,
    /// What the path names.
    pub target: Target,
    pub params: Vec<(String, String)>,
    pub token: String,
    pub proof: Option<String>,
    /// The simulator clock.
    pub now: DateTime<Utc>,
    /// The IG account this call concerns (for the BUC header).
    pub ig_user: RefCell<Option<String>>,
}

/// Paging parameters, from the query string or from field modifiers.
#[derive(Default)]
pub(super) struct PageReq {
    pub limit: Option<String>,
    pub after: Option<String>,
    pub before: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
}

impl PageReq {
    /// Each paging parameter as `get` finds it by name.
    pub(super) fn read<'v>(get: impl Fn(&str) -> Option<&'v str>) -> Self {
        let g = |k| get(k).map(str::to_string);
        PageReq {
            limit: g("limit"),
            after: g("after"),
            before: g("before"),
            since: g("since"),
            until: g("until"),
        }
    }

    /// From the modifiers of a nested edge (`media.limit(5).after(…)`).
    pub fn from_field(f: &Field) -> Self {
        Self::read(|k| f.modifier_one(k))
    }
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

/// A `since`/`until` parameter (empty: absent).
pub(super) fn time_param(name: &str, v: Option<&str>) -> GResult<Option<DateTime<Utc>>> {
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

impl<'a> Ctx<'a> {
    /// The last value of query parameter `k`.
    pub fn param(&self, k: &str) -> Option<&str> {
        self.params
            .iter()
            .rev()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    }

    /// Note the IG account this call concerns (the first one noted wins).
    pub(super) fn concern(&self, ig_user: &str) {
        let mut c = self.ig_user.borrow_mut();
        if c.is_none() {
            *c = Some(ig_user.to_string());
        }
    }

    /// The parsed `fields` parameter.
    pub(super) fn fields_param(&self) -> GResult<Vec<Field>> {
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

    /// An absolute URL on this simulator, under the answering version.
    pub(super) fn url(&self, path: &str, params: &[(String, String)]) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in params {
            s.append_pair(k, v);
        }
        format!("{}/{}/{path}?{}", self.base, self.api.version, s.finish())
    }

    /// Answer the call. Returns the body; `ig_user` is set as a side effect.
    pub fn answer(&self) -> GResult<Value> {
        match &self.target {
            Target::Ids => self.multi_ids(),
            Target::HashtagSearch => self.hashtag_search(),
            Target::Node(id) => self.node(id),
            Target::Edge(id, edge) if id == "me" => self.edge_of(&self.data.user.id, edge),
            Target::Edge(id, edge) => self.edge_of(id, edge),
            Target::Deeper { rest, .. } => Err(GraphError::new(
                2500,
                format!("Unknown path components: /{rest}"),
            )),
        }
    }

    /// `/?ids=a,b,…`: the nodes by id, all or nothing.
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

    /// Render any node by id (`me` is the token's user).
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

    /// Paging parameters from the query string.
    fn query_req(&self) -> PageReq {
        PageReq::read(|k| self.param(k))
    }

    /// `/{id}/{edge}`.
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
                    "media" | "stories" | "recently_searched_hashtags" => {
                        self.account_edge(a, edge, &req, &fields, Links::TopLevel)
                    }
                    "insights" => {
                        self.user_insights(&d.accounts[a], &InsightsReq::from_query(self), true)
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
                    "comments" => self.comments_edge(&m.comments, &req, &fields, Links::TopLevel),
                    "insights" => self.media_insights(&m.id, &InsightsReq::from_query(self)),
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
                        self.comments_edge(&c.replies, &req, &fields, Links::TopLevel)
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
}
