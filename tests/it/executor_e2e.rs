//! Two executors on one devnet (one over JSON-RPC, one in process): deposits, uploads, deploys, calls through the inbox; identical roots and
//! claims for every momentum; claims on L1; the query RPC.

use std::sync::Arc;

use tempfile::TempDir;

use serde_json::json;
use zr_common::daemon::Served;
use zr_common::rollup::{BundleBody, ReceiptStatus, Transaction, TxKind};
use zr_common::{Address, TokenStandard, sha3_256};
use zr_config::ExecutorConfig;
use zr_executor::node::ExecutorHandle;
use zr_protocol::{StateKey, leaves_root};
use zr_rpc_api::{CallRequest, RollupStateApiClient, RollupTxApiClient, TransactionStatus};
use zr_sequencing::bundle::encode_bundle;
use zr_sequencing::{L1, SendRequest, canonical_order, send_block};

use crate::rollup_support::*;
use crate::support::{CHAIN, TestNet, eventually};

/// Executor 1 follows the devnet over znnd's JSON-RPC and listens for gossip; executor 2 reads it in process (the
/// `L1` adapter `zr up` uses) and dials executor 1 as a static peer.
async fn two_executors(net: &TestNet, dirs: &(TempDir, TempDir)) -> (ExecutorHandle, ExecutorHandle) {
    let gossip = |config: &mut ExecutorConfig| config.p2p.listen = Some("/ip4/127.0.0.1/tcp/0".into());
    let e1 = executor_builder(net, &net.executors[0], dirs.0.path())
        .tune_executor(gossip)
        .start(net.client())
        .await
        .unwrap()
        .executor;
    let peer = e1.gossip.as_ref().unwrap().listening[0].to_string();
    let in_process = Arc::new(zr_devnet::InProcessL1::new(net.handle().chain.clone()));
    let e2 = executor_builder(net, &net.executors[1], dirs.1.path())
        .tune_executor(gossip)
        .tune_executor(move |config| config.p2p.peers = vec![peer.clone()])
        .start(in_process)
        .await
        .unwrap()
        .executor;
    (e1, e2)
}

/// Deposits 100 ZNN of Alice's, deploys the token, and has Alice mint 1000 and transfer 10 to Bob, waiting until
/// the executor at `url` has executed both: the token, the mint and the transfer.
async fn token_with_a_transfer(net: &TestNet, url: &str) -> (Address, Transaction, Transaction) {
    let alice = net.alice.clone();
    deposit(net, &alice, 10_000_000_000, url).await;
    let token = deploy_token(net, &alice).await;
    let mint = mint(&alice, 2, token, alice.address(), 1000);
    let input = [net.bob.address().0.as_slice(), &10u128.to_le_bytes()].concat();
    let transfer = sign(&alice, 3, TxKind::Call { contract: token, method: "transfer".into(), input, value: 0 });
    post(net, &alice, vec![mint.clone(), transfer.clone()]).await;
    assert_eq!(executed(url, &mint.hash()).await.status, TransactionStatus::Executed);
    let view = executed(url, &transfer.hash()).await;
    assert_eq!(view.status, TransactionStatus::Executed, "{view:?}");
    (token, mint, transfer)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_executors_agree_on_every_momentum() {
    let net = TestNet::start().await;
    let dirs = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (e1, e2) = two_executors(&net, &dirs).await;
    let (u1, u2) = (e1.rpc_url(), e2.rpc_url());
    let (a1, a2) = (api(&u1), api(&u2));
    let alice = net.alice.clone();

    // A deposit, an upload and a deploy in one bundle, then a mint and a transfer in another.
    token_with_a_transfer(&net, &u1).await;
    // The whole deposit is credited (the fees Alice pays go to the bundles' poster: Alice).
    assert_eq!(a1.get_balance(alice.address(), None).await.unwrap().znn, 10_000_000_000);
    // Junk the executors must skip: garbage data. A bundle whose signature is broken never reaches them: the
    // inbox refuses it when it is published.
    post_data(&net, &alice, b"\x01not a bundle".to_vec(), 0).await;
    let mut forged = sign(&alice, 4, TxKind::Transfer { to: net.bob.address(), token: TokenStandard::ZNN, amount: 1 });
    forged.body.nonce = 5;
    let bundle =
        BundleBody { chain_id: ROLLUP, poster: alice.public(), transactions: vec![forged.clone()] }.sign(&alice);
    let send = SendRequest {
        to: Address::INBOX,
        token: TokenStandard::ZERO,
        amount: 0,
        data: encode_bundle(&bundle).unwrap(),
    };
    let refused = send_block(net.client().as_ref(), CHAIN, &alice, send).await.unwrap_err().to_string();
    assert!(refused.contains("signatures do not verify"), "{refused}");
    assert!(a1.get_transaction(forged.hash()).await.unwrap().is_none());

    // Both executors reach the same state at every height.
    let target = head(&u1).await + 2;
    for url in [&u1, &u2] {
        eventually(async || head(url).await >= target).await;
    }
    for height in 1..=target {
        let c1 = a1.get_claim(height).await.unwrap().unwrap();
        let c2 = a2.get_claim(height).await.unwrap().unwrap();
        c1.verify_signature().unwrap();
        assert_eq!(
            (c1.body.prev_state_root, c1.body.new_state_root, c1.body.leaves_root, c1.body.vm_version),
            (c2.body.prev_state_root, c2.body.new_state_root, c2.body.leaves_root, c2.body.vm_version),
            "height {height}"
        );
        assert_ne!(c1.body.executor, c2.body.executor);
        let leaves = a1.get_claim_leaves(height).await.unwrap().unwrap();
        assert_eq!(Some(&leaves), a2.get_claim_leaves(height).await.unwrap().as_ref());
        assert_eq!(leaves_root(&leaves), c1.body.leaves_root);
    }
    e1.stop().await;
    e2.stop().await;
}

/// Claims reach L1 (the inbox carries executor 1's signed claims, as its RPC holds them) and travel by gossip
/// (executor 2 holds executor 1's, validated).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_reach_l1_and_travel_by_gossip() {
    let net = TestNet::start().await;
    let dirs = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (e1, e2) = two_executors(&net, &dirs).await;
    let (a1, a2) = (api(&e1.rpc_url()), api(&e2.rpc_url()));
    let client = net.client();
    let on_l1 = async || {
        let frontier = client.frontier_momentum().await.unwrap().height;
        let mut found = false;
        for m in &client.detailed_momentums(1, frontier).await.unwrap() {
            let blocks: Vec<_> = m.blocks.iter().map(|b| b.block.clone()).collect();
            let ordered = canonical_order(ROLLUP, &Address::INBOX, &m.momentum.momentum.previous_hash, &blocks);
            for (poster, claim) in ordered.claims {
                if poster == net.executors[0].address() {
                    claim.verify_signature().unwrap();
                    assert_eq!(a1.get_claim(claim.body.height).await.unwrap(), Some(claim));
                    found = true;
                }
            }
        }
        found
    };
    eventually(on_l1).await;
    let gossiped = async || {
        let peers = a2.get_peer_claims(head(&e1.rpc_url()).await).await.unwrap();
        let claim = peers.iter().find(|c| c.body.executor == net.executors[0].public());
        claim.inspect(|claim| claim.verify_signature().expect("a gossiped claim's signature verifies")).is_some()
    };
    eventually(gossiped).await;
    e1.stop().await;
    e2.stop().await;
}

/// The query RPC: a read-only call, storage, a receipt and a proof that verifies against its root; history
/// bounded (8 momentums here) with a clear error past it; bad parameters named; every call in the metrics.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_query_rpc_answers_with_proofs_within_its_history() {
    let net = TestNet::start().await;
    let (_dir, executor) = first_executor(&net).await;
    let url = executor.rpc_url();
    let client = api(&url);
    let (token, _, transfer) = token_with_a_transfer(&net, &url).await;
    let bob = net.bob.address();

    let request = CallRequest {
        contract: token,
        method: "balance".into(),
        input: bob.0.to_vec(),
        from: None,
        gas_limit: None,
        height: None,
    };
    let call = client.call(request).await.unwrap();
    assert!(call.success, "{call:?}");
    assert_eq!(call.return_data, 10u128.to_le_bytes());
    let storage_key = [b"b".as_slice(), &bob.0].concat();
    let stored = client.get_storage(token, hex::encode(&storage_key), None).await.unwrap();
    assert_eq!(stored, Some(hex::encode(10u128.to_le_bytes())));
    let receipt = client.get_receipt(transfer.hash()).await.unwrap().unwrap();
    assert_eq!(receipt.status, ReceiptStatus::Success);

    // A proof of Bob's balance verifies against the root it came with.
    let key = StateKey::Storage { contract: token, key: storage_key };
    let proof = client.get_proof(key.clone(), None).await.unwrap();
    assert_eq!(proof.value, Some(10u128.to_le_bytes().to_vec()));
    assert_eq!(proof.proof.verify(&proof.root, &key.hash()).unwrap(), Some(sha3_256(&10u128.to_le_bytes())));

    // History is bounded: old heights answer with a clear error.
    eventually(async || head(&url).await >= 12).await;
    let pruned = client.get_proof(key, Some(1)).await.unwrap_err().to_string();
    assert!(pruned.contains("pruned"), "{pruned}");
    let bad = raw_rpc(&url, "rollup.getBalance", json!(["not an address"])).await;
    assert_eq!(bad["error"]["code"], -32602);
    let ops = reqwest::get(format!("http://{}/metrics", executor.ops_addr)).await.unwrap().text().await.unwrap();
    assert!(ops.contains("zr_executor_momentum_height"));
    assert!(ops.contains("zr_executor_rpc_errors_total{method=\"rollup.getBalance\"} 1"), "{ops}");
    assert!(ops.contains("zr_executor_rpc_seconds_count{method=\"rollup.getProof\"}"), "{ops}");
    assert!(ops.contains("zr_executor_momentum_seconds_bucket"), "a histogram: {ops}");
    executor.stop().await;
}
