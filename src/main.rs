use clap::Parser;
use igflight::cli::{Cli, Command};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match &cli.command {
        Command::Export(_) | Command::Sql(_) | Command::Accounts(_) => {
            igflight::commands::init_logging(cli.logging.verbose, cli.logging.log_json)
        }
        _ => igflight::telemetry::init(cli.logging.verbose, cli.logging.log_json),
    }
    match cli.command {
        Command::Serve(args) => {
            if let Err(e) = igflight::flight::run_serve(args).await {
                eprintln!("error: {e:#}");
                std::process::exit(2);
            }
        }
        Command::Simulate(args) => {
            let config = args.to_config();
            let listener = tokio::net::TcpListener::bind(args.listen).await?;
            let addr = listener.local_addr()?;
            println!("igflight simulated Graph API listening on http://{addr}");
            println!("  base URL: http://{addr}/v15.0   token: {}", config.token);
            println!("  call stats: http://{addr}/__stats");
            igflight::sim::serve_forever(config, listener).await?;
        }
        Command::Export(args) => match igflight::commands::export::run(args).await {
            Ok(line) => eprintln!("{line}"),
            Err(e) => e.exit(),
        },
        Command::Sql(args) => match igflight::commands::sql::run(args).await {
            Ok(Some(line)) => eprintln!("{line}"),
            Ok(None) => {}
            Err(e) => e.exit(),
        },
        Command::Accounts(args) => {
            if let Err(e) = igflight::accounts::run(args).await {
                e.exit()
            }
        }
    }
    Ok(())
}
