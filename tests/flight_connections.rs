//! One server serving two Graph connections (two tokens of the simulated Graph API), with client
//! credentials limited to named connections: a client limited to one connection cannot read another —
//! not by ticket key, not by header, not through Flight SQL, not with a statement handle planned by
//! another client — and every refusal costs no Graph call.

mod common;

use std::sync::Arc;

use arrow_flight::error::FlightError;
use arrow_flight::sql::client::FlightSqlServiceClient;
use arrow_flight::{Action, FlightClient, FlightDescriptor, Ticket};
use futures::{StreamExt, TryStreamExt};
use igflight::flight::auth::{Access, Credential, basic_header};
use igflight::flight::{
    Authenticator, Connections, FlightServerHandle, IgFlightService, ServeOptions, Served,
};
use igflight::graph::Secret;
use igflight::plan::ReportContext;
use igflight::sim::{SimConfig, SimHandle};
use serde_json::Value;
use tonic::Code;
use tonic::transport::Channel;

use common::{client, client_with, start_sim};

const ALL: &str = "all-TOKEN-0123456789";
const SHOP_ONLY: &str = "shop-TOKEN-0123456789";
const ANN_PASSWORD: &str = "ann-PASSWORD-xyz";

struct Rig {
    sim: SimHandle,
    conns: Arc<Connections>,
    server: FlightServerHandle,
}

/// A second user token of the simulated Graph API: the demo token exchanged for a long-lived one.
async fn second_token(sim: &SimHandle) -> String {
    let url = format!(
        "{}/v15.0/oauth/access_token?grant_type=fb_exchange_token&client_id=demo-app&client_secret=demo-secret&fb_exchange_token={}",
        sim.base_url(),
        sim.token()
    );
    let v: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    let t = v["access_token"].as_str().expect("a token").to_string();
    assert_ne!(t, sim.token());
    t
}

impl Rig {
    /// Connections `shop` (the demo token) and `blog` (another token); credentials: ALL reads both,
    /// SHOP_ONLY reads shop, user ann reads blog.
    async fn new() -> Rig {
        let sim = start_sim(SimConfig::default()).await;
        let blog_token = second_token(&sim).await;
        let shop = Served::new(Arc::new(ReportContext::new(client(&sim)))).named("shop");
        let blog = Served::new(Arc::new(ReportContext::new(client_with(
            &sim,
            &blog_token,
            100_000,
            8,
        ))))
        .named("blog");
        let service =
            IgFlightService::with_connections(Connections::new(vec![shop, blog]).unwrap());
        let conns = service.connections().clone();
        let creds = [
            Credential::token(Secret::new(ALL), Access::All),
            Credential::token(Secret::new(SHOP_ONLY), Access::only(["shop"])),
            Credential::user("ann", Secret::new(ANN_PASSWORD), Access::only(["blog"])),
        ];
        let options = ServeOptions {
            auth: Some(Arc::new(Authenticator::from_credentials(&creds))),
            tls: None,
            ..Default::default()
        };
        let server =
            FlightServerHandle::start_with(service, "127.0.0.1:0".parse().unwrap(), options)
                .await
                .unwrap();
        Rig { sim, conns, server }
    }

    async fn channel(&self) -> Channel {
        Channel::from_shared(self.server.url())
            .unwrap()
            .connect()
            .await
            .unwrap()
    }

    async fn flight(&self, bearer: &str) -> FlightClient {
        let mut c = FlightClient::new(self.channel().await);
        c.add_header("authorization", &format!("Bearer {bearer}"))
            .unwrap();
        c
    }

    async fn sql(&self, bearer: &str) -> FlightSqlServiceClient<Channel> {
        let mut c = FlightSqlServiceClient::new(self.channel().await);
        c.set_header("authorization", format!("Bearer {bearer}"));
        c
    }

    /// Graph calls made by connection `name`'s client.
    fn calls(&self, name: &str) -> u64 {
        self.conns.get(name).unwrap().ctx.graph.stats().total
    }

    fn sim_calls(&self) -> u64 {
        self.sim.stats().total
    }

    /// The sole IG account of the data set the `user` report can run on by default (the first).
    fn first_ig(&self) -> String {
        self.sim.dataset().accounts[0].id.clone()
    }
}

fn status(e: FlightError) -> tonic::Status {
    match e {
        FlightError::Tonic(s) => *s,
        other => panic!("expected a gRPC status, got {other:?}"),
    }
}

async fn rows(c: &mut FlightClient, ticket: &str) -> Result<usize, tonic::Status> {
    let batches: Vec<_> = c
        .do_get(Ticket::new(ticket.to_string()))
        .await
        .map_err(status)?
        .try_collect()
        .await
        .map_err(status)?;
    Ok(batches.iter().map(|b| b.num_rows()).sum())
}

fn user_ticket(ig: &str, connection: Option<&str>) -> String {
    match connection {
        Some(c) => format!(r#"{{"report":"user","account":"{ig}","connection":"{c}"}}"#),
        None => format!(r#"{{"report":"user","account":"{ig}"}}"#),
    }
}

fn assert_denied(s: &tonic::Status, requested: &str, allowed: &str) {
    assert_eq!(s.code(), Code::PermissionDenied, "{s:?}");
    assert_eq!(
        s.message(),
        format!(
            "this client's credential may not read connection `{requested}`; it may read: {allowed}"
        )
    );
}

#[tokio::test]
async fn a_client_limited_to_one_connection_cannot_read_another() {
    let rig = Rig::new().await;
    let ig = rig.first_ig();
    let mut shop = rig.flight(SHOP_ONLY).await;

    // its default is its one connection, and naming it works
    assert_eq!(rows(&mut shop, &user_ticket(&ig, None)).await.unwrap(), 1);
    assert_eq!(
        rows(&mut shop, &user_ticket(&ig, Some("shop")))
            .await
            .unwrap(),
        1
    );
    assert_eq!(rig.calls("blog"), 0, "nothing ran on blog");
    let before = rig.sim_calls();

    // the other connection by ticket key: refused before any Graph call
    let e = rows(&mut shop, &user_ticket(&ig, Some("blog")))
        .await
        .unwrap_err();
    assert_denied(&e, "blog", "shop");

    // … by GetFlightInfo and GetSchema
    let d = FlightDescriptor::new_cmd(user_ticket(&ig, Some("blog")));
    let e = shop.get_flight_info(d.clone()).await.unwrap_err();
    assert_denied(&status(e), "blog", "shop");
    let e = shop.get_schema(d).await.unwrap_err();
    assert_denied(&status(e), "blog", "shop");

    // … by header
    let mut by_header = rig.flight(SHOP_ONLY).await;
    by_header
        .add_header("x-igflight-connection", "blog")
        .unwrap();
    let e = rows(&mut by_header, &user_ticket(&ig, None))
        .await
        .unwrap_err();
    assert_denied(&e, "blog", "shop");

    // … by the accounts action (body or header)
    let e = shop
        .do_action(Action::new("accounts", "blog"))
        .await
        .err()
        .expect("refused");
    assert_denied(&status(e), "blog", "shop");

    // … through Flight SQL
    let mut sql = rig.sql(SHOP_ONLY).await;
    sql.set_header("x-igflight-connection", "blog");
    let e = sql
        .execute(format!("SELECT id FROM user WHERE id = '{ig}'"), None)
        .await
        .unwrap_err();
    assert_denied(&status(e), "blog", "shop");

    // a connection it does not know of is refused the same way (no list of the others)
    let e = rows(&mut shop, &user_ticket(&ig, Some("secret-client")))
        .await
        .unwrap_err();
    assert_denied(&e, "secret-client", "shop");

    assert_eq!(rig.sim_calls(), before, "refusals cost no Graph call");
    assert_eq!(rig.calls("blog"), 0);
}

#[tokio::test]
async fn a_statement_planned_by_another_client_is_refused() {
    let rig = Rig::new().await;
    let ig = rig.first_ig();
    let mut all = rig.sql(ALL).await;
    all.set_header("x-igflight-connection", "blog");
    let info = all
        .execute(format!("SELECT id FROM user WHERE id = '{ig}'"), None)
        .await
        .unwrap();
    let ticket = info.endpoint[0].ticket.clone().unwrap();

    // the shop-only client replays the handle: it names blog, so it is refused
    let mut shop = rig.sql(SHOP_ONLY).await;
    let e = match shop.do_get(ticket.clone()).await {
        Err(e) => e,
        Ok(s) => s.try_collect::<Vec<_>>().await.unwrap_err(),
    };
    assert_denied(&status(e), "blog", "shop");
    assert_eq!(rig.calls("blog"), 0);

    // the client that planned it reads it, on blog
    let batches: Vec<_> = all
        .do_get(ticket)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 1);
    assert!(rig.calls("blog") > 0);
    assert_eq!(rig.calls("shop"), 0);
}

#[tokio::test]
async fn a_session_from_a_limited_user_keeps_the_limit() {
    let rig = Rig::new().await;
    let ig = rig.first_ig();
    // ADBC / pyarrow: the Basic handshake answers a session bearer token
    let mut raw =
        arrow_flight::flight_service_client::FlightServiceClient::new(rig.channel().await);
    let mut req = tonic::Request::new(futures::stream::iter([
        arrow_flight::HandshakeRequest::default(),
    ]));
    req.metadata_mut().insert(
        "authorization",
        basic_header("ann", ANN_PASSWORD).parse().unwrap(),
    );
    let resp = raw.handshake(req).await.unwrap();
    let bearer = resp
        .metadata()
        .get("authorization")
        .unwrap()
        .to_str()
        .unwrap();
    let session = bearer.strip_prefix("Bearer ").unwrap().to_string();

    let mut ann = rig.flight(&session).await;
    // the default is blog, ann's one connection
    assert_eq!(rows(&mut ann, &user_ticket(&ig, None)).await.unwrap(), 1);
    assert!(rig.calls("blog") > 0);
    assert_eq!(rig.calls("shop"), 0);
    let e = rows(&mut ann, &user_ticket(&ig, Some("shop")))
        .await
        .unwrap_err();
    assert_denied(&e, "shop", "blog");
    assert_eq!(rig.calls("shop"), 0);

    // the accounts action lists only what ann may read
    let mut results = ann.do_action(Action::new("accounts", "")).await.unwrap();
    let body = results.next().await.unwrap().unwrap();
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["connection"], "blog");
    let names: Vec<&str> = v["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["blog"]);
    assert!(!v["accounts"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn an_unlimited_client_reads_every_connection() {
    let rig = Rig::new().await;
    let ig = rig.first_ig();
    let mut all = rig.flight(ALL).await;
    // default: the server's first connection
    assert_eq!(rows(&mut all, &user_ticket(&ig, None)).await.unwrap(), 1);
    assert!(rig.calls("shop") > 0);
    assert_eq!(rig.calls("blog"), 0);
    assert_eq!(
        rows(&mut all, &user_ticket(&ig, Some("blog")))
            .await
            .unwrap(),
        1
    );
    assert!(rig.calls("blog") > 0);

    // an unknown connection: NOT_FOUND, listing the served ones
    let before = rig.sim_calls();
    let e = rows(&mut all, &user_ticket(&ig, Some("gone")))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    assert!(
        e.message().contains("served: shop, blog"),
        "{}",
        e.message()
    );
    assert_eq!(rig.sim_calls(), before);

    // the accounts action lists both, each with its expiry
    let mut results = all.do_action(Action::new("accounts", "")).await.unwrap();
    let v: Value = serde_json::from_slice(&results.next().await.unwrap().unwrap()).unwrap();
    assert_eq!(v["connection"], "shop");
    assert_eq!(v["connections"].as_array().unwrap().len(), 2);
}
