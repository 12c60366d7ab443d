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
    let runtime = tokio::runtime::Runtime::new().wrap_err("cannot start the async runtime")?;
    runtime.block_on(async {
        let devnet = Devnet::start(&config).await.wrap_err("cannot start the devnet")?;
        let endpoints =
            [("http", devnet.http_url()), ("ws", devnet.ws_url()), ("ops", format!("http://{}", devnet.ops_addr))];
        zr_common::daemon::announce("zr-devnet", &config.data_dir, &endpoints)
            .wrap_err("cannot write the endpoints file")?;
        if let Some(dev) = &devnet.dev {
            println!(
                "dev chain (no genesis given): funded dev account {} with key {}",
                dev.address,
                dev.key_file.display()
            );
        }
        zr_common::daemon::shutdown_signal().await.wrap_err("cannot wait for a stop signal")?;
        devnet.stop().await;
        Ok(())
    })
}
