//! The example contracts, deployed and run through the executor.

use zr_common::rollup::ReceiptStatus;

use crate::harness::*;

#[test]
fn token_mint_transfer_allowance() {
    let mut h = Harness::new();
    let (owner, alice, bob) = (key(1), key(2), key(3));
    let token = h.deploy(&owner, &contract_wasm("token"), vec![], 0);

    let r = h.call(&owner, token, "mint", args(&[&alice.address().0, &1000u128.to_le_bytes()]));
    assert_eq!(r.status, ReceiptStatus::Success, "{r:?}");
    let r = h.call(&alice, token, "mint", args(&[&alice.address().0, &1u128.to_le_bytes()]));
    assert_eq!(failed_reason(&r), "aborted: only the owner mints");

    let r = h.call(&alice, token, "transfer", args(&[&bob.address().0, &300u128.to_le_bytes()]));
    assert_eq!(r.status, ReceiptStatus::Success, "{r:?}");
    assert_eq!(r.events.len(), 1);
    assert_eq!(r.events[0].topic, b"Transfer");
    let r = h.call(&bob, token, "balance", bob.address().0.to_vec());
    assert_eq!(r.return_data, 300u128.to_le_bytes());
    let r = h.call(&bob, token, "balance", alice.address().0.to_vec());
    assert_eq!(r.return_data, 700u128.to_le_bytes());

    let r = h.call(&bob, token, "transfer", args(&[&alice.address().0, &301u128.to_le_bytes()]));
    assert_eq!(failed_reason(&r), "aborted: insufficient token balance");
    assert!(r.events.is_empty());

    let r = h.call(&alice, token, "approve", args(&[&bob.address().0, &50u128.to_le_bytes()]));
    assert_eq!(r.status, ReceiptStatus::Success);
    let r = h.call(&bob, token, "transfer_from", args(&[&alice.address().0, &bob.address().0, &40u128.to_le_bytes()]));
    assert_eq!(r.status, ReceiptStatus::Success, "{r:?}");
    let r = h.call(&bob, token, "allowance", args(&[&alice.address().0, &bob.address().0]));
    assert_eq!(r.return_data, 10u128.to_le_bytes());
    let r = h.call(&bob, token, "transfer_from", args(&[&alice.address().0, &bob.address().0, &11u128.to_le_bytes()]));
    assert_eq!(failed_reason(&r), "aborted: allowance exceeded");
    let r = h.call(&bob, token, "total_supply", vec![]);
    assert_eq!(r.return_data, 1000u128.to_le_bytes());
    // init cannot be called again by a transaction.
    let r = h.call(&bob, token, "init", vec![]);
    assert!(failed_reason(&r).contains("reserved"));
}

#[test]
fn counter_and_cross_contract_call() {
    let mut h = Harness::new();
    let user = key(1);
    let a = h.deploy(&user, &contract_wasm("counter"), vec![], 0);
    let b = h.deploy(&user, &contract_wasm("counter"), vec![], 0);
    assert_eq!(h.call(&user, a, "increment", vec![]).return_data, 1u64.to_le_bytes());
    assert_eq!(h.call(&user, a, "add", 41u64.to_le_bytes().to_vec()).return_data, 42u64.to_le_bytes());
    assert_eq!(h.call(&user, a, "get", vec![]).return_data, 42u64.to_le_bytes());
    let r = h.call(&user, a, "add_to", b.0.to_vec());
    assert_eq!(r.status, ReceiptStatus::Success, "{r:?}");
    assert_eq!(r.return_data, 1u64.to_le_bytes());
    assert_eq!(h.call(&user, b, "get", vec![]).return_data, 1u64.to_le_bytes());
    let r = h.call(&user, a, "nope", vec![]);
    assert!(failed_reason(&r).contains("not found"));
}

#[test]
fn escrow_release_and_refund_after_deadline() {
    let mut h = Harness::new();
    let (buyer, seller) = (key(1), key(2));
    let init = args(&[&seller.address().0, &20u64.to_le_bytes()]);
    let escrow = h.deploy(&buyer, &contract_wasm("escrow"), init.clone(), 5_000);
    assert_eq!(h.account(&escrow).znn, 5_000);
    let r = h.call(&seller, escrow, "release", vec![]);
    assert_eq!(failed_reason(&r), "aborted: only the buyer releases");
    let seller_before = h.account(&seller.address()).znn;
    let r = h.call(&buyer, escrow, "release", vec![]);
    assert_eq!(r.status, ReceiptStatus::Success, "{r:?}");
    assert_eq!(h.account(&escrow).znn, 0);
    assert_eq!(h.account(&seller.address()).znn, seller_before + 5_000);
    assert_eq!(h.call(&buyer, escrow, "status", vec![]).return_data, vec![1]);

    // A second escrow: the buyer can only take the funds back after the deadline.
    let escrow = h.deploy(&buyer, &contract_wasm("escrow"), init, 7_000);
    let r = h.call(&buyer, escrow, "refund", vec![]);
    assert!(failed_reason(&r).contains("after the deadline"));
    h.block.height = 21;
    let r = h.call(&buyer, escrow, "refund", vec![]);
    assert_eq!(r.status, ReceiptStatus::Success, "{r:?}");
    assert_eq!(h.call(&buyer, escrow, "status", vec![]).return_data, vec![2]);
}

#[test]
fn fees_go_to_the_poster_and_failures_still_pay() {
    let mut h = Harness::new();
    let (alice, bob) = (key(1), key(2));
    let poster_before = h.account(&h.poster).znn;
    let r = h.exec_with(&alice, transfer(bob.address(), 10), 100_000, 3);
    assert_eq!(r.status, ReceiptStatus::Success);
    assert_eq!(h.account(&h.poster).znn, poster_before + u128::from(r.gas_used) * 3);
    let r = h.exec_with(&alice, transfer(bob.address(), u128::MAX), 100_000, 1);
    assert!(failed_reason(&r).contains("insufficient"));
    assert!(r.gas_used > 0);
    assert_eq!(h.account(&alice.address()).nonce, 2);
}

#[test]
fn the_fee_is_reserved_before_execution() {
    let mut h = Harness::new();
    let (alice, bob) = (key(1), key(2));
    let balance = h.account(&alice.address()).znn;
    let gas_limit = 100_000u64;
    let max_fee = u128::from(gas_limit) * 3;
    // Spending everything cannot dodge the fee: the maximum fee is held back first.
    let r = h.exec_with(&alice, transfer(bob.address(), balance), gas_limit, 3);
    assert!(failed_reason(&r).contains("insufficient"), "{r:?}");
    let poster_before = h.account(&h.poster).znn;
    let left = h.account(&alice.address()).znn;
    let r = h.exec_with(&alice, transfer(bob.address(), left - max_fee), gas_limit, 3);
    assert_eq!(r.status, ReceiptStatus::Success, "{r:?}");
    assert_eq!(h.account(&h.poster).znn, poster_before + u128::from(r.gas_used) * 3);
    assert_eq!(h.account(&alice.address()).znn, max_fee - u128::from(r.gas_used) * 3);
}
