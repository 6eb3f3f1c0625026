//! Command-line interface (`clap` derive). `main.rs` only parses and dispatches.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::sim::{FaultKind, SimConfig};

/// igflight: Instagram Business reports as Arrow Flight streams.
#[derive(Debug, Parser)]
#[command(name = "igflight", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub logging: LoggingArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Logging flags shared by every command.
#[derive(Debug, Args)]
pub struct LoggingArgs {
    /// More log output (-v debug, -vv trace). `RUST_LOG` overrides it.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Log as JSON lines instead of text.
    #[arg(long, global = true)]
    pub log_json: bool,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the simulated Graph API alone, as an HTTP server (for demos, tests and benchmarks).
    Simulate(SimulateArgs),
}

/// Flags of `igflight simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8089")]
    pub listen: SocketAddr,
    /// The access token the simulator accepts.
    #[arg(long, default_value = "demo-token", env = "IGFLIGHT_SIM_TOKEN")]
    pub token: String,
    /// Seed of the deterministic data set.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Latency added to every response, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Calls per token per rolling hour before the simulator answers with a throttle error.
    #[arg(long)]
    pub calls_per_hour: Option<u32>,
    /// Graph error code used past the hourly budget.
    #[arg(long, default_value_t = 17, value_parser = parse_throttle_code)]
    pub throttle_code: u32,
    /// Probability (0 to 1) that a call is answered by an injected fault.
    #[arg(long, default_value_t = 0.0, value_parser = parse_rate)]
    pub fault_rate: f64,
    /// Faults to inject, comma separated: http500, code1, drop, slow, html503 (default: all).
    #[arg(long, value_delimiter = ',')]
    pub faults: Vec<FaultKind>,
    /// Delay of the `slow` fault, in milliseconds.
    #[arg(long, default_value_t = 3000)]
    pub slow_ms: u64,
    /// Require `appsecret_proof` on every call.
    #[arg(long)]
    pub require_appsecret_proof: bool,
}

fn parse_throttle_code(s: &str) -> Result<u32, String> {
    match s {
        "4" | "17" | "80002" => Ok(s.parse().unwrap_or(17)),
        _ => Err(format!(
            "`{s}` is not a throttle code; accepted: 4, 17, 80002"
        )),
    }
}

fn parse_rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!(
            "`{s}` is not a probability; accepted: a number from 0 to 1"
        )),
    }
}

impl SimulateArgs {
    /// The simulator configuration these flags describe.
    pub fn to_config(&self) -> SimConfig {
        let mut cfg = SimConfig {
            seed: self.seed,
            token: self.token.clone(),
            latency: Duration::from_millis(self.latency_ms),
            calls_per_hour: self.calls_per_hour,
            throttle_code: self.throttle_code,
            fault_rate: self.fault_rate,
            slow_delay: Duration::from_millis(self.slow_ms),
            require_appsecret_proof: self.require_appsecret_proof,
            ..SimConfig::default()
        };
        if !self.faults.is_empty() {
            cfg.faults = self.faults.clone();
        }
        cfg
    }
}
