//! The state transition: the prelude of a momentum (deposits, upload expiry) and each of its transactions,
//! in canonical order, over a [`Tree`] — the executor's full state or a partial tree from a witness, with
//! the same code for both. Each step yields its [`ClaimLeaf`].
//!
//! Leaf i is a function of L1 data (the transaction, its poster, the momentum's height and timestamp) and
//! leaf i-1 (its post-state root, as the tree, and its cumulative gas), nothing else.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use zr_common::rollup::{DropReason, Receipt, ReceiptStatus, Transaction, TxError, TxKind, limits as tx_limits};
use zr_common::{Address, Hash, TokenStandard, sha3_256};

use crate::gas::{COSTS, MOMENTUM, intrinsic_gas, max_state_bytes};
use crate::leaf::ClaimLeaf;
use crate::runtime::{BlockInfo, CallError, CodeError, ContractRuntime, Entry, Frame};
use crate::state::{CodeInfo, ContractInfo, StateKey, Upload, UploadQueue, UploadQueueEntry, Withdrawal};
use crate::tree::Tree;
use crate::world::{StateError, World};

/// A deposit: ZNN or QSR sent to the inbox credits its sender on the rollup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
#[serde(rename_all = "camelCase")]
pub struct Deposit {
    /// The L1 account that sent it (the same address on the rollup).
    pub account: Address,
    /// The token.
    pub token: TokenStandard,
    /// The amount.
    #[serde(with = "zr_common::json::decimal_amount")]
    pub amount: u128,
    /// The L1 block that carried it.
    pub l1_block: Hash,
}

/// Where a transaction executes.
#[derive(Debug, Clone, Copy)]
pub struct TxContext {
    /// The momentum.
    pub block: BlockInfo,
    /// Who posted the bundle: fees go here.
    pub poster: Address,
}

/// The transition could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The state could not answer: with a witness, the witness is incomplete (or proves garbage); with the
    /// full state, the node is broken.
    #[error(transparent)]
    State(#[from] StateError),
    /// The node itself failed (the VM could not run validated code): nothing may be committed.
    #[error("node fault executing {tx}: {reason}")]
    Fault {
        /// The transaction.
        tx: Hash,
        /// What failed.
        reason: String,
    },
}

/// One step of the transition.
#[derive(Debug, Clone)]
pub struct Applied {
    /// The state after the step.
    pub tree: Tree,
    /// The step's leaf.
    pub leaf: ClaimLeaf,
    /// The transaction's receipt (`None` for the prelude).
    pub receipt: Option<Receipt>,
    /// Tree keys read (and opened by removals): with `written`, what the step's witness must prove.
    pub read: BTreeSet<Hash>,
    /// The keys of `read` whose values the step needed (the witness carries those values).
    pub values_read: BTreeSet<Hash>,
    /// The code (by hash) whose modules the step ran: a verifier needs those modules, not the state's bytes.
    pub code_used: BTreeSet<Hash>,
    /// Tree keys written.
    pub written: BTreeSet<Hash>,
}

/// The prelude of momentum `height`: credits its deposits, then expires uploads that are due, at most
/// [`crate::gas::MomentumLimits::expiry_work_per_momentum`] work units of them. Its leaf is leaf 0.
pub fn apply_prelude(tree: Tree, height: u64, deposits: &[Deposit]) -> Result<Applied, StateError> {
    let mut world = World::new(tree);
    for deposit in deposits {
        let mut account = world.account(&deposit.account)?;
        if let Some(balance) = account.balance_mut(&deposit.token) {
            *balance = balance.saturating_add(deposit.amount);
            world.put_account(&deposit.account, &account);
        }
    }
    expire_uploads(&mut world, height)?;
    let post_state_root = world.root()?;
    let leaf = ClaimLeaf {
        tx_hash: prelude_hash(height, deposits),
        post_state_root,
        receipt_hash: Hash::ZERO,
        cumulative_gas: 0,
        cumulative_receipt_bytes: 0,
        cumulative_state_bytes: world.bytes_written,
    };
    let read = std::mem::take(&mut world.read);
    let values_read = std::mem::take(&mut world.values_read);
    let written = std::mem::take(&mut world.written);
    let code_used = std::mem::take(&mut world.loaded);
    Ok(Applied { tree: world.into_tree()?, leaf, receipt: None, read, values_read, written, code_used })
}

/// What leaf 0 says as its transaction hash: SHA3 over the prelude domain tag, the height and the deposits,
/// so the prelude's inputs are committed like a transaction's.
pub fn prelude_hash(height: u64, deposits: &[Deposit]) -> Hash {
    zr_common::hash::domain_hash(
        zr_common::hash::Domain::Prelude,
        &zr_common::codec::encode(&(height, deposits.to_vec())),
    )
}

/// Work units of one expiry queue entry: the state keys it touches (the entry and the upload, read and
/// removed); each chunk received adds one (its removal). Units are keys, so the prelude stays within the
/// per-transaction key cap.
pub const EXPIRY_UNITS_PER_ENTRY: u64 = 4;

/// Discards the uploads started [`crate::gas::UPLOAD_EXPIRY_MOMENTUMS`] or more before `height` and still
/// incomplete, oldest first, within the momentum's expiry work. Work is one unit per queue entry and one per
/// chunk received (never per chunk declared), so it is paid for by the uploads themselves.
fn expire_uploads(world: &mut World, height: u64) -> Result<(), StateError> {
    let Some(due_from) = height.checked_sub(MOMENTUM.upload_expiry_momentums) else { return Ok(()) };
    let mut queue: UploadQueue = world.get_decoded(&StateKey::UploadQueue)?.unwrap_or_default();
    let start = queue;
    let mut work = 0u64;
    while queue.head < queue.tail {
        let entry_key = StateKey::UploadQueueEntry { position: queue.head };
        let Some(entry) = world.get_decoded::<UploadQueueEntry>(&entry_key)? else {
            return Err(StateError::Corrupt { key: entry_key.hash(), reason: "upload queue entry missing".into() });
        };
        if entry.started_at > due_from {
            break;
        }
        let upload_key = StateKey::Upload { uploader: entry.uploader, code_hash: entry.code_hash };
        let upload = world.get_decoded::<Upload>(&upload_key)?.filter(|u| u.started_at == entry.started_at);
        let cost = EXPIRY_UNITS_PER_ENTRY + upload.as_ref().map_or(0, |u| u64::from(u.received));
        if work > 0 && work + cost > MOMENTUM.expiry_work_per_momentum {
            break;
        }
        work += cost;
        if let Some(upload) = upload {
            for index in upload.chunks_in() {
                world.set(&StateKey::UploadChunk { uploader: entry.uploader, code_hash: entry.code_hash, index }, None);
            }
            world.set(&upload_key, None);
        }
        world.set(&entry_key, None);
        queue.head += 1;
    }
    if queue != start {
        world.put(&StateKey::UploadQueue, &queue);
    }
    Ok(())
}

enum Effect {
    /// Applied; the call's return data.
    Done(Vec<u8>),
    /// Failed: undo everything since the checkpoint.
    Failed(String),
    /// Failed, but keep what was done (a completed upload whose code was rejected is discarded).
    FailedKeep(String),
    OutOfGas,
    /// A witness cap was reached: undo everything, use all the gas.
    Capped(String),
}

/// What the momentum's transactions before this one used: leaf i-1's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Used {
    /// Gas.
    pub gas: u64,
    /// Receipt bytes.
    pub receipt_bytes: u64,
    /// State bytes written.
    pub state_bytes: u64,
}

impl Used {
    /// The counters leaf `leaf` carries.
    pub fn after(leaf: &ClaimLeaf) -> Used {
        Used {
            gas: leaf.cumulative_gas,
            receipt_bytes: leaf.cumulative_receipt_bytes,
            state_bytes: leaf.cumulative_state_bytes,
        }
    }
}

/// Executes `tx` (already checked on its own: chain id, limits, signature; `hash` is its hash) on `tree`,
/// after transactions of the momentum that used `before`.
///
/// - Its gas limit does not fit the momentum's gas budget any more, or the receipt bytes left are fewer than
///   the largest receipt it could write: dropped, nothing changes.
/// - Its nonce is not the sender's next: dropped, nothing changes (a re-post of an executed transaction, or
///   one whose predecessor was dropped; it may be posted again).
/// - Otherwise the nonce is used and the maximum fee held back; the kind's effect applies, or on failure is
///   undone; the fee for the gas used goes to the poster and the rest back to the sender.
pub fn apply_transaction<R: ContractRuntime>(
    runtime: &R,
    tree: Tree,
    tx: &Transaction,
    hash: Hash,
    ctx: &TxContext,
    before: Used,
) -> Result<Applied, TransitionError> {
    let mut world = World::new(tree);
    let body = &tx.body;
    let sender = body.sender_address();
    let gas_limit = body.gas_limit;

    // `reserved` is the fee taken from the sender before execution (so spending everything cannot evade
    // it); the unused part goes back, the fee for the gas used goes to the poster.
    let finish = |mut world: World,
                  status: ReceiptStatus,
                  gas_used: u64,
                  return_data: Vec<u8>,
                  reserved: u128|
     -> Result<Applied, TransitionError> {
        if !matches!(status, ReceiptStatus::Success) {
            world.events.clear();
        }
        let fee = (u128::from(gas_used) * u128::from(body.fee_per_gas)).min(reserved);
        world.credit_znn(&sender, reserved - fee)?;
        world.credit_znn(&ctx.poster, fee)?;
        let post_state_root = world.root()?;
        let receipt = Receipt {
            tx_hash: hash,
            status,
            gas_used,
            events: std::mem::take(&mut world.events),
            return_data,
            post_state_root,
        };
        let (receipt_hash, receipt_len) = receipt.hash_and_len();
        let leaf = ClaimLeaf {
            tx_hash: hash,
            post_state_root,
            receipt_hash,
            cumulative_gas: before.gas + gas_used,
            cumulative_receipt_bytes: before.receipt_bytes + receipt_len as u64,
            cumulative_state_bytes: before.state_bytes + world.bytes_written,
        };
        let read = std::mem::take(&mut world.read);
        let values_read = std::mem::take(&mut world.values_read);
        let written = std::mem::take(&mut world.written);
        let code_used = std::mem::take(&mut world.loaded);
        Ok(Applied { tree: world.into_tree()?, leaf, receipt: Some(receipt), read, values_read, written, code_used })
    };
    let dropped = |reason| ReceiptStatus::Dropped { reason };

    if gas_limit > MOMENTUM.momentum_gas_budget.saturating_sub(before.gas) {
        return finish(world, dropped(DropReason::GasBudget), 0, vec![], 0);
    }
    if MOMENTUM.receipt_bytes_per_momentum.saturating_sub(before.receipt_bytes) < MOMENTUM.max_receipt_bytes_per_tx {
        return finish(world, dropped(DropReason::ReceiptBudget), 0, vec![], 0);
    }
    if MOMENTUM.state_bytes_per_momentum.saturating_sub(before.state_bytes) < max_state_bytes(gas_limit) {
        return finish(world, dropped(DropReason::StateBudget), 0, vec![], 0);
    }
    let intrinsic = intrinsic_gas(tx);
    if gas_limit > MOMENTUM.max_tx_gas || gas_limit < intrinsic {
        // Bundles holding such a transaction are skipped whole (`check_transaction`); this is defence.
        let reason = DropReason::GasLimit { limit: gas_limit, intrinsic, max: MOMENTUM.max_tx_gas };
        return finish(world, dropped(reason), 0, vec![], 0);
    }
    let mut account = world.account(&sender)?;
    if body.nonce != account.nonce {
        let reason = if body.nonce < account.nonce {
            DropReason::NonceTooLow { expected: account.nonce }
        } else {
            DropReason::NonceTooHigh { expected: account.nonce }
        };
        return finish(world, dropped(reason), 0, vec![], 0);
    }
    let max_fee = u128::from(gas_limit) * u128::from(body.fee_per_gas);
    if account.znn < max_fee {
        // Nothing to charge it with: it does not run and uses no nonce (its poster paid the L1 plasma).
        return finish(world, dropped(DropReason::InsufficientFee { needs: max_fee, has: account.znn }), 0, vec![], 0);
    }
    account.nonce += 1;
    account.znn -= max_fee;
    world.put_account(&sender, &account);

    let checkpoint = world.checkpoint();
    let available = gas_limit - intrinsic;
    let (effect, gas_left) = match apply_kind(runtime, &mut world, tx, hash, ctx, available) {
        Ok(done) => done,
        // A witness cap reached: the transaction fails, its effect undone, all its gas used.
        Err(CallError::State(StateError::Cap(reason))) => (Effect::Capped(reason), 0),
        Err(CallError::State(e)) => return Err(e.into()),
        Err(CallError::Fault(reason)) => return Err(TransitionError::Fault { tx: hash, reason }),
        Err(CallError::OutOfGas | CallError::Failed(_)) => unreachable!("apply_kind returns these as effects"),
    };
    // The checkpoint is gone before `finish` computes the root, so the tree is updated in place.
    world.lift_caps();
    let failed = |reason| ReceiptStatus::Failed { reason };
    let (status, gas_used, return_data) = match effect {
        Effect::Done(data) => (ReceiptStatus::Success, gas_limit - gas_left, data),
        Effect::Failed(reason) => {
            world.revert(checkpoint);
            (failed(reason), gas_limit - gas_left, vec![])
        }
        Effect::FailedKeep(reason) => (failed(reason), gas_limit - gas_left, vec![]),
        Effect::OutOfGas => {
            world.revert(checkpoint);
            (failed("out of gas".into()), gas_limit, vec![])
        }
        Effect::Capped(reason) => {
            world.revert(checkpoint);
            (failed(reason), gas_limit, vec![])
        }
    };
    finish(world, status, gas_used, return_data, max_fee)
}

/// The kind's effect and the gas left; `Err` only for [`CallError::State`] and [`CallError::Fault`].
fn apply_kind<R: ContractRuntime>(
    runtime: &R,
    world: &mut World,
    tx: &Transaction,
    hash: Hash,
    ctx: &TxContext,
    gas: u64,
) -> Result<(Effect, u64), CallError> {
    let body = &tx.body;
    let sender = body.sender_address();
    let state = CallError::State;
    match &body.kind {
        TxKind::Transfer { to, token, amount } => {
            let Some(gas) = gas.checked_sub(COSTS.transfer) else { return Ok((Effect::OutOfGas, 0)) };
            if world.account(&sender).map_err(state)?.balance(token).is_none() {
                return Ok((Effect::Failed(format!("token {token} is not held on the rollup")), gas));
            }
            if !world.move_balance(&sender, to, token, *amount).map_err(state)? {
                return Ok((Effect::Failed(format!("insufficient {token} balance for {amount}")), gas));
            }
            Ok((Effect::Done(vec![]), gas))
        }
        TxKind::Withdraw { token, amount, l1_recipient } => {
            let Some(gas) = gas.checked_sub(COSTS.transfer) else { return Ok((Effect::OutOfGas, 0)) };
            let mut account = world.account(&sender).map_err(state)?;
            let Some(balance) = account.balance_mut(token) else {
                return Ok((Effect::Failed(format!("token {token} is not held on the rollup")), gas));
            };
            if *balance < *amount {
                return Ok((Effect::Failed(format!("insufficient {token} balance for {amount}")), gas));
            }
            *balance -= amount;
            world.put_account(&sender, &account);
            let withdrawal =
                Withdrawal { recipient: *l1_recipient, token: *token, amount: *amount, height: ctx.block.height };
            world.put(&StateKey::Withdrawal { tx_hash: hash }, &withdrawal);
            Ok((Effect::Done(vec![]), gas))
        }
        TxKind::UploadChunk { code_hash, index, count, bytes } => {
            upload(runtime, world, ctx, gas, sender, *code_hash, *index, *count, bytes)
        }
        TxKind::Deploy { code_hash, input, value } => {
            let info = StateKey::CodeInfo { code_hash: *code_hash };
            let Some(CodeInfo { len, functions }) = world.get_decoded::<CodeInfo>(&info).map_err(state)? else {
                return Ok((Effect::Failed(format!("code {code_hash} has not been uploaded")), gas));
            };
            let address = Address::contract(&sender, body.nonce);
            let contract = ContractInfo { code_hash: *code_hash, code_len: len, functions };
            world.put(&StateKey::Contract { address }, &contract);
            let frame = Frame { caller: sender, contract: address, value: *value, input: input.clone(), depth: 0 };
            let outcome = runtime.run(std::mem::take(world), frame, Entry::Init, ctx.block, gas);
            *world = outcome.world;
            call_effect(outcome.result.map(|_| address.0.to_vec()), outcome.gas_left)
        }
        TxKind::Call { contract, method, input, value } => {
            if is_reserved(method) {
                return Ok((Effect::Failed(format!("method {method:?} is reserved")), gas));
            }
            let frame = Frame { caller: sender, contract: *contract, value: *value, input: input.clone(), depth: 0 };
            let outcome = runtime.run(std::mem::take(world), frame, Entry::Method(method), ctx.block, gas);
            *world = outcome.world;
            call_effect(outcome.result, outcome.gas_left)
        }
    }
}

/// Checks what a transaction must satisfy on its own, whatever the state: chain id, field limits, and a gas
/// limit between its intrinsic gas and [`crate::gas::MAX_TX_GAS`]. Not the signature (checked in batches).
pub fn check_transaction(tx: &Transaction, chain_id: u64) -> Result<(), TxError> {
    tx.check_fields(chain_id)?;
    let intrinsic = intrinsic_gas(tx);
    let limit = tx.body.gas_limit;
    if limit > MOMENTUM.max_tx_gas {
        return Err(TxError::Limit(format!("gas limit {limit} above the cap of {}", MOMENTUM.max_tx_gas)));
    }
    if limit < intrinsic {
        return Err(TxError::Limit(format!("gas limit {limit} below the intrinsic cost {intrinsic}")));
    }
    if tx.body.fee_per_gas < MOMENTUM.min_fee_per_gas {
        return Err(TxError::Limit(format!(
            "fee per gas {} below the minimum of {}",
            tx.body.fee_per_gas, MOMENTUM.min_fee_per_gas
        )));
    }
    Ok(())
}

/// Exports a transaction or contract may not call by name.
pub fn is_reserved(method: &str) -> bool {
    method == "init" || method.starts_with("wasmer_") || method.starts_with("zr_")
}

#[allow(clippy::too_many_arguments)]
fn upload<R: ContractRuntime>(
    runtime: &R,
    world: &mut World,
    ctx: &TxContext,
    gas: u64,
    uploader: Address,
    code_hash: Hash,
    index: u32,
    count: u32,
    bytes: &[u8],
) -> Result<(Effect, u64), CallError> {
    let state = CallError::State;
    let Some(gas) = gas.checked_sub(COSTS.upload_per_byte * bytes.len() as u64) else {
        return Ok((Effect::OutOfGas, 0));
    };
    if world.exists(&StateKey::CodeInfo { code_hash }).map_err(state)? {
        return Ok((Effect::Failed(format!("code {code_hash} is already uploaded")), gas));
    }
    let upload_key = StateKey::Upload { uploader, code_hash };
    let mut upload = match world.get_decoded::<Upload>(&upload_key).map_err(state)? {
        Some(upload) => upload,
        None => {
            // A new upload: append it to the expiry queue (constant work per upload).
            let mut queue: UploadQueue = world.get_decoded(&StateKey::UploadQueue).map_err(state)?.unwrap_or_default();
            let entry = UploadQueueEntry { uploader, code_hash, started_at: ctx.block.height };
            world.put(&StateKey::UploadQueueEntry { position: queue.tail }, &entry);
            queue.tail += 1;
            world.put(&StateKey::UploadQueue, &queue);
            Upload::new(count, ctx.block.height)
        }
    };
    if upload.count != count {
        return Ok((Effect::Failed(format!("upload of {code_hash} has {} chunks, not {count}", upload.count)), gas));
    }
    if upload.has_chunk(index) {
        return Ok((Effect::Failed(format!("chunk {index} of {code_hash} is already uploaded")), gas));
    }
    if upload.bytes + bytes.len() as u64 > tx_limits::MAX_CODE_LEN as u64 {
        return Ok((Effect::Failed(format!("code {code_hash} would exceed {} bytes", tx_limits::MAX_CODE_LEN)), gas));
    }
    upload.received += 1;
    upload.bytes += bytes.len() as u64;
    upload.mark_chunk(index);
    if upload.received < upload.count {
        world.set(&StateKey::UploadChunk { uploader, code_hash, index }, Some(bytes.to_vec()));
        world.put(&upload_key, &upload);
        return Ok((Effect::Done(vec![]), gas));
    }
    // The last chunk: assemble, check, validate and compile once, then store by hash.
    let Some(gas) = gas.checked_sub(COSTS.compile_per_byte * upload.bytes) else { return Ok((Effect::OutOfGas, 0)) };
    let mut code = Vec::with_capacity(upload.bytes as usize);
    for i in 0..upload.count {
        if i == index {
            code.extend_from_slice(bytes);
            continue;
        }
        let key = StateKey::UploadChunk { uploader, code_hash, index: i };
        let Some(chunk) = world.get(&key).map_err(state)? else {
            return Err(state(StateError::Corrupt {
                key: key.hash(),
                reason: "chunk of a complete upload missing".into(),
            }));
        };
        code.extend_from_slice(&chunk);
        world.set(&key, None);
    }
    world.set(&upload_key, None);
    if sha3_256(&code) != code_hash {
        return Ok((Effect::FailedKeep(format!("uploaded code does not hash to {code_hash}; upload discarded")), gas));
    }
    let functions = match runtime.accept_code(&code) {
        Ok(functions) => functions,
        Err(CodeError::Rejected(reason)) => {
            return Ok((Effect::FailedKeep(format!("{reason}; upload discarded")), gas));
        }
        Err(CodeError::Fault(reason)) => return Err(CallError::Fault(reason)),
    };
    world.put(&StateKey::CodeInfo { code_hash }, &CodeInfo { len: code.len() as u64, functions });
    world.set(&StateKey::Code { code_hash }, Some(code));
    Ok((Effect::Done(code_hash.0.to_vec()), gas))
}

fn call_effect(result: Result<Vec<u8>, CallError>, gas_left: u64) -> Result<(Effect, u64), CallError> {
    match result {
        Ok(data) => Ok((Effect::Done(data), gas_left)),
        Err(CallError::Failed(reason)) => Ok((Effect::Failed(reason), gas_left)),
        Err(CallError::OutOfGas) => Ok((Effect::OutOfGas, 0)),
        Err(other) => Err(other),
    }
}

#[cfg(test)]
mod prelude_tests {
    use super::*;

    /// The rulebook's formula for leaf 0's step (docs/protocol.md, "The prelude"): the object hash with the
    /// tag's length first; a change to either must fail here.
    #[test]
    fn the_prelude_hash_is_the_rulebooks() {
        let deposits =
            vec![Deposit { account: Address([3; 20]), token: TokenStandard::ZNN, amount: 5, l1_block: Hash([4; 32]) }];
        let encoding = zr_common::codec::encode(&(7u64, deposits.clone()));
        let tag = b"zrollup/prelude/v1";
        let by_the_book = zr_common::sha3_256(&[&[tag.len() as u8][..], tag, &encoding].concat());
        assert_eq!(prelude_hash(7, &deposits), by_the_book);
        // The encoding: height u64 LE, the count u64 LE, each deposit's address, token standard, amount u128 LE
        // and block hash, raw.
        let expected: Vec<u8> = [
            &7u64.to_le_bytes()[..],
            &1u64.to_le_bytes(),
            &[3; 20],
            &TokenStandard::ZNN.0,
            &5u128.to_le_bytes(),
            &[4; 32],
        ]
        .concat();
        assert_eq!(encoding, expected);
    }
}
