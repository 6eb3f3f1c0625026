//! A scriptable in-test Graph server (axum on 127.0.0.1:0) that records every request.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use parking_lot::Mutex;

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: HashMap<String, String>,
    pub raw_query: String,
    pub body: String,
}

/// A scripted answer.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// Raw body bytes, sent instead of `body` (e.g. a gzip stream).
    pub bytes: Option<Vec<u8>>,
}

impl Reply {
    pub fn json(body: serde_json::Value) -> Self {
        Self {
            status: 200,
            headers: Vec::new(),
            body: body.to_string(),
            bytes: None,
        }
    }

    /// Raw bytes as the body.
    pub fn bytes(status: u16, bytes: Vec<u8>) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: String::new(),
            bytes: Some(bytes),
        }
    }

    pub fn error(status: u16, error: serde_json::Value) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: serde_json::json!({ "error": error }).to_string(),
            bytes: None,
        }
    }

    pub fn raw(status: u16, body: &str) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: body.to_owned(),
            bytes: None,
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

type Handler = Arc<dyn Fn(&Seen, &str) -> Reply + Send + Sync>;

#[derive(Clone)]
struct AppState {
    seen: Arc<Mutex<Vec<Seen>>>,
    handler: Handler,
    base: Arc<Mutex<String>>,
}

pub struct TestServer {
    pub base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl TestServer {
    /// Serve `handler(request, base_url)` for every request.
    pub async fn start(handler: impl Fn(&Seen, &str) -> Reply + Send + Sync + 'static) -> Self {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let base = Arc::new(Mutex::new(String::new()));
        let state = AppState {
            seen: seen.clone(),
            handler: Arc::new(handler),
            base: base.clone(),
        };
        let app = Router::new().fallback(serve).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        *base.lock() = url.clone();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self { base: url, seen }
    }

    /// Answer the scripted replies in order; after the last one, repeat it.
    pub async fn script(replies: Vec<Reply>) -> Self {
        let next = Mutex::new(0usize);
        Self::start(move |_, _| {
            let mut i = next.lock();
            let r = replies[(*i).min(replies.len() - 1)].clone();
            *i += 1;
            r
        })
        .await
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().clone()
    }

    pub fn hits(&self) -> usize {
        self.seen.lock().len()
    }
}

async fn serve(State(state): State<AppState>, req: Request) -> Response {
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    let raw_query = req.uri().query().unwrap_or("").to_owned();
    let query = url::form_urlencoded::parse(raw_query.as_bytes())
        .into_owned()
        .collect();
    let body: Bytes = axum::body::to_bytes(req.into_body(), 1 << 20)
        .await
        .unwrap_or_default();
    let seen = Seen {
        method,
        path,
        query,
        raw_query,
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    state.seen.lock().push(seen.clone());
    let base = state.base.lock().clone();
    let reply = (state.handler)(&seen, &base);
    let status = StatusCode::from_u16(reply.status).unwrap();
    let mut resp = match reply.bytes {
        Some(bytes) => (status, bytes).into_response(),
        None => (status, reply.body).into_response(),
    };
    resp.headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    for (k, v) in reply.headers {
        resp.headers_mut().insert(
            HeaderName::try_from(k).unwrap(),
            HeaderValue::try_from(v).unwrap(),
        );
    }
    resp
}

/// `len` zero bytes, gzip-compressed (about a thousandth of `len`): a small body that decompresses
/// past a cap.
pub fn gzip_zeros(len: usize) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let chunk = vec![0u8; 1 << 16];
    let mut left = len;
    while left > 0 {
        let n = left.min(chunk.len());
        enc.write_all(&chunk[..n]).unwrap();
        left -= n;
    }
    enc.finish().unwrap()
}

/// Property-test strategies shared by the graph modules.
pub mod arb {
    use proptest::prelude::*;
    use serde_json::Value;

    /// Keys the Graph client looks at, so that generated documents hit the interesting paths.
    const KEYS: &[&str] = &[
        "id",
        "data",
        "paging",
        "next",
        "previous",
        "cursors",
        "after",
        "before",
        "error",
        "code",
        "error_subcode",
        "message",
        "is_transient",
        "type",
        "call_count",
        "total_time",
        "total_cputime",
        "estimated_time_to_regain_access",
        "17841",
        "business_discovery",
        "media",
    ];

    fn number() -> impl Strategy<Value = Value> {
        prop_oneof![
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>()
                .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
            prop::sample::select(vec![
                0.0,
                0.5,
                19.0,
                99.9,
                100.0,
                1e30,
                2e11,
                9e12,
                -1.0,
                -1e30,
                f64::MAX,
                f64::MIN,
                f64::MIN_POSITIVE,
            ])
            .prop_map(Value::from),
        ]
    }

    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => prop::sample::select(KEYS).prop_map(str::to_owned),
            1 => ".{0,8}",
        ]
    }

    /// Any JSON document, biased towards Graph-shaped keys and extreme numbers.
    pub fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            number(),
            ".{0,16}".prop_map(Value::String),
            "(https?|ftp)://[a-z0-9.:@]{0,20}/(v[0-9]{1,2}\\.[0-9])?/?[a-z0-9/._%]{0,20}(\\?[a-z=&_]{0,20})?"
                .prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec((key(), inner), 0..6)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    /// Body bytes: JSON documents, their truncations, or noise.
    pub fn body() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            json().prop_map(|v| v.to_string().into_bytes()),
            (json(), any::<prop::sample::Index>()).prop_map(|(v, cut)| {
                let s = v.to_string().into_bytes();
                let n = cut.index(s.len() + 1);
                s[..n].to_vec()
            }),
            prop::collection::vec(any::<u8>(), 0..64),
        ]
    }

    /// A header value as a server might send it: JSON (usage shapes) or any printable text.
    pub fn header_text() -> impl Strategy<Value = String> {
        prop_oneof![
            json().prop_map(|v| v.to_string()),
            (number(), number(), number()).prop_map(|(a, b, c)| format!(
                r#"{{"17841":[{{"type":"instagram","call_count":{a},"total_time":{b},"estimated_time_to_regain_access":{c}}}]}}"#
            )),
            (number(), number()).prop_map(|(a, b)| format!(
                r#"{{"call_count":{a},"total_time":{b},"total_cputime":{a}}}"#
            )),
            "[ -~]{0,40}",
            "[0-9]{0,40}",
        ]
    }

    /// Few cases, no regression files: these run with the unit tests.
    pub fn config() -> ProptestConfig {
        ProptestConfig {
            cases: 64,
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    }
}
