//! The whole lifecycle on go-zenon: `zr up --l1 znnd` (a one-pillar znnd with the rollup spork, real 10 s
//! momentums, real plasma and PoW), the README's walkthrough against it with `zr`, blocks paid by PoW, and a
//! fault-injected executor's claim challenged by `zr-challenge watch --challenge`'s loop, judged by the pillar
//! through the C library, rejected and its bond slashed.
//!
//! It needs znnd built with the spork: `ops/znnd.sh build`, then
//! `ZR_ZNND_BIN=~/.cache/zrollup/znnd cargo test -p zr-cli --test it znnd -- --ignored --nocapture`
//! (`.ci/run` does both).

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use zr_common::nom::BlockType;
use zr_common::nom::rpc::GetRequiredParam;
use zr_common::{Address, KeyPair, TokenStandard};
use zr_config::{ChallengerConfig, L1Section};
use zr_local_network::LocalNet;
use zr_sequencing::{L1, L1Error, SendRequest, ZnndClient, receive_block, send_block, unreceived_from};

use crate::rollup::Network;

/// The directory holding znnd and zr-localnet, as `ops/znnd.sh build` printed it.
fn znnd_bin() -> String {
    std::env::var("ZR_ZNND_BIN").unwrap_or_else(|_| {
        panic!("ZR_ZNND_BIN is not set: run `ops/znnd.sh build` and set it to the directory it prints")
    })
}

/// Prints how long a phase took with real 10 s momentums (the figures the closing note reports).
struct Phases(Instant, Instant);

impl Phases {
    fn done(&mut self, what: &str) {
        println!(
            "znnd lifecycle: {what} in {:.1} s ({:.0} s in all)",
            self.1.elapsed().as_secs_f64(),
            self.0.elapsed().as_secs_f64()
        );
        self.1 = Instant::now();
    }
}

#[test]
#[ignore = "needs znnd built with the spork: ops/znnd.sh build; ZR_ZNND_BIN=DIR cargo test -p zr-cli --test it znnd -- --ignored"]
fn the_whole_lifecycle_runs_on_znnd() {
    let started = Instant::now();
    let mut phases = Phases(started, started);
    let net = Network::up_with(&["--l1", "znnd", "--znnd-bin", &znnd_bin()]);
    assert_eq!(net.info["l1"], "znnd");
    assert_eq!(net.info["chainIdentifier"], zr_config::defaults::DEV_L1_CHAIN_IDENTIFIER);
    phases.done("zr up --l1 znnd (znnd's genesis, first momentums, the relay's deposit credited)");

    let me = net.json(&["key", "show"])["address"].as_str().unwrap().to_owned();
    assert!(net.info["funded"].as_array().unwrap().iter().any(|a| a == &me));
    let deposit = net.json(&["deposit", "1000"]);
    assert_eq!(deposit["account"]["znn"], "100000000000");
    phases.done("a deposit from L1, credited on the rollup");

    let token_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../contracts/wasm/token.wasm");
    let token = net.json(&["deploy", token_path])["contract"].as_str().unwrap().to_owned();
    let mint = net.json(&["call", &token, "mint", &format!("address:{me}"), "u128:1000"]);
    assert_eq!(mint["status"], "executed");
    let other = "z1qqjnwjjpnue8xmmpanz6csze6tcmtzzdtfsww7";
    let moved = net.json(&["call", &token, "transfer", &format!("address:{other}"), "u128:250"]);
    assert_eq!(moved["status"], "executed", "{moved}");
    let balance = net.json(&["query", &token, "balance", &format!("address:{other}"), "--as", "u128"]);
    assert_eq!(balance["decoded"], "250");
    phases.done("the token deployed, minted and transferred through the relay");

    let transfer = net.json(&["transfer", other, "1.5"]);
    assert_eq!(transfer["status"], "executed");
    let withdrawn = net.json(&["withdraw", "2"]);
    assert_eq!(withdrawn["recipient"], me.as_str(), "{withdrawn}");
    assert!(withdrawn["l1Block"].as_str().is_some_and(|h| h.len() == 64), "{withdrawn}");
    assert!(withdrawn["receivedBy"].as_str().is_some_and(|h| h.len() == 64), "{withdrawn}");
    let settled = net.json(&["tx", transfer["hash"].as_str().unwrap()]);
    assert_eq!(settled["final"], true, "the transfer before the withdrawal is final too: {settled}");
    phases.done("a withdrawal final, proven, paid by the spork's contract send and received on L1");

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(znnd_answers_as_the_devnets_goldens_say(&net));
    runtime.block_on(an_account_without_fused_qsr_pays_its_blocks_by_pow(&net));
    phases.done("a new L1 account's receive and deposit paid by PoW, the deposit credited");
    runtime.block_on(a_faulty_claim_is_challenged_judged_and_slashed(&net, &mut phases));
    println!("znnd lifecycle: {:.0} s in all", started.elapsed().as_secs_f64());
}

/// The answers `zr-tests`' `go_zenon_parity` expects of the devnet, asked of the real znnd: the goldens hold.
async fn znnd_answers_as_the_devnets_goldens_say(net: &Network) {
    let l1 = ZnndClient::new(net.info["l1Http"].as_str().unwrap(), net.info["l1Ws"].as_str().unwrap()).unwrap();
    let refusal = async |method: &str, params: Value| match l1.call::<Value>(method, params).await {
        Err(L1Error::Rpc { code, message, .. }) => (code, message),
        other => panic!("{method} answered {other:?}"),
    };
    let unfused = KeyPair::from_seed(&[0x51; 32]);
    let param = GetRequiredParam {
        address: unfused.address(),
        block_type: BlockType::UserSend as u64,
        to_address: Some(Address::INBOX),
        data: vec![7; 16 * 1024],
    };
    let pow = refusal("embedded.plasma.getRequiredPoWForAccountBlock", json!([param])).await;
    assert_eq!(pow, (-32000, "forbidden parameter".to_owned()));
    let me = unfused.address();
    let size = refusal("ledger.getUnreceivedBlocksByAddress", json!([me, 0, 51])).await;
    assert_eq!(size, (-32000, "page-size parameter is too big".to_owned()));
    let index = refusal("ledger.getUnreceivedBlocksByAddress", json!([me, 10, 50])).await;
    assert_eq!(index, (-32000, "page-index parameter is too big".to_owned()));
}

/// An account with no fused QSR (a fresh key the user pays on L1) receives and deposits by PoW: znnd accepts
/// the client's PoW, and the deposit is credited on the rollup.
async fn an_account_without_fused_qsr_pays_its_blocks_by_pow(net: &Network) {
    let l1 = ZnndClient::new(net.info["l1Http"].as_str().unwrap(), net.info["l1Ws"].as_str().unwrap()).unwrap();
    let chain = l1.frontier_momentum().await.unwrap().chain_identifier;
    let user = KeyPair::read_file(&net.home.path().join("keys/default.json")).unwrap();
    let fresh = KeyPair::from_seed(&[0x61; 32]);
    let znn = |whole: u128| whole * 100_000_000;
    let pay = SendRequest { to: fresh.address(), token: TokenStandard::ZNN, amount: znn(10), data: vec![] };
    send_block(&l1, chain, &user, pay).await.unwrap();
    let payment = eventually(Duration::from_secs(60), async || {
        unreceived_from(&l1, &fresh.address(), &user.address()).await.ok()?.into_iter().next()
    })
    .await
    .expect("the payment to the fresh account is confirmed");
    let received = receive_block(&l1, chain, &fresh, payment.hash).await.unwrap();
    assert!(received.difficulty > 0 && received.fused_plasma == 0, "{received:?}");
    // Its balance is the receive's once a momentum confirms it.
    eventually(Duration::from_secs(60), async || {
        (l1.frontier_block(&fresh.address()).await.ok()??.hash == received.hash
            && l1.account_info(&fresh.address()).await.ok()?.account_height == received.height)
            .then_some(())
    })
    .await
    .expect("the receive is confirmed");
    let deposit = SendRequest { to: Address::INBOX, token: TokenStandard::ZNN, amount: znn(5), data: vec![] };
    let deposited = send_block(&l1, chain, &fresh, deposit).await.unwrap();
    assert!(deposited.difficulty > 0 && deposited.fused_plasma == 0, "{deposited:?}");
    let fresh_address = fresh.address().to_string();
    eventually(Duration::from_secs(90), async || {
        (net.json(&["balance", &fresh_address])["rollup"]["znn"] == "500000000").then_some(())
    })
    .await
    .expect("the PoW-paid deposit is credited on the rollup");
}

/// The dev key (funded, unused so far) runs an executor that falsifies leaf 0 of a momentum a few ahead; the
/// user's key watches with `--challenge` against the network's honest executor.
async fn a_faulty_claim_is_challenged_judged_and_slashed(net: &Network, phases: &mut Phases) {
    let l1_section = L1Section::at(net.info["l1Http"].as_str().unwrap(), net.info["l1Ws"].as_str().unwrap());
    let l1 = Arc::new(ZnndClient::new(&l1_section.http, &l1_section.ws).unwrap());
    let honest_rpc = net.info["executorRpc"].as_str().unwrap().to_owned();
    let dev_key_file = std::path::PathBuf::from(net.info["devKey"].as_str().unwrap());
    let faulty_key = KeyPair::read_file(&dev_key_file).unwrap();
    let fault_at = l1.frontier_momentum().await.unwrap().height + 4;
    let dir = tempfile::tempdir().unwrap();
    let fault = format!("{fault_at}:0");
    let faulty =
        LocalNet::builder(dir.path(), zr_config::defaults::DEV_ROLLUP_CHAIN_ID, l1_section.clone(), faulty_key.clone())
            .tune_executor(move |config| config.dangerous_fault_injection = Some(fault.clone()))
            .start(l1.clone())
            .await
            .unwrap();
    let challenger_config = ChallengerConfig {
        data_dir: dir.path().join("challenger"),
        chain_id: zr_config::defaults::DEV_ROLLUP_CHAIN_ID,
        key_file: Some(net.home.path().join("keys/default.json")),
        executor_rpc: honest_rpc.clone(),
        l1: l1_section,
    };
    let watch = zr_challenger::watch::Watch {
        peers: vec![faulty.executor.rpc_url()],
        challenge: true,
        once: false,
        json: true,
        announce: false,
    };
    let challenger = tokio::spawn(async move { zr_challenger::watch::run(&challenger_config, watch).await });

    let verdict = eventually(Duration::from_secs(600), async || {
        let challenges: Value = l1.call("embedded.rollup.getChallenges", json!([fault_at, 1])).await.ok()?;
        challenges.as_array()?.iter().find(|c| c["status"]["kind"] == "executorWrong").cloned()
    })
    .await
    .unwrap_or_else(|| panic!("no verdict on the faulty claim of momentum {fault_at} within 10 minutes"));
    phases.done(&format!("a faulty claim of momentum {fault_at} challenged and judged wrong by the pillar"));

    let honest_root = l1.call::<Value>("embedded.rollup.getClaims", json!([fault_at, 1])).await.unwrap();
    let honest = honest_root
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["executor"] != json!(faulty_key.public()))
        .cloned()
        .unwrap_or_else(|| panic!("no honest claim of {fault_at}: {honest_root}"));
    assert_eq!(verdict["status"]["correctRoot"], honest["newStateRoot"], "{verdict} / {honest}");
    assert_eq!(l1.rollup_bond(&faulty_key.address()).await.unwrap(), None, "the faulty executor's bond is slashed");
    let final_root = eventually(Duration::from_secs(180), async || {
        l1.rollup_final().await.ok().flatten().filter(|f| f.height >= fault_at)
    })
    .await
    .expect("finality passes the judged height");
    println!("znnd lifecycle: the final root passed momentum {fault_at} (now at {})", final_root.height);
    phases.done("finality past the judged height");
    challenger.abort();
    faulty.stop().await;
}

/// Polls `probe` every second until it answers, or `limit` passes.
async fn eventually<T>(limit: Duration, mut probe: impl AsyncFnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Some(found) = probe().await {
            return Some(found);
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    None
}
