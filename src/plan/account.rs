//! Which Instagram account a report runs for: `account`, `page` (id or exact name), or the one account
//! the token reaches. The `me/accounts` listing is cached, so resolution costs at most one call.

use std::time::Instant;

use futures::TryStreamExt;

use super::{CallTracker, ReportContext, RunSummary};
use crate::error::ReportError;
use crate::graph::{Endpoint, LinkedPage, NodeId, PageRequest};
use crate::ticket::AccountRef;

/// List the pages the token reaches with their linked Instagram accounts (cached).
pub async fn list_pages(
    ctx: &ReportContext,
    summary: &RunSummary,
) -> Result<Vec<LinkedPage>, ReportError> {
    if let Some((at, pages)) = ctx.pages.lock().as_ref()
        && ctx.fresh(*at, ReportContext::PAGES_TTL)
    {
        return Ok(pages.clone());
    }
    let req = PageRequest::new(
        Endpoint::me_accounts(),
        &[("fields", LinkedPage::FIELDS.to_string())],
    )
    .page_size(100);
    let mut tracker = CallTracker::new();
    let mut out = Vec::new();
    let mut stream = Box::pin(ctx.graph.pages(req));
    while let Some(page) = stream.try_next().await? {
        tracker.page(summary, &page);
        for p in &page.items {
            out.push(
                LinkedPage::from_item(p)
                    .ok_or_else(|| ReportError::Unexpected("a page without `id`".into()))?,
            );
        }
    }
    *ctx.pages.lock() = Some((Instant::now(), out.clone()));
    Ok(out)
}

fn describe(p: &LinkedPage) -> String {
    format!(
        "{} (@{}, page \"{}\")",
        p.ig_user_id.as_deref().unwrap_or("?"),
        p.ig_username.as_deref().unwrap_or("?"),
        p.page_name.as_deref().unwrap_or(&p.page_id)
    )
}

/// An Instagram account id the Graph API gave us, checked before it becomes a path.
fn listed_id(id: &str) -> Result<NodeId, ReportError> {
    NodeId::parse(id).ok_or_else(|| {
        ReportError::Unexpected(format!(
            "me/accounts listed an Instagram account id that is not numeric: `{}`",
            crate::telemetry::bounded(id, 40)
        ))
    })
}

/// The Instagram business account id for `account`. A page is matched (by id or exact name) against
/// the `me/accounts` listing; its text never becomes part of a request.
pub async fn resolve_account(
    ctx: &ReportContext,
    summary: &RunSummary,
    account: &AccountRef,
) -> Result<NodeId, ReportError> {
    match account {
        AccountRef::Account(id) => Ok(id.clone()),
        AccountRef::Page(p) => {
            let pages = list_pages(ctx, summary).await?;
            let found = pages.iter().find(|x| &x.page_id == p).or_else(|| {
                pages
                    .iter()
                    .find(|x| x.page_name.as_deref() == Some(p.as_str()))
            });
            match found {
                Some(LinkedPage {
                    ig_user_id: Some(id),
                    ..
                }) => listed_id(id),
                Some(x) => Err(ReportError::NotFound(format!(
                    "the Facebook page \"{}\" ({}) has no linked Instagram business account",
                    x.page_name.as_deref().unwrap_or(""),
                    x.page_id
                ))),
                None => {
                    let names: Vec<String> = pages
                        .iter()
                        .map(|x| {
                            format!("{} \"{}\"", x.page_id, x.page_name.as_deref().unwrap_or(""))
                        })
                        .collect();
                    Err(ReportError::NotFound(format!(
                        "no Facebook page with id or name \"{}\" is reachable with this token; pages: {}",
                        crate::telemetry::bounded(p, 64),
                        names.join(", ")
                    )))
                }
            }
        }
        AccountRef::Default => {
            let pages = list_pages(ctx, summary).await?;
            let linked: Vec<&LinkedPage> =
                pages.iter().filter(|x| x.ig_user_id.is_some()).collect();
            match linked.as_slice() {
                [one] => listed_id(one.ig_user_id.as_deref().unwrap_or_default()),
                [] => Err(ReportError::NotFound(
                    "the token reaches no Facebook page with a linked Instagram business account"
                        .into(),
                )),
                many => Err(ReportError::AmbiguousAccount {
                    count: many.len(),
                    list: many
                        .iter()
                        .map(|p| describe(p))
                        .collect::<Vec<_>>()
                        .join(", "),
                }),
            }
        }
    }
}
