//! Settlement on the devnet's inbox contract, through the real RPC: executors bond, their claims are
//! recorded and become final after the window, an unbonded executor's claims are refused, executors follow the
//! final root and mark receipts final, bad bonds are refused, and the settlement survives a devnet restart.

use std::time::Duration;

use serde_json::json;
use zr_common::TokenStandard;
use zr_common::daemon::Served;
use zr_common::rollup::TxKind;
use zr_common::rollup::settlement::{
    ClaimRecord, ClaimStatus, DA_DEPOSIT, DaStatus, FINALITY_WINDOW, FinalRoot, MIN_BOND,
};
use zr_sequencing::bundle::BOND_TAG;
use zr_sequencing::{L1, SendRequest, send_block};

use crate::rollup_support::*;
use crate::support::{CHAIN, TestNet, eventually};

async fn final_root(net: &TestNet) -> Option<FinalRoot> {
    net.client().rollup_final().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bonded_claims_become_final_and_unbonded_ones_are_refused() {
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
    let answer = net.call("embedded.rollup.getClaims", json!([height, 1])).await;
    let claims: Vec<ClaimRecord> = serde_json::from_value(answer["result"].clone()).unwrap();
    let of = |key: &zr_common::KeyPair| claims.iter().find(|c| c.executor == key.public()).cloned();
    let final_claim = of(&net.executors[0]).expect("the bonded executor's claim is recorded");
    assert!(matches!(final_claim.status, ClaimStatus::Final { at } if at >= final_claim.included_at + FINALITY_WINDOW));
    assert!(of(&net.executors[1]).is_none(), "an unbonded executor's claim is not recorded");
    let refused = net.call("embedded.rollup.getRefused", json!([])).await;
    let unbonded_address = json!(net.executors[1].address());
    assert!(
        refused["result"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["sender"] == unbonded_address && r["reason"].as_str().unwrap().contains("no live bond")),
        "{refused}"
    );
    let bond = net.client().rollup_bond(&net.executors[0].address()).await.unwrap().expect("bonded");
    assert_eq!(bond.amount, MIN_BOND);
    assert_eq!(net.client().rollup_bond(&net.executors[1].address()).await.unwrap(), None);

    // `zr-challenge list` shows them, reading L1 alone.
    let out = challenge_command(&net)
        .args(["list", "--until", &height.to_string(), "--heights", "1", "--json"])
        .env("ZR_LOG", "error")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed["claims"].as_array().unwrap().len(), 1, "{listed}");
    assert!(listed["final"]["height"].as_u64().unwrap() >= height);
    let table = challenge_command(&net)
        .args(["list", "--until", &height.to_string(), "--heights", "1"])
        .env("ZR_LOG", "error")
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(table.contains("final"), "{table}");

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
    // Claims posted just before the stop become final as their windows pass; then nothing moves.
    eventually(async || {
        let done = final_root(&net).await.unwrap();
        let above = net.client().rollup_claims(done.height + 1, 64).await.unwrap();
        above.iter().all(|c| c.status != ClaimStatus::Pending)
    })
    .await;
    let before = final_root(&net).await.unwrap();
    let claims_before = net.client().rollup_claims(before.height, 1).await.unwrap();
    assert!(!claims_before.is_empty());
    net.restart().await;
    assert_eq!(final_root(&net).await.unwrap(), before, "no executor claims any more: the final root stays");
    assert_eq!(net.client().rollup_claims(before.height, 1).await.unwrap(), claims_before);
}

fn challenge_cli(net: &TestNet, key_file: &std::path::Path, own: &str, args: &[&str]) -> (i32, serde_json::Value) {
    let chain = ROLLUP.to_string();
    let mut all = vec!["--executor", own, "--chain-id", &chain, "--key-file", key_file.to_str().unwrap()];
    all.extend_from_slice(args);
    challenge_json(net, &all)
}

/// The rollup's headline: a faulty, bonded executor's claim is challenged and rejected by the pillars'
/// verdict, its bond slashed, and the honest claim of that height becomes final; a challenge of a correct leaf
/// costs its challenger's bond.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_claim_is_rejected_and_a_forged_challenge_costs_its_bond() {
    let HonestAndFaulty { net, dir, honest, faulty, fault_at } = HonestAndFaulty::start().await;
    // What the settlement costs each momentum, with and without verdicts (for the figures in the README).
    let mut momentums = net.handle().chain.subscribe();
    let work = tokio::spawn(async move {
        let (mut idle, mut judged) = (Vec::new(), Vec::new());
        while let Ok(m) = momentums.recv().await {
            match m.settlement.verdicts {
                0 => idle.push(m.settlement.took),
                _ => judged.push(m.settlement.took),
            }
            if judged.len() == 2 {
                break;
            }
        }
        (idle, judged)
    });
    post_data(&net, &net.alice, vec![], 10_000_000_000).await;
    let claims_of = async |height| net.client().rollup_claims(height, 1).await.unwrap();
    eventually(async || claims_of(fault_at + 1).await.len() == 2).await;
    // The two claims of the faulty height disagree: neither is final, and later heights wait.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(final_root(&net).await.is_none_or(|f| f.height < fault_at));

    let (liar, challenger) = (dir.path().join("liar.json"), dir.path().join("challenger.json"));
    net.relays[0].write_file(&liar).unwrap();
    net.relays[1].write_file(&challenger).unwrap();

    // A challenge of the honest executor's correct leaf: the pillars find the leaf correct, the bond is forfeit.
    let args =
        ["submit", &(fault_at + 1).to_string(), "0", "--against", &honest.rpc_url(), "--force", "--wait", "--json"];
    let (code, verdict) = challenge_cli(&net, &liar, &honest.rpc_url(), &args);
    assert_eq!(code, 1, "{verdict}");
    assert_eq!(verdict["status"]["kind"], "challengerWrong", "{verdict}");
    assert!(verdict["status"]["reason"].as_str().unwrap().contains("correct"), "{verdict}");
    assert_eq!(net.client().rollup_bond(&net.relays[0].address()).await.unwrap(), None, "the bond is forfeit");

    // Without --force, a challenge this challenger's own check finds groundless is not posted.
    let args = ["submit", &(fault_at + 1).to_string(), "0", "--against", &honest.rpc_url(), "--json"];
    let out = challenge_command(&net)
        .args(["--executor", &honest.rpc_url(), "--key-file", challenger.to_str().unwrap()])
        .args(args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stdout));

    // A challenger watching L1 finds the faulty claim diverging at its first wrong leaf; watch-only, it posts
    // nothing and says so with exit code 1.
    let included = claims_of(fault_at).await.into_iter().find(|c| c.executor == net.executors[1].public()).unwrap();
    let faulty_url = faulty.rpc_url();
    let watch = |extra: &[&str]| {
        let mut args = vec!["watch", "--once", "--json", "--peer", faulty_url.as_str()];
        args.extend_from_slice(extra);
        challenge_command(&net)
            .args(["--executor", &honest.rpc_url(), "--chain-id", &ROLLUP.to_string()])
            .args(["--key-file", challenger.to_str().unwrap()])
            .args(args)
            .env("ZR_LOG", "error")
            .output()
            .unwrap()
    };
    let watched = watch(&[]);
    let lines: Vec<serde_json::Value> =
        String::from_utf8_lossy(&watched.stdout).lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let diverging: Vec<_> = lines.iter().filter(|l| l["result"] == "diverges").collect();
    assert_eq!(diverging.len(), 1, "{lines:?}");
    assert_eq!((diverging[0]["height"].as_u64(), diverging[0]["leaf"].as_u64()), (Some(fault_at), Some(0)));
    assert_eq!(watched.status.code(), Some(1));
    // With --challenge it challenges that leaf: the faulty claim is rejected, its bond slashed, the honest
    // root final.
    let challenged = watch(&["--challenge"]);
    assert_eq!(challenged.status.code(), Some(0), "{}", String::from_utf8_lossy(&challenged.stderr));
    let verdict_of = async || {
        let answer = net.call("embedded.rollup.getChallenges", json!([fault_at, 1])).await;
        answer["result"].as_array().unwrap().iter().find(|c| c["status"]["kind"] == "executorWrong").cloned()
    };
    eventually(async || verdict_of().await.is_some()).await;
    let verdict = verdict_of().await.unwrap();
    let honest_root =
        zr_rpc_api::RollupStateApiClient::get_state_root(&api(&honest.rpc_url()), Some(fault_at)).await.unwrap().root;
    assert_eq!(verdict["status"]["correctRoot"], serde_json::json!(honest_root), "{verdict}");
    let code = challenge_command(&net).args(["status", verdict["id"].as_str().unwrap()]).output().unwrap();
    assert_eq!(code.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&code.stdout).contains("WRONG"));
    let verdict_at = verdict["status"]["at"].as_u64().unwrap();
    println!(
        "faulty claim included at momentum {}, rejected at {verdict_at} ({} momentums; the challenge was posted by a \
         test process after it)",
        included.included_at,
        verdict_at - included.included_at
    );
    let records = claims_of(fault_at).await;
    let faulty_claim = records.iter().find(|c| c.executor == net.executors[1].public()).unwrap();
    assert!(matches!(faulty_claim.status, ClaimStatus::Rejected { .. }), "{faulty_claim:?}");
    assert_eq!(net.client().rollup_bond(&net.executors[1].address()).await.unwrap(), None, "slashed");
    let bond = net.client().rollup_bond(&net.relays[1].address()).await.unwrap().unwrap();
    assert_eq!(bond.amount, MIN_BOND + MIN_BOND / 2, "half the slashed bond goes to the challenger");
    eventually(async || final_root(&net).await.is_some_and(|f| f.height > fault_at)).await;
    let records = claims_of(fault_at).await;
    let honest_claim = records.iter().find(|c| c.executor == net.executors[0].public()).unwrap();
    assert!(matches!(honest_claim.status, ClaimStatus::Final { .. }), "{honest_claim:?}");
    // The faulty executor's later claims build on its rejected one: never final.
    let later = claims_of(fault_at + 1).await;
    let faulty_later = later.iter().find(|c| c.executor == net.executors[1].public()).unwrap();
    assert!(!matches!(faulty_later.status, ClaimStatus::Final { .. } | ClaimStatus::Pending), "{faulty_later:?}");
    let (mut idle, judged) = work.await.unwrap();
    idle.sort();
    println!(
        "settlement per momentum (debug build): no verdict median {:?} max {:?} over {}; with one verdict {judged:?}",
        idle[idle.len() / 2],
        idle.last().unwrap(),
        idle.len()
    );
    honest.stop().await;
    faulty.stop().await;
}

/// A withdrawal is paid on L1 only once its claim is final, by a contract send from the inbox the recipient
/// can receive, and exactly once: a second proof is refused, also after the devnet restarts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawal_is_paid_on_l1_after_finality_exactly_once() {
    use zr_rpc_api::RollupStateApiClient;
    use zr_sequencing::bundle::{WithdrawalProof, encode_withdrawal};

    let mut net = TestNet::start().await;
    let alice = net.alice.clone();
    let dir = tempfile::tempdir().unwrap();
    let executor = start_executor_keeping(&net, &net.executors[0], dir.path(), 256).await;
    post_data(&net, &alice, vec![], 10_000_000_000).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Paid to the depositor's own L1 account (it has fused plasma to receive with).
    let recipient = alice.address();
    let amount = 250_000_000u128;
    let withdraw = sign(&alice, 0, TxKind::Withdraw { token: TokenStandard::ZNN, amount, l1_recipient: recipient });
    post(&net, &alice, vec![withdraw.clone()]).await;
    let view = executed(&executor.rpc_url(), &withdraw.hash()).await;
    assert_eq!(view.status, zr_rpc_api::TransactionStatus::Executed, "{view:?}");
    let height = view.height.unwrap();
    let tx_hash = withdraw.hash();
    let executor_api = api(&executor.rpc_url());
    let proof_at = async |h: u64| {
        let key = zr_protocol::StateKey::Withdrawal { tx_hash };
        let proven = executor_api.get_proof(key, Some(h)).await.unwrap();
        WithdrawalProof { tx_hash, height: h, value: proven.value.unwrap(), proof: proven.proof }
    };
    // Proven before its height is final: refused.
    if final_root(&net).await.is_none_or(|f| f.height < height) {
        post_data(&net, &alice, encode_withdrawal(&proof_at(height).await), 0).await;
        eventually(async || refusals_naming(&net, "not a recent final height").await > 0).await;
    }
    eventually(async || final_root(&net).await.is_some_and(|f| f.height >= height)).await;
    let settled = final_root(&net).await.unwrap();
    let proof = proof_at(settled.height).await;
    let payout_of = async |net: &TestNet| -> Option<serde_json::Value> {
        let answer = net.call("embedded.rollup.getWithdrawal", json!([tx_hash])).await;
        answer["result"].as_object().map(|o| serde_json::Value::Object(o.clone()))
    };
    assert!(payout_of(&net).await.is_none());
    post_data(&net, &alice, encode_withdrawal(&proof), 0).await;
    eventually(async || payout_of(&net).await.is_some()).await;
    let paid = payout_of(&net).await.unwrap();
    let block_hash: zr_common::Hash = paid["l1Block"].as_str().unwrap().parse().unwrap();
    let answer = net.call("ledger.getAccountBlockByHash", json!([block_hash])).await;
    let block = &answer["result"];
    assert_eq!(block["address"], json!(zr_common::Address::INBOX), "{block}");
    assert_eq!(block["toAddress"], json!(recipient), "{block}");
    assert_eq!(block["amount"], json!(amount.to_string()), "{block}");
    assert_eq!(block["blockType"], json!(4), "a contract send");

    // A NoM wallet finds the payout among its unreceived blocks, znnd's shape and paging, and receives it with an
    // ordinary receive block; its L1 balance grows by the amount.
    let unreceived = async |page: u32, size: u32| {
        net.call("ledger.getUnreceivedBlocksByAddress", json!([recipient, page, size])).await["result"].clone()
    };
    let listed = unreceived(0, 10).await;
    assert_eq!((listed["count"].as_u64(), listed["more"].as_bool()), (Some(1), Some(false)), "{listed}");
    assert_eq!(listed["list"][0]["hash"], json!(block_hash), "{listed}");
    assert_eq!(listed["list"][0]["amount"], json!(amount.to_string()), "{listed}");
    assert_eq!(unreceived(1, 10).await["list"], json!([]), "page 1 is empty");
    let client = net.client();
    let before = client.account_info(&recipient).await.unwrap().balance(&TokenStandard::ZNN);
    let receive = zr_sequencing::receive_block(client.as_ref(), CHAIN, &alice, block_hash).await.unwrap();
    let pending = net.call("ledger.getUnconfirmedBlocksByAddress", json!([recipient, 0, 10])).await;
    let by_hash = net.call("ledger.getAccountBlockByHash", json!([receive.hash])).await;
    // Listed as unconfirmed until a momentum confirms it (which may have happened already).
    let confirmed = !by_hash["result"]["confirmationDetail"].is_null();
    assert!(confirmed || pending["result"]["list"][0]["hash"] == json!(receive.hash), "{pending} {by_hash}");
    assert_eq!(unreceived(0, 10).await["count"], 0, "received: no longer listed");
    assert_eq!(client.account_info(&recipient).await.unwrap().balance(&TokenStandard::ZNN), before + amount);

    // Exactly once: the same proof again is refused, also after a restart of the devnet.
    post_data(&net, &alice, encode_withdrawal(&proof), 0).await;
    eventually(async || refusals_naming(&net, "paid already").await > 0).await;
    executor.stop().await;
    net.restart().await;
    assert_eq!(payout_of(&net).await.unwrap(), paid);
    let before = refusals_naming(&net, "paid already").await;
    post_data(&net, &alice, encode_withdrawal(&proof), 0).await;
    eventually(async || refusals_naming(&net, "paid already").await > before).await;
}

/// How many of the blocks the devnet's settlement refused name `reason`.
async fn refusals_naming(net: &TestNet, reason: &str) -> usize {
    let refused = net.call("embedded.rollup.getRefused", json!([])).await;
    refused["result"].as_array().unwrap().iter().filter(|r| r["reason"].as_str().unwrap().contains(reason)).count()
}

/// A bond, then an unbond request: after the delay, with nothing open, the bond comes back by a contract send
/// from the inbox, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unbonded_bond_is_paid_back_once_after_its_delay() {
    use zr_sequencing::bundle::UNBOND_TAG;
    let net = TestNet::start().await;
    let alice = net.alice.clone();
    post_data(&net, &alice, vec![BOND_TAG], MIN_BOND).await;
    eventually(async || net.client().rollup_bond(&alice.address()).await.unwrap().is_some()).await;
    post_data(&net, &alice, vec![UNBOND_TAG], 0).await;
    eventually(async || net.client().rollup_bond(&alice.address()).await.unwrap().is_none()).await;
    let inbox_blocks = net.call("ledger.getAccountBlocksByHeight", json!([zr_common::Address::INBOX, 1, 10])).await;
    let returned: Vec<_> = inbox_blocks["result"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["toAddress"] == json!(alice.address()) && b["amount"] == json!(MIN_BOND.to_string()))
        .collect();
    assert_eq!(returned.len(), 1, "the bond is paid back once: {inbox_blocks}");
}

/// A challenger watching all along (`watch --challenge`) gets a wrong claim rejected soon after it lands:
/// measured in momentums and seconds (figures for the README; the window's safety does not depend on them,
/// as a challenged or disputed height never finalises before its verdict).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watching_challenger_gets_a_wrong_claim_rejected() {
    let HonestAndFaulty { net, dir, honest, faulty, fault_at } = HonestAndFaulty::start().await;
    let watcher = spawn_watcher(&net, &honest.rpc_url(), dir.path(), &["--peer", &faulty.rpc_url()]);
    let claim = rejected_claim_of(&net, 1, fault_at).await;
    let verdict =
        net.client().call::<serde_json::Value>("embedded.rollup.getChallenges", json!([fault_at, 1])).await.unwrap();
    let at = verdict[0]["status"]["at"].as_u64().unwrap();
    // The devnet here makes a momentum every 50 ms; zr up every 10 s, where the same work fits one momentum.
    println!(
        "watched: wrong claim included at momentum {}, rejected at {at}: {} momentums (window {FINALITY_WINDOW})",
        claim.included_at,
        at - claim.included_at
    );
    assert!(at > claim.included_at);
    drop(watcher);
    assert!(dir.path().join("challenger/endpoints.json").exists(), "a watching challenger announces itself");
    honest.stop().await;
    faulty.stop().await;
}

/// Defect: `watch` never read leaves posted after a data-availability challenge. A watcher that cannot reach the
/// faulty executor (no `--peer`) makes it post its leaves with a data-availability challenge, reads them back
/// from L1's momentums, and challenges the first wrong leaf: the claim is rejected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watcher_without_the_executor_challenges_from_the_leaves_it_made_it_post() {
    let HonestAndFaulty { net, dir, honest, faulty, fault_at } = HonestAndFaulty::start().await;
    let watcher = spawn_watcher(&net, &honest.rpc_url(), dir.path(), &[]);
    rejected_claim_of(&net, 1, fault_at).await;
    // Rejected by a leaf challenge, after the executor answered the data-availability challenge.
    let da = net.client().rollup_da_challenges(fault_at, 1).await.unwrap();
    assert!(
        da.iter().any(|d| d.executor == net.executors[1].public() && matches!(d.status, DaStatus::Answered { .. })),
        "{da:?}"
    );
    let verdicts =
        net.client().call::<serde_json::Value>("embedded.rollup.getChallenges", json!([fault_at, 1])).await.unwrap();
    assert_eq!(verdicts[0]["status"]["kind"], "executorWrong", "{verdicts}");
    drop(watcher);
    honest.stop().await;
    faulty.stop().await;
}

/// Data availability: an executor under a data-availability challenge posts its claim's leaves, however often
/// it is challenged, and the challenger's deposit is forfeit; one that stays silent has its claim rejected and
/// its bond slashed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_availability_challenges_are_answered_or_reject_the_claim() {
    let HonestAndFaulty { net, dir, honest, faulty, fault_at } = HonestAndFaulty::start().await;
    // The two claims of fault_at disagree, so both stay open.
    eventually(async || net.client().rollup_claims(fault_at, 1).await.unwrap().len() == 2).await;
    let (first, second) = (dir.path().join("first.json"), dir.path().join("second.json"));
    net.relays[0].write_file(&first).unwrap();
    net.relays[1].write_file(&second).unwrap();
    let da = |key_file: &std::path::Path, executor: &zr_common::KeyPair| {
        let height = fault_at.to_string();
        let executor = executor.public().to_hex();
        challenge_json(
            &net,
            &[
                "--key-file",
                key_file.to_str().unwrap(),
                "submit-da",
                &height,
                "--executor-key",
                &executor,
                "--wait",
                "--json",
            ],
        )
    };
    // The honest executor answers: the data is available, the challenger's deposit forfeit (its bond kept).
    let (code, answered) = da(&first, &net.executors[0]);
    assert_eq!((code, answered["status"]["kind"].as_str()), (1, Some("answered")), "{answered}");
    assert_eq!(net.client().rollup_bond(&net.relays[0].address()).await.unwrap().unwrap().amount, MIN_BOND);
    // Its leaves are on L1 now: challenging them again is refused before anything is posted.
    let again = challenge_command(&net)
        .args(["--key-file", first.to_str().unwrap(), "submit-da", &fault_at.to_string()])
        .args(["--executor-key", &net.executors[0].public().to_hex()])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2), "{}", String::from_utf8_lossy(&again.stdout));
    assert!(String::from_utf8_lossy(&again.stdout).contains("on L1 already"));
    assert!(net.client().rollup_bond(&net.executors[0].address()).await.unwrap().is_some());
    // A stopped executor cannot: its claim is rejected, its bond slashed, the honest root final.
    faulty.stop().await;
    let (code, unanswered) = da(&second, &net.executors[1]);
    assert_eq!((code, unanswered["status"]["kind"].as_str()), (0, Some("unanswered")), "{unanswered}");
    let claims = net.client().rollup_claims(fault_at, 1).await.unwrap();
    let silent = claims.iter().find(|c| c.executor == net.executors[1].public()).unwrap();
    assert!(matches!(&silent.status, ClaimStatus::Rejected { reason, .. } if reason.contains("leaves")), "{silent:?}");
    assert_eq!(net.client().rollup_bond(&net.executors[1].address()).await.unwrap(), None);
    eventually(async || final_root(&net).await.is_some_and(|f| f.height >= fault_at)).await;
    honest.stop().await;
}

/// Defect 1 end to end, as a new user found it on `zr up`: a second executor of another chain id, bonded by
/// itself with the funded key, posted claims that disagreed with the honest one at every height, so the final
/// height stopped before the first transfer and never moved again. Now L1 refuses its claims, naming the
/// chain, and the honest root becomes final.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_a_bonded_executor_of_another_chain_id_halts_finality() {
    let net = TestNet::start().await;
    let alice = net.alice.clone();
    let (honest_dir, other_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let honest = start_executor(&net, &net.executors[0], honest_dir.path()).await;
    let config = zr_config::ExecutorConfig {
        chain_id: ROLLUP + 1,
        ..executor_config(&net, &net.executors[1], other_dir.path())
    };
    let other = zr_executor::node::start(&config, net.executors[1].clone(), net.client()).await.unwrap();

    post_data(&net, &alice, vec![], 10_000_000_000).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let pay = sign(&alice, 0, TxKind::Transfer { to: net.bob.address(), token: TokenStandard::ZNN, amount: 9 });
    post(&net, &alice, vec![pay.clone()]).await;
    let height = executed(&honest.rpc_url(), &pay.hash()).await.height.unwrap();
    eventually(async || net.client().rollup_bond(&net.executors[1].address()).await.unwrap().is_some()).await;
    eventually(async || final_root(&net).await.is_some_and(|f| f.height > height)).await;

    let claims = net.client().rollup_claims(height, 1).await.unwrap();
    assert_eq!(claims.len(), 1, "only the honest claim is recorded: {claims:?}");
    assert_eq!(claims[0].executor, net.executors[0].public());
    let refused = net.call("embedded.rollup.getRefused", json!([])).await;
    let other_address = serde_json::json!(net.executors[1].address());
    assert!(
        refused["result"].as_array().unwrap().iter().any(|r| r["sender"] == other_address
            && r["reason"].as_str().unwrap().contains(&format!("chain {}", ROLLUP + 1))),
        "{refused}"
    );
    // What the inbox pays an executor (a bond or a deposit back) waits as an unreceived send; the executor
    // receives it on its own. A stranger's sends are not received (dust would cost the executor a receive block
    // each, in the queue of its claims); more than a page of them does not hide the inbox's.
    let executor = net.executors[0].address();
    let client = net.client();
    let dust = SendRequest { to: executor, token: TokenStandard::ZNN, amount: 7, data: vec![] };
    let dust_sends = zr_sequencing::UNRECEIVED_PAGE as usize + 5;
    let poster = zr_sequencing::Poster::new(client.clone(), alice.clone(), CHAIN, Duration::from_millis(200), 50);
    for _ in 0..dust_sends {
        poster.post(dust.clone()).await.unwrap();
    }
    eventually(async || {
        zr_sequencing::unreceived_from(client.as_ref(), &executor, &alice.address()).await.unwrap().len() == dust_sends
    })
    .await;
    // A data-availability challenge of no claim, from the executor's own account: refused, its deposit owed back.
    let before = client.account_info(&executor).await.unwrap().balance(&TokenStandard::ZNN);
    let da = zr_sequencing::bundle::DaChallenge { executor: net.alice.public(), height: 1 };
    let refused_da = SendRequest {
        to: zr_common::Address::INBOX,
        token: TokenStandard::ZNN,
        amount: DA_DEPOSIT,
        data: zr_sequencing::bundle::encode_da_challenge(&da),
    };
    // The executor posts claims from the same account: a clash of account heights is tried again.
    let mut tries = 0;
    while let Err(err) = send_block(client.as_ref(), CHAIN, &net.executors[0], refused_da.clone()).await {
        tries += 1;
        assert!(tries < 20, "cannot send from the executor's account: {err}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let refused_from_executor = async || {
        let refused = net.call("embedded.rollup.getRefused", json!([])).await;
        let ours = json!(executor);
        refused["result"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["sender"] == ours && r["reason"].as_str().unwrap().contains("no open claim"))
    };
    eventually(refused_from_executor).await;
    let paid_back = async || {
        let balance = client.account_info(&executor).await.unwrap().balance(&TokenStandard::ZNN);
        let from_inbox = zr_sequencing::unreceived_from(client.as_ref(), &executor, &zr_common::Address::INBOX);
        balance == before && from_inbox.await.unwrap().is_empty()
    };
    eventually(paid_back).await;
    let (mut left, mut page) = (Vec::new(), 0);
    loop {
        let sends = client.unreceived_blocks(&executor, page).await.unwrap();
        let last = sends.len() < zr_sequencing::UNRECEIVED_PAGE as usize;
        left.extend(sends);
        page += 1;
        if last {
            break;
        }
    }
    assert_eq!(left.len(), dust_sends, "only the stranger's sends are left: {left:?}");
    assert!(left.iter().all(|send| (send.address, send.amount) == (alice.address(), 7)), "{left:?}");
    honest.stop().await;
    other.stop().await;
}

/// Defect 1 end to end: a claim whose leaf is of another step than L1 orders there (same roots, other leaves)
/// could never be rejected: every challenge of it was judged against the challenger, so the height stayed
/// disputed for good. `zr-challenge submit` now proves it with a shape dispute; the claim is rejected, its
/// bond slashed, and the honest root becomes final.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_a_claim_with_a_wrong_step_is_never_rejected() {
    let HonestAndFaulty { net, dir, honest, faulty, fault_at } = HonestAndFaulty::start_with_fault(":step").await;
    eventually(async || net.client().rollup_claims(fault_at, 1).await.unwrap().len() == 2).await;
    let claims = net.client().rollup_claims(fault_at, 1).await.unwrap();
    assert_eq!(claims[0].new_state_root, claims[1].new_state_root, "the roots agree, the leaves do not");
    assert_ne!(claims[0].leaves_root, claims[1].leaves_root);

    let challenger = dir.path().join("challenger.json");
    net.relays[1].write_file(&challenger).unwrap();
    let args = ["submit", &fault_at.to_string(), "0", "--against", &faulty.rpc_url(), "--wait", "--json"];
    let (code, verdict) = challenge_cli(&net, &challenger, &honest.rpc_url(), &args);
    assert_eq!(code, 0, "{verdict}");
    assert_eq!(verdict["status"]["kind"], "executorWrong", "{verdict}");
    assert!(verdict["status"]["reason"].as_str().unwrap().contains("L1's step 0"), "{verdict}");
    let claims = net.client().rollup_claims(fault_at, 1).await.unwrap();
    let faulty_claim = claims.iter().find(|c| c.executor == net.executors[1].public()).unwrap();
    assert!(matches!(faulty_claim.status, ClaimStatus::Rejected { .. }), "{faulty_claim:?}");
    assert_eq!(net.client().rollup_bond(&net.executors[1].address()).await.unwrap(), None, "slashed");
    eventually(async || final_root(&net).await.is_some_and(|f| f.height >= fault_at)).await;
    honest.stop().await;
    faulty.stop().await;
}
