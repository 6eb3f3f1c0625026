//! `igflight completions SHELL` and `igflight man`: generated from the clap definition of the command
//! line ([`crate::cli::Cli`]), so they cannot disagree with `--help`.

use std::io::Write;

use clap::CommandFactory;

use super::CliError;
use crate::cli::{Cli, CompletionsArgs, ManArgs};

/// Write `bytes` to stdout; a reader that went away (`| head`) is not an error.
fn print(bytes: &[u8]) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(CliError::failed(e)),
        _ => Ok(()),
    }
}

/// Print the completion script of `args.shell` to stdout.
pub fn completions(args: &CompletionsArgs) -> Result<(), CliError> {
    let mut cmd = Cli::command();
    // generated into memory: clap_complete panics on a failed write
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "igflight", &mut script);
    print(&script)
}

/// Print igflight.1 to stdout, or write every page to `--out-dir`.
pub fn man(args: &ManArgs) -> Result<(), CliError> {
    let cmd = Cli::command();
    match &args.out_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| {
                CliError::failed(format!("could not create {}: {e}", dir.display()))
            })?;
            clap_mangen::generate_to(cmd, dir).map_err(|e| {
                CliError::failed(format!(
                    "could not write the manual pages to {}: {e}",
                    dir.display()
                ))
            })
        }
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(cmd)
                .render(&mut page)
                .map_err(CliError::failed)?;
            print(&page)
        }
    }
}
