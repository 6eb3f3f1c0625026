//! Authentication: the tokens the simulator accepts (the configured user token, [`BASIC_TOKEN`],
//! `expired-token`, the page tokens and the tokens issued by OAuth), their expiry and permissions,
//! the permission each call needs, and `appsecret_proof`.

use std::collections::HashMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::America::Los_Angeles;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::catalog::{APP_PERMISSIONS, BASIC_PERMISSIONS};
use super::data::Dataset;
use super::error::GraphError;
use super::state::AppState;

/// The built-in user token granted only the basic permissions (no insights, no comments): for
/// permission errors (`(#10) Application does not have permission for this action`).
pub const BASIC_TOKEN: &str = "basic-token";

#[derive(Debug, Clone)]
pub(super) enum TokenKind {
    User,
    Page(String),
}

#[derive(Debug, Clone)]
pub(super) struct TokenInfo {
    pub kind: TokenKind,
    pub issued_at: DateTime<Utc>,
    /// `None`: never expires (page tokens).
    pub expires_at: Option<DateTime<Utc>>,
    /// The permissions granted (the login dialog's `scope`).
    pub scopes: Vec<String>,
}

/// The tokens and OAuth codes the simulator knows.
#[derive(Debug, Default)]
pub(super) struct TokenStore {
    pub tokens: HashMap<String, TokenInfo>,
    /// OAuth dialog codes: code → (redirect_uri, used, scopes granted).
    pub codes: HashMap<String, (String, bool, Vec<String>)>,
    /// Tokens and codes issued so far.
    pub issued: u64,
}

fn permissions(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

impl TokenStore {
    /// The tokens valid from the start: `user_token` (every permission, 59 more days), [`BASIC_TOKEN`],
    /// `expired-token` (expired in 2022) and each page's token (never expires).
    pub fn initial(user_token: &str, data: &Dataset) -> Self {
        let mut store = TokenStore::default();
        let now = data.now;
        let user = |scopes: &[&str]| TokenInfo {
            kind: TokenKind::User,
            issued_at: now - Duration::days(1),
            expires_at: Some(now + Duration::days(59)),
            scopes: permissions(scopes),
        };
        store
            .tokens
            .insert(user_token.to_string(), user(APP_PERMISSIONS));
        store
            .tokens
            .insert(BASIC_TOKEN.into(), user(BASIC_PERMISSIONS));
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
                scopes: permissions(APP_PERMISSIONS),
            },
        );
        for p in &data.pages {
            store.tokens.insert(
                p.access_token.clone(),
                TokenInfo {
                    kind: TokenKind::Page(p.id.clone()),
                    issued_at: now - Duration::days(1),
                    expires_at: None,
                    scopes: permissions(APP_PERMISSIONS),
                },
            );
        }
        store
    }
}

/// The permission a call needs beyond `instagram_basic` (reference §1: insights edges and business
/// discovery need `instagram_manage_insights`, comments `instagram_manage_comments`), if any.
pub(super) fn needed_scope(kind: &str, fields: Option<&str>) -> Option<&'static str> {
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

impl AppState {
    /// Code 190/463, with the expiry and the current time written as Facebook writes them.
    pub(super) fn expired_error(&self, expiry: DateTime<Utc>) -> GraphError {
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

    /// A known, unexpired token.
    pub(super) fn check_token(&self, token: &str) -> Result<TokenInfo, GraphError> {
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

    /// The `appsecret_proof` of `token`: HMAC-SHA256 with the app secret, hex.
    pub(super) fn proof_for(&self, token: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.cfg.app_secret.as_bytes())
            .expect("HMAC accepts any key length");
        mac.update(token.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// With `require_appsecret_proof`, a call must carry the proof of its token.
    pub(super) fn check_proof(&self, token: &str, proof: Option<&str>) -> Result<(), GraphError> {
        if !self.cfg.require_appsecret_proof {
            return Ok(());
        }
        let msg = match proof {
            None => "API calls from the server require an appsecret_proof argument",
            Some(pr) if !pr.eq_ignore_ascii_case(&self.proof_for(token)) => {
                "Invalid appsecret_proof provided in the API argument"
            }
            Some(_) => return Ok(()),
        };
        Err(GraphError::new(100, msg).kind("GraphMethodException"))
    }
}
