//! Witnesses on a state of a million accounts: the size of a token transfer's witness, and how long
//! `verify_leaf` takes to re-execute it statelessly (module cached, and compiled cold).

use std::sync::Arc;
use std::time::Instant;

use criterion::Criterion;
use zr_common::rollup::{ClaimBody, TxBody, TxKind};
use zr_common::{Address, Canonical, sha3_256};
use zr_executor::execute::run_momentum;
use zr_fraud::{build_witness, verify_leaf};
use zr_protocol::{BlockInfo, MultiNode, Tree, TxContext, Used, apply_transaction, funded_accounts};
use zr_sequencing::{Ordered, Sequenced};
use zr_vm::Vm;

const CHAIN: u64 = 1;

use zr_common::keys::fixtures::numbered_key as key;

fn main() {
    let started = Instant::now();
    let owner = key(0);
    let accounts = (0..1_000_000u64).map(|i| (Address::from_public_key(&i.to_le_bytes()), 1_000_000_000));
    let entries = funded_accounts(std::iter::once((owner.address(), 1_000_000_000_000)).chain(accounts));
    let mut tree = Tree::from_sorted(&entries);
    let vm = Vm::new(None, 16).unwrap();
    let ctx = TxContext { block: BlockInfo { height: 1, timestamp: 1 }, poster: key(9).address() };
    let mut nonce = 0;
    let mut sign = |kind| {
        let tx = TxBody { chain_id: CHAIN, sender: owner.public(), nonce, gas_limit: 50_000_000, fee_per_gas: 1, kind }
            .sign(&owner);
        nonce += 1;
        tx
    };
    let code = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../contracts/wasm/token.wasm")).unwrap();
    let code_hash = sha3_256(&code);
    for kind in [
        TxKind::UploadChunk { code_hash, index: 0, count: 1, bytes: code },
        TxKind::Deploy { code_hash, input: vec![], value: 0 },
    ] {
        let tx = sign(kind);
        tree = apply_transaction(vm.as_ref(), tree, &tx, tx.hash(), &ctx, Used::default()).unwrap().tree;
    }
    let token = Address::contract(&owner.address(), 1);
    let call = |method: &str, to: Address, amount: u128| TxKind::Call {
        contract: token,
        method: method.into(),
        input: [to.0.as_slice(), &amount.to_le_bytes()].concat(),
        value: 0,
    };
    let mint = sign(call("mint", owner.address(), 1_000_000));
    tree = apply_transaction(vm.as_ref(), tree, &mint, mint.hash(), &ctx, Used::default()).unwrap().tree;
    println!("setup: 1 000 001 accounts and the token in {:.1?}", started.elapsed());

    // The momentum: one token transfer to an existing account.
    let transfer = sign(call("transfer", Address::from_public_key(&7u64.to_le_bytes()), 5));
    let ordered = Ordered {
        transactions: vec![Sequenced { hash: transfer.hash(), tx: transfer, poster: key(9).address() }],
        ..Ordered::default()
    };
    let run = run_momentum(vm.as_ref(), tree.clone(), BlockInfo { height: 2, timestamp: 2 }, &ordered).unwrap();
    let leaves = run.leaves;
    let claim = ClaimBody {
        chain_id: CHAIN,
        executor: key(8).public(),
        height: 2,
        timestamp: 2,
        prev_state_root: tree.root(),
        new_state_root: run.tree.root(),
        leaves_root: zr_protocol::leaves_root(&leaves),
        vm_version: vm.version(),
    }
    .sign(&key(8));
    let witness = build_witness(vm.as_ref(), tree, &claim, &leaves, &ordered, 1).unwrap();
    let bytes = witness.to_bytes();
    let count = |kind: fn(&MultiNode) -> bool| witness.state.nodes.iter().filter(|n| kind(n)).count();
    println!(
        "token transfer witness on 1 M accounts: {} bytes, of which the state multiproof {} ({} nodes: {} branches, \
         {} hashes, {} leaves, {} values; {} L1 blocks of 16 KiB)",
        bytes.len(),
        zr_common::codec::encode(&witness.state).len(),
        witness.state.nodes.len(),
        count(|n| matches!(n, MultiNode::Branch)),
        count(|n| matches!(n, MultiNode::Hash { .. })),
        count(|n| matches!(n, MultiNode::Leaf { .. })),
        count(|n| matches!(n, MultiNode::Value { .. })),
        bytes.len().div_ceil(16 * 1024)
    );

    let mut criterion = Criterion::default().configure_from_args();
    criterion.bench_function("fraud/verify_leaf_token_transfer_cached", |b| {
        b.iter(|| {
            assert!(matches!(verify_leaf(&witness, vm.as_ref(), vm.version(), CHAIN), zr_fraud::Verdict::Correct))
        })
    });
    let mut group = criterion.benchmark_group("fraud/verify_leaf_token_transfer_cold");
    group.sample_size(10);
    let token_code =
        Arc::new(std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../contracts/wasm/token.wasm")).unwrap());
    group.bench_function("compile_then_verify", |b| {
        b.iter(|| {
            let cold = Vm::new(None, 4).unwrap();
            cold.module(&code_hash, || Ok(Some(token_code.clone()))).unwrap();
            assert!(matches!(verify_leaf(&witness, cold.as_ref(), cold.version(), CHAIN), zr_fraud::Verdict::Correct));
        })
    });
    group.finish();
    criterion.final_summary();
}
