//! Relays end to end: a devnet, an executor and two relays (one a child process killed with SIGKILL mid-run
//! and restarted); users submit through both, some the same transactions to both, and watch each one with
//! `sendTransactionAndWatch`; the relays gossip over libp2p. Relay A first runs on an L1 account without fused plasma, so its transactions
//! are still pending when it is killed: only its mempool on disk can bring them to L1 after the restart
//! (with a funded account). Every accepted transaction is executed exactly once, and appears in exactly one
//! momentum's canonical order unless it was given to both relays.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use jsonrpsee::core::client::Subscription;
use jsonrpsee::ws_client::WsClientBuilder;
use zr_common::daemon::Served;
use zr_common::rollup::{Transaction, TxBody, TxKind};
use zr_common::{Canonical, Hash, KeyPair, TokenStandard};
use zr_config::{L1Section, Listen, RelayConfig};
use zr_rpc_api::{RollupRelayApiClient, RollupStateApiClient, RollupTxApiClient, TransactionStatus, TransactionView};
use zr_sequencing::{L1, canonical_order};

use crate::rollup_support::*;
use crate::support::{Killed, TestNet, daemon_command, eventually, spawn_announced};

pub(crate) fn relay_config(net: &TestNet, key: &KeyPair, dir: &Path, executor: &str) -> RelayConfig {
    let key_file = dir.join("relay-key.json");
    if !key_file.exists() {
        key.write_file(&key_file).unwrap();
    }
    let l1 = L1Section::at(net.handle().http_url(), net.handle().ws_url());
    RelayConfig::node(dir.join("mempool"), ROLLUP, key_file, executor.to_owned(), l1, Listen::loopback_any())
}

fn spawn_relay(config: &RelayConfig) -> (Killed, String) {
    let (child, announced) = spawn_relay_announced(config);
    (child, announced["rpc"].as_str().unwrap().to_owned())
}

/// A child relay on `config`; returns it with its announcement.
pub(crate) fn spawn_relay_announced(config: &RelayConfig) -> (Killed, serde_json::Value) {
    let file = config.data_dir.with_extension("toml");
    let (child, announced) =
        spawn_announced(&mut daemon_command(env!("CARGO_BIN_EXE_relay-under-test"), config, &file));
    assert_eq!(announced["daemon"], "zr-relay");
    let file = std::fs::read_to_string(config.data_dir.join(zr_common::daemon::ENDPOINTS_FILE)).unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&file).unwrap(),
        announced,
        "the endpoints file says the same"
    );
    (child, announced)
}

pub(crate) fn transfer(key: &KeyPair, nonce: u64, amount: u128) -> Transaction {
    let to = KeyPair::from_seed(&[99; 32]).address();
    TxBody {
        chain_id: ROLLUP,
        sender: key.public(),
        nonce,
        gas_limit: 100_000,
        fee_per_gas: 1,
        kind: TxKind::Transfer { to, token: TokenStandard::ZNN, amount },
    }
    .sign(key)
}

/// Submits `tx` to the relay at `url` with `sendTransactionAndWatch`; returns the stream.
async fn watch(url: &str, tx: &Transaction) -> (jsonrpsee::ws_client::WsClient, Subscription<TransactionView>) {
    let ws = WsClientBuilder::default().build(url.replace("http://", "ws://")).await.unwrap();
    let sub = ws.send_transaction_and_watch(hex::encode(tx.to_bytes())).await.unwrap();
    (ws, sub)
}

/// The network's first executor, with 1 000 ZNN of Alice's deposited on the rollup.
async fn executor_with_alice_deposited(net: &TestNet) -> (tempfile::TempDir, zr_executor::node::ExecutorHandle) {
    let (dir, executor) = first_executor(net).await;
    deposit(net, &net.alice, 1_000 * 100_000_000, &executor.rpc_url()).await;
    (dir, executor)
}

/// Reads a status stream to its end; returns the statuses seen.
async fn statuses(mut sub: Subscription<TransactionView>) -> Vec<TransactionView> {
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while let Ok(Some(Ok(view))) = tokio::time::timeout_at(deadline, sub.next()).await {
        let terminal = view.status.is_terminal();
        seen.push(view);
        if terminal {
            break;
        }
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_relays_a_sigkill_and_every_transaction_lands_once() {
    let net = TestNet::start().await;
    let (_executor_dir, executor) = first_executor(&net).await;
    let executor_url = executor.rpc_url();
    let dir_a = tempfile::tempdir().unwrap();
    let dir_b = tempfile::tempdir().unwrap();
    // Bob has no fused QSR: PoW cannot pay a bundle carrying a 15 KB upload chunk.
    let mut config_a = relay_config(&net, &net.bob, dir_a.path(), &executor_url);
    let mut config_b = relay_config(&net, &net.relays[1], dir_b.path(), &executor_url);
    config_b.p2p.listen = Some("/ip4/127.0.0.1/tcp/0".into());
    let relay_b = zr_relay::start(&config_b, net.relays[1].clone(), net.client()).await.unwrap();
    // A gossips with B.
    config_a.p2p.listen = Some("/ip4/127.0.0.1/tcp/0".into());
    config_a.p2p.peers = vec![relay_b.gossip.as_ref().unwrap().1.clone()];
    let (child, mut url_a) = spawn_relay(&config_a);
    let url_b = relay_b.rpc_url();

    // Alice deposits on L1, then funds the users through relay B.
    let alice = net.alice.clone();
    deposit(&net, &alice, 1_000_000 * 100_000_000, &executor_url).await;
    let users: Vec<KeyPair> = (0..6).map(|i| KeyPair::from_seed(&[60 + i; 32])).collect();
    let mut funding = Vec::new();
    for (nonce, user) in users.iter().enumerate() {
        let pay = TxKind::Transfer { to: user.address(), token: TokenStandard::ZNN, amount: 100 * 100_000_000 };
        let tx = sign(&alice, nonce as u64, pay);
        funding.push(api(&url_b).send_transaction(hex::encode(tx.to_bytes())).await.unwrap());
    }
    for hash in &funding {
        executed(&executor_url, hash).await;
    }

    // Phase 1: users 0..3 through A, 3..6 through B; users 0 and 3 give their first transaction to both.
    let mut accepted: BTreeMap<Hash, bool> = BTreeMap::new(); // hash → given to both relays
    let mut streams_a = Vec::new();
    let mut streams_b = Vec::new();
    let mut only_a = Vec::new();
    let chunk = vec![7u8; zr_common::rollup::limits::MAX_CODE_CHUNK_LEN];
    let upload = TxBody {
        chain_id: ROLLUP,
        sender: users[1].public(),
        nonce: 0,
        gas_limit: 3_000_000,
        fee_per_gas: 2,
        kind: TxKind::UploadChunk { code_hash: zr_common::sha3_256(&chunk), index: 0, count: 2, bytes: chunk },
    }
    .sign(&users[1]);
    for (i, user) in users.iter().enumerate() {
        for nonce in 0..3 {
            let tx = if i == 1 && nonce == 0 { upload.clone() } else { transfer(user, nonce, 1 + nonce as u128) };
            let both = nonce == 0 && (i == 0 || i == 3);
            if both {
                // At the same moment to both: each relay admits it from its user before it hears the other.
                let (to_a, to_b) = tokio::join!(watch(&url_a, &tx), watch(&url_b, &tx));
                streams_a.push(to_a);
                streams_b.push(to_b);
            } else if i < 3 {
                streams_a.push(watch(&url_a, &tx).await);
                only_a.push(tx.clone());
            } else {
                streams_b.push(watch(&url_b, &tx).await);
            }
            accepted.insert(tx.hash(), both);
        }
    }
    // A cannot post (the upload's bundle needs fused plasma): what it accepted stays pending, in its mempool.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let only_a_txs = only_a;
    let only_a: Vec<Hash> = only_a_txs.iter().map(Transaction::hash).collect();
    let held_by_a = api(&url_a).get_transactions(only_a.clone()).await.unwrap();
    assert!(
        held_by_a.iter().all(|v| v.as_ref().is_some_and(|v| v.status == TransactionStatus::Pending)),
        "relay A holds its transactions pending: {held_by_a:?}"
    );
    let first_only_a = only_a_txs[0].clone();
    // B heard of them over gossip, and leaves them to A (A took them from their users).
    for hash in &only_a {
        let held = relay_b.relay.view(hash).unwrap_or_else(|| panic!("B never heard of {hash}"));
        assert_eq!(held.status, TransactionStatus::Pending);
    }
    // A user who gives B one that B holds for A gets its status stream, not a refusal.
    let (_ws, mut again) = watch(&url_b, &first_only_a).await;
    let view = again.next().await.unwrap().unwrap();
    assert_eq!((view.hash, view.status), (first_only_a.hash(), TransactionStatus::Pending));
    // SIGKILL relay A, then restart it on the same mempool with a funded L1 account.
    drop(child);
    drop(streams_a);
    std::fs::remove_file(config_a.key_file.as_ref().unwrap()).unwrap();
    net.relays[0].write_file(config_a.key_file.as_ref().unwrap()).unwrap();
    let (restarted, url) = spawn_relay(&config_a);
    let child = restarted;
    url_a = url;

    // Relay A's transactions from before the kill were only on its disk: the restarted relay posts them.
    for hash in &only_a {
        let client = api(&url_a);
        eventually(async || {
            let view = client.get_transaction(*hash).await.unwrap();
            view.is_some_and(|v| v.status == TransactionStatus::Executed)
        })
        .await;
    }

    // Phase 2: more through both, a nonce gap filled later, and a replay refused.
    let mut phase2 = Vec::new();
    for (i, user) in users.iter().enumerate() {
        let url = if i % 2 == 0 { &url_a } else { &url_b };
        let later = transfer(user, 4, 5);
        let gap = transfer(user, 3, 4);
        let (_ws1, queued) = watch(url, &later).await;
        let (ws2, filled) = watch(url, &gap).await;
        accepted.insert(later.hash(), false);
        accepted.insert(gap.hash(), false);
        phase2.push((_ws1, queued));
        phase2.push((ws2, filled));
    }
    let replay = api(&url_b).send_transaction(hex::encode(transfer(&users[3], 1, 2).to_bytes())).await;
    let error = match replay {
        Err(jsonrpsee::core::ClientError::Call(e)) => e,
        other => panic!("a replay must be refused, got {other:?}"),
    };
    assert!(
        [zr_rpc_api::codes::rejected::KNOWN, zr_rpc_api::codes::rejected::NONCE_TOO_LOW].contains(&error.code()),
        "{error:?}"
    );

    // Every stream that was not cut by the kill ends in `executed`, through the stages in order.
    for (_ws, sub) in streams_b.into_iter().chain(phase2) {
        assert_executed_through_the_stages_in_order(&statuses(sub).await);
    }

    // Exactly once on L1.
    let places = places_on_l1(&net).await;
    for (hash, both) in &accepted {
        let count = places.get(hash).copied().unwrap_or(0);
        assert_eq!(count, 1, "{hash} (given to both relays: {both}) is on L1 {count} times");
        let view = api(&executor_url).get_transaction(*hash).await.unwrap().unwrap();
        assert_eq!(view.status, TransactionStatus::Executed, "{hash} executed once");
    }
    // B counts A among its gossip peers.
    let ops_b = format!("http://{}/metrics", relay_b.ops_addr);
    eventually(async || reqwest::get(&ops_b).await.unwrap().text().await.unwrap().contains("zr_relay_peers 1")).await;
    drop(child);
    relay_b.stop().await;
    executor.stop().await;
}

/// A status stream ends in `executed`, with its receipt, through the stages in order (`queued` may come back
/// after a later stage when the sender's nonce gap reopens).
fn assert_executed_through_the_stages_in_order(seen: &[TransactionView]) {
    let last = seen.last().unwrap_or_else(|| panic!("no status"));
    assert_eq!(last.status, TransactionStatus::Executed, "{seen:?}");
    assert!(last.receipt.is_some());
    let order: Vec<TransactionStatus> = seen.iter().map(|v| v.status).collect();
    let rank = |s: &TransactionStatus| match s {
        TransactionStatus::Queued => 0,
        TransactionStatus::Pending => 1,
        TransactionStatus::Bundled => 2,
        TransactionStatus::Sequenced => 3,
        _ => 4,
    };
    assert!(order.windows(2).all(|w| rank(&w[0]) <= rank(&w[1]) || w[0] == TransactionStatus::Queued), "{order:?}");
}

/// How many places each rollup transaction has in the canonical orders of every momentum L1 holds.
async fn places_on_l1(net: &TestNet) -> BTreeMap<Hash, usize> {
    let client = net.client();
    let frontier = client.frontier_momentum().await.unwrap().height;
    let mut places: BTreeMap<Hash, usize> = BTreeMap::new();
    let mut height = 1;
    while height <= frontier {
        let momentums = client.detailed_momentums(height, 50).await.unwrap();
        for m in &momentums {
            let blocks: Vec<_> = m.blocks.iter().map(|b| b.block.clone()).collect();
            let ordered =
                canonical_order(ROLLUP, &zr_common::Address::INBOX, &m.momentum.momentum.previous_hash, &blocks);
            for tx in ordered.transactions {
                *places.entry(tx.hash).or_default() += 1;
            }
        }
        height += momentums.len().max(1) as u64;
    }
    places
}

/// The code of a refused `rollup.sendTransaction`.
async fn refusal(url: &str, tx_hex: String) -> (i32, String, Option<serde_json::Value>) {
    let answer = raw_rpc(url, "rollup.sendTransaction", serde_json::json!([tx_hex])).await;
    let error = &answer["error"];
    assert!(error.is_object(), "expected a refusal, got {answer}");
    (error["code"].as_i64().unwrap() as i32, error["message"].as_str().unwrap().to_owned(), error.get("data").cloned())
}

/// Garbage, forged, wrong-chain, underpaid, unfunded and over-cap transactions are each refused with their reason
/// (and counted by it), what was accepted lands, and followers that leave hold nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_with_its_reason_and_the_relay_keeps_serving() {
    use zr_rpc_api::codes::rejected;
    let net = TestNet::start().await;
    let (_executor_dir, executor) = first_executor(&net).await;
    let relay_dir = tempfile::tempdir().unwrap();
    let config = RelayConfig {
        min_fee_per_gas: 2,
        max_txs_per_sender: 8,
        ..relay_config(&net, &net.relays[0], relay_dir.path(), &executor.rpc_url())
    };
    let relay = zr_relay::start(&config, net.relays[0].clone(), net.client()).await.unwrap();
    let url = relay.rpc_url();
    let alice = net.alice.clone();
    deposit(&net, &alice, 1_000 * 100_000_000, &executor.rpc_url()).await;
    let signed = |nonce: u64, fee_per_gas: u64, chain_id: u64| {
        let to = KeyPair::from_seed(&[98; 32]).address();
        let kind = TxKind::Transfer { to, token: TokenStandard::ZNN, amount: 1 };
        TxBody { chain_id, sender: alice.public(), nonce, gas_limit: 100_000, fee_per_gas, kind }.sign(&alice)
    };
    let hex_of = |tx: &Transaction| hex::encode(tx.to_bytes());

    // Garbage and oversized bodies: refused, the server stays up.
    let client = reqwest::Client::new();
    let garbage = client.post(&url).header("content-type", "application/json").body("{not json").send().await.unwrap();
    let garbage: serde_json::Value = garbage.json().await.unwrap();
    assert_eq!(garbage["error"]["code"], -32700, "{garbage}");
    let huge =
        client.post(&url).header("content-type", "application/json").body(vec![b' '; 2 * 1024 * 1024]).send().await;
    assert!(huge.map(|r| !r.status().is_success()).unwrap_or(true));

    assert_eq!(refusal(&url, "zz".into()).await.0, rejected::MALFORMED);
    assert_eq!(refusal(&url, format!("{}00", hex_of(&signed(0, 2, ROLLUP)))).await.0, rejected::MALFORMED);
    let mut forged = signed(0, 2, ROLLUP);
    forged.body.gas_limit += 1;
    assert_eq!(refusal(&url, hex_of(&forged)).await.0, rejected::BAD_SIGNATURE);
    let (code, message, _) = refusal(&url, hex_of(&signed(0, 2, ROLLUP + 1))).await;
    assert_eq!(code, rejected::WRONG_CHAIN, "{message}");
    let (code, message, _) = refusal(&url, hex_of(&signed(0, 1, ROLLUP))).await;
    assert_eq!(code, rejected::FEE_TOO_LOW);
    assert!(message.contains("minimum of 2"), "{message}");
    let poor = KeyPair::from_seed(&[97; 32]);
    let kind = TxKind::Transfer { to: alice.address(), token: TokenStandard::ZNN, amount: 1 };
    let broke = TxBody { chain_id: ROLLUP, sender: poor.public(), nonce: 0, gas_limit: 100_000, fee_per_gas: 2, kind }
        .sign(&poor);
    assert_eq!(refusal(&url, hex_of(&broke)).await.0, rejected::INSUFFICIENT_FUNDS);

    // A flood from one sender stops at its cap; what was accepted lands, a replay gets the expected nonce.
    let mut accepted = Vec::new();
    for nonce in 0..8 {
        accepted.push(api(&url).send_transaction(hex_of(&signed(nonce, 2, ROLLUP))).await.unwrap());
    }
    assert_eq!(refusal(&url, hex_of(&signed(8, 2, ROLLUP))).await.0, rejected::SENDER_FULL);
    assert_eq!(refusal(&url, hex_of(&signed(3, 2, ROLLUP))).await.0, rejected::KNOWN);
    // The same nonce again, paying less than 10 % more: refused (whether still pending or already posted).
    let to = KeyPair::from_seed(&[96; 32]).address();
    let kind = TxKind::Transfer { to, token: TokenStandard::ZNN, amount: 1 };
    let cheap = TxBody { chain_id: ROLLUP, sender: alice.public(), nonce: 7, gas_limit: 100_000, fee_per_gas: 2, kind };
    assert_eq!(refusal(&url, hex_of(&cheap.sign(&alice))).await.0, rejected::UNDERPRICED);
    for hash in &accepted {
        executed(&executor.rpc_url(), hash).await;
    }
    eventually(async || api(&url).get_nonce(alice.address(), None).await.unwrap() == 8).await;
    let (code, message, data) = refusal(&url, hex_of(&signed(2, 3, ROLLUP))).await;
    assert_eq!(code, rejected::NONCE_TOO_LOW, "{message}");
    assert_eq!(data.unwrap()["expected"], 8);
    assert!(message.contains("next nonce is 8"), "{message}");

    // Attack (hardening #4): following unknown hashes and leaving, over and over, leaves nothing behind.
    for round in 0..50u32 {
        let ws = WsClientBuilder::default().build(url.replace("http://", "ws://")).await.unwrap();
        let mut subs = Vec::new();
        for n in 0..6u32 {
            let hash = zr_common::sha3_256(&[round.to_le_bytes(), n.to_le_bytes()].concat());
            subs.push(ws.subscribe_events(zr_rpc_api::Topic::TransactionStatus, Some(hash)).await.unwrap());
        }
        drop(subs);
        drop(ws);
    }
    let ops = format!("http://{}", relay.ops_addr);
    let nothing_watched = async || {
        let metrics = reqwest::get(format!("{ops}/metrics")).await.unwrap().text().await.unwrap();
        metrics.contains("zr_relay_watched_transactions 0")
    };
    eventually(nothing_watched).await;

    // What was refused is on the ops endpoint by reason, every call by method; invented names are `other`.
    let unknown = raw_rpc(&url, "rollup.noSuchMethod", serde_json::json!([])).await;
    assert_eq!(unknown["error"]["code"], -32601, "{unknown}");
    let metrics = reqwest::get(format!("{ops}/metrics")).await.unwrap().text().await.unwrap();
    for series in [
        "zr_relay_rejected_total{reason=\"bad_signature\"} 1",
        "zr_relay_rejected_total{reason=\"sender_full\"} 1",
        "zr_relay_rejected_total{reason=\"nonce_too_low\"} 1",
        "zr_relay_rpc_errors_total{method=\"other\"} 1",
        "zr_relay_admitted_total 8",
    ] {
        assert!(metrics.contains(series), "{series} missing from\n{metrics}");
    }
    assert!(metrics.contains("zr_relay_rpc_seconds_count{method=\"rollup.sendTransaction\"}"), "{metrics}");
    assert!(!metrics.contains("noSuchMethod"), "a client's invented method name is not a label");
    assert!(metrics.contains("process_resident_memory_bytes"), "{metrics}");
    assert_eq!(reqwest::get(format!("{ops}/ready")).await.unwrap().status(), 200);
    assert_eq!(reqwest::get(format!("{ops}/health")).await.unwrap().status(), 200);
    assert_eq!(reqwest::get(format!("{ops}/nothing")).await.unwrap().status(), 404);
    relay.stop().await;
    executor.stop().await;
}

/// A flood from one IP address is refused beyond its rate and its connections; other addresses are served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_from_one_ip_address_is_refused_beyond_its_limits_and_others_are_served() {
    use zr_rpc_api::codes::rejected;
    let net = TestNet::start().await;
    let (_executor_dir, executor) = first_executor(&net).await;
    let alice = net.alice.clone();
    let limited_dir = tempfile::tempdir().unwrap();
    let limited = RelayConfig {
        calls_per_ip_per_second: 10,
        calls_per_ip_burst: 10,
        connections_per_ip: 2,
        ..relay_config(&net, &net.relays[1], limited_dir.path(), &executor.rpc_url())
    };
    let limited = zr_relay::start(&limited, net.relays[1].clone(), net.client()).await.unwrap();
    let url = limited.rpc_url();
    let from = |ip: [u8; 4]| reqwest::Client::builder().local_address(IpAddr::from(ip)).build().unwrap();
    let call = |id: usize| serde_json::json!({"jsonrpc": "2.0", "id": id, "method": "rollup.getNonce", "params": [alice.address()]});
    let flood: Vec<_> = (0..40).map(call).collect();
    let answers: Vec<serde_json::Value> =
        from([127, 0, 0, 1]).post(&url).json(&flood).send().await.unwrap().json().await.unwrap();
    let limited_calls: Vec<_> = answers.iter().filter(|a| a["error"]["code"] == rejected::RATE_LIMITED).collect();
    assert!(limited_calls.len() >= 25, "a batch of 40 against a burst of 10: {answers:?}");
    let message = limited_calls[0]["error"]["message"].as_str().unwrap();
    assert!(message.contains("127.0.0.1") && message.contains("10 calls a second"), "{message}");
    let other: serde_json::Value =
        from([127, 0, 0, 2]).post(&url).json(&call(1)).send().await.unwrap().json().await.unwrap();
    assert_eq!(other["result"], 0, "another address is served: {other}");

    let connect = async || {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.3:0".parse().unwrap()).unwrap();
        socket.connect(limited.rpc_addr).await.unwrap()
    };
    // Two WebSockets hold the address's two places (an upgraded connection counts as long as it is open).
    let websocket = async || {
        let mut socket = connect().await;
        let upgrade = "GET / HTTP/1.1\r\nhost: relay\r\nupgrade: websocket\r\nconnection: upgrade\r\n\
                       sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n";
        tokio::io::AsyncWriteExt::write_all(&mut socket, upgrade.as_bytes()).await.unwrap();
        let mut answer = vec![0u8; 1024];
        let n = tokio::io::AsyncReadExt::read(&mut socket, &mut answer).await.unwrap();
        let answer = String::from_utf8_lossy(&answer[..n]).into_owned();
        assert!(answer.starts_with("HTTP/1.1 101"), "{answer}");
        socket
    };
    let held = [websocket().await, websocket().await];
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut third = connect().await;
    let mut answer = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut third, &mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 429"), "{answer}");
    assert!(answer.contains("127.0.0.3 holds 2 connections"), "{answer}");
    drop(held);
    eventually(async || {
        let client = reqwest::Client::builder().local_address(IpAddr::from([127, 0, 0, 3])).build().unwrap();
        client.post(&url).json(&call(1)).send().await.is_ok_and(|r| r.status().is_success())
    })
    .await;
    limited.stop().await;
    executor.stop().await;
}

/// 20 relays gossiping over libp2p (each dials the first and the one before it): a transaction submitted to one reaches
/// every relay, lands once, and what a rogue peer gossips (garbage, a far-future nonce) is kept by none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_relays_gossip_transactions_and_refuse_garbage() {
    let net = TestNet::start().await;
    let (_executor_dir, executor) = executor_with_alice_deposited(&net).await;
    let alice = net.alice.clone();

    let dirs: Vec<tempfile::TempDir> = (0..20).map(|_| tempfile::tempdir().unwrap()).collect();
    let mut relays: Vec<zr_relay::RelayHandle> = Vec::new();
    for (i, dir) in dirs.iter().enumerate() {
        // The first and the last have L1 accounts with plasma; the others only hold what peers gossip.
        let key = match i {
            0 => net.relays[0].clone(),
            19 => net.relays[1].clone(),
            _ => KeyPair::from_seed(&[120 + i as u8; 32]),
        };
        let mut config = relay_config(&net, &key, dir.path(), &executor.rpc_url());
        config.p2p.listen = Some("/ip4/127.0.0.1/tcp/0".into());
        // Each dials the first and the one before it.
        let addr = |r: &zr_relay::RelayHandle| r.gossip.as_ref().unwrap().1.clone();
        config.p2p.peers = relays.first().into_iter().chain(relays.last()).map(addr).collect();
        config.p2p.peers.dedup();
        relays.push(zr_relay::start(&config, key, net.client()).await.unwrap());
    }
    // The mesh forms (gossipsub heartbeats every 500 ms).
    tokio::time::sleep(Duration::from_secs(5)).await;

    // Nonce 1 first: it waits for nonce 0, so it cannot execute (and leave a far relay refusing it as spent)
    // before the gossip has crossed the chain of twenty relays.
    let waiting = transfer(&alice, 1, 5);
    let hash = api(&relays[0].rpc_url()).send_transaction(hex::encode(waiting.to_bytes())).await.unwrap();
    for relay in &relays {
        let relay = relay.relay.clone();
        eventually(async || relay.view(&hash).is_some()).await;
    }
    let first = transfer(&alice, 0, 5);
    api(&relays[0].rpc_url()).send_transaction(hex::encode(first.to_bytes())).await.unwrap();
    executed(&executor.rpc_url(), &first.hash()).await;
    executed(&executor.rpc_url(), &hash).await;

    // A rogue peer gossips garbage, a forged transaction and a far-future nonce to the last relay.
    let rogue = zr_p2p::start(
        &[77; 32],
        zr_p2p::P2pConfig {
            listen: "/ip4/127.0.0.1/tcp/0".into(),
            peers: vec![relays[19].gossip.as_ref().unwrap().1.clone()],
            topic: format!("zrollup/transactions/{ROLLUP}"),
            max_message_bytes: 20_000,
            peer_rate: 100,
            peer_burst: 100,
            ids: zr_p2p::MessageIds::AuthorAndContent,
        },
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let far = transfer(&alice, 1_000, 1);
    let mut forged = transfer(&alice, 2, 1);
    forged.body.gas_limit += 1;
    for message in [b"garbage".to_vec(), forged.to_bytes(), far.to_bytes()] {
        rogue.publish.send(message).await.unwrap();
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    for relay in &relays {
        assert!(relay.relay.view(&far.hash()).is_none());
        assert!(relay.relay.view(&forged.hash()).is_none());
    }
    // Everyone keeps serving.
    let next = transfer(&alice, 2, 6);
    let hash = api(&relays[19].rpc_url()).send_transaction(hex::encode(next.to_bytes())).await.unwrap();
    executed(&executor.rpc_url(), &hash).await;
    for relay in relays {
        relay.stop().await;
    }
    executor.stop().await;
}

/// Attack (hardening #7): sponsor mode checked that a sender had no grant, awaited its account, then recorded
/// the grant, so a batch of transactions from one new key got a grant each. The grant is reserved in the check.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_a_batch_from_one_new_sender_gets_one_sponsor_grant() {
    let net = TestNet::start().await;
    let (_executor_dir, executor) = first_executor(&net).await;
    // The relay's rollup account funds the grants.
    let funder = net.relays[0].clone();
    post_data(&net, &funder, vec![], 100_000_000).await;
    let funded = async || api(&executor.rpc_url()).get_balance(funder.address(), None).await.unwrap().znn > 0;
    eventually(funded).await;
    let relay_dir = tempfile::tempdir().unwrap();
    let config = RelayConfig {
        sponsor_grant: 1_000_000,
        ..relay_config(&net, &net.relays[0], relay_dir.path(), &executor.rpc_url())
    };
    let relay = zr_relay::start(&config, net.relays[0].clone(), net.client()).await.unwrap();
    let newcomer = KeyPair::from_seed(&[61; 32]);
    let batch: Vec<serde_json::Value> = (0..8u64)
        .map(|nonce| {
            let kind = TxKind::Transfer { to: net.bob.address(), token: TokenStandard::ZNN, amount: 1 };
            let body =
                TxBody { chain_id: ROLLUP, sender: newcomer.public(), nonce, gas_limit: 100_000, fee_per_gas: 1, kind };
            let hex = hex::encode(body.sign(&newcomer).to_bytes());
            serde_json::json!({"jsonrpc": "2.0", "id": nonce, "method": "rollup.sendTransaction", "params": [hex]})
        })
        .collect();
    let answers: Vec<serde_json::Value> =
        reqwest::Client::new().post(relay.rpc_url()).json(&batch).send().await.unwrap().json().await.unwrap();
    assert!(answers.iter().any(|a| a.get("result").is_some()), "{answers:?}");
    let metrics = reqwest::get(format!("http://{}/metrics", relay.ops_addr)).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("zr_relay_sponsor_grants_total 1\n"), "{answers:?}\n{metrics}");
    relay.stop().await;
}

/// The same transaction given twice at the same moment (a wallet retrying on a second connection, or a peer
/// relay's gossip racing the user): the second waits for the first's write instead of being refused with
/// "being stored", so both senders follow it to `executed`. Seen once in CI, where one of the SIGKILL test's
/// transactions given to both relays came back rejected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_transaction_given_twice_at_once_is_followed_by_both_not_refused() {
    let net = TestNet::start().await;
    let (_executor_dir, executor) = executor_with_alice_deposited(&net).await;
    let alice = net.alice.clone();
    let relay_dir = tempfile::tempdir().unwrap();
    let config = relay_config(&net, &net.relays[0], relay_dir.path(), &executor.rpc_url());
    let relay = zr_relay::start(&config, net.relays[0].clone(), net.client()).await.unwrap();
    let url = relay.rpc_url();
    let mut streams = Vec::new();
    for nonce in 0..5 {
        let tx = transfer(&alice, nonce, 1);
        let (first, second) = tokio::join!(watch(&url, &tx), watch(&url, &tx));
        streams.extend([first, second]);
    }
    for (_ws, sub) in streams {
        assert_executed_through_the_stages_in_order(&statuses(sub).await);
    }
    relay.stop().await;
    executor.stop().await;
}

/// Attack (hardening item 6): of two relays that both had a transaction from a user, the lower peer id
/// bundled it and the other waited `peer_takeover_secs` (30 s). A peer id is derived from a key, so a stranger
/// grinds a low one, connects, submits every transaction it hears of to itself, and posts it when it likes
/// (or never, and each of the victim's users waits the takeover time), taking the fees. A relay now bundles
/// what its own users gave it at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_a_peer_with_a_ground_low_id_cannot_hold_up_a_relays_transactions() {
    let net = TestNet::start().await;
    let (_executor_dir, executor) = first_executor(&net).await;
    let executor_url = executor.rpc_url();
    let victim_key = net.relays[0].clone();
    // A peer id is the ed25519 public key after a fixed prefix: grind a key below the victim's. It has no fused
    // plasma, so it posts only after seconds of PoW.
    let attacker_key = (0u8..=255)
        .map(|n| {
            KeyPair::from_seed(&[
                n, 0xa7, 0x7a, 0xc4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            ])
        })
        .find(|k| k.public().0 < victim_key.public().0)
        .expect("a lower key");
    let (attacker_dir, victim_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut attacker_config = relay_config(&net, &attacker_key, attacker_dir.path(), &executor_url);
    attacker_config.p2p.listen = Some("/ip4/127.0.0.1/tcp/0".into());
    let attacker = zr_relay::start(&attacker_config, attacker_key.clone(), net.client()).await.unwrap();
    let mut victim_config = relay_config(&net, &victim_key, victim_dir.path(), &executor_url);
    victim_config.p2p.listen = Some("/ip4/127.0.0.1/tcp/0".into());
    victim_config.p2p.peers = vec![attacker.gossip.as_ref().unwrap().1.clone()];
    let victim = zr_relay::start(&victim_config, victim_key.clone(), net.client()).await.unwrap();
    assert!(attacker.gossip.as_ref().unwrap().0 < victim.gossip.as_ref().unwrap().0, "the attacker's id is lower");

    let alice = net.alice.clone();
    deposit(&net, &alice, 1_000 * 100_000_000, &executor_url).await;
    // Gossip is up once a transaction given to the victim reaches the attacker.
    let probe = transfer(&alice, 0, 1);
    api(&victim.rpc_url()).send_transaction(hex::encode(probe.to_bytes())).await.unwrap();
    eventually(async || attacker.relay.view(&probe.hash()).is_some()).await;
    executed(&executor_url, &probe.hash()).await;

    // Alice's upload reaches both at once, each "from a user".
    let chunk = vec![7u8; zr_common::rollup::limits::MAX_CODE_CHUNK_LEN];
    let upload = TxBody {
        chain_id: ROLLUP,
        sender: alice.public(),
        nonce: 1,
        gas_limit: 3_000_000,
        fee_per_gas: 2,
        kind: TxKind::UploadChunk { code_hash: zr_common::sha3_256(&chunk), index: 0, count: 2, bytes: chunk },
    }
    .sign(&alice);
    let bytes = hex::encode(upload.to_bytes());
    let (victim_api, attacker_api) = (api(&victim.rpc_url()), api(&attacker.rpc_url()));
    let (to_victim, to_attacker) =
        tokio::join!(victim_api.send_transaction(bytes.clone()), attacker_api.send_transaction(bytes.clone()));
    // Sent to both at once, one may already hold it by the other's gossip when its own submission lands: either
    // way each relay holds the transaction.
    let held = |sent: Result<Hash, jsonrpsee::core::client::Error>| match sent {
        Ok(hash) => hash,
        Err(e) if e.to_string().contains("is already known") => upload.hash(),
        Err(e) => panic!("the relay refused the upload: {e}"),
    };
    assert_eq!((held(to_victim), held(to_attacker)), (upload.hash(), upload.hash()));
    // The victim posts it at once and takes its fee; deferred to the attacker, it waited for the attacker's PoW.
    assert_eq!(executed(&executor_url, &upload.hash()).await.status, TransactionStatus::Executed);
    let receipt = api(&executor_url).get_receipt(upload.hash()).await.unwrap().unwrap();
    let fees = async |key: &KeyPair| api(&executor_url).get_balance(key.address(), None).await.unwrap().znn;
    assert_eq!(fees(&attacker_key).await, 0, "the attacker posted it");
    assert!(fees(&victim_key).await >= u128::from(receipt.gas_used) * 2, "the victim posted it");
    attacker.stop().await;
    victim.stop().await;
    executor.stop().await;
}
