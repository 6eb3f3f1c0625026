//! A Graph token without the insights and comments permissions (the simulator's `basic-token`, granted
//! only `instagram_basic`, `pages_show_list`, `pages_read_engagement`): reports that need more fail
//! with `PERMISSION_DENIED` naming the permissions, after one refused Graph call and no retries or
//! probing; reports that need only the basics still work.

mod common;

use arrow_flight::Ticket;
use arrow_flight::error::FlightError;
use futures::TryStreamExt;
use igflight::sim::{BASIC_TOKEN, SimConfig};
use serde_json::json;
use tonic::Code;

use common::{client_with, start_flight, start_sim};

#[tokio::test]
async fn reports_needing_a_missing_permission_are_permission_denied() {
    let sim = start_sim(SimConfig::default()).await;
    let data = sim.dataset();
    let ig = data.accounts[0].id.clone();
    let media = data.accounts[0].media[0].id.clone();
    let other = data.discovery[0].username.clone();
    let (_server, mut flight) = start_flight(&sim, client_with(&sim, BASIC_TOKEN, 1_000, 4)).await;

    // the basics still work with this token
    let batches: Vec<_> = flight
        .do_get(Ticket::new(
            json!({"report": "user_media", "account": ig}).to_string(),
        ))
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        batches.iter().map(|b| b.num_rows()).sum::<usize>(),
        data.accounts[0].media.len()
    );

    for (ticket, needs, endpoint) in [
        (
            json!({"report": "user_insights", "account": ig}),
            "instagram_manage_insights",
            "user/insights",
        ),
        (
            json!({"report": "media_insights", "account": ig}),
            "instagram_manage_insights",
            "ids",
        ),
        (
            json!({"report": "media_comments", "account": ig, "media_id": media}),
            "instagram_manage_comments",
            "media/comments",
        ),
        (
            json!({"report": "other_users", "account": ig, "username": other}),
            "instagram_manage_insights",
            "business_discovery",
        ),
    ] {
        sim.reset_stats();
        let result = match flight.do_get(Ticket::new(ticket.to_string())).await {
            Ok(s) => s.try_collect::<Vec<_>>().await.map(|_| ()),
            Err(e) => Err(e),
        };
        let status = match result {
            Err(FlightError::Tonic(s)) => *s,
            other => panic!("{ticket}: expected PERMISSION_DENIED, got {other:?}"),
        };
        assert_eq!(
            status.code(),
            Code::PermissionDenied,
            "{ticket}: {status:?}"
        );
        let report = ticket["report"].as_str().unwrap();
        assert!(
            status
                .message()
                .contains("(#10) Application does not have permission for this action")
                && status
                    .message()
                    .contains(&format!("Report `{report}` needs the permissions"))
                && status.message().contains(needs)
                && status.message().contains("igflight accounts login"),
            "{ticket}: {}",
            status.message()
        );
        // the refused call was made once: not retried, not split into probes
        let stats = sim.stats();
        assert_eq!(
            stats.by_status.get("400").copied().unwrap_or(0),
            1,
            "{ticket}: {stats:?}"
        );
        assert_eq!(
            stats.by_endpoint.get(endpoint).copied(),
            Some(1),
            "{ticket}: {stats:?}"
        );
    }
}
