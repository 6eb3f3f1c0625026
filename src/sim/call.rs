//! One Graph call from route to answer: what the routes name ([`Call`], [`Target`]), the endpoint kind
//! counted in `/__stats`, and the pipeline — faults and latency (HTTP requests only), then OAuth
//! endpoints, or token, `appsecret_proof`, hourly budget and permission checks before the call's
//! [`Ctx`] answers it.

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};

use super::auth::needed_scope;
use super::catalog::EDGES;
use super::ctx::Ctx;
use super::data::{Dataset, ObjRef};
use super::error::GraphError;
use super::faults::Injected;
use super::routes::{GraphRequest, build_response};
use super::state::{AppState, Out, OutBody, param};
use super::versions::{self, Api};

/// What a route names.
#[derive(Debug, Clone)]
pub(super) enum Call {
    /// `POST /` with `batch=[…]`.
    Batch,
    /// `/oauth/access_token`.
    OAuth,
    /// `/debug_token`.
    DebugToken,
    /// `/dialog/oauth`.
    Dialog,
    /// A Graph read (token required).
    Graph(Target),
}

/// What a Graph read names.
#[derive(Debug, Clone)]
pub(super) enum Target {
    /// `/?ids=a,b`.
    Ids,
    /// `/ig_hashtag_search`.
    HashtagSearch,
    /// `/{node}` (`me`: the token's user).
    Node(String),
    /// `/{node}/{edge}`.
    Edge(String, String),
    /// `/{node}/{edge}/{rest…}`: no such path in the Graph API.
    Deeper {
        node: String,
        edge: String,
        rest: String,
    },
}

impl Call {
    /// The path without the version (`17841…/media`, `oauth/access_token`, `""` for the root).
    pub fn path(&self) -> String {
        match self {
            Call::Batch => String::new(),
            Call::OAuth => "oauth/access_token".into(),
            Call::DebugToken => "debug_token".into(),
            Call::Dialog => "dialog/oauth".into(),
            Call::Graph(t) => t.path(),
        }
    }
}

impl Target {
    /// The path without the version (`17841…/media`), as `next` links repeat it.
    pub fn path(&self) -> String {
        match self {
            Target::Ids => String::new(),
            Target::HashtagSearch => "ig_hashtag_search".into(),
            Target::Node(n) => n.clone(),
            Target::Edge(n, e) => format!("{n}/{e}"),
            Target::Deeper { node, edge, rest } => format!("{node}/{edge}/{rest}"),
        }
    }

    /// The first path segment (`""` for the root).
    fn first_segment(&self) -> &str {
        match self {
            Target::Ids => "",
            Target::HashtagSearch => "ig_hashtag_search",
            Target::Node(n) | Target::Edge(n, _) | Target::Deeper { node: n, .. } => n,
        }
    }
}

impl AppState {
    /// Answer one call that came through the routes. An HTTP request may get a fault or the configured
    /// latency, and is counted and logged as `sim request`; a batch item ([`GraphRequest::batch_item`])
    /// is counted and logged as `sim batch item`, and its [`Out`] travels back to the batch in the
    /// response's extensions.
    pub(super) async fn serve(self: Arc<Self>, req: GraphRequest, call: Call) -> Response {
        let version = req.version.clone();
        if req.batch_item {
            let method = req.method.clone();
            let mut out = self.dispatch(&method, req.version, call, req.params, &req.base);
            self.stamp_version(&mut out, version.as_deref());
            self.record(&out.kind, out.status, out.throttled, false);
            tracing::info!(method = %method, endpoint = %out.kind, status = out.status, "sim batch item");
            let mut response = StatusCode::OK.into_response();
            response.extensions_mut().insert(out);
            return response;
        }
        let method = req.method.clone();
        let _in_flight = self.in_flight();
        let (kind, _) = self.classify(&call, &req.params);
        let fault = if kind == "dialog" {
            None
        } else {
            self.pick_fault()
        };
        let mut drop_body = false;
        if let Some(f) = fault {
            match self.inject(f, &kind).await {
                Injected::Instead(mut out) => {
                    self.stamp_version(&mut out, version.as_deref());
                    self.record(&out.kind, out.status, false, true);
                    tracing::info!(method = %method, endpoint = %out.kind, status = out.status, fault = %f, "sim request");
                    return build_response(out, false);
                }
                Injected::DropBody => drop_body = true,
                Injected::Answer => {}
            }
        }
        if !self.cfg.latency.is_zero() {
            tokio::time::sleep(self.cfg.latency).await;
        }
        let mut out = match call {
            Call::Batch => self.batch(&req).await,
            call => self.dispatch(&method, req.version, call, req.params, &req.base),
        };
        self.stamp_version(&mut out, version.as_deref());
        self.record(&out.kind, out.status, out.throttled, fault.is_some());
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

    /// Name the answering version of a call for `requested` in the `facebook-api-version` header (a
    /// refused version: the oldest served, which answers the refusal as an unversioned call).
    pub(super) fn stamp_version(&self, out: &mut Out, requested: Option<&str>) {
        let as_of = self.cfg.api_as_of;
        let v = versions::answering(as_of, requested).unwrap_or_else(|| versions::served(as_of)[0]);
        out.headers.retain(|(k, _)| k != "facebook-api-version");
        out.headers
            .push(("facebook-api-version".into(), v.to_string()));
    }

    /// Endpoint kind (for stats and logs) and the IG account the call concerns (for the BUC header).
    pub(super) fn classify(
        &self,
        call: &Call,
        params: &[(String, String)],
    ) -> (String, Option<String>) {
        let target = match call {
            Call::Batch => return ("batch".into(), None),
            Call::OAuth => return ("oauth".into(), None),
            Call::DebugToken => return ("debug_token".into(), None),
            Call::Dialog => return ("dialog".into(), None),
            Call::Graph(t) => t,
        };
        match target {
            Target::Ids => ("ids".into(), None),
            Target::HashtagSearch => ("hashtag_search".into(), param(params, "user_id")),
            Target::Node(id) if id == "me" => ("me".into(), None),
            Target::Node(id) => self.classify_node(id, params),
            Target::Edge(id, edge) if id == "me" && edge == "accounts" => {
                ("me/accounts".into(), None)
            }
            Target::Edge(id, edge) => self.classify_edge(id, edge, params),
            Target::Deeper { .. } => ("unknown".into(), None),
        }
    }

    /// The IG account an object of `data` belongs to.
    fn owner(data: &Dataset, r: Option<ObjRef>) -> Option<String> {
        match r? {
            ObjRef::Account(a)
            | ObjRef::Media(a, _)
            | ObjRef::Story(a, _)
            | ObjRef::Child(a, _, _)
            | ObjRef::Comment(a, _, _, _) => Some(data.accounts[a].id.clone()),
            _ => None,
        }
    }

    fn classify_node(&self, id: &str, params: &[(String, String)]) -> (String, Option<String>) {
        let data = self.data();
        let r = data.lookup(id);
        let kind = match r {
            Some(ObjRef::FbUser) => "me",
            Some(ObjRef::Page(_)) => "page",
            Some(ObjRef::Account(_)) => {
                if param(params, "fields").is_some_and(|f| f.contains("business_discovery")) {
                    "business_discovery"
                } else {
                    "user"
                }
            }
            Some(ObjRef::Media(..)) | Some(ObjRef::Story(..)) | Some(ObjRef::Child(..)) => "media",
            Some(ObjRef::Comment(..)) => "comment",
            Some(ObjRef::Hashtag(_)) => "hashtag",
            None if self.tags.lock().virtual_tags.contains_key(id) => "hashtag",
            None => "unknown",
        };
        (kind.into(), Self::owner(&data, r))
    }

    fn classify_edge(
        &self,
        id: &str,
        edge: &str,
        params: &[(String, String)],
    ) -> (String, Option<String>) {
        let data = self.data();
        let r = data.lookup(id);
        let base = match r {
            Some(ObjRef::Account(_)) => "user",
            Some(ObjRef::Media(..)) | Some(ObjRef::Story(..)) | Some(ObjRef::Child(..)) => "media",
            Some(ObjRef::Comment(..)) => "comment",
            Some(ObjRef::Hashtag(_)) => "hashtag",
            Some(ObjRef::FbUser) => "me",
            None if self.tags.lock().virtual_tags.contains_key(id) => "hashtag",
            _ => "unknown",
        };
        let kind = if base == "unknown" || !EDGES.contains(&edge) {
            "unknown".to_string()
        } else {
            format!("{base}/{edge}")
        };
        let ig = Self::owner(&data, r).or_else(|| {
            if base == "hashtag" {
                param(params, "user_id")
            } else {
                None
            }
        });
        (kind, ig)
    }

    /// Answer one call (no faults here; batch items come through here too).
    pub(super) fn dispatch(
        &self,
        method: &Method,
        version: Option<String>,
        call: Call,
        params: Vec<(String, String)>,
        base: &str,
    ) -> Out {
        let (kind, hint) = self.classify(&call, &params);
        let Some(answering) = versions::answering(self.cfg.api_as_of, version.as_deref()) else {
            let e = GraphError::unknown_version(version.as_deref().unwrap_or(""), &call.path());
            return self.error_out(&kind, e, vec![]);
        };
        let target = match call {
            Call::OAuth => return self.json_out(kind, self.oauth(&params)),
            Call::DebugToken => return self.json_out(kind, self.debug_token(&params)),
            Call::Dialog => {
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
            // a batch inside a batch item: a POST to the root, refused below
            Call::Batch => Target::Ids,
            Call::Graph(t) => t,
        };
        if *method != Method::GET {
            let e = GraphError::unsupported_get(target.first_segment());
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
        let (token, proof, pct) = match self.authorize(&kind, hint.as_deref(), &params) {
            Ok(granted) => granted,
            Err(out) => return out,
        };
        let now = self.now();
        let data = self.data_now(now);
        let ctx = Ctx {
            data: &data,
            tags: &self.tags,
            base: base.to_string(),
            api: Api {
                as_of: self.cfg.api_as_of,
                version: answering,
            },
            target,
            params,
            token,
            proof,
            now,
            ig_user: Default::default(),
        };
        let result = ctx.answer();
        let ig = ctx.ig_user.borrow().clone().or(hint);
        let mut headers = self.usage_headers(pct, ig.as_deref(), 0);
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

    /// The checks before a Graph read: a valid token, its `appsecret_proof` when required, the hourly
    /// budget (usage percentage), and the permission the call needs. The token, the proof and the usage.
    fn authorize(
        &self,
        kind: &str,
        hint: Option<&str>,
        params: &[(String, String)],
    ) -> Result<(String, Option<String>, u32), Out> {
        let p = |k: &str| param(params, k);
        let Some(token) = p("access_token").filter(|t| !t.is_empty()) else {
            return Err(self.error_out(kind, GraphError::token_required(), vec![]));
        };
        let granted = self
            .check_token(&token)
            .map_err(|e| self.error_out(kind, e, vec![]))?
            .scopes;
        let proof = p("appsecret_proof");
        self.check_proof(&token, proof.as_deref())
            .map_err(|e| self.error_out(kind, e, vec![]))?;
        let pct = self.take_budget(&token).map_err(|minutes| {
            let h = self.usage_headers(100, hint, minutes);
            let mut out = self.error_out(kind, self.throttle_error(), h);
            out.throttled = true;
            out
        })?;
        if let Some(scope) = needed_scope(kind, p("fields").as_deref())
            && !granted.iter().any(|g| g == scope)
        {
            let h = self.usage_headers(pct, hint, 0);
            let e = GraphError::new(
                10,
                "(#10) Application does not have permission for this action",
            );
            return Err(self.error_out(kind, e, h));
        }
        Ok((token, proof, pct))
    }
}
