//! `zr up`: a whole local network in one process, with no configuration: the devnet and an executor.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::Args;
use eyre::{Context, bail};
use serde_json::json;
use std::sync::Arc;
use zr_common::KeyPair;

use zr_config::{DevnetConfig, ExecutorConfig, L1Section, OpsSection, RpcSection};
use zr_devnet::{Devnet, Genesis};

use crate::commands::key::{KeyFileArg, zr_home};
use crate::output::Output;

use zr_config::defaults::{
    self, DEV_L1_CHAIN_IDENTIFIER as DEV_CHAIN_IDENTIFIER, DEV_ROLLUP_CHAIN_ID as ROLLUP_CHAIN_ID,
};

/// `zr up` flags.
#[derive(Args)]
pub struct UpArgs {
    /// Where the network keeps its chain and keys [default: $ZR_HOME/up]
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// L1 JSON-RPC over HTTP
    #[arg(long, default_value_t = defaults::loopback(defaults::L1_HTTP_PORT), value_name = "ADDR")]
    http_listen: SocketAddr,
    /// L1 JSON-RPC over WebSocket
    #[arg(long, default_value_t = defaults::loopback(defaults::L1_WS_PORT), value_name = "ADDR")]
    ws_listen: SocketAddr,
    /// The devnet's metrics and health
    #[arg(long, default_value_t = defaults::loopback(defaults::DEVNET_OPS_PORT), value_name = "ADDR")]
    ops_listen: SocketAddr,
    /// The executor's query JSON-RPC
    #[arg(long, default_value_t = defaults::loopback(defaults::EXECUTOR_RPC_PORT), value_name = "ADDR")]
    rpc_listen: SocketAddr,
    /// The executor's metrics and health
    #[arg(long, default_value_t = defaults::loopback(defaults::EXECUTOR_OPS_PORT), value_name = "ADDR")]
    executor_ops_listen: SocketAddr,
    /// Milliseconds between momentums (NoM's is 10000)
    #[arg(long, default_value_t = 1000, value_name = "MS")]
    momentum_interval_ms: u64,
}

/// Runs the network until Ctrl-C.
pub fn run(args: UpArgs, key: KeyFileArg, out: &Output) -> eyre::Result<()> {
    let dir = match args.data_dir {
        Some(dir) => dir,
        None => zr_home()?.join("up"),
    };
    std::fs::create_dir_all(&dir).wrap_err_with(|| format!("cannot create {}", dir.display()))?;
    let pillar_path = dir.join("pillar.json");
    let dev_key_path = dir.join("dev-key.json");
    let executor_key_path = dir.join("executor-key.json");
    let genesis_path = dir.join("genesis.toml");
    if !genesis_path.exists() {
        let pillar = KeyPair::generate();
        let dev = KeyPair::generate();
        let executor = KeyPair::generate();
        // The executor's account pays the plasma of its claims.
        let mut funded = vec![dev.address(), executor.address()];
        if let Ok(user) = key.load() {
            funded.push(user.address());
        }
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(1, |d| d.as_secs());
        let genesis = Genesis::dev(DEV_CHAIN_IDENTIFIER, now, &[pillar.public()], &funded);
        overwrite_key(&pillar, &pillar_path)?;
        overwrite_key(&dev, &dev_key_path)?;
        overwrite_key(&executor, &executor_key_path)?;
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
    let executor_key = KeyPair::read_file(&executor_key_path)?;

    let runtime = tokio::runtime::Runtime::new().wrap_err("cannot start the async runtime")?;
    runtime.block_on(async {
        let devnet = Devnet::start(&config).await.wrap_err("cannot start the devnet")?;
        let executor_config = ExecutorConfig {
            data_dir: dir.join("executor"),
            chain_id: ROLLUP_CHAIN_ID,
            key_file: Some(executor_key_path.clone()),
            l1: L1Section { http: devnet.http_url(), ws: devnet.ws_url() },
            rpc: RpcSection::on(args.rpc_listen),
            ops: OpsSection::on(args.executor_ops_listen),
            ..ExecutorConfig::default()
        };
        zr_config::Validate::validate(&executor_config)?;
        // The executor reads the chain in process; users reach it over the JSON-RPC printed below.
        let l1 = Arc::new(zr_devnet::InProcessL1::new(devnet.chain.clone()));
        let executor = zr_executor::node::start(&executor_config, executor_key, l1).await.wrap_err("cannot start the executor")?;
        let funded: Vec<String> = genesis.accounts.iter().map(|a| a.address.to_string()).collect();
        out.emit(
            json!({
                "l1Http": devnet.http_url(),
                "l1Ws": devnet.ws_url(),
                "executorRpc": executor.rpc_url(),
                "executorOps": format!("http://{}", executor.ops_addr),
                "rollupChainId": ROLLUP_CHAIN_ID,
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
                     \n  executor JSON-RPC:       {rpc}\n  L1 JSON-RPC (HTTP):      {http}\n  L1 JSON-RPC (WebSocket): {ws}\n  \
                     metrics and health:      http://{ops}/metrics (devnet), http://{executor_ops}/metrics (executor)\n  \
                     L1 chain identifier:     {chain}\n  rollup chain id:         {ROLLUP_CHAIN_ID}\n  \
                     funded dev key:          {key} ({dev})\n  funded accounts:         {funded}\n\
                     \nTry it (in another terminal; your own key works too if it existed when the network was created):\n  \
                     zr deposit 100 --key {key}\n  zr balance --key {key}\n  \
                     zr deploy contracts/wasm/token.wasm --key {key}\n  zr transfer {dev} 1.5 --key {key}",
                    dir = dir.display(),
                    http = devnet.http_url(),
                    rpc = executor.rpc_url(),
                    executor_ops = executor.ops_addr,
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
        executor.stop().await;
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
