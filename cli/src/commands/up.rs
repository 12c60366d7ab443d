//! `zr up`: a whole local network in one process, with no configuration: the devnet, an executor and a relay
//! in sponsor mode (it grants each new key a little ZNN for its first fees, so a key made with `zr key new`
//! can deploy at once).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::Args;
use eyre::{Context, bail};
use serde_json::json;
use std::sync::Arc;
use zr_common::KeyPair;

use zr_config::{DevnetConfig, ExecutorConfig, L1Section, OpsSection, RelayConfig, RpcSection};
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
    /// The relay's public JSON-RPC (what `zr` talks to by default)
    #[arg(long, default_value_t = defaults::loopback(defaults::RELAY_RPC_PORT), value_name = "ADDR")]
    relay_listen: SocketAddr,
    /// The relay's metrics and health
    #[arg(long, default_value_t = defaults::loopback(defaults::RELAY_OPS_PORT), value_name = "ADDR")]
    relay_ops_listen: SocketAddr,
    /// ZNN the relay grants once to each new key that cannot pay its first fee (0: none)
    #[arg(long, default_value = "10", value_name = "ZNN")]
    sponsor_grant: String,
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
    let relay_key_path = dir.join("relay-key.json");
    let genesis_path = dir.join("genesis.toml");
    if !genesis_path.exists() {
        let pillar = KeyPair::generate();
        let dev = KeyPair::generate();
        let executor = KeyPair::generate();
        let relay = KeyPair::generate();
        // The executor's account pays the plasma of its claims, the relay's that of its bundles.
        let mut funded = vec![dev.address(), executor.address(), relay.address()];
        if let Ok(user) = key.load() {
            funded.push(user.address());
        }
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(1, |d| d.as_secs());
        let genesis = Genesis::dev(DEV_CHAIN_IDENTIFIER, now, &[pillar.public()], &funded);
        overwrite_key(&pillar, &pillar_path)?;
        overwrite_key(&dev, &dev_key_path)?;
        overwrite_key(&executor, &executor_key_path)?;
        overwrite_key(&relay, &relay_key_path)?;
        genesis.write(&genesis_path)?;
    }
    if !relay_key_path.exists() {
        bail!(
            "{} holds a network created before `zr up` ran a relay (no funded relay key); remove it to start afresh, \
             or pass --data-dir for a new one",
            dir.display()
        );
    }
    let sponsor_grant = super::net::parse_amount(&args.sponsor_grant)?;
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
    let relay_key = KeyPair::read_file(&relay_key_path)?;

    let runtime = tokio::runtime::Runtime::new().wrap_err("cannot start the async runtime")?;
    runtime.block_on(async {
        let devnet = Devnet::start(&config).await.wrap_err("cannot start the devnet")?;
        let executor_config = ExecutorConfig {
            data_dir: dir.join("executor"),
            chain_id: ROLLUP_CHAIN_ID,
            key_file: Some(executor_key_path.clone()),
            l1: L1Section { http: devnet.http_url(), ws: devnet.ws_url(), ca_file: None },
            rpc: RpcSection::on(args.rpc_listen),
            ops: OpsSection::on(args.executor_ops_listen),
            ..ExecutorConfig::default()
        };
        zr_config::Validate::validate(&executor_config)?;
        // The executor reads the chain in process; users reach it over the JSON-RPC printed below.
        let l1 = Arc::new(zr_devnet::InProcessL1::new(devnet.chain.clone()));
        let executor = zr_executor::node::start(&executor_config, executor_key, l1.clone()).await.wrap_err("cannot start the executor")?;
        fund_relay(&dir, &relay_key, l1.as_ref(), &executor).await?;
        let relay_config = RelayConfig {
            data_dir: dir.join("relay"),
            chain_id: ROLLUP_CHAIN_ID,
            key_file: Some(relay_key_path.clone()),
            executor: executor.rpc_url(),
            sponsor_grant: u64::try_from(sponsor_grant).wrap_err("--sponsor-grant is too large")?,
            l1: L1Section { http: devnet.http_url(), ws: devnet.ws_url(), ca_file: None },
            rpc: RpcSection::on(args.relay_listen),
            ops: OpsSection::on(args.relay_ops_listen),
            ..RelayConfig::default()
        };
        zr_config::Validate::validate(&relay_config)?;
        let relay = zr_relay::start(&relay_config, relay_key.clone(), l1).await.wrap_err("cannot start the relay")?;
        // A watch-only challenger: it reports any other executor's claim that disagrees with this one's.
        let challenger_config = zr_config::ChallengerConfig {
            data_dir: dir.join("challenger"),
            chain_id: ROLLUP_CHAIN_ID,
            key_file: None,
            executor_rpc: executor.rpc_url(),
            l1: L1Section { http: devnet.http_url(), ws: devnet.ws_url(), ca_file: None },
        };
        let watch = zr_challenger::watch::Watch {
            peers: vec![],
            challenge: false,
            once: false,
            json: out.is_json(),
            announce: false,
        };
        let challenger = tokio::spawn(async move {
            if let Err(err) = zr_challenger::watch::run(&challenger_config, watch).await {
                tracing::warn!(target: "zr::up", error = %err, "the watching challenger stopped");
            }
        });
        let funded: Vec<String> = genesis.accounts.iter().map(|a| a.address.to_string()).collect();
        out.emit(
            json!({
                "l1Http": devnet.http_url(),
                "l1Ws": devnet.ws_url(),
                "relayRpc": relay.rpc_url(),
                "relayOps": format!("http://{}", relay.ops_addr),
                "relayAddress": relay_key.address(),
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
                     \n  relay JSON-RPC:          {relay_rpc} (HTTP and WebSocket; `zr` uses it by default)\n  \
                     executor JSON-RPC:       {rpc}\n  L1 JSON-RPC (HTTP):      {http}\n  L1 JSON-RPC (WebSocket): {ws}\n  \
                     metrics and health:      http://{ops}/metrics (devnet), http://{executor_ops}/metrics (executor), \
                     http://{relay_ops}/metrics (relay)\n  \
                     sponsor grant:           {grant} ZNN to each new key, once, from the relay\n  \
                     L1 chain identifier:     {chain}\n  rollup chain id:         {ROLLUP_CHAIN_ID}\n  \
                     claims and finality:     zr-challenge --l1-http {http} --l1-ws {ws} list (final after {window} \
                     momentums); a watch-only challenger runs here and prints any claim that disagrees\n  \
                     funded dev key:          {key} ({dev})\n  funded accounts:         {funded}\n\
                     \nTry it (in another terminal):\n  \
                     zr key new\n  zr deploy contracts/wasm/token.wasm      (a new key: the relay pays its first fees)\n  \
                     zr balance\n  zr deposit 100 --key {key}   (an L1 deposit, from the funded dev key)\n  \
                     zr transfer {dev} 1.5 --key {key}",
                    dir = dir.display(),
                    http = devnet.http_url(),
                    rpc = executor.rpc_url(),
                    relay_rpc = relay.rpc_url(),
                    relay_ops = relay.ops_addr,
                    grant = super::net::format_amount(sponsor_grant),
                    executor_ops = executor.ops_addr,
                    ws = devnet.ws_url(),
                    ops = devnet.ops_addr,
                    chain = genesis.chain_identifier,
                    window = zr_common::rollup::settlement::FINALITY_WINDOW,
                    key = dev_key_path.display(),
                    dev = dev.address(),
                    funded = funded.join(", "),
                )
            },
        );
        tokio::signal::ctrl_c().await.wrap_err("cannot wait for Ctrl-C")?;
        challenger.abort();
        relay.stop().await;
        executor.stop().await;
        devnet.stop().await;
        Ok(())
    })
}

/// ZNN the relay deposits into its rollup account when the network is first started: what it pays sponsor
/// grants from.
const RELAY_DEPOSIT: u128 = 100_000 * 100_000_000;

/// Deposits [`RELAY_DEPOSIT`] from the relay's L1 account into its rollup account, once per network (a
/// marker file records that it was posted), and waits until the executor has credited it, so the relay can
/// sponsor the first key that arrives.
async fn fund_relay<L: zr_sequencing::L1>(
    dir: &std::path::Path,
    relay: &KeyPair,
    l1: &L,
    executor: &zr_executor::node::ExecutorHandle,
) -> eyre::Result<()> {
    let marker = dir.join("relay-funded");
    let funded = || -> eyre::Result<bool> {
        let (_, tree) = executor.rollup.tree_at(None)?;
        Ok(zr_protocol::World::new(tree).account(&relay.address())?.znn > 0)
    };
    if marker.exists() {
        return Ok(());
    }
    let chain_identifier = l1.frontier_momentum().await?.chain_identifier;
    let send = zr_sequencing::SendRequest {
        to: zr_common::Address::INBOX,
        token: zr_common::TokenStandard::ZNN,
        amount: RELAY_DEPOSIT,
        data: vec![],
    };
    zr_sequencing::send_block(l1, chain_identifier, relay, send)
        .await
        .wrap_err("cannot fund the relay's rollup account")?;
    std::fs::write(&marker, b"deposited\n").wrap_err_with(|| format!("cannot write {}", marker.display()))?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !funded()? {
        if std::time::Instant::now() > deadline {
            bail!("the relay's deposit was not credited on the rollup within 60 s");
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    Ok(())
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
