//! The k-of-n multisig wallet example (it uses the SDK's heap).

use serde_json::{Value, json};
use zr_testkit::{App, Contract, Hash, KeyPair, Wallet, ZNN};

use super::*;

fn owner(n: u8) -> KeyPair {
    KeyPair::from_seed(&[n; 32])
}

/// A 2-of-3 wallet holding 10 ZNN.
fn wallet() -> (App, Wallet, Contract) {
    let (mut app, alice, _) = app_with_two_wallets();
    let owners: Vec<String> = (1..=3).map(|n| format!("0x{}", hex(&owner(n).public().0))).collect();
    let wallet = app.deploy(&alice, &example("multisig"), json!([owners, 2])).unwrap();
    let deposited = app.call_with_value(&alice, &wallet, "deposit", json!([]), 10 * ZNN).unwrap();
    assert_eq!(deposited.event("Deposited").unwrap()["amount"], json!((10 * ZNN).to_string()));
    (app, alice, wallet)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn pay(to: &zr_testkit::Address, amount: u128) -> Value {
    json!({ "to": to, "amount": amount.to_string(), "method": "", "input": "0x" })
}

/// Owners `signers` approve `action` as action `nonce`, signing the hash the wallet itself reports.
fn approvals(app: &App, wallet: &Contract, action: &Value, nonce: u64, signers: &[u8]) -> Value {
    let hash = app.query(wallet, "action_hash", json!([action, nonce])).unwrap();
    let bytes: Vec<u8> =
        (0..32).map(|i| u8::from_str_radix(&hash.as_str().unwrap()[2 + 2 * i..4 + 2 * i], 16).unwrap()).collect();
    let hash = Hash(bytes.try_into().unwrap());
    let list: Vec<Value> = signers
        .iter()
        .map(|n| json!({ "owner": u32::from(*n) - 1, "signature": format!("0x{}", hex(&owner(*n).sign(&hash).0)) }))
        .collect();
    Value::Array(list)
}

#[test]
fn two_of_three_owners_pay_once() {
    let (mut app, alice, wallet) = wallet();
    let receiver = zr_testkit::Address::from_public_key(b"receiver");
    let action = pay(&receiver, 3 * ZNN);
    let approved = approvals(&app, &wallet, &action, 0, &[1, 3]);
    let executed = app.call(&alice, &wallet, "execute", json!([action, 0, approved])).unwrap();
    assert_eq!(executed.event("Executed").unwrap()["approvals"], json!(2));
    assert_eq!(app.balance(&receiver), 3 * ZNN);
    assert_eq!(app.balance(&wallet.address), 7 * ZNN);
    // The same approvals again: the nonce moved, the action ran once.
    let replayed = app.call(&alice, &wallet, "execute", json!([action, 0, approved])).unwrap_err();
    assert_eq!(replayed.reason(), "aborted: wrong nonce: the action ran already or is out of order");
    assert_eq!(app.query(&wallet, "next_nonce", json!([])).unwrap(), json!("1"));
}

#[test]
fn attack_too_few_duplicated_foreign_or_stale_approvals_are_refused() {
    let (mut app, alice, wallet) = wallet();
    let receiver = zr_testkit::Address::from_public_key(b"receiver");
    let action = pay(&receiver, ZNN);
    let one = approvals(&app, &wallet, &action, 0, &[2]);
    let cases = [
        (one.clone(), "aborted: not enough approvals"),
        (json!([one[0], one[0]]), "aborted: an owner approved twice"),
        (
            approvals(&app, &wallet, &action, 1, &[1, 2]),
            "aborted: an approval's signature is not valid for this action and nonce",
        ),
        (
            json!([one[0], { "owner": 0, "signature": format!("0x{}", hex(&[7; 64])) }]),
            "aborted: an approval's signature is not valid for this action and nonce",
        ),
        (json!([one[0], { "owner": 3, "signature": one[0]["signature"] }]), "aborted: an approval names no owner"),
    ];
    for (approved, expected) in cases {
        let failed = app.call(&alice, &wallet, "execute", json!([action, 0, approved])).unwrap_err();
        assert_eq!(failed.reason(), expected);
    }
    // Approvals of another action do not carry over to this one.
    let other = approvals(&app, &wallet, &pay(&receiver, 2 * ZNN), 0, &[1, 2]);
    let failed = app.call(&alice, &wallet, "execute", json!([action, 0, other])).unwrap_err();
    assert_eq!(failed.reason(), "aborted: an approval's signature is not valid for this action and nonce");
    assert_eq!(app.balance(&receiver), 0);
}

#[test]
fn an_action_calls_a_contract_as_the_wallet() {
    let (mut app, alice, wallet) = wallet();
    let token = deploy_token(&mut app, &alice);
    app.call(&alice, &token, "mint", json!([wallet.address, "500"])).unwrap();
    let input = format!("0x{}{}", hex(&alice.address().0), hex(&200u128.to_le_bytes()));
    let action = json!({ "to": token.address, "amount": "0", "method": "transfer", "input": input });
    let approved = approvals(&app, &wallet, &action, 0, &[1, 2]);
    let executed = app.call(&alice, &wallet, "execute", json!([action, 0, approved])).unwrap();
    assert_eq!(executed.event("Transfer").unwrap()["from"], json!(wallet.address));
    assert_eq!(app.query(&token, "balance", json!([alice.address()])).unwrap(), json!("200"));
}

#[test]
fn a_wallet_needs_distinct_owners_and_a_reachable_threshold() {
    let (mut app, alice, _) = app_with_two_wallets();
    let key = format!("0x{}", hex(&owner(1).public().0));
    for (owners, threshold, expected) in [
        (json!([key, key]), 1, "aborted: an owner is listed twice"),
        (json!([key]), 2, "aborted: the threshold must be between 1 and the number of owners"),
        (json!([]), 0, "aborted: a wallet has 1 to 64 owners"),
    ] {
        let failed = app.deploy(&alice, &example("multisig"), json!([owners, threshold])).unwrap_err();
        assert_eq!(failed.reason(), expected);
    }
}

/// The identity point "signs" every message under a lax ed25519 check (R = identity, s = 0): as an owner key
/// it would let anyone fill that owner's approval. The host's check is strict.
#[test]
fn attack_a_small_order_owner_key_approves_nothing() {
    let (mut app, alice, _) = app_with_two_wallets();
    let identity = format!("0x01{}", "00".repeat(31));
    let real = format!("0x{}", hex(&owner(1).public().0));
    let wallet = app.deploy(&alice, &example("multisig"), json!([[identity, real], 2])).unwrap();
    app.call_with_value(&alice, &wallet, "deposit", json!([]), 5 * ZNN).unwrap();
    let receiver = zr_testkit::Address::from_public_key(b"receiver");
    let action = pay(&receiver, ZNN);
    let mut approved = approvals(&app, &wallet, &action, 0, &[1]);
    // Owner 1's real approval is owner index 1 here; index 0 is the identity key with a forged signature.
    approved[0]["owner"] = json!(1);
    let forged = json!({ "owner": 0, "signature": format!("0x01{}", "00".repeat(63)) });
    let failed = app.call(&alice, &wallet, "execute", json!([action, 0, [forged, approved[0]]])).unwrap_err();
    assert_eq!(failed.reason(), "aborted: an approval's signature is not valid for this action and nonce");
    assert_eq!(app.balance(&receiver), 0);
}
