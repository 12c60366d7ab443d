//! Two executors on one devnet (one over JSON-RPC, one in process): deposits, uploads, deploys, calls through the inbox; identical roots and
//! claims for every momentum; claims on L1; the query RPC.

use std::time::Duration;

use serde_json::json;
use zr_common::rollup::{BundleBody, ReceiptStatus, TxKind};
use zr_common::{Address, TokenStandard, sha3_256};
use zr_protocol::{StateKey, leaves_root};
use zr_rpc_api::{CallRequest, RollupStateApiClient, RollupTxApiClient, TransactionStatus};
use zr_sequencing::bundle::encode_bundle;
use zr_sequencing::{L1, SendRequest, canonical_order, send_block};

use crate::rollup_support::*;
use crate::support::{CHAIN, TestNet};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_executors_agree_on_every_momentum() {
    let net = TestNet::start().await;
    let dirs = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    // Executor 1 listens for gossip; executor 2 dials it as a static peer.
    let mut c1 = executor_config(&net, &net.executors[0], dirs.0.path());
    c1.p2p.listen = Some("/ip4/127.0.0.1/tcp/0".into());
    let e1 = zr_executor::node::start(&c1, net.executors[0].clone(), net.client()).await.unwrap();
    let mut c2 = executor_config(&net, &net.executors[1], dirs.1.path());
    c2.p2p.listen = Some("/ip4/127.0.0.1/tcp/0".into());
    c2.p2p.peers = vec![e1.gossip.as_ref().unwrap().listening[0].to_string()];
    // Executor 2 reads the devnet in process (the `L1` adapter `zr up` uses), executor 1 over znnd's JSON-RPC:
    // both must reach the same roots.
    let in_process = std::sync::Arc::new(zr_devnet::InProcessL1::new(net.handle().chain.clone()));
    let e2 = zr_executor::node::start(&c2, net.executors[1].clone(), in_process).await.unwrap();
    let (u1, u2) = (e1.rpc_url(), e2.rpc_url());
    let (a1, a2) = (api(&u1), api(&u2));
    let alice = net.alice.clone();
    let bob = net.bob.address();

    // A deposit: ZNN sent to the inbox credits the sender on the rollup.
    post_data(&net, &alice, vec![], 10_000_000_000).await;
    for _ in 0..400 {
        if a1.get_balance(alice.address(), None).await.unwrap().znn == 10_000_000_000 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(a1.get_balance(alice.address(), None).await.unwrap().znn, 10_000_000_000);

    // Upload and deploy in one bundle, then mint and transfer in another.
    let token = deploy_token(&net, &alice).await;
    let mint = mint(&alice, 2, token, alice.address(), 1000);
    let transfer = sign(
        &alice,
        3,
        TxKind::Call {
            contract: token,
            method: "transfer".into(),
            input: [bob.0.as_slice(), &10u128.to_le_bytes()].concat(),
            value: 0,
        },
    );
    post(&net, &alice, vec![mint.clone(), transfer.clone()]).await;
    // Junk the executors must skip: garbage data. A bundle whose signature is broken never reaches them: the
    // inbox refuses it when it is published.
    post_data(&net, &alice, b"\x01not a bundle".to_vec(), 0).await;
    let mut forged = sign(&alice, 4, TxKind::Transfer { to: bob, token: TokenStandard::ZNN, amount: 1 });
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

    let view = executed(&u1, &transfer.hash()).await;
    assert_eq!(view.status, TransactionStatus::Executed, "{view:?}");
    assert_eq!(executed(&u1, &mint.hash()).await.status, TransactionStatus::Executed);
    assert!(a1.get_transaction(forged.hash()).await.unwrap().is_none());

    // Read-only call and storage.
    let request = CallRequest {
        contract: token,
        method: "balance".into(),
        input: bob.0.to_vec(),
        from: None,
        gas_limit: None,
        height: None,
    };
    let call = a1.call(request).await.unwrap();
    assert!(call.success, "{call:?}");
    assert_eq!(call.return_data, 10u128.to_le_bytes());
    let storage_key = [b"b".as_slice(), &bob.0].concat();
    let stored = a1.get_storage(token, hex::encode(&storage_key), None).await.unwrap();
    assert_eq!(stored, Some(hex::encode(10u128.to_le_bytes())));
    let receipt = a1.get_receipt(transfer.hash()).await.unwrap().unwrap();
    assert_eq!(receipt.status, ReceiptStatus::Success);

    // A proof of Bob's balance verifies against the root it came with.
    let key = StateKey::Storage { contract: token, key: storage_key };
    let proof = a1.get_proof(key.clone(), None).await.unwrap();
    assert_eq!(proof.value, Some(10u128.to_le_bytes().to_vec()));
    assert_eq!(proof.proof.verify(&proof.root, &key.hash()).unwrap(), Some(sha3_256(&10u128.to_le_bytes())));

    // Both executors reach the same state at every height.
    let target = head(&u1).await + 2;
    for url in [&u1, &u2] {
        for _ in 0..400 {
            if head(url).await >= target {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
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

    // Claims reach L1: the inbox carries e1's signed claims.
    let client = net.client();
    let mut found = false;
    for _ in 0..200 {
        let frontier = client.frontier_momentum().await.unwrap().height;
        let momentums = client.detailed_momentums(1, frontier).await.unwrap();
        for m in &momentums {
            let blocks: Vec<_> = m.blocks.iter().map(|b| b.block.clone()).collect();
            let ordered = canonical_order(ROLLUP, &Address::INBOX, &m.momentum.momentum.previous_hash, &blocks);
            for (poster, claim) in ordered.claims {
                if poster == net.executors[0].address() {
                    claim.verify_signature().unwrap();
                    let stored = a1.get_claim(claim.body.height).await.unwrap();
                    assert_eq!(stored, Some(claim));
                    found = true;
                }
            }
        }
        if found {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(found, "no claim of executor 1 on L1");

    // Claims travel by gossip too: executor 2 holds executor 1's claims, validated.
    let mut gossiped = false;
    for _ in 0..200 {
        let height = head(&u1).await;
        let peers = a2.get_peer_claims(height).await.unwrap();
        if let Some(claim) = peers.iter().find(|c| c.body.executor == net.executors[0].public()) {
            claim.verify_signature().unwrap();
            gossiped = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(gossiped, "executor 2 never received executor 1's claims over gossip");

    // History is bounded (8 momentums here): old heights answer with a clear error.
    while head(&u1).await < 12 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let pruned = a1.get_proof(key, Some(1)).await.unwrap_err().to_string();
    assert!(pruned.contains("pruned"), "{pruned}");
    let bad = raw_rpc(&u1, "rollup.getBalance", json!(["not an address"])).await;
    assert_eq!(bad["error"]["code"], -32602);
    let ops = reqwest::get(format!("http://{}/metrics", e1.ops_addr)).await.unwrap().text().await.unwrap();
    assert!(ops.contains("zr_executor_momentum_height"));
    assert!(ops.contains("zr_executor_rpc_errors_total{method=\"rollup.getBalance\"} 1"), "{ops}");
    assert!(ops.contains("zr_executor_rpc_seconds_count{method=\"rollup.getProof\"}"), "{ops}");
    assert!(ops.contains("zr_executor_momentum_seconds_bucket"), "a histogram: {ops}");
    e1.stop().await;
    e2.stop().await;
}
