//! The executor's momentum pipeline without L1: deposits, pruning, upload expiry, snapshots.

use std::collections::BTreeSet;

use zr_common::nom::rpc::fixtures::momentum;
use zr_common::nom::{AccountBlock, BlockType};
use zr_common::rollup::{BundleBody, DropReason, ReceiptStatus, TxKind};
use zr_common::{Address, Hash, KeyPair, TokenStandard, sha3_256};
use zr_executor::rollup::Rollup;
use zr_executor::store::{BlockCommit, Head};
use zr_executor::{StateStore, snapshot};
use zr_protocol::StateKey;
use zr_protocol::gas::UPLOAD_EXPIRY_MOMENTUMS;
use zr_sequencing::bundle::encode_bundle;
use zr_vm::Vm;

use crate::harness::*;

/// A rollup over a fresh store in `dir`, keeping 4 state versions and receipts for `prune_depth` momentums.
fn rollup_in(dir: &std::path::Path, prune_depth: u64) -> Rollup {
    Rollup::with_store(StateStore::open(dir).unwrap(), Vm::new(None, 4).unwrap(), CHAIN, key(8), 4, prune_depth)
        .unwrap()
}

fn inbox(from: &KeyPair, salt: u64, amount: u128, data: Vec<u8>) -> AccountBlock {
    AccountBlock {
        block_type: BlockType::UserSend as u64,
        address: from.address(),
        to_address: Address::INBOX,
        amount,
        token_standard: if amount > 0 { TokenStandard::ZNN } else { TokenStandard::ZERO },
        height: salt,
        hash: sha3_256(&salt.to_le_bytes()),
        data,
        ..AccountBlock::default()
    }
}

fn bundle(key: &KeyPair, kinds: Vec<(u64, TxKind)>) -> Vec<u8> {
    let txs = kinds
        .into_iter()
        .map(|(nonce, kind)| {
            zr_common::rollup::TxBody {
                chain_id: CHAIN,
                sender: key.public(),
                nonce,
                gas_limit: 10_000_000,
                fee_per_gas: 1,
                kind,
            }
            .sign(key)
        })
        .collect();
    encode_bundle(&BundleBody { chain_id: CHAIN, poster: key.public(), transactions: txs }.sign(key)).unwrap()
}

#[test]
fn deposits_pruning_and_upload_expiry() {
    let dir = tempfile::tempdir().unwrap();
    let rollup = rollup_in(dir.path(), 2);
    let alice = key(1);
    let transfer = TxKind::Transfer { to: key(2).address(), token: TokenStandard::ZNN, amount: 5 };
    let upload =
        TxKind::UploadChunk { code_hash: sha3_256(b"never finished"), index: 0, count: 2, bytes: vec![1, 2, 3] };
    let first = momentum(
        1,
        vec![
            inbox(&alice, 1, 100_000_000_000, vec![]),
            inbox(&alice, 2, 0, bundle(&alice, vec![(0, transfer), (1, upload)])),
        ],
    );
    let processed = rollup.process(&first).unwrap().unwrap();
    assert_eq!(processed.receipts.len(), 2);
    assert!(processed.receipts.iter().all(|r| r.status == ReceiptStatus::Success), "{:?}", processed.receipts);
    let transfer_hash = processed.receipts[0].tx_hash;
    assert!(rollup.store().receipt(&transfer_hash).unwrap().is_some());
    // Processing the same momentum again changes nothing.
    assert!(rollup.process(&first).unwrap().is_none());

    let upload_key = StateKey::Upload { uploader: alice.address(), code_hash: sha3_256(b"never finished") }.hash();
    assert!(rollup.tree_at(None).unwrap().1.contains(&upload_key).unwrap());
    assert!(rollup.tree_at(None).unwrap().1.contains(&StateKey::UploadQueue.hash()).unwrap(), "queue missing");
    for height in 2..=1 + UPLOAD_EXPIRY_MOMENTUMS {
        rollup.process(&momentum(height, vec![])).unwrap().unwrap();
        if height == 3 {
            // prune_depth 2: height 1's receipts and leaves are gone once height 3 is committed.
            assert!(rollup.store().receipt(&transfer_hash).unwrap().is_none());
            // The transaction index stays: old transactions answer "pruned", not "unknown".
            assert!(rollup.store().tx_location(&transfer_hash).unwrap().is_some());
            assert!(rollup.store().leaves(1).unwrap().is_none());
            assert!(rollup.store().state_root(1).unwrap().is_some());
        }
    }
    // The incomplete upload expired, chunks and all.
    let tree = rollup.tree_at(None).unwrap().1;
    assert!(!tree.contains(&upload_key).unwrap());
    let chunk = StateKey::UploadChunk { uploader: alice.address(), code_hash: sha3_256(b"never finished"), index: 0 };
    assert!(!tree.contains(&chunk.hash()).unwrap());
    // The queue is drained too: only its bounds remain.
    assert!(!tree.contains(&StateKey::UploadQueueEntry { position: 0 }.hash()).unwrap());
    let err = rollup.tree_at(Some(1)).unwrap_err().to_string();
    assert!(err.contains("pruned"), "{err}");
    // A gap is refused.
    assert!(rollup.process(&momentum(UPLOAD_EXPIRY_MOMENTUMS + 5, vec![])).is_err());
}

#[test]
fn snapshots_round_trip_and_are_checked() {
    let (h, _, _) = Harness::with_token(5);
    let source = tempfile::tempdir().unwrap();
    let store = StateStore::open(source.path()).unwrap();
    let all: BTreeSet<Hash> = h.tree.entries().iter().map(|(k, _)| *k).collect();
    let head = Head { height: 42, root: h.tree.root() };
    store.commit(BlockCommit::state_only(head, &h.tree, &all)).unwrap();
    let file = source.path().join("state.snapshot");
    assert_eq!(snapshot::export(&store, &file).unwrap(), head);

    let wrong = tempfile::tempdir().unwrap();
    let wrong_root = Head { height: 42, root: Hash([1; 32]) };
    let err = snapshot::import(&StateStore::open(wrong.path()).unwrap(), &file, wrong_root).unwrap_err().to_string();
    assert!(err.contains("not the expected"), "{err}");
    // The height is checked too: the executor would resume from it.
    let wrong_height = Head { height: 41, root: head.root };
    let err = snapshot::import(&StateStore::open(wrong.path()).unwrap(), &file, wrong_height).unwrap_err().to_string();
    assert!(err.contains("not the expected 41"), "{err}");

    let target = tempfile::tempdir().unwrap();
    let imported = StateStore::open(target.path()).unwrap();
    assert_eq!(snapshot::import(&imported, &file, head).unwrap(), head);
    assert_eq!(imported.load_tree().unwrap().root(), h.tree.root());
    assert!(snapshot::import(&imported, &file, head).unwrap_err().to_string().contains("already holds state"));

    let mut corrupt = std::fs::read(&file).unwrap();
    let middle = corrupt.len() / 2;
    corrupt[middle] ^= 1;
    std::fs::write(&file, corrupt).unwrap();
    let other = tempfile::tempdir().unwrap();
    assert!(snapshot::import(&StateStore::open(other.path()).unwrap(), &file, head).is_err());
}

/// The overlapped pipeline (verify N+1 while N executes, commit N-1) reaches the same receipts and claims
/// as processing one momentum at a time, including for transactions re-posted before their first
/// execution is committed.
#[test]
fn the_pipeline_matches_one_at_a_time_and_drops_repeats_by_nonce() {
    let alice = key(1);
    let bob = key(2);
    let pay =
        |nonce: u64, amount: u128| (nonce, TxKind::Transfer { to: bob.address(), token: TokenStandard::ZNN, amount });
    let mut momentums = vec![momentum(
        1,
        vec![
            inbox(&alice, 1, 100_000_000_000, vec![]),
            inbox(&alice, 2, 0, bundle(&alice, vec![pay(0, 7), pay(1, 1)])),
        ],
    )];
    for height in 2..=12u64 {
        let nonce = height;
        // Each momentum re-posts the previous momentum's transaction next to a new one.
        let blocks = vec![
            inbox(&alice, height * 10, 0, bundle(&alice, vec![pay(nonce - 1, height as u128 - 1)])),
            inbox(&alice, height * 10 + 1, 0, bundle(&alice, vec![pay(nonce, height as u128)])),
        ];
        momentums.push(momentum(height, blocks));
    }

    let one_at_a_time = tempfile::tempdir().unwrap();
    let sequential = rollup_in(one_at_a_time.path(), 0);
    let expected: Vec<_> = momentums.iter().map(|m| sequential.process(m).unwrap().unwrap()).collect();
    // Every re-posted transaction gets a leaf whose receipt drops it by its nonce and changes nothing; the
    // new one executes.
    assert_eq!(expected[0].receipts.len(), 2);
    for (height, processed) in (2u64..).zip(&expected[1..]) {
        let statuses: Vec<_> = processed.receipts.iter().map(|r| r.status.clone()).collect();
        assert!(statuses.contains(&ReceiptStatus::Dropped { reason: DropReason::NonceTooLow { expected: height } }));
        assert!(statuses.contains(&ReceiptStatus::Success), "{statuses:?}");
        let dropped = processed.receipts.iter().find(|r| r.status != ReceiptStatus::Success).unwrap();
        // The drop does not replace the execution in the index.
        let location = sequential.store().tx_location(&dropped.tx_hash).unwrap().unwrap();
        assert!(location.executed && location.height == height - 1, "{location:?}");
        assert_eq!(sequential.store().receipt(&dropped.tx_hash).unwrap().unwrap().status, ReceiptStatus::Success);
    }

    // Executing ahead of the commits (what the pipeline may do) gives the same results.
    let ahead = tempfile::tempdir().unwrap();
    let ahead = rollup_in(ahead.path(), 0);
    let executed: Vec<_> = momentums[..3].iter().map(|m| ahead.execute(m, ahead.verify(m)).unwrap().unwrap()).collect();
    assert_eq!(ahead.head().height, 0, "nothing is visible before its commit");
    for (executed, want) in executed.into_iter().zip(&expected) {
        let got = ahead.commit(executed).unwrap();
        assert_eq!((got.claim, got.receipts), (want.claim.clone(), want.receipts.clone()));
    }
    // Commits land in order only.
    let fourth = ahead.execute(&momentums[3], ahead.verify(&momentums[3])).unwrap().unwrap();
    let fifth = ahead.execute(&momentums[4], ahead.verify(&momentums[4])).unwrap().unwrap();
    let error = ahead.commit(fifth).unwrap_err().to_string();
    assert!(error.contains("expected momentum 4, got 5"), "{error}");
    assert_eq!(ahead.commit(fourth).unwrap().claim, expected[3].claim);

    let overlapped = tempfile::tempdir().unwrap();
    let rollup = std::sync::Arc::new(rollup_in(overlapped.path(), 0));
    let (input, mut pipeline) = zr_executor::pipeline::Pipeline::start(rollup.clone()).unwrap();
    let feeder = std::thread::spawn({
        let momentums = momentums.clone();
        move || momentums.into_iter().for_each(|m| input.blocking_send(m).unwrap())
    });
    for want in &expected {
        let got = pipeline.blocking_next().unwrap().unwrap();
        assert_eq!(got.height, want.height);
        assert_eq!(got.claim, want.claim);
        assert_eq!(got.receipts, want.receipts);
    }
    feeder.join().unwrap();
    assert!(pipeline.blocking_finish().is_empty());
    assert_eq!(rollup.head(), sequential.head());
    // A momentum already executed is skipped; a gap is an error that stops the pipeline.
    let (input, mut pipeline) = zr_executor::pipeline::Pipeline::start(rollup.clone()).unwrap();
    input.blocking_send(momentums[3].clone()).unwrap();
    input.blocking_send(momentum(20, vec![])).unwrap();
    let error = pipeline.blocking_next().unwrap().unwrap_err().to_string();
    assert!(error.contains("expected momentum 13, got 20"), "{error}");
    drop(input);
    assert!(pipeline.blocking_finish().is_empty());
}

/// A transaction the momentum's budget cannot fit is dropped without a change; the sender's later
/// transactions in that momentum are dropped by their nonce (not executed with a wrong one), and all of them
/// run when posted again in a later momentum. Each step is decided by the previous leaf alone.
#[test]
fn budget_drops_hold_back_the_senders_later_transactions_until_posted_again() {
    use zr_protocol::gas::MOMENTUM_GAS_BUDGET;
    use zr_protocol::{BlockInfo, TxContext, apply_transaction};

    let h = Harness::new();
    let alice = key(1);
    let ctx = TxContext { block: BlockInfo { height: 5, timestamp: 0 }, poster: key(9).address() };
    let pay = |nonce: u64, gas_limit: u64| {
        zr_common::rollup::TxBody {
            chain_id: CHAIN,
            sender: alice.public(),
            nonce,
            gas_limit,
            fee_per_gas: 1,
            kind: TxKind::Transfer { to: key(2).address(), token: TokenStandard::ZNN, amount: 3 },
        }
        .sign(&alice)
    };
    let (first, second) = (pay(0, 100_000), pay(1, 30_000));
    let nearly_full = MOMENTUM_GAS_BUDGET - 50_000;
    let run = |tree, tx: &zr_common::rollup::Transaction, gas: u64| {
        apply_transaction(h.vm.as_ref(), tree, tx, tx.hash(), &ctx, zr_protocol::Used { gas, ..Default::default() })
            .unwrap()
    };
    let dropped = run(h.tree.clone(), &first, nearly_full);
    let receipt = dropped.receipt.unwrap();
    assert_eq!(receipt.status, ReceiptStatus::Dropped { reason: DropReason::GasBudget });
    assert_eq!((receipt.gas_used, dropped.leaf.cumulative_gas), (0, nearly_full));
    assert_eq!(dropped.tree.root(), h.tree.root(), "a drop changes nothing");
    // The second would fit the budget, but its nonce is ahead now: dropped too, nothing burnt.
    let held = run(dropped.tree, &second, nearly_full);
    assert_eq!(
        held.receipt.unwrap().status,
        ReceiptStatus::Dropped { reason: DropReason::NonceTooHigh { expected: 0 } }
    );
    assert_eq!(held.tree.root(), h.tree.root());
    // Posted again in a later momentum, both run.
    let one = run(held.tree, &first, 0);
    assert_eq!(one.receipt.unwrap().status, ReceiptStatus::Success);
    let two = run(one.tree, &second, one.leaf.cumulative_gas);
    assert_eq!(two.receipt.unwrap().status, ReceiptStatus::Success);
    // And a third post of the first is a stale nonce: dropped, free.
    let stale = run(two.tree.clone(), &first, 0);
    assert_eq!(
        stale.receipt.unwrap().status,
        ReceiptStatus::Dropped { reason: DropReason::NonceTooLow { expected: 2 } }
    );
    assert_eq!(stale.tree.root(), two.tree.root());
}

/// Uploads that declare many chunks but send one cost the prelude one unit per queue entry plus one per
/// chunk received, and a momentum expires at most its work budget of them: the rest wait for the next.
#[test]
fn upload_expiry_work_is_bounded_and_paid_for() {
    use zr_protocol::gas::MOMENTUM;
    use zr_protocol::state::UploadQueue;
    use zr_protocol::{World, apply_prelude};

    let mut h = Harness::new();
    let per_upload = zr_protocol::transition::EXPIRY_UNITS_PER_ENTRY + 1;
    let uploads = MOMENTUM.expiry_work_per_momentum / per_upload + 52;
    for i in 0..uploads {
        let kind = TxKind::UploadChunk { code_hash: sha3_256(&i.to_le_bytes()), index: 0, count: 1024, bytes: vec![1] };
        let receipt = h.exec(&key(1 + (i % 4) as u8), kind);
        assert_eq!(receipt.status, ReceiptStatus::Success, "{receipt:?}");
    }
    let queue = |tree: &zr_protocol::Tree| {
        World::new(tree.clone()).get_decoded::<UploadQueue>(&StateKey::UploadQueue).unwrap().unwrap()
    };
    assert_eq!(queue(&h.tree), UploadQueue { head: 0, tail: uploads });
    let due = h.block.height + UPLOAD_EXPIRY_MOMENTUMS;
    // Not yet due: nothing expires.
    let early = apply_prelude(h.tree.clone(), due - 1, &[]).unwrap();
    assert_eq!(early.tree.root(), h.tree.root());
    // Each upload costs 5 units (its entry's keys, its one chunk): the first momentum expires what its
    // budget pays.
    let first = apply_prelude(h.tree.clone(), due, &[]).unwrap();
    let paid = MOMENTUM.expiry_work_per_momentum / per_upload;
    assert_eq!(queue(&first.tree), UploadQueue { head: paid, tail: uploads });
    let second = apply_prelude(first.tree, due + 1, &[]).unwrap();
    assert_eq!(queue(&second.tree), UploadQueue { head: uploads, tail: uploads });
    let last = StateKey::Upload {
        uploader: key(1 + ((uploads - 1) % 4) as u8).address(),
        code_hash: sha3_256(&(uploads - 1).to_le_bytes()),
    };
    assert!(!second.tree.contains(&last.hash()).unwrap());
    assert!(h.tree.contains(&last.hash()).unwrap());
}

/// A sender who cannot pay the maximum fee is dropped without using its nonce, and a momentum whose receipt
/// bytes are near their budget drops what could overflow it: neither is free work that changes state.
#[test]
fn unpaid_transactions_and_full_receipt_budgets_drop() {
    use zr_protocol::gas::MOMENTUM;
    use zr_protocol::{BlockInfo, TxContext, Used, apply_transaction};

    let h = Harness::new();
    let broke = key(77);
    let ctx = TxContext { block: BlockInfo { height: 5, timestamp: 0 }, poster: key(9).address() };
    let tx = zr_common::rollup::TxBody {
        chain_id: CHAIN,
        sender: broke.public(),
        nonce: 0,
        gas_limit: 100_000,
        fee_per_gas: 1,
        kind: TxKind::Transfer { to: key(2).address(), token: TokenStandard::ZNN, amount: 0 },
    }
    .sign(&broke);
    let applied = apply_transaction(h.vm.as_ref(), h.tree.clone(), &tx, tx.hash(), &ctx, Used::default()).unwrap();
    let reason = DropReason::InsufficientFee { needs: 100_000, has: 0 };
    assert_eq!(applied.receipt.unwrap().status, ReceiptStatus::Dropped { reason });
    assert_eq!(applied.tree.root(), h.tree.root());

    let alice = key(1);
    let paid = zr_common::rollup::TxBody { sender: alice.public(), ..tx.body.clone() }.sign(&alice);
    let nearly_full = Used {
        receipt_bytes: MOMENTUM.receipt_bytes_per_momentum - MOMENTUM.max_receipt_bytes_per_tx + 1,
        ..Default::default()
    };
    let dropped = apply_transaction(h.vm.as_ref(), h.tree.clone(), &paid, paid.hash(), &ctx, nearly_full).unwrap();
    assert_eq!(dropped.receipt.unwrap().status, ReceiptStatus::Dropped { reason: DropReason::ReceiptBudget });
    assert_eq!(dropped.tree.root(), h.tree.root());
    let room = Used { receipt_bytes: nearly_full.receipt_bytes - 1, ..Default::default() };
    let ran = apply_transaction(h.vm.as_ref(), h.tree.clone(), &paid, paid.hash(), &ctx, room).unwrap();
    let receipt = ran.receipt.unwrap();
    assert_eq!(receipt.status, ReceiptStatus::Success);
    let bytes = zr_common::codec::encode(&receipt).len() as u64;
    assert_eq!(ran.leaf.cumulative_receipt_bytes, room.receipt_bytes + bytes);
    // Two accounts' values were written (the sender's nonce and fee, the poster's fee).
    assert!(ran.leaf.cumulative_state_bytes > 64 && ran.leaf.cumulative_state_bytes < 400, "{:?}", ran.leaf);

    // State writes: a momentum near its budget drops what the gas limit could write past it.
    let limit = zr_protocol::gas::max_state_bytes(paid.body.gas_limit);
    let full = Used { state_bytes: MOMENTUM.state_bytes_per_momentum - limit + 1, ..Default::default() };
    let dropped = apply_transaction(h.vm.as_ref(), h.tree.clone(), &paid, paid.hash(), &ctx, full).unwrap();
    assert_eq!(dropped.receipt.unwrap().status, ReceiptStatus::Dropped { reason: DropReason::StateBudget });
    let fits = Used { state_bytes: full.state_bytes - 1, ..Default::default() };
    let ran = apply_transaction(h.vm.as_ref(), h.tree.clone(), &paid, paid.hash(), &ctx, fits).unwrap();
    assert_eq!(ran.receipt.unwrap().status, ReceiptStatus::Success);
}

/// Review finding: leaves were pruned `prune_depth` heights back whatever L1's final height, so an executor whose
/// claim was still open could no longer answer a data-availability challenge of it, and lost its bond. Pruning
/// now stops at the final height and catches up when finality moves on.
#[test]
fn leaves_of_claims_not_final_are_kept_for_data_availability_answers() {
    let dir = tempfile::tempdir().unwrap();
    let rollup = rollup_in(dir.path(), 2);
    rollup.process(&momentum(1, vec![])).unwrap().unwrap();
    let root = rollup.store().state_root(1).unwrap().unwrap();
    rollup.follow_final(zr_common::rollup::settlement::FinalRoot { height: 1, root }).unwrap();
    for height in 2..=10 {
        rollup.process(&momentum(height, vec![])).unwrap().unwrap();
    }
    assert!(rollup.store().leaves(1).unwrap().is_none(), "final and deep enough: pruned");
    for height in 2..=10 {
        assert!(rollup.store().leaves(height).unwrap().is_some(), "height {height} is not final: kept");
    }
    // Restarted, it has not read L1's final height yet: the one it stored still bounds pruning.
    drop(rollup);
    let rollup = rollup_in(dir.path(), 2);
    assert_eq!(rollup.final_height(), 1);
    rollup.process(&momentum(11, vec![])).unwrap().unwrap();
    for height in 2..=11 {
        assert!(rollup.store().leaves(height).unwrap().is_some(), "height {height} is not final: kept after a restart");
    }
    let root = rollup.store().state_root(9).unwrap().unwrap();
    rollup.follow_final(zr_common::rollup::settlement::FinalRoot { height: 9, root }).unwrap();
    rollup.process(&momentum(12, vec![])).unwrap().unwrap();
    for height in 2..=9 {
        assert!(rollup.store().leaves(height).unwrap().is_none(), "height {height} is final now: pruned");
    }
    assert!(rollup.store().leaves(10).unwrap().is_some());
}

/// The explorer's index: each momentum's inbox blocks, deposits and transactions (with who sent them, whom they
/// name and how they ended) are committed with it, read back in order and by address newest first, survive a
/// reopen, and are pruned with the receipts (`prune_depth`), address rows included. Attack (review): a dropped
/// transaction costs nothing, so it names no address: nobody can fill Bob's history with transfers that never
/// happened.
#[test]
fn the_explorer_index_is_committed_with_its_momentum_and_pruned_with_its_receipts() {
    let dir = tempfile::tempdir().unwrap();
    let (alice, bob) = (key(1), key(2));
    let transfer = |amount| TxKind::Transfer { to: bob.address(), token: TokenStandard::ZNN, amount };
    {
        let rollup = rollup_in(dir.path(), 3);
        let first = momentum(
            1,
            vec![
                inbox(&alice, 1, 100_000_000_000, vec![]),
                inbox(&alice, 2, 0, bundle(&alice, vec![(0, transfer(5)), (1, transfer(6))])),
                inbox(&alice, 3, 0, vec![0xee, 1, 2]),
            ],
        );
        rollup.process(&first).unwrap().unwrap();
        let with_a_gap = bundle(&alice, vec![(2, transfer(7)), (9, transfer(1_000_000_000_000))]);
        rollup.process(&momentum(2, vec![inbox(&alice, 4, 0, with_a_gap)])).unwrap();
        let store = rollup.store();
        let record = store.momentum_record(1).unwrap().unwrap();
        assert_eq!((record.transactions, record.failed, record.dropped), (2, 0, 0));
        let kinds: Vec<&str> = record.inbox.iter().map(|b| b.kind.as_str()).collect();
        assert_eq!(kinds, ["deposit", "bundle", "unknown"]);
        assert_eq!(record.deposits.len(), 1);
        assert_eq!(record.deposits[0].amount, 100_000_000_000);
        assert_eq!(record.skipped.len(), 1, "the unknown payload is skipped, with why");
        assert!(record.gas_used > 0);
        let txs = store.momentum_transactions(1, 1, 10).unwrap();
        assert_eq!(txs.len(), 1, "from position 1");
        assert_eq!((txs[0].0, txs[0].1.nonce, txs[0].1.amount), (1, 1, 6));
        assert_eq!(txs[0].1.target, Some(bob.address()));
        let second = store.momentum_transactions(2, 0, 10).unwrap();
        use zr_executor::index::Outcome;
        let outcomes: Vec<u8> = second.iter().map(|(_, tx)| tx.outcome.status).collect();
        assert_eq!(outcomes, [Outcome::EXECUTED, Outcome::DROPPED], "the momentum lists the drop, as one");
        assert!(second[1].1.outcome.reason.is_some());
    }
    let rollup = rollup_in(dir.path(), 3);
    let store = rollup.store();
    let newest_first = |address: &Address, before| {
        store
            .address_transactions(address, before, 10)
            .unwrap()
            .into_iter()
            .map(|(at, _, role)| (at, role))
            .collect::<Vec<_>>()
    };
    use zr_executor::index::Role;
    assert_eq!(
        newest_first(&alice.address(), None),
        [((2, 0), Role::Sender), ((1, 1), Role::Sender), ((1, 0), Role::Sender)]
    );
    assert_eq!(newest_first(&alice.address(), Some((1, 1))), [((1, 0), Role::Sender)], "strictly before the cursor");
    assert_eq!(newest_first(&bob.address(), None).len(), 3, "the dropped transfer is not in Bob's history");
    assert!(newest_first(&bob.address(), None).iter().all(|(_, role)| *role == Role::Target));
    assert_eq!(store.recent_momentums(2, 5).unwrap().iter().map(|(h, _)| *h).collect::<Vec<_>>(), [2, 1]);

    // prune_depth 3: committing height 4 prunes height 1, its transactions and its address rows.
    for height in 3..=4 {
        rollup.process(&momentum(height, vec![])).unwrap().unwrap();
    }
    assert!(store.momentum_record(1).unwrap().is_none());
    assert!(store.momentum_transactions(1, 0, 10).unwrap().is_empty());
    assert_eq!(newest_first(&alice.address(), None), [((2, 0), Role::Sender)]);
    assert_eq!(newest_first(&bob.address(), None).len(), 1);
    assert!(store.momentum_record(2).unwrap().is_some());
}
