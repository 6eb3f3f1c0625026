//! Flight client authentication (optional): accepted bearer tokens, Basic users (the Handshake answers
//! them with a session bearer token) and the tower layer that checks `authorization` on every RPC but
//! `Handshake`.
//!
//! Each credential may be limited to named served connections ([`Access`]); the layer puts the
//! client's [`Access`] in the request's extensions, where the service reads it.
//!
//! Credentials are never logged: [`Authenticator`]'s `Debug` shows counts only, and every comparison
//! is made in constant time over SHA-256 digests (so neither content nor length leaks through timing).

use std::collections::HashMap;
use std::convert::Infallible;
use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

/// Basic credentials: the standard alphabet, padding optional (RFC 7617 pads, but Arrow's Go Flight
/// client — ADBC — sends `base64.RawStdEncoding`), non-canonical trailing bits refused.
const BASIC: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);
use parking_lot::Mutex;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tonic::Status;
use tonic::body::Body;
use tonic::codegen::http;
use tonic::codegen::{BoxFuture, Service};
use tonic::server::NamedService;

use crate::graph::Secret;

/// How long a session token issued by the Basic handshake stays valid.
pub const SESSION_TTL: Duration = Duration::from_secs(8 * 60 * 60);

/// The gRPC path of `Handshake` (the one RPC that needs no bearer token).
pub const HANDSHAKE_PATH: &str = "/arrow.flight.protocol.FlightService/Handshake";

/// The message of the `UNAUTHENTICATED` status sent to a client without valid credentials.
pub const CREDENTIALS_REQUIRED: &str =
    "this server requires credentials: send `authorization: Bearer …` or use the Basic handshake";

type Digest32 = [u8; 32];

fn digest(bytes: &[u8]) -> Digest32 {
    Sha256::digest(bytes).into()
}

/// Whether two digests are equal, in constant time (`subtle`).
fn same(a: &Digest32, b: &Digest32) -> bool {
    bool::from(a.ct_eq(b))
}

/// Which served connections a client credential may read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Access {
    /// Every served connection (a credential without a limit, or a server without authentication).
    #[default]
    All,
    /// Only these connections (the first is the client's default).
    Only(Arc<[String]>),
}

impl Access {
    /// Limited to `names` (in order; the first is the default).
    pub fn only<S: Into<String>>(names: impl IntoIterator<Item = S>) -> Self {
        Access::Only(names.into_iter().map(Into::into).collect())
    }

    /// Whether this credential may read connection `name`.
    pub fn permits(&self, name: &str) -> bool {
        match self {
            Access::All => true,
            Access::Only(names) => names.iter().any(|n| n == name),
        }
    }

    /// The connections it is limited to (`None`: all).
    pub fn names(&self) -> Option<&[String]> {
        match self {
            Access::All => None,
            Access::Only(names) => Some(names),
        }
    }
}

/// What a credential is: a bearer token or a Basic user (`Debug` redacts the secrets).
#[derive(Debug, Clone)]
pub enum CredentialKind {
    /// A bearer token.
    Token(Secret),
    /// A user name and password for the Basic handshake.
    User {
        /// The user name.
        name: String,
        /// The password.
        password: Secret,
    },
}

/// One client credential and the connections it may read.
#[derive(Clone)]
pub struct Credential {
    /// The token or user.
    pub kind: CredentialKind,
    /// The connections it may read.
    pub access: Access,
    /// Where it was configured (`--auth-file` line), for startup errors that must not echo it.
    pub origin: String,
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.kind {
            CredentialKind::Token(_) => "token".to_string(),
            CredentialKind::User { name, .. } => format!("user {name}"),
        };
        f.debug_struct("Credential")
            .field("kind", &kind)
            .field("access", &self.access)
            .field("origin", &self.origin)
            .finish()
    }
}

impl Credential {
    /// A bearer token with this access.
    pub fn token(token: Secret, access: Access) -> Self {
        Credential {
            kind: CredentialKind::Token(token),
            access,
            origin: "--auth-token".into(),
        }
    }

    /// A Basic user with this access.
    pub fn user(name: impl Into<String>, password: Secret, access: Access) -> Self {
        Credential {
            kind: CredentialKind::User {
                name: name.into(),
                password,
            },
            access,
            origin: "--auth-user".into(),
        }
    }
}

/// Why an `--auth-file` was refused. The message names the line and never repeats its content (it
/// may hold a token or password).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct AuthFileError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong and what is accepted.
    pub message: String,
}

/// The syntax of an `--auth-file`, for error messages and `--help`.
pub const AUTH_FILE_SYNTAX: &str = "one credential per line: `token TOKEN [CONNECTION,…]` or \
     `user NAME:PASSWORD [CONNECTION,…]`; without connections the credential reads every served \
     connection; `#` starts a comment line";

/// Parse an auth file: one credential per line,
/// `token TOKEN [CONN,CONN…]` or `user NAME:PASSWORD [CONN,CONN…]`, blank lines and `#` comment
/// lines ignored. Tokens and passwords cannot contain whitespace.
pub fn parse_auth_file(text: &str) -> Result<Vec<Credential>, AuthFileError> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let l = raw.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let err = |message: &str| AuthFileError {
            line,
            message: format!("{message}; expected {AUTH_FILE_SYNTAX}"),
        };
        let fields: Vec<&str> = l.split_whitespace().collect();
        if fields.len() < 2 || fields.len() > 3 {
            return Err(err(&format!(
                "{} fields where 2 or 3 are expected (tokens and passwords cannot contain spaces)",
                fields.len()
            )));
        }
        let access = match fields.get(2) {
            None => Access::All,
            Some(list) => {
                let names: Vec<&str> = list.split(',').filter(|n| !n.is_empty()).collect();
                if names.is_empty() || !names.iter().all(|n| crate::accounts::check_name(n).is_ok())
                {
                    return Err(err(
                        "the third field must list connection names separated by commas (letters, digits, `-`, `_`, `.`)",
                    ));
                }
                Access::only(names)
            }
        };
        let origin = format!("--auth-file line {line}");
        let kind = match fields[0] {
            "token" => CredentialKind::Token(Secret::new(fields[1])),
            "user" => {
                let (name, password) = parse_user(fields[1]).map_err(|_| {
                    err("a user is NAME:PASSWORD with a non-empty name and password")
                })?;
                CredentialKind::User {
                    name,
                    password: Secret::new(password),
                }
            }
            _ => return Err(err("a line starts with `token` or `user`")),
        };
        out.push(Credential {
            kind,
            access,
            origin,
        });
    }
    Ok(out)
}

/// The accepted credentials: static bearer tokens, Basic users and the session tokens issued by the
/// handshake (in memory, with an expiry of [`SESSION_TTL`]), each with the connections it may read.
pub struct Authenticator {
    tokens: Vec<(Digest32, Access)>,
    /// (digest of the user name, digest of the password, access).
    users: Vec<(Digest32, Digest32, Access)>,
    sessions: Mutex<HashMap<Digest32, (Instant, Access)>>,
    ttl: Duration,
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticator")
            .field("tokens", &self.tokens.len())
            .field("users", &self.users.len())
            .field("sessions", &self.sessions.lock().len())
            .finish_non_exhaustive()
    }
}

/// Why a `NAME:PASSWORD` was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected NAME:PASSWORD with a non-empty name and password")]
pub struct BadUser;

/// Split `NAME:PASSWORD` (at the first `:`).
pub fn parse_user(value: &str) -> Result<(String, String), BadUser> {
    match value.split_once(':') {
        Some((name, password)) if !name.is_empty() && !password.is_empty() => {
            Ok((name.to_string(), password.to_string()))
        }
        _ => Err(BadUser),
    }
}

impl Authenticator {
    /// An authenticator accepting these bearer tokens and `(user, password)` pairs, each for every
    /// connection.
    pub fn new<'a>(
        tokens: impl IntoIterator<Item = &'a Secret>,
        users: impl IntoIterator<Item = (&'a str, &'a Secret)>,
    ) -> Self {
        let mut creds: Vec<Credential> = tokens
            .into_iter()
            .map(|t| Credential::token(t.clone(), Access::All))
            .collect();
        creds.extend(
            users
                .into_iter()
                .map(|(u, p)| Credential::user(u, p.clone(), Access::All)),
        );
        Self::from_credentials(&creds)
    }

    /// An authenticator accepting these credentials, each limited as it says.
    pub fn from_credentials(creds: &[Credential]) -> Self {
        let mut tokens = Vec::new();
        let mut users = Vec::new();
        for c in creds {
            match &c.kind {
                CredentialKind::Token(t) => {
                    tokens.push((digest(t.expose().as_bytes()), c.access.clone()))
                }
                CredentialKind::User { name, password } => users.push((
                    digest(name.as_bytes()),
                    digest(password.expose().as_bytes()),
                    c.access.clone(),
                )),
            }
        }
        Authenticator {
            tokens,
            users,
            sessions: Mutex::new(HashMap::new()),
            ttl: SESSION_TTL,
        }
    }

    /// The same, with another session lifetime (tests).
    pub fn with_session_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// True when no credentials at all are configured (then the server should not require any).
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty() && self.users.is_empty()
    }

    /// The access of `token` when it is a configured bearer token or a live session token.
    pub fn check_bearer(&self, token: &str) -> Option<Access> {
        let d = digest(token.as_bytes());
        let mut found = None;
        // every token compared, whichever matches
        for (t, access) in &self.tokens {
            if same(t, &d) & found.is_none() {
                found = Some(access.clone());
            }
        }
        if found.is_some() {
            return found;
        }
        let mut sessions = self.sessions.lock();
        match sessions.get(&d) {
            Some((expiry, access)) if *expiry > Instant::now() => Some(access.clone()),
            Some(_) => {
                sessions.remove(&d);
                None
            }
            None => None,
        }
    }

    /// The access of `user` when `user`/`password` is a configured user.
    pub fn check_user(&self, user: &str, password: &str) -> Option<Access> {
        let du = digest(user.as_bytes());
        let dp = digest(password.as_bytes());
        let mut found = None;
        for (u, p, access) in &self.users {
            // Both compared every time, so the timing says nothing about which part was wrong.
            let user_ok = same(u, &du);
            let pass_ok = same(p, &dp);
            if user_ok & pass_ok & found.is_none() {
                found = Some(access.clone());
            }
        }
        found
    }

    /// Every connection name some credential is limited to (to check against the served ones).
    pub fn limited_to(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .tokens
            .iter()
            .map(|(_, a)| a)
            .chain(self.users.iter().map(|(_, _, a)| a))
            .filter_map(Access::names)
            .flatten()
            .cloned()
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// Issue a new session token (64 hex characters) for every connection (tests).
    pub fn issue_session(&self) -> Result<String, Status> {
        self.issue_session_for(Access::All)
    }

    /// Issue a new session token with this access, valid for the session lifetime: 256 bits from the
    /// operating system's CSPRNG, as 64 hex characters. Fails (`UNAVAILABLE`) only when the operating
    /// system gives no random bytes.
    pub fn issue_session_for(&self, access: Access) -> Result<String, Status> {
        let token = Secret::random::<32>().map_err(|e| {
            tracing::error!(error = %e, "no random bytes from the operating system for a session token");
            Status::unavailable("the server could not make a session token; try again")
        })?;
        let token = token.expose().to_string();
        let d = digest(token.as_bytes());
        let now = Instant::now();
        let mut sessions = self.sessions.lock();
        sessions.retain(|_, (expiry, _)| *expiry > now);
        sessions.insert(d, (now + self.ttl, access));
        Ok(token)
    }

    /// Check the `authorization` header value of an RPC (not Handshake): the client's access.
    pub fn check_header(&self, value: Option<&str>) -> Option<Access> {
        self.check_bearer(value.and_then(bearer_of)?)
    }

    /// The Handshake: Basic credentials give a fresh session token; a valid bearer token is echoed.
    /// Returns the bearer token to send back in `authorization: Bearer …`.
    pub fn handshake(&self, value: Option<&str>) -> Result<String, Status> {
        let value = value.ok_or_else(|| Status::unauthenticated(CREDENTIALS_REQUIRED))?;
        if let Some((user, password)) = basic_of(value) {
            if let Some(access) = self.check_user(&user, &password) {
                return self.issue_session_for(access);
            }
            return Err(Status::unauthenticated(
                "wrong user name or password in the Basic handshake",
            ));
        }
        if let Some(token) = bearer_of(value)
            && self.check_bearer(token).is_some()
        {
            return Ok(token.to_string());
        }
        Err(Status::unauthenticated(CREDENTIALS_REQUIRED))
    }
}

/// The token of `Bearer TOKEN` (scheme case-insensitive).
fn bearer_of(value: &str) -> Option<&str> {
    let (scheme, rest) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| rest.trim())
        .filter(|t| !t.is_empty())
}

/// The user and password of `Basic base64(user:pass)`.
fn basic_of(value: &str) -> Option<(String, String)> {
    let (scheme, rest) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    // standard base64: another alphabet, a dangling group or non-zero trailing bits are refused
    let decoded = BASIC.decode(rest.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

/// `Basic base64(user:password)`, the header value a client sends in the Handshake.
pub fn basic_header(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        STANDARD.encode(format!("{user}:{password}").as_bytes())
    )
}

/// The Flight service behind an authentication check. Every request also carries the
/// [`Arc<Authenticator>`] in its extensions, for the Handshake.
#[derive(Debug, Clone)]
pub struct AuthService<S> {
    inner: S,
    auth: Arc<Authenticator>,
}

impl<S> AuthService<S> {
    pub fn new(inner: S, auth: Arc<Authenticator>) -> Self {
        AuthService { inner, auth }
    }
}

impl<S: NamedService> NamedService for AuthService<S> {
    const NAME: &'static str = S::NAME;
}

impl<S> Service<http::Request<Body>> for AuthService<S>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Infallible>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: http::Request<Body>) -> Self::Future {
        let is_handshake = req.uri().path() == HANDSHAKE_PATH;
        if !is_handshake {
            let header = req
                .headers()
                .get(http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok());
            match self.auth.check_header(header) {
                Some(access) => {
                    req.extensions_mut().insert(access);
                }
                None => {
                    tracing::warn!(
                        rpc = req.uri().path(),
                        credentials = header.is_some(),
                        "Flight request refused: missing or invalid credentials"
                    );
                    let resp = Status::unauthenticated(CREDENTIALS_REQUIRED).into_http();
                    return Box::pin(async move { Ok(resp) });
                }
            }
        }
        req.extensions_mut().insert(Arc::clone(&self.auth));
        // Take the service that was driven to readiness, leave a fresh clone in its place.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(inner.call(req))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials() {
        let tok = Secret::new("t0ken");
        let pw = Secret::new("pw");
        let a = Authenticator::new([&tok], [("alice", &pw)]);
        assert_eq!(a.check_bearer("t0ken"), Some(Access::All));
        assert!(a.check_bearer("t0ke").is_none());
        assert!(a.check_header(Some("Bearer t0ken")).is_some());
        assert!(a.check_header(Some("Basic t0ken")).is_none());
        assert!(a.check_header(None).is_none());
        assert!(a.check_user("alice", "pw").is_some());
        assert!(a.check_user("alice", "px").is_none());
        assert!(a.check_user("bob", "pw").is_none());
        let s = a.handshake(Some(&basic_header("alice", "pw"))).unwrap();
        assert_eq!(s.len(), 64);
        assert!(s.bytes().all(|b| b.is_ascii_hexdigit()), "{s}");
        assert!(a.check_bearer(&s).is_some());
        assert!(a.handshake(Some(&basic_header("alice", "no"))).is_err());
        assert!(a.handshake(None).is_err());
        let dbg = format!("{a:?}");
        assert!(!dbg.contains("t0ken") && !dbg.contains("pw\""));
        assert_ne!(a.issue_session().unwrap(), a.issue_session().unwrap());
    }

    #[test]
    fn sessions_expire() {
        let pw = Secret::new("pw");
        let a = Authenticator::new([], [("u", &pw)]).with_session_ttl(Duration::ZERO);
        let s = a.issue_session().unwrap();
        assert!(a.check_bearer(&s).is_none());
    }

    #[test]
    fn auth_file_credentials_carry_their_connections() {
        let text =
            "# clients\n\ntoken all-TOKEN\ntoken shop-TOKEN shop\nuser ann:pa:ss shop,blog\n";
        let creds = parse_auth_file(text).unwrap();
        assert_eq!(creds.len(), 3);
        assert_eq!(creds[1].origin, "--auth-file line 4");
        let a = Authenticator::from_credentials(&creds);
        assert_eq!(a.check_bearer("all-TOKEN"), Some(Access::All));
        let shop = a.check_bearer("shop-TOKEN").unwrap();
        assert!(shop.permits("shop") && !shop.permits("blog"));
        // a session from the handshake inherits the user's limit
        let s = a.handshake(Some(&basic_header("ann", "pa:ss"))).unwrap();
        let ann = a.check_bearer(&s).unwrap();
        assert_eq!(ann.names().unwrap(), ["shop", "blog"]);
        assert!(!ann.permits("other"));
        assert_eq!(a.limited_to(), ["blog", "shop"]);
        // the Debug of a credential hides the secret
        let dbg = format!("{creds:?}");
        assert!(!dbg.contains("TOKEN") && !dbg.contains("pa:ss"), "{dbg}");
    }

    #[test]
    fn auth_file_errors_name_the_line_not_the_secret() {
        for (text, says) in [
            ("token", "1 fields"),
            ("token a b c d", "5 fields"),
            ("bearer s3cr3t", "starts with `token` or `user`"),
            ("user s3cr3t", "NAME:PASSWORD"),
            ("token s3cr3t shop/1", "connection names"),
        ] {
            let e = parse_auth_file(&format!("# x\n{text}")).unwrap_err();
            assert_eq!(e.line, 2, "{text}");
            let msg = e.to_string();
            assert!(msg.contains(says), "{text}: {msg}");
            assert!(!msg.contains("s3cr3t"), "{msg}");
        }
    }

    #[test]
    fn basic_credentials_are_strict_standard_base64() {
        let a = Authenticator::new([], [("u", &Secret::new("??>"))]);
        let good = basic_header("u", "??>");
        // "u:??>" has a `+` or `/` in standard base64: the URL-safe spelling is another alphabet
        let b64 = good.trim_start_matches("Basic ");
        assert!(b64.contains(['+', '/']), "{b64}");
        assert!(a.handshake(Some(&good)).is_ok());
        let url_safe = good.replace('+', "-").replace('/', "_");
        assert!(basic_of(&url_safe).is_none(), "{url_safe}");
        assert!(a.handshake(Some(&url_safe)).is_err());
        // a dangling group (one character past the last full group) is refused, not dropped
        assert!(basic_of(&format!("{good}A")).is_none());
        assert!(basic_of("Basic dXNlcjpwYXNzA").is_none());
        // padding is optional (ADBC's Go client sends none); non-zero trailing bits are refused
        assert_eq!(STANDARD.encode("u:pw"), "dTpwdw==");
        assert!(basic_of("Basic dTpwdw==").is_some());
        assert_eq!(
            basic_of("Basic dTpwdw"),
            Some(("u".to_string(), "pw".to_string()))
        );
        assert!(basic_of("Basic dTpwdx==").is_none());
        assert!(basic_of("Basic dTpwdx").is_none());
    }

    #[test]
    fn session_tokens_are_random_hex() {
        let a = Authenticator::new([], []);
        let tokens: std::collections::HashSet<String> =
            (0..64).map(|_| a.issue_session().unwrap()).collect();
        assert_eq!(tokens.len(), 64);
        assert!(tokens.iter().all(|t| t.len() == 64));
    }

    #[test]
    fn users() {
        assert_eq!(
            parse_user("a:b:c").unwrap(),
            ("a".to_string(), "b:c".to_string())
        );
        assert!(parse_user(":b").is_err());
        assert!(parse_user("a:").is_err());
        assert!(parse_user("ab").is_err());
    }
}
