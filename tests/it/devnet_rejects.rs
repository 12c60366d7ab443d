//! Bad input to the devnet: each refused with a JSON-RPC error that names the reason, the chain unchanged.

use serde_json::{Value, json};
use zr_common::nom::{AccountBlock, BlockType, HashHeight, plasma};
use zr_common::{Address, Hash, KeyPair, TokenStandard};
use zr_sequencing::L1;

use crate::support::{CHAIN, TestNet};

/// A valid next send of `key` (fused plasma), unsigned fields filled.
async fn next_send(net: &TestNet, key: &KeyPair) -> AccountBlock {
    let client = net.client();
    let frontier = client.frontier_block(&key.address()).await.unwrap().unwrap();
    let momentum = client.frontier_momentum().await.unwrap();
    let acknowledged = HashHeight { hash: momentum.hash, height: momentum.height };
    let mut block = AccountBlock {
        to_address: Address::INBOX,
        token_standard: TokenStandard::ZNN,
        amount: 1,
        data: b"bundle".to_vec(),
        fused_plasma: plasma::required_plasma(6),
        ..AccountBlock::next(CHAIN, BlockType::UserSend, key.address(), Some(&frontier), acknowledged)
    };
    block.sign(key);
    block
}

async fn publish_raw(net: &TestNet, block: &AccountBlock) -> Value {
    let body = json!({ "jsonrpc": "2.0", "id": 7, "method": "ledger.publishRawTransaction", "params": [block] });
    net.raw(&body.to_string()).await
}

/// A change to a valid block that makes it invalid.
type Change = fn(&mut AccountBlock);

async fn assert_refused(net: &TestNet, block: &AccountBlock, reason: &str) {
    let alice = net.alice.address();
    let client = net.client();
    let height_before = client.account_info(&alice).await.unwrap().account_height;
    let answer = publish_raw(net, block).await;
    assert_eq!(answer["id"], 7);
    assert_eq!(answer["error"]["code"], -32000, "{answer}");
    let message = answer["error"]["message"].as_str().unwrap();
    assert!(message.contains(reason), "expected {reason:?}, got {message:?}");
    assert_eq!(client.account_info(&alice).await.unwrap().account_height, height_before, "chain changed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_blocks_are_refused_with_their_reason() {
    let net = TestNet::start().await;
    let alice = net.alice.clone();
    let valid = next_send(&net, &alice).await;

    let mut wrong_hash = valid.clone();
    wrong_hash.hash = Hash([9; 32]);
    assert_refused(&net, &wrong_hash, "hash is different than the one computed").await;

    let mut bad_signature = valid.clone();
    bad_signature.signature[0] ^= 1;
    assert_refused(&net, &bad_signature, "signature is invalid").await;

    let mut other_signer = valid.clone();
    other_signer.sign(&net.bob);
    assert_refused(&net, &other_signer, "publicKey doesn't correspond to the address").await;

    // Each change signed again by alice, so only the change is wrong.
    let signed_changes: [(Change, &str); 12] = [
        (|b| b.chain_identifier = 1, "different network Id (1) from the node (321)"),
        (|b| b.previous_hash = Hash([4; 32]), "previous block is missing"),
        (|b| b.height += 1, "previous block is missing"),
        (
            |b| {
                b.data = vec![0; 16 * 1024 + 1];
                b.fused_plasma = 10_000_000;
            },
            "data field is too big",
        ),
        (|b| b.fused_plasma = 21_000, "not enough TotalPlasma"),
        (|b| b.block_type = BlockType::ContractSend as u64, "can't apply BlockTypeContractSend"),
        (|b| b.block_type = BlockType::GenesisReceive as u64, "must not be genesis"),
        (|b| b.amount = u128::from(u64::MAX), "insufficient balance for transfer"),
        (|b| b.token_standard = "zts1k5stg3k4dmevfgwtgmg36u".parse().unwrap(), "doesn\u{2019}t exist"),
        (|b| b.momentum_acknowledged.hash = Hash([5; 32]), "momentum-acknowledged points to missing momentum"),
        (
            |b| {
                b.fused_plasma = 0;
                b.difficulty = plasma::difficulty_for_plasma(plasma::required_plasma(6));
                b.nonce = [0; 8];
            },
            "nonce/difficulty is invalid",
        ),
        (
            |b| {
                b.block_type = BlockType::UserReceive as u64;
                b.to_address = Address::ZERO;
                b.amount = 0;
                b.token_standard = TokenStandard::ZERO;
                b.data = vec![];
                b.from_block_hash = Hash([6; 32]);
            },
            "from-block doesn't exist",
        ),
    ];
    for (change, reason) in signed_changes {
        let mut block = valid.clone();
        change(&mut block);
        block.sign(&alice);
        assert_refused(&net, &block, reason).await;
    }

    // The valid block itself is accepted, and only once.
    assert_eq!(publish_raw(&net, &valid).await["result"], Value::Null);
    let again = publish_raw(&net, &valid).await;
    assert!(again["error"]["message"].as_str().unwrap().contains("prevHeight"), "{again}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_get_json_rpc_errors() {
    let net = TestNet::start().await;
    let parse = net.raw("{not json").await;
    assert_eq!(parse["error"]["code"], -32700, "{parse}");
    let unknown = net.raw(r#"{"jsonrpc":"2.0","id":1,"method":"ledger.noSuchMethod","params":[]}"#).await;
    assert_eq!(unknown["error"]["code"], -32601, "{unknown}");
    let bad_params =
        net.raw(r#"{"jsonrpc":"2.0","id":1,"method":"ledger.getAccountInfoByAddress","params":["z1nope"]}"#).await;
    assert_eq!(bad_params["error"]["code"], -32602, "{bad_params}");
    let garbage_block =
        net.raw(r#"{"jsonrpc":"2.0","id":1,"method":"ledger.publishRawTransaction","params":[{"amount":12}]}"#).await;
    assert_eq!(garbage_block["error"]["code"], -32602, "{garbage_block}");
    let batch = net
        .raw(r#"[{"jsonrpc":"2.0","id":1,"method":"ledger.getFrontierMomentum","params":[]},{"jsonrpc":"2.0","id":2,"method":"nope","params":[]}]"#)
        .await;
    let answers = batch.as_array().expect("a batch gets an array");
    assert_eq!(answers.len(), 2);
    assert!(answers.iter().any(|a| a["id"] == 1 && a["result"]["height"].as_u64().is_some()));
    assert!(answers.iter().any(|a| a["id"] == 2 && a["error"]["code"] == -32601));
    let range = net.raw(r#"{"jsonrpc":"2.0","id":1,"method":"ledger.getMomentumsByHeight","params":[1,5000]}"#).await;
    assert_eq!(range["error"]["message"], "count parameter is too big");

    // An oversized body is refused, and the server keeps serving.
    let huge = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"ledger.publishRawTransaction","params":[{{"data":"{}"}}]}}"#,
        "A".repeat(2 * 1024 * 1024)
    );
    let response = reqwest::Client::new()
        .post(net.handle().http_url())
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await;
    // The server answers 413 as soon as the length is over; a client still writing the body may see the
    // connection closed under it instead (a refusal all the same).
    match response {
        Ok(response) => assert_eq!(response.status(), 413),
        Err(err) => assert!(err.is_request(), "{err:?}"),
    }
    let frontier = net.raw(r#"{"jsonrpc":"2.0","id":1,"method":"ledger.getFrontierMomentum","params":[]}"#).await;
    assert!(frontier["result"]["height"].as_u64().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn znnd_shapes_and_ops_endpoint() {
    let net = TestNet::start().await;
    let alice = net.alice.address();
    let info = net.call("ledger.getAccountInfoByAddress", json!([alice])).await;
    let znn = &info["result"]["balanceInfoMap"]["zts1znnxxxxxxxxxxxxx9z4ulx"];
    assert_eq!(znn["balance"], "100000000000000");
    assert_eq!(znn["token"]["symbol"], "ZNN");
    assert_eq!(info["result"]["accountHeight"], 1);
    let plasma = net.call("embedded.plasma.get", json!([alice])).await;
    assert_eq!(
        plasma["result"],
        json!({"currentPlasma": 10_500_000, "maxPlasma": 10_500_000, "qsrAmount": "500000000000"})
    );
    let required = net
        .call(
            "embedded.plasma.getRequiredPoWForAccountBlock",
            json!([{"address": net.bob.address(), "blockType": 2, "toAddress": alice, "data": ""}]),
        )
        .await;
    assert_eq!(
        required["result"],
        json!({"availablePlasma": 0, "basePlasma": 21000, "requiredDifficulty": 31_500_000})
    );
    let genesis = net.raw(r#"{"jsonrpc":"2.0","id":1,"method":"ledger.getMomentumsByHeight","params":[1,1]}"#).await;
    let momentum = &genesis["result"]["list"][0];
    assert_eq!(momentum["height"], 1);
    assert_eq!(momentum["data"], "");
    assert!(momentum["hash"].as_str().unwrap().len() == 64);
    let none = net.call("ledger.getFrontierAccountBlock", json!([Address::ZERO])).await;
    assert_eq!(none["result"], Value::Null);

    let ops = format!("http://{}", net.handle().ops_addr);
    let health = reqwest::get(format!("{ops}/health")).await.unwrap();
    assert_eq!(health.status(), 200);
    let metrics = reqwest::get(format!("{ops}/metrics")).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("zr_devnet_momentum_height"), "{metrics}");
}
