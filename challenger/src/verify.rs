//! `zr-challenge verify`: a claim from L1, its leaves and witnesses from an executor, every leaf re-executed.

use std::sync::Arc;

use eyre::{Context, eyre};
use jsonrpsee_http_client::{HttpClient, HttpClientBuilder};
use serde::Serialize;
use zr_common::rollup::Claim;
use zr_common::{Address, Hash, PublicKey};
use zr_config::ChallengerConfig;
use zr_fraud::{Step, Verdict, Witness, verify_leaf};
use zr_protocol::StateKey;
use zr_rpc_api::RollupStateApiClient;
use zr_sequencing::bundle::{Payload, decode_payload};
use zr_sequencing::{L1, ZnndClient, canonical_order, inbox_blocks};
use zr_vm::Vm;

/// What to check.
pub struct Request {
    /// The momentum height.
    pub height: u64,
    /// One leaf, or all.
    pub index: Option<u32>,
    /// Whose claim; the queried executor's by default.
    pub claimer: Option<PublicKey>,
    /// Momentums after `height` searched for the claim.
    pub search: u64,
    /// JSON output.
    pub json: bool,
}

/// One leaf's result.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct LeafResult {
    index: u32,
    tx_hash: Hash,
    /// `holds`, `wrong` or `unchecked`.
    result: &'static str,
    claimed_root: Hash,
    #[serde(skip_serializing_if = "Option::is_none")]
    correct_root: Option<Hash>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

/// Runs the check; returns the exit code (0 holds, 1 a leaf is wrong, 2 could not check).
pub async fn run(config: &ChallengerConfig, request: Request) -> eyre::Result<i32> {
    let l1 = ZnndClient::for_section(&config.l1)?;
    let executor = HttpClientBuilder::default()
        .request_timeout(std::time::Duration::from_secs(60))
        .max_response_size(32 * 1024 * 1024)
        .build(&config.executor_rpc)
        .wrap_err_with(|| format!("invalid executor URL {}", config.executor_rpc))?;
    let head = executor.get_head().await.wrap_err_with(|| format!("executor at {}", config.executor_rpc))?;
    let claimer = request.claimer.unwrap_or(head.executor);
    let height = request.height;
    let (found, searched_to) = claim_on_l1(&l1, config.chain_id, height, &claimer, request.search).await?;
    let Some(claim) = found else {
        let reason = if searched_to < height.saturating_add(request.search) {
            // The L1 has not yet reached the end of the search window: the claim may simply not be posted yet.
            format!(
                "no claim of {claimer} for height {height} on L1 yet (searched up to momentum {searched_to}, the \
                 L1's frontier; a claim lands a momentum or two after its height: try again shortly)"
            )
        } else {
            format!("no claim of {claimer} for height {height} on L1 in the {} momentums after it", request.search)
        };
        return unchecked(&request, &reason);
    };
    let Some(leaves) = executor.get_claim_leaves(height).await? else {
        return unchecked(&request, &format!("the executor serves no leaves for height {height}"));
    };
    if zr_protocol::leaves_root(&leaves) != claim.body.leaves_root {
        return unchecked(&request, "the executor's leaves do not hash to its claim on L1");
    }
    // What the L1 says the momentum holds: the claim must have one leaf per ordered transaction plus the
    // prelude, and each witness the step the momentum orders there (so a witness cannot carry another
    // poster, deposits or transaction than L1 does).
    let Some(momentum) = l1.detailed_momentums(height, 1).await?.pop().filter(|m| m.momentum.momentum.height == height)
    else {
        return unchecked(&request, &format!("momentum {height} is not on L1"));
    };
    let m = &momentum.momentum.momentum;
    let blocks: Vec<_> = momentum.blocks.iter().map(|b| b.block.clone()).collect();
    let ordered = canonical_order(config.chain_id, &Address::INBOX, &m.previous_hash, &blocks);
    if claim.body.timestamp != m.timestamp || leaves.len() != ordered.transactions.len() + 1 {
        let why = format!(
            "the claim does not match momentum {height} on L1: timestamp {} vs {}, {} leaves for {} transactions",
            claim.body.timestamp,
            m.timestamp,
            leaves.len(),
            ordered.transactions.len()
        );
        if request.json {
            println!("{}", serde_json::json!({ "height": height, "result": "the claim is wrong", "reason": why }));
        } else {
            println!("claim for height {height}: WRONG: {why}");
        }
        return Ok(1);
    }
    let vm = Vm::new(None, 256).map_err(|e| eyre!("{e}"))?;
    let indexes: Vec<u32> = match request.index {
        Some(index) if index as usize >= leaves.len() => {
            return unchecked(&request, &format!("the claim has {} leaves, no leaf {index}", leaves.len()));
        }
        Some(index) => vec![index],
        None => (0..leaves.len() as u32).collect(),
    };
    let mut results = Vec::new();
    // Code compiled into this VM already: each is fetched once, however many leaves run it.
    let mut compiled = std::collections::BTreeSet::new();
    for index in indexes {
        let leaf = leaves[index as usize];
        let mut result = LeafResult {
            index,
            tx_hash: leaf.tx_hash,
            result: "unchecked",
            claimed_root: leaf.post_state_root,
            correct_root: None,
            reason: None,
        };
        let expected = match index {
            0 => Step::Prelude { deposits: ordered.deposits.clone() },
            i => {
                let sequenced = &ordered.transactions[i as usize - 1];
                Step::Transaction { tx: Box::new(sequenced.tx.clone()), poster: sequenced.poster }
            }
        };
        let leaf_check = LeafCheck { claim: &claim, leaf, index, expected: &expected, height };
        match check_leaf(&executor, &vm, &mut compiled, leaf_check, config.chain_id).await {
            Ok(Verdict::Correct) => result.result = "holds",
            Ok(Verdict::Wrong { correct }) => {
                result.result = "wrong";
                result.correct_root = Some(correct.post_state_root);
            }
            Ok(Verdict::Invalid(invalid)) => result.reason = Some(format!("the witness proves nothing: {invalid}")),
            Err(err) => result.reason = Some(format!("{err:#}")),
        }
        results.push(result);
    }
    let wrong = results.iter().any(|r| r.result == "wrong");
    let unchecked_leaves = results.iter().any(|r| r.result == "unchecked");
    let (code, summary) = match (wrong, unchecked_leaves) {
        (true, _) => (1, "a leaf is wrong"),
        (false, true) => (2, "could not check every leaf"),
        (false, false) => (0, "the claim holds"),
    };
    if request.json {
        let out = serde_json::json!({
            "height": height,
            "executor": claim.body.executor,
            "prevStateRoot": claim.body.prev_state_root,
            "newStateRoot": claim.body.new_state_root,
            "leavesRoot": claim.body.leaves_root,
            "leaves": results,
            "result": summary,
        });
        println!("{out}");
    } else {
        println!(
            "claim of {} for height {height} (read from L1): {} -> {}, {} leaves, leaf commitment checked",
            claim.body.executor,
            claim.body.prev_state_root,
            claim.body.new_state_root,
            leaves.len()
        );
        for r in &results {
            let what = if r.index == 0 { "prelude".to_owned() } else { format!("tx {}", r.tx_hash) };
            match r.result {
                "holds" => println!("leaf {} ({what}): holds (root {})", r.index, r.claimed_root),
                "wrong" => println!(
                    "leaf {} ({what}): WRONG: claimed root {}, correct root {}",
                    r.index,
                    r.claimed_root,
                    r.correct_root.expect("a wrong leaf has its correct root")
                ),
                _ => println!("leaf {} ({what}): not checked: {}", r.index, r.reason.as_deref().unwrap_or("")),
            }
        }
        println!("result: {summary}");
    }
    Ok(code)
}

fn unchecked(request: &Request, why: &str) -> eyre::Result<i32> {
    if request.json {
        println!("{}", serde_json::json!({ "height": request.height, "result": "could not check", "reason": why }));
    } else {
        println!("could not check height {}: {why}", request.height);
    }
    Ok(2)
}

/// The claim of `claimer` for `height` as posted to the inbox, in the momentums after it, and the last
/// momentum searched (the L1's frontier when that is nearer than `height + search`).
pub(crate) async fn claim_on_l1(
    l1: &ZnndClient,
    chain_id: u64,
    height: u64,
    claimer: &PublicKey,
    search: u64,
) -> eyre::Result<(Option<Claim>, u64)> {
    let frontier = l1.frontier_momentum().await?.height;
    let last = frontier.min(height.saturating_add(search));
    let mut from = height + 1;
    while from <= last {
        let count = (last - from + 1).min(10);
        for momentum in l1.detailed_momentums(from, count).await? {
            // Only claims are wanted: decoding the payloads is enough (no bundle needs its signatures checked).
            let found = inbox_blocks(&momentum, &Address::INBOX).find_map(|block| match decode_payload(&block.data) {
                Ok(Payload::Claim(claim))
                    if block.address == claimer.address()
                        && claim.body.chain_id == chain_id
                        && claim.body.height == height
                        && claim.body.executor == *claimer =>
                {
                    Some(claim)
                }
                _ => None,
            });
            if found.is_some() {
                return Ok((found, last));
            }
        }
        from += count;
    }
    Ok((None, last))
}

/// One leaf to check: which, of what claim, and the step L1 orders there.
struct LeafCheck<'a> {
    claim: &'a Claim,
    leaf: zr_protocol::ClaimLeaf,
    index: u32,
    expected: &'a Step,
    height: u64,
}

/// Fetches the leaf's witness, checks it is for that leaf of the claim and the step L1 orders there, fetches
/// the code it runs (unless `compiled` has it), and re-executes it.
async fn check_leaf(
    executor: &HttpClient,
    vm: &Arc<Vm>,
    compiled: &mut std::collections::BTreeSet<Hash>,
    LeafCheck { claim, leaf, index, expected, height }: LeafCheck<'_>,
    chain_id: u64,
) -> eyre::Result<Verdict> {
    let witness: Witness = executor.get_witness(height, index).await.map_err(|e| match e {
        jsonrpsee::core::ClientError::Call(refused) => eyre!("the executor serves no witness: {}", refused.message()),
        other => eyre!("the executor failed to serve the witness: {other}"),
    })?;
    if witness.claim != *claim {
        return Err(eyre!("the executor's witness is for another claim than the one on L1"));
    }
    if witness.leaf.0 != leaf || witness.leaf.1.index != index {
        return Err(eyre!("the executor's witness is for another leaf"));
    }
    if witness.step != *expected {
        return Err(eyre!("the executor's witness carries another step than momentum {height} orders at {index}"));
    }
    for code_hash in &witness.code {
        if compiled.contains(code_hash) {
            continue;
        }
        let proof = executor.get_proof(StateKey::Code { code_hash: *code_hash }, None).await?;
        let Some(code) = proof.value else { return Err(eyre!("the executor does not serve code {code_hash}")) };
        vm.load_untrusted(code_hash, &code).map_err(|e| eyre!("from the executor: {e}"))?;
        compiled.insert(*code_hash);
    }
    let vm = vm.clone();
    let version = vm.version();
    tokio::task::spawn_blocking(move || verify_leaf(&witness, vm.as_ref(), version, chain_id))
        .await
        .map_err(|e| eyre!("verification task failed: {e}"))
}
