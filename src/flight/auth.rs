//! Flight client authentication (optional): accepted bearer tokens, Basic users (the Handshake answers
//! them with a session bearer token) and the tower layer that checks `authorization` on every RPC but
//! `Handshake`.
//!
//! Credentials are never logged: [`Authenticator`]'s `Debug` shows counts only, and every comparison
//! is made in constant time over SHA-256 digests (so neither content nor length leaks through timing).

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::convert::Infallible;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;
use sha2::{Digest, Sha256};
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

/// Equality of two byte strings in time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut diff = 0u8;
    for (x, y) in a.iter().zip(b) {
        diff |= x ^ y;
    }
    std::hint::black_box(diff) == 0
}

/// The accepted credentials: static bearer tokens, Basic users and the session tokens issued by the
/// handshake (in memory, with an expiry of [`SESSION_TTL`]).
pub struct Authenticator {
    tokens: Vec<Digest32>,
    /// (digest of the user name, digest of the password).
    users: Vec<(Digest32, Digest32)>,
    sessions: Mutex<HashMap<Digest32, Instant>>,
    secret: Digest32,
    counter: AtomicU64,
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
    /// An authenticator accepting these bearer tokens and `(user, password)` pairs.
    pub fn new<'a>(
        tokens: impl IntoIterator<Item = &'a Secret>,
        users: impl IntoIterator<Item = (&'a str, &'a Secret)>,
    ) -> Self {
        Authenticator {
            tokens: tokens
                .into_iter()
                .map(|t| digest(t.expose().as_bytes()))
                .collect(),
            users: users
                .into_iter()
                .map(|(u, p)| (digest(u.as_bytes()), digest(p.expose().as_bytes())))
                .collect(),
            sessions: Mutex::new(HashMap::new()),
            secret: process_secret(),
            counter: AtomicU64::new(0),
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

    /// Whether `token` is a configured bearer token or a live session token.
    pub fn check_bearer(&self, token: &str) -> bool {
        let d = digest(token.as_bytes());
        let mut ok = false;
        for t in &self.tokens {
            ok |= constant_time_eq(t, &d);
        }
        if ok {
            return true;
        }
        let mut sessions = self.sessions.lock();
        match sessions.get(&d) {
            Some(expiry) if *expiry > Instant::now() => true,
            Some(_) => {
                sessions.remove(&d);
                false
            }
            None => false,
        }
    }

    /// Whether `user`/`password` is a configured user.
    pub fn check_user(&self, user: &str, password: &str) -> bool {
        let du = digest(user.as_bytes());
        let dp = digest(password.as_bytes());
        let mut ok = false;
        for (u, p) in &self.users {
            // Both compared every time, so the timing says nothing about which part was wrong.
            let user_ok = constant_time_eq(u, &du);
            let pass_ok = constant_time_eq(p, &dp);
            ok |= user_ok & pass_ok;
        }
        ok
    }

    /// Issue a new session token (64 hex characters), valid for the session lifetime.
    pub fn issue_session(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        let mut h = Sha256::new();
        h.update(self.secret);
        h.update(n.to_le_bytes());
        h.update(now.to_le_bytes());
        h.update(random_u64().to_le_bytes());
        let token = hex::encode(h.finalize());
        let d = digest(token.as_bytes());
        let now = Instant::now();
        let mut sessions = self.sessions.lock();
        sessions.retain(|_, expiry| *expiry > now);
        sessions.insert(d, now + self.ttl);
        token
    }

    /// Check the `authorization` header value of an RPC (not Handshake).
    pub fn check_header(&self, value: Option<&str>) -> bool {
        match value.and_then(bearer_of) {
            Some(token) => self.check_bearer(token),
            None => false,
        }
    }

    /// The Handshake: Basic credentials give a fresh session token; a valid bearer token is echoed.
    /// Returns the bearer token to send back in `authorization: Bearer …`.
    pub fn handshake(&self, value: Option<&str>) -> Result<String, Status> {
        let value = value.ok_or_else(|| Status::unauthenticated(CREDENTIALS_REQUIRED))?;
        if let Some((user, password)) = basic_of(value) {
            if self.check_user(&user, &password) {
                return Ok(self.issue_session());
            }
            return Err(Status::unauthenticated(
                "wrong user name or password in the Basic handshake",
            ));
        }
        if let Some(token) = bearer_of(value)
            && self.check_bearer(token)
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
    let decoded = crate::base64::decode(rest.trim())?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

/// `Basic base64(user:password)`, the header value a client sends in the Handshake.
pub fn basic_header(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        crate::base64::encode(format!("{user}:{password}").as_bytes())
    )
}

/// 64 bits from the standard library's randomly keyed hasher (seeded from the OS).
fn random_u64() -> u64 {
    let mut h = RandomState::new().build_hasher();
    h.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    h.finish()
}

/// A per-process secret mixed into every session token.
fn process_secret() -> Digest32 {
    let mut h = Sha256::new();
    for _ in 0..4 {
        h.update(random_u64().to_le_bytes());
    }
    h.update(std::process::id().to_le_bytes());
    let local = 0u8;
    h.update((&local as *const u8 as usize).to_le_bytes());
    h.finalize().into()
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
            if !self.auth.check_header(header) {
                tracing::warn!(
                    rpc = req.uri().path(),
                    credentials = header.is_some(),
                    "Flight request refused: missing or invalid credentials"
                );
                let resp = Status::unauthenticated(CREDENTIALS_REQUIRED).into_http();
                return Box::pin(async move { Ok(resp) });
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
        assert!(a.check_bearer("t0ken"));
        assert!(!a.check_bearer("t0ke"));
        assert!(a.check_header(Some("Bearer t0ken")));
        assert!(!a.check_header(Some("Basic t0ken")));
        assert!(!a.check_header(None));
        assert!(a.check_user("alice", "pw"));
        assert!(!a.check_user("alice", "px"));
        assert!(!a.check_user("bob", "pw"));
        let s = a.handshake(Some(&basic_header("alice", "pw"))).unwrap();
        assert_eq!(s.len(), 64);
        assert!(a.check_bearer(&s));
        assert!(a.handshake(Some(&basic_header("alice", "no"))).is_err());
        assert!(a.handshake(None).is_err());
        let dbg = format!("{a:?}");
        assert!(!dbg.contains("t0ken") && !dbg.contains("pw\""));
        assert_ne!(a.issue_session(), a.issue_session());
    }

    #[test]
    fn sessions_expire() {
        let pw = Secret::new("pw");
        let a = Authenticator::new([], [("u", &pw)]).with_session_ttl(Duration::ZERO);
        let s = a.issue_session();
        assert!(!a.check_bearer(&s));
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
