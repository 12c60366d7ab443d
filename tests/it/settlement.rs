//! Settlement on the devnet's inbox contract, through the real RPC: executors bond, their claims are
//! recorded and become final after the window, an unbonded executor's claims never do, executors follow the
//! final root and mark receipts final, bad bonds are refused, and the settlement survives a devnet restart.

use std::time::Duration;

use serde_json::json;
use zr_common::TokenStandard;
use zr_common::rollup::TxKind;
use zr_common::rollup::settlement::{ClaimRecord, ClaimStatus, FINALITY_WINDOW, FinalRoot, MIN_BOND};
use zr_sequencing::bundle::BOND_TAG;
use zr_sequencing::{L1, SendRequest, send_block};

use crate::rollup_support::*;
use crate::support::{CHAIN, TestNet, eventually};

async fn final_root(net: &TestNet) -> Option<FinalRoot> {
    net.client().rollup_final().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bonded_claims_become_final_and_unbonded_ones_never() {
    let mut net = TestNet::start().await;
    let alice = net.alice.clone();
    let (bonded_dir, unbonded_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let bonded = start_executor(&net, &net.executors[0], bonded_dir.path()).await;
    let config = zr_config::ExecutorConfig { bond: 0, ..executor_config(&net, &net.executors[1], unbonded_dir.path()) };
    let unbonded = zr_executor::node::start(&config, net.executors[1].clone(), net.client()).await.unwrap();

    post_data(&net, &alice, vec![], 10_000_000_000).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let pay = sign(&alice, 0, TxKind::Transfer { to: net.bob.address(), token: TokenStandard::ZNN, amount: 9 });
    post(&net, &alice, vec![pay.clone()]).await;
    let view = executed(&bonded.rpc_url(), &pay.hash()).await;
    let height = view.height.unwrap();
    assert!(!view.finalized, "not final when just executed");

    // Final once its window has passed: on L1, then on the executor that follows it.
    let started = std::time::Instant::now();
    eventually(async || final_root(&net).await.is_some_and(|f| f.height >= height)).await;
    println!("height {height} final on L1 {:?} after its execution", started.elapsed());
    let api = api(&bonded.rpc_url());
    eventually(async || {
        use zr_rpc_api::RollupTxApiClient;
        api.get_transaction(pay.hash()).await.unwrap().is_some_and(|v| v.finalized)
    })
    .await;
    let raw = raw_rpc(&bonded.rpc_url(), "rollup.getTransaction", json!([pay.hash()])).await;
    assert_eq!(raw["result"]["final"], true, "{raw}");

    // The claims of that height, over the devnet's own RPC: the bonded executor's final, the other's never.
    let answer = net
        .raw(
            &json!({"jsonrpc": "2.0", "id": 1, "method": "embedded.rollup.getClaims", "params": [height, 1]})
                .to_string(),
        )
        .await;
    let claims: Vec<ClaimRecord> = serde_json::from_value(answer["result"].clone()).unwrap();
    let of = |key: &zr_common::KeyPair| claims.iter().find(|c| c.executor == key.public()).cloned();
    let final_claim = of(&net.executors[0]).expect("the bonded executor's claim is recorded");
    assert!(matches!(final_claim.status, ClaimStatus::Final { at } if at >= final_claim.included_at + FINALITY_WINDOW));
    let unbonded_claim = of(&net.executors[1]).expect("the unbonded executor's claim is recorded");
    assert!(
        matches!(&unbonded_claim.status, ClaimStatus::Unfinalizable { reason } if reason.contains("no bond")),
        "{unbonded_claim:?}"
    );
    assert_eq!(final_claim.new_state_root, unbonded_claim.new_state_root);
    let bond = net.client().rollup_bond(&net.executors[0].address()).await.unwrap().expect("bonded");
    assert_eq!(bond.amount, MIN_BOND);
    assert_eq!(net.client().rollup_bond(&net.executors[1].address()).await.unwrap(), None);

    // `zr-challenge list` shows them, reading L1 alone.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_challenge-under-test"))
        .args(["--l1-http", &net.handle().http_url(), "--l1-ws", &net.handle().ws_url()])
        .args(["list", "--until", &height.to_string(), "--heights", "1", "--json"])
        .env("ZR_LOG", "error")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed["claims"].as_array().unwrap().len(), 2, "{listed}");
    assert!(listed["final"]["height"].as_u64().unwrap() >= height);
    let table = std::process::Command::new(env!("CARGO_BIN_EXE_challenge-under-test"))
        .args(["--l1-http", &net.handle().http_url(), "--l1-ws", &net.handle().ws_url()])
        .args(["list", "--until", &height.to_string(), "--heights", "1"])
        .env("ZR_LOG", "error")
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(table.contains("final") && table.contains("never") && table.contains("no bond"), "{table}");

    // A bond below the least, or with more than its tag, is refused when published, naming why.
    let client = net.client();
    for (amount, data, expected) in
        [(MIN_BOND - 1, vec![BOND_TAG], "at least"), (MIN_BOND, vec![BOND_TAG, 0], "tag alone")]
    {
        let send = SendRequest { to: zr_common::Address::INBOX, token: TokenStandard::ZNN, amount, data };
        let err = send_block(client.as_ref(), CHAIN, &alice, send).await.unwrap_err().to_string();
        assert!(err.contains(expected), "{err}");
    }

    // The settlement is part of the chain's state: a restarted devnet serves the same final root and goes on.
    bonded.stop().await;
    unbonded.stop().await;
    let before = final_root(&net).await.unwrap();
    let claims_before = net.client().rollup_claims(before.height, 1).await.unwrap();
    assert!(!claims_before.is_empty());
    net.restart().await;
    assert_eq!(final_root(&net).await.unwrap(), before, "no executor claims any more: the final root stays");
    assert_eq!(net.client().rollup_claims(before.height, 1).await.unwrap(), claims_before);
}
