//! The HTTP surface of the simulator: one axum [`Router`] with the Graph API's routes.
//!
//! | route                          | answered by                                        |
//! |--------------------------------|----------------------------------------------------|
//! | `GET /__stats`, `POST /__stats/reset` | the counters ([`StatsSnapshot`](super::StatsSnapshot)) |
//! | `GET`/`POST /__sim/clock`      | the data clock (the module docs of `sim`)         |
//! | `POST /` (`batch=[…]`)         | [`batch`](super::batch)                            |
//! | `/` (`ids=a,b`)                | the nodes by id                                    |
//! | `/ig_hashtag_search`           | [`hashtags`](super::hashtags)                      |
//! | `/oauth/access_token`, `/dialog/oauth`, `/debug_token` | [`oauth`](super::oauth)    |
//! | `/{node}`, `/{node}/{edge}`    | [`ctx`](super::ctx): nodes and edges               |
//! | `/{node}/{edge}/{*rest}`       | `Unknown path components` (code 2500), as Facebook |
//!
//! Graph paths may start with a version (`/v15.0/me`) or not (`/me`): the version is taken off before
//! the Graph routes match, and links in answers repeat it. Every Graph route answers any method, as
//! Facebook does (a non-GET read is refused with `Unsupported post request`).

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{Method, StatusCode, Uri, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use url::form_urlencoded;

use super::call::{Call, Target};
use super::state::{AppState, Out, OutBody};

/// The simulator's router.
pub(crate) fn router(st: Arc<AppState>) -> Router {
    Router::new()
        // the simulator's own endpoints (not Graph calls: never versioned, never counted)
        .route("/__stats", get(stats_get))
        .route("/__stats/reset", post(stats_reset))
        .route("/__sim/clock", get(clock_get).post(clock_post))
        .fallback_service(versioned(graph_routes(st.clone())))
        .with_state(st)
}

/// The Graph API's routes, on paths without the version.
pub(super) fn graph_routes(st: Arc<AppState>) -> Router {
    Router::new()
        .route("/", post(batch).fallback(ids))
        .route("/ig_hashtag_search", any(hashtag_search))
        .route("/oauth/access_token", any(oauth))
        .route("/dialog/oauth", any(dialog))
        .route("/debug_token", any(debug_token))
        .route("/{node}", any(node))
        .route("/{node}/{edge}", any(edge))
        .route("/{node}/{edge}/{*rest}", any(deeper))
        .with_state(st)
}

/// `routes` behind an optional version prefix: the prefix is taken off (into [`ApiVersion`]) before
/// they match. (A layer on `routes` itself would run after their matching.)
fn versioned(routes: Router) -> Router {
    Router::new()
        .fallback_service(routes)
        .layer(middleware::map_request(strip_version))
}

/// The version a request's path started with (`v15.0`), if any.
#[derive(Debug, Clone)]
struct ApiVersion(Option<String>);

async fn strip_version(mut req: Request) -> Request {
    let (version, segs) = split_path(req.uri().path());
    let mut path = router_path(&segs);
    if let Some(q) = req.uri().query() {
        path.push('?');
        path.push_str(q);
    }
    if let Ok(uri) = Uri::try_from(path) {
        *req.uri_mut() = uri;
    }
    req.extensions_mut().insert(ApiVersion(version));
    req
}

/// Split `/v15.0/a/b` into (`Some("v15.0")`, `["a","b"]`) (empty segments are dropped).
pub(super) fn split_path(path: &str) -> (Option<String>, Vec<String>) {
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

/// The path the routes match for `segs`. The router percent-decodes what it captures, while the
/// simulator answers with ids exactly as the request wrote them (`%31` stays `%31`), so each segment is
/// percent-encoded once more: `%` and anything that is not a plain path character.
pub(super) fn router_path(segs: &[String]) -> String {
    let mut out = String::from("/");
    for (i, seg) in segs.iter().enumerate() {
        if i > 0 {
            out.push('/');
        }
        for b in seg.bytes() {
            if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&b) {
                out.push(char::from(b));
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

/// One Graph call as the pipeline sees it.
#[derive(Debug, Clone)]
pub(super) struct GraphRequest {
    pub method: Method,
    /// `v15.0` when the path had a version.
    pub version: Option<String>,
    /// The query string's parameters, then a form body's (POST).
    pub params: Vec<(String, String)>,
    /// `http://host:port` (from `Host`), for links.
    pub base: String,
    /// An item of a batch (built by the batch, carried in the request's extensions).
    pub batch_item: bool,
}

impl FromRequest<Arc<AppState>> for GraphRequest {
    type Rejection = Response;

    async fn from_request(mut req: Request, st: &Arc<AppState>) -> Result<Self, Response> {
        if let Some(item) = req.extensions_mut().remove::<GraphRequest>() {
            return Ok(item);
        }
        let method = req.method().clone();
        let version = req
            .extensions()
            .get::<ApiVersion>()
            .and_then(|v| v.0.clone());
        let mut params: Vec<(String, String)> = req
            .uri()
            .query()
            .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
            .unwrap_or_default();
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("json"));
        let base = req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(|h| format!("http://{h}"))
            .unwrap_or_else(|| format!("http://{}", st.addr));
        let body = Bytes::from_request(req, st)
            .await
            .map_err(IntoResponse::into_response)?;
        if method == Method::POST && !body.is_empty() && !is_json {
            params.extend(form_urlencoded::parse(&body).into_owned());
        }
        Ok(GraphRequest {
            method,
            version,
            params,
            base,
            batch_item: false,
        })
    }
}

type St = State<Arc<AppState>>;

async fn batch(State(st): St, req: GraphRequest) -> Response {
    st.serve(req, Call::Batch).await
}

async fn ids(State(st): St, req: GraphRequest) -> Response {
    st.serve(req, Call::Graph(Target::Ids)).await
}

async fn hashtag_search(State(st): St, req: GraphRequest) -> Response {
    st.serve(req, Call::Graph(Target::HashtagSearch)).await
}

async fn oauth(State(st): St, req: GraphRequest) -> Response {
    st.serve(req, Call::OAuth).await
}

async fn dialog(State(st): St, req: GraphRequest) -> Response {
    st.serve(req, Call::Dialog).await
}

async fn debug_token(State(st): St, req: GraphRequest) -> Response {
    st.serve(req, Call::DebugToken).await
}

async fn node(State(st): St, Path(node): Path<String>, req: GraphRequest) -> Response {
    st.serve(req, Call::Graph(Target::Node(node))).await
}

async fn edge(
    State(st): St,
    Path((node, edge)): Path<(String, String)>,
    req: GraphRequest,
) -> Response {
    st.serve(req, Call::Graph(Target::Edge(node, edge))).await
}

async fn deeper(
    State(st): St,
    Path((node, edge, rest)): Path<(String, String, String)>,
    req: GraphRequest,
) -> Response {
    st.serve(req, Call::Graph(Target::Deeper { node, edge, rest }))
        .await
}

async fn stats_get(State(st): St) -> Response {
    axum::Json(st.snapshot()).into_response()
}

async fn stats_reset(State(st): St) -> Response {
    st.reset_stats();
    axum::Json(st.snapshot()).into_response()
}

/// What `POST /__sim/clock` accepts, for its refusals.
const CLOCK_ACCEPTED: [&str; 2] = [
    r#"{"now": "2026-12-03T10:00:00Z"}: an RFC 3339 time, not earlier than the clock"#,
    r#"{"advance_secs": 86400}: whole seconds, 0 or more"#,
];

/// A move of the clock asked for by `POST /__sim/clock`.
enum ClockMove {
    To(DateTime<Utc>),
    By(chrono::Duration),
}

/// Read a `POST /__sim/clock` body: one of the [`CLOCK_ACCEPTED`] objects.
fn clock_move(body: &[u8]) -> Result<ClockMove, String> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| format!("the body is not JSON ({e}); send a JSON object"))?;
    let Value::Object(o) = v else {
        return Err("the body must be a JSON object".into());
    };
    if let Some(k) = o.keys().find(|k| *k != "now" && *k != "advance_secs") {
        return Err(format!("unknown key `{k}`"));
    }
    match (o.get("now"), o.get("advance_secs")) {
        (Some(_), Some(_)) => Err("give `now` or `advance_secs`, not both".into()),
        (None, None) => Err("give `now` or `advance_secs`".into()),
        (Some(t), None) => t
            .as_str()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| ClockMove::To(t.with_timezone(&Utc)))
            .ok_or_else(|| {
                let t = t.to_string();
                let shown = crate::telemetry::bounded(&t, crate::telemetry::LOG_VALUE_CHARS);
                format!("`now` must be an RFC 3339 time as a string, not {shown}")
            }),
        (None, Some(n)) => n
            .as_u64()
            .and_then(|n| i64::try_from(n).ok())
            .and_then(chrono::Duration::try_seconds)
            .map(ClockMove::By)
            .ok_or_else(|| format!("`advance_secs` must be whole seconds, 0 or more, not {n}")),
    }
}

/// The clock as the admin endpoint answers it.
fn clock_body(st: &AppState, now: DateTime<Utc>) -> Value {
    let ts = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::AutoSi, true);
    json!({"now": ts(now), "start": ts(st.start())})
}

async fn clock_get(State(st): St) -> Response {
    axum::Json(clock_body(&st, st.now())).into_response()
}

async fn clock_post(State(st): St, body: Bytes) -> Response {
    let moved = clock_move(&body).and_then(|m| {
        match m {
            ClockMove::To(t) => st.set_now(t),
            ClockMove::By(d) => st.advance(d),
        }
        .map_err(|e| e.to_string())
    });
    match moved {
        Ok(now) => {
            tracing::info!(now = %now, "sim clock moved");
            axum::Json(clock_body(&st, now)).into_response()
        }
        Err(message) => (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": {"message": message, "accepted": CLOCK_ACCEPTED}})),
        )
            .into_response(),
    }
}

/// The HTTP response of an answer; `drop_body`: send half the body, then fail the connection.
pub(super) fn build_response(out: Out, drop_body: bool) -> Response {
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
