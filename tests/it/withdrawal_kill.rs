//! A withdrawal is paid on L1 exactly once, also when the devnet and the executor are killed with SIGKILL
//! between its proof being posted and paid: the payment is part of the state committed with its momentum.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use zr_common::daemon::Served;
use zr_common::rollup::TxKind;
use zr_common::rollup::settlement::FinalRoot;
use zr_common::{Address, TokenStandard};
use zr_config::{DevnetConfig, ExecutorConfig};
use zr_rpc_api::RollupStateApiClient;
use zr_sequencing::bundle::{WithdrawalProof, encode_bundle, encode_withdrawal};
use zr_sequencing::{L1, SendRequest, ZnndClient, send_block};

use crate::rollup_support::*;
use crate::support::{CHAIN, Killed, TestNet, daemon_command, eventually, spawn_announced};

/// The devnet of `net`'s files as a child process; its client and its URLs.
fn devnet(net: &TestNet) -> (Killed, Arc<ZnndClient>, (String, String)) {
    let config = DevnetConfig::in_dir(net.dir.path(), 50);
    let binary = env!("CARGO_BIN_EXE_devnet-under-test");
    let (child, announced) = spawn_announced(&mut daemon_command(binary, &config, &net.dir.path().join("devnet.toml")));
    let urls = (announced["http"].as_str().unwrap().to_owned(), announced["ws"].as_str().unwrap().to_owned());
    let client = ZnndClient::new(&urls.0, &urls.1).unwrap();
    (child, Arc::new(client), urls)
}

/// The executor against `l1`, as a child process; its RPC URL.
fn executor(config: &ExecutorConfig, (http, ws): &(String, String)) -> (Killed, String) {
    let (child, announced) = spawn_announced(&mut executor_command(config, http, ws));
    (child, announced["rpc"].as_str().unwrap().to_owned())
}

async fn send(l1: &ZnndClient, net: &TestNet, data: Vec<u8>, amount: u128) {
    for _ in 0..200 {
        let request = SendRequest { to: Address::INBOX, token: TokenStandard::ZNN, amount, data: data.clone() };
        match send_block(l1, CHAIN, &net.alice, request).await {
            Ok(_) => return,
            Err(err) if err.clears_with_next_momentum() || err.to_string().contains("previous") => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Err(err) => panic!("cannot send: {err}"),
        }
    }
    panic!("no plasma for 10 s");
}

async fn payout(l1: &ZnndClient, tx_hash: zr_common::Hash) -> Option<serde_json::Value> {
    l1.call::<Option<serde_json::Value>>("embedded.rollup.getWithdrawal", json!([tx_hash])).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawal_is_paid_once_across_sigkills() {
    let mut net = TestNet::start().await;
    let dir = tempfile::tempdir().unwrap();
    // The proof is asked for at the final height, a finality window or more behind the head: kept in memory.
    let config = ExecutorConfig { history_depth: 256, ..executor_config(&net, &net.executors[0], dir.path()) };
    net.handle.take().unwrap().stop().await;
    let (l1_process, l1, urls) = devnet(&net);
    let (executor_process, url) = executor(&config, &urls);

    let alice = net.alice.clone();
    send(&l1, &net, vec![], 10_000_000_000).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let amount = 300_000_000u128;
    let withdraw =
        sign(&alice, 0, TxKind::Withdraw { token: TokenStandard::ZNN, amount, l1_recipient: alice.address() });
    let bundle = zr_common::rollup::BundleBody {
        chain_id: ROLLUP,
        poster: alice.public(),
        transactions: vec![withdraw.clone()],
    }
    .sign(&alice);
    send(&l1, &net, encode_bundle(&bundle).unwrap(), 0).await;
    let height = executed(&url, &withdraw.hash()).await.height.unwrap();
    let settled: FinalRoot = {
        let mut found = None;
        for _ in 0..400 {
            if let Some(f) = l1.rollup_final().await.unwrap().filter(|f| f.height >= height) {
                found = Some(f);
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        found.expect("final within 20 s")
    };
    let proven = api(&url)
        .get_proof(zr_protocol::StateKey::Withdrawal { tx_hash: withdraw.hash() }, Some(settled.height))
        .await
        .unwrap();
    let proof = WithdrawalProof {
        tx_hash: withdraw.hash(),
        height: settled.height,
        value: proven.value.unwrap(),
        proof: proven.proof,
    };

    // Post the proof, and kill both daemons at once: the proof may or may not have been confirmed.
    send(&l1, &net, encode_withdrawal(&proof), 0).await;
    drop(executor_process);
    drop(l1_process);

    let (l1_process, l1, urls) = devnet(&net);
    let (executor_process, _) = executor(&config, &urls);
    // Posted again (it is refused if it was paid already): paid once, whatever the kill interrupted.
    send(&l1, &net, encode_withdrawal(&proof), 0).await;
    eventually(async || payout(&l1, withdraw.hash()).await.is_some()).await;
    let paid = payout(&l1, withdraw.hash()).await.unwrap();
    drop(l1_process);
    let (_l1_process, l1, _) = devnet(&net);
    assert_eq!(payout(&l1, withdraw.hash()).await.unwrap(), paid, "the payment survives a SIGKILL");
    send(&l1, &net, encode_withdrawal(&proof), 0).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let inbox =
        l1.call::<serde_json::Value>("ledger.getAccountBlocksByHeight", json!([Address::INBOX, 1, 100])).await.unwrap();
    let payments = inbox["list"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["amount"] == json!(amount.to_string()) && b["toAddress"] == json!(alice.address()))
        .count();
    assert_eq!(payments, 1, "paid exactly once: {inbox}");
    drop(executor_process);
}
