//! `GraphClient`: one shared `reqwest::Client`, credentials added per request, every attempt
//! budgeted, counted, classified and (when retryable) retried.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use hmac::{Hmac, Mac};
use reqwest::header::{CONTENT_TYPE, HeaderMap, LOCATION, RETRY_AFTER};
use serde::de::DeserializeOwned;
use sha2::Sha256;
use tokio::time::Instant;
use url::Url;

use super::budget::{Budget, BudgetConfig};
use super::cache::{CacheClass, CacheConfig, ResponseCache, from_shared, shared_form};
use super::endpoint::{Endpoint, EndpointKind};
use super::error::{ApiError, ErrorClass, GraphError, bounded_to, classify, scrub_in, utc_after};
use super::model::{ErrorEnvelope, decode_json};
use super::retry::{MAX_SERVER_WAIT, RetryPolicy};
use super::secret::{Secret, TokenKey, redact_url};
use super::stats::{CallStats, CallStatsSnapshot};
use super::usage::Usage;

pub const DEFAULT_BASE_URL: &str = "https://graph.facebook.com";
pub const DEFAULT_VERSION: &str = "v15.0";
/// Default cap of one response body, counted after decompression: 16 MiB (a full page of 100 media
/// with every field is well under 1 MiB).
pub const DEFAULT_MAX_BODY_BYTES: usize = 16 << 20;
/// Error bodies (non-2xx) are read up to this many bytes only: enough for any Graph error document,
/// the rest (an HTML error page, say) is not needed.
const MAX_ERROR_BODY_BYTES: usize = 256 << 10;
/// Characters of a non-JSON body quoted in an error.
const SNIPPET_CHARS: usize = 120;

/// Everything a [`GraphClient`] is built from.
#[derive(Clone, Debug)]
pub struct GraphConfig {
    /// Scheme, host, port and optional path prefix of the Graph API (default `https://graph.facebook.com`).
    pub base_url: String,
    /// API version path segment (default `v15.0`).
    pub version: String,
    pub access_token: Secret,
    /// When set, every request carries `appsecret_proof = hex(HMAC-SHA256(app_secret, access_token))`.
    pub app_secret: Option<Secret>,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    pub retry: RetryPolicy,
    /// Used when no shared [`Budget`] is given to the builder.
    pub budget: BudgetConfig,
    pub user_agent: String,
    /// The largest response body read, counted after decompression (default
    /// [`DEFAULT_MAX_BODY_BYTES`], 16 MiB). A larger 2xx body fails with
    /// [`GraphError::BodyTooLarge`], not retried.
    pub max_body_bytes: usize,
    /// The response cache (used when no shared [`ResponseCache`] is given to the builder).
    pub cache: CacheConfig,
}

impl GraphConfig {
    pub fn new(access_token: impl Into<Secret>) -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            version: DEFAULT_VERSION.to_owned(),
            access_token: access_token.into(),
            app_secret: None,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            retry: RetryPolicy::default(),
            budget: BudgetConfig::default(),
            user_agent: concat!("igflight/", env!("CARGO_PKG_VERSION")).to_owned(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            cache: CacheConfig::default(),
        }
    }
}

/// Builds a [`GraphClient`]; shared pieces (HTTP client, budget, stats) can be passed in so that
/// several clients draw on one budget.
#[derive(Debug)]
#[must_use]
pub struct GraphClientBuilder {
    config: GraphConfig,
    budget: Option<Arc<Budget>>,
    ledger: Option<Arc<dyn crate::state::Ledger>>,
    stats: Option<Arc<CallStats>>,
    http: Option<reqwest::Client>,
    cache: Option<Arc<ResponseCache>>,
}

impl GraphClientBuilder {
    pub fn new(access_token: impl Into<Secret>) -> Self {
        Self::from_config(GraphConfig::new(access_token))
    }

    pub fn from_config(config: GraphConfig) -> Self {
        Self {
            config,
            budget: None,
            ledger: None,
            stats: None,
            http: None,
            cache: None,
        }
    }

    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.config.base_url = url.into();
        self
    }

    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.config.version = version.into();
        self
    }

    pub fn app_secret(mut self, secret: impl Into<Secret>) -> Self {
        self.config.app_secret = Some(secret.into());
        self
    }

    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout = timeout;
        self
    }

    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.config.request_timeout = timeout;
        self
    }

    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.config.retry = policy;
        self
    }

    /// The largest response body read, after decompression (see [`GraphConfig::max_body_bytes`]).
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.config.max_body_bytes = bytes;
        self
    }

    /// A budget of its own with this configuration (ignored when [`Self::shared_budget`] is set).
    pub fn budget_config(mut self, cfg: BudgetConfig) -> Self {
        self.config.budget = cfg;
        self
    }

    /// Count the calls of its own budget in `ledger` (a file or Redis shared with other processes)
    /// instead of in this process (ignored when [`Self::shared_budget`] is set).
    pub fn ledger(mut self, ledger: Arc<dyn crate::state::Ledger>) -> Self {
        self.ledger = Some(ledger);
        self
    }

    /// Draw on a budget shared with other clients.
    pub fn shared_budget(mut self, budget: Arc<Budget>) -> Self {
        self.budget = Some(budget);
        self
    }

    /// A response cache of its own with this configuration (ignored when [`Self::shared_cache`] is set).
    pub fn cache_config(mut self, cfg: CacheConfig) -> Self {
        self.config.cache = cfg;
        self
    }

    /// Keep answers in a cache shared with other clients (answers are keyed by token).
    pub fn shared_cache(mut self, cache: Arc<ResponseCache>) -> Self {
        self.cache = Some(cache);
        self
    }

    pub fn shared_stats(mut self, stats: Arc<CallStats>) -> Self {
        self.stats = Some(stats);
        self
    }

    /// Reuse an existing `reqwest::Client` (its timeouts then apply instead of the configured ones).
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    pub fn build(self) -> Result<GraphClient, GraphError> {
        let cfg = self.config;
        let mut base = Url::parse(&cfg.base_url).map_err(|e| {
            GraphError::Config(format!(
                "base URL {:?} is not a URL: {e}",
                redact_url(&cfg.base_url)
            ))
        })?;
        if !matches!(base.scheme(), "http" | "https") || base.host().is_none() {
            return Err(GraphError::Config(format!(
                "base URL {} must be http(s)://host[:port]",
                redact_url(base.as_str())
            )));
        }
        base.set_query(None);
        base.set_fragment(None);
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let version = cfg.version.trim_matches('/').to_owned();
        if version.is_empty() || version.contains('/') {
            return Err(GraphError::Config(format!(
                "API version {version:?} must be one path segment such as v15.0"
            )));
        }
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .use_rustls_tls()
                .gzip(true)
                .connect_timeout(cfg.connect_timeout)
                .timeout(cfg.request_timeout)
                // A redirect would carry the token in the URL to wherever it points.
                .redirect(reqwest::redirect::Policy::none())
                .user_agent(cfg.user_agent.clone())
                .build()
                .map_err(|e| GraphError::Config(format!("cannot build the HTTP client: {e}")))?,
        };
        let budget = match (self.budget, self.ledger) {
            (Some(budget), _) => budget,
            (None, Some(ledger)) => Arc::new(Budget::with_ledger(cfg.budget.clone(), ledger)),
            (None, None) => Budget::shared(cfg.budget.clone()),
        };
        let stats = self.stats.unwrap_or_default();
        let cache = self
            .cache
            .unwrap_or_else(|| Arc::new(ResponseCache::new(cfg.cache.clone())));
        Ok(GraphClient {
            inner: Arc::new(Inner::new(
                http,
                base,
                version,
                cfg.access_token,
                cfg.app_secret,
                cfg.retry,
                budget,
                stats,
                cache,
                cfg.max_body_bytes,
            )),
            run: None,
        })
    }
}

/// The Graph API client. Cheap to clone; clones share the HTTP connection pool, budget and stats
/// (and, for a clone of a [`GraphClient::with_call_cap`] client, its per-run call counter).
#[derive(Clone, Debug)]
pub struct GraphClient {
    inner: Arc<Inner>,
    /// The per-run call cap and counter, when this client belongs to one run.
    run: Option<Arc<RunCalls>>,
}

/// The response header naming the Graph API version that answered (reference §5.2a).
pub const API_VERSION_HEADER: &str = "facebook-api-version";

/// One run's call counter and cap.
#[derive(Debug)]
struct RunCalls {
    cap: u32,
    made: AtomicU32,
    /// Answers served from the response cache in this run.
    hits: AtomicU32,
    /// How old a cached answer this run accepts (`max_age`); `None`: the class's freshness.
    max_age: Option<Duration>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    /// Base URL with a trailing slash, no query.
    base: Url,
    version: String,
    /// The access token and its `appsecret_proof`; replaced when the token is renewed or reconnected.
    creds: parking_lot::RwLock<Creds>,
    /// The budget and stats key: the first token's, kept across renewals (same user, same app).
    token_key: TokenKey,
    app_secret: Option<Secret>,
    retry: RetryPolicy,
    budget: Arc<Budget>,
    stats: Arc<CallStats>,
    cache: Arc<ResponseCache>,
    max_body: usize,
    /// The version that answered the last response (`facebook-api-version`), when one said so.
    served: parking_lot::Mutex<Option<String>>,
}

impl Inner {
    #[allow(clippy::too_many_arguments)]
    fn new(
        http: reqwest::Client,
        base: Url,
        version: String,
        token: Secret,
        app_secret: Option<Secret>,
        retry: RetryPolicy,
        budget: Arc<Budget>,
        stats: Arc<CallStats>,
        cache: Arc<ResponseCache>,
        max_body: usize,
    ) -> Self {
        let token_key = token.key();
        let creds = Creds::new(token, app_secret.as_ref());
        Self {
            http,
            base,
            version,
            creds: parking_lot::RwLock::new(creds),
            token_key,
            app_secret,
            retry,
            budget,
            stats,
            cache,
            max_body,
            served: parking_lot::Mutex::new(None),
        }
    }
}

/// An access token and its `appsecret_proof`.
#[derive(Debug, Clone)]
struct Creds {
    token: Secret,
    proof: Option<Secret>,
}

impl Creds {
    fn new(token: Secret, app_secret: Option<&Secret>) -> Self {
        let proof = app_secret.map(|s| Secret::new(appsecret_proof(s, &token)));
        Creds { token, proof }
    }
}

/// `hex(HMAC_SHA256(key = app_secret, message = access_token))` (reference §3.5).
pub(crate) fn appsecret_proof(app_secret: &Secret, token: &Secret) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(app_secret.expose().as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(token.expose().as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// A successful Graph answer: the raw body (decode it with [`GraphResponse::json`]), its status and
/// the usage headers that came with it.
#[derive(Clone, Debug)]
pub struct GraphResponse {
    pub status: u16,
    pub body: Bytes,
    pub usage: Usage,
    pub endpoint: EndpointKind,
    /// HTTP attempts this answer took (1 without retries; 0 when it came from the cache).
    pub attempts: u32,
    /// Served from the connection's response cache, without a call.
    pub cached: bool,
}

impl GraphResponse {
    /// Decode the body; a failure names the JSON path and the endpoint kind.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, GraphError> {
        decode_json(&self.body, self.endpoint)
    }
}

/// One request, before credentials are added.
struct Prepared {
    post: bool,
    url: Url,
    form: Vec<(String, String)>,
    endpoint: EndpointKind,
    /// Budget units: 1, or the number of items of a batch.
    cost: u32,
    redacted: String,
}

impl GraphClient {
    pub fn builder(access_token: impl Into<Secret>) -> GraphClientBuilder {
        GraphClientBuilder::new(access_token)
    }

    /// A client for another token that shares this one's HTTP pool, budget, stats and settings
    /// (and its per-run call counter, if it has one).
    pub fn with_token(&self, token: impl Into<Secret>) -> Self {
        let i = &self.inner;
        let client = Self {
            inner: Arc::new(Inner::new(
                i.http.clone(),
                i.base.clone(),
                i.version.clone(),
                token.into(),
                i.app_secret.clone(),
                i.retry.clone(),
                i.budget.clone(),
                i.stats.clone(),
                i.cache.clone(),
                i.max_body,
            )),
            run: self.run.clone(),
        };
        // the same API answers the new token
        *client.inner.served.lock() = i.served.lock().clone();
        client
    }

    /// A clone for one run (one report request) whose HTTP attempts, retries included, all count
    /// against one fresh counter shared by its clones (the pager's included): an attempt that would
    /// make more than `cap` is refused with [`GraphError::RunCallCap`] before the budget is reserved
    /// and before anything is sent. A batch attempt counts its items, as the budget does.
    pub fn with_call_cap(&self, cap: u32) -> GraphClient {
        self.for_run(cap, None)
    }

    /// [`Self::with_call_cap`], accepting cached answers at most `max_age` old (`Some(0)`: none).
    pub fn for_run(&self, cap: u32, max_age: Option<Duration>) -> GraphClient {
        GraphClient {
            inner: self.inner.clone(),
            run: Some(Arc::new(RunCalls {
                cap,
                made: AtomicU32::new(0),
                hits: AtomicU32::new(0),
                max_age,
            })),
        }
    }

    /// Answers this run took from the response cache; `None` outside a run.
    pub fn cache_hits(&self) -> Option<u32> {
        self.run.as_ref().map(|r| r.hits.load(Ordering::Relaxed))
    }

    /// The connection's response cache.
    pub fn cache(&self) -> &Arc<ResponseCache> {
        &self.inner.cache
    }

    /// A value kept under `name` for this token by [`Self::keep`] (a part of an answer, e.g. one
    /// media's insights out of a multi-id answer), within its freshness and the run's `max_age`.
    pub async fn kept(&self, name: &str, class: CacheClass) -> Option<Bytes> {
        if !self.inner.cache.enabled() {
            return None;
        }
        let key = format!("{} #{name}", self.inner.token_key);
        self.cache_lookup(&key, class).await
    }

    /// Keep `body` under `name` for this token, as fresh as `class` (and in the shared tier).
    pub async fn keep(&self, name: &str, class: CacheClass, body: Bytes) {
        if self.inner.cache.enabled() {
            let key = format!("{} #{name}", self.inner.token_key);
            self.cache_store(key, class, body).await;
        }
    }

    /// Calls counted against the per-run cap so far; `None` without a cap.
    pub fn calls_made(&self) -> Option<u32> {
        self.run.as_ref().map(|r| r.made.load(Ordering::Relaxed))
    }

    /// The per-run call cap; `None` without one.
    pub fn call_cap(&self) -> Option<u32> {
        self.run.as_ref().map(|r| r.cap)
    }

    /// Count `cost` calls against the per-run cap, or refuse.
    fn take_run_calls(&self, cost: u32) -> Result<(), GraphError> {
        let Some(run) = &self.run else {
            return Ok(());
        };
        run.made
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |made| {
                made.checked_add(cost).filter(|n| *n <= run.cap)
            })
            .map(drop)
            .map_err(|_| GraphError::RunCallCap { cap: run.cap })
    }

    fn give_back_run_calls(&self, cost: u32) {
        if let Some(run) = &self.run {
            let _ = run
                .made
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |m| {
                    Some(m.saturating_sub(cost))
                });
        }
    }

    /// The largest response body read (after decompression).
    pub fn max_body_bytes(&self) -> usize {
        self.inner.max_body
    }

    /// The key this client's token is budgeted and counted under.
    pub fn token_key(&self) -> &TokenKey {
        &self.inner.token_key
    }

    pub fn budget(&self) -> &Arc<Budget> {
        &self.inner.budget
    }

    pub fn stats(&self) -> CallStatsSnapshot {
        self.inner.stats.snapshot()
    }

    pub fn version(&self) -> &str {
        &self.inner.version
    }

    /// The version that answered (the `facebook-api-version` header of the latest response), once a
    /// response said so. Facebook answers an expired version with the oldest one it still serves
    /// (reference §5.2a), so this can differ from [`Self::version`].
    pub fn served_version(&self) -> Option<String> {
        self.inner.served.lock().clone()
    }

    /// The version the API speaks to this client: the served one when known, else the one asked for.
    pub fn api_version(&self) -> String {
        self.served_version()
            .unwrap_or_else(|| self.inner.version.clone())
    }

    /// Note the `facebook-api-version` header: only a well-formed `vNN.N` is taken (a header is outside
    /// input); a change is logged once, with the version asked for.
    fn observe_version(&self, headers: &reqwest::header::HeaderMap) {
        let Some(v) = headers
            .get(API_VERSION_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| v.len() <= 12 && is_version(v))
        else {
            return;
        };
        let mut served = self.inner.served.lock();
        if served.as_deref() == Some(v) {
            return;
        }
        if v != self.inner.version {
            tracing::info!(
                asked = %self.inner.version,
                served = v,
                "the Graph API answers with another version than the one asked for"
            );
        }
        *served = Some(v.to_owned());
    }

    /// Base URL with a trailing slash.
    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    /// `GET /{version}/{endpoint path}?{params}`, counted under the endpoint's kind.
    pub async fn get(
        &self,
        endpoint: &Endpoint,
        params: &[(&str, String)],
    ) -> Result<GraphResponse, GraphError> {
        let url = self.url_for(endpoint.path(), params)?;
        self.cached_get(url, endpoint.kind()).await
    }

    /// A GET through the response cache: a fresh kept answer costs no call; a successful answer is
    /// kept for its class's freshness.
    async fn cached_get(&self, url: Url, kind: EndpointKind) -> Result<GraphResponse, GraphError> {
        let cache = &self.inner.cache;
        let class = CacheClass::of(kind, &url, chrono::Utc::now()).filter(|_| cache.enabled());
        let Some(class) = class else {
            return self
                .execute(self.prepare(false, url, Vec::new(), kind, 1))
                .await;
        };
        let key = ResponseCache::key(&self.inner.token_key, &url);
        if let Some(body) = self.cache_lookup(&key, class).await {
            tracing::debug!(endpoint = kind.as_str(), "Graph answer from the cache");
            return Ok(GraphResponse {
                status: 200,
                body,
                usage: Usage::default(),
                endpoint: kind,
                attempts: 0,
                cached: true,
            });
        }
        let resp = self
            .execute(self.prepare(false, url, Vec::new(), kind, 1))
            .await?;
        self.cache_store(key, class, resp.body.clone()).await;
        Ok(resp)
    }

    /// A fresh kept answer: this connection's, else one another process kept in the shared tier
    /// (Redis, `--state redis://…`), within the class's freshness and the run's `max_age`. Counted
    /// as a hit of the run. A shared tier that fails is logged and skipped (the call is made).
    async fn cache_lookup(&self, key: &str, class: CacheClass) -> Option<Bytes> {
        let cache = &self.inner.cache;
        let max_age = self.run.as_ref().and_then(|r| r.max_age);
        let mut hit = cache.get(key, max_age);
        let ledger = self.inner.budget.ledger();
        let ttl = cache.config().ttl_of(class);
        let limit = max_age.map_or(ttl, |m| m.min(ttl));
        if hit.is_none() && ledger.shares_cache() && !limit.is_zero() {
            match ledger.cache_get(key).await {
                Ok(Some(v)) => {
                    let now_ms = chrono::Utc::now().timestamp_millis();
                    if let Some((body, age)) = from_shared(&v, now_ms, limit) {
                        cache.put_aged(key.to_string(), class, body.clone(), age);
                        hit = Some(body);
                    }
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "the shared response cache could not be read"),
            }
        }
        if hit.is_some() {
            metrics::counter!(crate::monitoring::CACHE_HITS, "class" => class.name()).increment(1);
        }
        if let (Some(run), true) = (&self.run, hit.is_some()) {
            run.hits.fetch_add(1, Ordering::Relaxed);
        }
        hit
    }

    /// Keep an answer here and, with a shared tier, for the other processes too — without the
    /// credentials the Graph API writes into `paging.next` links (they are dropped when a link is
    /// followed anyway); a body that is not UTF-8 is not kept.
    async fn cache_store(&self, key: String, class: CacheClass, body: Bytes) {
        let Some(body) = self.without_secrets(body) else {
            return;
        };
        let cache = &self.inner.cache;
        let ttl = cache.config().ttl_of(class);
        let ledger = self.inner.budget.ledger();
        if ledger.shares_cache() && !ttl.is_zero() {
            let v = shared_form(&body, chrono::Utc::now().timestamp_millis());
            if let Err(e) = ledger.cache_put(&key, &v, ttl).await {
                tracing::warn!(error = %e, "the shared response cache could not be written");
            }
        }
        cache.put(key, class, body);
    }

    /// [`Self::get`] and decode the body as `T`.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        endpoint: &Endpoint,
        params: &[(&str, String)],
    ) -> Result<T, GraphError> {
        self.get(endpoint, params)
            .await?
            .json()
            .map_err(|e| self.scrub(e))
    }

    /// Follow a `next` URL: its `access_token`/`appsecret_proof` are dropped and ours added; a URL on
    /// another scheme, host or port, with user info, or outside `{base path}/v<digits>.<digits>/…`
    /// is refused with [`GraphError::ForeignNextUrl`] and never requested. The call is counted under
    /// `kind`: the kind of the request whose answer held the URL.
    pub async fn get_url(
        &self,
        kind: EndpointKind,
        next: &str,
    ) -> Result<GraphResponse, GraphError> {
        self.get_url_with(kind, next, &[]).await
    }

    /// [`Self::get_url`], replacing (or adding) the given query parameters, e.g. a smaller `limit`.
    pub async fn get_url_with(
        &self,
        kind: EndpointKind,
        next: &str,
        replace: &[(&str, String)],
    ) -> Result<GraphResponse, GraphError> {
        let url = self.clean_next_url(next, replace)?;
        self.cached_get(url, kind).await
    }

    /// `POST /{version}/{endpoint path}` with a form body (credentials go in the body), counted under
    /// the endpoint's kind. A `batch` field is budgeted as one call per item (reference §3.6: each
    /// item counts against the limits).
    pub async fn post_form(
        &self,
        endpoint: &Endpoint,
        form: &[(&str, String)],
    ) -> Result<GraphResponse, GraphError> {
        let url = self.url_for(endpoint.path(), &[])?;
        let cost = form
            .iter()
            .find(|(k, _)| *k == "batch")
            .and_then(|(_, v)| serde_json::from_str::<Vec<serde::de::IgnoredAny>>(v).ok())
            .map_or(1, |items| items.len().max(1) as u32);
        let form = form
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        self.execute(self.prepare(true, url, form, endpoint.kind(), cost))
            .await
    }

    fn url_for(&self, path: &str, params: &[(&str, String)]) -> Result<Url, GraphError> {
        let path = path.trim_start_matches('/');
        let first = path.split('/').next().unwrap_or("");
        let full = if first == self.inner.version {
            format!("{}{path}", self.inner.base)
        } else {
            format!("{}{}/{path}", self.inner.base, self.inner.version)
        };
        let mut url = Url::parse(&full)
            .map_err(|e| GraphError::Config(format!("bad path {:?}: {e}", redact_url(path))))?;
        if url.origin() != self.inner.base.origin()
            || !url.path().starts_with(self.inner.base.path())
        {
            return Err(GraphError::Config(format!(
                "path {:?} leaves the Graph API base URL",
                redact_url(path)
            )));
        }
        if !params.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(params.iter().map(|(k, v)| (*k, v.as_str())));
        }
        Ok(url)
    }

    /// Check and clean a `next` URL before it is followed. Followed only when it has the configured
    /// scheme, host and port, no user info, and a path of base path + a version segment
    /// (`v<digits>.<digits>`: the one asked for or another one, since Facebook answers an expired
    /// version with a newer one and its `next` links carry that version) + the rest; anything else is
    /// [`GraphError::ForeignNextUrl`]. Its `access_token`/`appsecret_proof` and fragment are dropped.
    fn clean_next_url(&self, next: &str, replace: &[(&str, String)]) -> Result<Url, GraphError> {
        let url = Url::parse(next).map_err(|e| {
            GraphError::Config(format!(
                "paging URL {} is not a URL: {e}",
                bounded_to(&redact_url(next), 300)
            ))
        })?;
        let base = &self.inner.base;
        let rel_path = url.path().strip_prefix(base.path());
        let (version, rest) = rel_path.and_then(|p| p.split_once('/')).unwrap_or(("", ""));
        let ok = url.scheme() == base.scheme()
            && url.host_str() == base.host_str()
            && url.port_or_known_default() == base.port_or_known_default()
            && url.username().is_empty()
            && url.password().is_none()
            && is_version(version)
            && !rest.is_empty();
        if !ok {
            return Err(GraphError::ForeignNextUrl {
                url: bounded_to(&redact_location(next), 300),
                expected: base.as_str().trim_end_matches('/').to_owned(),
            });
        }
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| {
                k != "access_token"
                    && k != "appsecret_proof"
                    && !replace.iter().any(|(r, _)| r == k)
            })
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .chain(replace.iter().map(|(k, v)| ((*k).to_owned(), v.clone())))
            .collect();
        let mut clean = url.clone();
        clean.set_query(None);
        clean.set_fragment(None);
        if !pairs.is_empty() {
            clean.query_pairs_mut().extend_pairs(&pairs);
        }
        Ok(clean)
    }

    fn prepare(
        &self,
        post: bool,
        url: Url,
        form: Vec<(String, String)>,
        endpoint: EndpointKind,
        cost: u32,
    ) -> Prepared {
        let redacted = redact_url(url.as_str());
        Prepared {
            post,
            url,
            form,
            endpoint,
            cost,
            redacted,
        }
    }

    /// One request: every attempt is first counted against the per-run cap and reserved in the
    /// budget, then sent. Failures follow one rule:
    /// * a Graph throttle ([`ErrorClass::RateLimited`] answer) is never retried on the backoff: when
    ///   the answer says how long (`Retry-After`, `estimated_time_to_regain_access`; or usage headers
    ///   at ≥ 100 %, held for the budget's `blocked_pause`) and that fits the budget's `max_wait`,
    ///   the client waits that long once and retries; otherwise it fails at once with
    ///   [`GraphError::Throttled`] (saying when access returns) or
    ///   [`GraphError::ThrottledNoEstimate`] (no time given);
    /// * other [`ErrorClass::Retryable`] failures follow the [`RetryPolicy`];
    /// * everything else is returned at once.
    async fn execute(&self, req: Prepared) -> Result<GraphResponse, GraphError> {
        let inner = &self.inner;
        let start = Instant::now();
        let mut attempts = 0u32;
        let mut waited_for_throttle = false;
        loop {
            self.take_run_calls(req.cost)?;
            if let Err(e) = inner.budget.acquire(&inner.token_key, req.cost).await {
                // Nothing was sent: the per-run counter counts attempts only.
                self.give_back_run_calls(req.cost);
                return Err(e);
            }
            attempts += 1;
            let err = match self.send_once(&req, attempts).await {
                Ok(mut resp) => {
                    resp.attempts = attempts;
                    return Ok(resp);
                }
                Err(err) => err,
            };
            let reason = err.reason();
            if let GraphError::Api(api) = &err
                && api.class == ErrorClass::RateLimited
            {
                let wait = self.throttle_wait(api);
                let max_wait = inner.budget.config().max_wait;
                match wait {
                    Some((wait, _)) if !waited_for_throttle && wait <= max_wait => {
                        tracing::warn!(
                            endpoint = req.endpoint.as_str(),
                            attempt = attempts,
                            wait_ms = wait.as_millis() as u64,
                            reason = %reason,
                            url = %req.redacted,
                            "Graph API throttles: waiting once for access to return"
                        );
                        waited_for_throttle = true;
                        metrics::counter!(crate::monitoring::GRAPH_RETRIES, "endpoint" => req.endpoint.as_str(), "reason" => ErrorClass::RateLimited.as_str())
                            .increment(1);
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    Some((wait, true)) => {
                        return Err(GraphError::Throttled {
                            frees_in: wait,
                            frees_at: utc_after(wait),
                            detail: reason,
                        });
                    }
                    _ => return Err(GraphError::ThrottledNoEstimate { detail: reason }),
                }
            }
            let class = err.class();
            match inner.retry.after_failure(attempts, start.elapsed(), err) {
                Ok(delay) => {
                    tracing::warn!(
                        endpoint = req.endpoint.as_str(),
                        attempt = attempts,
                        delay_ms = delay.as_millis() as u64,
                        reason = %reason,
                        url = %req.redacted,
                        "Graph call failed, retrying"
                    );
                    metrics::counter!(crate::monitoring::GRAPH_RETRIES, "endpoint" => req.endpoint.as_str(), "reason" => class.as_str())
                        .increment(1);
                    tokio::time::sleep(delay).await;
                }
                Err(final_err) => {
                    if class.is_retryable() {
                        tracing::warn!(
                            endpoint = req.endpoint.as_str(),
                            attempt = attempts,
                            reason = %reason,
                            url = %req.redacted,
                            error = %final_err,
                            "Graph call failed, giving up"
                        );
                    }
                    return Err(final_err);
                }
            }
        }
    }

    /// How long a throttle answer asks to wait, and whether that is a time the Graph API gave
    /// (`Retry-After`, `estimated_time_to_regain_access`) rather than our `blocked_pause` estimate
    /// for usage headers at ≥ 100 % without a time. `None`: nothing says how long.
    fn throttle_wait(&self, api: &ApiError) -> Option<(Duration, bool)> {
        if let Some(w) = api.wait_hint {
            return Some((w.min(MAX_SERVER_WAIT), true));
        }
        api.usage_percent.filter(|p| *p >= 100.0).map(|_| {
            (
                self.inner
                    .budget
                    .config()
                    .blocked_pause
                    .min(MAX_SERVER_WAIT),
                false,
            )
        })
    }

    async fn send_once(&self, req: &Prepared, attempt: u32) -> Result<GraphResponse, GraphError> {
        let inner = &self.inner;
        let current = inner.creds.read().clone();
        let mut creds = vec![("access_token", current.token.expose())];
        if let Some(proof) = &current.proof {
            creds.push(("appsecret_proof", proof.expose()));
        }
        let builder = if req.post {
            let mut form: Vec<(&str, &str)> = req
                .form
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            form.extend(creds);
            inner.http.post(req.url.clone()).form(&form)
        } else {
            let mut url = req.url.clone();
            url.query_pairs_mut().extend_pairs(creds);
            inner.http.get(url)
        };
        tracing::debug!(endpoint = req.endpoint.as_str(), attempt, url = %req.redacted, "Graph request");
        let record =
            |outcome: &'static str| inner.stats.record(req.endpoint, &inner.token_key, outcome);
        let transport = |e: reqwest::Error| {
            let timeout = e.is_timeout();
            let untrusted = is_certificate_error(&e);
            let mut message = error_chain(e.without_url());
            let secrets = self.secrets();
            scrub_in(&mut message, &secrets.each_ref().map(String::as_str));
            if untrusted {
                record(ErrorClass::Fatal.as_str());
                return GraphError::UntrustedCertificate {
                    endpoint: req.endpoint,
                    url: req.redacted.clone(),
                    message: bounded_to(&message, 500),
                };
            }
            record(ErrorClass::Retryable.as_str());
            GraphError::Transport {
                endpoint: req.endpoint,
                url: req.redacted.clone(),
                message: bounded_to(&message, 500),
                timeout,
            }
        };
        let mut resp = builder.send().await.map_err(&transport)?;
        let status = resp.status().as_u16();
        let usage = Usage::from_headers(resp.headers());
        if !usage.is_empty() {
            inner.budget.observe_usage(&inner.token_key, &usage);
        }
        self.observe_version(resp.headers());
        let retry_after = retry_after(resp.headers());
        if (300..400).contains(&status) {
            // Never followed (the redirect policy is `none`): it would carry the token elsewhere.
            record(ErrorClass::Fatal.as_str());
            let location = resp
                .headers()
                .get(LOCATION)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
            return Err(self.redirect_error(req, status, location));
        }
        let is_html = resp
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.to_ascii_lowercase().contains("html"));
        let success = (200..300).contains(&status);
        // The body, read as a stream and counted after decompression: a 2xx body over the cap is
        // an error; of an error body only the start is kept.
        let cap = if success {
            inner.max_body
        } else {
            inner.max_body.min(MAX_ERROR_BODY_BYTES)
        };
        let too_large = || {
            record(ErrorClass::Fatal.as_str());
            GraphError::BodyTooLarge {
                endpoint: req.endpoint,
                url: req.redacted.clone(),
                cap: inner.max_body,
            }
        };
        if success && resp.content_length().is_some_and(|n| n > cap as u64) {
            return Err(too_large());
        }
        let mut buf = BytesMut::new();
        while let Some(chunk) = resp.chunk().await.map_err(&transport)? {
            if buf.len() + chunk.len() > cap {
                if success {
                    return Err(too_large());
                }
                buf.extend_from_slice(&chunk[..cap - buf.len()]);
                break;
            }
            buf.extend_from_slice(&chunk);
        }
        drop(resp);
        let body = buf.freeze();
        let is_json = looks_like_json(&body);
        let secrets = self.secrets();
        let secrets = secrets.each_ref().map(String::as_str);
        let snippet = || {
            // Scrubbed before it is cut, so that no cut leaves a piece of a secret behind.
            let window = 4 * SNIPPET_CHARS + secrets.iter().map(|s| s.len()).max().unwrap_or(0);
            let mut s = String::from_utf8_lossy(&body[..body.len().min(window)]).into_owned();
            scrub_in(&mut s, &secrets);
            bounded_to(&s, SNIPPET_CHARS)
        };
        if success && is_json {
            record("ok");
            return Ok(GraphResponse {
                status,
                body,
                usage,
                endpoint: req.endpoint,
                attempts: attempt,
                cached: false,
            });
        }
        if success {
            record(ErrorClass::Fatal.as_str());
            return Err(not_json(req, status, is_html, &body, snippet()));
        }
        let parsed = serde_json::from_slice::<ErrorEnvelope>(&body)
            .ok()
            .map(|e| e.error);
        let class = match &parsed {
            Some(b) => classify(status, Some(b)),
            // A non-JSON error page (an HTML 503 from a proxy) is retryable only as 5xx / 429.
            None => classify(status, None),
        };
        record(class.as_str());
        let snippet = parsed.is_none().then(snippet);
        let wait_hint = match (retry_after, usage.regain_after()) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
        .map(|w| w.min(MAX_SERVER_WAIT));
        let mut api = ApiError {
            class,
            status,
            body: parsed,
            endpoint: req.endpoint,
            url: req.redacted.clone(),
            wait_hint,
            usage_percent: usage.max_percent(),
            snippet,
        };
        api.scrub(&secrets);
        if let Some(b) = &mut api.body {
            b.bound();
        }
        Err(GraphError::Api(Box::new(api)))
    }

    /// A 3xx answer: never followed (the redirect policy is `none`: it would carry the token
    /// elsewhere); the error names where it pointed, redacted and bounded.
    fn redirect_error(&self, req: &Prepared, status: u16, location: Option<String>) -> GraphError {
        let what = match location {
            Some(l) => {
                let mut l = redact_location(&l);
                let secrets = self.secrets();
                scrub_in(&mut l, &secrets.each_ref().map(String::as_str));
                format!("a redirect to {}", bounded_to(&l, 200))
            }
            None => "a redirect without a location".to_owned(),
        };
        GraphError::NotGraphApi {
            endpoint: req.endpoint,
            url: req.redacted.clone(),
            status,
            what,
        }
    }

    /// `body` with every credential (as is, and URL-encoded) replaced by `****`; `None` when it is not
    /// UTF-8 text.
    fn without_secrets(&self, body: Bytes) -> Option<Bytes> {
        let text = std::str::from_utf8(&body).ok()?;
        let secrets = self.secrets();
        let forms: Vec<String> = secrets
            .iter()
            .filter(|s| !s.is_empty())
            .flat_map(|s| {
                [
                    s.clone(),
                    url::form_urlencoded::byte_serialize(s.as_bytes()).collect(),
                ]
            })
            .collect();
        if !forms.iter().any(|f| text.contains(f.as_str())) {
            return Some(body);
        }
        let mut clean = text.to_string();
        let refs: Vec<&str> = forms.iter().map(String::as_str).collect();
        scrub_in(&mut clean, &refs);
        Some(Bytes::from(clean))
    }

    fn secrets(&self) -> [String; 3] {
        let i = &self.inner;
        let creds = i.creds.read();
        [
            creds.token.expose().to_string(),
            i.app_secret
                .as_ref()
                .map_or(String::new(), |s| s.expose().to_string()),
            creds
                .proof
                .as_ref()
                .map_or(String::new(), |s| s.expose().to_string()),
        ]
    }

    /// Use `token` from now on (a renewed or reconnected token of the same user): calls already
    /// sent keep the old one; the budget and stats stay keyed as before.
    pub fn replace_token(&self, token: Secret) {
        let creds = Creds::new(token, self.inner.app_secret.as_ref());
        *self.inner.creds.write() = creds;
    }

    /// Whether `token` is the token in use.
    pub fn uses_token(&self, token: &Secret) -> bool {
        self.inner.creds.read().token.expose() == token.expose()
    }

    /// Remove our secrets from an error's free text (decode messages can quote the body).
    pub(crate) fn scrub(&self, mut err: GraphError) -> GraphError {
        if let GraphError::Decode { message, .. } = &mut err {
            let secrets = self.secrets();
            scrub_in(message, &secrets.each_ref().map(String::as_str));
        }
        err
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

/// A 2xx answer that is not Graph API JSON (an HTML page, a captive portal): not transient.
fn not_json(
    req: &Prepared,
    status: u16,
    is_html: bool,
    body: &[u8],
    snippet: String,
) -> GraphError {
    let kind = if is_html || body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<') {
        "HTML"
    } else {
        "a body that is not JSON"
    };
    GraphError::NotGraphApi {
        endpoint: req.endpoint,
        url: req.redacted.clone(),
        status,
        what: format!("{kind} instead of Graph API JSON (starting {snippet:?})"),
    }
}

fn looks_like_json(body: &[u8]) -> bool {
    matches!(
        body.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'{' | b'[')
    )
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = headers.get(RETRY_AFTER)?.to_str().ok()?;
    retry_after_value(text, chrono::Utc::now())
}

/// A `Retry-After` value: delay seconds, or an HTTP date (RFC 9110: `Sun, 06 Nov 1994 08:49:37 GMT`)
/// counted from `now` (a date already past means no wait). At most [`MAX_SERVER_WAIT`], whatever the
/// value (`9000000000000`, or more digits than a `u64` holds); garbage is `None`. Never panics.
pub(crate) fn retry_after_value(
    text: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<Duration> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        let secs = text.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(secs).min(MAX_SERVER_WAIT));
    }
    let at = chrono::DateTime::parse_from_rfc2822(text).ok()?;
    let wait = at.with_timezone(&chrono::Utc).signed_duration_since(now);
    Some(wait.to_std().unwrap_or(Duration::ZERO).min(MAX_SERVER_WAIT))
}

/// A redirect `Location` or foreign URL as it may be shown: credentials in the query redacted and
/// user info (`user:pass@`) removed.
fn redact_location(location: &str) -> String {
    match Url::parse(location) {
        Ok(mut u) => {
            if !u.username().is_empty() || u.password().is_some() {
                let _ = u.set_username("REDACTED");
                let _ = u.set_password(None);
            }
            redact_url(u.as_str())
        }
        Err(_) => redact_url(location),
    }
}

/// Whether a request failed because the server's certificate was refused: rustls's
/// `InvalidCertificate` among the error's causes. An `io::Error` hides the error it wraps from
/// `source()` (hyper wraps rustls's error in two of them), so each is opened with `get_ref`; the depth
/// is bounded.
fn is_certificate_error(err: &reqwest::Error) -> bool {
    fn refused(e: &(dyn std::error::Error + 'static), depth: u8) -> bool {
        if depth == 0 {
            return false;
        }
        if let Some(rustls::Error::InvalidCertificate(_)) = e.downcast_ref::<rustls::Error>() {
            return true;
        }
        let wrapped = e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .is_some_and(|inner| refused(inner, depth - 1));
        wrapped || e.source().is_some_and(|s| refused(s, depth - 1))
    }
    refused(err, 16)
}

fn error_chain(err: reqwest::Error) -> String {
    let mut message = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    message
}

#[cfg(test)]
mod tests {
    #[test]
    fn retry_after_takes_seconds_or_an_http_date() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-28T12:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(
            retry_after_value(" 120 ", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            retry_after_value("Sat, 28 Nov 2026 12:01:30 GMT", now),
            Some(Duration::from_secs(90))
        );
        assert_eq!(
            retry_after_value("Sat, 28 Nov 2026 11:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after_value("soon", now), None);
    }

    use super::*;

    #[test]
    fn appsecret_proof_is_hmac_sha256_hex() {
        // HMAC-SHA256(key="key", "The quick brown fox jumps over the lazy dog"), a published test vector.
        let proof = appsecret_proof(
            &Secret::new("key"),
            &Secret::new("The quick brown fox jumps over the lazy dog"),
        );
        assert_eq!(
            proof,
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
        );
    }

    #[test]
    fn builds_urls_under_base_and_version() {
        let c = GraphClient::builder("tok")
            .base_url("http://127.0.0.1:9/prefix")
            .build()
            .unwrap();
        let u = c
            .url_for("/17841/media", &[("fields", "id,caption".into())])
            .unwrap();
        assert_eq!(
            u.as_str(),
            "http://127.0.0.1:9/prefix/v15.0/17841/media?fields=id%2Ccaption"
        );
        let u = c.url_for("v15.0/me", &[]).unwrap();
        assert_eq!(u.as_str(), "http://127.0.0.1:9/prefix/v15.0/me");
        assert!(c.url_for("../../etc", &[]).is_err());
    }

    #[test]
    fn next_urls_are_cleaned_and_checked() {
        let c = GraphClient::builder("tok")
            .base_url("https://graph.facebook.com")
            .build()
            .unwrap();
        let u = c
            .clean_next_url(
                "https://graph.facebook.com/v15.0/17841/media?access_token=EAAGsecret&appsecret_proof=p&limit=25&after=QVFI",
                &[("limit", "7".into())],
            )
            .unwrap();
        assert_eq!(
            u.as_str(),
            "https://graph.facebook.com/v15.0/17841/media?after=QVFI&limit=7"
        );
        let err = c
            .clean_next_url(
                "https://evil.example.com/v15.0/17841/media?access_token=EAAGsecret",
                &[],
            )
            .unwrap_err();
        assert!(matches!(err, GraphError::ForeignNextUrl { .. }));
        assert!(!format!("{err} {err:?}").contains("EAAGsecret"));
        assert!(
            c.clean_next_url("http://graph.facebook.com/v15.0/x", &[])
                .is_err(),
            "scheme is part of the origin"
        );
    }

    #[test]
    fn next_urls_must_stay_under_base_and_a_version_segment() {
        let c = GraphClient::builder("tok")
            .base_url("http://127.0.0.1:8089/prefix")
            .build()
            .unwrap();
        let ok = |u: &str| c.clean_next_url(u, &[]).map(|u| u.to_string());
        // The version asked for, or another one (an expired version answered by a newer one).
        for good in [
            "http://127.0.0.1:8089/prefix/v15.0/17841/media?after=A",
            "http://127.0.0.1:8089/prefix/v22.0/17841/media?after=A",
            "HTTP://127.0.0.1:8089/prefix/v7.10/1/comments#frag",
        ] {
            assert!(ok(good).is_ok(), "{good}: {:?}", ok(good));
        }
        assert_eq!(
            ok("http://127.0.0.1:8089/prefix/v15.0/x/../17841/media").unwrap(),
            "http://127.0.0.1:8089/prefix/v15.0/17841/media"
        );
        for bad in [
            // same origin, outside /vNN.N/
            "http://127.0.0.1:8089/prefix/admin/delete?access_token=x",
            "http://127.0.0.1:8089/prefix/17841/media",
            "http://127.0.0.1:8089/prefix/v15/17841/media",
            "http://127.0.0.1:8089/prefix/v15.0a/17841/media",
            "http://127.0.0.1:8089/prefix/v.0/17841/media",
            "http://127.0.0.1:8089/prefix/v15./17841/media",
            "http://127.0.0.1:8089/prefix/v15.0",
            "http://127.0.0.1:8089/prefix/v15.0/",
            "http://127.0.0.1:8089/prefix/v15.0/../../admin",
            "http://127.0.0.1:8089/prefix/v15.0/%2e%2e/%2e%2e/admin",
            "http://127.0.0.1:8089/prefixv15.0/17841/media",
            "http://127.0.0.1:8089/other/v15.0/17841/media",
            "http://127.0.0.1:8089/v15.0/17841/media",
            // another port, host or scheme
            "http://127.0.0.1:8090/prefix/v15.0/17841/media",
            "http://127.0.0.1/prefix/v15.0/17841/media",
            "http://localhost:8089/prefix/v15.0/17841/media",
            "https://127.0.0.1:8089/prefix/v15.0/17841/media",
            // user info
            "http://user:pass@127.0.0.1:8089/prefix/v15.0/17841/media",
            "http://user@127.0.0.1:8089/prefix/v15.0/17841/media",
        ] {
            match c.clean_next_url(bad, &[]) {
                Err(GraphError::ForeignNextUrl { url, expected }) => {
                    assert_eq!(expected, "http://127.0.0.1:8089/prefix");
                    assert!(
                        !url.contains("pass@") && !url.contains("access_token=x"),
                        "{url}"
                    );
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
        // Default ports are the same port.
        let c = GraphClient::builder("tok").build().unwrap();
        assert!(
            c.clean_next_url("https://graph.facebook.com:443/v15.0/1/media", &[])
                .is_ok()
        );
        assert!(
            c.clean_next_url("https://graph.facebook.com:8443/v15.0/1/media", &[])
                .is_err()
        );
    }

    #[test]
    fn retry_after_is_clamped() {
        let now = chrono::Utc::now();
        assert_eq!(
            retry_after_value("9000000000000", now),
            Some(MAX_SERVER_WAIT)
        );
        assert_eq!(
            retry_after_value(&"9".repeat(100), now),
            Some(MAX_SERVER_WAIT)
        );
        assert_eq!(
            retry_after_value("Fri, 31 Dec 9999 23:59:59 GMT", now),
            Some(MAX_SERVER_WAIT)
        );
        assert_eq!(retry_after_value("-5", now), None);
        assert_eq!(retry_after_value("1e30", now), None);
        assert_eq!(retry_after_value("", now), None);
    }

    #[test]
    fn redirect_locations_lose_user_info_and_credentials() {
        let r = redact_location("https://u:secretpw@x.example/a?access_token=EAAG1&b=2");
        assert!(!r.contains("secretpw") && !r.contains("EAAG1"), "{r}");
        assert!(r.contains("x.example/a") && r.contains("b=2"), "{r}");
        assert_eq!(
            redact_location("/relative?code=abc"),
            "/relative?code=REDACTED"
        );
    }

    mod props {
        use super::*;
        use crate::graph::testutil::arb;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(arb::config())]

            /// Any `Retry-After` text, at any time: no wait or one of at most a day; never a panic.
            #[test]
            fn retry_after_never_panics(
                text in prop_oneof![
                    arb::header_text(),
                    (0i64..253_402_300_000).prop_map(|s| {
                        chrono::DateTime::from_timestamp(s, 0).map_or(String::new(), |d| d.to_rfc2822())
                    }),
                ],
                now in 0i64..8_000_000_000,
            ) {
                let now = chrono::DateTime::from_timestamp(now, 0).unwrap();
                if let Some(w) = retry_after_value(&text, now) {
                    prop_assert!(w <= MAX_SERVER_WAIT);
                }
            }

            /// Any `next` URL: refused, or followed only on the configured origin under a version.
            #[test]
            fn next_url_checks_never_panic(json in arb::json(), text in arb::header_text()) {
                let c = GraphClient::builder("tok")
                    .base_url("http://127.0.0.1:8089/prefix")
                    .build()
                    .unwrap();
                for next in [json.as_str().unwrap_or_default(), text.as_str()] {
                    if let Ok(url) = c.clean_next_url(next, &[("limit", "5".into())]) {
                        prop_assert_eq!(url.host_str(), Some("127.0.0.1"));
                        prop_assert_eq!(url.port(), Some(8089));
                        prop_assert!(url.username().is_empty() && url.password().is_none());
                        let rest = url.path().strip_prefix("/prefix/").unwrap();
                        prop_assert!(is_version(rest.split('/').next().unwrap()));
                        prop_assert!(!url.as_str().contains("access_token"));
                    }
                }
            }
        }
    }

    #[test]
    fn rejects_bad_config() {
        assert!(
            GraphClient::builder("t")
                .base_url("not a url")
                .build()
                .is_err()
        );
        assert!(
            GraphClient::builder("t")
                .base_url("ftp://x")
                .build()
                .is_err()
        );
        assert!(GraphClient::builder("t").version("").build().is_err());
        let c = GraphClient::builder("EAAGsecret")
            .app_secret("appsecret")
            .build()
            .unwrap();
        let dbg = format!("{c:?}");
        assert!(
            !dbg.contains("EAAGsecret") && !dbg.contains("appsecret\""),
            "{dbg}"
        );
    }
}
