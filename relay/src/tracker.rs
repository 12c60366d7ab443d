//! The mempool's event source: it follows the L1 momentums (in which momentum and position each transaction
//! was sequenced, whoever posted it) and the executor (what became of what it ran), and hands each event to
//! [`crate::mempool::Mempool`], which alone changes a transaction's status. Each momentum also triggers the next
//! bundles. The executor's new heights come from its claims subscription (it signs a momentum's claim once the
//! momentum has committed); the outcomes of the relay's own sequenced transactions are then asked for in one
//! batch, which carries only what this relay holds (the receipts subscription would carry every receipt of the
//! rollup). Only while that subscription is down does the tracker poll the executor's head instead.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::watch;
use zr_common::Hash;
use zr_common::nom::rpc::DetailedMomentum;
use zr_rpc_api::{MAX_BATCH_QUERY, RollupStateApiClient, RollupTxApiClient};
use zr_sequencing::{L1, Poster, canonical_order, follow};

use crate::service::Relay;

/// A bundle not seen in a momentum after this many momentums is taken as lost: its transactions are
/// posted again.
pub const LOST_AFTER_MOMENTUMS: u64 = 6;
/// How often the executor's head is checked while its claims subscription is down.
const EXECUTOR_POLL: Duration = Duration::from_millis(200);
/// How long after losing the executor's subscription (or failing to open it) it is opened again.
const RESUBSCRIBE_AFTER: Duration = Duration::from_secs(1);
/// How often the executor's head is checked even while subscribed: a connection that died silently, or a
/// notification lost, costs at most this long.
const EXECUTOR_POLL_SUBSCRIBED: Duration = Duration::from_secs(5);
/// WebSocket pings on the subscription: a connection that stops answering is given up after the limit.
const PING_EVERY: Duration = Duration::from_secs(5);
const PING_INACTIVE_LIMIT: Duration = Duration::from_secs(15);

/// A task aborted when this is dropped (the tracker's helpers end with it, so none holds the relay after).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs until `stop`: follows L1 from `from`, posts bundles each momentum, settles what the executor ran.
/// `executor_ws` is the executor's WebSocket URL, whose claims subscription announces its new heights (`None`:
/// poll its head).
pub async fn run<L: L1 + 'static>(
    relay: Arc<Relay>,
    l1: Arc<L>,
    poster: Arc<Poster<L>>,
    from: u64,
    executor_ws: Option<String>,
    mut stop: watch::Receiver<bool>,
) {
    let mut follower = follow(l1.clone(), from);
    let mut poll = tokio::time::interval(EXECUTOR_POLL);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut executor_head = 0;
    let silence = Arc::new(L1Silence::new());
    tokio::spawn(report_silence(relay.clone(), silence.clone(), stop.clone()));
    let (heights_tx, mut heights) = tokio::sync::mpsc::channel(64);
    let _subscription = executor_ws
        .map(|url| AbortOnDrop(tokio::spawn(follow_executor_heights(relay.clone(), url, heights_tx, stop.clone()))));
    let mut last_poll = Instant::now();
    // What was saved before a restart is checked against the executor first.
    refresh_accounts(&relay).await;
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            momentum = follower.next() => {
                let Some(momentum) = momentum else {
                    tracing::error!(target: "zr::relay", "the L1 follower ended");
                    return;
                };
                silence.heard();
                let height = momentum.momentum.momentum.height;
                on_momentum(&relay, momentum).await;
                // The executor may have run this momentum before the relay had read it from L1 (its claim came
                // first): what it sequenced settles now, not at the executor's next height.
                if executor_head >= height {
                    let due = relay.mempool.sequenced_up_to(height);
                    settle(&relay, &due).await;
                }
                // Catching up (after a restart): bundles wait until the relay has seen what L1 already holds,
                // so nothing it posted before the restart is posted again.
                if l1.frontier_momentum().await.is_ok_and(|frontier| frontier.height <= height) {
                    crate::bundler::post_bundles(&relay, &poster, height).await;
                }
            }
            Some(mut height) = heights.recv() => {
                // Claims come at pipeline speed while the executor catches up: settle once for all of them.
                while let Ok(next) = heights.try_recv() {
                    height = height.max(next);
                }
                on_executor_height(&relay, height, &mut executor_head).await;
            }
            _ = poll.tick() => {
                if relay.metrics.executor_subscribed.get() == 1 && last_poll.elapsed() < EXECUTOR_POLL_SUBSCRIBED {
                    continue;
                }
                last_poll = Instant::now();
                let Ok(head) = relay.executor.get_head().await else { continue };
                on_executor_height(&relay, head.height, &mut executor_head).await;
            }
        }
    }
}

/// The executor has committed up to `height`: settles what it ran, and refreshes the senders' accounts.
async fn on_executor_height(relay: &Relay, height: u64, executor_head: &mut u64) {
    if height <= *executor_head {
        return;
    }
    // What the executor has run is read from the pool (stored stages), so nothing sequenced before a restart, or
    // whose query failed, waits for ever; a failed query is tried again at the next height.
    let due = relay.mempool.sequenced_up_to(height);
    if settle(relay, &due).await {
        *executor_head = height;
    }
    refresh_accounts(relay).await;
}

/// Sends the executor's new heights, from its claims subscription at `url`, until `stop`; opens it again
/// [`RESUBSCRIBE_AFTER`] after it drops. `zr_relay_executor_subscribed` is 1 while it is open (the tracker
/// polls otherwise). A height missed (the executor drops notifications for a slow reader) is covered by the
/// next one: each settles everything sequenced up to it.
async fn follow_executor_heights(
    relay: Arc<Relay>,
    url: String,
    heights: tokio::sync::mpsc::Sender<u64>,
    mut stop: watch::Receiver<bool>,
) {
    use jsonrpsee::ws_client::{PingConfig, WsClientBuilder};
    use zr_rpc_api::{RollupEvent, Topic};
    while !*stop.borrow() && !heights.is_closed() {
        let subscription = async {
            let ping = PingConfig::new().ping_interval(PING_EVERY).inactive_limit(PING_INACTIVE_LIMIT);
            let client =
                WsClientBuilder::default().enable_ws_ping(ping).build(&url).await.map_err(|e| e.to_string())?;
            let subscription = client.subscribe_events(Topic::Claims, None).await.map_err(|e| e.to_string())?;
            Ok::<_, String>((client, subscription))
        };
        // A stop while connecting (an executor that hangs) ends the attempt: nothing holds the relay after.
        let subscription = tokio::select! {
            _ = stop.changed() => return,
            subscription = subscription => subscription,
        };
        match subscription {
            Ok((_client, mut claims)) => {
                relay.metrics.executor_subscribed.set(1);
                tracing::debug!(target: "zr::relay", %url, "following the executor's claims");
                // What the executor committed before the subscription opened (a restart, a gap) settles now.
                if let Ok(head) = relay.executor.get_head().await {
                    let _ = heights.send(head.height).await;
                }
                loop {
                    let claim = tokio::select! {
                        _ = stop.changed() => break,
                        claim = claims.next() => claim,
                    };
                    match claim {
                        // Only this rollup's claims move the relay on (an executor of another chain is misconfigured).
                        Some(Ok(RollupEvent::Claim(claim))) if claim.body.chain_id == relay.settings.chain_id => {
                            if heights.send(claim.body.height).await.is_err() {
                                break;
                            }
                        }
                        Some(Ok(_)) => {}
                        Some(Err(err)) => {
                            tracing::debug!(target: "zr::relay", error = %err, "an executor notification does not decode");
                        }
                        None => break,
                    }
                }
                relay.metrics.executor_subscribed.set(0);
                tracing::info!(target: "zr::relay", %url, "the executor's claims subscription ended; polling its head meanwhile");
            }
            Err(err) => {
                tracing::debug!(target: "zr::relay", %url, error = %err, "cannot subscribe to the executor's claims; polling its head");
            }
        }
        tokio::select! {
            _ = stop.changed() => {}
            () = tokio::time::sleep(RESUBSCRIBE_AFTER) => {}
        }
    }
}

/// When the relay last heard from L1: a stalled or unreachable node is seen as silence. The relay goes on
/// admitting meanwhile (the transactions wait in the mempool, on disk).
struct L1Silence {
    since: Instant,
    heard_ms: AtomicU64,
}

impl L1Silence {
    fn new() -> L1Silence {
        L1Silence { since: Instant::now(), heard_ms: AtomicU64::new(0) }
    }

    fn heard(&self) {
        self.heard_ms.store(self.since.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    fn silent_for(&self) -> Duration {
        self.since.elapsed().saturating_sub(Duration::from_millis(self.heard_ms.load(Ordering::Relaxed)))
    }
}

/// Reports the silence every second (`zr_relay_l1_silent_seconds`; a warning once it lasts, a line when L1 is
/// back), apart from the tracker: a node that takes connections and never answers holds the tracker's calls
/// for their whole timeout.
async fn report_silence(relay: Arc<Relay>, silence: Arc<L1Silence>, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut reported = false;
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            _ = tick.tick() => {}
        }
        let silent = silence.silent_for();
        relay.metrics.l1_silent.set(silent.as_secs());
        let held = || relay.mempool.len();
        if silent >= L1_SILENCE_REPORTED && !reported {
            reported = true;
            tracing::warn!(target: "zr::relay", silent_for = ?silent, held = held(),
                "no momentum from L1; admitting and queuing transactions until it is back");
        } else if silent < L1_SILENCE_REPORTED && reported {
            reported = false;
            tracing::info!(target: "zr::relay", held = held(), "L1 is back; posting the queued transactions");
        }
    }
}

/// L1 silent this long is reported (NoM makes a momentum every 10 s).
const L1_SILENCE_REPORTED: Duration = Duration::from_secs(30);

/// Records which held transactions a momentum sequenced, requeues lost bundles, expires queued
/// transactions, persists it all with the L1 cursor.
async fn on_momentum(relay: &Relay, momentum: DetailedMomentum) {
    let height = momentum.momentum.momentum.height;
    let previous = momentum.momentum.momentum.previous_hash;
    let chain_id = relay.settings.chain_id;
    let blocks: Vec<_> = momentum.blocks.into_iter().map(|b| b.block).collect();
    let ordered = match tokio::task::spawn_blocking(move || {
        canonical_order(chain_id, &zr_common::Address::INBOX, &previous, &blocks)
    })
    .await
    {
        Ok(ordered) => ordered,
        Err(err) => {
            tracing::error!(target: "zr::relay", height, error = %err, "cannot order a momentum");
            return;
        }
    };
    let order = ordered.transactions.iter().map(|tx| tx.hash);
    relay.mempool.sequenced(height, order, height.saturating_sub(LOST_AFTER_MOMENTUMS)).await;
    let last_post = relay.last_post.load(std::sync::atomic::Ordering::Relaxed);
    relay.metrics.since_post.set(height.saturating_sub(last_post));
    if let Some(gossip) = &relay.gossip {
        relay.metrics.peers.set(gossip.peers.load(std::sync::atomic::Ordering::Relaxed) as u64);
    }
    relay.metrics.l1_height.set(height);
}

/// Asks the executor what became of `hashes` and records it; false when the executor could not be asked
/// (they stay sequenced, and are asked for again).
async fn settle(relay: &Relay, hashes: &[Hash]) -> bool {
    for chunk in hashes.chunks(MAX_BATCH_QUERY) {
        let views = match relay.executor.get_transactions(chunk.to_vec()).await {
            Ok(views) => views,
            Err(err) => {
                tracing::warn!(target: "zr::relay", error = %err, "executor unreachable; statuses settle later");
                return false;
            }
        };
        relay.mempool.outcomes(chunk.iter().copied().zip(views)).await;
    }
    true
}

/// Refreshes the accounts of every sender the pool holds transactions of (balances decide readiness); a
/// held transaction whose nonce the account has passed is settled from the executor: executed (through this
/// relay or another), or dropped because its nonce is used.
pub async fn refresh_accounts(relay: &Relay) {
    let senders = relay.mempool.senders();
    let mut passed = Vec::new();
    for chunk in senders.chunks(MAX_BATCH_QUERY) {
        match relay.executor.get_accounts(chunk.to_vec()).await {
            Ok(accounts) => passed.extend(relay.mempool.accounts(&accounts)),
            Err(err) => {
                tracing::debug!(target: "zr::relay", error = %err, "cannot refresh accounts");
                return;
            }
        }
    }
    for chunk in passed.chunks(MAX_BATCH_QUERY) {
        let Ok(views) = relay.executor.get_transactions(chunk.to_vec()).await else { return };
        relay.mempool.nonces_passed(chunk.iter().copied().zip(views)).await;
    }
}
