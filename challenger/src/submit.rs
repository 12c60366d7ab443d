//! `zr-challenge submit` and `status`: build the witness that proves another executor's leaf wrong, with this
//! challenger's own executor, check it locally, bond if needed, post it to the inbox in parts, and follow the
//! pillars' verdict.

use std::time::Duration;

use eyre::{WrapErr, bail, eyre};
use jsonrpsee_http_client::{HttpClient, HttpClientBuilder};
use serde_json::json;
use zr_common::rollup::settlement::{ChallengeRecord, ChallengeStatus, MIN_BOND, Parameters};
use zr_common::{Address, Canonical, Hash, KeyPair, TokenStandard, sha3_256};
use zr_config::ChallengerConfig;
use zr_fraud::{Challenge, Dispute, Verdict, verify_leaf};
use zr_protocol::StateKey;
use zr_rpc_api::RollupStateApiClient;
use zr_sequencing::bundle::{BOND_TAG, encode_challenge};
use zr_sequencing::{L1, Poster, SendRequest, ZnndClient, send_block};
use zr_vm::Vm;

/// What `submit` is asked.
pub struct Submit {
    /// The claim's height.
    pub height: u64,
    /// The leaf challenged.
    pub index: u32,
    /// Whose claim, and where its leaves come from.
    pub against: Against,
    /// Submit even when this challenger's own check finds the leaf correct (the bond is then lost).
    pub force: bool,
    /// Wait for the verdict.
    pub wait: bool,
    /// Print JSON.
    pub json: bool,
}

/// The challenged executor, and where its claim's leaves are read.
pub enum Against {
    /// Its JSON-RPC URL: its key and the leaves it serves.
    Executor(String),
    /// Its public key: the leaves it posted on L1 to answer a data-availability challenge.
    L1(zr_common::PublicKey),
}

/// How long a challenge part refused for want of plasma (or the unconfirmed-block limit) waits before it is
/// posted again, and how many times: about a momentum, for a minute.
const PART_RETRY: Duration = Duration::from_secs(2);
const PART_ATTEMPTS: u32 = 30;

/// The key that signs challenges.
fn challenger_key(config: &ChallengerConfig) -> eyre::Result<KeyPair> {
    let key_file = config.key_file.as_ref().ok_or_else(|| eyre!("submitting needs a key (`--key-file`)"))?;
    KeyPair::read_file(key_file).wrap_err_with(|| format!("cannot read {}", key_file.display()))
}

/// The address this challenger's challenges come from.
pub(crate) fn challenger_address(config: &ChallengerConfig) -> eyre::Result<Address> {
    Ok(challenger_key(config)?.address())
}

/// Bonds the least bond when `key` has none on L1; returns the L1 chain identifier.
async fn ensure_bonded(l1: &ZnndClient, key: &KeyPair) -> eyre::Result<u64> {
    let chain_identifier = l1.frontier_momentum().await?.chain_identifier;
    if l1.rollup_bond(&key.address()).await?.is_none() {
        let bond =
            SendRequest { to: Address::INBOX, token: TokenStandard::ZNN, amount: MIN_BOND, data: vec![BOND_TAG] };
        send_block(l1, chain_identifier, key, bond).await.wrap_err("cannot bond")?;
        eprintln!("bonded {MIN_BOND} ZNN (smallest unit) in the inbox");
    }
    Ok(chain_identifier)
}

fn client(url: &str) -> eyre::Result<HttpClient> {
    HttpClientBuilder::default()
        .request_timeout(Duration::from_secs(60))
        .max_response_size(32 * 1024 * 1024)
        .build(url)
        .wrap_err_with(|| format!("invalid executor URL {url}"))
}

/// Runs `submit`; the exit code is 0 when the executor was proven wrong (or the challenge is posted and not
/// waited for), 1 when the verdict went against the challenger, 2 when nothing was posted.
pub async fn run(config: &ChallengerConfig, request: Submit) -> eyre::Result<i32> {
    let (key, l1) = (challenger_key(config)?, std::sync::Arc::new(ZnndClient::for_section(&config.l1)?));
    let own = client(&config.executor_rpc)?;
    let (height, index) = (request.height, request.index);
    let (claimer, against) = match &request.against {
        Against::Executor(url) => {
            let against = client(url)?;
            (against.get_head().await.wrap_err("cannot reach the challenged executor")?.executor, Some(against))
        }
        Against::L1(key) => (*key, None),
    };
    let (claim, _) = crate::verify::claim_on_l1(&l1, config.chain_id, height, &claimer, 64).await?;
    let claim = claim.ok_or_else(|| eyre!("no claim of {claimer} for height {height} on L1"))?;
    let leaves = match against {
        Some(against) => against
            .get_claim_leaves(height)
            .await?
            .ok_or_else(|| eyre!("the challenged executor serves no leaves for height {height}"))?,
        None => crate::l1_leaves::leaves_on_l1(l1.as_ref(), height, &claim.body.leaves_root).await?.ok_or_else(|| {
            eyre!("the leaves of {claimer}'s claim at {height} are not on L1: post a data-availability challenge first")
        })?,
    };
    if zr_protocol::leaves_root(&leaves) != claim.body.leaves_root {
        bail!("the challenged executor's leaves do not hash to its claim on L1: ask for a data-availability challenge");
    }
    let vm = Vm::new(None, 16).map_err(|e| eyre!("cannot start the VM: {e}"))?;
    // The leaf re-executed from a witness first (a wrong leaf's verdict names its correct root); a claim whose
    // leaves are not where L1 puts them (a step, the leaf count, the last leaf's root) is proven by its leaves
    // alone, with no witness.
    let leaf = leaf_challenge(&own, claim, leaves.clone(), index, &vm).await;
    let shape = || shape_fault(&l1, config.chain_id, &claimer, height, &leaves, index, &vm);
    let (witness, code) = match leaf {
        Ok((witness, code, Verdict::Wrong { correct })) => {
            eprintln!(
                "leaf {index} of {claimer}'s claim at {height} is wrong: the root is {}",
                correct.post_state_root
            );
            (witness, code)
        }
        outcome => {
            if let Some((dispute, reason)) = shape().await? {
                eprintln!("{claimer}'s claim at {height} is wrong in shape: {reason}");
                return post_dispute(&l1, &key, &dispute, &request).await;
            }
            let (witness, code, checked) = outcome?;
            if !request.force {
                println!(
                    "not submitted: this challenger's own check says {checked:?} (the bond would be lost; --force \
                     submits)"
                );
                return Ok(2);
            }
            eprintln!("this challenger's own check says {checked:?}; submitting anyway (--force)");
            (witness, code)
        }
    };
    let dispute = Dispute::Leaf(Box::new(Challenge { executor: claimer, height, index, witness, code }));
    post_dispute(&l1, &key, &dispute, &request).await
}

/// The witness of leaf `index` of `claim` (with `leaves`) that this challenger's executor `own` builds, the code
/// it runs, and what re-executing it locally finds.
async fn leaf_challenge(
    own: &HttpClient,
    claim: zr_common::rollup::Claim,
    leaves: Vec<zr_protocol::ClaimLeaf>,
    index: u32,
    vm: &std::sync::Arc<Vm>,
) -> eyre::Result<(zr_fraud::Witness, Vec<Vec<u8>>, Verdict)> {
    let witness = own
        .get_witness_for(claim, leaves, index)
        .await
        .map_err(|e| eyre!("this challenger's executor cannot build the witness: {e}"))?;
    let mut code = Vec::new();
    for hash in &witness.code {
        let proof = own.get_proof(StateKey::Code { code_hash: *hash }, None).await?;
        let bytes = proof.value.ok_or_else(|| eyre!("this challenger's executor does not serve code {hash}"))?;
        vm.load_untrusted(hash, &bytes).map_err(|e| eyre!("{e}"))?;
        code.push(bytes);
    }
    let checked = {
        let (witness, vm) = (witness.clone(), vm.clone());
        tokio::task::spawn_blocking(move || {
            verify_leaf(&witness, vm.as_ref(), vm.version(), witness.claim.body.chain_id)
        })
        .await?
    };
    Ok((witness, code, checked))
}

/// The shape dispute that proves `claimer`'s claim at `height` wrong from its `leaves` (already checked
/// against the claim on L1) and L1's momentum, with why: leaf `index` or the last leaf, judged as the pillars
/// judge it. `None` when its shape holds.
async fn shape_fault(
    l1: &ZnndClient,
    chain_id: u64,
    claimer: &zr_common::PublicKey,
    height: u64,
    leaves: &[zr_protocol::ClaimLeaf],
    index: u32,
    vm: &Vm,
) -> eyre::Result<Option<(Dispute, String)>> {
    let records = l1.rollup_claims(height, 1).await?;
    let record =
        records.into_iter().find(|c| c.executor == *claimer).ok_or_else(|| eyre!("L1 records no such claim"))?;
    let detailed =
        l1.detailed_momentums(height, 1).await?.pop().ok_or_else(|| eyre!("L1 holds no momentum {height}"))?;
    let blocks: Vec<zr_common::nom::AccountBlock> = detailed.blocks.into_iter().map(|b| b.block).collect();
    let momentum = detailed.momentum.momentum;
    let params = zr_common::rollup::settlement::Parameters::new(chain_id, record.vm_version);
    let last = (leaves.len() as u32).saturating_sub(1);
    for candidate in [index.min(last), last] {
        let Some(proof) = zr_protocol::LeafProof::new(leaves, candidate) else { continue };
        let dispute = Dispute::Shape(zr_fraud::ShapeChallenge {
            executor: *claimer,
            height,
            leaf: leaves[candidate as usize],
            proof,
        });
        let found = Ok(Some((momentum.clone(), blocks.clone())));
        if let zr_settlement::Judgement::ExecutorWrong { reason, .. } =
            zr_settlement::judge_dispute(&dispute, &record, &params, found, vm)
        {
            return Ok(Some((dispute, reason)));
        }
    }
    Ok(None)
}

/// Bonds if needed, posts `dispute` to the inbox in parts, and with `wait` follows its verdict: the exit code
/// of [`run`].
async fn post_dispute(
    l1: &std::sync::Arc<ZnndClient>,
    key: &KeyPair,
    dispute: &Dispute,
    request: &Submit,
) -> eyre::Result<i32> {
    let chain_identifier = ensure_bonded(l1, key).await?;
    // Many parts outrun the account's plasma for a momentum: each waits for the next (the settlement gives a
    // challenge 2 + count/8 momentums to arrive).
    let poster = Poster::new(l1.clone(), key.clone(), chain_identifier, PART_RETRY, PART_ATTEMPTS);
    let parameters: Parameters = l1
        .call("embedded.rollup.getParameters", json!([]))
        .await
        .wrap_err("cannot read the settlement's parameters (the part deposit)")?;
    let bytes = dispute.to_bytes();
    let id = sha3_256(&bytes);
    let parts = encode_challenge(&bytes);
    // Part 0 opens the challenge and deposits for the room all its parts reserve; it comes back when the
    // challenge is whole.
    let deposit = parts.len() as u128 * parameters.part_deposit;
    for (index, data) in parts.iter().enumerate() {
        let send = match index {
            0 => SendRequest { to: Address::INBOX, token: TokenStandard::ZNN, amount: deposit, data: data.clone() },
            _ => SendRequest { to: Address::INBOX, token: TokenStandard::ZERO, amount: 0, data: data.clone() },
        };
        poster.post(send).await.wrap_err_with(|| format!("cannot post challenge part {index} of {}", parts.len()))?;
    }
    eprintln!(
        "challenge {id} posted in {} part(s), {} bytes, with a deposit of {deposit} ZNN (smallest unit), paid back \
         when it is whole",
        parts.len(),
        bytes.len()
    );
    if !request.wait {
        println!("{}", if request.json { json!({ "challenge": id }).to_string() } else { id.to_string() });
        return Ok(0);
    }
    let record = wait_for_verdict(l1, &id).await?;
    print_record(&record, request.json);
    Ok(verdict_code(&record))
}

async fn challenge(l1: &ZnndClient, id: &Hash) -> eyre::Result<Option<ChallengeRecord>> {
    Ok(l1.call("embedded.rollup.getChallenge", json!([id])).await?)
}

async fn wait_for_verdict(l1: &ZnndClient, id: &Hash) -> eyre::Result<ChallengeRecord> {
    for _ in 0..600 {
        if let Some(record) = challenge(l1, id).await?
            && record.status != ChallengeStatus::Waiting
        {
            return Ok(record);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("no verdict on challenge {id} in 60 s")
}

fn verdict_code(record: &ChallengeRecord) -> i32 {
    match record.status {
        ChallengeStatus::ExecutorWrong { .. } | ChallengeStatus::Waiting => 0,
        ChallengeStatus::ChallengerWrong { .. } | ChallengeStatus::Refunded { .. } => 1,
    }
}

fn print_record(record: &ChallengeRecord, json: bool) {
    if json {
        println!("{}", serde_json::to_string(record).unwrap_or_default());
        return;
    }
    let target = format!("{}'s claim at height {} leaf {}", record.executor, record.height, record.index);
    match &record.status {
        ChallengeStatus::Waiting => println!("challenge {}: {target}, waiting for its verdict", record.id),
        ChallengeStatus::ExecutorWrong { at, reason, correct_root, slashed } => println!(
            "challenge {}: {target} is WRONG (verdict at momentum {at}): {reason}{}; {slashed} ZNN (smallest unit) \
             slashed, half to the challenger",
            record.id,
            correct_root.map(|root| format!("; the correct root is {root}")).unwrap_or_default()
        ),
        ChallengeStatus::ChallengerWrong { at, reason } => {
            println!("challenge {}: failed at momentum {at}: {reason}; the challenger's bond is forfeit", record.id)
        }
        ChallengeStatus::Refunded { at, reason } => {
            println!(
                "challenge {}: decided nothing at momentum {at}: {reason}; the challenger loses nothing",
                record.id
            )
        }
    }
}

/// Runs `status`: 0 when the executor was proven wrong or the verdict waits, 1 when the challenger was wrong,
/// 2 when L1 knows no such challenge.
pub async fn status(config: &ChallengerConfig, id: Hash, json: bool) -> eyre::Result<i32> {
    let l1 = ZnndClient::for_section(&config.l1)?;
    match challenge(&l1, &id).await? {
        Some(record) => {
            print_record(&record, json);
            Ok(verdict_code(&record))
        }
        None => {
            println!("L1 knows no challenge {id} (its parts may still be arriving)");
            Ok(2)
        }
    }
}

/// Runs `submit-da`: a data-availability challenge of `executor`'s claim at `height` (bonding if needed);
/// with `wait`, follows it until answered or expired. Exit code 0 when the executor failed to answer (or it
/// is posted and not waited for), 1 when it answered (the deposit is forfeit), 2 when nothing was posted.
pub async fn submit_da(
    config: &ChallengerConfig,
    executor: zr_common::PublicKey,
    height: u64,
    wait: bool,
    json: bool,
) -> eyre::Result<i32> {
    use zr_common::rollup::settlement::{DA_DEPOSIT, DA_WINDOW, DaStatus};
    use zr_sequencing::bundle::{DaChallenge, encode_da_challenge};
    let (key, l1) = (challenger_key(config)?, ZnndClient::for_section(&config.l1)?);
    let open = l1.rollup_claims(height, 1).await?;
    if !open.iter().any(|c| c.executor == executor && c.status == zr_common::rollup::settlement::ClaimStatus::Pending) {
        println!("not submitted: L1 records no open claim of {executor} at height {height}");
        return Ok(2);
    }
    let answered = l1.rollup_da_challenges(height, 1).await?.into_iter().find(|d| d.executor == executor);
    if let Some(record) = answered.filter(|d| matches!(d.status, DaStatus::Answered { .. })) {
        println!("not submitted: the leaves of {executor}'s claim at {height} are on L1 already ({:?})", record.status);
        return Ok(2);
    }
    let chain_identifier = ensure_bonded(&l1, &key).await?;
    let data = encode_da_challenge(&DaChallenge { executor, height });
    // The challenge deposits its own ZNN: forfeit if the executor answers, paid back if it does not.
    let send = SendRequest { to: Address::INBOX, token: TokenStandard::ZNN, amount: DA_DEPOSIT, data };
    send_block(&l1, chain_identifier, &key, send).await.wrap_err("cannot post the challenge")?;
    eprintln!(
        "data-availability challenge of {executor}'s claim at {height} posted with a deposit of {DA_DEPOSIT} ZNN \
         (smallest unit); it has {DA_WINDOW} momentums"
    );
    if !wait {
        return Ok(0);
    }
    for _ in 0..1200 {
        let found = l1.rollup_da_challenges(height, 1).await?.into_iter().find(|d| d.executor == executor);
        if let Some(record) = found.filter(|d| d.status != DaStatus::Open) {
            if json {
                println!("{}", serde_json::to_string(&record)?);
            } else {
                println!("data-availability challenge of {executor} at {height}: {:?}", record.status);
            }
            return Ok(if matches!(record.status, DaStatus::Unanswered { .. }) { 0 } else { 1 });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("the data-availability challenge was not settled in 120 s")
}
