use igflight::cli::Command;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // the command line, with the config file where it is silent
    let parsed = igflight::cli_config::parse();
    if let Command::Serve(args) = &parsed.cli.command
        && args.print_config
    {
        print!("{}", igflight::cli_config::effective(&parsed));
        return Ok(());
    }
    let cli = parsed.cli;
    match &cli.command {
        Command::Export(_) | Command::Sql(_) | Command::Accounts(_) | Command::Sync(_) => {
            igflight::commands::init_logging(cli.logging.verbose, cli.logging.log_json)
        }
        _ => igflight::telemetry::init(cli.logging.verbose, cli.logging.log_json),
    }
    match cli.command {
        Command::Serve(args) => {
            if let Err(e) = igflight::commands::serve::run(*args).await {
                // a refused flag or value exits 2; a failure that says so (a data folder that
                // cannot be used, a simulator that does not start, a busy port, a server that
                // failed) exits with its own code (1)
                let code = e
                    .downcast_ref::<igflight::commands::CliError>()
                    .map_or(igflight::commands::EXIT_USAGE, |c| c.code);
                eprintln!("error: {e:#}");
                std::process::exit(code);
            }
        }
        Command::Simulate(args) => {
            // flags were checked by clap (exit 2): what fails here is the run, a busy port included
            if let Err(e) = igflight::commands::simulate::run(args).await {
                eprintln!("error: {e:#}");
                std::process::exit(igflight::commands::EXIT_FAILED);
            }
        }
        Command::Export(args) => {
            match igflight::commands::or_terminated(igflight::commands::export::run(args))
                .await
                .and_then(|r| r)
            {
                Ok(line) => eprintln!("{line}"),
                Err(e) => e.exit(),
            }
        }
        Command::Sql(args) => {
            match igflight::commands::or_terminated(igflight::commands::sql::run(args))
                .await
                .and_then(|r| r)
            {
                Ok(Some(line)) => eprintln!("{line}"),
                Ok(None) => {}
                Err(e) => e.exit(),
            }
        }
        Command::Accounts(args) => {
            if let Err(e) = igflight::commands::accounts::run(args).await {
                e.exit()
            }
        }
        Command::Sync(args) => {
            if let Err(e) = igflight::commands::sync::run(args).await {
                e.exit()
            }
        }
        Command::Completions(args) => {
            if let Err(e) = igflight::commands::docs::completions(&args) {
                e.exit()
            }
        }
        Command::Man(args) => {
            if let Err(e) = igflight::commands::docs::man(&args) {
                e.exit()
            }
        }
    }
    Ok(())
}
