//! A running executor: follows L1 momentums, executes and commits each, serves queries, posts claims.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::{broadcast, mpsc, watch};
use zr_common::daemon::Served;
use zr_common::lifecycle::Lifecycle;
use zr_common::metrics::{Counter, Gauge, HistogramVec, Registry, Timer, serve_ops};
use zr_common::rollup::Claim;
use zr_common::{Address, Hash, KeyPair, TokenStandard};
use zr_config::ExecutorConfig;
use zr_sequencing::bundle::encode_claim;
use zr_sequencing::{L1, Poster, SendRequest, follow};

use crate::pipeline::Pipeline;
use crate::rollup::{FinalCheck, Processed, Rollup};
use zr_vm::Vm;

/// Modules kept compiled in memory.
const MEMORY_MODULES: usize = 256;
/// A refused claim block is posted again after about a momentum of `zr up` ...
const CLAIM_RETRY: std::time::Duration = std::time::Duration::from_secs(1);
/// ... a few times; a claim still refused is skipped (the next one stands on its own).
const CLAIM_ATTEMPTS: u32 = 3;

/// The executor could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The state store failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// The VM could not be set up.
    #[error("VM: {0}")]
    Vm(#[from] zr_vm::VmError),
    /// Gossip could not start.
    #[error(transparent)]
    Gossip(#[from] crate::gossip::GossipError),
    /// A listener could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// The error.
        source: std::io::Error,
    },
}

/// Where this executor gossips.
#[derive(Debug, Clone)]
pub struct GossipInfo {
    /// Its libp2p peer id.
    pub peer_id: libp2p::PeerId,
    /// The addresses it listens on.
    pub listening: Vec<libp2p::Multiaddr>,
}

/// A running executor.
pub struct ExecutorHandle {
    /// The rollup state, for in-process use.
    pub rollup: Arc<Rollup>,
    /// The query RPC address.
    pub rpc_addr: SocketAddr,
    /// The ops endpoint address.
    pub ops_addr: SocketAddr,
    /// New momentums, as processed.
    pub events: broadcast::Sender<Arc<Processed>>,
    /// Claim gossip, when enabled.
    pub gossip: Option<GossipInfo>,
    lifecycle: Lifecycle,
    /// Why execution stopped by itself, once it has.
    fault: watch::Receiver<Option<String>>,
}

impl ExecutorHandle {
    /// `http://` URL of the query RPC.
    pub fn rpc_url(&self) -> String {
        format!("http://{}", self.rpc_addr)
    }

    /// Resolves, with the reason, when execution has stopped by itself: a commit that failed (a full disk,
    /// a store error) or the L1 follower ending. Nothing of the failed momentum was committed, so a restart
    /// resumes from the last commit; the daemon exits on it and leaves the restart to its supervisor. Never
    /// resolves on a requested stop.
    pub async fn fault(&self) -> String {
        let mut fault = self.fault.clone();
        match fault.wait_for(Option::is_some).await {
            Ok(reason) => reason.clone().unwrap_or_default(),
            // The execution task ended without a reason: it panicked, unless a stop was asked for.
            Err(_) if !self.lifecycle.is_stopping() => "the execution task ended unexpectedly".to_owned(),
            Err(_) => std::future::pending().await,
        }
    }
}

impl Served for ExecutorHandle {
    const NAME: &'static str = "zr-executor";

    fn endpoints(&self) -> Vec<(&'static str, String)> {
        let mut endpoints = vec![
            ("rpc", self.rpc_url()),
            ("ops", format!("http://{}", self.ops_addr)),
            ("head", self.rollup.head().height.to_string()),
        ];
        if let Some(gossip) = &self.gossip
            && let Some(listening) = gossip.listening.first()
        {
            endpoints.push(("p2p", format!("{listening}/p2p/{}", gossip.peer_id)));
        }
        endpoints
    }

    /// A fault (a full disk, say) ends the daemon with the reason: nothing of the failed momentum was
    /// committed, and its supervisor's restart resumes from the last commit once the cause is gone.
    async fn fault(&self) -> String {
        let reason = ExecutorHandle::fault(self).await;
        let head = self.rollup.head().height;
        format!("execution stopped: {reason}; the state is kept as of momentum {head}, and a restart resumes there")
    }

    /// Stops following, serving and posting; waits for the momentum in progress to commit, and (up to 10 s)
    /// for RPC work still in flight (a witness being built) to let go of the store, so it is closed on return.
    async fn stop(self) {
        self.lifecycle.stop(&self.rollup, Duration::from_secs(10), Self::NAME).await;
    }
}

#[derive(Clone)]
struct Metrics {
    height: Arc<Gauge>,
    transactions: Arc<Counter>,
    gas: Arc<Counter>,
    momentum: Arc<Timer>,
    stages: HistogramVec,
    claims_posted: Arc<Counter>,
    claim_failures: Arc<Counter>,
    disagreements: Arc<Counter>,
    l1_height: Arc<Gauge>,
    lag: Arc<Gauge>,
    peers: Arc<Gauge>,
    db_bytes: Arc<Gauge>,
    final_height: Arc<Gauge>,
    final_mismatches: Arc<Counter>,
    bond: Arc<Gauge>,
}

/// How often the executor looks at the L1 frontier and its database's size, for metrics.
const WATCH_EVERY: Duration = Duration::from_millis(500);

/// Keeps the L1 frontier, the lag behind it, L1's final root, the gossip peers and the state database's size
/// current, until aborted.
async fn watch_l1<L: L1>(
    l1: Arc<L>,
    rollup: Arc<Rollup>,
    duties: Option<ClaimDuties>,
    head: Arc<std::sync::atomic::AtomicU64>,
    db: std::path::PathBuf,
    peers: Option<Arc<std::sync::atomic::AtomicUsize>>,
    metrics: Metrics,
) {
    let mut tick = tokio::time::interval(WATCH_EVERY);
    let mut answered = std::collections::BTreeMap::new();
    let mut reposted = std::collections::BTreeMap::new();
    let (mut ticks, mut had_bond) = (0u64, false);
    loop {
        tick.tick().await;
        ticks += 1;
        if let Some(duties) = &duties {
            answer_da_challenges(l1.as_ref(), &rollup, &duties.poster, &mut answered).await;
            if ticks % BOND_TICKS == 1 {
                watch_bond(l1.as_ref(), &rollup, duties, &metrics.bond, &mut had_bond).await;
                // Bonds paid back and deposits returned wait as unreceived sends until the account takes them;
                // only the inbox's are taken (a stranger's dust would cost a receive block each).
                let own = rollup.executor_key().address();
                let payouts = zr_sequencing::unreceived_from(l1.as_ref(), &own, &Address::INBOX).await;
                if payouts.is_ok_and(|sends| !sends.is_empty()) {
                    let _ = duties.poster.try_send(ToPost::ReceivePayouts);
                }
            }
            if duties.bonded.load(Ordering::SeqCst) && !duties.stopped.load(Ordering::SeqCst) {
                post_missing_claims(l1.as_ref(), &rollup, duties, &mut reposted).await;
            }
        }
        if let Ok(frontier) = l1.frontier_momentum().await {
            metrics.l1_height.set(frontier.height);
            metrics.lag.set(frontier.height.saturating_sub(head.load(Ordering::Relaxed)));
        }
        // A node without the rollup's settlement (znnd before the spork) answers an error: nothing is final.
        if let Ok(Some(settled)) = l1.rollup_final().await {
            match rollup.follow_final(settled) {
                Ok(FinalCheck::Agrees) => metrics.final_height.set(settled.height),
                Ok(FinalCheck::Ahead) => {}
                Ok(FinalCheck::Differs { ours }) => {
                    metrics.final_mismatches.inc();
                    tracing::error!(target: "zr::executor", height = settled.height, %ours, final_root = %settled.root,
                        "L1 made another state root final at this height: this executor's state is not the rollup's");
                }
                Err(e) => tracing::warn!(target: "zr::executor", error = %e, "cannot compare the final root"),
            }
        }
        // One stat call every few seconds: not worth a blocking-pool hop.
        if let Some(peers) = &peers {
            metrics.peers.set(peers.load(Ordering::Relaxed) as u64);
        }
        if let Ok(meta) = std::fs::metadata(&db) {
            metrics.db_bytes.set(meta.len());
        }
    }
}

/// What the L1 watcher does for this executor's claims.
struct ClaimDuties {
    /// Where claims and leaves go to be posted.
    poster: mpsc::Sender<ToPost>,
    /// The first height this executor executes (and so claims).
    start_height: u64,
    /// Set once this executor's bond is gone or unbonding: its claims can never be final, so none is posted
    /// (data-availability challenges of the claims it has are still answered).
    stopped: Arc<AtomicBool>,
    /// Whether L1 showed a live bond of this executor at the last look: claims L1 lacks are posted again only
    /// then (without one L1 refuses them).
    bonded: AtomicBool,
}

/// Watch ticks between looks at this executor's bond: about 2 s.
const BOND_TICKS: u64 = 4;

/// Reads this executor's bond from L1 into the `zr_executor_bond` gauge. Once a bond it had is gone (slashed:
/// a claim of its was proven wrong; or paid back) or unbonding, says so and stops its claims. `had_bond`
/// remembers whether this process has seen its bond live.
async fn watch_bond<L: L1>(l1: &L, rollup: &Rollup, duties: &ClaimDuties, gauge: &Gauge, had_bond: &mut bool) {
    let address = rollup.executor_key().address();
    let Ok(bond) = l1.rollup_bond(&address).await else { return };
    // Live as the settlement counts it: not unbonding, and (after any fine) at least the least bond.
    let least = zr_common::rollup::settlement::MIN_BOND;
    let live = bond.as_ref().filter(|b| b.unbonding_since.is_none() && b.amount >= least);
    gauge.set(live.map_or(0, |b| u64::try_from(b.amount).unwrap_or(u64::MAX)));
    duties.bonded.store(live.is_some(), Ordering::SeqCst);
    let stop = match (&bond, live) {
        (_, Some(_)) => {
            *had_bond = true;
            false
        }
        (Some(_), None) => true,
        (None, None) => *had_bond,
    };
    if stop && !duties.stopped.swap(true, Ordering::SeqCst) {
        match bond {
            Some(_) => tracing::warn!(target: "zr::executor",
                "this executor's bond is unbonding or fined below the least bond: L1 refuses its claims, so it posts none"),
            None => tracing::error!(target: "zr::executor",
                "this executor's bond is gone (slashed for a claim proven wrong, or paid back): its claims can never \
                 be final, so it posts none; restart it to bond again"),
        }
    } else if !stop && duties.stopped.swap(false, Ordering::SeqCst) {
        tracing::info!(target: "zr::executor", "this executor is bonded again: it posts claims");
    }
}

/// Momentums a claim has to be recorded on L1 after its own momentum before it is posted again.
const CLAIM_GRACE: u64 = 3;
/// Heights looked at per watch tick for claims L1 does not hold.
const CLAIM_SCAN: u64 = 64;

/// Posts again every claim of this executor above L1's final height that L1 has not recorded
/// [`CLAIM_GRACE`] momentums after it (dropped by a full poster queue, refused, lost in a restart): finality
/// needs a claim at every height, so none is ever given up. `reposted` keeps, per height, the watch ticks
/// since it was found missing or last posted again and the ticks to wait before the next post: first
/// [`REANSWER_TICKS`] (a claim still in the poster's queue is not posted twice), then twice as long after each
/// post, up to [`REPOST_MAX_TICKS`] (a claim L1 refuses for good is not posted every few seconds forever).
async fn post_missing_claims<L: L1>(
    l1: &L,
    rollup: &Rollup,
    duties: &ClaimDuties,
    reposted: &mut std::collections::BTreeMap<u64, (u32, u32)>,
) {
    let head = rollup.head().height;
    let Ok(final_root) = l1.rollup_final().await else { return };
    let from = final_root.map_or(1, |f| f.height + 1).max(duties.start_height);
    let Some(to) = head.checked_sub(CLAIM_GRACE).filter(|to| *to >= from) else { return };
    let count = (to - from + 1).min(CLAIM_SCAN);
    let Ok(recorded) = l1.rollup_claims(from, count).await else { return };
    let own = rollup.executor_key();
    let held: std::collections::BTreeSet<u64> =
        recorded.iter().filter(|c| c.executor == own).map(|c| c.height).collect();
    reposted.retain(|height, _| *height >= from && !held.contains(height));
    for height in from..from + count {
        if held.contains(&height) {
            continue;
        }
        let (ticks, wait) = reposted.entry(height).or_insert((0, REANSWER_TICKS));
        *ticks += 1;
        if *ticks <= *wait {
            continue;
        }
        let Ok(Some(claim)) = rollup.store().claim(height) else { continue };
        if duties.poster.try_send(ToPost::Claim(Box::new(claim))).is_err() {
            // The poster is busy: this height is looked at again next tick.
            continue;
        }
        *ticks = 0;
        *wait = (*wait * 2).min(REPOST_MAX_TICKS);
        tracing::info!(target: "zr::executor", height, "L1 holds no claim of this executor at this height: posted again \
            (its refusal, if L1 refused it, is listed by embedded.rollup.getRefused)");
    }
}

/// Watch ticks after which the leaves of a challenge still open are posted again (a part may have failed to
/// post, or L1 dropped it), and after which a missing claim is first posted again: about 10 s.
const REANSWER_TICKS: u32 = 20;
/// The longest wait between posts of a claim L1 keeps lacking: about 5 minutes.
const REPOST_MAX_TICKS: u32 = 600;

/// Answers every open data-availability challenge of a claim whose leaves are this executor's own claim's at
/// that height (its own claims, and any other claim with the same leaves), however old, posting the leaves
/// again while a challenge of them stays open; only where L1 recorded this executor's claim at the height (L1
/// takes leaves from a claimant only). `answered` keeps, per (height, leaves root) challenged, the watch ticks
/// since its leaves were last sent: one answer serves every challenge of the same leaves.
async fn answer_da_challenges<L: L1>(
    l1: &L,
    rollup: &Rollup,
    poster: &mpsc::Sender<ToPost>,
    answered: &mut std::collections::BTreeMap<(u64, Hash), u32>,
) {
    let Ok(open) = l1.rollup_open_da_challenges().await else { return };
    let store = rollup.store();
    let own = rollup.executor_key();
    let mut ours = std::collections::BTreeSet::new();
    for challenge in open.iter().filter(|c| c.status == zr_common::rollup::settlement::DaStatus::Open) {
        let key = (challenge.height, challenge.leaves_root);
        let same_leaves = store
            .claim(challenge.height)
            .ok()
            .flatten()
            .is_some_and(|claim| claim.body.leaves_root == challenge.leaves_root);
        if !same_leaves || ours.contains(&key) {
            continue;
        }
        let recorded = l1.rollup_claims(challenge.height, 1).await;
        if recorded
            .is_ok_and(|claims| claims.iter().any(|c| c.executor == own && c.leaves_root == challenge.leaves_root))
        {
            ours.insert(key);
        }
    }
    answered.retain(|key, _| ours.contains(key));
    for (height, leaves_root) in ours {
        let ticks = answered.entry((height, leaves_root)).or_insert(REANSWER_TICKS);
        *ticks += 1;
        if *ticks <= REANSWER_TICKS {
            continue;
        }
        *ticks = 0;
        match rollup.store().leaves(height) {
            Ok(Some(leaves)) => {
                tracing::info!(target: "zr::executor", height, %leaves_root, "answering a data-availability challenge");
                let _ = poster.send(ToPost::Leaves(height, leaves)).await;
            }
            _ => tracing::error!(target: "zr::executor", height,
                "a data-availability challenge names a claim whose leaves this executor no longer has"),
        }
    }
}

/// Starts an executor with `key` against `l1`.
pub async fn start<L: L1 + 'static>(
    config: &ExecutorConfig,
    key: KeyPair,
    l1: Arc<L>,
) -> Result<ExecutorHandle, StartError> {
    let vm = Vm::new(Some(config.data_dir.join("modules")), MEMORY_MODULES)?;
    let mut rollup = Rollup::with_store(
        crate::StateStore::open_folding_after(&config.data_dir, config.journal_fold_rows)?,
        vm,
        config.chain_id,
        key.clone(),
        config.history_depth,
        config.prune_depth,
    )?;
    if let Some(fault) = config.fault_injection() {
        let (height, index) = (fault.height, fault.index);
        let what = if fault.step { "step" } else { "root" };
        tracing::warn!(target: "zr::executor", height, index,
            "DANGEROUS FAULT INJECTION IS ON: this executor will claim a wrong {what} at leaf {index} of momentum {height}");
        rollup = rollup.inject_fault(fault);
    }
    let rollup = Arc::new(rollup);
    let registry = Arc::new(Registry::default());
    let metrics = Metrics {
        height: registry.gauge("zr_executor_momentum_height", "Last L1 momentum executed and committed"),
        transactions: registry.counter("zr_executor_transactions_total", "Transactions executed"),
        gas: registry.counter("zr_executor_gas_used_total", "Gas used by executed transactions"),
        momentum: registry.timer("zr_executor_momentum_seconds", "Time to order, execute and commit a momentum"),
        stages: registry.histogram_vec(
            "zr_executor_stage_seconds",
            "Time per momentum in each stage (order, execute, commit)",
            &["stage"],
            zr_common::metrics::LATENCY_BUCKETS,
        ),
        claims_posted: registry.counter("zr_executor_claims_posted_total", "Claims published to L1"),
        claim_failures: registry.counter("zr_executor_claim_post_failures_total", "Claims that could not be published"),
        disagreements: registry.counter(
            "zr_executor_peer_disagreements_total",
            "Claims gossiped by peer executors with another state root than ours",
        ),
        l1_height: registry.gauge("zr_executor_l1_height", "The L1 frontier momentum, as last seen"),
        lag: registry.gauge("zr_executor_l1_lag_momentums", "Momentums the executor is behind the L1 frontier"),
        peers: registry.gauge("zr_executor_peers", "Gossip peers connected"),
        db_bytes: registry.gauge("zr_executor_db_bytes", "Size of the state database file"),
        final_height: registry
            .gauge("zr_executor_final_height", "Highest height final on L1 with this executor's root"),
        final_mismatches: registry.counter(
            "zr_executor_final_root_mismatches_total",
            "Times L1's final root differed from this executor's root at that height",
        ),
        bond: registry.gauge(
            "zr_executor_bond",
            "ZNN (smallest unit) this executor has bonded on L1 and not unbonding; 0 when slashed, paid back or unbonding",
        ),
    };
    metrics.height.set(rollup.head().height);
    let ready = Arc::new(AtomicBool::new(true));
    let claims_stopped = Arc::new(AtomicBool::new(false));
    let (events, _) = broadcast::channel(256);
    let gossip_head = Arc::new(std::sync::atomic::AtomicU64::new(rollup.head().height));
    let gossip = match &config.p2p.listen {
        Some(listen) => {
            let bond_l1 = l1.clone();
            let bonded: crate::gossip::BondCheck = Arc::new(move |executor: zr_common::PublicKey| {
                let l1 = bond_l1.clone();
                Box::pin(async move {
                    let bond = l1.rollup_bond(&executor.address()).await.ok()?;
                    let least = zr_common::rollup::settlement::MIN_BOND;
                    Some(bond.is_some_and(|b| b.unbonding_since.is_none() && b.amount >= least))
                })
            });
            let policy = crate::gossip::GossipPolicy {
                allowed_executors: config.p2p.allowed_executors.clone(),
                bonded: Some(bonded),
                head: gossip_head.clone(),
            };
            Some(crate::gossip::start(&key, config.chain_id, listen, &config.p2p.peers, policy).await?)
        }
        None => None,
    };
    let peer_claims = gossip.as_ref().map(|g| g.peer_claims.clone()).unwrap_or_default();
    let gossip_peers = gossip.as_ref().map(|g| g.peers.clone());
    let source = l1.clone();
    let momentums: crate::rpc::MomentumSource = Arc::new(move |height| {
        let l1 = source.clone();
        Box::pin(async move {
            let mut list = l1.detailed_momentums(height, 1).await.map_err(|e| e.to_string())?;
            list.pop().filter(|m| m.momentum.momentum.height == height).ok_or_else(|| "not on L1 yet".to_owned())
        })
    });
    let (rpc_addr, rpc) = crate::rpc::serve(
        rollup.clone(),
        momentums,
        events.clone(),
        peer_claims.clone(),
        l1.clone(),
        &config.rpc,
        &registry,
    )
    .await
    .map_err(|source| StartError::Listen { addr: config.rpc.listen, source })?;
    let (ops_addr, ops) = serve_ops(config.ops.listen, registry, ready.clone())
        .await
        .map_err(|source| StartError::Listen { addr: config.ops.listen, source })?;

    let claims = if config.claim_every > 0 {
        Some(spawn_claim_poster(
            l1.clone(),
            key,
            config.bond,
            metrics.claims_posted.clone(),
            metrics.claim_failures.clone(),
            claims_stopped.clone(),
        ))
    } else {
        None
    };
    let mut lifecycle = Lifecycle::new();
    let stopped = lifecycle.signal();
    let from = (rollup.head().height + 1).max(config.start_height);
    let gossip_info = gossip.as_ref().map(|g| GossipInfo { peer_id: g.peer_id, listening: g.listening.clone() });
    let outputs = Outputs {
        claims,
        claim_every: config.claim_every,
        gossip: gossip.map(|g| g.publish),
        peer_claims,
        head: gossip_head,
    };
    let (rollup_for_run, events_for_run) = (rollup.clone(), events.clone());
    let watcher = tokio::spawn(watch_l1(
        l1.clone(),
        rollup.clone(),
        outputs.claims.clone().map(|poster| ClaimDuties {
            poster,
            start_height: config.start_height,
            stopped: claims_stopped.clone(),
            bonded: AtomicBool::new(false),
        }),
        outputs.head.clone(),
        config.data_dir.join("state.redb"),
        gossip_peers,
        metrics.clone(),
    ));
    let (fault_tx, fault) = watch::channel(None);
    let task = tokio::spawn(async move {
        if let Some(reason) = run(rollup_for_run, l1, from, events_for_run, outputs, metrics, ready, stopped).await {
            let _ = fault_tx.send(Some(reason));
        }
        // Awaited, so its hold on the rollup (and the store's file) is gone when the executor has stopped.
        watcher.abort();
        let _ = watcher.await;
    });
    // Stopping: the momentum in progress commits, then the RPC stops, then the ops endpoint.
    lifecycle.task(task, None).shutdown(async move {
        let _ = rpc.stop();
        rpc.stopped().await;
    });
    lifecycle.background(ops);
    tracing::info!(target: "zr::executor", rpc = %rpc_addr, ops = %ops_addr, from, head = rollup.head().height, "executor started");
    Ok(ExecutorHandle { rollup, rpc_addr, ops_addr, events, gossip: gossip_info, lifecycle, fault })
}

/// Where processed claims go.
struct Outputs {
    /// The L1 claim poster.
    claims: Option<mpsc::Sender<ToPost>>,
    claim_every: u64,
    /// The gossip publisher.
    gossip: Option<mpsc::Sender<Claim>>,
    peer_claims: crate::gossip::PeerClaims,
    /// The committed head as gossip sees it.
    head: Arc<std::sync::atomic::AtomicU64>,
}

#[allow(clippy::too_many_arguments)]
async fn run<L: L1 + 'static>(
    rollup: Arc<Rollup>,
    l1: Arc<L>,
    from: u64,
    events: broadcast::Sender<Arc<Processed>>,
    outputs: Outputs,
    metrics: Metrics,
    ready: Arc<AtomicBool>,
    mut stopped: watch::Receiver<bool>,
) -> Option<String> {
    let (input, mut pipeline) = match Pipeline::start(rollup) {
        Ok(started) => started,
        Err(err) => {
            ready.store(false, Ordering::Relaxed);
            tracing::error!(target: "zr::executor", error = %err, "cannot start the execution threads");
            return Some(format!("cannot start the execution threads: {err}"));
        }
    };
    let mut fault = None;
    // The feeder owns the input: when the follower ends, the pipeline drains and ends too. It returns
    // whether the follower ended (rather than the pipeline closing its input).
    let mut feeder = tokio::spawn(async move {
        let mut follower = follow(l1, from);
        while let Some(momentum) = follower.next().await {
            if input.send(momentum).await.is_err() {
                return false;
            }
        }
        true
    });
    let mut feeding = true;
    let mut follower_ended = false;
    loop {
        let processed = tokio::select! {
            p = pipeline.next() => p,
            _ = stopped.changed() => break,
            ended = &mut feeder, if feeding => {
                feeding = false;
                follower_ended = ended.unwrap_or(false);
                continue;
            }
        };
        match processed {
            Some(Ok(processed)) => {
                let t = processed.timings;
                metrics.momentum.observe(t.order + t.execute + t.commit);
                for (stage, took) in [("order", t.order), ("execute", t.execute), ("commit", t.commit)] {
                    metrics.stages.with_label_values(&[stage]).observe(took.as_secs_f64());
                }
                metrics.gas.add(processed.receipts.iter().map(|r| r.gas_used).sum());
                metrics.height.set(processed.height);
                metrics.transactions.add(processed.receipts.len() as u64);
                tracing::debug!(target: "zr::executor", height = processed.height, txs = processed.receipts.len(),
                    root = %processed.claim.body.new_state_root, "momentum committed");
                if let Some(claims) = &outputs.claims
                    && processed.height % outputs.claim_every == 0
                    && claims.try_send(ToPost::Claim(Box::new(processed.claim.clone()))).is_err()
                {
                    tracing::warn!(target: "zr::executor", height = processed.height,
                        "claim poster is behind; the claim is posted when L1 is found without it");
                }
                outputs.head.store(processed.height, std::sync::atomic::Ordering::Relaxed);
                if let Some(gossip) = &outputs.gossip {
                    let _ = gossip.try_send(processed.claim.clone());
                }
                for peer in outputs.peer_claims.at(processed.height) {
                    if peer.body.new_state_root != processed.claim.body.new_state_root {
                        metrics.disagreements.inc();
                        tracing::warn!(target: "zr::executor", height = processed.height, peer = %peer.body.executor,
                            ours = %processed.claim.body.new_state_root, theirs = %peer.body.new_state_root,
                            "a peer executor claims a different state root");
                    }
                }
                let _ = events.send(Arc::new(processed));
            }
            Some(Err(err)) => {
                // Nothing of the failed momentum was committed; stop rather than go on from an unknown state.
                ready.store(false, Ordering::Relaxed);
                tracing::error!(target: "zr::executor", error = %err, "cannot execute momentum; executor stopped");
                fault = Some(format!("cannot execute a momentum: {err}"));
                break;
            }
            None if follower_ended => {
                ready.store(false, Ordering::Relaxed);
                tracing::error!(target: "zr::executor", "the L1 follower ended; executor stopped");
                fault = Some("the L1 follower ended".to_owned());
                break;
            }
            None => {
                ready.store(false, Ordering::Relaxed);
                tracing::error!(target: "zr::executor", "node fault while executing; executor stopped");
                fault = Some("node fault while executing".to_owned());
                break;
            }
        }
    }
    if feeding {
        feeder.abort();
        let _ = feeder.await;
    }
    pipeline.finish().await;
    fault
}

/// What the executor posts to the inbox from its account, one at a time.
enum ToPost {
    /// Its claim.
    Claim(Box<Claim>),
    /// A claim's leaves (height, leaves), to answer a data-availability challenge.
    Leaves(u64, Vec<zr_protocol::ClaimLeaf>),
    /// Receive what the inbox paid this account (a bond back, a deposit back).
    ReceivePayouts,
}

/// Sends a bond of `amount` ZNN to the inbox unless L1 already holds one of this executor; whether it is
/// bonded (or the bond is on its way) now.
async fn ensure_bond<L: L1>(l1: &L, poster: &Poster<L>, key: &KeyPair, amount: u64) -> bool {
    match l1.rollup_bond(&key.address()).await {
        Ok(Some(bond)) if bond.unbonding_since.is_some() => {
            tracing::warn!(target: "zr::executor", "this executor's bond is unbonding: L1 refuses its claims");
            return true;
        }
        Ok(Some(bond)) if bond.amount >= zr_common::rollup::settlement::MIN_BOND => return true,
        // Fined below the least bond (a challenge of its left unfinished): L1 refuses its claims until it is
        // topped up, which a bond send does.
        Ok(Some(bond)) => {
            tracing::warn!(target: "zr::executor", amount = %bond.amount, "this executor's bond is below the least: topping it up");
        }
        Ok(None) => {}
        Err(err) => {
            tracing::warn!(target: "zr::executor", error = %err, "cannot read this executor's bond from L1; claims stay unbonded");
            return false;
        }
    }
    let send = SendRequest {
        to: Address::INBOX,
        token: TokenStandard::ZNN,
        amount: u128::from(amount),
        data: vec![zr_sequencing::bundle::BOND_TAG],
    };
    match poster.post(send).await {
        Ok(_) => {
            tracing::info!(target: "zr::executor", amount, "bond sent to the inbox");
            true
        }
        Err(err) => {
            tracing::warn!(target: "zr::executor", error = %err, "bond not sent; claims are recorded but never final");
            false
        }
    }
}

/// Posts claims to the L1 inbox one at a time from the executor's account, through a [`Poster`] (made once
/// the L1 first answers, so an executor starts while its node is away).
/// Before its first claim it bonds `bond` ZNN when L1 holds no bond of this executor (claims without one are
/// never final).
fn spawn_claim_poster<L: L1 + 'static>(
    l1: Arc<L>,
    key: KeyPair,
    bond: u64,
    posted: Arc<Counter>,
    failed: Arc<Counter>,
    stopped: Arc<AtomicBool>,
) -> mpsc::Sender<ToPost> {
    let (tx, mut rx) = mpsc::channel::<ToPost>(64);
    tokio::spawn(async move {
        let mut poster: Option<Poster<L>> = None;
        let mut bonded = bond == 0;
        while let Some(item) = rx.recv().await {
            let poster = match &poster {
                Some(poster) => poster,
                None => match l1.frontier_momentum().await {
                    Ok(m) => poster.insert(Poster::new(
                        l1.clone(),
                        key.clone(),
                        m.chain_identifier,
                        CLAIM_RETRY,
                        CLAIM_ATTEMPTS,
                    )),
                    Err(err) => {
                        failed.inc();
                        tracing::warn!(target: "zr::executor", error = %err, "cannot reach L1 to post a claim");
                        continue;
                    }
                },
            };
            let claim = match item {
                ToPost::ReceivePayouts => {
                    match poster.receive_from(&Address::INBOX).await {
                        Ok(received) => {
                            for block in received {
                                tracing::info!(target: "zr::executor", from = %block.from_block_hash,
                                    "received a payout from the inbox on L1");
                            }
                        }
                        Err(err) => tracing::warn!(target: "zr::executor", error = %err, "cannot receive a payout"),
                    }
                    continue;
                }
                // A claim that can never be final is not worth its plasma.
                ToPost::Claim(_) if stopped.load(Ordering::SeqCst) => continue,
                ToPost::Claim(claim) => *claim,
                ToPost::Leaves(height, leaves) => {
                    for data in zr_sequencing::bundle::encode_leaves(height, &leaves) {
                        let send = SendRequest { to: Address::INBOX, token: TokenStandard::ZERO, amount: 0, data };
                        if let Err(err) = poster.post(send).await {
                            tracing::warn!(target: "zr::executor", height, error = %err, "leaves not posted");
                        }
                    }
                    tracing::info!(target: "zr::executor", height, "leaves posted to answer a data-availability challenge");
                    continue;
                }
            };
            if !bonded {
                bonded = ensure_bond(l1.as_ref(), poster, &key, bond).await;
            }
            let send =
                SendRequest { to: Address::INBOX, token: TokenStandard::ZERO, amount: 0, data: encode_claim(&claim) };
            match poster.post(send).await {
                Ok(_) => posted.inc(),
                Err(err) => {
                    failed.inc();
                    tracing::warn!(target: "zr::executor", height = claim.body.height, error = %err, "claim not posted");
                }
            }
        }
    });
    tx
}
