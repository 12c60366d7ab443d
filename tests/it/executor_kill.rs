//! An executor killed with SIGKILL at arbitrary moments restarts where it was and reaches the same roots as
//! one that never stopped.

use std::process::Child;
use std::time::Duration;

use zr_common::daemon::Served;
use zr_common::rollup::TxKind;
use zr_common::{KeyPair, TokenStandard};
use zr_rpc_api::{RollupStateApiClient, RollupTxApiClient};

use crate::rollup_support::*;
use crate::support::TestNet;

pub(crate) fn spawn(config: &zr_config::ExecutorConfig) -> (Child, String) {
    let spawned = zr_common::daemon::spawn(
        executor_command(config, &config.l1.http, &config.l1.ws)
            .args(["--claim-every", "0"])
            // Fold the journal every few momentums, so kills land before, during and after folds.
            .args(["--journal-fold-rows", "40"]),
    )
    .unwrap();
    (spawned.child, spawned.announced["rpc"].as_str().unwrap().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_any_moment_loses_nothing() {
    let net = TestNet::start().await;
    let reference_dir = tempfile::tempdir().unwrap();
    let reference = start_executor(&net, &net.executors[0], reference_dir.path()).await;
    let victim_dir = tempfile::tempdir().unwrap();
    let victim_key = KeyPair::from_seed(&[6; 32]);
    let config = executor_config(&net, &victim_key, victim_dir.path());

    // Load: transfers from Alice while the victim is killed and restarted.
    let alice = net.alice.clone();
    post_data(&net, &alice, vec![], 10_000_000_000).await;
    let mut nonce = 0;
    for round in 0..4u64 {
        let (mut child, _) = spawn(&config);
        for _ in 0..3 {
            let txs = (0..20)
                .map(|i| {
                    let to = KeyPair::from_seed(&[(round * 40 + i) as u8 + 50; 32]).address();
                    let tx =
                        sign(&alice, nonce, TxKind::Transfer { to, token: TokenStandard::ZNN, amount: 1 + i as u128 });
                    nonce += 1;
                    tx
                })
                .collect();
            post(&net, &alice, txs).await;
        }
        tokio::time::sleep(Duration::from_millis(40 + round * 70)).await;
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
    }

    // The last transaction lands; the victim comes back and catches up.
    let last = sign(&alice, nonce, TxKind::Transfer { to: net.bob.address(), token: TokenStandard::ZNN, amount: 7 });
    post(&net, &alice, vec![last.clone()]).await;
    executed(&reference.rpc_url(), &last.hash()).await;
    let target = head(&reference.rpc_url()).await;
    let (mut child, url) = spawn(&config);
    for _ in 0..600 {
        if head(&url).await >= target {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for height in 1..=target {
        let expected = api(&reference.rpc_url()).get_state_root(Some(height)).await.unwrap();
        let got = api(&url).get_state_root(Some(height)).await.unwrap();
        assert_eq!(got, expected, "state root at height {height}");
        let expected = api(&reference.rpc_url()).get_claim_leaves(height).await.unwrap();
        assert_eq!(api(&url).get_claim_leaves(height).await.unwrap(), expected, "leaves at height {height}");
    }
    let view = api(&url).get_transaction(last.hash()).await.unwrap().unwrap();
    assert_eq!(view.status, zr_rpc_api::TransactionStatus::Executed);
    child.kill().unwrap();
    child.wait().unwrap();
    reference.stop().await;
}
