//! Secrets (access tokens, app secrets) and URL redaction.

use std::fmt;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Query parameters whose values are credentials and are replaced by `REDACTED` in [`redact_url`].
pub const SENSITIVE_PARAMS: &[&str] = &[
    "access_token",
    "appsecret_proof",
    "client_secret",
    "fb_exchange_token",
    "input_token",
    "code",
];

/// A credential (access token, app secret). `Debug` and `Display` never show it; use
/// [`Secret::expose`] only where the value must go on the wire. Equality is decided in constant time
/// for secrets of one length (`subtle`).
#[derive(Clone)]
pub struct Secret(Arc<str>);

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

impl Eq for Secret {}

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(Arc::from(value.into()))
    }

    /// A new random secret (session tokens, OAuth `state`): `N` bytes from the operating system's
    /// CSPRNG (`getrandom`), as `2·N` hex characters. Fails only when the operating system gives no
    /// random bytes.
    pub fn random<const N: usize>() -> Result<Self, getrandom::Error> {
        let mut buf = [0u8; N];
        getrandom::fill(&mut buf)?;
        Ok(Self::new(hex::encode(buf)))
    }

    /// The secret value itself. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The short, non-reversible key this secret is counted under (budget, stats).
    pub fn key(&self) -> TokenKey {
        TokenKey::of(self)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(\"****\")")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("****")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

/// A token's identity for budgets and statistics: `t:` and the first 12 hex digits of SHA-256(token).
/// Safe to log and to serialize.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct TokenKey(String);

impl TokenKey {
    pub fn of(token: &Secret) -> Self {
        let digest = Sha256::digest(token.expose().as_bytes());
        Self(format!("t:{}", &hex::encode(digest)[..12]))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Replaces the values of credential query parameters ([`SENSITIVE_PARAMS`]) with `REDACTED`,
/// also inside URLs nested in a parameter value (e.g. a percent-encoded `next` URL). Other parameters
/// keep their original spelling. Works on absolute and relative URLs and on bare query strings.
pub fn redact_url(url: &str) -> String {
    let (head, query_and_fragment) = match url.find('?') {
        Some(i) => (&url[..=i], &url[i + 1..]),
        None if url.contains('=') && !url.contains('/') => ("", url),
        None => return url.to_owned(),
    };
    let (query, fragment) = match query_and_fragment.find('#') {
        Some(i) => (&query_and_fragment[..i], &query_and_fragment[i..]),
        None => (query_and_fragment, ""),
    };
    let mut out = String::with_capacity(url.len());
    out.push_str(head);
    for (i, pair) in query.split('&').enumerate() {
        if i > 0 {
            out.push('&');
        }
        let (raw_key, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = decode_component(raw_key);
        if SENSITIVE_PARAMS.contains(&key.as_str()) {
            out.push_str(raw_key);
            out.push_str("=REDACTED");
            continue;
        }
        let value = decode_component(raw_value);
        let nested = if value.contains('?') || value.contains('=') {
            redact_url(&value)
        } else {
            value.clone()
        };
        if nested == value {
            out.push_str(pair);
        } else {
            out.push_str(raw_key);
            out.push('=');
            out.extend(url::form_urlencoded::byte_serialize(nested.as_bytes()));
        }
    }
    out.push_str(fragment);
    out
}

fn decode_component(s: &str) -> String {
    url::form_urlencoded::parse(format!("k={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_debug_and_display_redact() {
        let s = Secret::new("EAAGtopsecret");
        assert_eq!(format!("{s:?}"), "Secret(\"****\")");
        assert_eq!(format!("{s}"), "****");
        assert_eq!(s.expose(), "EAAGtopsecret");
        assert!(!format!("{:?}", Some(s.clone())).contains("topsecret"));
    }

    #[test]
    fn random_secrets_are_hex_and_differ() {
        let a = Secret::random::<16>().unwrap();
        let b = Secret::random::<16>().unwrap();
        assert_eq!(a.expose().len(), 32);
        assert!(a.expose().bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
        assert_eq!(a, a.clone());
        assert_eq!(Secret::new("x"), Secret::new("x"));
        assert_ne!(Secret::new("x"), Secret::new("xy"));
    }

    #[test]
    fn token_key_is_short_and_stable() {
        let a = Secret::new("EAAGtopsecret").key();
        assert_eq!(a, Secret::new("EAAGtopsecret").key());
        assert_ne!(a, Secret::new("other").key());
        assert_eq!(a.as_str().len(), 14);
        assert!(!a.as_str().contains("topsecret"));
    }

    #[test]
    fn redacts_every_sensitive_param() {
        let url = "https://graph.facebook.com/v15.0/1784/media?fields=id,caption&access_token=EAAG1&appsecret_proof=abc\
                   &client_secret=s3&fb_exchange_token=x&input_token=y&code=z&limit=25#frag";
        let r = redact_url(url);
        for secret in ["EAAG1", "abc", "s3", "=x", "=y", "=z"] {
            assert!(!r.contains(secret), "{secret} in {r}");
        }
        assert!(r.contains("fields=id,caption"));
        assert!(r.contains("limit=25#frag"));
        assert!(r.contains("access_token=REDACTED"));
    }

    #[test]
    fn redacts_nested_next_url() {
        let inner = "https://graph.facebook.com/v15.0/1/media?access_token=EAAGinner&after=QVFI";
        let encoded: String = url::form_urlencoded::byte_serialize(inner.as_bytes()).collect();
        let url = format!("http://x/cb?next={encoded}&access_token=EAAGouter");
        let r = redact_url(&url);
        assert!(!r.contains("EAAGinner") && !r.contains("EAAGouter"), "{r}");
        assert!(r.contains("QVFI"));
    }

    #[test]
    fn leaves_urls_without_query_alone() {
        assert_eq!(
            redact_url("https://graph.facebook.com/v15.0/me"),
            "https://graph.facebook.com/v15.0/me"
        );
        assert_eq!(
            redact_url("access_token=abc&x=1"),
            "access_token=REDACTED&x=1"
        );
    }
}
