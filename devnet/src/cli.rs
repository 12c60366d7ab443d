//! The `zr-devnet` command line, as a library function so test harnesses can run it in a child process.

use crate::Devnet;
use clap::Parser;
use eyre::WrapErr;
use zr_config::{DevnetArgs, DevnetConfig};

/// The embedded NoM-like L1 for zrollup.
#[derive(Parser)]
#[command(name = "zr-devnet", version, about)]
struct Cli {
    #[command(flatten)]
    args: DevnetArgs,
}

/// Parses the command line and runs the devnet until SIGTERM or Ctrl-C; exits non-zero with the error chain.
pub fn main() {
    zr_common::daemon::main(|| run(Cli::parse()));
}

fn run(cli: Cli) -> eyre::Result<()> {
    let config = DevnetConfig::load(&cli.args).wrap_err("invalid configuration")?;
    zr_common::daemon::serve(&config.data_dir, async {
        Devnet::start(&config).await.wrap_err("cannot start the devnet")
    })
}
