//! The pillars' settlement work per momentum: an idle momentum (bonds and pending claims, nothing to judge),
//! the order of a full momentum that a verdict derives, and a momentum with a full verdict queue against full
//! momentums. Prints the bytes of settlement state written per momentum.

use criterion::Criterion;
use zr_common::nom::{AccountBlock, BlockType, Momentum};
use zr_common::rollup::settlement::{MAX_CHALLENGE_BYTES_HELD, MIN_BOND, PART_DEPOSIT, Parameters};
use zr_common::rollup::{BundleBody, ClaimBody, TxBody, TxKind};
use zr_common::{Address, Canonical, Hash, KeyPair, TokenStandard, sha3_256};
use zr_fraud::{DISPUTE_HEAD_LEN, Dispute, ShapeChallenge};
use zr_inbox::bundle::{ChallengePart, MAX_CHALLENGE_PART_LEN, MAX_CHALLENGE_PARTS, encode_bundle};
use zr_protocol::{ClaimLeaf, LeafProof};
use zr_settlement::fixtures::NoCode;
use zr_settlement::{Judgement, L1View, Settlement, judge_dispute, steps_of};

const CHAIN: u64 = 1;
const VM: Hash = Hash([7; 32]);
/// The pillars never run code for a shape dispute.
const NO_VM: NoCode = NoCode { version: VM, refuse: None };

use zr_common::keys::fixtures::numbered_key as key;

struct Momentums;

impl L1View for Momentums {
    fn momentum_timestamp(&self, height: u64) -> Result<Option<u64>, String> {
        Ok(Some(1_000 + height))
    }
}

/// A momentum of 100 inbox blocks, each a bundle of as many signed transfers as fit 16 KiB.
fn full_momentum(height: u64) -> (Momentum, Vec<AccountBlock>, usize) {
    let mut blocks = Vec::new();
    let mut count = 0;
    for b in 0..100u64 {
        let poster = key(1_000_000 + height * 1000 + b);
        let mut transactions = Vec::new();
        let mut data = Vec::new();
        for i in 0.. {
            let sender = key(height * 1_000_000 + b * 1000 + i);
            let tx = TxBody {
                chain_id: CHAIN,
                sender: sender.public(),
                nonce: 0,
                gas_limit: 30_000,
                fee_per_gas: 1,
                kind: TxKind::Transfer { to: poster.address(), token: TokenStandard::ZNN, amount: 1 },
            }
            .sign(&sender);
            transactions.push(tx);
            let bundle = BundleBody { chain_id: CHAIN, poster: poster.public(), transactions: transactions.clone() }
                .sign(&poster);
            match encode_bundle(&bundle) {
                Ok(encoded) if encoded.len() <= 16 * 1024 => data = encoded,
                _ => {
                    transactions.pop();
                    break;
                }
            }
        }
        count += transactions.len();
        blocks.push(AccountBlock {
            block_type: BlockType::UserSend as u64,
            address: poster.address(),
            to_address: Address::INBOX,
            hash: sha3_256(&[height.to_le_bytes(), b.to_le_bytes()].concat()),
            data,
            ..AccountBlock::default()
        });
    }
    let momentum = Momentum {
        version: 1,
        chain_identifier: 1,
        hash: sha3_256(&height.to_le_bytes()),
        previous_hash: sha3_256(&(height - 1).to_le_bytes()),
        height,
        timestamp: 1_000 + height,
        data: vec![],
        content: blocks.iter().map(AccountBlock::header).collect(),
        changes_hash: Hash::ZERO,
        public_key: vec![],
        signature: vec![],
    };
    (momentum, blocks, count)
}

/// The leaves every benchmark claim commits to.
fn one_leaf() -> Vec<ClaimLeaf> {
    vec![ClaimLeaf::default()]
}

fn bond(s: &mut Settlement, who: &KeyPair, n: u64) {
    let block = AccountBlock {
        address: who.address(),
        hash: sha3_256(&n.to_le_bytes()),
        token_standard: TokenStandard::ZNN,
        amount: MIN_BOND,
        ..AccountBlock::default()
    };
    s.bond_sent(&block, 1);
}

/// A settlement with 16 bonded executors and challengers and two agreeing claims at each of the 6 heights
/// in their window.
fn busy_settlement() -> Settlement {
    let mut s = Settlement::new(Parameters::new(CHAIN, VM)).unwrap();
    let keys: Vec<KeyPair> = (0..16).map(key).collect();
    for (i, k) in keys.iter().enumerate() {
        bond(&mut s, k, i as u64);
    }
    for height in 1..=6u64 {
        for k in &keys[..2] {
            let body = ClaimBody {
                chain_id: CHAIN,
                executor: k.public(),
                height,
                timestamp: 1_000 + height,
                prev_state_root: if height == 1 { Hash::ZERO } else { Hash([height as u8 - 1; 32]) },
                new_state_root: Hash([height as u8; 32]),
                leaves_root: zr_protocol::leaves_root(&one_leaf()),
                vm_version: VM,
            };
            let block =
                AccountBlock { address: k.address(), hash: sha3_256(&body.hash().0), ..AccountBlock::default() };
            s.claim_sent(&block, body.sign(k), 10 + height, &Momentums);
        }
    }
    s
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();

    // An idle momentum: judge nothing, settle (nothing due), release nothing, write the state.
    let idle = busy_settlement();
    let written = zr_common::codec::encode(&idle).len();
    println!("settlement state written per momentum (16 bonds, 12 pending claims): {written} bytes");
    criterion.bench_function("settlement/idle momentum (judge, settle, release, encode)", |b| {
        b.iter_batched(
            || idle.clone(),
            |mut s| {
                s.judge(12, &mut |_| unreachable!("nothing waits"), &mut |_, _, _| unreachable!("nothing waits"));
                s.settle(12);
                s.release_bonds(12);
                let _ = s.take_owed();
                zr_common::codec::encode(&s).len()
            },
            criterion::BatchSize::SmallInput,
        )
    });

    // The order a verdict derives: a full momentum's bundles checked and sorted.
    let full: Vec<(Momentum, Vec<AccountBlock>, usize)> = (2..6).map(full_momentum).collect();
    println!("a full momentum: {} transactions in 100 bundles", full[0].2);
    let mut group = criterion.benchmark_group("settlement");
    group.sample_size(10);
    group.bench_function("order of a full momentum (a verdict's L1 side)", |b| {
        b.iter(|| steps_of(CHAIN, &full[0].0, &full[0].1).transactions.len())
    });

    // A momentum with a full verdict queue: four shape disputes, each against a claim of another full momentum.
    let executor = key(0);
    let challengers: Vec<KeyPair> = (1..=4).map(key).collect();
    // Keys 1 to 4 are among the bonded.
    let mut queued = busy_settlement();
    let leaves = one_leaf();
    for (i, (momentum, _, _)) in full.iter().enumerate() {
        let dispute = Dispute::Shape(ShapeChallenge {
            executor: executor.public(),
            height: momentum.height,
            leaf: leaves[0],
            proof: LeafProof::new(&leaves, 0).unwrap(),
        });
        let bytes = dispute.to_bytes();
        let block = AccountBlock {
            address: challengers[i].address(),
            hash: Hash([i as u8; 32]),
            token_standard: TokenStandard::ZNN,
            amount: PART_DEPOSIT,
            ..AccountBlock::default()
        };
        queued.challenge_part(&block, ChallengePart { id: sha3_256(&bytes), index: 0, count: 1, bytes }, 12);
    }
    assert_eq!(queued.waiting(), 4, "{:?}", queued.refused());
    // The verdict work budget lets one verdict against a full momentum run per momentum; the rest wait.
    let mut once = queued.clone();
    once.judge(13, &mut |_| 100, &mut |_, _, _| Judgement::ProvesNothing("counted only".into()));
    println!("verdicts in a momentum whose queue holds 4 against full momentums: {}", 4 - once.waiting());
    group.bench_function("momentum with a full verdict queue against full momentums", |b| {
        b.iter_batched(
            || queued.clone(),
            |mut s| {
                let mut work = |height: u64| full.iter().find(|(m, _, _)| m.height == height).map_or(1, |_| 100);
                s.judge(13, &mut work, &mut |dispute, claim, params| {
                    let found = full.iter().find(|(m, _, _)| m.height == claim.height);
                    let momentum = found.map(|(m, blocks, _)| (m.clone(), blocks.clone()));
                    judge_dispute(dispute, claim, params, Ok(momentum), &NO_VM)
                });
                s.settle(13);
                zr_common::codec::encode(&s).len()
            },
            criterion::BatchSize::LargeInput,
        )
    });
    group.finish();

    // The challenge room full: 64 MiB of parts arriving (every challenge one part short). The state written each
    // momentum holds none of their bytes; the parts are stored by key as they arrive.
    let mut full_room = busy_settlement();
    let fillers: Vec<KeyPair> = (40..48).map(key).collect();
    for (i, f) in fillers.iter().enumerate() {
        let bond = AccountBlock {
            address: f.address(),
            hash: Hash([200 + i as u8; 32]),
            token_standard: TokenStandard::ZNN,
            amount: MIN_BOND,
            ..AccountBlock::default()
        };
        full_room.bond_sent(&bond, 1);
    }
    let room = (MAX_CHALLENGE_BYTES_HELD / MAX_CHALLENGE_PART_LEN) as u32;
    let mut left = room;
    for (i, f) in fillers.iter().enumerate() {
        let count = left.min(MAX_CHALLENGE_PARTS);
        left -= count;
        for index in 0..count - 1 {
            let block = AccountBlock {
                address: f.address(),
                hash: sha3_256(&[i as u8, (index >> 8) as u8, index as u8]),
                token_standard: TokenStandard::ZNN,
                amount: if index == 0 { u128::from(count) * PART_DEPOSIT } else { 0 },
                ..AccountBlock::default()
            };
            let mut bytes = vec![i as u8; MAX_CHALLENGE_PART_LEN];
            if index == 0 {
                // Part 0 names an open claim: key 0's at height 1.
                let head = Dispute::Shape(ShapeChallenge {
                    executor: executor.public(),
                    height: 1,
                    leaf: leaves[0],
                    proof: LeafProof::new(&leaves, 0).unwrap(),
                });
                bytes[..DISPUTE_HEAD_LEN].copy_from_slice(&head.to_bytes()[..DISPUTE_HEAD_LEN]);
            }
            let part = ChallengePart { id: Hash([i as u8; 32]), index, count, bytes };
            full_room.challenge_part(&block, part, 12);
        }
    }
    assert!(full_room.refused().is_empty(), "{:?}", full_room.refused());
    let stored = full_room.take_stored_changes().challenge_bytes.len();
    println!(
        "the challenge room full ({stored} parts of {MAX_CHALLENGE_PART_LEN} bytes arriving): the state written per \
         momentum is {} bytes",
        zr_common::codec::encode(&full_room).len()
    );
    criterion.bench_function("settlement/momentum with the challenge room full (clone, settle, encode)", |b| {
        b.iter(|| {
            let mut s = full_room.clone();
            s.judge(13, &mut |_| 1, &mut |_, _, _| unreachable!("nothing waits"));
            s.settle(13);
            s.release_bonds(13);
            (zr_common::codec::encode(&s).len(), s.take_stored_changes().challenge_bytes.len())
        })
    });
    criterion.final_summary();
}
