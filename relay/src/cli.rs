//! The `zr-relay` command line, as a library function so test harnesses can run the real daemon in a child
//! process (and kill it).

use std::sync::Arc;

use clap::Parser;
use eyre::WrapErr;
use zr_common::KeyPair;
use zr_config::{RelayArgs, RelayConfig};
use zr_sequencing::ZnndClient;

/// The zrollup relay daemon.
#[derive(Parser)]
#[command(name = "zr-relay", version, about)]
struct Cli {
    #[command(flatten)]
    args: RelayArgs,
}

/// Parses the command line, runs the relay until Ctrl-C, and exits non-zero with the error chain on failure.
pub fn main() {
    zr_common::daemon::main(|| run(Cli::parse()));
}

fn run(cli: Cli) -> eyre::Result<()> {
    let config = RelayConfig::load(&cli.args).wrap_err("invalid configuration")?;
    let key_file = config.key_file.clone().expect("validated: key_file is set");
    let key = KeyPair::read_file(&key_file).wrap_err("cannot load the relay key")?;
    let runtime = tokio::runtime::Runtime::new().wrap_err("cannot start the async runtime")?;
    runtime.block_on(async {
        let l1 = Arc::new(ZnndClient::for_section(&config.l1)?);
        let relay = crate::node::start(&config, key, l1).await.wrap_err("cannot start the relay")?;
        let mut endpoints = vec![
            ("rpc", relay.rpc_url()),
            ("ws", relay.ws_url()),
            ("ops", format!("http://{}", relay.ops_addr)),
            ("address", relay.relay.address().to_string()),
        ];
        if let Some((peer_id, listening)) = &relay.gossip {
            endpoints.push(("p2p", format!("{listening}/p2p/{peer_id}")));
        }
        zr_common::daemon::announce("zr-relay", &config.data_dir, &endpoints)
            .wrap_err("cannot write the endpoints file")?;
        zr_common::daemon::shutdown_signal().await.wrap_err("cannot wait for a stop signal")?;
        relay.stop().await;
        Ok(())
    })
}
