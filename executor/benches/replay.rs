//! Replay by a fresh executor of recorded momentums full of token transfers (ordering with signature checks,
//! wasm execution, state commitment, redb commit), and the latency from a momentum's arrival to its signed,
//! committed claim for a momentum of 10 000 transfers.
//!
//! `ZR_REPLAY_TRANSFERS` sets how many transfers to replay (default 1 000 000).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use zr_common::nom::rpc::DetailedMomentum;
use zr_common::nom::rpc::fixtures::momentum;
use zr_common::nom::{AccountBlock, BlockType};
use zr_common::rollup::{BundleBody, ReceiptStatus, Transaction, TxBody, TxKind};
use zr_common::{Address, Hash, KeyPair, sha3_256};
use zr_executor::StateStore;
use zr_executor::pipeline::Pipeline;
use zr_executor::rollup::{Processed, Rollup, Timings};
use zr_executor::store::{BlockCommit, Head};
use zr_protocol::{BlockInfo, Tree, TxContext, apply_transaction, funded_accounts};
use zr_sequencing::bundle::encode_bundle;
use zr_vm::Vm;

const CHAIN: u64 = 1;
const PER_MOMENTUM: usize = 10_000;
const PER_BUNDLE: usize = 100;
const SENDERS: usize = 1_000;

use zr_common::keys::fixtures::numbered_key as key;

fn token_wasm() -> Vec<u8> {
    std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../contracts/wasm/token.wasm")).unwrap()
}

/// A state with the token deployed and every sender holding tokens, committed in `dir`.
fn genesis(dir: &std::path::Path, senders: &[KeyPair]) -> Address {
    let mut tree = Tree::from_sorted(&funded_accounts(senders.iter().map(|s| (s.address(), 1_000_000_000))));
    let vm = Vm::new(None, 4).unwrap();
    let ctx = TxContext { block: BlockInfo { height: 0, timestamp: 0 }, poster: Address::ZERO };
    let owner = &senders[0];
    let mut nonce = 0;
    let mut run = |tree: &mut Tree, kind: TxKind| {
        let tx = TxBody { chain_id: CHAIN, sender: owner.public(), nonce, gas_limit: 50_000_000, fee_per_gas: 1, kind }
            .sign(owner);
        nonce += 1;
        let applied =
            apply_transaction(vm.as_ref(), tree.clone(), &tx, tx.hash(), &ctx, zr_protocol::Used::default()).unwrap();
        assert_eq!(applied.receipt.unwrap().status, ReceiptStatus::Success);
        *tree = applied.tree;
    };
    let code = token_wasm();
    let code_hash = sha3_256(&code);
    run(&mut tree, TxKind::UploadChunk { code_hash, index: 0, count: 1, bytes: code });
    let token = Address::contract(&owner.address(), 1);
    run(&mut tree, TxKind::Deploy { code_hash, input: vec![], value: 0 });
    for holder in senders.iter().map(KeyPair::address).collect::<Vec<_>>() {
        let input = [holder.0.as_slice(), &1_000_000_000u128.to_le_bytes()].concat();
        run(&mut tree, TxKind::Call { contract: token, method: "mint".into(), input, value: 0 });
    }
    // The owner's nonce moved; start every sender's recorded transactions from its real nonce.
    let store = StateStore::open(dir).unwrap();
    let all: BTreeSet<Hash> = tree.entries().into_iter().map(|(k, _)| k).collect();
    store.commit(BlockCommit::state_only(Head { height: 1, root: tree.root() }, &tree, &all)).unwrap();
    token
}

/// Records `count` momentums of 10 000 token transfers: 100 inbox blocks of 100 transfers each.
fn record(
    senders: &[KeyPair],
    token: Address,
    first_height: u64,
    count: usize,
    owner_nonce: u64,
) -> Vec<DetailedMomentum> {
    let mut nonces = vec![0u64; senders.len()];
    nonces[0] = owner_nonce;
    let mut momentums = Vec::with_capacity(count);
    for m in 0..count {
        let height = first_height + m as u64;
        // Work out each transaction's sender and nonce first, then sign on both cores.
        let plan: Vec<(usize, u64, Address)> = (0..PER_MOMENTUM)
            .map(|i| {
                let bundle = i / PER_BUNDLE;
                let who = (m * (PER_MOMENTUM / PER_BUNDLE) + bundle) % senders.len();
                let nonce = nonces[who];
                nonces[who] += 1;
                (who, nonce, Address::from_public_key(&((m * PER_MOMENTUM + i) as u64).to_le_bytes()))
            })
            .collect();
        let txs: Vec<Transaction> = std::thread::scope(|scope| {
            let halves: Vec<_> = plan
                .chunks(plan.len().div_ceil(2))
                .map(|part| {
                    scope.spawn(move || {
                        part.iter()
                            .map(|(who, nonce, to)| {
                                let input = [to.0.as_slice(), &1u128.to_le_bytes()].concat();
                                TxBody {
                                    chain_id: CHAIN,
                                    sender: senders[*who].public(),
                                    nonce: *nonce,
                                    gas_limit: 200_000,
                                    fee_per_gas: 1,
                                    kind: TxKind::Call { contract: token, method: "transfer".into(), input, value: 0 },
                                }
                                .sign(&senders[*who])
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            halves.into_iter().flat_map(|h| h.join().unwrap()).collect()
        });
        let blocks: Vec<AccountBlock> = txs
            .chunks(PER_BUNDLE)
            .enumerate()
            .map(|(b, chunk)| {
                // A user posting its own bundle: poster = sender.
                let poster = &senders[(m * (PER_MOMENTUM / PER_BUNDLE) + b) % senders.len()];
                let bundle =
                    BundleBody { chain_id: CHAIN, poster: poster.public(), transactions: chunk.to_vec() }.sign(poster);
                let data = encode_bundle(&bundle).expect("a bundle of 100 transfers fits an account block");
                AccountBlock {
                    block_type: BlockType::UserSend as u64,
                    address: poster.address(),
                    to_address: Address::INBOX,
                    height: height * 1000 + b as u64,
                    hash: sha3_256(&[height.to_le_bytes(), (b as u64).to_le_bytes()].concat()),
                    data,
                    ..AccountBlock::default()
                }
            })
            .collect();
        momentums.push(momentum(height, blocks));
    }
    momentums
}

fn main() {
    let transfers: usize = std::env::var("ZR_REPLAY_TRANSFERS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let count = transfers.div_ceil(PER_MOMENTUM);
    let senders: Vec<KeyPair> = (0..SENDERS as u64).map(key).collect();
    let dir = tempfile::tempdir().unwrap();
    let token = genesis(dir.path(), &senders);
    let started = Instant::now();
    // The last few momentums are processed one at a time afterwards, for the latency of a single momentum.
    const LATENCY_SAMPLES: usize = 5;
    let momentums = record(&senders, token, 2, count + LATENCY_SAMPLES, SENDERS as u64 + 2);
    println!("recorded {} momentums of {PER_MOMENTUM} token transfers in {:.1?}", momentums.len(), started.elapsed());
    let (replayed, later) = momentums.split_at(count);

    let rollup = Arc::new(
        Rollup::with_store(
            StateStore::open(dir.path()).unwrap(),
            Vm::new(Some(dir.path().join("modules")), 16).unwrap(),
            CHAIN,
            key(u64::MAX),
            4,
            0,
        )
        .unwrap(),
    );
    let mut total = Timings::default();
    let mut executed = 0usize;
    let replay = Instant::now();
    let (input, mut pipeline) = Pipeline::start(rollup.clone()).unwrap();
    let mut account = |processed: Processed| {
        assert!(
            processed.receipts.iter().all(|r| r.status == ReceiptStatus::Success),
            "{:?}",
            processed.receipts.iter().find(|r| r.status != ReceiptStatus::Success)
        );
        executed += processed.receipts.len();
        total.order += processed.timings.order;
        total.execute += processed.timings.execute;
        total.commit += processed.timings.commit;
    };
    std::thread::scope(|s| {
        s.spawn(move || {
            for momentum in replayed {
                input.blocking_send(momentum.clone()).unwrap();
            }
        });
        for _ in 0..replayed.len() {
            account(pipeline.blocking_next().expect("the pipeline runs").unwrap());
        }
    });
    let elapsed = replay.elapsed();
    assert!(pipeline.blocking_finish().is_empty());
    let per = |d: Duration| d.as_secs_f64() * 1e6 / executed as f64;
    println!(
        "replay: {executed} token transfers in {elapsed:.2?} = {:.0} tx/s (stages overlapped); busy per transaction: \
         ordering incl. signature checks {:.1} µs, execution incl. state tree writes and per-tx roots {:.1} µs, \
         claim + redb commit {:.1} µs",
        executed as f64 / elapsed.as_secs_f64(),
        per(total.order),
        per(total.execute),
        per(total.commit),
    );
    let mut latencies: Vec<Duration> = later
        .iter()
        .map(|momentum| {
            let arrived = Instant::now();
            rollup.process(momentum).unwrap().expect("a new momentum");
            arrived.elapsed()
        })
        .collect();
    latencies.sort();
    println!(
        "momentum of {PER_MOMENTUM} transfers, arrival to committed signed claim: median {} ms, max {} ms",
        latencies[latencies.len() / 2].as_millis(),
        latencies[latencies.len() - 1].as_millis()
    );
}
