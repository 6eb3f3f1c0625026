//! Stored connections (`igflight accounts`): Graph access tokens kept in the config folder with what
//! they reach and when they expire, the Facebook Login code flow that obtains one, and the token's
//! lifetime (expiry checks and renewal) when `serve`, `sql` and `export` start.
//!
//! * [`store`]: `accounts.json` (0600, atomic writes, a damaged file is never overwritten).
//! * [`check`]: `debug_token`, `/me`, `/me/accounts`, `oauth/access_token` exchanges.
//! * [`login`]: the Facebook Login code flow with a local redirect listener.
//! * [`cmd`]: the `igflight accounts …` commands.
//! * [`select_token`]: the token `serve`/`sql`/`export` use (`--connection NAME`, else
//!   `IGFLIGHT_ACCESS_TOKEN`, else the only stored connection).

pub mod check;
pub mod login;
pub mod store;

use std::path::Path;

use crate::graph::GraphSettings;
use crate::graph::{GraphError, Secret};
pub use check::{App, TokenInfo};
pub use store::{Connection, Store, StoreError, config_dir};

/// The environment variable holding the app id (`--app-id`).
pub const APP_ID_ENV: &str = "IGFLIGHT_APP_ID";
/// Under this many seconds left, a connection is "about to expire" (a warning).
pub const WARN_BEFORE_SECS: i64 = 7 * 86_400;
/// A long-lived token issued longer ago than this is renewed at start when an app secret is set.
pub const RENEW_AFTER_SECS: i64 = 86_400;

/// Why an accounts operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    /// The store could not be read or written.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// The Graph API says the token is invalid or expired.
    #[error(
        "the access token is invalid or expired ({detail}). Get a new token: {}",
        crate::error::reconnect_commands(name)
    )]
    InvalidToken {
        /// The connection's name (`NAME` when not known).
        name: String,
        /// What the Graph API said.
        detail: String,
    },
    /// A stored connection has expired.
    #[error(
        "the stored connection `{name}` expired on {when}: reconnect it with {}",
        crate::error::reconnect_commands(name)
    )]
    Expired {
        /// The connection.
        name: String,
        /// When it expired (UTC).
        when: String,
    },
    /// No connection of that name.
    #[error("no stored connection named `{name}`; stored: {stored} (see `igflight accounts list`)")]
    Unknown {
        /// The name asked for.
        name: String,
        /// The stored names.
        stored: String,
    },
    /// A Graph call failed.
    #[error("{0}")]
    Graph(GraphError),
    /// A bad request (name, flags).
    #[error("{0}")]
    Usage(String),
    /// Anything else.
    #[error("{0}")]
    Failed(String),
}

impl AccountsError {
    /// Name the connection in an [`AccountsError::InvalidToken`] message.
    pub fn for_connection(self, connection: &str) -> Self {
        match self {
            AccountsError::InvalidToken { detail, .. } => AccountsError::InvalidToken {
                name: connection.to_string(),
                detail,
            },
            other => other,
        }
    }

    /// Whether the user named something wrong (a usage error) rather than something failing.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            AccountsError::Usage(_) | AccountsError::Unknown { .. }
        )
    }
}

/// The environment variable holding the Graph access token.
pub const TOKEN_ENV: &str = "IGFLIGHT_ACCESS_TOKEN";

/// Format unix seconds as a UTC date and time.
pub fn utc(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0)
        .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| ts.to_string())
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The Graph access token for `serve`, `sql` and `export`, and where it came from.
#[derive(Debug, Clone)]
pub struct Selected {
    /// The token.
    pub token: Secret,
    /// The stored connection it belongs to, if any.
    pub connection: Option<String>,
}

/// The token to use: the stored connection `connection` when given; else `IGFLIGHT_ACCESS_TOKEN`; else
/// the only stored connection. A stored connection that has expired is refused (naming
/// `igflight accounts reconnect NAME`); under 7 days left a warning is logged; with an app secret
/// (`--app-secret`/`IGFLIGHT_APP_SECRET`) and the connection's app id, a token issued more than a day
/// ago is renewed first and the new one stored.
pub async fn select_token(
    graph: &GraphSettings,
    connection: Option<&str>,
) -> Result<Selected, AccountsError> {
    if let Some(name) = connection {
        return stored_token(graph, &config_dir()?, name).await;
    }
    let env = std::env::var(TOKEN_ENV)
        .ok()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    if let Some(token) = env {
        return Ok(Selected {
            token: Secret::new(token),
            connection: None,
        });
    }
    let no_token = |extra: &str| {
        AccountsError::Usage(format!(
            "no Graph access token: set {}, or use a stored connection with --connection NAME{extra} \
             (`igflight accounts login NAME …` or `igflight accounts add NAME --token-env VAR` stores one), \
             or add --demo for the simulated Graph API",
            TOKEN_ENV
        ))
    };
    let dir = config_dir().map_err(|_| no_token(""))?;
    let store = match Store::open(&dir) {
        Ok(s) => s,
        Err(e) => return Err(no_token(&format!(" (the account store is unusable: {e})"))),
    };
    match store.connections() {
        [] => Err(no_token("")),
        [only] => {
            tracing::info!(connection = %only.name, "using the only stored connection");
            let name = only.name.clone();
            stored_token(graph, &dir, &name).await
        }
        _ => Err(no_token(&format!(" (stored: {})", store.names()))),
    }
}

async fn stored_token(
    graph: &GraphSettings,
    dir: &Path,
    name: &str,
) -> Result<Selected, AccountsError> {
    let store = Store::open(dir)?;
    let conn = store
        .get(name)
        .ok_or_else(|| AccountsError::Unknown {
            name: name.to_string(),
            stored: store.names(),
        })?
        .clone();
    let now = now();
    if let Some(e) = conn.expires_at
        && e <= now
    {
        return Err(AccountsError::Expired {
            name: conn.name,
            when: utc(e),
        });
    }
    let mut token = conn.token.clone();
    let mut expires_at = conn.expires_at;
    if let Some(app) = renewable(graph, &conn, now)
        && let Some(c) = renew_logged(graph, dir, &conn, &app).await
    {
        token = c.token;
        expires_at = c.expires_at;
    }
    warn_if_expiring(name, expires_at, now);
    Ok(Selected {
        token,
        connection: Some(name.to_string()),
    })
}

/// The renewal rule: a token is renewed when its app is known, it expires, it has not expired yet and
/// it was issued more than [`RENEW_AFTER_SECS`] ago (with an app secret, which the caller checks).
pub fn due_for_renewal(conn: &Connection, now: i64) -> bool {
    conn.app_id.is_some()
        && !conn.never_expires
        && now - conn.issued_at >= RENEW_AFTER_SECS
        && !conn.is_expired(now)
}

/// The app to renew `conn` with, when it may ([`GraphSettings::app_secret`]) and should
/// ([`due_for_renewal`]) be renewed now.
fn renewable(graph: &GraphSettings, conn: &Connection, now: i64) -> Option<App> {
    let secret = graph.app_secret.clone()?;
    if !due_for_renewal(conn, now) {
        return None;
    }
    Some(App {
        id: conn.app_id.clone()?,
        secret: Secret::new(secret),
    })
}

/// Exchange the connection's token for a new long-lived one and store it; returns the updated
/// connection.
pub async fn renew(
    graph: &GraphSettings,
    dir: &Path,
    conn: &Connection,
    app: &App,
) -> Result<Connection, AccountsError> {
    let issued = check::exchange_long_lived(graph, app, &conn.token).await?;
    let now = now();
    Store::update(dir, |conns| {
        let c = conns
            .iter_mut()
            .find(|c| c.name == conn.name)
            .ok_or_else(|| {
                AccountsError::Failed(format!(
                    "the connection `{}` was removed while its token was being renewed",
                    conn.name
                ))
            })?;
        c.token = issued.token.clone();
        c.expires_at = issued.expires_at;
        c.never_expires = false;
        c.issued_at = now;
        c.app_id = Some(app.id.clone());
        Ok(c.clone())
    })
}

/// What a running server does about a served connection's token at a periodic check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refresh {
    /// Keep the token in use.
    Keep,
    /// The stored token is another one (`accounts reconnect`, `login` or `renew` ran meanwhile): use it.
    Adopt,
    /// Renew the token now (an app secret is configured and it was issued more than a day ago).
    Renew,
}

/// Decide [`Refresh`] for the stored `conn` (as the store holds it now), the token `in_use`, at
/// `now`, with or without an app secret.
pub fn refresh_action(conn: &Connection, in_use: &Secret, now: i64, app_secret: bool) -> Refresh {
    if conn.token != *in_use {
        return Refresh::Adopt;
    }
    if app_secret && due_for_renewal(conn, now) {
        Refresh::Renew
    } else {
        Refresh::Keep
    }
}

/// The periodic check of a served stored connection while `serve` runs (months, for some): adopt a
/// token stored meanwhile, renew an old one with the app secret, warn under 7 days left. `client`
/// gets the new token; returns the connection's expiry after the check.
pub async fn refresh_served(
    graph: &GraphSettings,
    dir: &Path,
    name: &str,
    client: &crate::graph::GraphClient,
) -> Result<Refreshed, AccountsError> {
    let store = Store::open(dir)?;
    let Some(conn) = store.get(name).cloned() else {
        tracing::warn!(connection = %name, "the served connection was removed from the store; serving its last token");
        return Ok(Refreshed::default());
    };
    let now = now();
    let in_use = if client.uses_token(&conn.token) {
        conn.token.clone()
    } else {
        Secret::new("")
    };
    let mut expires_at = conn.expires_at;
    let mut new_token = false;
    match refresh_action(&conn, &in_use, now, graph.app_secret.is_some()) {
        Refresh::Keep => {}
        Refresh::Adopt => {
            client.replace_token(conn.token.clone());
            new_token = true;
            tracing::info!(connection = %name, "using the connection's new stored token");
        }
        Refresh::Renew => {
            if let Some(app) = renewable(graph, &conn, now)
                && let Some(c) = renew_logged(graph, dir, &conn, &app).await
            {
                client.replace_token(c.token);
                expires_at = c.expires_at;
                new_token = true;
            }
        }
    }
    warn_if_expiring(name, expires_at, now);
    Ok(Refreshed {
        expires_at,
        new_token,
    })
}

/// What [`refresh_served`] found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Refreshed {
    /// The token's expiry (unix seconds), when known.
    pub expires_at: Option<i64>,
    /// Whether the client now uses another token (adopted from the store, or renewed).
    pub new_token: bool,
}

/// [`renew`], logging the outcome; `None` when it failed (the current token stays in use).
async fn renew_logged(
    graph: &GraphSettings,
    dir: &Path,
    conn: &Connection,
    app: &App,
) -> Option<Connection> {
    match renew(graph, dir, conn, app).await {
        Ok(c) => {
            tracing::info!(connection = %conn.name, expires = %c.expires_at.map(utc).unwrap_or_else(|| "unknown".into()),
                "renewed the stored connection's token");
            Some(c)
        }
        Err(e) => {
            tracing::warn!(connection = %conn.name, error = %e, "could not renew the stored connection's token; using the current one");
            None
        }
    }
}

/// Warn in the log when connection `name` has under 7 days left.
fn warn_if_expiring(name: &str, expires_at: Option<i64>, now: i64) {
    if let Some(e) = expires_at
        && e - now < WARN_BEFORE_SECS
    {
        tracing::warn!(
            connection = %name,
            expires = %utc(e),
            "the stored connection `{name}` expires in {}: renew it with {}",
            human_left(e - now),
            crate::error::renew_commands(name)
        );
    }
}

/// The time left before an expiry, for people: whole days from two days on ("59 days": a token's
/// lifetime is counted in days, where `humantime` would say "1month 28days 13h 26m 24s"); below that
/// `humantime`'s hours and minutes ("1day 23h 5m", "5h 12m", "12m"), at least a minute.
pub fn human_left(secs: i64) -> String {
    let s = secs.max(60).unsigned_abs();
    if s >= 2 * 86_400 {
        format!("{} days", s / 86_400)
    } else {
        humantime::format_duration(std::time::Duration::from_secs(s - s % 60)).to_string()
    }
}

/// Check a connection name: 1–64 letters, digits, `-`, `_` or `.`. The one rule for connection names
/// (`igflight accounts`, `--auth-file`, the ticket key `connection`).
pub fn check_name(name: &str) -> Result<(), AccountsError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(AccountsError::Usage(format!(
            "`{name}` is not a connection name; accepted: 1 to 64 letters, digits, `-`, `_` or `.`"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(token: &str, issued_ago: i64, app: bool) -> Connection {
        let now = 1_800_000_000;
        serde_json::from_value(serde_json::json!({
            "name": "shop", "token": token, "issued_at": now - issued_ago,
            "expires_at": now + 30 * 86_400,
            "app_id": if app { Some("app") } else { None },
        }))
        .unwrap()
    }

    #[test]
    fn a_running_server_adopts_a_new_stored_token_and_renews_old_ones() {
        let now = 1_800_000_000;
        let t = Secret::new("tok");
        // reconnected meanwhile: adopt, whatever its age
        assert_eq!(
            refresh_action(&conn("new", 0, true), &t, now, true),
            Refresh::Adopt
        );
        // older than a day, app secret and app id: renew
        assert_eq!(
            refresh_action(&conn("tok", 2 * 86_400, true), &t, now, true),
            Refresh::Renew
        );
        // no app secret, no app id, or fresh: keep
        assert_eq!(
            refresh_action(&conn("tok", 2 * 86_400, true), &t, now, false),
            Refresh::Keep
        );
        assert_eq!(
            refresh_action(&conn("tok", 2 * 86_400, false), &t, now, true),
            Refresh::Keep
        );
        assert_eq!(
            refresh_action(&conn("tok", 3_600, true), &t, now, true),
            Refresh::Keep
        );
    }

    #[test]
    fn renewal_follows_one_rule_at_start_and_while_serving() {
        let now = 1_800_000_000;
        let graph = |secret: bool| GraphSettings {
            graph_url: "http://127.0.0.1:9".into(),
            graph_version: "v15.0".into(),
            app_secret: secret.then(|| "s3cret".to_string()),
            calls_per_hour: 200,
            budget_wait_secs: 0,
            max_retries: 0,
            max_calls_per_request: 500,
            graph_concurrency: 8,
            cache: crate::graph::CacheConfig::default(),
        };
        for (c, secret) in [
            (conn("tok", 2 * 86_400, true), true),
            (conn("tok", 2 * 86_400, true), false),
            (conn("tok", 2 * 86_400, false), true),
            (conn("tok", 3_600, true), true),
        ] {
            let t = Secret::new("tok");
            assert_eq!(
                renewable(&graph(secret), &c, now).is_some(),
                refresh_action(&c, &t, now, secret) == Refresh::Renew,
            );
        }
    }

    #[test]
    fn time_left_for_people() {
        assert_eq!(human_left(59 * 86_400 + 3_700), "59 days");
        assert_eq!(human_left(3 * 86_400 + 600), "3 days");
        assert_eq!(human_left(2 * 86_400), "2 days");
        assert_eq!(human_left(86_400 + 23 * 3_600 + 330), "1day 23h 5m");
        assert_eq!(human_left(5 * 3_600 + 12 * 60 + 59), "5h 12m");
        assert_eq!(human_left(12 * 60), "12m");
        assert_eq!(human_left(5), "1m");
        assert_eq!(human_left(-5), "1m");
    }

    #[test]
    fn one_rule_for_connection_names() {
        for ok in ["shop", "a", "blog-2_x.y", &"n".repeat(64)] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "shop/1", "a b", "é", &"n".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }
}
