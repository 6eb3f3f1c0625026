//! HTTP layer of the simulator: authentication, appsecret_proof, the per-token hourly budget, usage
//! headers, fault injection, batch, OAuth/debug_token, stats and logging.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration as StdDuration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::America::Los_Angeles;
use hmac::{Hmac, Mac};
use parking_lot::Mutex;
use serde_json::{Value, json};
use sha2::Sha256;
use url::form_urlencoded;

use super::data::{Dataset, ObjRef};
use super::error::GraphError;
use super::graph::{Ctx, HashtagState};
use super::rng::hash;
use super::{FaultKind, SimConfig, StatsSnapshot};

const HOUR: StdDuration = StdDuration::from_secs(3600);
/// Scopes granted to the user token.
const SCOPES: &[&str] = &[
    "pages_show_list",
    "instagram_basic",
    "instagram_manage_comments",
    "instagram_manage_insights",
    "pages_read_engagement",
    "public_profile",
];

#[derive(Debug, Clone)]
enum TokenKind {
    User,
    Page(String),
}

#[derive(Debug, Clone)]
struct TokenInfo {
    kind: TokenKind,
    issued_at: DateTime<Utc>,
    /// `None`: never expires (page tokens).
    expires_at: Option<DateTime<Utc>>,
    /// The permissions granted (the login dialog's `scope`).
    scopes: Vec<String>,
}

/// The last value of query or form parameter `k` (the Graph API takes the last of repeated keys).
fn param(params: &[(String, String)], k: &str) -> Option<String> {
    params
        .iter()
        .rev()
        .find(|(n, _)| n == k)
        .map(|(_, v)| v.clone())
}

/// Every permission the demo app asks for.
fn all_scopes() -> Vec<String> {
    SCOPES.iter().map(|s| s.to_string()).collect()
}

/// The built-in user token granted only the basic permissions (no insights, no comments): for
/// permission errors (`(#10) Application does not have permission for this action`).
pub const BASIC_TOKEN: &str = "basic-token";

/// The permission a call needs beyond `instagram_basic` (reference §1: insights edges and business
/// discovery need `instagram_manage_insights`, comments `instagram_manage_comments`), if any.
fn needed_scope(kind: &str, fields: Option<&str>) -> Option<&'static str> {
    let fields = fields.unwrap_or("");
    if kind.ends_with("/insights") || kind == "business_discovery" || fields.contains("insights") {
        Some("instagram_manage_insights")
    } else if kind.ends_with("/comments")
        || kind.ends_with("/replies")
        || fields.contains("comments{")
        || fields.split(',').any(|f| f.trim() == "comments")
    {
        Some("instagram_manage_comments")
    } else {
        None
    }
}

#[derive(Debug, Default)]
struct TokenStore {
    tokens: HashMap<String, TokenInfo>,
    /// OAuth dialog codes: code → (redirect_uri, used, scopes granted).
    codes: HashMap<String, (String, bool, Vec<String>)>,
    issued: u64,
}

#[derive(Debug, Default)]
struct Stats {
    total: u64,
    by_endpoint: BTreeMap<String, u64>,
    by_status: BTreeMap<String, u64>,
    faults_injected: u64,
    throttled: u64,
}

/// Shared server state.
#[derive(Debug)]
pub(crate) struct AppState {
    pub cfg: SimConfig,
    pub data: Arc<Dataset>,
    pub addr: SocketAddr,
    started: Instant,
    tags: Mutex<HashtagState>,
    tokens: Mutex<TokenStore>,
    usage: Mutex<HashMap<String, VecDeque<Instant>>>,
    stats: Mutex<Stats>,
    calls: AtomicU64,
    traces: AtomicU64,
}

enum OutBody {
    Json(Value),
    Html(String),
    Redirect(String),
}

/// One answered call.
struct Out {
    status: u16,
    body: OutBody,
    headers: Vec<(String, String)>,
    kind: String,
    throttled: bool,
}

impl AppState {
    pub fn new(cfg: SimConfig, addr: SocketAddr) -> Self {
        let data = Arc::new(Dataset::generate(cfg.seed, cfg.now));
        let mut store = TokenStore::default();
        let now = data.now;
        store.tokens.insert(
            cfg.token.clone(),
            TokenInfo {
                kind: TokenKind::User,
                issued_at: now - Duration::days(1),
                expires_at: Some(now + Duration::days(59)),
                scopes: all_scopes(),
            },
        );
        store.tokens.insert(
            BASIC_TOKEN.into(),
            TokenInfo {
                kind: TokenKind::User,
                issued_at: now - Duration::days(1),
                expires_at: Some(now + Duration::days(59)),
                scopes: [
                    "public_profile",
                    "pages_show_list",
                    "instagram_basic",
                    "pages_read_engagement",
                ]
                .map(String::from)
                .to_vec(),
            },
        );
        let expired = Utc
            .with_ymd_and_hms(2022, 1, 1, 8, 0, 0)
            .single()
            .unwrap_or(now);
        store.tokens.insert(
            "expired-token".into(),
            TokenInfo {
                kind: TokenKind::User,
                issued_at: expired - Duration::days(60),
                expires_at: Some(expired),
                scopes: all_scopes(),
            },
        );
        for p in &data.pages {
            store.tokens.insert(
                p.access_token.clone(),
                TokenInfo {
                    kind: TokenKind::Page(p.id.clone()),
                    issued_at: now - Duration::days(1),
                    expires_at: None,
                    scopes: all_scopes(),
                },
            );
        }
        AppState {
            tags: Mutex::new(HashtagState::from_dataset(&data)),
            cfg,
            data,
            addr,
            started: Instant::now(),
            tokens: Mutex::new(store),
            usage: Mutex::new(HashMap::new()),
            stats: Mutex::new(Stats::default()),
            calls: AtomicU64::new(0),
            traces: AtomicU64::new(0),
        }
    }

    /// The simulator clock: the data set's `now` plus the time since start.
    pub fn now(&self) -> DateTime<Utc> {
        self.data.now
            + Duration::from_std(self.started.elapsed()).unwrap_or_else(|_| Duration::zero())
    }

    fn fbtrace(&self) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
        let n = self.traces.fetch_add(1, Ordering::Relaxed);
        let mut h = hash(&[self.cfg.seed, 0x7ace, n]);
        let mut s = String::from("A");
        for i in 0..22 {
            if i % 10 == 9 {
                h = hash(&[h, i]);
            }
            s.push(A[(h % 64) as usize] as char);
            h /= 64;
        }
        s
    }

    pub fn snapshot(&self) -> StatsSnapshot {
        let s = self.stats.lock();
        StatsSnapshot {
            total: s.total,
            by_endpoint: s.by_endpoint.clone(),
            by_status: s.by_status.clone(),
            faults_injected: s.faults_injected,
            throttled: s.throttled,
        }
    }

    pub fn reset_stats(&self) {
        *self.stats.lock() = Stats::default();
    }

    fn record(&self, kind: &str, status: u16, throttled: bool, fault: bool) {
        let mut s = self.stats.lock();
        s.total += 1;
        *s.by_endpoint.entry(kind.to_string()).or_default() += 1;
        *s.by_status.entry(status.to_string()).or_default() += 1;
        if throttled {
            s.throttled += 1;
        }
        if fault {
            s.faults_injected += 1;
        }
    }

    fn pick_fault(&self) -> Option<FaultKind> {
        let n = self.calls.fetch_add(1, Ordering::Relaxed);
        if self.cfg.fault_rate <= 0.0 || self.cfg.faults.is_empty() {
            return None;
        }
        let r = (hash(&[self.cfg.seed, 0xFA17, n]) >> 11) as f64 / (1u64 << 53) as f64;
        if r < self.cfg.fault_rate {
            let k = hash(&[self.cfg.seed, 0xFA18, n]) % self.cfg.faults.len() as u64;
            Some(self.cfg.faults[k as usize])
        } else {
            None
        }
    }

    fn error_out(&self, kind: &str, e: GraphError, headers: Vec<(String, String)>) -> Out {
        let trace = self.fbtrace();
        let mut h = headers;
        h.push(("x-fb-trace-id".into(), trace.clone()));
        Out {
            status: e.status,
            body: OutBody::Json(e.body(&trace)),
            headers: h,
            kind: kind.to_string(),
            throttled: false,
        }
    }

    // ------------------------------------------------------------------ classification

    /// Endpoint kind (for stats/logs) and the IG account the call concerns (for the BUC header).
    fn classify(
        &self,
        method: &Method,
        segs: &[String],
        params: &[(String, String)],
    ) -> (String, Option<String>) {
        let d = &self.data;
        let p = |k: &str| param(params, k);
        let s: Vec<&str> = segs.iter().map(String::as_str).collect();
        let owner = |r: Option<ObjRef>| -> Option<String> {
            match r? {
                ObjRef::Account(a)
                | ObjRef::Media(a, _)
                | ObjRef::Story(a, _)
                | ObjRef::Child(a, _, _)
                | ObjRef::Comment(a, _, _, _) => Some(d.accounts[a].id.clone()),
                _ => None,
            }
        };
        match s.as_slice() {
            [] if *method == Method::POST => ("batch".into(), None),
            [] => ("ids".into(), None),
            ["me"] => ("me".into(), None),
            ["me", "accounts"] => ("me/accounts".into(), None),
            ["oauth", "access_token"] => ("oauth".into(), None),
            ["dialog", "oauth"] => ("dialog".into(), None),
            ["debug_token"] => ("debug_token".into(), None),
            ["ig_hashtag_search"] => ("hashtag_search".into(), p("user_id")),
            [id] => {
                let r = d.lookup(id);
                let kind = match r {
                    Some(ObjRef::FbUser) => "me",
                    Some(ObjRef::Page(_)) => "page",
                    Some(ObjRef::Account(_)) => {
                        if p("fields").is_some_and(|f| f.contains("business_discovery")) {
                            "business_discovery"
                        } else {
                            "user"
                        }
                    }
                    Some(ObjRef::Media(..)) | Some(ObjRef::Story(..)) | Some(ObjRef::Child(..)) => {
                        "media"
                    }
                    Some(ObjRef::Comment(..)) => "comment",
                    Some(ObjRef::Hashtag(_)) => "hashtag",
                    None if self.tags.lock().virtual_tags.contains_key(*id) => "hashtag",
                    None => "unknown",
                };
                (kind.into(), owner(r))
            }
            [id, edge] => {
                let r = d.lookup(id);
                let base = match r {
                    Some(ObjRef::Account(_)) => "user",
                    Some(ObjRef::Media(..)) | Some(ObjRef::Story(..)) | Some(ObjRef::Child(..)) => {
                        "media"
                    }
                    Some(ObjRef::Comment(..)) => "comment",
                    Some(ObjRef::Hashtag(_)) => "hashtag",
                    Some(ObjRef::FbUser) => "me",
                    None if self.tags.lock().virtual_tags.contains_key(*id) => "hashtag",
                    _ => "unknown",
                };
                const EDGES: &[&str] = &[
                    "media",
                    "stories",
                    "insights",
                    "recently_searched_hashtags",
                    "children",
                    "comments",
                    "replies",
                    "recent_media",
                    "top_media",
                    "accounts",
                    "tags",
                    "live_media",
                ];
                let kind = if base == "unknown" || !EDGES.contains(edge) {
                    "unknown".to_string()
                } else {
                    format!("{base}/{edge}")
                };
                let ig = owner(r).or_else(|| {
                    if base == "hashtag" {
                        p("user_id")
                    } else {
                        None
                    }
                });
                (kind, ig)
            }
            _ => ("unknown".into(), None),
        }
    }

    // ------------------------------------------------------------------ auth and budget

    fn expired_error(&self, expiry: DateTime<Utc>) -> GraphError {
        let fmt = "%A, %d-%b-%y %H:%M:%S %Z";
        GraphError::new(
            190,
            format!(
                "Error validating access token: Session has expired on {}. The current time is {}.",
                expiry.with_timezone(&Los_Angeles).format(fmt),
                self.now().with_timezone(&Los_Angeles).format(fmt)
            ),
        )
        .subcode(463)
    }

    fn check_token(&self, token: &str) -> Result<TokenInfo, GraphError> {
        let info = self
            .tokens
            .lock()
            .tokens
            .get(token)
            .cloned()
            .ok_or_else(GraphError::invalid_token)?;
        match info.expires_at {
            Some(e) if e <= self.now() => Err(self.expired_error(e)),
            _ => Ok(info),
        }
    }

    fn proof_for(&self, token: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.cfg.app_secret.as_bytes())
            .expect("HMAC accepts any key length");
        mac.update(token.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Count one call against the token's rolling hour. `Err(minutes to regain access)` when over budget.
    fn take_budget(&self, token: &str) -> Result<u32, u32> {
        let mut usage = self.usage.lock();
        let q = usage.entry(token.to_string()).or_default();
        let now = Instant::now();
        while q.front().is_some_and(|t| now.duration_since(*t) >= HOUR) {
            q.pop_front();
        }
        match self.cfg.calls_per_hour {
            Some(limit) if q.len() as u64 >= u64::from(limit) => {
                let wait = q
                    .front()
                    .map(|t| HOUR.saturating_sub(now.duration_since(*t)))
                    .unwrap_or(HOUR);
                Err(wait.as_secs().div_ceil(60).max(1) as u32)
            }
            _ => {
                q.push_back(now);
                Ok(self.usage_pct(q.len()))
            }
        }
    }

    fn usage_pct(&self, used: usize) -> u32 {
        match self.cfg.calls_per_hour {
            Some(0) => 100,
            Some(l) => ((used as u64 * 100 / u64::from(l)).min(100)) as u32,
            None => ((used / 50).min(10)) as u32,
        }
    }

    fn current_pct(&self, token: &str) -> u32 {
        let usage = self.usage.lock();
        let used = usage
            .get(token)
            .map(|q| q.iter().filter(|t| t.elapsed() < HOUR).count())
            .unwrap_or(0);
        self.usage_pct(used)
    }

    fn usage_headers(
        &self,
        pct: u32,
        ig_user: Option<&str>,
        regain_min: u32,
    ) -> Vec<(String, String)> {
        let mut h = vec![(
            "x-app-usage".to_string(),
            json!({"call_count": pct, "total_time": pct / 2, "total_cputime": pct / 3}).to_string(),
        )];
        if let Some(ig) = ig_user {
            let mut m = serde_json::Map::new();
            m.insert(
                ig.to_string(),
                json!([{"type": "instagram", "call_count": pct, "total_cputime": pct / 3, "total_time": pct / 2,
                        "estimated_time_to_regain_access": regain_min}]),
            );
            h.push((
                "x-business-use-case-usage".to_string(),
                Value::Object(m).to_string(),
            ));
        }
        h
    }

    fn throttle_error(&self) -> GraphError {
        match self.cfg.throttle_code {
            4 => GraphError::new(4, "(#4) Application request limit reached").transient(true),
            80002 => GraphError::new(
                80002,
                "There have been too many calls to this Instagram account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
            )
            .subcode(2446079),
            _ => GraphError::new(17, "(#17) User request limit reached").subcode(2446079).transient(true),
        }
    }

    // ------------------------------------------------------------------ dispatch

    /// Answer one Graph call (no faults here; batch items come through here too).
    fn dispatch(
        &self,
        method: &Method,
        version: Option<String>,
        segs: Vec<String>,
        params: Vec<(String, String)>,
        base: &str,
    ) -> Out {
        let (kind, hint) = self.classify(method, &segs, &params);
        let p = |k: &str| param(&params, k);
        let s: Vec<&str> = segs.iter().map(String::as_str).collect();
        let special = match s.as_slice() {
            ["oauth", "access_token"] => Some(self.oauth(&params)),
            ["debug_token"] => Some(self.debug_token(&params)),
            ["dialog", "oauth"] => {
                return match self.dialog(&params) {
                    Ok(loc) => Out {
                        status: 302,
                        body: OutBody::Redirect(loc),
                        headers: vec![],
                        kind,
                        throttled: false,
                    },
                    Err(e) => self.error_out(&kind, e, vec![]),
                };
            }
            _ => None,
        };
        if let Some(r) = special {
            return match r {
                Ok(v) => Out {
                    status: 200,
                    body: OutBody::Json(v),
                    headers: vec![],
                    kind,
                    throttled: false,
                },
                Err(e) => self.error_out(&kind, e, vec![]),
            };
        }
        if *method != Method::GET {
            let id = s.first().copied().unwrap_or("");
            let e = GraphError::unsupported_get(id);
            let e = GraphError {
                message: e.message.replacen(
                    "Unsupported get request",
                    "Unsupported post request",
                    1,
                ),
                ..e
            };
            return self.error_out(&kind, e, vec![]);
        }
        let Some(token) = p("access_token").filter(|t| !t.is_empty()) else {
            return self.error_out(&kind, GraphError::token_required(), vec![]);
        };
        let granted = match self.check_token(&token) {
            Ok(info) => info.scopes,
            Err(e) => return self.error_out(&kind, e, vec![]),
        };
        let proof = p("appsecret_proof");
        if self.cfg.require_appsecret_proof {
            let e = match &proof {
                None => Some("API calls from the server require an appsecret_proof argument"),
                Some(pr) if !pr.eq_ignore_ascii_case(&self.proof_for(&token)) => {
                    Some("Invalid appsecret_proof provided in the API argument")
                }
                _ => None,
            };
            if let Some(msg) = e {
                return self.error_out(
                    &kind,
                    GraphError::new(100, msg).kind("GraphMethodException"),
                    vec![],
                );
            }
        }
        let pct = match self.take_budget(&token) {
            Ok(pct) => pct,
            Err(minutes) => {
                let h = self.usage_headers(100, hint.as_deref(), minutes);
                let mut out = self.error_out(&kind, self.throttle_error(), h);
                out.throttled = true;
                return out;
            }
        };
        if let Some(scope) = needed_scope(&kind, p("fields").as_deref())
            && !granted.iter().any(|g| g == scope)
        {
            let h = self.usage_headers(pct, hint.as_deref(), 0);
            return self.error_out(
                &kind,
                GraphError::new(
                    10,
                    "(#10) Application does not have permission for this action",
                ),
                h,
            );
        }
        let ctx = Ctx {
            data: &self.data,
            tags: &self.tags,
            base: base.to_string(),
            version: version.clone(),
            segs,
            params,
            token,
            proof,
            now: self.now(),
            ig_user: Default::default(),
        };
        let result = ctx.route();
        let ig = ctx.ig_user.borrow().clone().or(hint);
        let mut headers = self.usage_headers(pct, ig.as_deref(), 0);
        headers.push((
            "facebook-api-version".into(),
            version.unwrap_or_else(|| "v15.0".into()),
        ));
        match result {
            Ok(v) => {
                headers.push(("x-fb-trace-id".into(), self.fbtrace()));
                Out {
                    status: 200,
                    body: OutBody::Json(v),
                    headers,
                    kind,
                    throttled: false,
                }
            }
            Err(e) => self.error_out(&kind, e, headers),
        }
    }

    fn batch(&self, params: &[(String, String)], base: &str) -> Out {
        let p = |k: &str| param(params, k);
        let Some(raw) = p("batch") else {
            return self.error_out(
                "batch",
                GraphError::param("The parameter batch is required"),
                vec![],
            );
        };
        let Ok(Value::Array(items)) = serde_json::from_str::<Value>(&raw) else {
            return self.error_out(
                "batch",
                GraphError::param("The parameter batch must be a JSON-encoded array"),
                vec![],
            );
        };
        if items.len() > 50 {
            let e = GraphError::new(
                1,
                "Too many requests in batch message. Maximum batch size is 50",
            )
            .kind("GraphBatchException");
            return self.error_out("batch", e, vec![]);
        }
        let outer_token = p("access_token");
        let outer_proof = p("appsecret_proof");
        let mut answers = Vec::new();
        for item in &items {
            let method = item
                .get("method")
                .and_then(Value::as_str)
                .unwrap_or("GET")
                .to_uppercase();
            let rel = item
                .get("relative_url")
                .and_then(Value::as_str)
                .unwrap_or("");
            let (path, query) = rel.split_once('?').unwrap_or((rel, ""));
            let mut ip: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect();
            if !ip.iter().any(|(k, _)| k == "access_token") {
                let t = item
                    .get("access_token")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .or_else(|| outer_token.clone());
                if let Some(t) = t {
                    ip.push(("access_token".into(), t));
                }
            }
            if let Some(pr) = &outer_proof
                && !ip.iter().any(|(k, _)| k == "appsecret_proof")
            {
                ip.push(("appsecret_proof".into(), pr.clone()));
            }
            let (version, segs) = split_path(path);
            let m = Method::from_bytes(method.as_bytes()).unwrap_or(Method::GET);
            let out = self.dispatch(&m, version, segs, ip, base);
            self.record(&out.kind, out.status, out.throttled, false);
            tracing::info!(method = %m, endpoint = %out.kind, status = out.status, "sim batch item");
            let mut headers =
                vec![json!({"name": "Content-Type", "value": "application/json; charset=UTF-8"})];
            for (k, v) in &out.headers {
                headers.push(json!({"name": k, "value": v}));
            }
            let body = match &out.body {
                OutBody::Json(v) => v.to_string(),
                OutBody::Html(s) => s.clone(),
                OutBody::Redirect(_) => String::new(),
            };
            answers.push(json!({"code": out.status, "headers": headers, "body": body}));
        }
        let pct = outer_token
            .as_deref()
            .map(|t| self.current_pct(t))
            .unwrap_or(0);
        Out {
            status: 200,
            body: OutBody::Json(Value::Array(answers)),
            headers: self.usage_headers(pct, None, 0),
            kind: "batch".into(),
            throttled: false,
        }
    }

    // ------------------------------------------------------------------ oauth

    fn check_app(&self, params: &[(String, String)], need_secret: bool) -> Result<(), GraphError> {
        let p = |k: &str| param(params, k);
        if p("client_id").as_deref() != Some(self.cfg.app_id.as_str()) {
            return Err(GraphError::new(
                101,
                "Error validating application. Invalid application ID.",
            ));
        }
        if need_secret && p("client_secret").as_deref() != Some(self.cfg.app_secret.as_str()) {
            return Err(GraphError::new(1, "Error validating client secret."));
        }
        Ok(())
    }

    fn new_token(&self, prefix: &str) -> String {
        let mut st = self.tokens.lock();
        st.issued += 1;
        let n = st.issued;
        let body: String = (0..5)
            .map(|i| {
                format!(
                    "{:016x}",
                    hash(&[
                        self.cfg.seed,
                        0x70c,
                        n,
                        i,
                        self.started.elapsed().as_nanos() as u64
                    ])
                )
            })
            .collect();
        format!("{prefix}{body}")
    }

    fn oauth(&self, params: &[(String, String)]) -> Result<Value, GraphError> {
        let p = |k: &str| param(params, k);
        self.check_app(params, true)?;
        let now = self.now();
        match p("grant_type").as_deref() {
            Some("fb_exchange_token") => {
                let old = p("fb_exchange_token")
                    .ok_or_else(|| GraphError::param("Missing fb_exchange_token parameter"))?;
                let info = self.check_token(&old)?;
                if !matches!(info.kind, TokenKind::User) {
                    return Err(GraphError::param(
                        "The access token must be a user access token",
                    ));
                }
                let tok = self.new_token("EAAG");
                self.tokens.lock().tokens.insert(
                    tok.clone(),
                    TokenInfo {
                        kind: TokenKind::User,
                        issued_at: now,
                        expires_at: Some(now + Duration::seconds(5_184_000)),
                        scopes: info.scopes.clone(),
                    },
                );
                Ok(json!({"access_token": tok, "token_type": "bearer", "expires_in": 5_184_000}))
            }
            Some("client_credentials") => Ok(json!({
                "access_token": format!("{}|{}", self.cfg.app_id, &self.proof_for("app")[..27]),
                "token_type": "bearer"
            })),
            _ => {
                let code = p("code").ok_or_else(|| {
                    GraphError::param("Missing redirect_uri, code or grant_type parameter")
                })?;
                let redirect = p("redirect_uri").unwrap_or_default();
                let mut st = self.tokens.lock();
                let granted = match st.codes.get_mut(&code) {
                    None => {
                        return Err(GraphError::new(100, "Invalid verification code format.")
                            .subcode(36007));
                    }
                    Some((_, true, _)) => {
                        return Err(
                            GraphError::new(100, "This authorization code has been used.")
                                .subcode(36009),
                        );
                    }
                    Some((r, _, _)) if *r != redirect => {
                        return Err(GraphError::new(
                            100,
                            "Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request",
                        )
                        .subcode(36008));
                    }
                    Some(entry) => {
                        entry.1 = true;
                        entry.2.clone()
                    }
                };
                drop(st);
                let tok = self.new_token("EAAG");
                self.tokens.lock().tokens.insert(
                    tok.clone(),
                    TokenInfo {
                        kind: TokenKind::User,
                        issued_at: now,
                        expires_at: Some(now + Duration::seconds(5_400)),
                        scopes: granted,
                    },
                );
                Ok(json!({"access_token": tok, "token_type": "bearer", "expires_in": 5_400}))
            }
        }
    }

    fn dialog(&self, params: &[(String, String)]) -> Result<String, GraphError> {
        let p = |k: &str| param(params, k);
        self.check_app(params, false)?;
        let redirect = p("redirect_uri")
            .ok_or_else(|| GraphError::param("Missing redirect_uri parameter."))?;
        // the user grants what the app asks for (`scope`, comma separated) among the app's
        // permissions; without `scope`, only public_profile
        let granted: Vec<String> = match p("scope") {
            Some(list) => list
                .split(',')
                .map(str::trim)
                .filter(|s| SCOPES.contains(s))
                .map(String::from)
                .collect(),
            None => vec!["public_profile".to_string()],
        };
        let code = self.new_token("AQ");
        self.tokens
            .lock()
            .codes
            .insert(code.clone(), (redirect.clone(), false, granted));
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair("code", &code);
        if let Some(s) = p("state") {
            q.append_pair("state", &s);
        }
        let sep = if redirect.contains('?') { '&' } else { '?' };
        Ok(format!("{redirect}{sep}{}#_=_", q.finish()))
    }

    fn debug_token(&self, params: &[(String, String)]) -> Result<Value, GraphError> {
        let p = |k: &str| param(params, k);
        let app_token = format!("{}|{}", self.cfg.app_id, self.cfg.app_secret);
        let caller = p("access_token").ok_or_else(GraphError::token_required)?;
        if caller != app_token && self.check_token(&caller).is_err() {
            return Err(GraphError::param(
                "You must provide an app access token, or a user access token that is an owner or developer of the app",
            ));
        }
        let input = p("input_token")
            .ok_or_else(|| GraphError::param("The parameter input_token is required"))?;
        let info = self.tokens.lock().tokens.get(&input).cloned();
        let Some(info) = info else {
            return Ok(
                json!({"data": {"error": {"code": 190, "message": "Invalid OAuth access token."}, "is_valid": false, "scopes": []}}),
            );
        };
        let now = self.now();
        let valid = info.expires_at.is_none_or(|e| e > now);
        let page_ids: Vec<&str> = self.data.pages.iter().map(|p| p.id.as_str()).collect();
        let ig_ids: Vec<&str> = self.data.accounts.iter().map(|a| a.id.as_str()).collect();
        let granular: Vec<Value> = [
            "pages_show_list",
            "instagram_basic",
            "instagram_manage_insights",
            "instagram_manage_comments",
            "pages_read_engagement",
        ]
        .iter()
        .filter(|s| info.scopes.iter().any(|g| g == *s))
        .map(|s| {
            let ids = if s.starts_with("pages") {
                &page_ids
            } else {
                &ig_ids
            };
            json!({"scope": s, "target_ids": ids})
        })
        .collect();
        let mut d = json!({
            "app_id": self.cfg.app_id,
            "type": match info.kind { TokenKind::User => "USER", TokenKind::Page(_) => "PAGE" },
            "application": "igflight demo",
            "data_access_expires_at": (info.issued_at + Duration::days(90)).timestamp(),
            "expires_at": info.expires_at.map(|e| e.timestamp()).unwrap_or(0),
            "is_valid": valid,
            "issued_at": info.issued_at.timestamp(),
            "scopes": info.scopes,
            "granular_scopes": granular,
            "user_id": self.data.user.id,
        });
        if let TokenKind::Page(pid) = &info.kind {
            d["profile_id"] = json!(pid);
        }
        if let (false, Some(e)) = (valid, info.expires_at) {
            let err = self.expired_error(e);
            d["error"] = json!({"code": 190, "message": err.message, "subcode": 463});
        }
        Ok(json!({ "data": d }))
    }
}

/// Split `/v15.0/a/b` into (`Some("v15.0")`, `["a","b"]`).
pub(crate) fn split_path(path: &str) -> (Option<String>, Vec<String>) {
    let mut segs: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let is_version = |s: &str| {
        s.strip_prefix('v')
            .and_then(|r| r.split_once('.'))
            .is_some_and(|(a, b)| {
                !a.is_empty()
                    && !b.is_empty()
                    && a.bytes().all(|c| c.is_ascii_digit())
                    && b.bytes().all(|c| c.is_ascii_digit())
            })
    };
    let version = if segs.first().is_some_and(|s| is_version(s)) {
        Some(segs.remove(0))
    } else {
        None
    };
    (version, segs)
}

const HTML_503: &str = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Facebook | Error</title></head>\
<body><div id=\"content\"><h1>Sorry, something went wrong.</h1><p>We're working on getting this fixed as soon as we can.</p>\
<p><a href=\"https://www.facebook.com/\">Go Back</a></p></div></body></html>\n";

fn build_response(out: Out, drop_body: bool) -> Response {
    let (ct, bytes, location) = match out.body {
        OutBody::Json(v) => (
            "application/json; charset=UTF-8",
            serde_json::to_vec(&v).unwrap_or_default(),
            None,
        ),
        OutBody::Html(s) => ("text/html; charset=utf-8", s.into_bytes(), None),
        OutBody::Redirect(l) => ("text/html; charset=utf-8", Vec::new(), Some(l)),
    };
    let mut b = Response::builder()
        .status(StatusCode::from_u16(out.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header(header::CONTENT_TYPE, ct)
        .header(
            header::CACHE_CONTROL,
            "private, no-cache, no-store, must-revalidate",
        );
    for (k, v) in &out.headers {
        b = b.header(k.as_str(), v.as_str());
    }
    if let Some(l) = location {
        b = b.header(header::LOCATION, l);
    }
    let body = if drop_body {
        let half = Bytes::from(bytes[..bytes.len() / 2].to_vec());
        let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
            Ok(half),
            Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "simulated connection drop",
            )),
        ];
        Body::from_stream(futures::stream::iter(chunks))
    } else {
        Body::from(bytes)
    };
    b.body(body)
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

async fn graph_handler(
    State(st): State<Arc<AppState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut params: Vec<(String, String)> = uri
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    if method == Method::POST && !body.is_empty() {
        let is_json = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("json"));
        if !is_json {
            params.extend(form_urlencoded::parse(&body).into_owned());
        }
    }
    let (version, segs) = split_path(uri.path());
    let base = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|h| format!("http://{h}"))
        .unwrap_or_else(|| format!("http://{}", st.addr));
    let (kind, _) = st.classify(&method, &segs, &params);
    let fault = if kind == "dialog" {
        None
    } else {
        st.pick_fault()
    };
    let mut drop_body = false;
    if let Some(f) = fault {
        let quick = match f {
            FaultKind::Http500Code2 => Some(
                GraphError::new(
                    2,
                    "An unexpected error has occurred. Please retry your request later.",
                )
                .transient(true)
                .status(500),
            ),
            FaultKind::Code1 => {
                Some(GraphError::new(1, "An unknown error has occurred.").status(500))
            }
            FaultKind::Html503 => None,
            FaultKind::Slow => {
                tokio::time::sleep(st.cfg.slow_delay).await;
                None
            }
            FaultKind::DropConnection => {
                drop_body = true;
                None
            }
        };
        if let Some(e) = quick {
            st.record(&kind, e.status, false, true);
            tracing::info!(method = %method, endpoint = %kind, status = e.status, fault = %f, "sim request");
            return build_response(st.error_out(&kind, e, vec![]), false);
        }
        if f == FaultKind::Html503 {
            st.record(&kind, 503, false, true);
            tracing::info!(method = %method, endpoint = %kind, status = 503, fault = %f, "sim request");
            let out = Out {
                status: 503,
                body: OutBody::Html(HTML_503.into()),
                headers: vec![],
                kind,
                throttled: false,
            };
            return build_response(out, false);
        }
    }
    if !st.cfg.latency.is_zero() {
        tokio::time::sleep(st.cfg.latency).await;
    }
    let out = if method == Method::POST && segs.is_empty() {
        st.batch(&params, &base)
    } else {
        st.dispatch(&method, version, segs, params, &base)
    };
    st.record(&out.kind, out.status, out.throttled, fault.is_some());
    match fault {
        Some(f) => {
            tracing::info!(method = %method, endpoint = %out.kind, status = out.status, fault = %f, "sim request")
        }
        None => {
            tracing::info!(method = %method, endpoint = %out.kind, status = out.status, "sim request")
        }
    }
    build_response(out, drop_body)
}

async fn stats_get(State(st): State<Arc<AppState>>) -> Response {
    axum::Json(st.snapshot()).into_response()
}

async fn stats_reset(State(st): State<Arc<AppState>>) -> Response {
    st.reset_stats();
    axum::Json(st.snapshot()).into_response()
}

/// The simulator's router.
pub(crate) fn router(st: Arc<AppState>) -> Router {
    Router::new()
        .route("/__stats", get(stats_get))
        .route("/__stats/reset", post(stats_reset))
        .fallback(graph_handler)
        .with_state(st)
}
