//! Relay admission under load (`cargo bench -p zr-tests --bench relay_admission`): a load generator on
//! loopback sends pre-signed token transfers as JSON-RPC batches of `rollup.sendTransaction` to a real relay
//! (decode, signature, the executor's account state, mempool insert and its durable redb write before each
//! answer), in front of a real executor and devnet. Prints transactions admitted per second, and the L1 bytes
//! per transfer of the full bundles the relay then posts.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use zr_common::rollup::{BundleBody, Transaction, TxBody, TxKind};
use zr_common::{Address, Canonical, Hash, KeyPair, TokenStandard, codec};
use zr_config::Listen;
use zr_executor::StateStore;
use zr_executor::store::{BlockCommit, Head};
use zr_local_network::LocalNet;
use zr_protocol::{Tree, funded_accounts};

const CHAIN: u64 = 1;
const SENDERS: usize = 20_000;
const PER_SENDER: u64 = 3;
const BATCH: usize = 500;
const CONNECTIONS: usize = 4;

use zr_common::keys::fixtures::numbered_key as key;

/// An executor state in which every sender holds ZNN, committed at height 1.
fn fund(dir: &std::path::Path, senders: &[KeyPair]) {
    let entries = funded_accounts(senders.iter().map(|s| (s.address(), 1_000_000_000_000)));
    let tree = Tree::from_sorted(&entries);
    let store = StateStore::open(dir).unwrap();
    let all: BTreeSet<Hash> = entries.iter().map(|(k, _)| *k).collect();
    store.commit(BlockCommit::state_only(Head { height: 1, root: tree.root() }, &tree, &all)).unwrap();
}

fn transfer(sender: &KeyPair, nonce: u64, to: Address) -> Transaction {
    let kind = TxKind::Transfer { to, token: TokenStandard::ZNN, amount: 1 };
    TxBody { chain_id: CHAIN, sender: sender.public(), nonce, gas_limit: 100_000, fee_per_gas: 1, kind }.sign(sender)
}

/// L1 bytes per transfer of a full bundle of distinct senders (one transfer each), as the relay fills it.
fn bytes_per_transfer(relay_key: &KeyPair, senders: &[KeyPair]) -> (usize, usize) {
    let txs: Vec<Arc<Transaction>> = senders
        .iter()
        .enumerate()
        .map(|(i, s)| Arc::new(transfer(s, 0, Address::from_public_key(&(i as u64).to_le_bytes()))))
        .collect();
    let (bundle, data) = zr_relay::bundler::fill(relay_key, CHAIN, &txs).unwrap();
    (bundle.body.transactions.len(), data.len())
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let senders: Vec<KeyPair> = (0..SENDERS as u64).map(key).collect();
    let relay_key = key(u64::MAX);
    let (count, bytes) = bytes_per_transfer(&relay_key, &senders[..600]);
    println!(
        "bundle of distinct senders: {count} transfers in {bytes} bytes of L1 data, {:.1} bytes per transfer",
        bytes as f64 / count as f64
    );
    let raw = BundleBody {
        chain_id: CHAIN,
        poster: relay_key.public(),
        transactions: senders[..count].iter().map(|s| transfer(s, 0, Address::ZERO)).collect(),
    };
    println!("  (canonical, uncompressed: {:.1} bytes per transfer)", codec::encode(&raw).len() as f64 / count as f64);

    fund(&dir.path().join("executor"), &senders);
    let executor_key = key(u64::MAX - 1);

    // Everyone's transactions, signed and as JSON-RPC batch bodies, before the clock starts.
    let started = Instant::now();
    let bodies: Vec<String> = {
        let all: Vec<(usize, u64)> = (0..PER_SENDER).flat_map(|nonce| (0..SENDERS).map(move |s| (s, nonce))).collect();
        let signed: Vec<String> = std::thread::scope(|scope| {
            let parts: Vec<_> = all
                .chunks(all.len().div_ceil(2))
                .map(|part| {
                    let senders = &senders;
                    scope.spawn(move || {
                        part.iter()
                            .map(|(s, nonce)| hex::encode(transfer(&senders[*s], *nonce, Address::ZERO).to_bytes()))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            parts.into_iter().flat_map(|p| p.join().unwrap()).collect()
        });
        signed
            .chunks(BATCH)
            .enumerate()
            .map(|(b, chunk)| {
                let calls: Vec<serde_json::Value> = chunk
                    .iter()
                    .enumerate()
                    .map(|(i, tx)| {
                        serde_json::json!({"jsonrpc": "2.0", "id": b * BATCH + i, "method": "rollup.sendTransaction", "params": [tx]})
                    })
                    .collect();
                serde_json::to_string(&calls).unwrap()
            })
            .collect()
    };
    let total = SENDERS * PER_SENDER as usize;
    println!("signed {total} transfers of {SENDERS} senders in {:.1} s", started.elapsed().as_secs_f64());

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let devnet = zr_local_network::devnet::start(dir.path(), &[relay_key.address()], 10_000).await.unwrap();
        let net = LocalNet::builder(dir.path(), CHAIN, devnet.l1_section(), executor_key)
            .relay(relay_key.clone(), Listen::loopback_any())
            .tune_executor(|executor| executor.claim_every = 0)
            .tune_relay(|relay| {
                relay.rpc.max_request_bytes = 16 * 1024 * 1024;
                // The load generator is one client on loopback, far above a public per-IP rate.
                relay.calls_per_ip_per_second = 0;
            })
            .start(devnet.l1.clone())
            .await
            .unwrap();
        let relay = net.relay();
        let url = relay.rpc_url();
        let client = reqwest::Client::new();
        let bodies = Arc::new(bodies);
        let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let started = Instant::now();
        let workers: Vec<_> = (0..CONNECTIONS)
            .map(|_| {
                let (client, url, bodies, next) = (client.clone(), url.clone(), bodies.clone(), next.clone());
                tokio::spawn(async move {
                    let mut accepted = 0usize;
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(body) = bodies.get(i) else { return accepted };
                        let answer = client
                            .post(&url)
                            .header("content-type", "application/json")
                            .body(body.clone())
                            .timeout(Duration::from_secs(60))
                            .send()
                            .await
                            .unwrap();
                        let answers: Vec<serde_json::Value> = answer.json().await.unwrap();
                        accepted += answers.iter().filter(|a| a["result"].is_string()).count();
                        if let Some(refused) = answers.iter().find(|a| a["error"].is_object()) {
                            panic!("refused under load: {refused}");
                        }
                    }
                })
            })
            .collect();
        let mut accepted = 0;
        for worker in workers {
            accepted += worker.await.unwrap();
        }
        let elapsed = started.elapsed();
        println!(
            "admitted {accepted} of {total} in {:.2} s: {:.0} transactions per second ({CONNECTIONS} connections, batches of {BATCH})",
            elapsed.as_secs_f64(),
            accepted as f64 / elapsed.as_secs_f64()
        );
        net.stop().await;
        devnet.stop().await;
    });
}
