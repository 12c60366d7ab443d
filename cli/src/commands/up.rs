//! `zr up`: a whole local network in one process, with no configuration.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::Args;
use eyre::{Context, bail};
use serde_json::json;
use zr_common::KeyPair;
use zr_config::{DevnetConfig, OpsSection};
use zr_devnet::{Devnet, Genesis};

use crate::commands::key::{KeyFileArg, zr_home};
use crate::output::Output;

/// The L1 chain identifier of `zr up` networks.
pub const DEV_CHAIN_IDENTIFIER: u64 = 321;

/// `zr up` flags.
#[derive(Args)]
pub struct UpArgs {
    /// Where the network keeps its chain and keys [default: $ZR_HOME/up]
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// L1 JSON-RPC over HTTP
    #[arg(long, default_value = "127.0.0.1:35997", value_name = "ADDR")]
    http_listen: SocketAddr,
    /// L1 JSON-RPC over WebSocket
    #[arg(long, default_value = "127.0.0.1:35998", value_name = "ADDR")]
    ws_listen: SocketAddr,
    /// Metrics and health
    #[arg(long, default_value = "127.0.0.1:9101", value_name = "ADDR")]
    ops_listen: SocketAddr,
    /// Milliseconds between momentums (NoM's is 10000)
    #[arg(long, default_value_t = 1000, value_name = "MS")]
    momentum_interval_ms: u64,
    /// Your key, funded at genesis when it exists the first time the network starts.
    #[command(flatten)]
    key: KeyFileArg,
}

/// Runs the network until Ctrl-C.
pub fn run(args: UpArgs, out: &Output) -> eyre::Result<()> {
    let dir = match args.data_dir {
        Some(dir) => dir,
        None => zr_home()?.join("up"),
    };
    std::fs::create_dir_all(&dir).wrap_err_with(|| format!("cannot create {}", dir.display()))?;
    let pillar_path = dir.join("pillar.json");
    let dev_key_path = dir.join("dev-key.json");
    let genesis_path = dir.join("genesis.toml");
    if !genesis_path.exists() {
        let pillar = KeyPair::generate();
        let dev = KeyPair::generate();
        let mut funded = vec![dev.address()];
        if let Ok(user) = args.key.load() {
            funded.push(user.address());
        }
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(1, |d| d.as_secs());
        let genesis = Genesis::dev(DEV_CHAIN_IDENTIFIER, now, &[pillar.public()], &funded);
        overwrite_key(&pillar, &pillar_path)?;
        overwrite_key(&dev, &dev_key_path)?;
        genesis.write(&genesis_path)?;
    }
    let genesis = Genesis::read(&genesis_path)?;
    let dev = KeyPair::read_file(&dev_key_path)?;
    let config = DevnetConfig {
        data_dir: dir.join("devnet"),
        genesis: Some(genesis_path),
        pillar_keys: vec![pillar_path],
        http_listen: args.http_listen,
        ws_listen: args.ws_listen,
        momentum_interval_ms: args.momentum_interval_ms,
        ops: OpsSection::on(args.ops_listen),
        ..DevnetConfig::default()
    };
    zr_config::Validate::validate(&config)?;

    let runtime = tokio::runtime::Runtime::new().wrap_err("cannot start the async runtime")?;
    runtime.block_on(async {
        let devnet = Devnet::start(&config).await.wrap_err("cannot start the devnet")?;
        let funded: Vec<String> = genesis.accounts.iter().map(|a| a.address.to_string()).collect();
        out.emit(
            json!({
                "l1Http": devnet.http_url(),
                "l1Ws": devnet.ws_url(),
                "ops": format!("http://{}", devnet.ops_addr),
                "chainIdentifier": genesis.chain_identifier,
                "devKey": dev_key_path,
                "devAddress": dev.address(),
                "funded": funded,
                "dataDir": dir,
            }),
            || {
                format!(
                    "zrollup local network is up (Ctrl-C stops it; the chain persists in {dir})\n\
                     \n  L1 JSON-RPC (HTTP):      {http}\n  L1 JSON-RPC (WebSocket): {ws}\n  metrics and health:      http://{ops}/metrics\n  \
                     chain identifier:        {chain}\n  funded dev key:          {key} ({dev})\n  funded accounts:         {funded}\n\
                     \nTry it:\n  curl -s -H 'content-type: application/json' \\\n    \
                     --data '{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ledger.getFrontierMomentum\",\"params\":[]}}' {http}",
                    dir = dir.display(),
                    http = devnet.http_url(),
                    ws = devnet.ws_url(),
                    ops = devnet.ops_addr,
                    chain = genesis.chain_identifier,
                    key = dev_key_path.display(),
                    dev = dev.address(),
                    funded = funded.join(", "),
                )
            },
        );
        tokio::signal::ctrl_c().await.wrap_err("cannot wait for Ctrl-C")?;
        devnet.stop().await;
        Ok(())
    })
}

/// Writes a generated key; a leftover file from an interrupted first start is replaced.
fn overwrite_key(key: &KeyPair, path: &std::path::Path) -> eyre::Result<()> {
    if path.exists() {
        std::fs::remove_file(path).wrap_err_with(|| format!("cannot replace {}", path.display()))?;
    }
    key.write_file(path)?;
    if !path.exists() {
        bail!("{} was not written", path.display());
    }
    Ok(())
}
