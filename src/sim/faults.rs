//! Fault injection: which calls get a fault (a deterministic function of the seed and the call number)
//! and what each fault does.

use std::fmt;
use std::str::FromStr;

use super::error::GraphError;
use super::rng::hash;
use super::state::{AppState, Out, OutBody};

/// An injectable fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultKind {
    /// HTTP 500, code 2, `is_transient: true`.
    Http500Code2,
    /// HTTP 500, code 1 "An unknown error has occurred."
    Code1,
    /// 200 headers, then the body stops half-way with a transport error.
    DropConnection,
    /// Sleep `slow_delay`, then answer correctly.
    Slow,
    /// HTTP 503 with an HTML body.
    Html503,
}

impl FaultKind {
    /// Every kind.
    pub const ALL: [FaultKind; 5] = [
        FaultKind::Http500Code2,
        FaultKind::Code1,
        FaultKind::DropConnection,
        FaultKind::Slow,
        FaultKind::Html503,
    ];
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FaultKind::Http500Code2 => "http500",
            FaultKind::Code1 => "code1",
            FaultKind::DropConnection => "drop",
            FaultKind::Slow => "slow",
            FaultKind::Html503 => "html503",
        })
    }
}

impl FromStr for FaultKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "http500" => Ok(FaultKind::Http500Code2),
            "code1" => Ok(FaultKind::Code1),
            "drop" => Ok(FaultKind::DropConnection),
            "slow" => Ok(FaultKind::Slow),
            "html503" => Ok(FaultKind::Html503),
            other => Err(format!(
                "unknown fault kind '{other}': expected one of http500, code1, drop, slow, html503"
            )),
        }
    }
}

/// The body of the `Html503` fault (what Facebook's front end answers when it is down).
const HTML_503: &str = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Facebook | Error</title></head>\
<body><div id=\"content\"><h1>Sorry, something went wrong.</h1><p>We're working on getting this fixed as soon as we can.</p>\
<p><a href=\"https://www.facebook.com/\">Go Back</a></p></div></body></html>\n";

/// What an injected fault leaves of a call.
pub(super) enum Injected {
    /// The call is not answered: this is.
    Instead(Out),
    /// The call is answered, but its body is cut half-way.
    DropBody,
    /// The call is answered normally (a slow fault has already waited).
    Answer,
}

impl AppState {
    /// The fault for the next HTTP request, if any: a deterministic function of the seed and the
    /// request number.
    pub(super) fn pick_fault(&self) -> Option<FaultKind> {
        let n = self
            .calls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if self.cfg.fault_rate <= 0.0 || self.cfg.faults.is_empty() {
            return None;
        }
        let r = (hash(&[self.cfg.seed, 0xFA17, n]) >> 11) as f64 / (1u64 << 53) as f64;
        if r < self.cfg.fault_rate {
            let k = hash(&[self.cfg.seed, 0xFA18, n]) % self.cfg.faults.len() as u64;
            Some(self.cfg.faults[k as usize])
        } else {
            None
        }
    }

    /// Inject `fault` into a call of endpoint kind `kind`.
    pub(super) async fn inject(&self, fault: FaultKind, kind: &str) -> Injected {
        match fault {
            FaultKind::Http500Code2 => {
                let e = GraphError::new(
                    2,
                    "An unexpected error has occurred. Please retry your request later.",
                )
                .transient(true)
                .status(500);
                Injected::Instead(self.error_out(kind, e, vec![]))
            }
            FaultKind::Code1 => {
                let e = GraphError::new(1, "An unknown error has occurred.").status(500);
                Injected::Instead(self.error_out(kind, e, vec![]))
            }
            FaultKind::Html503 => Injected::Instead(Out {
                status: 503,
                body: OutBody::Html(HTML_503.into()),
                headers: vec![],
                kind: kind.to_string(),
                throttled: false,
            }),
            FaultKind::Slow => {
                tokio::time::sleep(self.cfg.slow_delay).await;
                Injected::Answer
            }
            FaultKind::DropConnection => Injected::DropBody,
        }
    }
}
