//! OAuth as the Facebook Login flow uses it: the login dialog, `/oauth/access_token` (code exchange,
//! long-lived token exchange, app token) and `/debug_token`.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use url::form_urlencoded;

use super::auth::{TokenInfo, TokenKind};
use super::catalog::{APP_PERMISSIONS, GRANULAR_PERMISSIONS};
use super::error::GraphError;
use super::rng::hash;
use super::state::{AppState, param};

impl AppState {
    /// The call names this app (`client_id`) and, when `need_secret`, knows its secret.
    fn check_app(&self, params: &[(String, String)], need_secret: bool) -> Result<(), GraphError> {
        let p = |k: &str| param(params, k);
        if p("client_id").as_deref() != Some(self.cfg.app_id.as_str()) {
            return Err(GraphError::new(
                101,
                "Error validating application. Invalid application ID.",
            ));
        }
        if need_secret && p("client_secret").as_deref() != Some(self.cfg.app_secret.as_str()) {
            return Err(GraphError::new(1, "Error validating client secret."));
        }
        Ok(())
    }

    /// A new token or code: `prefix` + 80 hex digits.
    fn new_token(&self, prefix: &str) -> String {
        let mut st = self.tokens.lock();
        st.issued += 1;
        let n = st.issued;
        let body: String = (0..5)
            .map(|i| {
                format!(
                    "{:016x}",
                    hash(&[
                        self.cfg.seed,
                        0x70c,
                        n,
                        i,
                        self.started.elapsed().as_nanos() as u64
                    ])
                )
            })
            .collect();
        format!("{prefix}{body}")
    }

    /// A new user token with `scopes`, valid `lifetime` seconds from `now`: the `/oauth/access_token`
    /// answer.
    fn issue_user_token(&self, now: DateTime<Utc>, lifetime: i64, scopes: Vec<String>) -> Value {
        let tok = self.new_token("EAAG");
        self.tokens.lock().tokens.insert(
            tok.clone(),
            TokenInfo {
                kind: TokenKind::User,
                issued_at: now,
                expires_at: Some(now + Duration::seconds(lifetime)),
                scopes,
            },
        );
        json!({"access_token": tok, "token_type": "bearer", "expires_in": lifetime})
    }

    /// `/oauth/access_token`: exchange a token for a long-lived one (`fb_exchange_token`), get an app
    /// token (`client_credentials`), or exchange a login dialog's code.
    pub(super) fn oauth(&self, params: &[(String, String)]) -> Result<Value, GraphError> {
        let p = |k: &str| param(params, k);
        self.check_app(params, true)?;
        let now = self.now();
        match p("grant_type").as_deref() {
            Some("fb_exchange_token") => {
                let old = p("fb_exchange_token")
                    .ok_or_else(|| GraphError::param("Missing fb_exchange_token parameter"))?;
                let info = self.check_token(&old)?;
                if !matches!(info.kind, TokenKind::User) {
                    return Err(GraphError::param(
                        "The access token must be a user access token",
                    ));
                }
                Ok(self.issue_user_token(now, 5_184_000, info.scopes.clone()))
            }
            Some("client_credentials") => Ok(json!({
                "access_token": format!("{}|{}", self.cfg.app_id, &self.proof_for("app")[..27]),
                "token_type": "bearer"
            })),
            _ => self.code_exchange(params),
        }
    }

    /// The code of a login dialog for a short-lived token with the permissions the dialog granted (a code
    /// is single-use and bound to its `redirect_uri`).
    fn code_exchange(&self, params: &[(String, String)]) -> Result<Value, GraphError> {
        let p = |k: &str| param(params, k);
        let now = self.now();
        let code = p("code").ok_or_else(|| {
            GraphError::param("Missing redirect_uri, code or grant_type parameter")
        })?;
        let redirect = p("redirect_uri").unwrap_or_default();
        let mut st = self.tokens.lock();
        let granted = match st.codes.get_mut(&code) {
            None => {
                return Err(
                    GraphError::new(100, "Invalid verification code format.").subcode(36007)
                );
            }
            Some((_, true, _)) => {
                return Err(
                    GraphError::new(100, "This authorization code has been used.").subcode(36009),
                );
            }
            Some((r, _, _)) if *r != redirect => {
                return Err(GraphError::new(
                    100,
                    "Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request",
                )
                .subcode(36008));
            }
            Some(entry) => {
                entry.1 = true;
                entry.2.clone()
            }
        };
        drop(st);
        Ok(self.issue_user_token(now, 5_400, granted))
    }

    /// `/dialog/oauth`: the login dialog, granted at once; the redirect to `redirect_uri` with a code.
    pub(super) fn dialog(&self, params: &[(String, String)]) -> Result<String, GraphError> {
        let p = |k: &str| param(params, k);
        self.check_app(params, false)?;
        let redirect = p("redirect_uri")
            .ok_or_else(|| GraphError::param("Missing redirect_uri parameter."))?;
        // the user grants what the app asks for (`scope`, comma separated) among the app's
        // permissions; without `scope`, only public_profile
        let granted: Vec<String> = match p("scope") {
            Some(list) => list
                .split(',')
                .map(str::trim)
                .filter(|s| APP_PERMISSIONS.contains(s))
                .map(String::from)
                .collect(),
            None => vec!["public_profile".to_string()],
        };
        let code = self.new_token("AQ");
        self.tokens
            .lock()
            .codes
            .insert(code.clone(), (redirect.clone(), false, granted));
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair("code", &code);
        if let Some(s) = p("state") {
            q.append_pair("state", &s);
        }
        let sep = if redirect.contains('?') { '&' } else { '?' };
        Ok(format!("{redirect}{sep}{}#_=_", q.finish()))
    }

    /// `/debug_token`: what a token is (app or user/owner token required).
    pub(super) fn debug_token(&self, params: &[(String, String)]) -> Result<Value, GraphError> {
        let p = |k: &str| param(params, k);
        let app_token = format!("{}|{}", self.cfg.app_id, self.cfg.app_secret);
        let caller = p("access_token").ok_or_else(GraphError::token_required)?;
        if caller != app_token && self.check_token(&caller).is_err() {
            return Err(GraphError::param(
                "You must provide an app access token, or a user access token that is an owner or developer of the app",
            ));
        }
        let input = p("input_token")
            .ok_or_else(|| GraphError::param("The parameter input_token is required"))?;
        let info = self.tokens.lock().tokens.get(&input).cloned();
        let Some(info) = info else {
            return Ok(
                json!({"data": {"error": {"code": 190, "message": "Invalid OAuth access token."}, "is_valid": false, "scopes": []}}),
            );
        };
        let now = self.now();
        let data = self.data_now(now);
        let valid = info.expires_at.is_none_or(|e| e > now);
        let page_ids: Vec<&str> = data.pages.iter().map(|p| p.id.as_str()).collect();
        let ig_ids: Vec<&str> = data.accounts.iter().map(|a| a.id.as_str()).collect();
        let granular: Vec<Value> = GRANULAR_PERMISSIONS
            .iter()
            .filter(|s| info.scopes.iter().any(|g| g == *s))
            .map(|s| {
                let ids = if s.starts_with("pages") {
                    &page_ids
                } else {
                    &ig_ids
                };
                json!({"scope": s, "target_ids": ids})
            })
            .collect();
        let mut d = json!({
            "app_id": self.cfg.app_id,
            "type": match info.kind { TokenKind::User => "USER", TokenKind::Page(_) => "PAGE" },
            "application": "igflight demo",
            "data_access_expires_at": (info.issued_at + Duration::days(90)).timestamp(),
            "expires_at": info.expires_at.map(|e| e.timestamp()).unwrap_or(0),
            "is_valid": valid,
            "issued_at": info.issued_at.timestamp(),
            "scopes": info.scopes,
            "granular_scopes": granular,
            "user_id": data.user.id,
        });
        if let TokenKind::Page(pid) = &info.kind {
            d["profile_id"] = json!(pid);
        }
        if let (false, Some(e)) = (valid, info.expires_at) {
            let err = self.expired_error(e);
            d["error"] = json!({"code": 190, "message": err.message, "subcode": 463});
        }
        Ok(json!({ "data": d }))
    }
}
