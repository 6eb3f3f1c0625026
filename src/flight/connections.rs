//! The Graph connections one server serves (each a token with its own report context, budget and
//! caches), and which one a request runs on.
//!
//! A request names its connection with the ticket key `connection` or the call header
//! [`CONNECTION_HEADER`]; without either it runs on the client's default: the first connection its
//! credential may read, or the server's first connection. A credential limited to some connections
//! ([`Access`]) is refused (`PERMISSION_DENIED`) any other, before any Graph call.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tonic::Request;

use super::auth::Access;
use crate::error::ReportError;
use crate::plan::ReportContext;

/// The call header naming the connection (ADBC: `adbc.flight.sql.rpc.call_header.x-igflight-connection`).
pub const CONNECTION_HEADER: &str = "x-igflight-connection";

/// The name of a connection whose token is not a stored connection (`IGFLIGHT_ACCESS_TOKEN`).
pub const DEFAULT_NAME: &str = "default";

/// One served connection.
#[derive(Debug, Clone)]
pub struct Served {
    /// Its name (the stored connection's, [`DEFAULT_NAME`], or `demo`).
    pub name: String,
    /// Its report context (Graph client, budget, caches).
    pub ctx: Arc<ReportContext>,
    /// Its token's expiry and whether the Graph API refused it: shared by clones, and watched by the
    /// health service ([`super::health`]), which says NOT_SERVING for this connection alone.
    token: Arc<tokio::sync::watch::Sender<TokenState>>,
}

/// What the server knows of a connection's token.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenState {
    /// When it expires (unix seconds), when known; updated when the token is renewed or replaced.
    pub expires_at: Option<i64>,
    /// Set when a report failed because the Graph API refused the token (code 190/102: expired,
    /// revoked, password changed): the client's count of successful Graph calls at that moment, so
    /// a later successful call — whoever made it — shows the token works again.
    pub refused_at_ok_calls: Option<u64>,
}

/// A connection's token as the health service reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenHealth {
    /// Usable as far as the server knows.
    Usable,
    /// Past its expiry.
    Expired,
    /// Refused by the Graph API, and no Graph call has succeeded since.
    Refused,
}

impl Served {
    /// `{"connection", "graph_version_asked", "graph_version_served"}`.
    pub fn graph_version_json(&self) -> serde_json::Value {
        serde_json::json!({
            "connection": self.name,
            "graph_version_asked": self.ctx.graph.version(),
            "graph_version_served": self.ctx.graph.served_version(),
        })
    }

    /// A served connection named after the context's served name ([`ReportContext::served_name`]:
    /// its stored connection, else [`DEFAULT_NAME`]).
    pub fn new(ctx: Arc<ReportContext>) -> Self {
        Served {
            name: ctx.served_name().to_string(),
            ctx,
            token: Arc::new(tokio::sync::watch::Sender::new(TokenState::default())),
        }
    }

    /// With this name, which its context's runs also carry (the `connection` of their metrics and
    /// log lines).
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        if self.ctx.served_name() != self.name {
            // a clone shares the caches, budget and run slots
            self.ctx = Arc::new((*self.ctx).clone().with_served_name(self.name.clone()));
        }
        self
    }

    /// With this token expiry (unix seconds).
    pub fn expiring(self, expires_at: Option<i64>) -> Self {
        self.set_expires_at(expires_at);
        self
    }

    /// When its token expires (unix seconds), when known.
    pub fn expires_at(&self) -> Option<i64> {
        self.token.borrow().expires_at
    }

    /// Its token's new expiry (after a renewal); clones share it.
    pub fn set_expires_at(&self, expires_at: Option<i64>) {
        self.token
            .send_if_modified(|t| std::mem::replace(&mut t.expires_at, expires_at) != expires_at);
    }

    /// What is known of its token (a snapshot).
    pub fn token_state(&self) -> TokenState {
        *self.token.borrow()
    }

    /// Changes of [`Self::token_state`] (expiry, refusal, a new token), for the health service.
    pub fn watch_token(&self) -> tokio::sync::watch::Receiver<TokenState> {
        self.token.subscribe()
    }

    /// Successful Graph calls its client has made (HTTP attempts answered with data).
    fn ok_calls(&self) -> u64 {
        let key = self.ctx.graph.token_key();
        self.ctx
            .graph
            .stats()
            .calls
            .iter()
            .filter(|c| &c.token == key && c.outcome == "ok")
            .map(|c| c.count)
            .sum()
    }

    /// A report on this connection failed with `status`: an `UNAUTHENTICATED` one (only a Graph
    /// refusal of the token has that code in the service; client credentials are checked before it)
    /// marks the token refused.
    pub fn observe(&self, status: &tonic::Status) {
        if status.code() == tonic::Code::Unauthenticated {
            self.mark_refused();
        }
    }

    /// The Graph API refused the token: NOT_SERVING for this connection until a Graph call succeeds
    /// or a new token is adopted.
    pub fn mark_refused(&self) {
        let ok = self.ok_calls();
        let newly = self.token.send_if_modified(|t| {
            let newly = t.refused_at_ok_calls.is_none();
            t.refused_at_ok_calls = Some(ok);
            newly
        });
        if newly {
            tracing::warn!(connection = %self.name, "the Graph API refused the connection's token: its health is NOT_SERVING until a call succeeds or a new token is adopted");
        }
    }

    /// A new token is in use (`accounts reconnect`, a renewal): forget the refusal of the old one.
    pub fn token_replaced(&self) {
        self.token
            .send_if_modified(|t| t.refused_at_ok_calls.take().is_some());
    }

    /// Forget a refusal once a Graph call has succeeded since it (a report, SQL or sync run on this
    /// connection). Cheap when there is no refusal.
    pub fn recheck(&self) {
        let Some(at) = self.token.borrow().refused_at_ok_calls else {
            return;
        };
        if self.ok_calls() > at {
            self.token_replaced();
            tracing::info!(connection = %self.name, "a Graph call succeeded on the connection again: its token is no longer taken as refused");
        }
    }

    /// Its token's health at `now` (unix seconds).
    pub fn token_health(&self, now: i64) -> TokenHealth {
        let t = self.token_state();
        if t.refused_at_ok_calls.is_some() {
            TokenHealth::Refused
        } else if t.expires_at.is_some_and(|at| at <= now) {
            TokenHealth::Expired
        } else {
            TokenHealth::Usable
        }
    }

    /// Its token's expiry as JSON: when, days left, and a warning under 7 days.
    pub fn expiry_json(&self, now: DateTime<Utc>) -> Value {
        let Some(at) = self.expires_at() else {
            return json!({"token_expires_at": null, "expires_in_days": null, "warning": null});
        };
        let left = at.saturating_sub(now.timestamp());
        let warning = if left <= 0 {
            Some(format!(
                "the token of connection `{}` expired on {}: reconnect it with {}",
                self.name,
                crate::accounts::utc(at),
                crate::error::reconnect_commands(&self.name)
            ))
        } else if left < crate::accounts::WARN_BEFORE_SECS {
            Some(format!(
                "the token of connection `{}` expires in {}: renew it with {}",
                self.name,
                crate::accounts::human_left(left),
                crate::error::renew_commands(&self.name)
            ))
        } else {
            None
        };
        json!({
            "token_expires_at": crate::accounts::utc(at),
            "expires_in_days": left.div_euclid(86_400),
            "warning": warning,
        })
    }
}

/// The served connections; the first is the server's default.
#[derive(Debug, Clone)]
pub struct Connections {
    served: Vec<Served>,
}

impl Connections {
    /// These connections (at least one, names unique).
    pub fn new(served: Vec<Served>) -> Result<Self, String> {
        if served.is_empty() {
            return Err("no connection to serve".into());
        }
        for (i, s) in served.iter().enumerate() {
            if served[..i].iter().any(|o| o.name == s.name) {
                return Err(format!("connection `{}` is served twice", s.name));
            }
        }
        Ok(Connections { served })
    }

    /// One connection.
    pub fn single(served: Served) -> Self {
        Connections {
            served: vec![served],
        }
    }

    /// The server's default connection.
    pub fn first(&self) -> &Served {
        &self.served[0]
    }

    /// Every served connection, in order.
    pub fn iter(&self) -> impl Iterator<Item = &Served> {
        self.served.iter()
    }

    /// The served names, comma separated.
    pub fn names(&self) -> String {
        self.served
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The connection called `name`.
    pub fn get(&self, name: &str) -> Option<&Served> {
        self.served.iter().find(|s| s.name == name)
    }

    /// The connections `access` may read.
    pub fn readable<'a>(&'a self, access: &'a Access) -> impl Iterator<Item = &'a Served> + 'a {
        self.served.iter().filter(move |s| access.permits(&s.name))
    }

    /// The Graph API version asked for and the one that answered (`null` until a response said), per
    /// connection.
    pub fn graph_versions(&self, access: &Access) -> Vec<serde_json::Value> {
        self.readable(access)
            .map(Served::graph_version_json)
            .collect()
    }

    /// Graph calls made over every connection.
    pub fn graph_calls(&self) -> u64 {
        self.served.iter().map(|s| s.ctx.graph.stats().total).sum()
    }

    /// The connection a request runs on: `requested` (ticket key or header) if the client may read it
    /// and it is served; without one, the client's first readable connection.
    pub fn resolve(
        &self,
        requested: Option<&str>,
        access: &Access,
    ) -> Result<&Served, ReportError> {
        let readable = || {
            self.readable(access)
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        match requested {
            Some(name) => {
                if !access.permits(name) {
                    return Err(ReportError::ConnectionDenied {
                        requested: crate::telemetry::bounded(name, 64).into_owned(),
                        allowed: readable(),
                    });
                }
                self.get(name)
                    .ok_or_else(|| ReportError::UnknownConnection {
                        requested: crate::telemetry::bounded(name, 64).into_owned(),
                        served: readable(),
                    })
            }
            None => match access.names() {
                None => Ok(self.first()),
                Some(names) => names.iter().find_map(|n| self.get(n)).ok_or_else(|| {
                    ReportError::ConnectionDenied {
                        requested: self.first().name.clone(),
                        allowed: names.join(", "),
                    }
                }),
            },
        }
    }

    /// Connections a credential limit names that are not served (a startup error).
    pub fn unserved<'a>(&self, names: &'a [String]) -> Vec<&'a str> {
        names
            .iter()
            .filter(|n| self.get(n).is_none())
            .map(String::as_str)
            .collect()
    }
}

/// The client's access (put in the request by the authentication layer; all without authentication).
pub fn access_of<T>(request: &Request<T>) -> Access {
    request
        .extensions()
        .get::<Access>()
        .cloned()
        .unwrap_or_default()
}

/// The connection named by the [`CONNECTION_HEADER`] call header.
pub fn header_connection<T>(request: &Request<T>) -> Option<String> {
    request
        .metadata()
        .get(CONNECTION_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::GraphClient;
    use tonic::Code;

    fn served(name: &str) -> Served {
        let client = GraphClient::builder("tok")
            .base_url("http://127.0.0.1:9")
            .build()
            .unwrap();
        Served::new(Arc::new(ReportContext::new(client))).named(name)
    }

    fn conns() -> Connections {
        Connections::new(vec![served("shop"), served("blog"), served("news")]).unwrap()
    }

    #[test]
    fn without_a_name_the_client_gets_its_first_readable_connection() {
        let c = conns();
        assert_eq!(c.resolve(None, &Access::All).unwrap().name, "shop");
        assert_eq!(
            c.resolve(None, &Access::only(["news", "blog"]))
                .unwrap()
                .name,
            "news"
        );
        assert_eq!(c.resolve(Some("blog"), &Access::All).unwrap().name, "blog");
    }

    #[test]
    fn a_limited_client_cannot_name_another_connection() {
        let c = conns();
        let e = c
            .resolve(Some("shop"), &Access::only(["blog"]))
            .unwrap_err();
        assert_eq!(e.code(), Code::PermissionDenied);
        assert_eq!(
            e.to_string(),
            "this client's credential may not read connection `shop`; it may read: blog"
        );
        // an unserved name is NOT_FOUND for a client that may read it, PERMISSION_DENIED otherwise
        let e = c.resolve(Some("gone"), &Access::All).unwrap_err();
        assert_eq!(e.code(), Code::NotFound);
        assert!(e.to_string().contains("served: shop, blog, news"), "{e}");
        let e = c
            .resolve(Some("gone"), &Access::only(["blog"]))
            .unwrap_err();
        assert_eq!(e.code(), Code::PermissionDenied);
        assert!(!e.to_string().contains("news"), "{e}");
    }

    #[test]
    fn names_are_unique_and_limits_must_be_served() {
        assert!(Connections::new(vec![served("a"), served("a")]).is_err());
        assert!(Connections::new(vec![]).is_err());
        let c = conns();
        assert_eq!(
            c.unserved(&["blog".to_string(), "x".to_string()]),
            vec!["x"]
        );
    }

    #[test]
    fn expiry_warns_under_seven_days() {
        let now = Utc::now();
        let soon = served("shop").expiring(Some(now.timestamp() + 3 * 86_400 + 60));
        let v = soon.expiry_json(now);
        assert_eq!(v["expires_in_days"], 3);
        assert!(
            v["warning"].as_str().unwrap().contains("expires in 3 days"),
            "{v}"
        );
        let later = served("shop").expiring(Some(now.timestamp() + 30 * 86_400));
        assert!(later.expiry_json(now)["warning"].is_null());
        let gone = served("shop").expiring(Some(now.timestamp() - 10));
        assert!(
            gone.expiry_json(now)["warning"]
                .as_str()
                .unwrap()
                .contains("igflight accounts reconnect shop")
        );
        assert!(served("x").expiry_json(now)["token_expires_at"].is_null());
    }
}
