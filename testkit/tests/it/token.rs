//! The token example, typed methods and its ABI, through the test kit.

use serde_json::json;
use zr_testkit::{Failure, ZNN};

use super::*;

#[test]
fn the_owner_mints_and_holders_transfer_with_decoded_events() {
    let (mut app, alice, bob) = app_with_two_wallets();
    let token = deploy_token(&mut app, &alice);
    let minted = app.call(&alice, &token, "mint", json!([alice.address(), "1000"])).unwrap();
    assert_eq!(minted.event("Mint"), Some(&json!({ "to": alice.address(), "amount": "1000" })));
    let sent = app.call(&alice, &token, "transfer", json!({ "to": bob.address(), "amount": "300" })).unwrap();
    assert_eq!(sent.value, json!(null));
    assert_eq!(sent.event("Transfer"), Some(&json!({ "from": alice.address(), "to": bob.address(), "amount": "300" })));
    assert_eq!(app.query(&token, "balance", json!([bob.address()])).unwrap(), json!("300"));
    assert_eq!(app.query(&token, "balance", json!([alice.address()])).unwrap(), json!("700"));
    assert_eq!(app.query(&token, "total_supply", json!([])).unwrap(), json!("1000"));
}

#[test]
fn errors_abort_with_their_message_and_change_nothing() {
    let (mut app, alice, bob) = app_with_two_wallets();
    let token = deploy_token(&mut app, &alice);
    let minted_by_bob = app.call(&bob, &token, "mint", json!([bob.address(), "5"])).unwrap_err();
    assert_eq!(minted_by_bob.reason(), "aborted: only the owner mints");
    let root = app.state_root();
    let overdrawn = app.call(&bob, &token, "transfer", json!([alice.address(), "1"])).unwrap_err();
    assert_eq!(overdrawn.reason(), "aborted: insufficient token balance");
    assert!(matches!(overdrawn, Failure::Failed { gas_used, .. } if gas_used > 0));
    // Only the fee moved: the token's state is as before.
    assert_eq!(app.query(&token, "balance", json!([bob.address()])).unwrap(), json!("0"));
    assert_ne!(app.state_root(), root, "the fee and nonce are paid even by a failed call");
    // `init` runs once, at deploy: a transaction cannot call it again.
    let twice = app.call(&alice, &token, "init", json!([])).unwrap_err();
    assert_eq!(twice.reason(), "method \"init\" is reserved");
}

#[test]
fn allowances_move_tokens_for_the_spender_only_up_to_the_amount() {
    let (mut app, alice, bob) = app_with_two_wallets();
    let token = deploy_token(&mut app, &alice);
    app.call(&alice, &token, "mint", json!([alice.address(), "100"])).unwrap();
    let approved = app.call(&alice, &token, "approve", json!([bob.address(), "60"])).unwrap();
    assert_eq!(approved.event("Approval").unwrap()["amount"], json!("60"));
    app.call(&bob, &token, "transfer_from", json!([alice.address(), bob.address(), "50"])).unwrap();
    let over = app.call(&bob, &token, "transfer_from", json!([alice.address(), bob.address(), "11"])).unwrap_err();
    assert_eq!(over.reason(), "aborted: allowance exceeded");
    assert_eq!(app.query(&token, "allowance", json!([alice.address(), bob.address()])).unwrap(), json!("10"));
}

#[test]
fn malformed_input_aborts_naming_the_argument() {
    let (mut app, alice, _) = app_with_two_wallets();
    let token = deploy_token(&mut app, &alice);
    let short = app.call_raw(&alice, &token.address, "transfer", vec![1; 30], 0).unwrap_err();
    assert_eq!(short.reason(), "aborted: argument `amount` is malformed: input ends early");
    let long = app.call_raw(&alice, &token.address, "balance", vec![1; 21], 0).unwrap_err();
    assert_eq!(long.reason(), "aborted: too many arguments: input has bytes after the last one");
}

#[test]
fn calling_a_method_the_contract_lacks_lists_those_it_has() {
    let (mut app, alice, _) = app_with_two_wallets();
    let token = deploy_token(&mut app, &alice);
    let error = app.query(&token, "balance_of", json!([alice.address()])).unwrap_err();
    assert_eq!(
        error.to_string(),
        "ABI: the contract has no method `balance_of`; its methods: init, mint, transfer, approve, transfer_from, \
         balance, allowance, total_supply"
    );
    let wrong_type = app.call(&alice, &token, "transfer", json!([alice.address(), "-3"])).unwrap_err();
    assert_eq!(wrong_type.to_string(), "ABI: argument `amount` (u128): -3 is negative");
}

/// The typed token must not cost more than 10 % more gas than the hand-parsed one it replaced (kept as a
/// fixture, built from the SDK before typed methods): same wire format, same storage, same events.
#[test]
fn a_typed_transfer_costs_at_most_ten_percent_more_gas_than_the_hand_parsed_one() {
    let gas = |code: &[u8]| {
        let (mut app, alice, bob) = app_with_two_wallets();
        let token = app.deploy_raw(&alice, code, vec![], 0).unwrap();
        let mint = [alice.address().0.as_slice(), &1000u128.to_le_bytes()].concat();
        app.call_raw(&alice, &token.address, "mint", mint, 0).unwrap();
        let transfer = [bob.address().0.as_slice(), &300u128.to_le_bytes()].concat();
        let first = app.call_raw(&alice, &token.address, "transfer", transfer.clone(), 0).unwrap().gas_used;
        let again = app.call_raw(&alice, &token.address, "transfer", transfer, 0).unwrap().gas_used;
        let (balance, _) = app.query_raw(&token.address, "balance", bob.address().0.to_vec()).unwrap();
        assert_eq!(balance, 600u128.to_le_bytes());
        (first, again)
    };
    let before = gas(include_bytes!("fixtures/token-hand-parsed.wasm"));
    let after = gas(&example("token"));
    eprintln!("token transfer gas: hand-parsed {before:?}, typed {after:?}");
    assert!(after.0 * 10 <= before.0 * 11, "first transfer: {after:?} against {before:?}");
    assert!(after.1 * 10 <= before.1 * 11, "second transfer: {after:?} against {before:?}");
}

#[test]
fn height_and_time_are_the_tests_to_set() {
    let (mut app, _, _) = app_with_two_wallets();
    app.set_block(100, 1_800_000_000);
    app.advance(3, 10);
    assert_eq!((app.block().height, app.block().timestamp), (103, 1_800_000_030));
    let rich = app.account(5 * ZNN);
    assert_eq!(app.balance(&rich.address()), 5 * ZNN);
}
