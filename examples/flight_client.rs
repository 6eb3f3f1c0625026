//! A Flight client for `igflight serve --demo`: lists the reports, then streams the `user_media`
//! example ticket and prints it.
//!
//! ```text
//! cargo run -- serve --demo            # in one terminal
//! cargo run --example flight_client    # in another (or: flight_client http://HOST:PORT)
//! ```

use arrow::record_batch::RecordBatch;
use arrow_flight::{Action, FlightClient, Ticket};
use futures::TryStreamExt;
use serde_json::Value;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "http://127.0.0.1:50051".to_string());
    let url = url.replace("grpc://", "http://");
    let channel = tonic::transport::Channel::from_shared(url.clone())?
        .connect()
        .await
        .map_err(|e| anyhow::anyhow!("could not connect to {url}: {e}"))?;
    let mut client = FlightClient::new(channel);

    // The report catalog, with an example ticket per report.
    let bodies: Vec<bytes::Bytes> = client
        .do_action(Action::new("list-reports", ""))
        .await?
        .try_collect()
        .await?;
    let reports: Value = serde_json::from_slice(&bodies[0])?;
    let mut example = None;
    for r in reports.as_array().into_iter().flatten() {
        println!(
            "{:<28} {}",
            r["name"].as_str().unwrap_or("?"),
            r["description"].as_str().unwrap_or("")
        );
        if r["name"] == "user_media" {
            example = Some(r["example"].clone());
        }
    }
    let example = example.ok_or_else(|| anyhow::anyhow!("no user_media report"))?;
    println!("\nDoGet {example}");

    // Stream the example ticket (JSON tickets are accepted as they are).
    let batches: Vec<RecordBatch> = client
        .do_get(Ticket::new(example.to_string()))
        .await?
        .try_collect()
        .await?;
    println!("{}", arrow::util::pretty::pretty_format_batches(&batches)?);
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    println!("{rows} rows in {} batches", batches.len());
    Ok(())
}
