//! The `igflight accounts …` commands. Output goes to stdout; tokens are never printed.

use std::io::BufRead;
use std::time::Duration;

use super::CliError;
use crate::accounts::check::{self, App, TokenInfo};
use crate::accounts::login::{self, LoginOptions};
use crate::accounts::store::{Connection, Store, config_dir};
use crate::accounts::{AccountsError, WARN_BEFORE_SECS, check_name, human_left, now, utc};
use crate::cli::{
    AccountsArgs, AccountsCommand, AccountsListArgs, AccountsLoginArgs, AccountsNameArgs,
    AccountsRemoveArgs, AccountsTokenArgs, GraphArgs, TokenSource,
};
use crate::graph::LinkedPage;
use crate::graph::Secret;

/// Run one `igflight accounts` command.
pub async fn run(args: AccountsArgs) -> Result<(), CliError> {
    let name = match &args.command {
        AccountsCommand::Add(a) | AccountsCommand::Reconnect(a) => Some(a.name.clone()),
        AccountsCommand::Login(a) => Some(a.name.clone()),
        AccountsCommand::Renew(a) => Some(a.name.clone()),
        _ => None,
    };
    let r = match args.command {
        AccountsCommand::List(a) => list(&a),
        AccountsCommand::Add(a) => add(a, false).await,
        AccountsCommand::Reconnect(a) => add(a, true).await,
        AccountsCommand::Login(a) => login_cmd(a).await,
        AccountsCommand::Renew(a) => renew_cmd(a).await,
        AccountsCommand::Remove(a) => remove(&a),
    };
    r.map_err(|e| match &name {
        Some(n) => e.for_connection(n),
        None => e,
    })
    .map_err(CliError::from)
}

fn read_token(src: &TokenSource) -> Result<Secret, AccountsError> {
    let raw = if let Some(t) = &src.token {
        t.clone()
    } else if let Some(var) = &src.token_env {
        std::env::var(var).map_err(|_| {
            AccountsError::Usage(format!(
                "--token-env {var}: the environment variable {var} is not set (or not UTF-8)"
            ))
        })?
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map_err(|e| {
            AccountsError::Usage(format!("could not read the token from stdin: {e}"))
        })?;
        line
    };
    let t = raw.trim();
    if t.is_empty() {
        return Err(AccountsError::Usage("the access token is empty".into()));
    }
    if t.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(AccountsError::Usage(
            "the access token contains spaces or control characters; pass the token alone".into(),
        ));
    }
    Ok(Secret::new(t))
}

fn app_from(graph: &GraphArgs, app_id: Option<&str>) -> Option<App> {
    match (app_id, &graph.app_secret) {
        (Some(id), Some(secret)) => Some(App {
            id: id.to_string(),
            secret: Secret::new(secret.clone()),
        }),
        _ => None,
    }
}

fn expiry_text(expires_at: Option<i64>, never: bool, now: i64) -> String {
    match expires_at {
        _ if never => "never expires".to_string(),
        None => "expiry unknown".to_string(),
        Some(e) if e <= now => format!("expired on {}", utc(e)),
        Some(e) if e - now < WARN_BEFORE_SECS => {
            format!("WARNING: expires in {} ({})", human_left(e - now), utc(e))
        }
        Some(e) => format!("expires in {} ({})", human_left(e - now), utc(e)),
    }
}

fn page_line(p: &LinkedPage) -> String {
    let page = match &p.page_name {
        Some(n) => format!("page \"{n}\" ({})", p.page_id),
        None => format!("page {}", p.page_id),
    };
    match (&p.ig_user_id, &p.ig_username) {
        (Some(id), Some(u)) => format!("{page} -> Instagram @{u} ({id})"),
        (Some(id), None) => format!("{page} -> Instagram {id}"),
        _ => format!("{page} -> no Instagram business account"),
    }
}

fn print_info(info: &TokenInfo) {
    let user = match (&info.user_name, &info.user_id) {
        (Some(n), Some(id)) => format!("{n} ({id})"),
        (None, Some(id)) => id.clone(),
        _ => "unknown user".into(),
    };
    println!(
        "Token checked: Facebook user {user}; {}",
        expiry_text(info.expires_at, info.never_expires, now())
    );
    if info.pages.is_empty() {
        println!(
            "  It reaches no Facebook page: the reports need a page linked to an Instagram business account."
        );
    }
    for p in &info.pages {
        println!("  {}", page_line(p));
    }
}

async fn add(a: AccountsTokenArgs, reconnect: bool) -> Result<(), AccountsError> {
    check_name(&a.name)?;
    let token = read_token(&a.token)?;
    let dir = config_dir()?;
    // Refuse early (before any Graph call) on a damaged store or a wrong name.
    let store = Store::open(&dir)?;
    let existing = store.get(&a.name).cloned();
    match (&existing, reconnect) {
        (Some(_), false) => {
            return Err(AccountsError::Usage(format!(
                "a connection named `{}` already exists; replace its token with `igflight accounts reconnect {}`, \
                 or choose another name",
                a.name, a.name
            )));
        }
        (None, true) => {
            return Err(AccountsError::Unknown {
                name: a.name.clone(),
                stored: store.names(),
            });
        }
        _ => {}
    }
    let app_id = a
        .app_id
        .clone()
        .or_else(|| existing.as_ref().and_then(|c| c.app_id.clone()));
    if a.app_id.is_some() && a.graph.app_secret.is_none() {
        eprintln!(
            "note: --app-id without --app-secret: the token is checked with /me only (its expiry may stay unknown)"
        );
    }
    let app = app_from(&a.graph, app_id.as_deref());
    let mut token = token;
    let mut info = check::inspect(&a.graph.settings(), &token, app.as_ref()).await?;
    // A short-lived token (a day or less left) becomes a long-lived one when the app is known.
    if let (Some(app), Some(e)) = (&app, info.expires_at)
        && e - now() <= crate::accounts::RENEW_AFTER_SECS
    {
        let issued = check::exchange_long_lived(&a.graph.settings(), app, &token).await?;
        println!("Exchanged the short-lived token for a long-lived one.");
        token = issued.token;
        info = check::inspect(&a.graph.settings(), &token, Some(app)).await?;
    }
    print_info(&info);
    if let (Some(old), Some(new)) = (
        existing.as_ref().and_then(|c| c.user_id.as_ref()),
        &info.user_id,
    ) && old != new
    {
        eprintln!(
            "warning: the new token belongs to another Facebook user ({new}) than the one stored before ({old})"
        );
    }
    let conn = Connection {
        name: a.name.clone(),
        token,
        user_id: info.user_id,
        user_name: info.user_name,
        expires_at: info.expires_at,
        never_expires: info.never_expires,
        issued_at: now(),
        app_id: info.app_id.or(app_id),
        scopes: info.scopes,
        pages: info.pages,
    };
    put(&dir, conn, reconnect)?;
    let verb = if reconnect { "Reconnected" } else { "Stored" };
    println!(
        "{verb} connection `{}` in {}. Use it with --connection {}.",
        a.name,
        dir.join(crate::accounts::store::STORE_FILE).display(),
        a.name
    );
    Ok(())
}

/// Insert or replace `conn` (under the store lock). With `must_exist`, a missing one is an error.
fn put(dir: &std::path::Path, conn: Connection, must_exist: bool) -> Result<(), AccountsError> {
    Store::update(dir, |conns| {
        match conns.iter_mut().find(|c| c.name == conn.name) {
            Some(c) => *c = conn,
            None if must_exist => {
                return Err(AccountsError::Failed(format!(
                    "the connection `{}` was removed meanwhile; add it again with `igflight accounts add {}`",
                    conn.name, conn.name
                )));
            }
            None => conns.push(conn),
        }
        Ok(())
    })
}

fn list(a: &AccountsListArgs) -> Result<(), AccountsError> {
    let dir = config_dir()?;
    let store = Store::open(&dir)?;
    let now = now();
    if a.json {
        let v: Vec<serde_json::Value> = store
            .connections()
            .iter()
            .map(|c| {
                serde_json::json!({
                    "name": c.name,
                    "user_id": c.user_id,
                    "user_name": c.user_name,
                    "expires_at": c.expires_at,
                    "never_expires": c.never_expires,
                    "expired": c.is_expired(now),
                    "expires_soon": c.seconds_left(now).is_some_and(|s| s > 0 && s < WARN_BEFORE_SECS),
                    "issued_at": c.issued_at,
                    "app_id": c.app_id,
                    "scopes": c.scopes,
                    "pages": c.pages,
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&v).map_err(|e| AccountsError::Failed(e.to_string()))?
        );
        return Ok(());
    }
    if store.connections().is_empty() {
        println!(
            "No stored connections in {}. Add one with `igflight accounts login NAME --app-id … --app-secret …` \
             or `igflight accounts add NAME --token-env VAR`.",
            store.path().display()
        );
        return Ok(());
    }
    for c in store.connections() {
        let user = match (&c.user_name, &c.user_id) {
            (Some(n), Some(id)) => format!("{n} ({id})"),
            (None, Some(id)) => id.clone(),
            _ => "unknown user".into(),
        };
        let ig = c.ig_accounts();
        let reached = if ig.is_empty() {
            "no Instagram business account".to_string()
        } else {
            format!(
                "{} Instagram account{}: {}",
                ig.len(),
                if ig.len() == 1 { "" } else { "s" },
                ig.join(", ")
            )
        };
        let mut expiry = expiry_text(c.expires_at, c.never_expires, now);
        if c.is_expired(now) {
            expiry.push_str(&format!(
                " - reconnect with `igflight accounts reconnect {}`",
                c.name
            ));
        } else if c.seconds_left(now).is_some_and(|s| s < WARN_BEFORE_SECS) {
            expiry.push_str(&format!(
                " - renew with `igflight accounts renew {}` or reconnect",
                c.name
            ));
        }
        println!("{}  {user}  {reached}  {expiry}", c.name);
    }
    Ok(())
}

fn remove(a: &AccountsRemoveArgs) -> Result<(), AccountsError> {
    let dir = config_dir()?;
    Store::update(&dir, |conns| {
        let before = conns.len();
        let names = conns
            .iter()
            .map(|c| c.name.clone())
            .collect::<Vec<_>>()
            .join(", ");
        conns.retain(|c| c.name != a.name);
        if conns.len() == before {
            return Err(AccountsError::Unknown {
                name: a.name.clone(),
                stored: if names.is_empty() {
                    "none".into()
                } else {
                    names
                },
            });
        }
        Ok(())
    })?;
    println!("Removed connection `{}`.", a.name);
    Ok(())
}

async fn login_cmd(a: AccountsLoginArgs) -> Result<(), AccountsError> {
    check_name(&a.name)?;
    let Some(secret) = a.graph.app_secret.clone() else {
        return Err(AccountsError::Usage(
            "igflight accounts login needs the app secret: --app-secret or IGFLIGHT_APP_SECRET"
                .into(),
        ));
    };
    let dir = config_dir()?;
    let existed = Store::open(&dir)?.get(&a.name).is_some();
    let app = App {
        id: a.app_id.clone(),
        secret: Secret::new(secret),
    };
    let opts = LoginOptions {
        dialog_url: a.dialog_url.clone(),
        port: a.port,
        open_browser: !a.no_browser,
        timeout: Duration::from_secs(a.timeout_secs),
        scopes: a.scope.clone(),
    };
    let issued = login::login(&a.graph.settings(), &app, &opts).await?;
    let info = check::inspect(&a.graph.settings(), &issued.token, Some(&app)).await?;
    print_info(&info);
    let conn = Connection {
        name: a.name.clone(),
        token: issued.token,
        user_id: info.user_id,
        user_name: info.user_name,
        expires_at: info.expires_at.or(issued.expires_at),
        never_expires: info.never_expires,
        issued_at: now(),
        app_id: Some(a.app_id.clone()),
        scopes: info.scopes,
        pages: info.pages,
    };
    put(&dir, conn, false)?;
    println!(
        "{} connection `{}` (long-lived token). Use it with --connection {}.",
        if existed { "Reconnected" } else { "Stored" },
        a.name,
        a.name
    );
    Ok(())
}

async fn renew_cmd(a: AccountsNameArgs) -> Result<(), AccountsError> {
    let dir = config_dir()?;
    let store = Store::open(&dir)?;
    let conn = store
        .get(&a.name)
        .cloned()
        .ok_or_else(|| AccountsError::Unknown {
            name: a.name.clone(),
            stored: store.names(),
        })?;
    if let Some(e) = conn.expires_at
        && e <= now()
    {
        return Err(AccountsError::Expired {
            name: conn.name,
            when: utc(e),
        });
    }
    let Some(app_id) = a.app_id.clone().or_else(|| conn.app_id.clone()) else {
        return Err(AccountsError::Usage(format!(
            "the connection `{}` was stored without an app id: pass --app-id (and --app-secret)",
            a.name
        )));
    };
    let Some(secret) = a.graph.app_secret.clone() else {
        return Err(AccountsError::Usage(
            "renewing needs the app secret: --app-secret or IGFLIGHT_APP_SECRET".into(),
        ));
    };
    let app = App {
        id: app_id.clone(),
        secret: Secret::new(secret),
    };
    let mut conn = conn;
    conn.app_id = Some(app_id);
    let c = crate::accounts::renew(&a.graph.settings(), &dir, &conn, &app).await?;
    println!(
        "Renewed connection `{}`: {}.",
        c.name,
        expiry_text(c.expires_at, c.never_expires, now())
    );
    Ok(())
}
