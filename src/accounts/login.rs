//! The Facebook Login code flow: a local listener on 127.0.0.1 receives the redirect of the login
//! dialog (`/callback?code=…&state=…`), the code is exchanged for a token, then for a long-lived one.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Html;
use axum::routing::get;
use tokio::sync::mpsc;

use super::AccountsError;
use super::check::{App, Issued};
use crate::graph::GraphSettings;
use crate::graph::Secret;

/// The default port of the login redirect listener: fixed, because Facebook matches the redirect URI
/// exactly and the app settings must list it (`http://127.0.0.1:8765/callback`).
pub const DEFAULT_PORT: u16 = 8765;

/// The permissions asked for: what the reports need.
pub const SCOPES: &str = "instagram_basic,instagram_manage_insights,pages_show_list,pages_read_engagement,instagram_manage_comments";

/// How the login runs.
#[derive(Debug, Clone)]
pub struct LoginOptions {
    /// Where the dialog is (`https://www.facebook.com`).
    pub dialog_url: String,
    /// Local port (0: any free one).
    pub port: u16,
    /// Try to open a browser.
    pub open_browser: bool,
    /// How long to wait for the redirect.
    pub timeout: Duration,
    /// The permissions asked for.
    pub scopes: String,
}

enum Callback {
    Code(Secret),
    Refused(String),
}

struct ListenState {
    state: String,
    tx: mpsc::Sender<Callback>,
}

/// The `state` nonce: 128 bits from the operating system's CSPRNG, as hex.
fn random_state() -> Result<String, AccountsError> {
    Secret::random::<16>()
        .map(|s| s.expose().to_string())
        .map_err(|e| AccountsError::Failed(format!("could not get random bytes: {e}")))
}

async fn callback(
    State(st): State<Arc<ListenState>>,
    Query(q): Query<HashMap<String, String>>,
) -> (StatusCode, Html<String>) {
    if q.get("state").map(String::as_str) != Some(st.state.as_str()) {
        return (
            StatusCode::BAD_REQUEST,
            Html(page(
                "This answer does not belong to the login igflight is waiting for (state mismatch); it was ignored.",
            )),
        );
    }
    if let Some(code) = q.get("code").filter(|c| !c.is_empty()) {
        let _ = st.tx.send(Callback::Code(Secret::new(code.clone()))).await;
        return (
            StatusCode::OK,
            Html(page(
                "igflight received the login. You can close this window and go back to the terminal.",
            )),
        );
    }
    let why = q
        .get("error_description")
        .or_else(|| q.get("error_reason"))
        .or_else(|| q.get("error"))
        .cloned()
        .unwrap_or_else(|| "the answer had no code".into());
    let _ = st.tx.send(Callback::Refused(why.clone())).await;
    (
        StatusCode::OK,
        Html(page(&format!(
            "The login did not complete: {}",
            escape(&why)
        ))),
    )
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn page(text: &str) -> String {
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>igflight</title></head><body><p>{text}</p></body></html>"
    )
}

/// Run the login: listen, print the dialog URL (and open a browser), wait for the redirect, exchange
/// the code for a token and that for a long-lived one.
pub async fn login(
    graph: &GraphSettings,
    app: &App,
    opts: &LoginOptions,
) -> Result<Issued, AccountsError> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", opts.port))
        .await
        .map_err(|e| {
            AccountsError::Failed(format!(
                "could not listen on 127.0.0.1:{} for the login redirect: {e}; free the port, or \
                 pass --port N and list http://127.0.0.1:N/callback in the app's Valid OAuth \
                 Redirect URIs",
                opts.port
            ))
        })?;
    let port = listener
        .local_addr()
        .map_err(|e| AccountsError::Failed(e.to_string()))?
        .port();
    let redirect_uri = format!("http://127.0.0.1:{port}/callback");
    let state = random_state()?;
    let mut dialog = url::Url::parse(&opts.dialog_url)
        .and_then(|u| u.join(&format!("{}/dialog/oauth", graph.graph_version)))
        .map_err(|e| {
            AccountsError::Usage(format!(
                "`{}` is not a usable --dialog-url: {e}",
                opts.dialog_url
            ))
        })?;
    dialog
        .query_pairs_mut()
        .append_pair("client_id", &app.id)
        .append_pair("redirect_uri", &redirect_uri)
        .append_pair("state", &state)
        .append_pair("scope", &opts.scopes)
        .append_pair("response_type", "code");

    let (tx, mut rx) = mpsc::channel(4);
    let router = axum::Router::new()
        .route("/callback", get(callback))
        .with_state(Arc::new(ListenState {
            state: state.clone(),
            tx,
        }));
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = stop_rx.await;
            })
            .await;
    });

    println!(
        "Log in with Facebook: open this address in a browser (waiting {} s for the answer on {redirect_uri}):",
        opts.timeout.as_secs()
    );
    println!("{dialog}");
    {
        use std::io::Write;
        let _ = std::io::stdout().flush();
    }
    if opts.open_browser {
        open_browser(dialog.as_str());
    }

    let answer = tokio::select! {
        a = rx.recv() => a,
        _ = tokio::time::sleep(opts.timeout) => None,
        _ = tokio::signal::ctrl_c() => {
            let _ = stop_tx.send(());
            let _ = server.await;
            return Err(AccountsError::Failed("login interrupted".into()));
        }
    };
    let _ = stop_tx.send(());
    let _ = server.await;
    let code = match answer {
        Some(Callback::Code(c)) => c,
        Some(Callback::Refused(why)) => {
            return Err(AccountsError::Failed(format!(
                "the Facebook login was not completed: {why}"
            )));
        }
        None => {
            return Err(AccountsError::Failed(format!(
                "no answer from the Facebook login within {} s; run the command again (--timeout-secs to wait longer)",
                opts.timeout.as_secs()
            )));
        }
    };
    let short = super::check::exchange_code(graph, app, &code, &redirect_uri).await?;
    super::check::exchange_long_lived(graph, app, &short.token).await
}

/// Open `url` in the user's browser (the `webbrowser` crate: the desktop's default browser, or
/// `$BROWSER`), off the async threads since a launcher may take a while; when none can be opened the
/// address printed above is enough.
fn open_browser(url: &str) {
    let url = url.to_string();
    tokio::task::spawn_blocking(move || {
        if let Err(e) = webbrowser::open(&url) {
            tracing::info!(error = %e, "could not open a browser; open the address above yourself");
        }
    });
}
