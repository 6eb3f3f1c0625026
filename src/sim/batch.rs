//! Batch requests (`POST /` with `batch=[{method, relative_url}, …]`, at most 50): each item is a
//! request routed by the same [`graph_routes`] as an HTTP request, with the batch's token and
//! `appsecret_proof` unless it has its own; it is counted in `/__stats` but gets no fault or latency
//! (the batch request had those).

use std::sync::Arc;

use axum::body::Body;
use axum::handler::Handler;
use axum::http::{Method, Request};
use axum::routing::{MethodRouter, any_service};
use serde_json::{Value, json};
use url::form_urlencoded;

use super::error::GraphError;
use super::routes::{GraphRequest, graph_routes, router_path, split_path};
use super::state::{AppState, Out, OutBody, param};
use super::versions;

/// The most items a batch may have.
const MAX_ITEMS: usize = 50;

impl AppState {
    /// Answer a batch request: an array of `{code, headers, body}`, one per item, in order.
    pub(super) async fn batch(self: &Arc<Self>, req: &GraphRequest) -> Out {
        let params = &req.params;
        if let Some(v) = &req.version
            && versions::answering(self.cfg.api_as_of, Some(v)).is_none()
        {
            return self.error_out("batch", GraphError::unknown_version(v, ""), vec![]);
        }
        let Some(raw) = param(params, "batch") else {
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
        if items.len() > MAX_ITEMS {
            let e = GraphError::new(
                1,
                "Too many requests in batch message. Maximum batch size is 50",
            )
            .kind("GraphBatchException");
            return self.error_out("batch", e, vec![]);
        }
        let routes = any_service(graph_routes(self.clone()));
        let outer_token = param(params, "access_token");
        let mut answers = Vec::new();
        for item in &items {
            let call = item_request(item, req, outer_token.as_deref());
            let out = self.route_item(&routes, call).await;
            answers.push(item_answer(&out));
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

    /// Route one item (its path is in `call`) and take its answer back from the response.
    async fn route_item(&self, routes: &MethodRouter, (path, call): (String, GraphRequest)) -> Out {
        let method = call.method.clone();
        let request = Request::builder()
            .method(method)
            .uri(path)
            .extension(call)
            .body(Body::empty());
        let out = match request {
            Ok(request) => routes
                .clone()
                .call(request, ())
                .await
                .extensions_mut()
                .remove::<Out>(),
            Err(_) => None,
        };
        // every route answers through `AppState::serve`, which puts the `Out` of a batch item there
        out.unwrap_or_else(|| {
            self.error_out(
                "unknown",
                GraphError::new(1, "An unknown error has occurred."),
                vec![],
            )
        })
    }
}

/// The path to route and the call of one batch item: its method, version and query string, plus the
/// batch's `access_token` (unless the item has one, in its query or its own `access_token`) and
/// `appsecret_proof` (unless the item has one).
fn item_request(
    item: &Value,
    batch: &GraphRequest,
    outer_token: Option<&str>,
) -> (String, GraphRequest) {
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
    let mut params: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    if !params.iter().any(|(k, _)| k == "access_token") {
        let t = item
            .get("access_token")
            .and_then(Value::as_str)
            .or(outer_token);
        if let Some(t) = t {
            params.push(("access_token".into(), t.to_string()));
        }
    }
    if let Some(pr) = param(&batch.params, "appsecret_proof")
        && !params.iter().any(|(k, _)| k == "appsecret_proof")
    {
        params.push(("appsecret_proof".into(), pr));
    }
    let (version, segs) = split_path(path);
    let call = GraphRequest {
        method: Method::from_bytes(method.as_bytes()).unwrap_or(Method::GET),
        version,
        params,
        base: batch.base.clone(),
        batch_item: true,
    };
    (router_path(&segs), call)
}

/// One item of the batch answer.
fn item_answer(out: &Out) -> Value {
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
    json!({"code": out.status, "headers": headers, "body": body})
}
