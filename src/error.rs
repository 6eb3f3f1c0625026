//! The report layer's error, and the one place where errors become gRPC statuses.

use arrow::error::ArrowError;
use tonic::{Code, Status};

use crate::graph::{ErrorClass, GraphError};
use crate::ticket::TicketError;

/// The command that logs in to stored connection `$name` (a literal).
macro_rules! login_command {
    ($name:literal) => {
        concat!(
            "`igflight accounts login ",
            $name,
            " --app-id … --app-secret …`"
        )
    };
}

/// The commands that give stored connection `$name` (a literal) a new token: the one wording of
/// every reconnect hint ([`reconnect_commands`], [`RECONNECT_HINT`]).
macro_rules! reconnect_commands_of {
    ($name:literal) => {
        concat!(
            "`igflight accounts reconnect ",
            $name,
            " --token-env VAR` (a fresh token) or ",
            login_command!($name)
        )
    };
}

/// Why a report could not be produced (or stopped part way).
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The ticket was refused before any Graph call.
    #[error("{0}")]
    Ticket(#[from] TicketError),
    /// A Graph API call failed.
    #[error("{0}")]
    Graph(#[from] GraphError),
    /// No account was named and the token reaches several: the message lists them.
    #[error(
        "the token reaches {count} Instagram business accounts; name one with `account` or `page`: {list}"
    )]
    AmbiguousAccount {
        /// How many.
        count: usize,
        /// `id (@username, page "name")`, comma separated.
        list: String,
    },
    /// An account, page, media, hashtag or username does not exist or is not reachable.
    #[error("{0}")]
    NotFound(String),
    /// The 30-hashtags-per-7-days budget of the account is spent; refused without a call.
    #[error(
        "the account {account} has searched 30 hashtags in the last 7 days (the Instagram limit); \
         `#{hashtag}` would be a new one. The oldest search ages out at {frees_at}"
    )]
    HashtagBudget {
        /// The account.
        account: String,
        /// The hashtag refused.
        hashtag: String,
        /// When a slot frees (RFC 3339).
        frees_at: String,
    },
    /// The request plainly needs more Graph calls than it may spend now: refused before its first call
    /// instead of spending the budget and failing half way.
    #[error("this request needs {needed} Graph calls; {why}")]
    NeedsCalls {
        /// Calls the request needs.
        needed: u64,
        /// Why they are not available, and when they will be.
        why: String,
    },
    /// Every report-run slot of the server is taken.
    #[error(
        "the server is running as many reports as it allows at once (--max-concurrent-reports); try again when one ends"
    )]
    Busy,
    /// Building Arrow data failed.
    #[error("could not build Arrow data: {0}")]
    Arrow(#[from] ArrowError),
    /// The Graph token of a stored connection is invalid or expired (Graph code 190 or 102).
    #[error(
        "{source}. The access token of connection `{connection}` is invalid or expired: get a new token with {}",
        reconnect_commands(connection)
    )]
    Reconnect {
        /// The stored connection.
        connection: String,
        /// The Graph error.
        source: GraphError,
    },
    /// The Graph token lacks a permission the report needs (Graph code 10 or 200–299).
    #[error(
        "{source}. Report `{report}` needs the permissions {needs}: grant them when logging in ({}) and use the new token",
        login_command!("NAME")
    )]
    MissingPermission {
        /// The report.
        report: &'static str,
        /// Its permissions, comma separated.
        needs: String,
        /// The Graph error.
        source: GraphError,
    },
    /// The client's credential may not read the connection it asked for.
    #[error(
        "this client's credential may not read connection `{requested}`; it may read: {allowed}"
    )]
    ConnectionDenied {
        /// The connection asked for (ticket key `connection` or header `x-igflight-connection`).
        requested: String,
        /// The connections it may read, comma separated.
        allowed: String,
    },
    /// The server does not serve the connection asked for.
    #[error(
        "connection `{requested}` is not served here; served: {served} (ticket key `connection` or header `x-igflight-connection`)"
    )]
    UnknownConnection {
        /// The connection asked for.
        requested: String,
        /// The served connections the client may read, comma separated.
        served: String,
    },
    /// The Graph API answered with something we cannot use.
    #[error("unexpected Graph API response: {0}")]
    Unexpected(String),
    /// The state store (call ledger, hashtag budget, conversions: a file or Redis) failed.
    #[error("{0}")]
    State(#[from] crate::state::StateError),
}

/// The commands that give stored connection `name` a new token: the one wording of every reconnect
/// hint (expired or refused tokens, in errors, warnings and the `accounts` action).
pub fn reconnect_commands(name: &str) -> String {
    format!(reconnect_commands_of!("{name}"), name = name)
}

/// The commands for a stored connection `name` whose token expires soon: renew it, or reconnect it
/// ([`reconnect_commands`]).
pub fn renew_commands(name: &str) -> String {
    format!(
        "`igflight accounts renew {name} --app-secret …`, or {}",
        reconnect_commands(name)
    )
}

/// Message suffix for an expired or invalid token whose stored connection is not known: the
/// [`reconnect_commands`] of `NAME`, or a new `IGFLIGHT_ACCESS_TOKEN`.
pub const RECONNECT_HINT: &str = concat!(
    "The Graph access token is invalid or expired: get a new token with ",
    reconnect_commands_of!("NAME"),
    ", or set a new IGFLIGHT_ACCESS_TOKEN."
);

impl ReportError {
    /// Name the stored connection in an expired-token error, so the message says which one to reconnect.
    pub fn for_connection(self, connection: Option<&str>) -> ReportError {
        match (self, connection) {
            (ReportError::Graph(g), Some(name)) if g.class() == ErrorClass::Reauthenticate => {
                ReportError::Reconnect {
                    connection: name.to_string(),
                    source: g,
                }
            }
            (e, _) => e,
        }
    }

    /// Name the report's permissions in a permission error, so the message says what to grant.
    pub fn for_report(self, report: crate::reports::catalog::ReportKind) -> ReportError {
        match self {
            ReportError::Graph(g) if g.class() == ErrorClass::Permission => {
                ReportError::MissingPermission {
                    report: report.name(),
                    needs: report.permissions().join(", "),
                    source: g,
                }
            }
            e => e,
        }
    }

    /// The gRPC code of this error (CONTRACT §5).
    pub fn code(&self) -> Code {
        match self {
            ReportError::Ticket(_) | ReportError::AmbiguousAccount { .. } => Code::InvalidArgument,
            ReportError::NotFound(_) | ReportError::UnknownConnection { .. } => Code::NotFound,
            ReportError::ConnectionDenied { .. } | ReportError::MissingPermission { .. } => {
                Code::PermissionDenied
            }
            ReportError::HashtagBudget { .. }
            | ReportError::NeedsCalls { .. }
            | ReportError::Busy => Code::ResourceExhausted,
            ReportError::Arrow(_) | ReportError::Unexpected(_) => Code::Internal,
            ReportError::State(_) => Code::Unavailable,
            ReportError::Reconnect { .. } => Code::Unauthenticated,
            ReportError::Graph(g) => match g.class() {
                ErrorClass::Reauthenticate => Code::Unauthenticated,
                ErrorClass::Permission => Code::PermissionDenied,
                ErrorClass::NotFound => Code::NotFound,
                ErrorClass::RateLimited | ErrorClass::HashtagBudget => Code::ResourceExhausted,
                ErrorClass::Retryable | ErrorClass::Unavailable => Code::Unavailable,
                ErrorClass::InvalidRequest => Code::InvalidArgument,
                ErrorClass::SkippableItem => Code::FailedPrecondition,
                ErrorClass::Fatal => Code::Internal,
            },
        }
    }

    /// The status a client receives: the code, and a message that says what happened and what to do.
    pub fn to_status(&self) -> Status {
        let code = self.code();
        let message = match (code, self) {
            (_, ReportError::Reconnect { .. }) => self.to_string(),
            (Code::Unauthenticated, _) => format!("{self}. {RECONNECT_HINT}"),
            (_, _) => self.to_string(),
        };
        if matches!(code, Code::Internal | Code::Unavailable) {
            tracing::warn!(code = ?code, error = %message, "report failed");
        } else {
            tracing::info!(code = ?code, error = %message, "report refused");
        }
        Status::new(code, message)
    }
}

impl From<ReportError> for Status {
    fn from(e: ReportError) -> Status {
        e.to_status()
    }
}

impl From<TicketError> for Status {
    fn from(e: TicketError) -> Status {
        ReportError::Ticket(e).to_status()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_the_contract() {
        let t = TicketError::Invalid {
            key: "report".into(),
            message: "unknown report".into(),
        };
        assert_eq!(ReportError::from(t).code(), Code::InvalidArgument);
        assert_eq!(ReportError::NotFound("x".into()).code(), Code::NotFound);
        assert_eq!(
            ReportError::AmbiguousAccount {
                count: 2,
                list: "a, b".into()
            }
            .code(),
            Code::InvalidArgument
        );
        let h = ReportError::HashtagBudget {
            account: "1".into(),
            hashtag: "x".into(),
            frees_at: "t".into(),
        };
        assert_eq!(h.code(), Code::ResourceExhausted);
        assert!(h.to_string().contains("30 hashtags"));
    }

    #[test]
    fn one_reconnect_hint() {
        assert!(
            RECONNECT_HINT.contains(&reconnect_commands("NAME")),
            "{RECONNECT_HINT}"
        );
        assert!(renew_commands("shop").ends_with(&reconnect_commands("shop")));
        let g = GraphError::RunCallCap { cap: 1 };
        let e = ReportError::Reconnect {
            connection: "shop".into(),
            source: g,
        };
        assert!(e.to_string().contains(&reconnect_commands("shop")), "{e}");
    }
}
