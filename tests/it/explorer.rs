//! The explorer: its RPC against a live executor (pages, bounds, the settlement read from L1), and the pages
//! themselves in headless Chromium over WebDriver, following a transfer to finality, a faulty executor's claim
//! to its rejection, and a withdrawal to its payment on L1. Screenshots of each page are saved.

use std::path::PathBuf;

use serde_json::{Value, json};
use zr_common::daemon::Served;
use zr_common::rollup::TxKind;
use zr_common::rollup::settlement::ClaimStatus;
use zr_common::{Address, TokenStandard};
use zr_executor::node::ExecutorHandle;
use zr_rpc_api::RollupStateApiClient;
use zr_sequencing::L1;
use zr_sequencing::bundle::{WithdrawalProof, encode_withdrawal};

use crate::rollup_support::*;
use crate::support::{TestNet, eventually};
use zr_tests::browser::Browser;

/// Where the browser test saves its screenshots (`ZR_SCREENSHOTS` overrides).
fn screenshots() -> PathBuf {
    std::env::var_os("ZR_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("explorer-screenshots"))
}

/// `method` on the executor, its result or its error object.
async fn call(executor: &ExecutorHandle, method: &str, params: Value) -> Result<Value, Value> {
    let answer = raw_rpc(&executor.rpc_url(), method, params).await;
    match answer.get("error") {
        Some(error) => Err(error.clone()),
        None => Ok(answer["result"].clone()),
    }
}

/// Alice's deposit, then in one bundle: the token uploaded and deployed, a mint to her, `transfers` transfers
/// to Bob and a withdrawal of 2.5 ZNN to her L1 account. Returns the token, the last transfer's and the
/// withdrawal's hashes.
async fn traffic(
    net: &TestNet,
    executor: &ExecutorHandle,
    transfers: u64,
) -> (Address, zr_common::Hash, zr_common::Hash) {
    let alice = net.alice.clone();
    post_data(net, &alice, vec![], 100_000_000_000).await;
    let code = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../contracts/wasm/token.wasm")).unwrap();
    let code_hash = zr_common::sha3_256(&code);
    let token = Address::contract(&alice.address(), 1);
    let mut txs = vec![
        sign(&alice, 0, TxKind::UploadChunk { code_hash, index: 0, count: 1, bytes: code }),
        sign(&alice, 1, TxKind::Deploy { code_hash, input: vec![], value: 0 }),
        mint(&alice, 2, token, alice.address(), 1_000),
    ];
    for i in 0..transfers {
        let kind =
            TxKind::Transfer { to: net.bob.address(), token: TokenStandard::ZNN, amount: 1_000_000 + u128::from(i) };
        txs.push(sign(&alice, 3 + i, kind));
    }
    let withdraw = sign(
        &alice,
        3 + transfers,
        TxKind::Withdraw { token: TokenStandard::ZNN, amount: 250_000_000, l1_recipient: alice.address() },
    );
    let last_transfer = txs.last().unwrap().hash();
    txs.push(withdraw.clone());
    // The deposit lands first: its momentum's prelude credits Alice before the bundle's momentum.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    post(net, &alice, txs).await;
    executed(&executor.rpc_url(), &withdraw.hash()).await;
    (token, last_transfer, withdraw.hash())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_explorer_rpc_pages_momentums_and_addresses_and_refuses_what_it_cannot_bound() {
    let net = TestNet::start().await;
    let dir = tempfile::tempdir().unwrap();
    let executor = start_executor_keeping(&net, &net.executors[0], dir.path(), 256).await;
    let (token, transfer, withdrawal) = traffic(&net, &executor, 120).await;
    let detail = call(&executor, "rollup.getTransactionDetail", json!([transfer])).await.unwrap();
    let height = detail["transaction"]["height"].as_u64().unwrap();
    assert_eq!(detail["summary"]["action"], "transfer", "{detail}");
    assert_eq!(detail["summary"]["sender"], json!(net.alice.address()));
    assert_eq!(detail["summary"]["target"], json!(net.bob.address()));
    assert_eq!(detail["summary"]["fee"], json!(detail["summary"]["gasUsed"].as_u64().unwrap().to_string()));
    assert_eq!(detail["momentum"]["height"], height);

    // A momentum of 124 transactions (upload, deploy, mint, 120 transfers, the withdrawal) comes a page at a time, in order.
    let first = call(&executor, "rollup.getMomentum", json!([height, 0, 100])).await.unwrap();
    assert_eq!(first["summary"]["transactions"], 124, "{}", first["summary"]);
    assert_eq!(first["transactions"].as_array().unwrap().len(), 100);
    let rest = call(&executor, "rollup.getMomentum", json!([height, 100, 100])).await.unwrap();
    let rest = rest["transactions"].as_array().unwrap();
    assert_eq!(rest.len(), 24);
    assert_eq!(rest[0]["index"], 100);
    assert_eq!(rest.last().unwrap()["hash"], json!(withdrawal));
    assert_eq!(first["transactions"][1]["action"], "deploy");
    assert_eq!(first["transactions"][1]["target"], json!(token));
    assert_eq!(first["inbox"].as_array().unwrap().iter().filter(|b| b["kind"] == "bundle").count(), 1);
    assert_eq!(first["claim"]["body"]["height"], height, "the executor's own claim");

    // Alice's transactions, newest first, 50 a page, then the next page from the cursor.
    let page = call(&executor, "rollup.getAddressTransactions", json!([net.alice.address(), null, 50])).await.unwrap();
    let listed = page["transactions"].as_array().unwrap();
    assert_eq!(listed.len(), 50);
    assert_eq!(listed[0]["hash"], json!(withdrawal), "the newest first");
    assert_eq!(listed[0]["role"], "sender");
    let next = page["next"].clone();
    assert_eq!(next, json!({"height": height, "index": 74}));
    let mut seen = 50;
    let mut cursor = next;
    while !cursor.is_null() {
        let page =
            call(&executor, "rollup.getAddressTransactions", json!([net.alice.address(), cursor, 50])).await.unwrap();
        seen += page["transactions"].as_array().unwrap().len();
        cursor = page["next"].clone();
    }
    assert_eq!(seen, 124, "every transaction of Alice's once");
    // Bob is named as the receiver of the transfers; the token as the contract called and deployed.
    let bob = call(&executor, "rollup.getAddressTransactions", json!([net.bob.address(), null, 100])).await.unwrap();
    assert!(bob["transactions"].as_array().unwrap().iter().all(|t| t["role"] == "target"));
    let token_txs = call(&executor, "rollup.getAddressTransactions", json!([token, null, 10])).await.unwrap();
    let roles: Vec<&str> =
        token_txs["transactions"].as_array().unwrap().iter().map(|t| t["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["target", "deployed"], "{token_txs}");

    // The mint's event is decoded by the token's ABI.
    let mint_hash = first["transactions"][2]["hash"].clone();
    let mint_detail = call(&executor, "rollup.getTransactionDetail", json!([mint_hash])).await.unwrap();
    let event = &mint_detail["events"][0];
    assert_eq!(event["topic"], "Mint", "{mint_detail}");
    assert_eq!(event["fields"]["amount"], "1000", "{event}");

    // L1's settlement as the executor reads it.
    let settlement = call(&executor, "rollup.getSettlement", json!([1, 100])).await.unwrap();
    assert!(settlement["l1Frontier"].as_u64().unwrap() >= height);
    assert_eq!(settlement["bonds"][0]["address"], json!(net.executors[0].address()), "{settlement}");
    let l1 = call(&executor, "rollup.getL1Account", json!([net.alice.address()])).await.unwrap();
    assert!(l1["znn"].as_str().unwrap().parse::<u128>().unwrap() > 0, "{l1}");
    let unpaid = call(&executor, "rollup.getWithdrawal", json!([withdrawal])).await.unwrap();
    assert_eq!(unpaid["paidL1Block"], Value::Null);
    assert_eq!(unpaid["status"], "executed");
    assert_eq!(unpaid["summary"]["l1Recipient"], json!(net.alice.address()));

    // What cannot be bounded or answered is refused with the reason, and nothing is served for it.
    let refused = async |method: &str, params: Value, needle: &str| {
        let error = call(&executor, method, params).await.unwrap_err();
        assert!(error["message"].as_str().unwrap().contains(needle), "{method}: {error}");
    };
    refused("rollup.getMomentum", json!([height, 0, 101]), "at most 100").await;
    refused("rollup.getMomentum", json!([height, 0, 0]), "a page of 0").await;
    refused("rollup.getAddressTransactions", json!([net.bob.address(), null, 1000]), "at most 100").await;
    refused("rollup.getMomentums", json!([null, 5000]), "at most 100").await;
    refused("rollup.getSettlement", json!([1, 101]), "from 1 to 100").await;
    refused("rollup.getWithdrawal", json!([transfer]), "is not a withdrawal").await;
    refused("rollup.getWithdrawal", json!([zr_common::Hash([7; 32])]), "no transaction").await;
    assert_eq!(call(&executor, "rollup.getMomentum", json!([height + 10_000, 0, 10])).await.unwrap(), Value::Null);
    assert_eq!(
        call(&executor, "rollup.getTransactionDetail", json!([zr_common::Hash([7; 32])])).await.unwrap(),
        Value::Null
    );

    // The page itself: served under /explorer with a strict policy; nothing else is.
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let base = executor.rpc_url();
    let redirect = http.get(format!("{base}/explorer")).send().await.unwrap();
    assert_eq!(redirect.status(), 308);
    let index = http.get(format!("{base}/explorer/")).send().await.unwrap();
    assert_eq!(index.status(), 200);
    assert!(index.headers()["content-security-policy"].to_str().unwrap().contains("default-src 'self'"));
    assert!(index.text().await.unwrap().contains("<script src=\"app.js\""));
    assert_eq!(http.get(format!("{base}/explorer/app.js")).send().await.unwrap().status(), 200);
    assert_eq!(http.get(format!("{base}/explorer/nothing")).send().await.unwrap().status(), 404);
    executor.stop().await;
}

/// The walk through the explorer in a real browser: the home page, a transfer searched by hash and
/// seen going from executed to final, its momentum and claim, a faulty executor's claim challenged and
/// rejected with the verdict, the token contract with its methods and decoded event, and a withdrawal seen
/// paid on L1. Each page's screenshot is saved (the README shows the transaction's).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_explorer_follows_a_transfer_a_challenge_and_a_withdrawal_in_a_browser() {
    let HonestAndFaulty { net, dir, honest, faulty, fault_at } = HonestAndFaulty::start().await;
    let watcher = spawn_watcher(&net, &honest.rpc_url(), dir.path(), &["--peer", &faulty.rpc_url()]);
    let (token, transfer, withdrawal) = traffic(&net, &honest, 3).await;
    let shots = screenshots();
    let browser = Browser::start().await;
    let base = format!("{}/explorer/", honest.rpc_url());
    let mut load_ms = Vec::new();

    // Home: the frontier, the head, the latest momentums, live.
    browser.open(&base).await;
    load_ms.push(("home", browser.loaded("#/").await));
    let home = browser.text().await;
    assert!(home.contains("Rollup overview") && home.contains("Latest momentums"), "{home}");
    browser
        .wait_until("the live socket", "return document.getElementById('live').textContent.includes('live')", 10)
        .await;
    browser.screenshot(&shots, "home").await;

    // Search the transfer by hash: its page, executed, then final as the claim's window closes.
    browser.type_into("#query", &transfer.to_string()).await;
    browser.click("#search button").await;
    let tx_page = format!("#/tx/{transfer}");
    load_ms.push(("transaction", browser.loaded(&tx_page).await));
    browser
        .wait_until(
            "the transfer executed",
            "return document.querySelector('[data-step=executed]')?.classList.contains('done') === true",
            10,
        )
        .await;
    browser
        .wait_until(
            "the transfer final",
            "return document.querySelector('[data-step=final]')?.classList.contains('done') === true",
            60,
        )
        .await;
    let text = browser.text().await;
    assert!(text.contains("executed") && text.contains("transfer"), "{text}");
    browser.click("#witness").await;
    browser
        .wait_until(
            "the witness's size",
            "return /bytes of JSON/.test(document.getElementById('witness-size').textContent)",
            30,
        )
        .await;
    browser.screenshot(&shots, "transaction").await;

    // Follow it to its momentum: the claim there is final and has the root this executor has.
    let detail = call(&honest, "rollup.getTransactionDetail", json!([transfer])).await.unwrap();
    let height = detail["transaction"]["height"].as_u64().unwrap();
    browser.click(&format!("a[href='#/momentum/{height}']")).await;
    load_ms.push(("momentum", browser.loaded(&format!("#/momentum/{height}")).await));
    let text = browser.text().await;
    assert!(text.contains("same root as here") && text.contains("final"), "{text}");
    assert!(text.contains(&transfer.to_string()[..10]), "the transfer is listed in its momentum: {text}");
    browser.screenshot(&shots, "momentum").await;

    // The faulty executor's claim: challenged, rejected, with the verdict and the slashed bond.
    let rejected = rejected_claim_of(&net, 1, fault_at).await;
    assert!(matches!(rejected.status, ClaimStatus::Rejected { .. }));
    browser.open(&format!("{base}#/claims/{fault_at}")).await;
    load_ms.push(("claims", browser.loaded(&format!("#/claims/{fault_at}")).await));
    let text = browser.text().await;
    assert!(text.contains("rejected") && text.contains("executor wrong"), "{text}");
    assert!(text.contains("slashed"), "the bond moved: {text}");
    browser.screenshot(&shots, "claims").await;

    // The token: a contract page with its ABI's methods; the mint's event decoded by name.
    browser.open(&format!("{base}#/address/{token}")).await;
    load_ms.push(("contract", browser.loaded(&format!("#/address/{token}")).await));
    let text = browser.text().await;
    assert!(text.contains("Contract") && text.contains("transfer_from") && text.contains("total_supply"), "{text}");
    browser.screenshot(&shots, "contract").await;
    browser.click("td a[href^='#/tx/']").await;
    browser.wait_until("the mint's page", "return document.body.innerText.includes('Events')", 10).await;
    let text = browser.text().await;
    assert!(text.contains("Mint") && text.contains("\"amount\":\"1000\""), "the event decoded by name: {text}");
    browser.open(&format!("{base}#/address/{}", net.alice.address())).await;
    load_ms.push(("address", browser.loaded(&format!("#/address/{}", net.alice.address())).await));
    assert!(browser.text().await.contains("L1 balance"));
    browser.screenshot(&shots, "address").await;

    // The withdrawal: proven once its height is final, then seen paid with the paying block.
    let w_height =
        call(&honest, "rollup.getWithdrawal", json!([withdrawal])).await.unwrap()["height"].as_u64().unwrap();
    let client = net.client();
    eventually(async || client.rollup_final().await.unwrap().is_some_and(|f| f.height >= w_height)).await;
    let settled = client.rollup_final().await.unwrap().unwrap();
    let proven = api(&honest.rpc_url())
        .get_proof(zr_protocol::StateKey::Withdrawal { tx_hash: withdrawal }, Some(settled.height))
        .await
        .unwrap();
    let proof = WithdrawalProof {
        tx_hash: withdrawal,
        height: settled.height,
        value: proven.value.unwrap(),
        proof: proven.proof,
    };
    browser.open(&format!("{base}#/withdrawal/{withdrawal}")).await;
    load_ms.push(("withdrawal", browser.loaded(&format!("#/withdrawal/{withdrawal}")).await));
    post_data(&net, &net.alice, encode_withdrawal(&proof), 0).await;
    browser
        .wait_until(
            "the withdrawal paid",
            "return document.querySelector('[data-step=proven]')?.classList.contains('done') === true",
            60,
        )
        .await;
    assert!(browser.text().await.contains("paid by L1 block"));
    browser.screenshot(&shots, "withdrawal").await;

    println!("explorer pages' loads (ms, as the page measured them): {load_ms:?}; screenshots in {}", shots.display());
    browser.close().await;
    drop(watcher);
    honest.stop().await;
    faulty.stop().await;
}
