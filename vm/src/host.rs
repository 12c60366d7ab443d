//! The host API (module `env`): what a contract may ask of the rollup. Every pointer/length pair is
//! bounds-checked, every call is charged gas before it does work, and every failure is a deterministic trap.

use std::sync::Arc;

use wasmer::wasmparser::ValType;
use wasmer::{AsStoreMut, FunctionEnvMut, Global, Instance, Memory, RuntimeError, Value};
use zr_common::rollup::Event;
use zr_common::{Address, PublicKey, Signature, TokenStandard, sha3_256};

use zr_protocol::gas::COSTS;
use zr_protocol::{BlockInfo, CallError, CallOutcome, Entry, Frame, StateError, StateKey, World};

use super::Vm;
use super::limits;

const I32: ValType = ValType::I32;
const I64: ValType = ValType::I64;

/// Every host function: name, parameters, results. Imports are checked against this at deploy.
pub const HOST_API: &[(&str, &[ValType], &[ValType])] = &[
    ("input_len", &[], &[I32]),
    ("input_copy", &[I32], &[]),
    ("storage_read", &[I32, I32, I32, I32], &[I64]),
    ("storage_write", &[I32, I32, I32, I32], &[]),
    ("storage_remove", &[I32, I32], &[]),
    ("caller", &[I32], &[]),
    ("self_address", &[I32], &[]),
    ("value", &[I32], &[]),
    ("balance", &[I32, I32], &[]),
    ("transfer", &[I32, I32], &[I32]),
    ("block_height", &[], &[I64]),
    ("block_timestamp", &[], &[I64]),
    ("emit_event", &[I32, I32, I32, I32], &[]),
    ("call", &[I32, I32, I32, I32, I32, I32], &[I32]),
    ("return_data_len", &[], &[I32]),
    ("return_data_copy", &[I32], &[]),
    ("sha3_256", &[I32, I32, I32], &[]),
    ("ed25519_verify", &[I32, I32, I32, I32], &[I32]),
    ("set_return", &[I32, I32], &[]),
    ("abort", &[I32, I32], &[]),
];

/// Why a host call stopped the contract.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostTrap {
    /// Gas ran out.
    #[error("out of gas")]
    OutOfGas,
    /// The contract called `abort`.
    #[error("aborted: {0}")]
    Abort(String),
    /// The contract misused the host API (bad pointer, oversized argument, …).
    #[error("{0}")]
    Trap(String),
    /// The state could not answer (a witness without a key the call needs).
    #[error("{0}")]
    State(StateError),
    /// The host itself failed: a node fault, never a receipt.
    #[error("node fault: {0}")]
    Fault(String),
}

fn state_trap(error: StateError) -> RuntimeError {
    RuntimeError::user(Box::new(HostTrap::State(error)))
}

/// The state a host function sees, moved in for the duration of a call.
pub struct HostEnv {
    pub(crate) memory: Option<Memory>,
    pub(crate) meter: Option<GasMeter>,
    pub(crate) world: World,
    pub(crate) frame: Frame,
    pub(crate) block: BlockInfo,
    pub(crate) vm: Arc<Vm>,
    /// Set by `set_return`.
    pub(crate) return_data: Vec<u8>,
    /// The return data of the last nested call.
    pub(crate) callee_return: Vec<u8>,
}

type Env<'a> = FunctionEnvMut<'a, HostEnv>;

fn trap(message: impl Into<String>) -> RuntimeError {
    RuntimeError::user(Box::new(HostTrap::Trap(message.into())))
}

/// The metering middleware's two globals of an instance, looked up once instead of by name per host call.
#[derive(Clone)]
pub(crate) struct GasMeter {
    remaining: Global,
    exhausted: Global,
}

impl GasMeter {
    /// The meter of `instance` (compiled with the metering middleware).
    pub(crate) fn of(instance: &Instance) -> Option<GasMeter> {
        Some(GasMeter {
            remaining: instance.exports.get_global("wasmer_metering_remaining_points").ok()?.clone(),
            exhausted: instance.exports.get_global("wasmer_metering_points_exhausted").ok()?.clone(),
        })
    }

    /// Gas left: as `wasmer_middlewares::metering::get_remaining_points`, 0 once exhausted.
    pub(crate) fn left(&self, store: &mut impl AsStoreMut) -> u64 {
        if self.exhausted.get(store).i32().is_some_and(|e| e > 0) {
            return 0;
        }
        self.remaining.get(store).i64().map_or(0, |points| points as u64)
    }

    /// Sets the gas left: as `wasmer_middlewares::metering::set_remaining_points`.
    pub(crate) fn set(&self, store: &mut impl AsStoreMut, points: u64) -> Result<(), RuntimeError> {
        self.remaining.set(store, Value::I64(points as i64))?;
        self.exhausted.set(store, Value::I32(0))
    }
}

/// Charges `amount` gas from the running instance.
fn charge(env: &mut Env<'_>, amount: u64) -> Result<(), RuntimeError> {
    let (data, mut store) = env.data_and_store_mut();
    let meter = data.meter.clone().ok_or_else(|| RuntimeError::user(Box::new(HostTrap::Fault("no meter".into()))))?;
    let left = meter.left(&mut store);
    if left >= amount {
        meter.set(&mut store, left - amount)
    } else {
        meter.set(&mut store, 0)?;
        Err(RuntimeError::user(Box::new(HostTrap::OutOfGas)))
    }
}

fn read_bytes(env: &Env<'_>, ptr: u32, len: u32, max: usize, what: &str) -> Result<Vec<u8>, RuntimeError> {
    if len as usize > max {
        return Err(trap(format!("{what} of {len} bytes exceeds {max}")));
    }
    let memory = env.data().memory.clone().ok_or_else(|| trap("no memory"))?;
    let mut buf = vec![0u8; len as usize];
    memory.view(env).read(u64::from(ptr), &mut buf).map_err(|_| trap(format!("{what}: pointer out of bounds")))?;
    Ok(buf)
}

fn read_array<const N: usize>(env: &Env<'_>, ptr: u32, what: &str) -> Result<[u8; N], RuntimeError> {
    let bytes = read_bytes(env, ptr, N as u32, N, what)?;
    Ok(bytes.try_into().expect("read N bytes"))
}

fn write_bytes(env: &Env<'_>, ptr: u32, bytes: &[u8], what: &str) -> Result<(), RuntimeError> {
    let memory = env.data().memory.clone().ok_or_else(|| trap("no memory"))?;
    memory.view(env).write(u64::from(ptr), bytes).map_err(|_| trap(format!("{what}: pointer out of bounds")))
}

fn per_byte(len: usize) -> u64 {
    COSTS.host_per_byte * len as u64
}

pub(crate) fn input_len(mut env: Env<'_>) -> Result<u32, RuntimeError> {
    charge(&mut env, COSTS.host_call)?;
    Ok(env.data().frame.input.len() as u32)
}

pub(crate) fn input_copy(mut env: Env<'_>, out: u32) -> Result<(), RuntimeError> {
    let input = env.data().frame.input.clone();
    charge(&mut env, COSTS.host_call + per_byte(input.len()))?;
    write_bytes(&env, out, &input, "input_copy")
}

fn storage_key(env: &Env<'_>, ptr: u32, len: u32) -> Result<StateKey, RuntimeError> {
    let key = read_bytes(env, ptr, len, limits::MAX_STORAGE_KEY, "storage key")?;
    Ok(StateKey::Storage { contract: env.data().frame.contract, key })
}

pub(crate) fn storage_read(
    mut env: Env<'_>,
    key_ptr: u32,
    key_len: u32,
    out: u32,
    cap: u32,
) -> Result<i64, RuntimeError> {
    charge(&mut env, COSTS.storage_read + per_byte(key_len as usize))?;
    let key = storage_key(&env, key_ptr, key_len)?;
    let Some(value) = env.data_mut().world.get(&key).map_err(state_trap)? else { return Ok(-1) };
    let copied = value.len().min(cap as usize);
    charge(&mut env, per_byte(copied))?;
    write_bytes(&env, out, &value[..copied], "storage_read")?;
    Ok(value.len() as i64)
}

pub(crate) fn storage_write(
    mut env: Env<'_>,
    key_ptr: u32,
    key_len: u32,
    ptr: u32,
    len: u32,
) -> Result<(), RuntimeError> {
    charge(&mut env, COSTS.storage_write + COSTS.storage_write_per_byte * (u64::from(key_len) + u64::from(len)))?;
    let key = storage_key(&env, key_ptr, key_len)?;
    let value = read_bytes(&env, ptr, len, limits::MAX_STORAGE_VALUE, "storage value")?;
    env.data_mut().world.set(&key, Some(value));
    env.data().world.check_caps().map_err(state_trap)
}

pub(crate) fn storage_remove(mut env: Env<'_>, key_ptr: u32, key_len: u32) -> Result<(), RuntimeError> {
    charge(&mut env, COSTS.storage_remove + per_byte(key_len as usize))?;
    let key = storage_key(&env, key_ptr, key_len)?;
    env.data_mut().world.set(&key, None);
    env.data().world.check_caps().map_err(state_trap)
}

pub(crate) fn caller(mut env: Env<'_>, out: u32) -> Result<(), RuntimeError> {
    charge(&mut env, COSTS.host_call)?;
    let caller = env.data().frame.caller;
    write_bytes(&env, out, &caller.0, "caller")
}

pub(crate) fn self_address(mut env: Env<'_>, out: u32) -> Result<(), RuntimeError> {
    charge(&mut env, COSTS.host_call)?;
    let contract = env.data().frame.contract;
    write_bytes(&env, out, &contract.0, "self_address")
}

pub(crate) fn value(mut env: Env<'_>, out: u32) -> Result<(), RuntimeError> {
    charge(&mut env, COSTS.host_call)?;
    let value = env.data().frame.value;
    write_bytes(&env, out, &value.to_le_bytes(), "value")
}

pub(crate) fn balance(mut env: Env<'_>, address: u32, out: u32) -> Result<(), RuntimeError> {
    charge(&mut env, COSTS.balance)?;
    let address = Address(read_array(&env, address, "balance address")?);
    let znn = env.data_mut().world.account(&address).map_err(state_trap)?.znn;
    write_bytes(&env, out, &znn.to_le_bytes(), "balance")
}

pub(crate) fn transfer(mut env: Env<'_>, to: u32, amount: u32) -> Result<u32, RuntimeError> {
    charge(&mut env, COSTS.contract_transfer)?;
    let to = Address(read_array(&env, to, "transfer receiver")?);
    let amount = u128::from_le_bytes(read_array(&env, amount, "transfer amount")?);
    let from = env.data().frame.contract;
    let moved = env.data_mut().world.move_balance(&from, &to, &TokenStandard::ZNN, amount).map_err(state_trap)?;
    Ok(if moved { 0 } else { 1 })
}

pub(crate) fn block_height(mut env: Env<'_>) -> Result<u64, RuntimeError> {
    charge(&mut env, COSTS.host_call)?;
    Ok(env.data().block.height)
}

pub(crate) fn block_timestamp(mut env: Env<'_>) -> Result<u64, RuntimeError> {
    charge(&mut env, COSTS.host_call)?;
    Ok(env.data().block.timestamp)
}

pub(crate) fn emit_event(
    mut env: Env<'_>,
    topic: u32,
    topic_len: u32,
    data: u32,
    data_len: u32,
) -> Result<(), RuntimeError> {
    charge(&mut env, COSTS.event + COSTS.event_per_byte * (u64::from(topic_len) + u64::from(data_len)))?;
    let topic = read_bytes(&env, topic, topic_len, limits::MAX_DATA, "event topic")?;
    let data = read_bytes(&env, data, data_len, limits::MAX_DATA, "event data")?;
    let contract = env.data().frame.contract;
    let events = &mut env.data_mut().world.events;
    if events.len() >= limits::MAX_EVENTS {
        return Err(trap(format!("more than {} events", limits::MAX_EVENTS)));
    }
    let bytes: usize = events.iter().map(|e| e.topic.len() + e.data.len()).sum::<usize>() + topic.len() + data.len();
    if bytes > limits::MAX_EVENT_BYTES {
        return Err(trap(format!("events of more than {} bytes", limits::MAX_EVENT_BYTES)));
    }
    events.push(Event { contract, topic, data });
    Ok(())
}

pub(crate) fn call(
    mut env: Env<'_>,
    contract: u32,
    method: u32,
    method_len: u32,
    input: u32,
    input_len: u32,
    value: u32,
) -> Result<u32, RuntimeError> {
    let pending = env.data().world.pending_writes() as u64;
    charge(
        &mut env,
        COSTS.call
            + per_byte(method_len as usize)
            + per_byte(input_len as usize)
            + COSTS.call_per_pending_write * pending,
    )?;
    let contract = Address(read_array(&env, contract, "call contract")?);
    let method = read_bytes(&env, method, method_len, zr_common::rollup::limits::MAX_METHOD_LEN, "call method")?;
    let input = read_bytes(&env, input, input_len, limits::MAX_DATA, "call input")?;
    let value = u128::from_le_bytes(read_array(&env, value, "call value")?);
    let Ok(method) = String::from_utf8(method) else { return Err(trap("call method is not UTF-8")) };

    let (data, mut store) = env.data_and_store_mut();
    let meter = data.meter.clone().ok_or_else(|| trap("no meter"))?;
    let gas_left = meter.left(&mut store);
    let frame = Frame { caller: data.frame.contract, contract, value, input, depth: data.frame.depth + 1 };
    if frame.depth > limits::MAX_CONTRACT_CALL_DEPTH {
        data.callee_return.clear();
        return Ok(1);
    }
    let world = std::mem::take(&mut data.world);
    let vm = data.vm.clone();
    let outcome = if zr_protocol::transition::is_reserved(&method) {
        CallOutcome { world, gas_left, result: Err(CallError::Failed(format!("method {method:?} is reserved"))) }
    } else {
        vm.invoke(world, frame, Entry::Method(&method), data.block, gas_left)
    };
    data.world = outcome.world;
    meter.set(&mut store, outcome.gas_left)?;
    match outcome.result {
        Ok(returned) => {
            data.callee_return = returned;
            Ok(0)
        }
        Err(CallError::Fault(fault)) => Err(RuntimeError::user(Box::new(HostTrap::Fault(fault)))),
        Err(CallError::State(error)) => Err(state_trap(error)),
        Err(CallError::OutOfGas) => Err(RuntimeError::user(Box::new(HostTrap::OutOfGas))),
        Err(CallError::Failed(_)) => {
            data.callee_return.clear();
            Ok(1)
        }
    }
}

pub(crate) fn return_data_len(mut env: Env<'_>) -> Result<u32, RuntimeError> {
    charge(&mut env, COSTS.host_call)?;
    Ok(env.data().callee_return.len() as u32)
}

pub(crate) fn return_data_copy(mut env: Env<'_>, out: u32) -> Result<(), RuntimeError> {
    let data = env.data().callee_return.clone();
    charge(&mut env, COSTS.host_call + per_byte(data.len()))?;
    write_bytes(&env, out, &data, "return_data_copy")
}

pub(crate) fn sha3(mut env: Env<'_>, ptr: u32, len: u32, out: u32) -> Result<(), RuntimeError> {
    charge(&mut env, COSTS.host_call + COSTS.sha3_per_byte * u64::from(len))?;
    let data = read_bytes(&env, ptr, len, limits::MAX_DATA * 4, "sha3 input")?;
    write_bytes(&env, out, &sha3_256(&data).0, "sha3 output")
}

pub(crate) fn ed25519_verify(
    mut env: Env<'_>,
    key: u32,
    msg: u32,
    msg_len: u32,
    sig: u32,
) -> Result<u32, RuntimeError> {
    charge(&mut env, COSTS.ed25519_verify + per_byte(msg_len as usize))?;
    let key = PublicKey(read_array(&env, key, "ed25519 key")?);
    let message = read_bytes(&env, msg, msg_len, limits::MAX_DATA, "ed25519 message")?;
    let signature = Signature(read_array(&env, sig, "ed25519 signature")?);
    let Ok(verifying) = ed25519_dalek::VerifyingKey::from_bytes(&key.0) else { return Ok(0) };
    let signature = ed25519_dalek::Signature::from_bytes(&signature.0);
    // Strict: a small-order key or a non-canonical signature never verifies, so a contract cannot be fooled
    // by a key that "signs" every message (VM v9).
    Ok(u32::from(verifying.verify_strict(&message, &signature).is_ok()))
}

pub(crate) fn set_return(mut env: Env<'_>, ptr: u32, len: u32) -> Result<(), RuntimeError> {
    charge(&mut env, COSTS.host_call + per_byte(len as usize))?;
    let data = read_bytes(&env, ptr, len, limits::MAX_DATA, "return data")?;
    env.data_mut().return_data = data;
    Ok(())
}

pub(crate) fn abort(mut env: Env<'_>, ptr: u32, len: u32) -> Result<(), RuntimeError> {
    charge(&mut env, COSTS.host_call + per_byte(len as usize))?;
    let message = read_bytes(&env, ptr, len.min(256), 256, "abort message")?;
    Err(RuntimeError::user(Box::new(HostTrap::Abort(String::from_utf8_lossy(&message).into_owned()))))
}
