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
}

impl Reply {
    pub fn json(body: serde_json::Value) -> Self {
        Self {
            status: 200,
            headers: Vec::new(),
            body: body.to_string(),
        }
    }

    pub fn error(status: u16, error: serde_json::Value) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: serde_json::json!({ "error": error }).to_string(),
        }
    }

    pub fn raw(status: u16, body: &str) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: body.to_owned(),
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
    let mut resp = (StatusCode::from_u16(reply.status).unwrap(), reply.body).into_response();
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
