//! The state transition runs alike on the full state and on a partial tree built only from the proofs of the
//! keys a transaction touched: same receipt, same leaf. With any one proof (or value) missing it reports an
//! incomplete witness, and never reaches another result or panics.

use std::collections::BTreeSet;
use std::sync::{Arc, LazyLock};

use proptest::prelude::*;
use zr_common::rollup::{Transaction, TxBody, TxKind};
use zr_common::{Address, Hash, KeyPair, TokenStandard, sha3_256};
use zr_protocol::{
    Account, Applied, BlockInfo, StateError, TransitionError, Tree, TxContext, World, apply_transaction,
};
use zr_vm::Vm;

use crate::harness::*;

static VM: LazyLock<Arc<Vm>> = LazyLock::new(|| Vm::new(None, 64).unwrap());

/// A contract that writes and removes the storage keys it is given, loops, and traps.
const HOSTILE: &str = r#"(module
  (import "env" "storage_write" (func $write (param i32 i32 i32 i32)))
  (import "env" "storage_remove" (func $remove (param i32 i32)))
  (import "env" "input_len" (func $input_len (result i32)))
  (import "env" "input_copy" (func $input_copy (param i32)))
  (memory (export "memory") 1)
  (func (export "put")
    (call $input_copy (i32.const 0))
    (call $write (i32.const 0) (i32.const 1) (i32.const 0) (call $input_len)))
  (func (export "del")
    (call $input_copy (i32.const 0))
    (call $remove (i32.const 0) (i32.const 1)))
  (func (export "spin") (loop br 0))
  (func (export "trap") unreachable)
)"#;

struct World0 {
    tree: Tree,
    nonces: Vec<u64>,
    token: Address,
    counters: [Address; 2],
    hostile: Address,
    counter_code: Hash,
}

const USERS: u8 = 5;

fn user(n: u8) -> KeyPair {
    key(n + 1)
}

fn tx(state: &mut World0, who: u8, kind: TxKind, gas_limit: u64) -> Transaction {
    let nonce = &mut state.nonces[who as usize];
    let tx = TxBody { chain_id: CHAIN, sender: user(who).public(), nonce: *nonce, gas_limit, fee_per_gas: 1, kind }
        .sign(&user(who));
    *nonce += 1;
    tx
}

fn ctx() -> TxContext {
    TxContext { block: BlockInfo { height: 10, timestamp: 1_700_000_000 }, poster: key(9).address() }
}

/// A state of `extra` funded accounts besides the users, with the example contracts and a hostile one.
fn initial(extra: u32) -> World0 {
    let mut world = World::new(Tree::default());
    for n in 0..USERS {
        world.put_account(&user(n).address(), &Account { nonce: 0, znn: 1_000_000_000_000, qsr: 1_000_000 });
    }
    for i in 0..extra {
        world.put_account(&Address::from_public_key(&i.to_le_bytes()), &Account { nonce: 0, znn: 5, qsr: 0 });
    }
    let mut state = World0 {
        tree: world.into_tree().unwrap(),
        nonces: vec![0; USERS as usize],
        token: Address::ZERO,
        counters: [Address::ZERO; 2],
        hostile: Address::ZERO,
        counter_code: sha3_256(&contract_wasm("counter")),
    };
    let deploy = |state: &mut World0, code: Vec<u8>| {
        let code_hash = sha3_256(&code);
        let upload = TxKind::UploadChunk { code_hash, index: 0, count: 1, bytes: code };
        if !state.tree.contains(&zr_protocol::StateKey::Code { code_hash }.hash()).unwrap() {
            let t = tx(state, 0, upload, GAS);
            state.tree = run(&state.tree, &t).tree;
        }
        let address = Address::contract(&user(0).address(), state.nonces[0]);
        let t = tx(state, 0, TxKind::Deploy { code_hash, input: vec![], value: 0 }, GAS);
        state.tree = run(&state.tree, &t).tree;
        address
    };
    state.token = deploy(&mut state, contract_wasm("token"));
    state.counters = [deploy(&mut state, contract_wasm("counter")), deploy(&mut state, contract_wasm("counter"))];
    state.hostile = deploy(&mut state, wat::parse_str(HOSTILE).unwrap());
    state
}

fn run(tree: &Tree, tx: &Transaction) -> Applied {
    apply_transaction(VM.as_ref(), tree.clone(), tx, tx.hash(), &ctx(), zr_protocol::Used::default()).unwrap()
}

/// Runs `tx` on the full tree and on the partial tree of its witness; then without each proof and each value.
fn check(tree: &Tree, tx: &Transaction) -> Tree {
    let full = run(tree, tx);
    let keys: BTreeSet<_> = full.read.union(&full.written).copied().collect();
    let multiproof = |keys: &BTreeSet<Hash>, values: &BTreeSet<Hash>| tree.multiproof(keys, values).unwrap();
    let replay = |proof: &zr_protocol::Multiproof| {
        let partial = Tree::from_multiproof(&tree.root(), proof).unwrap();
        assert_eq!(partial.root(), tree.root());
        apply_transaction(VM.as_ref(), partial, tx, tx.hash(), &ctx(), zr_protocol::Used::default())
    };
    let again = replay(&multiproof(&keys, &full.values_read)).unwrap();
    assert_eq!(again.receipt, full.receipt);
    assert_eq!(again.leaf, full.leaf);
    let same_or_incomplete = |result: Result<Applied, TransitionError>, what: &str| match result {
        Ok(applied) => assert_eq!(applied.leaf, full.leaf, "{what} gave another leaf"),
        Err(TransitionError::State(StateError::Incomplete(_))) => {}
        Err(other) => panic!("{what}: {other}"),
    };
    for skip in &keys {
        let mut fewer = keys.clone();
        fewer.remove(skip);
        let mut values = full.values_read.clone();
        values.remove(skip);
        same_or_incomplete(replay(&multiproof(&fewer, &values)), "a missing key");
        if full.values_read.contains(skip) {
            same_or_incomplete(replay(&multiproof(&keys, &values)), "a missing value");
        }
    }
    full.tree
}

fn operation(state: &mut World0, op: u8, a: u8, b: u8, amount: u16) -> Transaction {
    let (a, b) = (a % USERS, b % USERS);
    let amount = u128::from(amount);
    let call = |contract: Address, method: &str, input: Vec<u8>| TxKind::Call {
        contract,
        method: method.into(),
        input,
        value: 0,
    };
    let kind = match op % 12 {
        0 => TxKind::Transfer { to: user(b).address(), token: TokenStandard::ZNN, amount },
        1 => {
            TxKind::Transfer { to: Address::from_public_key(&amount.to_le_bytes()), token: TokenStandard::QSR, amount }
        }
        2 => call(state.token, "mint", [user(b).address().0.as_slice(), &amount.to_le_bytes()].concat()),
        3 => call(state.token, "transfer", [user(b).address().0.as_slice(), &amount.to_le_bytes()].concat()),
        4 => call(state.counters[usize::from(a % 2)], "increment", vec![]),
        5 => call(state.counters[0], "add_to", state.counters[1].0.to_vec()),
        6 => call(state.hostile, "put", vec![b; 1 + usize::from(amount as u8 % 40)]),
        7 => call(state.hostile, "del", vec![b]),
        8 => return tx(state, a, call(state.hostile, "spin", vec![]), 300_000),
        9 => call(state.hostile, "trap", vec![]),
        10 => TxKind::UploadChunk {
            code_hash: sha3_256(&amount.to_le_bytes()),
            index: u32::from(b % 2),
            count: 2,
            bytes: vec![a; 100],
        },
        _ => TxKind::Deploy { code_hash: state.counter_code, input: vec![], value: 0 },
    };
    if op >= 200 {
        // A stale nonce: dropped, nothing changes.
        let mut t = tx(state, a, kind, GAS);
        state.nonces[a as usize] -= 1;
        if t.body.nonce > 0 {
            t = TxBody { nonce: t.body.nonce - 1, ..t.body }.sign(&user(a));
        }
        return t;
    }
    tx(state, a, kind, GAS)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn every_transaction_reexecutes_from_its_witness(
        extra in 0u32..400,
        ops in proptest::collection::vec((any::<u8>(), any::<u8>(), any::<u8>(), any::<u16>()), 1..14),
    ) {
        let mut state = initial(extra);
        for (op, a, b, amount) in ops {
            let t = operation(&mut state, op, a, b, amount);
            state.tree = check(&state.tree, &t);
        }
    }
}
