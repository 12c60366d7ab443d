//! The inbox contract as go-zenon runs it: the whole settlement state machine behind three calls, so the spork's
//! Go code keeps bytes in its contract storage and sends payouts, and decides nothing itself.
//!
//! The state is the settlement's canonical encoding, kept by the caller under one key; the maps that grow large
//! (withdrawals paid, challenge and leaves parts' bytes) are rows the caller keeps under keys of their own and
//! passes back framed (`u32` LE key length, key, `u32` LE value length, value, repeated). Requests and answers are
//! JSON, with account blocks and momentums in go-zenon's own JSON shapes, so the Go side only marshals what it
//! holds.
//!
//! What L1 holds is asked for, never assumed: a step that needs a momentum's timestamp (a claim) or a claimed
//! momentum with its blocks (a verdict) answers with what it needs, and the caller calls again with it; only a
//! step with everything it read is ever kept, so the answer depends on L1's data alone.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use zr_common::nom::{AccountBlock, Momentum};
use zr_common::rollup::settlement::Parameters;
use zr_common::{Address, Hash, TokenStandard, codec};
use zr_settlement::inbox::{ClaimedMomentum, InboxFunds, SendRules};
use zr_settlement::{Judgement, L1View, Payout, RowKey, Settlement, StoredChanges};

use crate::{Failure, ZR_ERR_DECODE};

/// Key prefixes of the stored rows.
const PAID: u8 = 0;
const CHALLENGE_BYTES: u8 = 1;
const LEAVES_BYTES: u8 = 2;

/// Payouts owed paid by one receive at most (each is a contract send in the receive block, and a momentum holds
/// at most 100 blocks); the rest stay owed for the next.
pub const MAX_PAYOUTS_PER_STEP: usize = 16;

/// Momentum steps one receive runs at most (an hour of momentums): after a longer quiet, the last ones.
pub const MAX_STEPS_PER_RECEIVE: u64 = 360;

/// Verdicts one receive reaches at most, over all its steps (each reads a claimed momentum, which comes with the
/// request): a step after that leaves the challenges waiting for the next receive.
pub const MAX_VERDICTS_PER_RECEIVE: usize = 8;

/// The largest settlement state read (its records are bounded: settled claims and refusals are pruned).
pub const MAX_STATE_LEN: usize = zr_common::codec::GLOBAL_DECODE_LIMIT;

/// A call's request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Request {
    /// The rollup's settlement parameters (the state's own once it exists; these make the first).
    parameters: Parameters,
    /// The momentum height the contract is at (its frontier): sends take effect and momentum steps run here.
    #[serde(default)]
    at: u64,
    /// The last momentum whose step ran (0 for none): a step runs once per momentum.
    #[serde(default)]
    stepped_to: u64,
    /// The send being received, or checked.
    #[serde(default)]
    send: Option<AccountBlock>,
    /// The inbox's balances.
    #[serde(default)]
    balances: Vec<Balance>,
    /// Momentum timestamps the caller was asked for (`null` when L1 holds no such momentum).
    #[serde(default)]
    timestamps: Vec<TimestampAnswer>,
    /// Claimed momentums the caller was asked for, with their blocks in content order (`null`: none held).
    #[serde(default)]
    momentums: Vec<MomentumAnswer>,
    /// Keys of stored rows the caller was asked for and holds no row at.
    #[serde(default)]
    absent_rows: Vec<RowKeyBytes>,
    /// For a query: the JSON-RPC method and its positional parameters.
    #[serde(default)]
    method: String,
    #[serde(default)]
    params: Vec<serde_json::Value>,
}

/// A stored row's key, as bytes (base64 in JSON).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
struct RowKeyBytes(#[serde(with = "zr_common::json::base64_bytes")] Vec<u8>);

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Balance {
    token: TokenStandard,
    #[serde(with = "zr_common::json::decimal_amount")]
    amount: u128,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TimestampAnswer {
    height: u64,
    timestamp: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MomentumAnswer {
    height: u64,
    momentum: Option<Momentum>,
    #[serde(default)]
    blocks: Vec<AccountBlock>,
}

/// What a step needs from L1 before it can be kept.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct Needs {
    timestamps: BTreeSet<u64>,
    momentums: BTreeSet<u64>,
    /// Keys of stored rows read and not passed (neither in the rows nor among the absent).
    rows: Vec<RowKeyBytes>,
}

impl Needs {
    fn any(&self) -> bool {
        !self.timestamps.is_empty() || !self.momentums.is_empty() || !self.rows.is_empty()
    }
}

/// A stored row changed: its value now, `null` where removed.
#[derive(Debug, Serialize)]
struct Row {
    #[serde(with = "zr_common::json::base64_bytes")]
    key: Vec<u8>,
    #[serde(serialize_with = "optional_base64")]
    value: Option<Vec<u8>>,
}

fn optional_base64<S: serde::Serializer>(value: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(bytes) => zr_common::json::base64_bytes::serialize(bytes, s),
        None => s.serialize_none(),
    }
}

/// A payout to send now, from the inbox's balance.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PayoutOut {
    recipient: Address,
    token: TokenStandard,
    #[serde(with = "zr_common::json::decimal_amount")]
    amount: u128,
    /// The withdrawing rollup transaction; `null` for a bond or a deposit paid back.
    withdrawal: Option<Hash>,
}

impl From<Payout> for PayoutOut {
    fn from(p: Payout) -> PayoutOut {
        PayoutOut { recipient: p.recipient, token: p.token, amount: p.amount, withdrawal: p.withdrawal }
    }
}

/// A step kept: the new state, the rows it changed, the momentum stepped to and the payouts to send.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Done {
    #[serde(with = "zr_common::json::base64_bytes")]
    state: Vec<u8>,
    stored: Vec<Row>,
    stepped_to: u64,
    payouts: Vec<PayoutOut>,
}

pub(crate) fn request(bytes: &[u8]) -> Result<Request, Failure> {
    let request: Request = serde_json::from_slice(bytes).map_err(|e| Failure::decode("request", e))?;
    request.parameters.check().map_err(|reason| Failure::decode("parameters", reason))?;
    Ok(request)
}

/// The settlement in `state` with the stored rows passed (framed in `stored`, or known absent), or a new one
/// under the request's parameters when `state` is empty. Rows are loaded on demand: a row read and not passed is
/// listed by [`Settlement::rows_missing`].
pub(crate) fn settlement(state: &[u8], stored: &[u8], request: &Request) -> Result<Settlement, Failure> {
    let mut settlement = match state.is_empty() {
        true => Settlement::new(request.parameters.clone()).map_err(|reason| Failure::decode("parameters", reason))?,
        false => codec::decode("settlement state", state, MAX_STATE_LEN).map_err(|e| Failure::decode("state", e))?,
    };
    settlement.rows_on_demand();
    for (key, value) in rows(stored)? {
        restore(&mut settlement, row_key(key)?, value)?;
    }
    for RowKeyBytes(key) in &request.absent_rows {
        settlement.restore_absent(row_key(key)?);
    }
    Ok(settlement)
}

/// A stored row: its key and value.
type RowRef<'a> = (&'a [u8], &'a [u8]);

/// The framed rows in `bytes`.
fn rows(mut bytes: &[u8]) -> Result<Vec<RowRef<'_>>, Failure> {
    fn take<'a>(bytes: &mut &'a [u8]) -> Result<&'a [u8], Failure> {
        let (len, rest) = bytes.split_first_chunk::<4>().ok_or_else(|| Failure::decode("stored rows", "truncated"))?;
        let len = u32::from_le_bytes(*len) as usize;
        let (item, rest) = rest.split_at_checked(len).ok_or_else(|| Failure::decode("stored rows", "truncated"))?;
        *bytes = rest;
        Ok(item)
    }
    let mut rows = Vec::new();
    while !bytes.is_empty() {
        let key = take(&mut bytes)?;
        let value = take(&mut bytes)?;
        rows.push((key, value));
    }
    Ok(rows)
}

/// A stored row's key as [`changed_rows`] writes it.
fn row_key(key: &[u8]) -> Result<RowKey, Failure> {
    let bad = || Failure::decode("stored row", format!("unknown key {}", hex_of(key)));
    let hash = |bytes: &[u8]| -> Result<Hash, Failure> { Ok(Hash(bytes.try_into().map_err(|_| bad())?)) };
    let address = |bytes: &[u8]| -> Result<Address, Failure> { Ok(Address(bytes.try_into().map_err(|_| bad())?)) };
    let index = |bytes: &[u8]| -> Result<u32, Failure> { Ok(u32::from_be_bytes(bytes.try_into().map_err(|_| bad())?)) };
    match key.split_first() {
        Some((&PAID, tx)) if tx.len() == 32 => Ok(RowKey::Paid(hash(tx)?)),
        Some((&CHALLENGE_BYTES, rest)) if rest.len() == 56 => {
            let (id, rest) = rest.split_at(32);
            let (sender, i) = rest.split_at(20);
            Ok(RowKey::ChallengeBytes(hash(id)?, address(sender)?, index(i)?))
        }
        Some((&LEAVES_BYTES, rest)) if rest.len() == 32 => {
            let (height, rest) = rest.split_at(8);
            let (sender, i) = rest.split_at(20);
            let height = u64::from_be_bytes(height.try_into().map_err(|_| bad())?);
            Ok(RowKey::LeavesBytes(height, address(sender)?, index(i)?))
        }
        _ => Err(bad()),
    }
}

/// The bytes of a stored row's key.
fn row_key_bytes(key: RowKey) -> Vec<u8> {
    match key {
        RowKey::Paid(tx) => [&[PAID][..], &tx.0].concat(),
        RowKey::ChallengeBytes(id, sender, index) => {
            [&[CHALLENGE_BYTES][..], &id.0, &sender.0, &index.to_be_bytes()].concat()
        }
        RowKey::LeavesBytes(height, sender, index) => {
            [&[LEAVES_BYTES][..], &height.to_be_bytes(), &sender.0, &index.to_be_bytes()].concat()
        }
    }
}

fn restore(settlement: &mut Settlement, key: RowKey, value: &[u8]) -> Result<(), Failure> {
    match key {
        RowKey::Paid(tx) => {
            let block = value.try_into().map_err(|_| Failure::decode("stored row", "a paid row holds 32 bytes"))?;
            settlement.restore_paid(tx, Hash(block));
        }
        RowKey::ChallengeBytes(id, sender, index) => {
            settlement.restore_challenge_bytes(id, sender, index, value.to_vec())
        }
        RowKey::LeavesBytes(height, sender, index) => {
            settlement.restore_leaves_bytes(height, sender, index, value.to_vec())
        }
    }
    Ok(())
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The rows a step changed, keyed as [`restore`] reads them.
fn changed_rows(changes: StoredChanges) -> Vec<Row> {
    let mut rows = Vec::new();
    for (tx, block) in changes.paid {
        rows.push(Row { key: row_key_bytes(RowKey::Paid(tx)), value: block.map(|b| b.0.to_vec()) });
    }
    for ((id, sender, index), bytes) in changes.challenge_bytes {
        let key = row_key_bytes(RowKey::ChallengeBytes(id, sender, index));
        rows.push(Row { key, value: bytes.map(|b| b.as_ref().clone()) });
    }
    for ((height, sender, index), bytes) in changes.leaves_bytes {
        let key = row_key_bytes(RowKey::LeavesBytes(height, sender, index));
        rows.push(Row { key, value: bytes.map(|b| b.as_ref().clone()) });
    }
    rows
}

/// The inbox's balances as the request gives them.
struct Funds(BTreeMap<TokenStandard, u128>);

impl InboxFunds for Funds {
    fn balance(&self, token: &TokenStandard) -> u128 {
        self.0.get(token).copied().unwrap_or(0)
    }

    fn credit(&mut self, token: TokenStandard, amount: u128) {
        let balance = self.0.entry(token).or_insert(0);
        *balance = balance.saturating_add(amount);
    }

    fn debit(&mut self, token: TokenStandard, amount: u128) {
        let balance = self.0.entry(token).or_insert(0);
        *balance = balance.saturating_sub(amount);
    }
}

/// L1 as the request tells it; what it does not tell is noted as needed.
struct Answers<'a> {
    timestamps: BTreeMap<u64, Option<u64>>,
    momentums: BTreeMap<u64, &'a MomentumAnswer>,
    needs: RefCell<Needs>,
}

impl L1View for Answers<'_> {
    fn momentum_timestamp(&self, height: u64) -> Result<Option<u64>, String> {
        match self.timestamps.get(&height) {
            Some(answer) => Ok(*answer),
            None => {
                self.needs.borrow_mut().timestamps.insert(height);
                Err("not read yet".to_owned())
            }
        }
    }
}

impl Answers<'_> {
    fn claimed(&self, height: u64) -> ClaimedMomentum {
        match self.momentums.get(&height) {
            Some(answer) => Ok(answer.momentum.clone().map(|m| (m, answer.blocks.clone()))),
            None => {
                self.needs.borrow_mut().momentums.insert(height);
                Err("not read yet".to_owned())
            }
        }
    }
}

/// Runs one step: the step of the momentum before the request's (verdicts, finality, bonds released, payouts)
/// if it has not run, then the send received (if any) at the request's momentum. The answer is `{"need": …}` or `{"done": …}`.
pub(crate) fn step(state: &[u8], stored: &[u8], request: &Request) -> Result<serde_json::Value, Failure> {
    let mut settlement = settlement(state, stored, request)?;
    let answers = Answers {
        timestamps: request.timestamps.iter().map(|a| (a.height, a.timestamp)).collect(),
        momentums: request.momentums.iter().map(|a| (a.height, a)).collect(),
        needs: RefCell::new(Needs::default()),
    };
    let mut funds = Funds(BTreeMap::new());
    for balance in &request.balances {
        funds.credit(balance.token, balance.amount);
    }
    let at = request.at;
    let mut payouts = Vec::new();
    // go-zenon receives a contract's sends in the order momentums confirmed them, each at the momentum that
    // confirmed it: once a send of a later momentum arrives, every send of the momentums before is in, and their
    // steps run, each momentum's as the devnet runs it after its sends. The first step starts the settlement at
    // the spork's first send; after a long quiet, only the last momentums' steps run (what finality waits for
    // is a height passed, which a later step sees as well).
    let due = at.saturating_sub(1);
    let first = match state.is_empty() {
        true => due.saturating_add(1),
        false => request.stepped_to.saturating_add(1).max(due.saturating_sub(MAX_STEPS_PER_RECEIVE - 1)),
    };
    let mut stepped_to = request.stepped_to.max(due.min(first.saturating_sub(1)));
    let mut judged = 0usize;
    for height in first..=due {
        // A momentum not read yet costs one unit here, so this (discarded) run goes on to the challenges after it
        // and asks for their momentums too: one round of questions, not one per challenge.
        let mut work = |height: u64| match answers.claimed(height) {
            Err(_) => 1,
            claimed => zr_settlement::inbox::verdict_work(&claimed),
        };
        let mut judge =
            |dispute: &zr_fraud::Dispute, claim: &zr_common::rollup::settlement::ClaimRecord, params: &_| {
                let claimed = answers.claimed(claim.height);
                match crate::shared_vm().and_then(|vm| vm.holding(dispute.codes()).map_err(|e| e.to_string())) {
                    Ok(vm) => zr_settlement::judge_dispute(dispute, claim, params, claimed, vm.as_ref()),
                    Err(reason) => Judgement::CannotJudge(format!("cannot start a VM: {reason}")),
                }
            };
        // One receive reaches at most MAX_VERDICTS_PER_RECEIVE verdicts (the momentums they read come with the
        // request): after a quiet, later steps leave the rest waiting for the next receive.
        let waiting = settlement.waiting();
        let verdicts = (judged < MAX_VERDICTS_PER_RECEIVE)
            .then_some(zr_settlement::inbox::Verdicts { work: &mut work, judge: &mut judge });
        let room = MAX_PAYOUTS_PER_STEP.saturating_sub(payouts.len());
        payouts.extend(zr_settlement::inbox::step_momentum(&mut settlement, height, verdicts, &mut funds, room));
        judged += waiting.saturating_sub(settlement.waiting());
        stepped_to = height;
    }
    let payout = request.send.as_ref().and_then(|send| {
        let payout = zr_settlement::inbox::apply_send(&mut settlement, send, at, &answers, &mut funds)?;
        if let Some(tx_hash) = payout.withdrawal {
            // The paying send is made with this receive; the request it answers names it on L1.
            settlement.paid(tx_hash, send.hash);
        }
        Some(payout)
    });
    payouts.extend(payout);
    let mut needs = answers.needs.into_inner();
    needs.rows = settlement.rows_missing().into_iter().map(|key| RowKeyBytes(row_key_bytes(key))).collect();
    if needs.any() {
        return Ok(serde_json::json!({ "need": needs }));
    }
    let rows = changed_rows(settlement.take_stored_changes());
    let done = Done {
        state: codec::encode(&settlement),
        stored: rows,
        stepped_to,
        payouts: payouts.into_iter().map(PayoutOut::from).collect(),
    };
    Ok(serde_json::json!({ "done": done }))
}

/// Checks the request's send as L1 checks a send to the inbox before accepting it.
pub(crate) fn check_send(request: &Request) -> Result<Result<(), String>, Failure> {
    let send = request.send.as_ref().ok_or_else(|| Failure(ZR_ERR_DECODE, "request: no send to check".to_owned()))?;
    Ok(zr_settlement::inbox::check_send(SendRules::from(&request.parameters), send))
}

/// Answers the request's `embedded.rollup.*` method from the state: `{"answer": …}`, or `{"need": {"rows": …}}`
/// when it read rows not passed.
pub(crate) fn query(
    state: &[u8],
    stored: &[u8],
    request: &Request,
) -> Result<Result<serde_json::Value, String>, Failure> {
    let settlement = settlement(state, stored, request)?;
    let answer = zr_settlement::query::query(&settlement, &request.method, &request.params);
    let rows: Vec<RowKeyBytes> =
        settlement.rows_missing().into_iter().map(|key| RowKeyBytes(row_key_bytes(key))).collect();
    if !rows.is_empty() {
        return Ok(Ok(serde_json::json!({ "need": Needs { rows, ..Needs::default() } })));
    }
    Ok(answer.map(|answer| serde_json::json!({ "answer": answer })))
}
