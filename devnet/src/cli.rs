//! The `zr-devnet` command line, as a library function so test harnesses can run it in a child process.

use crate::Devnet;
use clap::Parser;
use eyre::WrapErr;
use zr_config::{DevnetArgs, DevnetConfig};

/// Parses the command line and runs the devnet until SIGTERM or Ctrl-C; exits non-zero with the error chain.
pub fn main() {
    zr_common::daemon::main(|| run(DevnetArgs::parse()));
}

fn run(args: DevnetArgs) -> eyre::Result<()> {
    let config = DevnetConfig::load(&args).wrap_err("invalid configuration")?;
    zr_common::daemon::serve(&config.data_dir, async {
        Devnet::start(&config).await.wrap_err("cannot start the devnet")
    })
}
