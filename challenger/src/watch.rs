//! `zr-challenge watch`: follows every claim L1 records, compares it with this challenger's own executor,
//! finds the first leaf where a diverging claim goes wrong (from the leaves its executor serves, for the
//! executors given with `--peer`, or from L1 where an executor posted them), and — with `--challenge` —
//! challenges it; when those leaves are out of reach, it posts a data-availability challenge, and once the
//! executor has answered it with its leaves on L1, challenges the first wrong one.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use eyre::WrapErr;
use jsonrpsee_http_client::HttpClientBuilder;
use serde_json::json;
use zr_common::PublicKey;
use zr_common::rollup::settlement::{ChallengeRecord, ClaimRecord, ClaimStatus};
use zr_config::ChallengerConfig;
use zr_rpc_api::RollupStateApiClient;
use zr_sequencing::{L1, ZnndClient};

/// What `watch` is asked.
pub struct Watch {
    /// Executors whose leaves can be fetched, by RPC URL.
    pub peers: Vec<String>,
    /// Post challenges (watch only otherwise).
    pub challenge: bool,
    /// One pass over the recorded claims, then exit.
    pub once: bool,
    /// Print JSON lines.
    pub json: bool,
    /// Announce itself as a daemon (`<data_dir>/endpoints.json` and a first stdout line), when run as one.
    pub announce: bool,
}

/// One claim checked.
enum Finding {
    Holds,
    /// The first leaf that differs from this challenger's executor's (with where the claim's leaves came
    /// from), or `None` when its leaves are out of reach.
    Diverges {
        leaf: Option<(u32, crate::submit::Against)>,
        why: String,
    },
}

/// Runs `watch` until stopped (or one pass with `once`); the exit code is 0, or 1 when a pass found a
/// diverging claim it did not (or could not) challenge.
pub async fn run(config: &ChallengerConfig, request: Watch) -> eyre::Result<i32> {
    let l1 = ZnndClient::for_section(&config.l1)?;
    let own = HttpClientBuilder::default().request_timeout(Duration::from_secs(60)).build(&config.executor_rpc)?;
    let own_key = own.get_head().await.wrap_err("cannot reach this challenger's executor")?.executor;
    let mut peers: BTreeMap<PublicKey, String> = BTreeMap::new();
    for url in &request.peers {
        let client = HttpClientBuilder::default().build(url)?;
        let key = client.get_head().await.wrap_err_with(|| format!("cannot reach peer {url}"))?.executor;
        peers.insert(key, url.clone());
    }
    if request.announce && !request.once {
        let mode = if request.challenge { "challenge" } else { "watch-only" };
        let endpoints = [("executor", config.executor_rpc.clone()), ("mode", mode.to_owned())];
        zr_common::daemon::announce("zr-challenge", &config.data_dir, &endpoints)
            .wrap_err("cannot write the endpoints file")?;
    }
    let mut checked: BTreeSet<(u64, PublicKey)> = BTreeSet::new();
    // Claims whose leaves were out of reach and that this watcher challenged for them: looked at again each
    // pass until the leaves are on L1 (then challenged at the first wrong leaf) or the claim is settled.
    let mut asked: BTreeSet<(u64, PublicKey)> = BTreeSet::new();
    // Challenges posted, by claim: when L1 has no record of one a while later (its parts never all arrived), the
    // claim is looked at again and challenged anew; a submit that failed is tried again a few times.
    let mut posted: BTreeMap<(u64, PublicKey), Instant> = BTreeMap::new();
    let mut failures: BTreeMap<(u64, PublicKey), u32> = BTreeMap::new();
    let mut unresolved = false;
    // The address its challenges come from (read once: the key file is not read again each pass).
    let ours = request.challenge.then(|| crate::submit::challenger_address(config)).transpose()?;
    loop {
        if let Some(ours) = ours.as_ref().filter(|_| !posted.is_empty()) {
            for key in lost_challenges(&l1, &mut posted, ours).await? {
                eprintln!("L1 holds no challenge of ours against {}'s claim at {}: challenging it again", key.1, key.0);
                checked.remove(&key);
            }
        }
        let frontier = l1.frontier_momentum().await?.height;
        let from = l1.rollup_final().await?.map_or(1, |f| f.height.saturating_sub(8).max(1));
        for start in (from..=frontier).step_by(1_000) {
            let count = (frontier - start + 1).min(1_000);
            for claim in l1.rollup_claims(start, count).await? {
                if claim.executor == own_key
                    || claim.status != ClaimStatus::Pending
                    || checked.contains(&(claim.height, claim.executor))
                {
                    continue;
                }
                let key = (claim.height, claim.executor);
                let Some(finding) = check(&l1, &own, &peers, &claim).await? else { continue };
                let out_of_reach = matches!(finding, Finding::Diverges { leaf: None, .. });
                if out_of_reach && asked.contains(&key) {
                    // Its data-availability challenge is open: the leaves are not on L1 yet.
                    if request.once {
                        unresolved = true;
                    }
                    continue;
                }
                checked.insert(key);
                let (result, leaf, why) = match &finding {
                    Finding::Holds => ("holds", None, String::new()),
                    Finding::Diverges { leaf, why } => ("diverges", leaf.as_ref().map(|(i, _)| *i), why.clone()),
                };
                if request.json {
                    println!(
                        "{}",
                        json!({ "height": claim.height, "executor": claim.executor, "result": result, "leaf": leaf, "reason": why })
                    );
                } else if let Finding::Diverges { .. } = finding {
                    println!(
                        "height {} executor {}: DIVERGES{} ({why})",
                        claim.height,
                        claim.executor,
                        leaf.map(|l| format!(" at leaf {l}")).unwrap_or_default()
                    );
                } else {
                    println!("height {} executor {}: holds", claim.height, claim.executor);
                }
                if let (Finding::Diverges { leaf: Some((index, against)), .. }, true) = (finding, request.challenge) {
                    let submit = crate::submit::Submit {
                        height: claim.height,
                        index,
                        against,
                        force: false,
                        wait: false,
                        json: request.json,
                    };
                    match crate::submit::run(config, submit).await {
                        Ok(0) => {
                            posted.insert(key, Instant::now());
                        }
                        Ok(_) => unresolved = true,
                        Err(err) => {
                            let failed = failures.entry(key).or_insert(0);
                            *failed += 1;
                            eprintln!("cannot challenge the claim at {} (attempt {failed}): {err:#}", claim.height);
                            if *failed < SUBMIT_ATTEMPTS {
                                checked.remove(&key);
                            }
                            unresolved = true;
                        }
                    }
                } else if out_of_reach && request.challenge {
                    // Its leaves are out of reach: make the executor post them to L1, then look again.
                    match crate::submit::submit_da(config, claim.executor, claim.height, false, request.json).await {
                        Ok(0) => {
                            checked.remove(&key);
                            asked.insert(key);
                        }
                        _ => unresolved = true,
                    }
                } else if result == "diverges" {
                    unresolved = true;
                }
            }
        }
        if request.once {
            return Ok(i32::from(unresolved));
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Times a claim is challenged again after its submit failed (L1 unreachable, out of plasma).
const SUBMIT_ATTEMPTS: u32 = 5;
/// How long after its last part was posted L1 must hold a record of a challenge (a few momentums): when it does
/// not, a part was refused or lost, and the claim is challenged again while it is still open (an arriving
/// challenge held its finality; a challenge of a claim made final since would be refused anyway).
const CHALLENGE_RECORDED_WITHIN: Duration = Duration::from_secs(30);

/// The claims among `posted` whose challenge L1 has no record of (from `ours`) [`CHALLENGE_RECORDED_WITHIN`]
/// after it was posted, while the claim is still open, to be challenged again; every claim looked at is
/// removed from `posted`.
async fn lost_challenges(
    l1: &ZnndClient,
    posted: &mut BTreeMap<(u64, PublicKey), Instant>,
    ours: &zr_common::Address,
) -> eyre::Result<Vec<(u64, PublicKey)>> {
    let mut lost = Vec::new();
    let due: Vec<(u64, PublicKey)> =
        posted.iter().filter(|(_, at)| at.elapsed() >= CHALLENGE_RECORDED_WITHIN).map(|(k, _)| *k).collect();
    for (height, executor) in due {
        let records: Vec<ChallengeRecord> =
            l1.call("embedded.rollup.getChallenges", json!([height, 1])).await.wrap_err("cannot read challenges")?;
        if records.iter().any(|r| r.challenger == *ours && r.executor == executor) {
            posted.remove(&(height, executor));
            continue;
        }
        let open = l1
            .rollup_claims(height, 1)
            .await?
            .iter()
            .any(|c| c.executor == executor && c.status == ClaimStatus::Pending);
        posted.remove(&(height, executor));
        if open {
            lost.push((height, executor));
        }
    }
    Ok(lost)
}

/// Compares `claim` with this challenger's executor; `None` while that executor has not claimed the height.
/// The claim's leaves come from its executor when it is a `--peer` and serves them, else from L1 when a
/// data-availability challenge made it post them.
async fn check(
    l1: &ZnndClient,
    own: &jsonrpsee_http_client::HttpClient,
    peers: &BTreeMap<PublicKey, String>,
    claim: &ClaimRecord,
) -> eyre::Result<Option<Finding>> {
    use crate::submit::Against;
    let Some(ours) = own.get_claim(claim.height).await? else { return Ok(None) };
    if (ours.body.new_state_root, ours.body.leaves_root, ours.body.prev_state_root)
        == (claim.new_state_root, claim.leaves_root, claim.prev_state_root)
    {
        return Ok(Some(Finding::Holds));
    }
    let mut theirs = None;
    if let Some(url) = peers.get(&claim.executor) {
        let served = HttpClientBuilder::default().build(url)?.get_claim_leaves(claim.height).await?;
        theirs = served
            .filter(|l| zr_protocol::leaves_root(l) == claim.leaves_root)
            .map(|l| (l, Against::Executor(url.clone())));
    }
    if theirs.is_none() {
        // An answer that L1 lists but whose parts cannot be put together counts as out of reach.
        let posted = crate::l1_leaves::leaves_on_l1(l1, claim.height, &claim.leaves_root).await.ok().flatten();
        theirs = posted.map(|l| (l, Against::L1(claim.executor)));
    }
    let Some((theirs, against)) = theirs else {
        let why =
            "its leaves are out of reach: its executor is not a --peer serving them, and they are not on L1".into();
        return Ok(Some(Finding::Diverges { leaf: None, why }));
    };
    let ours = own.get_claim_leaves(claim.height).await?.unwrap_or_default();
    let first = theirs
        .iter()
        .zip(&ours)
        .position(|(a, b)| a != b)
        .or((theirs.len() != ours.len()).then(|| theirs.len().min(ours.len())));
    match first {
        Some(index) => {
            let root_at = |leaves: &[zr_protocol::ClaimLeaf]| {
                leaves.get(index).map_or("no such leaf".into(), |l| l.post_state_root.to_string())
            };
            let why = format!(
                "leaf {index} claims post-state root {} where this executor has {}",
                root_at(&theirs),
                root_at(&ours)
            );
            Ok(Some(Finding::Diverges { leaf: Some((index as u32, against)), why }))
        }
        // The same leaves with another root or base: nothing to re-execute (the claim's base is not the final
        // root, or its root is not its last leaf's, which a shape dispute of the last leaf proves).
        None => {
            let why = format!("claims root {} where this executor has {}", claim.new_state_root, ours_root(&ours));
            Ok(Some(Finding::Diverges { leaf: Some((theirs.len().saturating_sub(1) as u32, against)), why }))
        }
    }
}

fn ours_root(leaves: &[zr_protocol::ClaimLeaf]) -> String {
    leaves.last().map_or("nothing".into(), |l| l.post_state_root.to_string())
}
