//! Executing one transaction against the state: nonce, fee, gas, the kind's effect, and the receipt with
//! its post-state root. A failed transaction changes nothing but its nonce and the fee it pays.

use std::sync::Arc;

use zr_common::rollup::{Receipt, ReceiptStatus, Transaction, TxKind, limits as tx_limits};
use zr_common::{Address, Hash, TokenStandard, codec, sha3_256};

use crate::state::smt::Tree;
use crate::state::{StateKey, Upload, Withdrawal, World};
use crate::vm::host::move_balance;
use crate::vm::limits::gas;
use crate::vm::{BlockInfo, CallError, Frame, Vm, validate};

/// The most gas one transaction may ask for.
pub const MAX_TX_GAS: u64 = 100_000_000;
/// Gas limits one momentum's transactions may add up to; past it, transactions are dropped (bounded work).
pub const MOMENTUM_GAS_BUDGET: u64 = 5_000_000_000;
/// Incomplete uploads are discarded this many momentums after their first chunk.
pub const UPLOAD_EXPIRY_MOMENTUMS: u64 = 360;

/// Discards the uploads that started `UPLOAD_EXPIRY_MOMENTUMS` before `height` and are still incomplete.
pub fn expire_uploads(world: &mut World, height: u64) {
    let Some(started) = height.checked_sub(UPLOAD_EXPIRY_MOMENTUMS) else { return };
    let len_key = StateKey::UploadQueueLen { height: started };
    let Some(len) = world.get_decoded::<u32>(&len_key) else { return };
    for position in 0..len {
        let entry_key = StateKey::UploadQueueEntry { height: started, index: position };
        let Some((uploader, code_hash)) = world.get_decoded::<(Address, Hash)>(&entry_key) else { continue };
        world.set(&entry_key, None);
        let upload_key = StateKey::Upload { uploader, code_hash };
        let Some(upload) = world.get_decoded::<Upload>(&upload_key) else { continue };
        if upload.started_at != started {
            continue;
        }
        for index in 0..upload.count {
            let chunk = StateKey::UploadChunk { uploader, code_hash, index };
            if world.get(&chunk).is_some() {
                world.set(&chunk, None);
            }
        }
        world.set(&upload_key, None);
    }
    world.set(&len_key, None);
}

/// The node cannot execute: nothing of the momentum may be committed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("node fault executing {tx}: {reason}")]
pub struct NodeFault {
    /// The transaction.
    pub tx: Hash,
    /// What failed.
    pub reason: String,
}

/// Where a transaction executes.
#[derive(Debug, Clone, Copy)]
pub struct TxContext {
    /// The momentum.
    pub block: BlockInfo,
    /// Who posted the bundle: fees go here.
    pub poster: Address,
}

/// A transaction's outcome.
#[derive(Debug, Clone)]
pub struct Executed {
    /// The receipt (with the post-state root).
    pub receipt: Receipt,
    /// State keys read.
    pub read: std::collections::BTreeSet<Hash>,
    /// State keys written.
    pub written: std::collections::BTreeSet<Hash>,
    /// Time spent writing to the state tree and hashing the post-state root (for metrics and benchmarks;
    /// never part of any state).
    pub commitment_time: std::time::Duration,
}

/// Executes transactions with a VM.
#[derive(Debug, Clone)]
pub struct Executor {
    vm: Arc<Vm>,
}

enum Effect {
    /// Applied; the call's return data.
    Done(Vec<u8>),
    /// Failed: undo everything since the checkpoint.
    Failed(String),
    /// Failed, but keep what was done (a completed upload whose code was rejected is discarded).
    FailedKeep(String),
    OutOfGas,
}

impl Executor {
    /// An executor on `vm`.
    pub fn new(vm: Arc<Vm>) -> Executor {
        Executor { vm }
    }

    /// The VM.
    pub fn vm(&self) -> &Arc<Vm> {
        &self.vm
    }

    /// Executes `tx` (already checked for signature and chain id) on `tree`; returns the new tree.
    pub fn execute(&self, tree: Tree, tx: &Transaction, ctx: &TxContext) -> Result<(Tree, Executed), NodeFault> {
        let mut world = World::new(tree);
        let tx_hash = tx.hash();
        let body = &tx.body;
        let sender = body.sender_address();
        let intrinsic = gas::TX_BASE + gas::TX_PER_BYTE * codec::encode(tx).len() as u64;
        let gas_limit = body.gas_limit.min(MAX_TX_GAS);

        // `reserved` is the fee taken from the sender before execution (so spending everything cannot evade
        // it); the unused part goes back, the fee for the gas used goes to the poster.
        let finish = |mut world: World, status: ReceiptStatus, gas_used: u64, return_data: Vec<u8>, reserved: u128| {
            if !matches!(status, ReceiptStatus::Success) {
                world.events.clear();
            }
            let fee = u128::from(gas_used) * u128::from(body.fee_per_gas);
            if reserved > 0 {
                let fee = fee.min(reserved);
                credit(&mut world, &sender, reserved - fee);
                credit(&mut world, &ctx.poster, fee);
            } else {
                let payable = fee.min(world.account(&sender).znn);
                move_balance(&mut world, &sender, &ctx.poster, &TokenStandard::ZNN, payable);
            }
            let hashing = std::time::Instant::now();
            let post_state_root = world.root();
            let commitment_time = hashing.elapsed();
            let receipt = Receipt {
                tx_hash,
                status,
                gas_used,
                events: std::mem::take(&mut world.events),
                return_data,
                post_state_root,
            };
            let read = std::mem::take(&mut world.read);
            let written = std::mem::take(&mut world.written);
            (world.into_tree(), Executed { receipt, read, written, commitment_time })
        };
        let failed = |reason: String| ReceiptStatus::Failed { reason };

        if body.gas_limit > MAX_TX_GAS {
            return Ok(finish(
                world,
                failed(format!("gas limit {} above the cap of {MAX_TX_GAS}", body.gas_limit)),
                0,
                vec![],
                0,
            ));
        }
        if gas_limit < intrinsic {
            return Ok(finish(
                world,
                failed(format!("gas limit {gas_limit} below the intrinsic cost {intrinsic}")),
                0,
                vec![],
                0,
            ));
        }
        let mut account = world.account(&sender);
        if body.nonce != account.nonce {
            // Not charged: an old transaction replayed after its record was pruned must cost its signer
            // nothing.
            let reason = format!("bad nonce: expected {}, got {}", account.nonce, body.nonce);
            return Ok(finish(world, failed(reason), 0, vec![], 0));
        }
        account.nonce += 1;
        let max_fee = u128::from(gas_limit) * u128::from(body.fee_per_gas);
        if account.znn < max_fee {
            world.put_account(&sender, &account);
            let reason = format!("insufficient ZNN for the fee: needs {max_fee}, has {}", account.znn);
            return Ok(finish(world, failed(reason), intrinsic, vec![], 0));
        }
        account.znn -= max_fee;
        world.put_account(&sender, &account);

        let checkpoint = world.checkpoint();
        let available = gas_limit - intrinsic;
        let (effect, gas_left) =
            self.apply(&mut world, tx, ctx, available).map_err(|reason| NodeFault { tx: tx_hash, reason })?;
        // The checkpoint is gone before `finish` computes the root, so the tree is updated in place.
        let (status, gas_used, return_data) = match (effect, checkpoint) {
            (Effect::Done(data), _) => (ReceiptStatus::Success, gas_limit - gas_left, data),
            (Effect::Failed(reason), checkpoint) => {
                world.revert(checkpoint);
                (failed(reason), gas_limit - gas_left, vec![])
            }
            (Effect::FailedKeep(reason), _) => (failed(reason), gas_limit - gas_left, vec![]),
            (Effect::OutOfGas, checkpoint) => {
                world.revert(checkpoint);
                (failed("out of gas".into()), gas_limit, vec![])
            }
        };
        Ok(finish(world, status, gas_used, return_data, max_fee))
    }

    /// The kind's effect; `Err` is a node fault. Returns the gas left.
    fn apply(&self, world: &mut World, tx: &Transaction, ctx: &TxContext, gas: u64) -> Result<(Effect, u64), String> {
        let body = &tx.body;
        let sender = body.sender_address();
        let charge = |gas: u64, cost: u64| gas.checked_sub(cost);
        match &body.kind {
            TxKind::Transfer { to, token, amount } => {
                let Some(gas) = charge(gas, gas::TRANSFER) else { return Ok((Effect::OutOfGas, 0)) };
                if world.account(&sender).balance(token).is_none() {
                    return Ok((Effect::Failed(format!("token {token} is not held on the rollup")), gas));
                }
                if !move_balance(world, &sender, to, token, *amount) {
                    return Ok((Effect::Failed(format!("insufficient {token} balance for {amount}")), gas));
                }
                Ok((Effect::Done(vec![]), gas))
            }
            TxKind::Withdraw { token, amount, l1_recipient } => {
                let Some(gas) = charge(gas, gas::TRANSFER) else { return Ok((Effect::OutOfGas, 0)) };
                let mut account = world.account(&sender);
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
                world.put(&StateKey::Withdrawal { tx_hash: tx.hash() }, &withdrawal);
                Ok((Effect::Done(vec![]), gas))
            }
            TxKind::UploadChunk { code_hash, index, count, bytes } => {
                self.upload(world, ctx, gas, sender, *code_hash, *index, *count, bytes)
            }
            TxKind::Deploy { code_hash, input, value } => {
                if world.get(&StateKey::Code { code_hash: *code_hash }).is_none() {
                    return Ok((Effect::Failed(format!("code {code_hash} has not been uploaded")), gas));
                }
                let address = Address::contract(&sender, body.nonce);
                world.put(&StateKey::Contract { address }, code_hash);
                let frame = Frame { caller: sender, contract: address, value: *value, input: input.clone(), depth: 0 };
                let outcome = self.vm.run_init(std::mem::take(world), frame, ctx.block, gas);
                *world = outcome.world;
                Ok(call_effect(outcome.result.map(|_| address.0.to_vec()), outcome.gas_left)?)
            }
            TxKind::Call { contract, method, input, value } => {
                let frame =
                    Frame { caller: sender, contract: *contract, value: *value, input: input.clone(), depth: 0 };
                let outcome = self.vm.run_call(std::mem::take(world), frame, method, ctx.block, gas);
                *world = outcome.world;
                Ok(call_effect(outcome.result, outcome.gas_left)?)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn upload(
        &self,
        world: &mut World,
        ctx: &TxContext,
        gas: u64,
        uploader: Address,
        code_hash: Hash,
        index: u32,
        count: u32,
        bytes: &[u8],
    ) -> Result<(Effect, u64), String> {
        let Some(gas) = gas.checked_sub(gas::UPLOAD_PER_BYTE * bytes.len() as u64) else {
            return Ok((Effect::OutOfGas, 0));
        };
        if world.get(&StateKey::Code { code_hash }).is_some() {
            return Ok((Effect::Failed(format!("code {code_hash} is already uploaded")), gas));
        }
        let upload_key = StateKey::Upload { uploader, code_hash };
        let mut upload = match world.get_decoded::<Upload>(&upload_key) {
            Some(upload) => upload,
            None => {
                // A new upload: append it to the height's expiry queue (constant work per upload).
                let len_key = StateKey::UploadQueueLen { height: ctx.block.height };
                let len: u32 = world.get_decoded(&len_key).unwrap_or(0);
                world.put(&StateKey::UploadQueueEntry { height: ctx.block.height, index: len }, &(uploader, code_hash));
                world.put(&len_key, &(len + 1));
                Upload { count, received: 0, started_at: ctx.block.height, bytes: 0 }
            }
        };
        if upload.count != count {
            return Ok((
                Effect::Failed(format!("upload of {code_hash} has {} chunks, not {count}", upload.count)),
                gas,
            ));
        }
        let chunk_key = StateKey::UploadChunk { uploader, code_hash, index };
        if world.get(&chunk_key).is_some() {
            return Ok((Effect::Failed(format!("chunk {index} of {code_hash} is already uploaded")), gas));
        }
        if upload.bytes + bytes.len() as u64 > tx_limits::MAX_CODE_LEN as u64 {
            return Ok((
                Effect::Failed(format!("code {code_hash} would exceed {} bytes", tx_limits::MAX_CODE_LEN)),
                gas,
            ));
        }
        upload.received += 1;
        upload.bytes += bytes.len() as u64;
        world.set(&chunk_key, Some(bytes.to_vec()));
        if upload.received < upload.count {
            world.put(&upload_key, &upload);
            return Ok((Effect::Done(vec![]), gas));
        }
        // The last chunk: assemble, check, validate and compile once, then store by hash.
        let Some(gas) = gas.checked_sub(gas::COMPILE_PER_BYTE * upload.bytes) else { return Ok((Effect::OutOfGas, 0)) };
        let mut code = Vec::with_capacity(upload.bytes as usize);
        for i in 0..upload.count {
            let key = StateKey::UploadChunk { uploader, code_hash, index: i };
            let chunk = world.get(&key).ok_or_else(|| format!("chunk {i} of a complete upload is missing"))?;
            code.extend_from_slice(&chunk);
            world.set(&key, None);
        }
        world.set(&upload_key, None);
        if sha3_256(&code) != code_hash {
            return Ok((
                Effect::FailedKeep(format!("uploaded code does not hash to {code_hash}; upload discarded")),
                gas,
            ));
        }
        if let Err(e) = validate(&code) {
            return Ok((Effect::FailedKeep(format!("{e}; upload discarded")), gas));
        }
        if let Err(e) = Vm::compile(&code) {
            return Ok((Effect::FailedKeep(format!("{e}; upload discarded")), gas));
        }
        world.set(&StateKey::Code { code_hash }, Some(code));
        Ok((Effect::Done(code_hash.0.to_vec()), gas))
    }
}

fn credit(world: &mut World, address: &Address, amount: u128) {
    if amount > 0 {
        let mut account = world.account(address);
        account.znn = account.znn.saturating_add(amount);
        world.put_account(address, &account);
    }
}

fn call_effect(result: Result<Vec<u8>, CallError>, gas_left: u64) -> Result<(Effect, u64), String> {
    match result {
        Ok(data) => Ok((Effect::Done(data), gas_left)),
        Err(CallError::Failed(reason)) => Ok((Effect::Failed(reason), gas_left)),
        Err(CallError::OutOfGas) => Ok((Effect::OutOfGas, 0)),
        Err(CallError::Fault(reason)) => Err(reason),
    }
}
