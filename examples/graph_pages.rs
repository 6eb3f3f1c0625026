//! Page through an account's media with the Graph client, against the in-process simulated Graph API,
//! and print how many rows and calls it took.
//!
//! Run: `cargo run --example graph_pages`

use futures::TryStreamExt;
use igflight::graph::{Edge, Endpoint, GraphClient, NodeId, PageRequest};
use igflight::sim::{SimConfig, Simulator};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sim = Simulator::start(SimConfig::default(), "127.0.0.1:0".parse()?).await?;
    let client = GraphClient::builder(sim.token().to_string())
        .base_url(sim.base_url())
        .build()?;

    let accounts: serde_json::Value = client
        .get_json(
            &Endpoint::me_accounts(),
            &[(
                "fields",
                "id,name,instagram_business_account{id,username}".into(),
            )],
        )
        .await?;
    for page in accounts["data"].as_array().into_iter().flatten() {
        let Some(ig) = page["instagram_business_account"]["id"]
            .as_str()
            .and_then(NodeId::parse)
        else {
            println!("page {} has no Instagram business account", page["name"]);
            continue;
        };
        let req = PageRequest::new(
            ig.edge(Edge::Media),
            &[("fields", "id,media_type,timestamp".into())],
        )
        .page_size(100);
        let pages: Vec<_> = client.pages(req).try_collect().await?;
        let rows: usize = pages.iter().map(|p| p.items.len()).sum();
        println!(
            "@{}: {rows} media in {} pages",
            page["instagram_business_account"]["username"]
                .as_str()
                .unwrap_or("?"),
            pages.len()
        );
    }
    println!("Graph calls: {}", serde_json::to_string(&client.stats())?);
    Ok(())
}
