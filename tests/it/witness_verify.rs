//! `zr-fraud`: witnesses of every leaf of a momentum re-execute statelessly to the claimed leaves; a wrong leaf is
//! named with the correct one; any change to a witness's bytes is caught.

use std::sync::{Arc, LazyLock};

use zr_common::keys::fixtures::key;
use zr_common::rollup::{Claim, ClaimBody, Transaction, TxBody, TxKind};
use zr_common::{Address, Canonical, Hash, KeyPair, TokenStandard, sha3_256};
use zr_executor::execute::run_momentum;
use zr_fraud::{Verdict, Witness, build_witness, verify_leaf};
use zr_protocol::{
    Account, BlockInfo, ClaimLeaf, Deposit, MultiNode, StateKey, Tree, TxContext, Used, World, apply_transaction,
};
use zr_sequencing::{Ordered, Sequenced};
use zr_vm::Vm;

const CHAIN: u64 = 7;
const HEIGHT: u64 = 20;
const TIMESTAMP: u64 = 1_700_000_000;
const BLOCK: BlockInfo = BlockInfo { height: HEIGHT, timestamp: TIMESTAMP };

pub(crate) static VM: LazyLock<Arc<Vm>> = LazyLock::new(|| Vm::new(None, 64).unwrap());

pub(crate) fn wasm(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/../contracts/wasm/{name}.wasm", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn sign(who: &KeyPair, nonce: u64, kind: TxKind) -> Transaction {
    TxBody { chain_id: CHAIN, sender: who.public(), nonce, gas_limit: 50_000_000, fee_per_gas: 1, kind }.sign(who)
}

/// A state with funded users, the token and two counters deployed; returns it with the contracts.
pub(crate) fn pre_state() -> (Tree, Address, [Address; 2]) {
    let mut world = World::new(Tree::default());
    for n in 1..=4 {
        world.put_account(&key(n).address(), &Account { nonce: 0, znn: 1_000_000_000_000, qsr: 1_000 });
    }
    let mut tree = world.into_tree().unwrap();
    let owner = key(1);
    let ctx =
        TxContext { block: BlockInfo { height: HEIGHT - 1, timestamp: TIMESTAMP - 10 }, poster: key(9).address() };
    let mut nonce = 0;
    let mut run = |tree: &mut Tree, kind| {
        let tx = sign(&owner, nonce, kind);
        nonce += 1;
        let applied = apply_transaction(VM.as_ref(), tree.clone(), &tx, tx.hash(), &ctx, Used::default()).unwrap();
        *tree = applied.tree;
    };
    let mut deploy = |tree: &mut Tree, code: Vec<u8>, nonce_now: u64| {
        let code_hash = sha3_256(&code);
        if !tree.contains(&zr_protocol::StateKey::CodeInfo { code_hash }.hash()).unwrap() {
            run(tree, TxKind::UploadChunk { code_hash, index: 0, count: 1, bytes: code });
        }
        run(tree, TxKind::Deploy { code_hash, input: vec![], value: 0 });
        let _ = nonce_now;
    };
    deploy(&mut tree, wasm("token"), 0);
    let token = Address::contract(&owner.address(), 1);
    deploy(&mut tree, wasm("counter"), 2);
    deploy(&mut tree, wasm("counter"), 4);
    let counters = [Address::contract(&owner.address(), 3), Address::contract(&owner.address(), 4)];
    (tree, token, counters)
}

/// A momentum of deposits and transactions of every kind, its leaves, and the executor's claim.
fn momentum(pre: &Tree, token: Address, counters: [Address; 2]) -> (Ordered, Vec<ClaimLeaf>, Claim) {
    let (alice, bob) = (key(2), key(3));
    let call =
        |contract, method: &str, input: Vec<u8>| TxKind::Call { contract, method: method.into(), input, value: 0 };
    let txs = vec![
        sign(&alice, 0, TxKind::Transfer { to: bob.address(), token: TokenStandard::ZNN, amount: 5 }),
        sign(&key(1), 5, call(token, "mint", [alice.address().0.as_slice(), &100u128.to_le_bytes()].concat())),
        sign(&alice, 1, call(token, "transfer", [bob.address().0.as_slice(), &7u128.to_le_bytes()].concat())),
        sign(&bob, 0, call(counters[0], "add_to", counters[1].0.to_vec())),
        sign(&bob, 1, TxKind::UploadChunk { code_hash: sha3_256(b"x"), index: 0, count: 3, bytes: vec![1; 50] }),
        sign(&alice, 1, TxKind::Transfer { to: bob.address(), token: TokenStandard::ZNN, amount: 1 }),
        sign(&bob, 2, TxKind::Withdraw { token: TokenStandard::QSR, amount: 3, l1_recipient: bob.address() }),
    ];
    let ordered = Ordered {
        deposits: vec![Deposit {
            account: key(4).address(),
            token: TokenStandard::ZNN,
            amount: 50,
            l1_block: Hash([1; 32]),
        }],
        transactions: txs.into_iter().map(|tx| Sequenced { hash: tx.hash(), tx, poster: key(9).address() }).collect(),
        ..Ordered::default()
    };
    let run = run_momentum(VM.as_ref(), pre.clone(), BLOCK, &ordered).unwrap();
    let claim = claim_of(pre.root(), run.tree.root(), &run.leaves);
    (ordered, run.leaves, claim)
}

fn claim_of(prev: Hash, new: Hash, leaves: &[ClaimLeaf]) -> Claim {
    ClaimBody {
        chain_id: CHAIN,
        executor: key(8).public(),
        height: HEIGHT,
        timestamp: TIMESTAMP,
        prev_state_root: prev,
        new_state_root: new,
        leaves_root: zr_protocol::leaves_root(leaves),
        vm_version: VM.version(),
    }
    .sign(&key(8))
}

fn verify(witness: &Witness) -> Verdict {
    verify_leaf(witness, VM.as_ref(), VM.version(), CHAIN)
}

#[test]
fn every_leaf_verifies_and_a_wrong_leaf_is_named_with_the_right_one() {
    let (pre, token, counters) = pre_state();
    let (ordered, leaves, claim) = momentum(&pre, token, counters);
    for index in 0..leaves.len() as u32 {
        let witness = build_witness(VM.as_ref(), pre.clone(), &claim, &leaves, &ordered, index).unwrap();
        assert_eq!(verify(&witness), Verdict::Correct, "leaf {index}");
        let decoded = Witness::from_bytes(&witness.to_bytes()).unwrap();
        assert_eq!(decoded, witness);
    }
    // A faulty executor claims a wrong root at leaf 3 (and signs leaves that commit to it).
    let mut wrong = leaves.clone();
    wrong[3].post_state_root = Hash([0xee; 32]);
    let faulty = claim_of(pre.root(), claim.body.new_state_root, &wrong);
    let witness = build_witness(VM.as_ref(), pre.clone(), &faulty, &wrong, &ordered, 3).unwrap();
    assert_eq!(verify(&witness), Verdict::Wrong { correct: leaves[3] });
    // Leaf 4 cannot be witnessed against that claim: leaf 3 differs first.
    assert!(build_witness(VM.as_ref(), pre.clone(), &faulty, &wrong, &ordered, 4).is_err());
}

#[test]
fn any_changed_byte_of_a_witness_is_caught() {
    let (pre, token, counters) = pre_state();
    let (ordered, leaves, claim) = momentum(&pre, token, counters);
    for index in [0u32, 2, 4] {
        let witness = build_witness(VM.as_ref(), pre.clone(), &claim, &leaves, &ordered, index).unwrap();
        let bytes = witness.to_bytes();
        let step = (bytes.len() / 150).max(1);
        for position in (0..bytes.len()).step_by(step) {
            let mut changed = bytes.clone();
            changed[position] ^= 0x01;
            if let Ok(tampered) = Witness::from_bytes(&changed) {
                assert_ne!(verify(&tampered), Verdict::Correct, "leaf {index}: byte {position} changed unnoticed");
            }
        }
    }
}

#[test]
fn a_token_transfer_witness_is_small() {
    let (pre, token, counters) = pre_state();
    let (ordered, leaves, claim) = momentum(&pre, token, counters);
    let witness = build_witness(VM.as_ref(), pre, &claim, &leaves, &ordered, 3).unwrap();
    let size = witness.to_bytes().len();
    assert!(size < 8 * 1024, "token transfer witness of {size} bytes");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Whatever bytes arrive, decoding and verifying never panic, and a changed witness never passes.
    #[test]
    fn arbitrary_bytes_never_panic(
        noise in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600),
        flips in proptest::collection::vec((proptest::prelude::any::<proptest::sample::Index>(), 1u8..=255), 1..4),
    ) {
        if let Ok(witness) = Witness::from_bytes(&noise) {
            let _ = verify(&witness);
        }
        static BASE: LazyLock<Vec<u8>> = LazyLock::new(|| {
            let (pre, token, counters) = pre_state();
            let (ordered, leaves, claim) = momentum(&pre, token, counters);
            build_witness(VM.as_ref(), pre, &claim, &leaves, &ordered, 2).unwrap().to_bytes()
        });
        let mut changed = BASE.clone();
        for (at, xor) in &flips {
            let i = at.index(changed.len());
            changed[i] ^= xor;
        }
        if changed != *BASE && let Ok(tampered) = Witness::from_bytes(&changed) {
            proptest::prop_assert_ne!(verify(&tampered), Verdict::Correct);
        }
    }
}

/// A witness does not depend on the builder's module cache: code travels by hash, and a cache miss is not
/// part of what a transaction read. A verifier with a cold cache and no code cannot judge; with the code
/// (checked against its hash) it can.
#[test]
fn witnesses_do_not_depend_on_module_caches() {
    let (pre, token, counters) = pre_state();
    let (ordered, leaves, claim) = momentum(&pre, token, counters);
    let cold = Vm::new(None, 64).unwrap();
    for index in [2u32, 3] {
        let warm = build_witness(VM.as_ref(), pre.clone(), &claim, &leaves, &ordered, index).unwrap();
        let from_cold = build_witness(cold.as_ref(), pre.clone(), &claim, &leaves, &ordered, index).unwrap();
        assert_eq!(warm.to_bytes(), from_cold.to_bytes(), "leaf {index}");
        assert!(!warm.code.is_empty());
        let verifier = Vm::new(None, 64).unwrap();
        let verdict = verify_leaf(&warm, verifier.as_ref(), verifier.version(), CHAIN);
        assert!(matches!(verdict, Verdict::Invalid(_)), "{verdict:?}");
        for code_hash in &warm.code {
            let code = [wasm("token"), wasm("counter")].into_iter().find(|c| sha3_256(c) == *code_hash).unwrap();
            verifier.module(code_hash, || Ok(Some(Arc::new(code)))).unwrap();
        }
        assert_eq!(verify_leaf(&warm, verifier.as_ref(), verifier.version(), CHAIN), Verdict::Correct);
    }
}

/// The witness encoding is pinned: a change to its layout (or to anything it carries) must fail here.
#[test]
fn golden_witness() {
    let (pre, token, counters) = pre_state();
    let (ordered, leaves, claim) = momentum(&pre, token, counters);
    let witness = build_witness(VM.as_ref(), pre, &claim, &leaves, &ordered, 2).unwrap();
    assert_eq!(
        sha3_256(&witness.to_bytes()).to_hex(),
        "1389e0bedb3bcf191d37bd7f7062432fe08efcddf0b6393a17eb8098f0bff223"
    );
}

/// The worst a transaction can do to its witness: read keys scattered over a large state until the cap stops
/// it (the balances of 3 000 existing accounts among 100 000, each a path of its own). It fails with a
/// receipt that says so, and that failure is proven like any leaf, by a witness within the cap.
#[test]
fn a_transaction_stopped_by_the_key_cap_is_provable() {
    let (pre, _, _) = pre_state();
    let scattered = |i: u32| {
        let mut address = [0u8; 20];
        address[..4].copy_from_slice(&i.to_le_bytes());
        StateKey::Account { address: Address(address) }.hash()
    };
    let account = Arc::new(zr_common::codec::encode(&Account { nonce: 0, znn: 1, qsr: 0 }));
    let mut entries = pre.entries();
    entries.extend((0..100_000).map(|i| (scattered(i), account.clone())));
    entries.sort_by_key(|(k, _)| *k);
    let mut pre = Tree::from_sorted(&entries);
    let owner = key(1);
    let code = wat::parse_str(
        r#"(module
          (import "env" "balance" (func $balance (param i32 i32)))
          (memory (export "memory") 1)
          (func (export "touch") (local $i i32)
            (loop $l
              (i32.store (i32.const 0) (local.get $i))
              (call $balance (i32.const 0) (i32.const 32))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $l (i32.lt_u (local.get $i) (i32.const 3000))))))"#,
    )
    .unwrap();
    let code_hash = sha3_256(&code);
    let ctx =
        TxContext { block: BlockInfo { height: HEIGHT - 1, timestamp: TIMESTAMP - 10 }, poster: key(9).address() };
    for (nonce, kind) in [
        (5, TxKind::UploadChunk { code_hash, index: 0, count: 1, bytes: code }),
        (6, TxKind::Deploy { code_hash, input: vec![], value: 0 }),
    ] {
        let tx = sign(&owner, nonce, kind);
        pre = apply_transaction(VM.as_ref(), pre, &tx, tx.hash(), &ctx, Used::default()).unwrap().tree;
    }
    let hostile = Address::contract(&owner.address(), 6);
    let tx = sign(&key(2), 0, TxKind::Call { contract: hostile, method: "touch".into(), input: vec![], value: 0 });
    let ordered = Ordered {
        transactions: vec![Sequenced { hash: tx.hash(), tx, poster: key(9).address() }],
        ..Ordered::default()
    };
    let run = run_momentum(VM.as_ref(), pre.clone(), BLOCK, &ordered).unwrap();
    let receipt = &run.receipts[0];
    assert_eq!(
        receipt.status,
        zr_common::rollup::ReceiptStatus::Failed { reason: "touches more than 2560 state keys".into() }
    );
    assert_ne!(receipt.post_state_root, pre.root(), "the nonce and fee still apply");
    let claim = claim_of(pre.root(), run.tree.root(), &run.leaves);
    let witness = build_witness(VM.as_ref(), pre, &claim, &run.leaves, &ordered, 1).unwrap();
    // Each leaf in the multiproof is a proven key's or ends one's path: at most one per key.
    let ends =
        witness.state.nodes.iter().filter(|n| matches!(n, MultiNode::Leaf { .. } | MultiNode::Value { .. })).count();
    assert!(ends <= zr_protocol::gas::LIMITS.max_keys_per_tx as usize + 1);
    let size = witness.to_bytes().len();
    assert!(size < zr_fraud::MAX_WITNESS_LEN, "{size} bytes");
    assert!(ends > 2_500, "the reads are scattered: {ends} leaves");
    println!("worst-case key witness: {ends} leaves, {size} bytes, {} L1 blocks", size.div_ceil(16 * 1024));
    assert_eq!(verify(&witness), Verdict::Correct);
}
