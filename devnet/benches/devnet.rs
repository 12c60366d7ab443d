//! Devnet benchmarks: one momentum of 100 full (16 KiB) blocks verified, applied, hashed and persisted; and
//! publishRawTransaction accepted per second over HTTP on loopback.

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::Criterion;
use zr_common::daemon::Served;
use zr_common::nom::{AccountBlock, BlockType, HashHeight, Momentum, VERSION, plasma};
use zr_common::{Address, KeyPair, TokenStandard};
use zr_config::DevnetConfig;
use zr_devnet::{Chain, Devnet, Genesis};

const CHAIN: u64 = 321;

fn accounts(n: usize) -> Vec<KeyPair> {
    (0..n).map(|i| KeyPair::from_seed(&sha(i))).collect()
}

fn sha(i: usize) -> [u8; 32] {
    zr_common::sha3_256(&i.to_le_bytes()).0
}

fn genesis(pillar: &KeyPair, users: &[KeyPair]) -> Genesis {
    let addresses: Vec<Address> = users.iter().map(KeyPair::address).collect();
    Genesis::dev(CHAIN, 1_700_000_000, &[pillar.public()], &addresses)
}

fn send(key: &KeyPair, previous: &AccountBlock, ma: &Momentum, data_len: usize) -> AccountBlock {
    let acknowledged = HashHeight { hash: ma.hash, height: ma.height };
    let mut block = AccountBlock {
        to_address: Address::INBOX,
        token_standard: TokenStandard::ZERO,
        data: vec![0x5a; data_len],
        fused_plasma: plasma::required_plasma(data_len),
        ..AccountBlock::next(CHAIN, BlockType::UserSend, key.address(), Some(previous), acknowledged)
    };
    block.sign(key);
    block
}

/// The frontier block of every account, starting from their genesis blocks.
fn genesis_frontiers(genesis: &Genesis, users: &[KeyPair]) -> Vec<AccountBlock> {
    users
        .iter()
        .map(|u| {
            let mut block = AccountBlock {
                version: VERSION,
                chain_identifier: genesis.chain_identifier,
                block_type: BlockType::GenesisReceive as u64,
                height: 1,
                address: u.address(),
                ..AccountBlock::default()
            };
            block.hash = block.compute_hash();
            block
        })
        .collect()
}

fn momentum_of_100_full_blocks(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let pillar = KeyPair::from_seed(&[1; 32]);
    let users = accounts(100);
    let genesis = genesis(&pillar, &users);
    let chain = Chain::open(dir.path(), Some(&genesis)).unwrap();
    let mut frontiers = genesis_frontiers(&genesis, &users);
    let mut group = c.benchmark_group("devnet");
    group.sample_size(20);
    group.throughput(criterion::Throughput::Bytes(100 * 16 * 1024));
    group.bench_function("momentum_100_blocks_16KiB_verify_apply_hash_persist", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let ma = chain.frontier_momentum();
                let blocks: Vec<AccountBlock> =
                    users.iter().zip(&frontiers).map(|(u, prev)| send(u, prev, &ma, 16 * 1024)).collect();
                let started = Instant::now();
                for block in &blocks {
                    chain.publish(block.clone()).unwrap();
                }
                let produced = chain.produce(&pillar, 1_800_000_000).unwrap();
                total += started.elapsed();
                assert_eq!(produced.blocks.len(), 100);
                frontiers = blocks;
            }
            total
        });
    });
    group.finish();
}

/// publishRawTransaction over HTTP: 4 concurrent clients, small inbox sends from 200 accounts.
fn publish_rpc_throughput() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let pillar = KeyPair::from_seed(&[1; 32]);
        let users = accounts(200);
        let genesis = genesis(&pillar, &users);
        genesis.write(&dir.path().join("genesis.toml")).unwrap();
        pillar.write_file(&dir.path().join("pillar.json")).unwrap();
        let config = DevnetConfig::in_dir(dir.path(), 100);
        let devnet = Devnet::start(&config).await.unwrap();
        let ma = devnet.chain.frontier_momentum();
        // 40 blocks per account, built and signed before the clock starts.
        let per_account = 40;
        let mut queues: Vec<Vec<serde_json::Value>> = vec![Vec::new(); 4];
        for (i, (user, genesis_block)) in users.iter().zip(genesis_frontiers(&genesis, &users)).enumerate() {
            let mut previous = genesis_block;
            for _ in 0..per_account {
                let block = send(user, &previous, &ma, 100);
                queues[i % 4].push(serde_json::json!({
                    "jsonrpc": "2.0", "id": 1, "method": "ledger.publishRawTransaction", "params": [block]
                }));
                previous = block;
            }
        }
        let total: usize = queues.iter().map(Vec::len).sum();
        let url = Arc::new(devnet.http_url());
        let started = Instant::now();
        let tasks: Vec<_> = queues
            .into_iter()
            .map(|queue| {
                let url = url.clone();
                tokio::spawn(async move {
                    let client = reqwest::Client::new();
                    for body in queue {
                        let answer: serde_json::Value =
                            client.post(url.as_str()).json(&body).send().await.unwrap().json().await.unwrap();
                        assert!(answer["error"].is_null(), "{answer}");
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        let elapsed = started.elapsed();
        println!(
            "devnet/publishRawTransaction: {total} blocks accepted in {:.2?} = {:.0} blocks/s (4 HTTP clients, loopback)",
            elapsed,
            total as f64 / elapsed.as_secs_f64()
        );
        devnet.stop().await;
    });
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    momentum_of_100_full_blocks(&mut criterion);
    criterion.final_summary();
    publish_rpc_throughput();
}
