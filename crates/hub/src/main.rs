//! `opendevbrowser-hub`: the per-user hub daemon. `opendevbrowser` (the CLI) has the
//! same `serve`, plus `status`, `stop` and every client command.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// The opendevbrowser hub: one per user, the only owner of the relay to the Chrome extension.
#[derive(Parser)]
#[command(name = "opendevbrowser-hub", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the hub in the foreground until SIGTERM/Ctrl-C or an RPC stop.
    Serve {
        #[command(flatten)]
        args: hub::daemon::serve_cmd::ServeArgs,
        /// Print the startup line as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    hub::daemon::serve_cmd::init_logging("info");
    let Command::Serve { args, json } = cli.command;
    hub::daemon::serve_cmd::run_to_exit(args, json).await
}
