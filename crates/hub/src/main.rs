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
        args: hub::serve_cmd::ServeArgs,
        /// Print the startup line as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("OPENDEVBROWSER_LOG").unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let Command::Serve { args, json } = cli.command;
    match hub::serve_cmd::run(args, json).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
