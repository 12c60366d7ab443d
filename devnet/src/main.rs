//! `zr-devnet`: runs the embedded NoM devnet until interrupted.

use clap::Parser;
use eyre::WrapErr;
use zr_config::{DevnetArgs, DevnetConfig};
use zr_devnet::Devnet;

/// The embedded NoM-like L1 for zrollup.
#[derive(Parser)]
#[command(name = "zr-devnet", version, about)]
struct Cli {
    #[command(flatten)]
    args: DevnetArgs,
}

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("ZR_LOG").unwrap_or_else(|_| "info".into()))
        .init();
    if let Err(err) = run(Cli::parse()) {
        eprintln!("error: {err}");
        for cause in err.chain().skip(1) {
            eprintln!("  caused by: {cause}");
        }
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> eyre::Result<()> {
    let config = DevnetConfig::load(&cli.args).wrap_err("invalid configuration")?;
    let runtime = tokio::runtime::Runtime::new().wrap_err("cannot start the async runtime")?;
    runtime.block_on(async {
        let devnet = Devnet::start(&config).await.wrap_err("cannot start the devnet")?;
        println!(
            "zr-devnet: HTTP {}  WebSocket {}  ops http://{}",
            devnet.http_url(),
            devnet.ws_url(),
            devnet.ops_addr
        );
        tokio::signal::ctrl_c().await.wrap_err("cannot wait for ctrl-c")?;
        devnet.stop().await;
        Ok(())
    })
}
