//! Talking to the Graph API about a token: what it reaches and when it expires (`debug_token`, `/me`,
//! `/me/accounts`), exchanging a code or a token for a long-lived token (`oauth/access_token`).

use std::fmt;

use futures::TryStreamExt;
use serde::Deserialize;

use super::AccountsError;
use crate::graph::GraphSettings;
use crate::graph::LinkedPage;
use crate::graph::{Endpoint, ErrorClass, GraphClient, GraphError, PageRequest, Secret};

/// A Facebook app: its id and secret (for `debug_token`, code and token exchanges).
#[derive(Debug, Clone)]
pub struct App {
    /// The app id.
    pub id: String,
    /// The app secret.
    pub secret: Secret,
}

/// What the Graph API says about a token.
#[derive(Debug, Clone, Default)]
pub struct TokenInfo {
    /// Facebook user id.
    pub user_id: Option<String>,
    /// Facebook user name.
    pub user_name: Option<String>,
    /// Expiry (unix seconds); `None` when unknown or never.
    pub expires_at: Option<i64>,
    /// debug_token said the token never expires.
    pub never_expires: bool,
    /// The app the token belongs to.
    pub app_id: Option<String>,
    /// Granted permissions.
    pub scopes: Vec<String>,
    /// Pages reached and their Instagram accounts.
    pub pages: Vec<LinkedPage>,
}

/// The Graph client for calls made with the user's token (carries appsecret_proof when an app
/// secret is configured).
pub fn user_client(graph: &GraphSettings, token: &Secret) -> Result<GraphClient, AccountsError> {
    graph
        .client(token.expose().to_string(), None)
        .map_err(AccountsError::Graph)
}

/// A Graph client with the app access token `APPID|SECRET` (debug_token, oauth).
fn app_client(graph: &GraphSettings, app: &App) -> Result<GraphClient, AccountsError> {
    GraphClient::builder(format!("{}|{}", app.id, app.secret.expose()))
        .base_url(graph.graph_url.clone())
        .version(graph.graph_version.clone())
        .build()
        .map_err(AccountsError::Graph)
}

#[derive(Deserialize)]
struct DebugEnvelope {
    data: DebugData,
}

#[derive(Deserialize, Default)]
struct DebugData {
    #[serde(default)]
    is_valid: bool,
    #[serde(default)]
    expires_at: Option<i64>,
    #[serde(default)]
    app_id: Option<String>,
    #[serde(default)]
    user_id: Option<String>,
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default)]
    error: Option<DebugError>,
}

#[derive(Deserialize)]
struct DebugError {
    #[serde(default)]
    message: String,
}

#[derive(Deserialize)]
struct Me {
    id: String,
    #[serde(default)]
    name: Option<String>,
}

/// An `oauth/access_token` answer. `Debug` hides the token.
#[derive(Deserialize)]
struct OAuthToken {
    access_token: String,
    #[serde(default)]
    expires_in: Option<i64>,
}

impl fmt::Debug for OAuthToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthToken")
            .field("access_token", &"****")
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

/// A token from `oauth/access_token`, with its expiry (unix seconds) when the answer gave one.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The token.
    pub token: Secret,
    /// When it expires.
    pub expires_at: Option<i64>,
}

fn invalid_from(e: GraphError) -> AccountsError {
    if e.class() == ErrorClass::Reauthenticate {
        let detail = e
            .api_body()
            .map(|b| b.message.clone())
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| e.to_string());
        AccountsError::InvalidToken {
            name: "NAME".into(),
            detail,
        }
    } else {
        AccountsError::Graph(e)
    }
}

/// Check `token`: with `app`, `debug_token` (validity, expiry, scopes, user); without, `/me` (and
/// `debug_token` with the token itself, best effort, for the expiry). Then the pages and Instagram
/// accounts it reaches (`/me/accounts`). An invalid or expired token is [`AccountsError::InvalidToken`].
pub async fn inspect(
    graph: &GraphSettings,
    token: &Secret,
    app: Option<&App>,
) -> Result<TokenInfo, AccountsError> {
    let user = user_client(graph, token)?;
    let mut info = TokenInfo::default();
    let debug = match app {
        Some(app) => {
            let env: DebugEnvelope = app_client(graph, app)?
                .get_json(
                    &Endpoint::debug_token(),
                    &[("input_token", token.expose().to_string())],
                )
                .await
                .map_err(AccountsError::Graph)?;
            if !env.data.is_valid {
                let detail = env
                    .data
                    .error
                    .map(|e| e.message)
                    .filter(|m| !m.is_empty())
                    .unwrap_or_else(|| "debug_token says the token is not valid".into());
                return Err(AccountsError::InvalidToken {
                    name: "NAME".into(),
                    detail,
                });
            }
            if let Some(a) = &env.data.app_id
                && *a != app.id
            {
                tracing::warn!(token_app = %a, app = %app.id, "the token belongs to another app than --app-id");
            }
            Some(env.data)
        }
        None => None,
    };
    let me: Me = user
        .get_json(&Endpoint::me(), &[("fields", "id,name".to_string())])
        .await
        .map_err(invalid_from)?;
    let debug = match debug {
        Some(d) => Some(d),
        // Without app credentials a token may still inspect itself.
        None => user
            .get_json::<DebugEnvelope>(
                &Endpoint::debug_token(),
                &[("input_token", token.expose().to_string())],
            )
            .await
            .ok()
            .map(|e| e.data)
            .filter(|d| d.is_valid),
    };
    if let Some(d) = debug {
        match d.expires_at {
            Some(0) => info.never_expires = true,
            // a time from outside: kept between the epoch and a year from now
            Some(e) => {
                let latest = chrono::Utc::now()
                    .timestamp()
                    .saturating_add(MAX_TOKEN_LIFETIME_SECS);
                info.expires_at = Some(e.clamp(1, latest));
            }
            None => {}
        }
        info.app_id = d.app_id;
        info.scopes = d.scopes;
        if info.user_id.is_none() {
            info.user_id = d.user_id;
        }
    }
    info.user_id = Some(me.id);
    info.user_name = me.name;
    info.pages = pages(&user).await?;
    Ok(info)
}

/// The pages `client`'s token reaches, with their linked Instagram business accounts.
pub async fn pages(client: &GraphClient) -> Result<Vec<LinkedPage>, AccountsError> {
    let req = PageRequest::new(
        Endpoint::me_accounts(),
        &[("fields", LinkedPage::FIELDS.to_string())],
    )
    .page_size(100);
    let items: Vec<serde_json::Value> = client
        .items(req)
        .try_collect()
        .await
        .map_err(invalid_from)?;
    Ok(items.iter().filter_map(LinkedPage::from_item).collect())
}

/// The longest token lifetime believed (a year); an `expires_in` beyond it is cut to it.
const MAX_TOKEN_LIFETIME_SECS: i64 = 366 * 86_400;

fn issued(t: OAuthToken) -> Issued {
    let now = chrono::Utc::now().timestamp();
    Issued {
        token: Secret::new(t.access_token),
        // a lifetime from outside: clamped (Facebook's long-lived tokens last about 60 days)
        expires_at: t
            .expires_in
            .filter(|s| *s > 0)
            .map(|s| now.saturating_add(s.min(MAX_TOKEN_LIFETIME_SECS))),
    }
}

/// Exchange a user token for a long-lived one (`grant_type=fb_exchange_token`, reference §3.3).
pub async fn exchange_long_lived(
    graph: &GraphSettings,
    app: &App,
    token: &Secret,
) -> Result<Issued, AccountsError> {
    let t: OAuthToken = app_client(graph, app)?
        .get_json(
            &Endpoint::oauth_access_token(),
            &[
                ("grant_type", "fb_exchange_token".to_string()),
                ("client_id", app.id.clone()),
                ("client_secret", app.secret.expose().to_string()),
                ("fb_exchange_token", token.expose().to_string()),
            ],
        )
        .await
        .map_err(invalid_from)?;
    Ok(issued(t))
}

/// Exchange a Facebook Login code for a (short-lived) user token.
pub async fn exchange_code(
    graph: &GraphSettings,
    app: &App,
    code: &Secret,
    redirect_uri: &str,
) -> Result<Issued, AccountsError> {
    let t: OAuthToken = app_client(graph, app)?
        .get_json(
            &Endpoint::oauth_access_token(),
            &[
                ("client_id", app.id.clone()),
                ("redirect_uri", redirect_uri.to_string()),
                ("client_secret", app.secret.expose().to_string()),
                ("code", code.expose().to_string()),
            ],
        )
        .await
        .map_err(AccountsError::Graph)?;
    Ok(issued(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_lifetimes_from_outside_are_clamped() {
        let now = chrono::Utc::now().timestamp();
        for (expires_in, want) in [
            (Some(i64::MAX), Some(MAX_TOKEN_LIFETIME_SECS)),
            (Some(5_184_000), Some(5_184_000)),
            (Some(0), None),
            (Some(i64::MIN), None),
            (None, None),
        ] {
            let got = issued(OAuthToken {
                access_token: "t".into(),
                expires_in,
            })
            .expires_at
            .map(|at| at - now);
            // allow the clock a few seconds between the two readings
            match (got, want) {
                (Some(g), Some(w)) => assert!((w..w + 5).contains(&g), "{expires_in:?}: {g}"),
                (g, w) => assert_eq!(g, w, "{expires_in:?}"),
            }
        }
    }
}
