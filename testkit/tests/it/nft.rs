//! The NFT collection example.

use serde_json::json;
use zr_testkit::{App, Contract, Wallet};

use super::*;

fn collection() -> (App, Wallet, Wallet, Contract) {
    let (mut app, alice, bob) = app_with_two_wallets();
    let nft = app.deploy(&alice, &example("nft"), json!(["Zenon Cats", "ZCAT"])).unwrap();
    (app, alice, bob, nft)
}

#[test]
fn the_owner_mints_tokens_with_metadata() {
    let (mut app, alice, bob, nft) = collection();
    let minted = app.call(&alice, &nft, "mint", json!([bob.address(), "ipfs://cat/1"])).unwrap();
    assert_eq!(minted.value, json!("1"));
    assert_eq!(minted.event("Transfer").unwrap()["to"], json!(bob.address()));
    app.call(&alice, &nft, "mint", json!([bob.address(), "ipfs://cat/2"])).unwrap();
    assert_eq!(app.query(&nft, "token_uri", json!([2])).unwrap(), json!("ipfs://cat/2"));
    assert_eq!(app.query(&nft, "owner_of", json!([1])).unwrap(), json!(bob.address()));
    assert_eq!(app.query(&nft, "balance_of", json!([bob.address()])).unwrap(), json!("2"));
    assert_eq!(app.query(&nft, "collection", json!([])).unwrap(), json!(["Zenon Cats", "ZCAT"]));
    let by_bob = app.call(&bob, &nft, "mint", json!([bob.address(), "x"])).unwrap_err();
    assert_eq!(by_bob.reason(), "aborted: only the collection's owner mints");
    let missing = app.query(&nft, "token_uri", json!([3])).unwrap_err();
    assert_eq!(missing.reason(), "aborted: no such token");
}

#[test]
fn holders_transfer_and_an_approved_spender_moves_one_token_once() {
    let (mut app, alice, bob, nft) = collection();
    app.call(&alice, &nft, "mint", json!([alice.address(), "ipfs://cat/1"])).unwrap();
    app.call(&alice, &nft, "approve", json!([bob.address(), 1])).unwrap();
    assert_eq!(app.query(&nft, "approved", json!([1])).unwrap(), json!(bob.address()));
    app.call(&bob, &nft, "transfer_from", json!([alice.address(), bob.address(), 1])).unwrap();
    assert_eq!(app.query(&nft, "owner_of", json!([1])).unwrap(), json!(bob.address()));
    // The approval went with the transfer.
    let zero = zr_testkit::Address::default();
    assert_eq!(app.query(&nft, "approved", json!([1])).unwrap(), json!(zero));
    assert_eq!(app.query(&nft, "balance_of", json!([alice.address()])).unwrap(), json!("0"));
}

#[test]
fn attack_strangers_cannot_move_or_approve_and_operators_can() {
    let (mut app, alice, bob, nft) = collection();
    let carol = app.account(1000 * zr_testkit::ZNN);
    app.call(&alice, &nft, "mint", json!([alice.address(), "ipfs://cat/1"])).unwrap();
    let stolen = app.call(&bob, &nft, "transfer_from", json!([alice.address(), bob.address(), 1])).unwrap_err();
    assert_eq!(stolen.reason(), "aborted: not the token's owner, approved spender or an operator");
    let approved = app.call(&bob, &nft, "approve", json!([bob.address(), 1])).unwrap_err();
    assert_eq!(approved.reason(), "aborted: not the token's owner or an operator");
    let wrong_from = app.call(&alice, &nft, "transfer_from", json!([bob.address(), carol.address(), 1])).unwrap_err();
    assert_eq!(wrong_from.reason(), "aborted: `from` does not own the token");
    app.call(&alice, &nft, "set_approval_for_all", json!([bob.address(), true])).unwrap();
    assert_eq!(app.query(&nft, "is_approved_for_all", json!([alice.address(), bob.address()])).unwrap(), json!(true));
    app.call(&bob, &nft, "transfer_from", json!([alice.address(), carol.address(), 1])).unwrap();
    assert_eq!(app.query(&nft, "owner_of", json!([1])).unwrap(), json!(carol.address()));
    let burned = app.call(&carol, &nft, "transfer_from", json!([carol.address(), zr_testkit::Address::default(), 1]));
    assert_eq!(burned.unwrap_err().reason(), "aborted: tokens cannot go to the zero address");
}
