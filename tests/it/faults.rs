//! Faults under load, with real daemons: a relay and an executor killed (SIGKILL) mid-load and restarted; a
//! relay frozen (SIGSTOP) while its peers and L1 go on; L1 stalled (the devnet stopped, then started again on
//! its ports); a full disk under an executor (a small tmpfs as its data directory).

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

use zr_common::daemon::Served;
use zr_common::rollup::{Transaction, TxBody, TxKind};
use zr_common::{Canonical, Hash, KeyPair, TokenStandard};
use zr_config::RelayConfig;
use zr_rpc_api::{RollupRelayApiClient, RollupStateApiClient, RollupTxApiClient, TransactionStatus};

use crate::executor_kill::spawn as spawn_executor;
use crate::relay::{relay_config, spawn_relay_announced, transfer};
use crate::rollup_support::*;
use crate::support::{Killed, TestNet, eventually, spawn_announced};

/// The value of the unlabelled metric `name` on the ops endpoint `ops` (`http://…`).
async fn metric(ops: &str, name: &str) -> f64 {
    let text = reqwest::get(format!("{ops}/metrics")).await.unwrap().text().await.unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
        .unwrap_or_else(|| panic!("{name} is not exported by {ops}"))
}

/// `count` users, each given 100 ZNN on the rollup by Alice (her deposit, then one bundle of transfers).
async fn fund_users(net: &TestNet, executor: &str, count: u8) -> Vec<KeyPair> {
    let alice = net.alice.clone();
    deposit(net, &alice, 1_000 * 100_000_000, executor).await;
    let users: Vec<KeyPair> = (0..count).map(|i| KeyPair::from_seed(&[120 + i; 32])).collect();
    let funding: Vec<Transaction> = users
        .iter()
        .enumerate()
        .map(|(nonce, user)| {
            let kind = TxKind::Transfer { to: user.address(), token: TokenStandard::ZNN, amount: 100 * 100_000_000 };
            sign(&alice, nonce as u64, kind)
        })
        .collect();
    post(net, &alice, funding.clone()).await;
    for tx in &funding {
        executed(executor, &tx.hash()).await;
    }
    users
}

async fn submit(relay: &str, tx: &Transaction) -> Hash {
    api(relay).send_transaction(hex::encode(tx.to_bytes())).await.unwrap()
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill").args([&format!("-{name}"), &child.id().to_string()]).status().unwrap();
    assert!(status.success(), "kill -{name}");
}

/// Every state root of `got` up to `reference`'s head equals `reference`'s, once `got` has caught up.
async fn same_roots(reference: &str, got: &str) {
    let target = head(reference).await;
    for _ in 0..600 {
        if head(got).await >= target {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for height in 1..=target {
        let expected = api(reference).get_state_root(Some(height)).await.unwrap();
        assert_eq!(api(got).get_state_root(Some(height)).await.unwrap(), expected, "state root at height {height}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_and_an_executor_killed_mid_load_lose_nothing() {
    let net = TestNet::start().await;
    let reference_dir = tempfile::tempdir().unwrap();
    let reference = start_executor(&net, &net.executors[0], reference_dir.path()).await;
    let reference_url = reference.rpc_url();
    let (executor_dir, relay_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let executor_config = executor_config(&net, &net.executors[1], executor_dir.path());
    let (child, mut executor_url) = spawn_executor(&executor_config);
    let mut executor = Killed(child);
    let users = fund_users(&net, &reference_url, 4).await;
    let mut config = relay_config(&net, &net.relays[0], relay_dir.path(), &executor_url);
    let (mut relay, announced) = spawn_relay_announced(&config);
    let mut relay_url = announced["rpc"].as_str().unwrap().to_owned();

    let mut nonces = vec![0u64; users.len()];
    let mut accepted = Vec::new();
    for round in 0..2 {
        for _ in 0..15 {
            for (user, nonce) in users.iter().zip(nonces.iter_mut()) {
                accepted.push(submit(&relay_url, &transfer(user, *nonce, 1)).await);
                *nonce += 1;
            }
        }
        if round == 0 {
            // Mid-load, the relay still holding transactions it has not posted: both die at once.
            relay.0.kill().unwrap();
            executor.0.kill().unwrap();
            relay.0.wait().unwrap();
            executor.0.wait().unwrap();
            let (child, url) = spawn_executor(&executor_config);
            (executor, executor_url) = (Killed(child), url);
            config = RelayConfig { executor: executor_url.clone(), ..config };
            let (child, announced) = spawn_relay_announced(&config);
            (relay, relay_url) = (child, announced["rpc"].as_str().unwrap().to_owned());
        }
    }

    // Every accepted transaction executed, once: each user's nonce is exactly the number it sent. One may be
    // dropped first for a nonce gap (a bundle recorded, then lost with the kill before it was published, holds an
    // earlier nonce until the relay posts it again): the executor shows that drop until the transaction executes.
    for hash in &accepted {
        let mut status = executed(&reference_url, hash).await.status;
        for _ in 0..400 {
            if status == TransactionStatus::Executed {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            status = executed(&reference_url, hash).await.status;
        }
        assert_eq!(status, TransactionStatus::Executed, "{hash}");
    }
    for (user, nonce) in users.iter().zip(&nonces) {
        assert_eq!(api(&reference_url).get_nonce(user.address(), None).await.unwrap(), *nonce);
    }
    // The killed executor reaches the roots of the one that never stopped.
    same_roots(&reference_url, &executor_url).await;
    reference.stop().await;
}

/// A transaction sequenced while the executor was away (every query about it failing), then a relay restart:
/// it settles once the executor is back, from what the relay stored, not from memory (hardening item 5).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_sequenced_while_the_executor_was_away_settles_after_a_relay_restart() {
    let net = TestNet::start().await;
    let (executor_dir, relay_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let executor_config = executor_config(&net, &net.executors[0], executor_dir.path());
    let (child, executor_url) = spawn_executor(&executor_config);
    let mut executor = Killed(child);
    let users = fund_users(&net, &executor_url, 1).await;
    let config = relay_config(&net, &net.relays[0], relay_dir.path(), &executor_url);
    let (mut relay, announced) = spawn_relay_announced(&config);
    let relay_url = announced["rpc"].as_str().unwrap().to_owned();

    let tx = transfer(&users[0], 0, 1);
    let hash = submit(&relay_url, &tx).await;
    // The executor goes away before the bundle is even posted: every query of the relay about it fails.
    executor.0.kill().unwrap();
    executor.0.wait().unwrap();
    eventually(async || {
        let view = api(&relay_url).get_transaction(hash).await.unwrap().unwrap();
        view.status == TransactionStatus::Sequenced
    })
    .await;
    relay.0.kill().unwrap();
    relay.0.wait().unwrap();

    let (child, executor_url) = spawn_executor(&executor_config);
    let _executor = Killed(child);
    let (_relay, announced) = spawn_relay_announced(&RelayConfig { executor: executor_url.clone(), ..config });
    let relay_url = announced["rpc"].as_str().unwrap().to_owned();
    eventually(async || {
        let view = api(&relay_url).get_transaction(hash).await.unwrap().unwrap();
        view.status == TransactionStatus::Executed
    })
    .await;
    // The relay's own record settled, not only the executor's answer passed through.
    let views = api(&relay_url).get_transactions(vec![hash]).await.unwrap();
    assert_eq!(views[0].as_ref().map(|v| v.status), Some(TransactionStatus::Executed));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_frozen_by_sigstop_rejoins_and_its_mempool_drains() {
    let net = TestNet::start().await;
    let (_executor_dir, executor) = first_executor(&net).await;
    let executor_url = executor.rpc_url();
    let users = fund_users(&net, &executor_url, 2).await;
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut config_a = relay_config(&net, &net.relays[0], dir_a.path(), &executor_url);
    config_a.p2p.listen = Some("/ip4/127.0.0.1/tcp/0".into());
    let relay_a = zr_relay::start(&config_a, net.relays[0].clone(), net.client()).await.unwrap();
    let mut config_b = relay_config(&net, &net.relays[1], dir_b.path(), &executor_url);
    config_b.p2p.listen = Some("/ip4/127.0.0.1/tcp/0".into());
    config_b.p2p.peers = vec![relay_a.gossip.as_ref().unwrap().1.clone()];
    let (relay_b, announced) = spawn_relay_announced(&config_b);
    let (url_a, url_b) = (relay_a.rpc_url(), announced["rpc"].as_str().unwrap().to_owned());
    let ops_b = announced["ops"].as_str().unwrap().to_owned();
    eventually(async || metric(&ops_b, "zr_relay_peers").await >= 1.0).await;

    // Transactions to B, and B is frozen at once, likely before it posts them.
    let mut to_b = Vec::new();
    for nonce in 0..10 {
        to_b.push(submit(&url_b, &transfer(&users[0], nonce, 1)).await);
    }
    let height_at_stop = metric(&ops_b, "zr_relay_l1_height").await;
    signal(&relay_b.0, "STOP");
    // The rest of the system goes on: A takes and posts transactions, L1 makes ~100 momentums.
    let mut to_a = Vec::new();
    for nonce in 0..10 {
        to_a.push(submit(&url_a, &transfer(&users[1], nonce, 1)).await);
    }
    for hash in &to_a {
        executed(&executor_url, hash).await;
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    signal(&relay_b.0, "CONT");

    // B catches up with L1 and its transactions land, once.
    for hash in &to_b {
        assert_eq!(executed(&executor_url, hash).await.status, TransactionStatus::Executed);
    }
    assert_eq!(api(&executor_url).get_nonce(users[0].address(), None).await.unwrap(), 10);
    // B is among its peers again (the gauge is refreshed each momentum: read it once B has caught up with
    // what it missed), and what it takes now reaches A by gossip.
    eventually(async || metric(&ops_b, "zr_relay_l1_height").await > height_at_stop + 20.0).await;
    assert!(metric(&ops_b, "zr_relay_peers").await >= 1.0);
    let from_b = submit(&url_b, &transfer(&users[0], 10, 1)).await;
    eventually(async || relay_a.relay.view(&from_b).is_some()).await;
    executed(&executor_url, &from_b).await;
    // Its mempool drains: nothing it holds waits any more.
    eventually(async || metric(&ops_b, "zr_relay_mempool_transactions").await == 0.0).await;
    drop(relay_b);
    relay_a.stop().await;
    executor.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_l1_makes_relays_queue_and_report_then_post() {
    let mut net = TestNet::start().await;
    let (_executor_dir, executor) = first_executor(&net).await;
    let executor_url = executor.rpc_url();
    let users = fund_users(&net, &executor_url, 1).await;
    let relay_dir = tempfile::tempdir().unwrap();
    let config = relay_config(&net, &net.relays[0], relay_dir.path(), &executor_url);
    let relay = zr_relay::start(&config, net.relays[0].clone(), net.client()).await.unwrap();
    let (url, ops) = (relay.rpc_url(), format!("http://{}", relay.ops_addr));

    // L1 goes away. The relay keeps admitting: the transactions wait in its mempool, and it reports the
    // silence on its ops port.
    let l1 = net.stop().await;
    let mut queued = Vec::new();
    for nonce in 0..8 {
        queued.push(submit(&url, &transfer(&users[0], nonce, 1)).await);
    }
    eventually(async || metric(&ops, "zr_relay_l1_silent_seconds").await >= 3.0).await;
    for view in api(&url).get_transactions(queued.clone()).await.unwrap() {
        assert_eq!(view.expect("held").status, TransactionStatus::Pending);
    }
    assert_eq!(metric(&ops, "zr_relay_mempool_transactions").await, 8.0);
    let health = reqwest::get(format!("{ops}/health")).await.unwrap();
    assert!(health.status().is_success(), "the relay is alive");

    // L1 is back on its ports: the queued transactions are posted and executed, the silence ends.
    net.start_on(l1).await;
    for hash in &queued {
        assert_eq!(executed(&executor_url, hash).await.status, TransactionStatus::Executed);
    }
    eventually(async || metric(&ops, "zr_relay_l1_silent_seconds").await < 2.0).await;
    relay.stop().await;
    executor.stop().await;
}

/// A tmpfs of `megabytes` mounted at `path`, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    /// `None` (and the test says it skipped) when not root: mounting needs it.
    fn mount(path: &Path, megabytes: u32) -> Option<Tmpfs> {
        std::fs::create_dir_all(path).unwrap();
        let uid = String::from_utf8(Command::new("id").arg("-u").output().unwrap().stdout).unwrap();
        if uid.trim() != "0" {
            eprintln!("skipped: mounting a tmpfs needs root");
            return None;
        }
        let size = format!("size={megabytes}m");
        let status = Command::new("mount").args(["-t", "tmpfs", "-o", &size, "tmpfs"]).arg(path).status().unwrap();
        assert!(status.success(), "cannot mount a tmpfs at {} as root", path.display());
        Some(Tmpfs(path.to_owned()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// A directory holding a tmpfs of `megabytes` to fill, a test network and an executor (dropped in the reverse
/// order: the tmpfs is unmounted before its directory goes); `None` when not root.
async fn with_a_small_disk(
    megabytes: u32,
) -> Option<(tempfile::TempDir, Tmpfs, TestNet, zr_executor::node::ExecutorHandle)> {
    let root = tempfile::tempdir().unwrap();
    let disk = Tmpfs::mount(&root.path().join("disk"), megabytes)?;
    let net = TestNet::start().await;
    let executor = start_executor(&net, &net.executors[0], &root.path().join("executor")).await;
    Some((root, disk, net, executor))
}

/// Fills the file system holding `path` with a file there, to the last byte.
fn fill(path: &Path) {
    use std::io::Write;
    let mut file = std::fs::File::create(path).unwrap();
    let chunk = vec![0u8; 64 * 1024];
    while file.write_all(&chunk).is_ok() {}
    let _ = file.write_all(&[0]);
    let _ = file.sync_all();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_stops_the_executor_with_the_reason_and_it_resumes_when_space_returns() {
    let root = tempfile::tempdir().unwrap();
    let Some(disk) = Tmpfs::mount(&root.path().join("disk"), 48) else { return };
    let net = TestNet::start().await;
    let reference_dir = tempfile::tempdir().unwrap();
    let reference = start_executor(&net, &net.executors[0], reference_dir.path()).await;
    let reference_url = reference.rpc_url();
    let victim_key = KeyPair::from_seed(&[6; 32]);
    let mut config = executor_config(&net, &victim_key, root.path());
    config.data_dir = disk.0.join("state");
    let stderr = root.path().join("executor.log");
    let spawn = || {
        let (child, announced) = spawn_announced(
            executor_command(&config, &config.l1.http, &config.l1.ws)
                .args(["--claim-every", "0"])
                .stderr(std::fs::File::create(&stderr).unwrap()),
        );
        (child, announced["rpc"].as_str().unwrap().to_owned())
    };
    let (mut victim, url) = spawn();
    let users = fund_users(&net, &reference_url, 1).await;
    eventually(async || head(&url).await >= head(&reference_url).await).await;

    // The disk fills up; transfers to new accounts make the executor's store grow until a commit fails.
    let filler = disk.0.join("filler");
    fill(&filler);
    let (mut nonce, mut posted) = (0, Vec::new());
    let status = 'load: {
        for batch in 0..200u32 {
            let txs: Vec<Transaction> = (0..40u8)
                .map(|i| {
                    let mut seed = [7u8; 32];
                    seed[..4].copy_from_slice(&batch.to_le_bytes());
                    seed[4] = i;
                    let to = KeyPair::from_seed(&seed).address();
                    let tx = sign(&users[0], nonce, TxKind::Transfer { to, token: TokenStandard::ZNN, amount: 1 });
                    nonce += 1;
                    tx
                })
                .collect();
            posted.extend(txs.iter().map(Transaction::hash));
            post(&net, &net.alice, txs).await;
            if let Some(status) = victim.0.try_wait().unwrap() {
                break 'load status;
            }
        }
        panic!("the executor never ran out of space");
    };
    assert!(!status.success(), "a full disk ends the executor with an error");
    let log = std::fs::read_to_string(&stderr).unwrap();
    assert!(log.contains("No space left on device") && log.contains("execution stopped"), "{log}");

    // Space returns; the supervisor's restart resumes from the last commit, with the undisturbed roots.
    std::fs::remove_file(&filler).unwrap();
    let (restarted, url) = spawn();
    victim = restarted;
    executed(&reference_url, posted.last().expect("posted")).await;
    same_roots(&reference_url, &url).await;
    assert_eq!(api(&url).get_nonce(users[0].address(), None).await.unwrap(), nonce);
    drop(victim);
    reference.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_makes_the_relay_refuse_with_the_reason_until_space_returns() {
    let Some((root, disk, net, executor)) = with_a_small_disk(16).await else { return };
    let executor_url = executor.rpc_url();
    let users = fund_users(&net, &executor_url, 1).await;
    let mut config = relay_config(&net, &net.relays[0], root.path(), &executor_url);
    config.data_dir = disk.0.join("mempool");
    let relay = zr_relay::start(&config, net.relays[0].clone(), net.client()).await.unwrap();
    let first = submit(&relay.rpc_url(), &transfer(&users[0], 0, 1)).await;
    executed(&executor_url, &first).await;

    // A full disk: the transaction cannot be made durable, so it is refused, with the reason.
    let filler = disk.0.join("filler");
    fill(&filler);
    let mut nonce = 1;
    let (tx, err) = loop {
        let tx = transfer(&users[0], nonce, 1);
        match api(&relay.rpc_url()).send_transaction(hex::encode(tx.to_bytes())).await {
            Ok(_) => {}
            Err(e) => break (tx, e.to_string()),
        }
        nonce += 1;
        if nonce % 50 == 0 {
            // Within the sender's limit: wait for what it sent to land.
            executed(&executor_url, &transfer(&users[0], nonce - 1, 1).hash()).await;
        }
        assert!(nonce < 3000, "the mempool database never grew past the disk");
    };
    assert!(err.contains("No space left on device") && err.contains("-32001"), "{err}");

    assert!(api(&relay.rpc_url()).get_transaction(tx.hash()).await.unwrap().is_none(), "refused, not held");
    // Space returns: the same transaction is accepted and lands.
    std::fs::remove_file(&filler).unwrap();
    assert_eq!(submit(&relay.rpc_url(), &tx).await, tx.hash());
    executed(&executor_url, &tx.hash()).await;
    // The mempool database is whole: the relay opens it again.
    relay.stop().await;
    let relay = zr_relay::start(&config, net.relays[0].clone(), net.client()).await.unwrap();
    let next = submit(&relay.rpc_url(), &transfer(&users[0], nonce + 1, 1)).await;
    executed(&executor_url, &next).await;
    relay.stop().await;
    executor.stop().await;
}

/// Attack (#26, a full disk): a sponsor grant whose record could not be stored stayed in the mempool, was
/// bundled and paid, and, unrecorded, was made again after a restart; and a transaction refused for the disk
/// could be bundled while its write was in flight. Now nothing is bundled before its row is on disk, and a
/// grant that cannot be stored is taken back: the newcomer gets nothing then, and exactly one grant once space
/// returns, even across a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_a_sponsor_grant_refused_for_a_full_disk_is_never_paid_and_made_once_later() {
    const GRANT: u128 = 1_000_000;
    let Some((root, disk, net, executor)) = with_a_small_disk(16).await else { return };
    let executor_url = executor.rpc_url();
    let funder = net.relays[0].clone();
    deposit(&net, &funder, 100_000_000_000, &executor_url).await;
    let config = RelayConfig {
        sponsor_grant: GRANT as u64,
        data_dir: disk.0.join("mempool"),
        ..relay_config(&net, &funder, root.path(), &executor_url)
    };
    let relay = zr_relay::start(&config, funder.clone(), net.client()).await.unwrap();

    // Newcomers, each granted, until the disk refuses one.
    fill(&disk.0.join("filler"));
    let mut seed = 0u16;
    let (newcomer, tx, err) = loop {
        let key = KeyPair::from_seed(&zr_common::sha3_256(&seed.to_le_bytes()).0);
        let tx = transfer(&key, 0, 1);
        if let Err(e) = api(&relay.rpc_url()).send_transaction(hex::encode(tx.to_bytes())).await {
            break (key, tx, e.to_string());
        }
        seed += 1;
        assert!(seed < 3000, "the mempool database never grew past the disk");
    };
    assert!(err.contains("No space left on device"), "{err}");
    assert!(api(&relay.rpc_url()).get_transaction(tx.hash()).await.unwrap().is_none(), "refused, not held");
    // Momentums pass: the grant made for the refused transaction is not bundled, so never paid.
    let height = head(&executor_url).await;
    eventually(async || head(&executor_url).await > height + 10).await;
    let balance = async |key: &KeyPair| api(&executor_url).get_balance(key.address(), None).await.unwrap().znn;
    assert_eq!(balance(&newcomer).await, 0, "a grant not recorded was paid");

    // Space returns: the newcomer sends again and is granted, once.
    std::fs::remove_file(disk.0.join("filler")).unwrap();
    let landed = api(&relay.rpc_url()).send_transaction(hex::encode(tx.to_bytes())).await.unwrap();
    assert_eq!(landed, tx.hash());
    // (Ordered before the grant in its momentum, the transaction is dropped by the executor and posted again.)
    let relay_status = async || api(&relay.rpc_url()).get_transaction(tx.hash()).await.unwrap().map(|v| v.status);
    eventually(async || relay_status().await == Some(TransactionStatus::Executed)).await;
    let after_first = balance(&newcomer).await;
    assert!(after_first > 0 && after_first < GRANT, "{after_first}");
    // After a restart the grant is remembered: a transaction the newcomer cannot pay (its maximum fee the
    // grant's whole, more than it has left) is refused, not granted again.
    relay.stop().await;
    let relay = zr_relay::start(&config, funder.clone(), net.client()).await.unwrap();
    let big = TxBody { gas_limit: GRANT as u64, ..transfer(&newcomer, 1, 1).body }.sign(&newcomer);
    let refused = api(&relay.rpc_url()).send_transaction(hex::encode(big.to_bytes())).await.unwrap_err().to_string();
    assert!(refused.contains("insufficient"), "{refused}");
    relay.stop().await;
    executor.stop().await;
}

/// Attack (#26, a full disk): when the write of what became of a transaction failed, memory moved on and the
/// disk did not, so after a restart the relay held a finished transaction again. Rows memory already holds
/// (`Store::record`) are now written first with the next write that commits; an admission's rows
/// (`Store::write`), which the relay takes back when they fail, are not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_a_status_whose_write_failed_reaches_the_disk_once_space_returns() {
    use zr_relay::mempool::pool::Stage;
    use zr_relay::mempool::store::{Change, Store};
    let root = tempfile::tempdir().unwrap();
    let Some(disk) = Tmpfs::mount(&root.path().join("disk"), 16) else { return };
    let key = KeyPair::from_seed(&[7; 32]);
    let held = |nonce: u64| {
        let tx = std::sync::Arc::new(transfer(&key, nonce, 1));
        Change::Hold { hash: tx.hash(), seq: nonce, stage: Stage::Pending, tx, from_peer: false }
    };
    let dir = disk.0.join("mempool");
    let (store, _) = Store::open(&dir, 1000).unwrap();
    store.write(vec![held(0)]).await.unwrap();
    // The disk fills: admissions (their rows forgotten when they fail) until one is refused.
    fill(&disk.0.join("filler"));
    let mut nonce = 1;
    while store.write(vec![held(nonce)]).await.is_ok() {
        nonce += 1;
        assert!(nonce < 100_000, "the mempool database never grew past the disk");
    }
    let refused = nonce;
    // Transaction 0 executed meanwhile: memory has it finished; the write of that fails.
    let executed = zr_rpc_api::TransactionView::new(transfer(&key, 0, 1).hash(), TransactionStatus::Executed);
    assert!(store.record(vec![Change::Finish(Box::new(executed))]).await.is_err());
    // Space returns: the next write commits the outcome with it.
    std::fs::remove_file(disk.0.join("filler")).unwrap();
    store.record(vec![Change::Cursor(9)]).await.unwrap();
    drop(store);
    let (_, contents) = Store::open(&dir, 1000).unwrap();
    let nonces: Vec<u64> = contents.held.iter().map(|l| l.tx.body.nonce).collect();
    assert!(!nonces.contains(&0), "the executed transaction is held again after a restart");
    assert!(contents.finished.iter().any(|v| v.status == TransactionStatus::Executed));
    assert!(!nonces.contains(&refused), "a refused admission is not written later");
    assert_eq!(contents.cursor, Some(9));
}

/// The relay learns the executor's new heights from its claims subscription (`zr_relay_executor_subscribed`
/// is 1) rather than by polling; when the executor dies the subscription drops (0) and the relay polls, and
/// once the executor is back on its port the relay subscribes again and its transactions still settle.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relay_follows_the_executors_claims_and_subscribes_again_after_it_restarts() {
    let net = TestNet::start().await;
    let (executor_dir, relay_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut executor_config = executor_config(&net, &net.executors[0], executor_dir.path());
    // A fixed port, so the relay finds the executor again where it was.
    executor_config.rpc.listen = ([127, 0, 0, 1], crate::support::free_fixed_port()).into();
    let (child, executor_url) = spawn_executor(&executor_config);
    let mut executor = Killed(child);
    let users = fund_users(&net, &executor_url, 1).await;
    let config = relay_config(&net, &net.relays[0], relay_dir.path(), &executor_url);
    let (_relay, announced) = spawn_relay_announced(&config);
    let (relay_url, ops) =
        (announced["rpc"].as_str().unwrap().to_owned(), announced["ops"].as_str().unwrap().to_owned());
    let subscribed = async || metric(&ops, "zr_relay_executor_subscribed").await;
    eventually(async || subscribed().await == 1.0).await;
    let settled = async |hash: Hash| {
        eventually(async || {
            let view = api(&relay_url).get_transaction(hash).await.unwrap().unwrap();
            view.status == TransactionStatus::Executed
        })
        .await
    };
    settled(submit(&relay_url, &transfer(&users[0], 0, 1)).await).await;

    executor.0.kill().unwrap();
    executor.0.wait().unwrap();
    eventually(async || subscribed().await == 0.0).await;
    let (child, _) = spawn_executor(&executor_config);
    let _executor = Killed(child);
    eventually(async || subscribed().await == 1.0).await;
    settled(submit(&relay_url, &transfer(&users[0], 1, 1)).await).await;
}
