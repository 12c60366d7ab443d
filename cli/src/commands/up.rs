//! `zr up`: a whole local network in one process, with no configuration: an L1 (the embedded devnet, or with
//! `--l1 znnd` a local go-zenon node with the rollup spork), an executor and a relay in sponsor mode (it grants
//! each new key a little ZNN for its first fees, so a key made with `zr key new` can deploy at once).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use clap::Args;
use eyre::{Context, bail};
use serde_json::json;
use std::sync::Arc;
use zr_common::KeyPair;
use zr_common::daemon::Served;

use zr_config::{DevnetConfig, L1Section, Listen, OpsSection};
use zr_devnet::{Devnet, Genesis};
use zr_local_network::{EXECUTOR_KEY_FILE, LocalNet, RELAY_KEY_FILE};
use zr_sequencing::ZnndClient;

use super::local_znnd::{LocalZnnd, ZnndBinaries, ZnndPorts};

use crate::commands::key::{KeyFileArg, zr_home};
use crate::output::Output;

use zr_config::defaults::{
    self, DEV_L1_CHAIN_IDENTIFIER as DEV_CHAIN_IDENTIFIER, DEV_ROLLUP_CHAIN_ID as ROLLUP_CHAIN_ID,
};

/// The L1 a local network runs on.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum L1Kind {
    /// The embedded devnet: a NoM-compatible chain in this process, momentums as fast as you ask.
    Devnet,
    /// go-zenon's znnd with the rollup spork (built from the checkout by `ops/znnd.sh build`; needs Go), one
    /// pillar, a momentum every 10 s.
    Znnd,
}

/// `zr up` flags.
#[derive(Args)]
pub struct UpArgs {
    /// The L1 to run on
    #[arg(long, value_enum, default_value = "devnet")]
    l1: L1Kind,
    /// Where the network keeps its chain and keys [default: $ZR_HOME/up, with --l1 znnd $ZR_HOME/up-znnd]
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// With --l1 znnd: the directory holding znnd and zr-localnet [default: $ZR_ZNND_BIN, else
    /// ~/.cache/zrollup/znnd, built there by the checkout's ops/znnd.sh when missing]
    #[arg(long, value_name = "DIR")]
    znnd_bin: Option<PathBuf>,
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
    /// Milliseconds between the devnet's momentums (NoM's is 10000; znnd's always is) [default: 1000]
    #[arg(long, value_name = "MS")]
    momentum_interval_ms: Option<u64>,
}

/// Runs the network until Ctrl-C (or SIGTERM).
pub fn run(args: UpArgs, key: KeyFileArg, out: &Output) -> eyre::Result<()> {
    if args.l1 == L1Kind::Znnd && args.momentum_interval_ms.is_some() {
        bail!("--momentum-interval-ms sets the devnet's pace: znnd makes a momentum every 10 s");
    }
    let dir = match &args.data_dir {
        Some(dir) => dir.clone(),
        None => zr_home()?.join(match args.l1 {
            L1Kind::Devnet => "up",
            L1Kind::Znnd => "up-znnd",
        }),
    };
    std::fs::create_dir_all(&dir).wrap_err_with(|| format!("cannot create {}", dir.display()))?;
    let _lock = lock_network(&dir)?;
    let keys = NetworkKeys::load_or_create(&dir, &key, args.l1)?;
    let sponsor_grant = super::net::parse_amount(&args.sponsor_grant)?;
    let sponsor_grant = u64::try_from(sponsor_grant).wrap_err("--sponsor-grant is too large")?;
    let runtime = tokio::runtime::Runtime::new().wrap_err("cannot start the async runtime")?;
    runtime.block_on(async {
        match args.l1 {
            L1Kind::Devnet => {
                let genesis_path = dir.join("genesis.toml");
                let genesis = Genesis::read(&genesis_path)?;
                let config = DevnetConfig {
                    data_dir: dir.join("devnet"),
                    genesis: Some(genesis_path),
                    pillar_keys: vec![dir.join("pillar.json")],
                    http_listen: args.http_listen,
                    ws_listen: args.ws_listen,
                    momentum_interval_ms: args.momentum_interval_ms.unwrap_or(1000),
                    ops: OpsSection::on(args.ops_listen),
                    ..DevnetConfig::default()
                };
                zr_config::Validate::validate(&config)?;
                let devnet = Devnet::start(&config).await.wrap_err("cannot start the devnet")?;
                let accepted = devnet.chain.settlement().parameters().vm_version_at(u64::MAX);
                if let Err(e) = same_vm_version(accepted, zr_protocol::gas::vm_version(), &dir) {
                    devnet.stop().await;
                    return Err(e);
                }
                let l1 = L1Node {
                    kind: args.l1,
                    http: devnet.http_url(),
                    ws: devnet.ws_url(),
                    ops: Some(format!("http://{}", devnet.ops_addr)),
                    log: None,
                    chain_identifier: genesis.chain_identifier,
                    funded: genesis.accounts.iter().map(|a| a.address).collect(),
                };
                // The executor and the relay read the chain in process; users reach it over the JSON-RPC.
                let client = Arc::new(zr_devnet::InProcessL1::new(devnet.chain.clone()));
                let result = run_daemons(&args, &dir, &keys, sponsor_grant, client, &l1, out).await;
                devnet.stop().await;
                result
            }
            L1Kind::Znnd => {
                let binaries = ZnndBinaries::locate(args.znnd_bin.clone(), &|line| out.progress_line(line))?;
                out.progress_line("starting znnd (its first momentums take up to 20 s)…");
                let ports = ZnndPorts { http: args.http_listen, ws: args.ws_listen };
                let znnd = LocalZnnd::start(&binaries, &dir.join("znnd"), &keys.funded, ports).await?;
                let l1 = L1Node {
                    kind: args.l1,
                    http: znnd.http_url.clone(),
                    ws: znnd.ws_url.clone(),
                    ops: None,
                    log: Some(znnd.log.clone()),
                    chain_identifier: DEV_CHAIN_IDENTIFIER,
                    funded: keys.funded.clone(),
                };
                let result = match ZnndClient::new(&l1.http, &l1.ws) {
                    Ok(client) => run_daemons(&args, &dir, &keys, sponsor_grant, Arc::new(client), &l1, out).await,
                    Err(err) => Err(err.into()),
                };
                znnd.stop();
                result
            }
        }
    })
}

/// Refuses a network whose settlement accepts claims of another VM version than this `zr` runs (one made by an
/// older `zr`, before a change to the VM's rules or costs): none of its claims would ever be final.
fn same_vm_version(accepted: Option<zr_common::Hash>, ours: zr_common::Hash, dir: &Path) -> eyre::Result<()> {
    match accepted {
        Some(accepted) if accepted == ours => Ok(()),
        accepted => bail!(
            "{dir} is a network made by another zr: its settlement accepts claims of VM version {accepted}, and this \
             zr's VM is {ours}, so no claim would ever be final. Remove {dir} to start a new network, or run the zr \
             that made it",
            dir = dir.display(),
            accepted = accepted.map_or("none".to_owned(), |v| v.to_hex()),
        ),
    }
}

/// Holds the network directory for as long as this `zr up` runs: a second one on it is refused (it would share
/// the keys' L1 accounts and, on znnd, stop this one's node as a leftover).
fn lock_network(dir: &Path) -> eyre::Result<std::fs::File> {
    let path = dir.join("zr-up.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .wrap_err_with(|| format!("cannot open {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => {
            bail!("another `zr up` runs on {}: stop it first, or pass --data-dir for another network", dir.display())
        }
        Err(std::fs::TryLockError::Error(err)) => Err(err).wrap_err_with(|| format!("cannot lock {}", path.display())),
    }
}

/// The keys of a local network, made on its first start: the dev key and the executor's and relay's, all funded
/// on L1 (with the user's own key when it exists by then), and the devnet's pillar. The executor's and relay's
/// are where [`LocalNet`] keeps its daemons' keys.
struct NetworkKeys {
    dev_path: PathBuf,
    dev: KeyPair,
    executor: KeyPair,
    relay: KeyPair,
    /// The L1 accounts the genesis funds.
    funded: Vec<zr_common::Address>,
}

impl NetworkKeys {
    fn load_or_create(dir: &Path, user: &KeyFileArg, l1: L1Kind) -> eyre::Result<NetworkKeys> {
        let (dev_path, executor_path, relay_path) =
            (dir.join("dev-key.json"), dir.join(EXECUTOR_KEY_FILE), dir.join(RELAY_KEY_FILE));
        let funded_path = dir.join("funded.json");
        let created = match l1 {
            L1Kind::Devnet => dir.join("genesis.toml"),
            L1Kind::Znnd => funded_path.clone(),
        };
        // A directory of the other L1 (or one whose marker was removed by hand) keeps its keys: never replaced.
        let other_kind = match l1 {
            L1Kind::Devnet => funded_path.exists() || dir.join("znnd").exists(),
            L1Kind::Znnd => dir.join("genesis.toml").exists() || dir.join("znnd/genesis.json").exists(),
        };
        if other_kind && !created.exists() {
            let (this, other) = match l1 {
                L1Kind::Devnet => ("the devnet", "znnd (zr up --l1 znnd)"),
                L1Kind::Znnd => ("znnd", "the devnet, or a znnd network missing its funded.json"),
            };
            bail!(
                "{} holds a network on {other}, not on {this}: pass another --data-dir (the default is \
                 $ZR_HOME/up for the devnet and $ZR_HOME/up-znnd for znnd)",
                dir.display()
            );
        }
        if !created.exists() {
            let (dev, executor, relay) = (KeyPair::generate(), KeyPair::generate(), KeyPair::generate());
            // The executor's account pays the plasma of its claims, the relay's that of its bundles.
            let mut funded = vec![dev.address(), executor.address(), relay.address()];
            if let Ok(user) = user.load() {
                funded.push(user.address());
            }
            overwrite_key(&dev, &dev_path)?;
            overwrite_key(&executor, &executor_path)?;
            overwrite_key(&relay, &relay_path)?;
            match l1 {
                L1Kind::Devnet => {
                    let pillar = KeyPair::generate();
                    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(1, |d| d.as_secs());
                    let genesis = Genesis::dev(DEV_CHAIN_IDENTIFIER, now, &[pillar.public()], &funded);
                    overwrite_key(&pillar, &dir.join("pillar.json"))?;
                    genesis.write(&created)?;
                }
                // znnd's genesis is written by zr-localnet on its first start, from this list.
                L1Kind::Znnd => std::fs::write(&created, serde_json::to_vec_pretty(&funded)?)
                    .wrap_err_with(|| format!("cannot write {}", created.display()))?,
            }
        }
        if !relay_path.exists() {
            bail!(
                "{} holds a network created before `zr up` ran a relay (no funded relay key); remove it to start \
                 afresh, or pass --data-dir for a new one",
                dir.display()
            );
        }
        let funded = match l1 {
            L1Kind::Devnet => Genesis::read(&created)?.accounts.iter().map(|a| a.address).collect(),
            L1Kind::Znnd => serde_json::from_slice(
                &std::fs::read(&created).wrap_err_with(|| format!("cannot read {}", created.display()))?,
            )
            .wrap_err_with(|| format!("{} is not a list of addresses", created.display()))?,
        };
        Ok(NetworkKeys {
            dev: KeyPair::read_file(&dev_path)?,
            executor: KeyPair::read_file(&executor_path)?,
            relay: KeyPair::read_file(&relay_path)?,
            dev_path,
            funded,
        })
    }
}

/// The L1 node a local network runs on, as `zr up` reports it.
struct L1Node {
    kind: L1Kind,
    http: String,
    ws: String,
    /// The devnet's metrics and health.
    ops: Option<String>,
    /// znnd's log file.
    log: Option<PathBuf>,
    chain_identifier: u64,
    funded: Vec<zr_common::Address>,
}

/// Starts the executor, the relay (funded to sponsor new keys) and a watch-only challenger on `client`, prints
/// the endpoints and waits for Ctrl-C.
async fn run_daemons<L: zr_sequencing::L1 + 'static>(
    args: &UpArgs,
    dir: &Path,
    keys: &NetworkKeys,
    sponsor_grant: u64,
    client: Arc<L>,
    l1: &L1Node,
    out: &Output,
) -> eyre::Result<()> {
    let out = *out;
    let net = LocalNet::builder(dir, ROLLUP_CHAIN_ID, L1Section::at(&l1.http, &l1.ws), keys.executor.clone())
        .executor_listen(Listen { rpc: args.rpc_listen, ops: args.executor_ops_listen })
        .relay(keys.relay.clone(), Listen { rpc: args.relay_listen, ops: args.relay_ops_listen })
        .sponsor(sponsor_grant, RELAY_DEPOSIT)
        .watching_challenger(out.is_json())
        .progress(move |line| out.progress_line(line))
        .start(client)
        .await?;
    // Ctrl-C and SIGTERM (a service manager's stop) are watched before the announcement: whoever reads it may
    // stop the network at once, and a signal that came before its listener would be lost (the network would
    // run on) or kill it unstopped.
    let stop = match zr_common::daemon::stop_signals() {
        Ok(stop) => stop,
        Err(err) => {
            net.stop().await;
            return Err(err).wrap_err("cannot watch for Ctrl-C and SIGTERM");
        }
    };
    announce(l1, keys, dir, sponsor_grant, &net.executor, net.relay(), &out);
    stop.await;
    net.stop().await;
    Ok(())
}

/// Prints the endpoints (one JSON line with --json).
fn announce(
    l1: &L1Node,
    keys: &NetworkKeys,
    dir: &Path,
    sponsor_grant: u64,
    executor: &zr_executor::node::ExecutorHandle,
    relay: &zr_relay::RelayHandle,
    out: &Output,
) {
    let funded: Vec<String> = l1.funded.iter().map(ToString::to_string).collect();
    let kind = match l1.kind {
        L1Kind::Devnet => "devnet",
        L1Kind::Znnd => "znnd",
    };
    let key = keys.dev_path.display();
    let dev = keys.dev.address();
    let l1_extra = match (&l1.ops, &l1.log) {
        (Some(ops), _) => format!("  metrics and health:      {ops}/metrics (devnet), "),
        (None, Some(log)) => format!("  znnd's log:              {}\n  metrics and health:      ", log.display()),
        (None, None) => "  metrics and health:      ".to_owned(),
    };
    out.emit(
        json!({
            "l1": kind,
            "l1Http": l1.http,
            "l1Ws": l1.ws,
            "l1Log": l1.log,
            "relayRpc": relay.rpc_url(),
            "relayOps": format!("http://{}", relay.ops_addr),
            "relayAddress": keys.relay.address(),
            "executorRpc": executor.rpc_url(),
            "explorer": format!("{}/explorer/", executor.rpc_url()),
            "executorOps": format!("http://{}", executor.ops_addr),
            "executorAddress": keys.executor.address(),
            "rollupChainId": ROLLUP_CHAIN_ID,
            "ops": l1.ops,
            "chainIdentifier": l1.chain_identifier,
            "devKey": keys.dev_path,
            "devAddress": dev,
            "funded": funded,
            "dataDir": dir,
        }),
        || {
            format!(
                "zrollup local network is up on {kind} (Ctrl-C stops it; the chain persists in {dir})\n\
                 \n  relay JSON-RPC:          {relay_rpc} (HTTP and WebSocket; `zr` uses it by default)\n  \
                 executor JSON-RPC:       {rpc}\n  explorer:                {rpc}/explorer/ (open it in a browser)\n  L1 JSON-RPC (HTTP):      {http}\n  L1 JSON-RPC (WebSocket): {ws}\n\
                 {l1_extra}http://{executor_ops}/metrics (executor), http://{relay_ops}/metrics (relay)\n  \
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
                http = l1.http,
                ws = l1.ws,
                rpc = executor.rpc_url(),
                relay_rpc = relay.rpc_url(),
                relay_ops = relay.ops_addr,
                grant = super::net::format_amount(u128::from(sponsor_grant)),
                executor_ops = executor.ops_addr,
                chain = l1.chain_identifier,
                window = zr_common::rollup::settlement::FINALITY_WINDOW,
                funded = funded.join(", "),
            )
        },
    );
}

/// ZNN the relay deposits into its rollup account when the network is first started: what it pays sponsor
/// grants from (in base units).
const RELAY_DEPOSIT: u128 = 100_000 * 100_000_000;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_network_of_another_vm_version_is_refused_naming_both() {
        let dir = Path::new("/home/me/.zr/up");
        let ours = zr_protocol::gas::vm_version();
        assert!(same_vm_version(Some(ours), ours, dir).is_ok());
        let old = zr_common::Hash([8; 32]);
        let error = same_vm_version(Some(old), ours, dir).unwrap_err().to_string();
        assert!(error.starts_with("/home/me/.zr/up is a network made by another zr"), "{error}");
        assert!(error.contains(&old.to_hex()) && error.contains(&ours.to_hex()), "{error}");
        assert!(error.contains("Remove /home/me/.zr/up"), "{error}");
    }
}
