//! Executors against the test devnet, and posting transactions to the inbox.

use std::path::Path;
use std::time::Duration;

use jsonrpsee_http_client::{HttpClient, HttpClientBuilder};
use serde_json::{Value, json};
use zr_common::rollup::{BundleBody, Transaction, TxBody, TxKind};
use zr_common::{Address, KeyPair, TokenStandard};
use zr_config::{ExecutorConfig, L1Section};
use zr_executor::node::ExecutorHandle;
use zr_local_network::{LocalNet, LocalNetBuilder};
use zr_rpc_api::{RollupStateApiClient, RollupTxApiClient, TransactionView};
use zr_sequencing::bundle::encode_bundle;
use zr_sequencing::{SendRequest, send_block};

use zr_common::rollup::settlement::{ClaimRecord, ClaimStatus};
use zr_sequencing::L1;

use crate::support::{CHAIN, Killed, TestNet, daemon_command, eventually};

/// The rollup chain id in tests.
pub const ROLLUP: u64 = zr_config::defaults::DEV_ROLLUP_CHAIN_ID;

/// The executor of `key` in `dir` on the test devnet, as the local network builds it, keeping 8 momentums of
/// state in memory.
pub fn executor_builder(net: &TestNet, key: &KeyPair, dir: &Path) -> LocalNetBuilder {
    let l1 = L1Section::at(net.handle().http_url(), net.handle().ws_url());
    LocalNet::builder(dir, ROLLUP, l1, key.clone()).tune_executor(|config| config.history_depth = 8)
}

/// The config [`executor_builder`] starts the executor with, its key file written.
pub fn executor_config(net: &TestNet, key: &KeyPair, dir: &Path) -> ExecutorConfig {
    let builder = executor_builder(net, key, dir);
    builder.write_key_files().unwrap();
    builder.executor_config()
}

/// `zr-executor` (the test build) on `config` (written beside its data directory), following the L1 at `http` and
/// `ws`; callers add their own flags.
pub fn executor_command(config: &ExecutorConfig, http: &str, ws: &str) -> std::process::Command {
    let l1 = L1Section { http: http.to_owned(), ws: ws.to_owned(), ..config.l1.clone() };
    let config = ExecutorConfig { l1, ..config.clone() };
    daemon_command(env!("CARGO_BIN_EXE_executor-under-test"), &config, &config.data_dir.with_extension("toml"))
}

/// Executor 0 on the test devnet in a directory of its own: the directory (kept while the executor runs) and
/// the executor.
pub async fn first_executor(net: &TestNet) -> (tempfile::TempDir, ExecutorHandle) {
    let dir = tempfile::tempdir().unwrap();
    let executor = start_executor(net, &net.executors[0], dir.path()).await;
    (dir, executor)
}

/// Deposits `amount` from `who`'s L1 account into its rollup account, and waits until the executor at
/// `executor_url` has credited it.
pub async fn deposit(net: &TestNet, who: &KeyPair, amount: u128, executor_url: &str) {
    let balance = async || api(executor_url).get_balance(who.address(), None).await.unwrap().znn;
    let before = balance().await;
    post_data(net, who, vec![], amount).await;
    eventually(async || balance().await >= before + amount).await;
}

pub async fn start_executor(net: &TestNet, key: &KeyPair, dir: &Path) -> ExecutorHandle {
    executor_builder(net, key, dir).start(net.client()).await.unwrap().executor
}

/// The typed `rollup` API client of the executor at `url`.
pub fn api(url: &str) -> HttpClient {
    HttpClientBuilder::default().build(url).unwrap()
}

/// A hand-made JSON-RPC request, for tests of what malformed input gets back: everything else goes through
/// the typed client.
pub async fn raw_rpc(url: &str, method: &str, params: Value) -> Value {
    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
    reqwest::Client::new().post(url).json(&body).send().await.unwrap().json().await.unwrap()
}

pub fn sign(key: &KeyPair, nonce: u64, kind: TxKind) -> Transaction {
    TxBody { chain_id: ROLLUP, sender: key.public(), nonce, gas_limit: 20_000_000, fee_per_gas: 1, kind }.sign(key)
}

/// Posts `txs` in one bundle from `poster`'s L1 account.
pub async fn post(net: &TestNet, poster: &KeyPair, txs: Vec<Transaction>) {
    let bundle = BundleBody { chain_id: ROLLUP, poster: poster.public(), transactions: txs }.sign(poster);
    let data = encode_bundle(&bundle).unwrap();
    post_data(net, poster, data, 0).await;
}

/// Posts raw inbox data (and a ZNN amount) from `poster`'s L1 account, retrying while plasma is busy.
pub async fn post_data(net: &TestNet, poster: &KeyPair, data: Vec<u8>, amount: u128) {
    let client = net.client();
    for _ in 0..200 {
        let send = SendRequest { to: Address::INBOX, token: TokenStandard::ZNN, amount, data: data.clone() };
        match send_block(client.as_ref(), CHAIN, poster, send).await {
            Ok(_) => return,
            // The previous block of the account may still be on its way (another poster in the test).
            Err(err) if err.clears_with_next_momentum() || err.to_string().contains("previous") => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Err(err) => panic!("cannot post: {err}"),
        }
    }
    panic!("no plasma for 10 s");
}

/// `zr-challenge` (the test build) pointed at the test devnet's L1.
pub fn challenge_command(net: &TestNet) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_challenge-under-test"));
    command.args(["--l1-http", &net.handle().http_url(), "--l1-ws", &net.handle().ws_url()]).env("ZR_LOG", "error");
    command
}

/// Runs `zr-challenge` with `args`: its exit code and the JSON it printed.
pub fn challenge_json(net: &TestNet, args: &[&str]) -> (i32, Value) {
    let out = challenge_command(net).args(args).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("{e}: {stdout} / {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap(), json)
}

/// Waits until the executor at `url` has executed `hash`; returns the transaction view.
pub async fn executed(url: &str, hash: &zr_common::Hash) -> TransactionView {
    let client = api(url);
    for _ in 0..400 {
        if let Some(view) = client.get_transaction(*hash).await.unwrap() {
            return view;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{hash} not executed in 20 s");
}

pub async fn head(url: &str) -> u64 {
    api(url).get_head().await.unwrap().height
}

/// Uploads the token contract in one chunk and deploys it, as `who`'s transactions with nonces 0 and 1, in one
/// bundle; returns the contract's address.
pub async fn deploy_token(net: &TestNet, who: &KeyPair) -> Address {
    let code = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../contracts/wasm/token.wasm")).unwrap();
    let code_hash = zr_common::sha3_256(&code);
    assert!(code.len() <= zr_common::rollup::limits::MAX_CODE_CHUNK_LEN);
    let txs = vec![
        sign(who, 0, TxKind::UploadChunk { code_hash, index: 0, count: 1, bytes: code }),
        sign(who, 1, TxKind::Deploy { code_hash, input: vec![], value: 0 }),
    ];
    post(net, who, txs).await;
    Address::contract(&who.address(), 1)
}

/// A call of the token contract's `mint` of `amount` to `to`, signed by `who` with `nonce`.
pub fn mint(who: &KeyPair, nonce: u64, token: Address, to: Address, amount: u128) -> Transaction {
    let input = [to.0.as_slice(), &amount.to_le_bytes()].concat();
    sign(who, nonce, TxKind::Call { contract: token, method: "mint".into(), input, value: 0 })
}

/// An executor that keeps `history_depth` momentums of state in memory (older witnesses are built from a
/// state rebuilt from the store).
pub async fn start_executor_keeping(net: &TestNet, key: &KeyPair, dir: &Path, history_depth: usize) -> ExecutorHandle {
    let builder = executor_builder(net, key, dir).tune_executor(move |config| config.history_depth = history_depth);
    builder.start(net.client()).await.unwrap().executor
}

/// A test network on which an honest executor and one that falsifies leaf 0 at `fault_at` both claim, far
/// enough ahead that, catching up from the start, the faulty one claims that height in step with the honest one
/// (so the two claims dispute it): where every challenge test starts.
///
/// The executors are declared first so that, kept whole, the fixture drops them before their directory and
/// the network they follow.
pub struct HonestAndFaulty {
    /// Executor 0, keeping 256 momentums of state (it serves every witness a challenge needs).
    pub honest: ExecutorHandle,
    /// Executor 1, whose claim at `fault_at` is wrong.
    pub faulty: ExecutorHandle,
    /// The disputed height.
    pub fault_at: u64,
    /// Holds both executors' directories (`honest/`, `faulty/`) and whatever the test writes beside them.
    pub dir: tempfile::TempDir,
    pub net: TestNet,
}

impl HonestAndFaulty {
    /// The faulty executor falsifies leaf 0's root.
    pub async fn start() -> Self {
        Self::start_with_fault("").await
    }

    /// The fault's kind given as the injection's suffix (`""` a root, `":step"` a step).
    pub async fn start_with_fault(kind: &str) -> Self {
        let net = TestNet::start().await;
        let dir = tempfile::tempdir().unwrap();
        let (honest_dir, faulty_dir) = (dir.path().join("honest"), dir.path().join("faulty"));
        for dir in [&honest_dir, &faulty_dir] {
            std::fs::create_dir_all(dir).unwrap();
        }
        let honest = start_executor_keeping(&net, &net.executors[0], &honest_dir, 256).await;
        let fault_at = head(&honest.rpc_url()).await + 60;
        let fault = format!("{fault_at}:0{kind}");
        let faulty = executor_builder(&net, &net.executors[1], &faulty_dir)
            .tune_executor(move |config| config.dangerous_fault_injection = Some(fault.clone()))
            .start(net.client())
            .await
            .unwrap()
            .executor;
        HonestAndFaulty { honest, faulty, fault_at, dir, net }
    }
}

/// `zr-challenge watch --challenge --json` on the honest executor at `executor_rpc`, with the key of relay 1
/// and its data directory under `dir`, plus `extra` arguments; its output discarded, killed when dropped.
pub fn spawn_watcher(net: &TestNet, executor_rpc: &str, dir: &Path, extra: &[&str]) -> Killed {
    let key_file = dir.join("challenger.json");
    net.relays[1].write_file(&key_file).unwrap();
    Killed(
        challenge_command(net)
            .args(["--executor", executor_rpc, "--chain-id", &ROLLUP.to_string()])
            .args(["--key-file", key_file.to_str().unwrap()])
            .args(["--data-dir", dir.join("challenger").to_str().unwrap()])
            .args(["watch", "--challenge", "--json"])
            .args(extra)
            .env("ZR_LOG", "error")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    )
}

/// The claim of executor `index` at `height` once L1 has rejected it.
pub async fn rejected_claim_of(net: &TestNet, index: usize, height: u64) -> ClaimRecord {
    let claim_of = async || {
        let claims = net.client().rollup_claims(height, 1).await.unwrap();
        claims.into_iter().find(|c| c.executor == net.executors[index].public())
    };
    eventually(async || claim_of().await.is_some_and(|c| matches!(c.status, ClaimStatus::Rejected { .. }))).await;
    claim_of().await.unwrap()
}
