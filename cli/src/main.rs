//! `zr`, the zrollup user CLI: keys, deploy, call, query, contract, balance, transfer, deposit, tx, `zr new`
//! (a contract project) and `zr up` (a whole local network in one process).

mod commands;
mod output;

use clap::{Parser, Subcommand};

/// The zrollup command-line client.
#[derive(Parser)]
#[command(name = "zr", version, about = "zrollup: an enshrined optimistic rollup on Zenon NoM")]
struct Cli {
    /// Print machine-readable JSON instead of human text.
    #[arg(long, global = true)]
    json: bool,
    /// Your key (for commands that sign; `zr up` funds it when it first creates the network).
    #[command(flatten)]
    key: commands::key::KeyFileArg,
    /// Where the network is.
    #[command(flatten)]
    net: commands::net::NetArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create, import and show keys (a NoM key is a rollup key).
    #[command(subcommand)]
    Key(commands::key::KeyCommand),
    /// Rollup commands (deploy, call, query, contract, balance, transfer, deposit, tx).
    #[command(flatten)]
    Rollup(commands::rollup::RollupCommand),
    /// Make a contract project: typed methods, a build script, tests on the test kit.
    New(commands::new::NewArgs),
    /// Start a whole local network (the embedded NoM devnet, or with --l1 znnd go-zenon's node) and print its
    /// endpoints.
    Up(Box<commands::up::UpArgs>),
    /// A load run through the relays: funds accounts, deploys the token contract, drives token transfers and
    /// reports throughput and latency.
    Bench(commands::bench::BenchArgs),
}

fn main() {
    zr_common::daemon::init_tracing("warn");
    let cli = Cli::parse();
    let out = output::Output::new(cli.json);
    let result = match cli.command {
        Command::Key(cmd) => commands::key::run(cmd, cli.key, &out),
        Command::New(args) => commands::new::run(args, &out),
        Command::Up(args) => commands::up::run(*args, cli.key, &out),
        Command::Bench(args) => commands::net::Net::new(cli.net, !out.is_json())
            .and_then(|net| commands::bench::run(args, &cli.key.load()?, net, &out)),
        Command::Rollup(cmd) => commands::rollup::run(cmd, cli.key, cli.net, &out),
    };
    if let Err(err) = result {
        zr_common::daemon::exit_with(err.as_ref());
    }
}
