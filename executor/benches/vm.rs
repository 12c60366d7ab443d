//! VM and execution benchmarks: instantiating a cached module (the token, and the worst modules validation
//! admits), compile time per KB, metering overhead, the wall time per gas of each kind of work a contract can
//! buy (operators, memory growth, host calls, nested calls) against a token transfer's, and token-contract
//! transfers executed and committed on a state of one million accounts (with the native transfer as the
//! ceiling).

// Deserializing the bench's own freshly compiled artifacts needs wasmer's unsafe API.
#![allow(unsafe_code)]

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::Criterion;
use wasmer::sys::{EngineBuilder, NativeEngineExt, Singlepass};
use wasmer::{Engine, Instance, Module, Store, imports};
use zr_common::rollup::{ReceiptStatus, Transaction, TxBody, TxKind};
use zr_common::{Address, Hash, KeyPair, SignatureBatch, TokenStandard, codec, sha3_256};
use zr_executor::StateStore;
use zr_executor::store::{BlockCommit, Head};
use zr_protocol::{Account, BlockInfo, Frame, StateKey, Tree, TxContext, World, apply_transaction, funded_accounts};
use zr_vm::Vm;

const CHAIN: u64 = 7;
const BLOCK: BlockInfo = BlockInfo { height: 10, timestamp: 1_700_000_000 };

fn token_wasm() -> Vec<u8> {
    std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../contracts/wasm/token.wasm")).unwrap()
}

use zr_common::keys::fixtures::numbered_key as key;

/// A generated module of roughly `functions` × 100 bytes: many small arithmetic functions.
fn big_module(functions: usize) -> Vec<u8> {
    let mut text = String::from("(module (memory (export \"memory\") 1)\n");
    for i in 0..functions {
        text.push_str(&format!(
            "(func $f{i} (param i64) (result i64) local.get 0 i64.const {i} i64.add i64.const 3 i64.mul i64.const 7 i64.xor local.get 0 i64.rotl)\n"
        ));
    }
    text.push_str("(func (export \"run\") i64.const 1 call $f0 drop))");
    wat::parse_str(&text).unwrap()
}

fn compile_and_instantiate(c: &mut Criterion) {
    let vm = Vm::new(None, 16).unwrap();
    let token = Arc::new(token_wasm());
    let code_hash = sha3_256(&token);
    let module = vm.module(&code_hash, || Ok(Some(token.clone()))).unwrap();
    let contract = Address::contract(&key(0).address(), 0);
    let frame = Frame { caller: key(0).address(), contract, value: 0, input: vec![], depth: 0 };
    c.bench_function("vm/instantiate_cached_token_module", |b| {
        b.iter(|| {
            let instantiated =
                vm.instantiate(&module, World::default(), frame.clone(), BLOCK).map_err(|failed| failed.1).unwrap();
            criterion::black_box(instantiated.instance);
        })
    });

    let mut group = c.benchmark_group("vm/compile_singlepass_metered");
    group.sample_size(10);
    for (name, code) in [("token_5KB", token_wasm()), ("generated", big_module(2000))] {
        group.throughput(criterion::Throughput::Bytes(code.len() as u64));
        group.bench_function(format!("{name}_{}KB", code.len() / 1024), |b| b.iter(|| Vm::compile(&code).unwrap()));
    }
    group.finish();
}

/// Modules at each per-instance limit validation sets (and one past them all, as uploads were admitted before
/// those limits), by name.
fn heavy_modules() -> Vec<(&'static str, Vec<u8>, bool)> {
    use zr_protocol::gas::LIMITS;
    let elements = |segments: u32, per: u32| -> String {
        let items = " $f".repeat(per as usize);
        (0..segments).map(|i| format!("(elem (i32.const {}){items})", (i * per) % 4096)).collect()
    };
    let data = |segments: u32, len: u32| -> String {
        let bytes = "x".repeat(len as usize);
        (0..segments).map(|i| format!("(data (i32.const {}) \"{bytes}\")", i * len)).collect()
    };
    let globals: String = (0..LIMITS.max_globals).map(|i| format!("(global (mut i64) (i64.const {i}))")).collect();
    let per = LIMITS.max_element_items / LIMITS.max_element_segments;
    let most_elements = elements(LIMITS.max_element_segments, per);
    let most_data = data(LIMITS.max_data_segments, LIMITS.max_data_bytes / LIMITS.max_data_segments);
    let pages = LIMITS.max_memory_pages;
    let module = |body: &str| {
        wat::parse_str(format!(
            r#"(module (memory (export "memory") {pages}) (table {} funcref) {body} (func $f (export "f")))"#,
            LIMITS.max_table_elements
        ))
        .unwrap()
    };
    vec![
        ("most element items", module(&most_elements), true),
        ("most data bytes", module(&most_data), true),
        ("most globals", module(&globals), true),
        ("all limits at once", module(&[most_elements.as_str(), &most_data, &globals].concat()), true),
        ("20 000 one-item element segments (admitted before v7)", module(&elements(20_000, 1)), false),
        ("20 000 one-byte data segments (admitted before v7)", module(&data(20_000, 1)), false),
    ]
}

/// Instantiation of the worst modules validation admits, against the token's (the calibration of the flat
/// `instantiate` charge): the charge is the same for all, so the time of each must stay within a small factor.
fn worst_instantiation(c: &mut Criterion) {
    let vm = Vm::new(None, 16).unwrap();
    let contract = Address::contract(&key(0).address(), 0);
    let frame = Frame { caller: key(0).address(), contract, value: 0, input: vec![], depth: 0 };
    let mut modules = vec![("token (calibration)", token_wasm(), true)];
    modules.extend(heavy_modules());
    let mut group = c.benchmark_group("vm/worst_instantiation");
    let mut report = Vec::new();
    for (name, code, admitted) in &modules {
        let validated = zr_vm::validate(code);
        assert_eq!(validated.is_ok(), *admitted, "{name}: {validated:?}");
        let code = Arc::new(code.clone());
        let module = vm.module(&sha3_256(&code), || Ok(Some(code.clone()))).unwrap();
        let instantiate = || {
            let instantiated =
                vm.instantiate(&module, World::default(), frame.clone(), BLOCK).map_err(|failed| failed.1).unwrap();
            criterion::black_box(instantiated.instance);
        };
        group.bench_function(*name, |b| b.iter(instantiate));
        // A plain median for the summary below.
        let mut times: Vec<Duration> = (0..201)
            .map(|_| {
                let start = Instant::now();
                instantiate();
                start.elapsed()
            })
            .collect();
        times.sort();
        report.push((*name, times[100], *admitted, zr_protocol::gas::instantiation_gas(code.len() as u64)));
    }
    group.finish();
    let calibration = report[0].1.as_secs_f64() * 1e9 / report[0].3 as f64;
    println!("instantiation, median of 201, against its charge (loading is charged apart, once per transaction):");
    for (name, time, admitted, gas) in &report {
        let per_gas = time.as_secs_f64() * 1e9 / *gas as f64;
        println!(
            "  {name}: {:.1} µs for {gas} gas, {per_gas:.2} ns/gas, {:.1}× the token's{}",
            time.as_secs_f64() * 1e6,
            per_gas / calibration,
            if *admitted { "" } else { " (refused at upload now)" }
        );
    }
}

/// A module loaded from the disk cache (the memory cache holds one module, two are used in turn): what a
/// call of a contract evicted from memory costs, against `load_per_byte` gas per byte of its code.
fn module_loading(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let vm = Vm::new(Some(dir.path().to_path_buf()), 1).unwrap();
    let codes: Vec<Arc<Vec<u8>>> = [2000, 2001].map(|n| Arc::new(big_module(n))).into_iter().collect();
    let hashes: Vec<_> = codes.iter().map(|c| sha3_256(c)).collect();
    for (code, hash) in codes.iter().zip(&hashes) {
        vm.module(hash, || Ok(Some(code.clone()))).unwrap();
    }
    // The first left the one-module memory cache for the second: it comes from disk.
    vm.module(&hashes[0], || unreachable!("on disk")).unwrap();
    let mut group = c.benchmark_group("vm/load_from_disk_cache");
    group.throughput(criterion::Throughput::Bytes(codes[0].len() as u64));
    group.bench_function(format!("generated_{}KB", codes[0].len() / 1024), |b| {
        let mut turn = 0;
        b.iter(|| {
            turn ^= 1;
            criterion::black_box(vm.module(&hashes[turn], || unreachable!("on disk")).unwrap());
        })
    });
    group.finish();
    assert!(vm.cache_stats().disk_hits > 0);
}

/// A loop of 2 M iterations of arithmetic, metered (our VM) and unmetered (plain singlepass).
fn metering_overhead(c: &mut Criterion) {
    let code = wat::parse_str(
        r#"(module (memory (export "memory") 1)
          (func (export "run") (local $i i64) (local $acc i64)
            (loop $l
              (local.set $acc (i64.xor (i64.mul (local.get $acc) (i64.const 31)) (local.get $i)))
              (local.set $i (i64.add (local.get $i) (i64.const 1)))
              (br_if $l (i64.lt_u (local.get $i) (i64.const 2000000))))
            (i64.store (i32.const 0) (local.get $acc))))"#,
    )
    .unwrap();
    let unmetered_engine: Engine = EngineBuilder::new(Singlepass::new()).engine().into();
    let unmetered = Module::new(&unmetered_engine, &code).unwrap();
    let headless = Engine::headless();
    // SAFETY: the artifact was produced by `Vm::compile` in this process.
    let metered = unsafe { Module::deserialize(&headless, Vm::compile(&code).unwrap()) }.unwrap();
    let mut group = c.benchmark_group("vm/loop_2M_iterations");
    group.sample_size(10);
    group.bench_function("unmetered", |b| {
        b.iter(|| {
            let mut store = Store::new(unmetered_engine.clone());
            let instance = Instance::new(&mut store, &unmetered, &imports! {}).unwrap();
            instance.exports.get_typed_function::<(), ()>(&store, "run").unwrap().call(&mut store).unwrap();
        })
    });
    group.bench_function("metered_with_depth_bound", |b| {
        b.iter(|| {
            let mut store = Store::new(headless.clone());
            let instance = Instance::new(&mut store, &metered, &imports! {}).unwrap();
            wasmer_middlewares::metering::set_remaining_points(&mut store, &instance, u64::MAX / 2);
            instance.exports.get_typed_function::<(), ()>(&store, "run").unwrap().call(&mut store).unwrap();
        })
    });
    group.finish();
}

struct Setup {
    vm: Arc<Vm>,
    tree: Tree,
    store: StateStore,
    _dir: tempfile::TempDir,
    senders: Vec<KeyPair>,
    nonces: Vec<u64>,
    token: Address,
}

/// One million funded accounts, the token deployed, 1000 senders holding tokens; all committed to redb.
fn setup() -> Setup {
    let started = Instant::now();
    let senders: Vec<KeyPair> = (0..1000).map(key).collect();
    let accounts = (0..1_000_000u64).map(|i| (Address::from_public_key(&i.to_le_bytes()), 1_000_000_000));
    let entries = funded_accounts(accounts.chain(senders.iter().map(|s| (s.address(), 1_000_000_000_000))));
    let mut tree = Tree::from_sorted(&entries);
    let vm = Vm::new(None, 16).unwrap();
    let ctx = TxContext { block: BLOCK, poster: key(999_999).address() };
    let mut nonces = vec![0u64; senders.len()];
    let run = |tree: &mut Tree, who: usize, kind: TxKind, nonces: &mut Vec<u64>| {
        let tx = TxBody {
            chain_id: CHAIN,
            sender: senders[who].public(),
            nonce: nonces[who],
            gas_limit: 50_000_000,
            fee_per_gas: 1,
            kind,
        }
        .sign(&senders[who]);
        nonces[who] += 1;
        let applied =
            apply_transaction(vm.as_ref(), tree.clone(), &tx, tx.hash(), &ctx, zr_protocol::Used::default()).unwrap();
        let receipt = applied.receipt.unwrap();
        assert_eq!(receipt.status, ReceiptStatus::Success, "{receipt:?}");
        *tree = applied.tree;
    };
    let code = token_wasm();
    let code_hash = sha3_256(&code);
    run(&mut tree, 0, TxKind::UploadChunk { code_hash, index: 0, count: 1, bytes: code }, &mut nonces);
    let token = Address::contract(&senders[0].address(), nonces[0]);
    run(&mut tree, 0, TxKind::Deploy { code_hash, input: vec![], value: 0 }, &mut nonces);
    for holder in senders.iter().map(KeyPair::address).collect::<Vec<_>>() {
        let input = [holder.0.as_slice(), &1_000_000u128.to_le_bytes()].concat();
        run(&mut tree, 0, TxKind::Call { contract: token, method: "mint".into(), input, value: 0 }, &mut nonces);
    }
    let dir = tempfile::tempdir().unwrap();
    let store = StateStore::open(dir.path()).unwrap();
    let all: BTreeSet<Hash> = tree.entries().into_iter().map(|(k, _)| k).collect();
    store.commit(BlockCommit::state_only(Head { height: 9, root: tree.root() }, &tree, &all)).unwrap();
    println!("setup: {} state entries in {:.1?}", all.len(), started.elapsed());
    Setup { vm, tree, store, _dir: dir, senders, nonces, token }
}

/// Executes and commits `batches` × 1000 transactions built by `kind`, pipelined as the executor runs: a
/// verifier thread checks the next batch's signatures (in bundles of 100, batched) while this thread
/// executes, and a committer thread writes the previous batch to redb. Prints the rate and the busy time of
/// each stage.
fn throughput(setup: &mut Setup, label: &str, batches: usize, kind: impl Fn(usize, u64) -> TxKind) {
    let ctx = TxContext { block: BLOCK, poster: key(999_999).address() };
    // Build and sign outside the clock: that is the users' work.
    let mut seq = 0u64;
    let plan: Vec<Vec<(usize, u64, TxKind)>> = (0..batches)
        .map(|batch| {
            (0..1000)
                .map(|i| {
                    let who = (batch * 1000 + i) % setup.senders.len();
                    seq += 1;
                    setup.nonces[who] += 1;
                    (who, setup.nonces[who] - 1, kind(who, seq))
                })
                .collect()
        })
        .collect();
    let senders = &setup.senders;
    let all: Vec<Vec<Transaction>> = std::thread::scope(|s| {
        let workers: Vec<_> = plan
            .chunks(batches.div_ceil(2))
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .map(|batch| {
                            batch
                                .iter()
                                .map(|(who, nonce, kind)| {
                                    TxBody {
                                        chain_id: CHAIN,
                                        sender: senders[*who].public(),
                                        nonce: *nonce,
                                        gas_limit: 1_000_000,
                                        fee_per_gas: 1,
                                        kind: kind.clone(),
                                    }
                                    .sign(&senders[*who])
                                })
                                .collect::<Vec<_>>()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().unwrap()).collect()
    });

    let started = Instant::now();
    let (to_execute, verified) = std::sync::mpsc::sync_channel::<Vec<Transaction>>(1);
    let (to_commit, committable) = std::sync::mpsc::sync_channel::<(u64, Tree, BTreeSet<Hash>, Vec<_>)>(1);
    let store = &setup.store;
    let (verify, execute, commit) = std::thread::scope(|s| {
        let verifier = s.spawn(move || {
            let mut busy = Duration::ZERO;
            for txs in all {
                let at = Instant::now();
                for bundle in txs.chunks(100) {
                    let mut signatures = SignatureBatch::new();
                    for tx in bundle {
                        tx.check_fields(CHAIN).unwrap();
                        signatures.add(&tx.body.sender, &tx.hash(), &tx.signature);
                    }
                    signatures.verify().unwrap();
                }
                busy += at.elapsed();
                to_execute.send(txs).unwrap();
            }
            busy
        });
        let committer = s.spawn(move || {
            let mut busy = Duration::ZERO;
            for (height, tree, changed, receipts) in committable {
                let at = Instant::now();
                let head = Head { height, root: tree.root() };
                store
                    .commit(BlockCommit {
                        receipts: &receipts,
                        fold: false,
                        index: None,
                        ..BlockCommit::state_only(head, &tree, &changed)
                    })
                    .unwrap();
                busy += at.elapsed();
            }
            busy
        });
        let mut busy = Duration::ZERO;
        for (batch, txs) in verified.into_iter().enumerate() {
            let at = Instant::now();
            let mut changed = BTreeSet::new();
            let mut receipts = Vec::with_capacity(txs.len());
            for tx in &txs {
                let tree = std::mem::take(&mut setup.tree);
                let applied =
                    apply_transaction(setup.vm.as_ref(), tree, tx, tx.hash(), &ctx, zr_protocol::Used::default())
                        .unwrap();
                setup.tree = applied.tree;
                changed.extend(applied.written);
                receipts.push(applied.receipt.unwrap());
            }
            assert!(
                receipts.iter().all(|r| r.status == ReceiptStatus::Success),
                "{:?}",
                receipts.iter().find(|r| r.status != ReceiptStatus::Success)
            );
            busy += at.elapsed();
            to_commit.send((10 + batch as u64, setup.tree.clone(), changed, receipts)).unwrap();
        }
        drop(to_commit);
        (verifier.join().unwrap(), busy, committer.join().unwrap())
    });
    let elapsed = started.elapsed();
    let total = batches * 1000;
    let per_tx = |d: Duration| d.as_secs_f64() * 1e6 / total as f64;
    println!(
        "{label}: {total} tx in {elapsed:.2?} = {:.0} tx/s pipelined; busy per tx: signatures {:.1} µs (batched per \
         100), execution incl. state tree writes and per-tx roots {:.1} µs, redb commit per \
         1000 tx {:.1} µs",
        total as f64 / elapsed.as_secs_f64(),
        per_tx(verify),
        per_tx(execute),
        per_tx(commit),
    );
}

/// Batches of 1000 per run: enough that the store folds its journal (every 250 000 entries) during the run.
const BATCHES: usize = 150;

fn transfers() {
    let mut setup = setup();
    let token = setup.token;
    // Receivers spread over the million accounts: new token-storage keys as well as existing ones.
    let receiver = |seq: u64| Address::from_public_key(&(seq % 1_000_000).to_le_bytes());
    throughput(&mut setup, "token-contract transfer (wasm)", BATCHES, |_, seq| TxKind::Call {
        contract: token,
        method: "transfer".into(),
        input: [receiver(seq).0.as_slice(), &1u128.to_le_bytes()].concat(),
        value: 0,
    });
    throughput(&mut setup, "native transfer (ceiling)", BATCHES, |_, seq| TxKind::Transfer {
        to: receiver(seq),
        token: TokenStandard::ZNN,
        amount: 1,
    });
}

/// Contract methods that spend a whole transaction's gas on one kind of work each; `noop` and `grow_touch` are
/// what the nested-call loops call.
const GAS_EATERS: &str = r#"(module
  (import "env" "block_height" (func $height (result i64)))
  (import "env" "sha3_256" (func $sha3 (param i32 i32 i32)))
  (import "env" "storage_read" (func $read (param i32 i32 i32 i32) (result i64)))
  (import "env" "storage_write" (func $write (param i32 i32 i32 i32)))
  (import "env" "balance" (func $balance (param i32 i32)))
  (import "env" "self_address" (func $self (param i32)))
  (import "env" "call" (func $call (param i32 i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "noop")
  (data (i32.const 110) "grow_touch")
  (func (export "noop"))
  (func (export "arithmetic") (local $i i64)
    (loop (local.set $i (i64.add (i64.mul (local.get $i) (i64.const 3)) (i64.const 1))) (br 0)))
  (func (export "memory_access") (local $i i32)
    (loop (i64.store (i32.and (local.get $i) (i32.const 0xfff8)) (i64.load (i32.const 8)))
      (local.set $i (i32.add (local.get $i) (i32.const 4104))) (br 0)))
  ;; Grows the memory to its limit and touches every 4 KiB of it.
  (func $grow_touch (export "grow_touch") (local $at i32)
    (block $full (loop
      (br_if $full (i32.eq (memory.grow (i32.const 1)) (i32.const -1))) (br 0)))
    (loop
      (i32.store8 (local.get $at) (i32.const 1))
      (local.set $at (i32.add (local.get $at) (i32.const 4096)))
      (br_if 0 (i32.lt_u (local.get $at) (i32.mul (memory.size) (i32.const 65536))))))
  (func (export "host_block_height") (loop (drop (call $height)) (br 0)))
  (func (export "host_balance") (loop (call $balance (i32.const 0) (i32.const 64)) (br 0)))
  (func (export "host_storage_read_missing") (loop (drop (call $read (i32.const 0) (i32.const 32) (i32.const 64) (i32.const 32))) (br 0)))
  (func (export "host_storage_write_32B") (loop (call $write (i32.const 0) (i32.const 32) (i32.const 64) (i32.const 32)) (br 0)))
  (func (export "host_sha3_1KiB") (loop (call $sha3 (i32.const 0) (i32.const 1024) (i32.const 2048)) (br 0)))
  (func (export "host_sha3_32B") (loop (call $sha3 (i32.const 0) (i32.const 32) (i32.const 2048)) (br 0)))
  (func (export "calls_noop") (call $self (i32.const 200))
    (loop (drop (call $call (i32.const 200) (i32.const 100) (i32.const 4) (i32.const 0) (i32.const 0) (i32.const 300))) (br 0)))
  (func (export "calls_grow_touch") (call $self (i32.const 200))
    (loop (drop (call $call (i32.const 200) (i32.const 110) (i32.const 10) (i32.const 0) (i32.const 0) (i32.const 300))) (br 0)))
)"#;

/// Wall time per gas of each kind of work a contract can buy (operators, memory growth, host calls, nested
/// calls), each run until a transaction's gas is spent, against a token transfer's (the cost table's
/// calibration: the work contracts do). A factor well above 1 is work priced below its cost.
fn gas_rates() {
    let vm = Vm::new(None, 16).unwrap();
    let sender = key(1);
    let account = Account { nonce: 0, znn: u128::from(u64::MAX), qsr: 0 };
    let mut tree = Tree::from_sorted(&[(
        StateKey::Account { address: sender.address() }.hash(),
        Arc::new(codec::encode(&account)),
    )]);
    let ctx = TxContext { block: BLOCK, poster: key(2).address() };
    let mut nonce = 0;
    let mut run = |tree: &mut Tree, kind: TxKind, gas_limit: u64| {
        let tx =
            TxBody { chain_id: CHAIN, sender: sender.public(), nonce, gas_limit, fee_per_gas: 1, kind }.sign(&sender);
        nonce += 1;
        let started = Instant::now();
        let applied =
            apply_transaction(vm.as_ref(), tree.clone(), &tx, tx.hash(), &ctx, zr_protocol::Used::default()).unwrap();
        let elapsed = started.elapsed();
        *tree = applied.tree;
        (applied.receipt.unwrap(), elapsed)
    };
    let deploy =
        |tree: &mut Tree,
         code: Vec<u8>,
         run: &mut dyn FnMut(&mut Tree, TxKind, u64) -> (zr_common::rollup::Receipt, Duration)| {
            let code_hash = sha3_256(&code);
            let (uploaded, _) =
                run(tree, TxKind::UploadChunk { code_hash, index: 0, count: 1, bytes: code }, 50_000_000);
            assert_eq!(uploaded.status, ReceiptStatus::Success, "{uploaded:?}");
            let (deployed, _) = run(tree, TxKind::Deploy { code_hash, input: vec![], value: 0 }, 50_000_000);
            assert_eq!(deployed.status, ReceiptStatus::Success, "{deployed:?}");
            Address(deployed.return_data.try_into().unwrap())
        };
    let token = deploy(&mut tree, token_wasm(), &mut run);
    let eaters = deploy(&mut tree, wat::parse_str(GAS_EATERS).unwrap(), &mut run);
    let call = |contract: Address, method: &str, input: Vec<u8>| TxKind::Call {
        contract,
        method: method.into(),
        input,
        value: 0,
    };
    let mint = [sender.address().0.as_slice(), &u128::from(u64::MAX).to_le_bytes()].concat();
    assert_eq!(run(&mut tree, call(token, "mint", mint), 1_000_000).0.status, ReceiptStatus::Success);

    // The calibration: token transfers to fresh receivers, the work the costs were set by.
    let (mut gas, mut time) = (0u64, Duration::ZERO);
    for i in 0..2_000u64 {
        let to = Address::from_public_key(&i.to_le_bytes());
        let (receipt, elapsed) =
            run(&mut tree, call(token, "transfer", [to.0.as_slice(), &1u128.to_le_bytes()].concat()), 1_000_000);
        assert_eq!(receipt.status, ReceiptStatus::Success);
        (gas, time) = (gas + receipt.gas_used, time + elapsed);
    }
    let calibration = time.as_secs_f64() * 1e9 / gas as f64;
    println!(
        "gas rates: wall time per gas against a token transfer's ({calibration:.2} ns/gas, {} gas each), median of 5 transactions of 50 M gas:",
        gas / 2_000
    );
    for method in [
        "arithmetic",
        "memory_access",
        "host_block_height",
        "host_balance",
        "host_storage_read_missing",
        "host_storage_write_32B",
        "host_sha3_32B",
        "host_sha3_1KiB",
        "calls_noop",
        "calls_grow_touch",
    ] {
        let mut rates: Vec<f64> = (0..5)
            .map(|_| {
                let (receipt, elapsed) = run(&mut tree, call(eaters, method, vec![]), 50_000_000);
                assert!(matches!(receipt.status, ReceiptStatus::Failed { .. }), "{method}: {receipt:?}");
                elapsed.as_secs_f64() * 1e9 / receipt.gas_used as f64
            })
            .collect();
        rates.sort_by(f64::total_cmp);
        println!(
            "  {method}: {:.2} ns/gas ({:.2} ms per Mgas), {:.2}× a token transfer's",
            rates[2],
            rates[2],
            rates[2] / calibration
        );
    }
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    compile_and_instantiate(&mut criterion);
    worst_instantiation(&mut criterion);
    module_loading(&mut criterion);
    metering_overhead(&mut criterion);
    criterion.final_summary();
    gas_rates();
    // `ZR_VM_BENCH_TRANSFERS=0` skips the (long) transfer throughput runs.
    if std::env::var("ZR_VM_BENCH_TRANSFERS").as_deref() != Ok("0") {
        transfers();
    }
}
