//! The rollup's settlement as a C library, for the go-zenon spork: everything the pillars' Go code needs so that
//! it never parses rollup bytes itself — check a claim against the settlement parameters, judge a challenge,
//! verify a withdrawal proof against a final root, decode an inbox payload — with the VM version it judges
//! with. `include/zr_ffi.h` declares it; the tests check the header against these functions.
//!
//! Bytes in, bytes out: every input is a pointer and a length, every output a [`ZrBytes`] the library
//! allocates and the caller gives back with [`zr_bytes_free`]. Every call catches panics at the boundary, and
//! null pointers, lengths over [`MAX_INPUT_LEN`] and bytes that do not decode give an error code with the
//! reason in the output, never a crash. No clock feeds a result, and the one cache, of compiled modules in
//! memory, holds what compiling the same code always gives and every module a judgement needs while it runs
//! (see `docs/spork.md` for what is still open: worker threads in ordering and compilation).

// The C boundary is raw pointers by nature; each use is checked for null and length before it is read.
#![allow(unsafe_code)]

// Every entry point catches panics and turns them into an error code; built to abort on panic, a bug would
// take the pillar's whole node down instead.
#[cfg(panic = "abort")]
compile_error!("zr-ffi catches panics at its boundary: it must be built with panic = \"unwind\"");

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};

use zr_common::nom::{AccountBlock, Momentum};
use zr_common::rollup::Claim;
use zr_common::rollup::settlement::{ClaimRecord, Parameters};
use zr_common::{Address, Canonical, Hash, codec};
use zr_fraud::Dispute;
use zr_inbox::bundle::{Payload, WithdrawalProof, decode_payload};
use zr_settlement::Judgement;
use zr_vm::Vm;

pub mod from_rust;
mod inbox;

/// The ABI's version: it changes with any change to a function's signature or to an output's layout.
pub const ZR_ABI_VERSION: u32 = 2;

/// Success.
pub const ZR_OK: i32 = 0;
/// The input was understood and the rule refuses it (a claim that may not be recorded, a withdrawal proof that
/// proves none); the output holds the reason.
pub const ZR_REFUSED: i32 = 1;
/// A required pointer was null.
pub const ZR_ERR_NULL: i32 = -1;
/// An input was longer than [`MAX_INPUT_LEN`].
pub const ZR_ERR_TOO_LARGE: i32 = -2;
/// An input did not decode; the output holds the reason.
pub const ZR_ERR_DECODE: i32 = -3;
/// The library panicked (a bug); the output holds the message.
pub const ZR_ERR_PANIC: i32 = -4;
/// The VM cannot run on this machine; the output holds the reason.
pub const ZR_ERR_VM: i32 = -5;

/// The longest input any function reads: the rollup's own decoding limit. Each input's own type may have a
/// lower one (parameters [`MAX_PARAMETERS_LEN`], a claim record [`MAX_CLAIM_RECORD_LEN`], a claim, a proof or a
/// payload an account block's 16 KiB); past it, the input does not decode ([`ZR_ERR_DECODE`]).
pub const MAX_INPUT_LEN: usize = codec::GLOBAL_DECODE_LIMIT;
/// The longest stored rows read: every challenge part held ([`MAX_CHALLENGE_BYTES_HELD`]) and the leaves
/// arriving, with room for their keys and the withdrawals paid.
///
/// [`MAX_CHALLENGE_BYTES_HELD`]: zr_common::rollup::settlement::MAX_CHALLENGE_BYTES_HELD
pub const MAX_STORED_LEN: usize = 256 * 1024 * 1024;
/// The longest inbox request read: the claimed momentums a receive judges come with it (the inbox's sends of each,
/// up to 100 blocks of 16 KiB, in JSON), for at most 8 verdicts (`MAX_VERDICTS_PER_RECEIVE`).
pub const MAX_REQUEST_LEN: usize = 64 * 1024 * 1024;
/// The longest settlement parameters read.
pub const MAX_PARAMETERS_LEN: usize = 64 * 1024;
/// The longest claim record read (one is a few hundred bytes).
pub const MAX_CLAIM_RECORD_LEN: usize = 4096;

/// Bytes the library allocated; give them back with [`zr_bytes_free`]. Empty is `{NULL, 0}`.
#[repr(C)]
#[derive(Debug)]
pub struct ZrBytes {
    /// The first byte, or null when empty.
    pub ptr: *mut u8,
    /// How many bytes.
    pub len: usize,
}

impl ZrBytes {
    fn empty() -> ZrBytes {
        ZrBytes { ptr: std::ptr::null_mut(), len: 0 }
    }

    fn of(bytes: Vec<u8>) -> ZrBytes {
        if bytes.is_empty() {
            return ZrBytes::empty();
        }
        let boxed = bytes.into_boxed_slice();
        let len = boxed.len();
        ZrBytes { ptr: Box::into_raw(boxed).cast::<u8>(), len }
    }
}

/// An error code with its reason, for the output.
struct Failure(i32, String);

impl Failure {
    fn decode(what: &str, reason: impl std::fmt::Display) -> Failure {
        Failure(ZR_ERR_DECODE, format!("{what}: {reason}"))
    }
}

/// Reads `len` bytes at `ptr` (any pointer when `len` is 0).
///
/// # Safety
/// `ptr` must be null or point at `len` readable bytes that stay unchanged during the call.
unsafe fn input<'a>(ptr: *const u8, len: usize, what: &str) -> Result<&'a [u8], Failure> {
    // SAFETY: the caller's promises, passed on.
    unsafe { input_up_to(ptr, len, what, MAX_INPUT_LEN) }
}

/// Reads `len` bytes at `ptr`, at most `max`.
///
/// # Safety
/// As [`input`].
unsafe fn input_up_to<'a>(ptr: *const u8, len: usize, what: &str, max: usize) -> Result<&'a [u8], Failure> {
    if len > max {
        return Err(Failure(ZR_ERR_TOO_LARGE, format!("{what}: {len} bytes, at most {max}")));
    }
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(Failure(ZR_ERR_NULL, format!("{what}: null pointer")));
    }
    // SAFETY: non-null, and the caller promises `len` readable bytes.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Reads exactly `N` bytes at `ptr`.
///
/// # Safety
/// `ptr` must be null or point at `N` readable bytes.
unsafe fn fixed<const N: usize>(ptr: *const u8, what: &str) -> Result<[u8; N], Failure> {
    if ptr.is_null() {
        return Err(Failure(ZR_ERR_NULL, format!("{what}: null pointer")));
    }
    let mut out = [0u8; N];
    // SAFETY: non-null, and the caller promises `N` readable bytes.
    out.copy_from_slice(unsafe { std::slice::from_raw_parts(ptr, N) });
    Ok(out)
}

/// Runs `body` with panics caught, and writes its result or its failure's reason to `out`.
///
/// # Safety
/// `out` must be null or point at a writable [`ZrBytes`].
unsafe fn boundary(out: *mut ZrBytes, body: impl FnOnce() -> Result<(i32, Vec<u8>), Failure>) -> i32 {
    if out.is_null() {
        return ZR_ERR_NULL;
    }
    let (code, bytes) = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok((code, bytes))) => (code, bytes),
        Ok(Err(Failure(code, reason))) => (code, reason.into_bytes()),
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic without a message".to_owned());
            (ZR_ERR_PANIC, message.into_bytes())
        }
    };
    // SAFETY: non-null, and the caller promises a writable `ZrBytes`.
    unsafe { out.write(ZrBytes::of(bytes)) };
    code
}

/// Compiled modules the shared judging VM keeps in memory.
const MEMORY_MODULES: usize = 64;

/// Held for a whole judgement (or a whole inbox step), so judgements run one at a time and none evicts a
/// module from the shared VM that another holds.
static JUDGING: Mutex<()> = Mutex::new(());

/// The shared VM: made on first use, compiled modules in memory only; a failure to make it is not kept.
fn shared_vm() -> Result<Arc<Vm>, String> {
    static SHARED: Mutex<Option<Arc<Vm>>> = Mutex::new(None);
    let mut shared = SHARED.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    match shared.as_ref() {
        Some(vm) => Ok(vm.clone()),
        None => Ok(shared.insert(Vm::new(None, MEMORY_MODULES).map_err(|e| e.to_string())?).clone()),
    }
}

/// Judges `dispute` with a VM that holds every module the challenge carries for the whole judgement
/// ([`Vm::holding`]).
fn judge(
    dispute: &Dispute,
    record: &ClaimRecord,
    params: &Parameters,
    held: (Momentum, Vec<AccountBlock>),
) -> Result<Judgement, Failure> {
    let _judging = JUDGING.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let vm = shared_vm().map_err(|reason| Failure(ZR_ERR_VM, reason))?;
    let vm = vm.holding(dispute.codes()).map_err(|e| Failure(ZR_ERR_VM, e.to_string()))?;
    Ok(zr_settlement::judge_dispute(dispute, record, params, Ok(Some(held)), vm.as_ref()))
}

/// [`ZR_ABI_VERSION`].
#[unsafe(no_mangle)]
pub extern "C" fn zr_abi_version() -> u32 {
    ZR_ABI_VERSION
}

/// Writes the VM version the library judges with (32 bytes) to `out32`.
///
/// # Safety
/// `out32` must be null or point at 32 writable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zr_vm_version(out32: *mut u8) -> i32 {
    if out32.is_null() {
        return ZR_ERR_NULL;
    }
    match catch_unwind(zr_protocol::gas::vm_version) {
        Ok(version) => {
            // SAFETY: non-null, and the caller promises 32 writable bytes.
            unsafe { std::ptr::copy_nonoverlapping(version.0.as_ptr(), out32, 32) };
            ZR_OK
        }
        Err(_) => ZR_ERR_PANIC,
    }
}

/// Checks a claim (`claim`: the canonical `Claim`, the payload after its tag 2) sent by the account `sender20`
/// (20 bytes) and confirmed at momentum `at`, under `params` (the canonical `Parameters`), the settlement's final
/// height being `final_height`; `momentum_known` says whether L1 holds the claimed height, whose timestamp is
/// then `momentum_timestamp`. [`ZR_OK`] with an empty output when it may be recorded (given no claim of that
/// executor at that height yet and a live bond: the caller's records), [`ZR_REFUSED`] with the reason.
///
/// # Safety
/// Each pointer must be null or point at its length of readable bytes; `out` at a writable [`ZrBytes`].
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn zr_check_claim(
    params: *const u8,
    params_len: usize,
    claim: *const u8,
    claim_len: usize,
    sender20: *const u8,
    final_height: u64,
    at: u64,
    momentum_known: u8,
    momentum_timestamp: u64,
    out: *mut ZrBytes,
) -> i32 {
    // SAFETY: the caller's promises, passed on.
    unsafe {
        boundary(out, || {
            let params = parameters(input(params, params_len, "parameters")?)?;
            let claim =
                Claim::from_bytes(input(claim, claim_len, "claim")?).map_err(|e| Failure::decode("claim", e))?;
            let sender = Address(fixed::<20>(sender20, "sender")?);
            let timestamp = |_| Ok((momentum_known != 0).then_some(momentum_timestamp));
            match zr_settlement::check_claim(&params, &claim, &sender, final_height, at, timestamp) {
                Ok(()) => Ok((ZR_OK, Vec::new())),
                Err(refusal) => Ok((ZR_REFUSED, refusal.to_string().into_bytes())),
            }
        })
    }
}

/// Judges a challenge: `dispute` (the canonical `Dispute`, a challenge's bytes once whole) against `claim_record`
/// (the canonical `ClaimRecord` L1 holds) under `params`, with the claimed momentum and its confirmed blocks in
/// content order as L1 holds them (`momentum`: the canonical `(Momentum, Vec<AccountBlock>)`). [`ZR_OK`] with the
/// verdict: a kind byte (0 the executor is wrong, 1 the challenge proves nothing, 2 the pillars cannot judge it),
/// a byte saying whether a correct root follows, the correct root (32 bytes, zero when none), then the reason
/// in UTF-8.
///
/// # Safety
/// Each pointer must be null or point at its length of readable bytes; `out` at a writable [`ZrBytes`].
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn zr_judge(
    params: *const u8,
    params_len: usize,
    claim_record: *const u8,
    claim_record_len: usize,
    dispute: *const u8,
    dispute_len: usize,
    momentum: *const u8,
    momentum_len: usize,
    out: *mut ZrBytes,
) -> i32 {
    // SAFETY: the caller's promises, passed on.
    unsafe {
        boundary(out, || {
            let params = parameters(input(params, params_len, "parameters")?)?;
            let record: ClaimRecord = codec::decode(
                "claim record",
                input(claim_record, claim_record_len, "claim record")?,
                MAX_CLAIM_RECORD_LEN,
            )
            .map_err(|e| Failure::decode("claim record", e))?;
            let dispute = Dispute::from_bytes(input(dispute, dispute_len, "dispute")?)
                .map_err(|e| Failure::decode("dispute", e))?;
            let held: (Momentum, Vec<AccountBlock>) =
                codec::decode("momentum", input(momentum, momentum_len, "momentum")?, MAX_INPUT_LEN)
                    .map_err(|e| Failure::decode("momentum", e))?;
            Ok((ZR_OK, verdict_bytes(&judge(&dispute, &record, &params, held)?)))
        })
    }
}

/// Verifies a withdrawal proof (`proof`: the canonical `WithdrawalProof`, the payload after its tag 6) against
/// `final_root32`, the final state root at the proof's height. [`ZR_OK`] with the withdrawal to pay: the L1
/// recipient (20 bytes), the token standard (10), the amount (u128 little-endian) and the height it was made at
/// (u64 little-endian); [`ZR_REFUSED`] with the reason it proves none. Whether it was paid already is the
/// caller's to know.
///
/// # Safety
/// Each pointer must be null or point at its length of readable bytes (`final_root32` at 32); `out` at a
/// writable [`ZrBytes`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zr_verify_withdrawal(
    final_root32: *const u8,
    proof: *const u8,
    proof_len: usize,
    out: *mut ZrBytes,
) -> i32 {
    // SAFETY: the caller's promises, passed on.
    unsafe {
        boundary(out, || {
            let root = Hash(fixed::<32>(final_root32, "final root")?);
            let proof = WithdrawalProof::from_bytes(input(proof, proof_len, "withdrawal proof")?)
                .map_err(|e| Failure::decode("withdrawal proof", e))?;
            match zr_settlement::check_withdrawal_proof(&root, &proof) {
                Ok(w) => Ok((
                    ZR_OK,
                    [&w.recipient.0[..], &w.token.0, &w.amount.to_le_bytes(), &w.height.to_le_bytes()].concat(),
                )),
                Err(refusal) => Ok((ZR_REFUSED, refusal.to_string().into_bytes())),
            }
        })
    }
}

/// Decodes an inbox payload (an account block's data sent to the inbox) and says what it is, as JSON: `kind`
/// (`bundle`, `claim`, `bond`, `challengePart`, `withdrawal`, `unbond`, `daChallenge`, `leavesPart`) and the
/// fields the inbox's rules read. [`ZR_ERR_DECODE`] with the reason when it is no payload.
///
/// # Safety
/// `data` must be null or point at `data_len` readable bytes; `out` at a writable [`ZrBytes`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zr_decode_payload(data: *const u8, data_len: usize, out: *mut ZrBytes) -> i32 {
    // SAFETY: the caller's promises, passed on.
    unsafe {
        boundary(out, || {
            let payload =
                decode_payload(input(data, data_len, "payload")?).map_err(|e| Failure::decode("payload", e))?;
            Ok((ZR_OK, payload_json(&payload).to_string().into_bytes()))
        })
    }
}

/// How an inbox call answers, from the settlement state, the stored rows and the request.
type InboxAnswer = fn(&[u8], &[u8], &inbox::Request) -> Result<(i32, Vec<u8>), Failure>;

/// The inbox calls' inputs, each a pointer and a length (the settlement state, the stored rows passed and the
/// JSON request), read and handed to `answer`.
///
/// # Safety
/// As [`input`], for each; `out` as [`boundary`].
unsafe fn inbox_call([state, stored, request]: [(*const u8, usize); 3], out: *mut ZrBytes, answer: InboxAnswer) -> i32 {
    // SAFETY: the caller's promises, passed on.
    unsafe {
        boundary(out, || {
            let state = input(state.0, state.1, "state")?;
            let stored = input_up_to(stored.0, stored.1, "stored rows", MAX_STORED_LEN)?;
            let request = inbox::request(input_up_to(request.0, request.1, "request", MAX_REQUEST_LEN)?)?;
            answer(state, stored, &request)
        })
    }
}

/// Runs the inbox contract on a send it receives and on the momentum it is at (`zr_settlement::inbox`, the
/// rules the devnet's inbox runs): `state` is the settlement state kept by the caller (empty before the first
/// step), `stored` the stored rows asked for, framed as `docs/spork.md` writes, `request` the JSON request
/// (parameters, `at`, `steppedTo`, the `send` in go-zenon's JSON, the inbox's `balances`, and the answers asked
/// for: L1's, and `absentRows`, the rows asked for that the caller holds none at). [`ZR_OK`] with
/// `{"need": {"timestamps": [..], "momentums": [..], "rows": [..]}}` (call again with those answered) or
/// `{"done": {"state", "stored", "steppedTo", "payouts"}}`.
///
/// # Safety
/// Each pointer must be null or point at its length of readable bytes; `out` at a writable [`ZrBytes`].
#[unsafe(no_mangle)]
#[rustfmt::skip] // each pointer with its length, as the header declares them
pub unsafe extern "C" fn zr_inbox_step(
    state: *const u8, state_len: usize,
    stored: *const u8, stored_len: usize,
    request: *const u8, request_len: usize,
    out: *mut ZrBytes,
) -> i32 {
    // SAFETY: the caller's promises, passed on.
    unsafe { inbox_call([(state, state_len), (stored, stored_len), (request, request_len)], out, inbox_step) }
}

/// [`zr_inbox_step`]'s answer: one step, under the lock that keeps one judgement at a time.
fn inbox_step(state: &[u8], stored: &[u8], request: &inbox::Request) -> Result<(i32, Vec<u8>), Failure> {
    let _judging = JUDGING.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    Ok((ZR_OK, inbox::step(state, stored, request)?.to_string().into_bytes()))
}

/// Checks the request's `send` (go-zenon's JSON) as L1 checks a send to the inbox before accepting it, under
/// the request's parameters: [`ZR_OK`], or [`ZR_REFUSED`] with what is wrong.
///
/// # Safety
/// `request` must be null or point at `request_len` readable bytes; `out` at a writable [`ZrBytes`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zr_inbox_check_send(request: *const u8, request_len: usize, out: *mut ZrBytes) -> i32 {
    // SAFETY: the caller's promises, passed on.
    unsafe {
        boundary(out, || {
            let request = inbox::request(input(request, request_len, "request")?)?;
            match inbox::check_send(&request)? {
                Ok(()) => Ok((ZR_OK, Vec::new())),
                Err(reason) => Ok((ZR_REFUSED, reason.into_bytes())),
            }
        })
    }
}

/// Answers an `embedded.rollup.*` JSON-RPC call (the request's `method` and positional `params`) from the
/// settlement state and the stored rows passed: [`ZR_OK`] with `{"answer": …}`, or `{"need": {"rows": [..]}}`
/// (call again with those rows passed or listed in `absentRows`), or [`ZR_REFUSED`] with what is wrong with the
/// call.
///
/// # Safety
/// Each pointer must be null or point at its length of readable bytes; `out` at a writable [`ZrBytes`].
#[unsafe(no_mangle)]
#[rustfmt::skip] // each pointer with its length, as the header declares them
pub unsafe extern "C" fn zr_inbox_query(
    state: *const u8, state_len: usize,
    stored: *const u8, stored_len: usize,
    request: *const u8, request_len: usize,
    out: *mut ZrBytes,
) -> i32 {
    // SAFETY: the caller's promises, passed on.
    unsafe { inbox_call([(state, state_len), (stored, stored_len), (request, request_len)], out, inbox_answer) }
}

/// [`zr_inbox_query`]'s answer, or [`ZR_REFUSED`] with what is wrong with the call.
fn inbox_answer(state: &[u8], stored: &[u8], request: &inbox::Request) -> Result<(i32, Vec<u8>), Failure> {
    match inbox::query(state, stored, request)? {
        Ok(answer) => Ok((ZR_OK, answer.to_string().into_bytes())),
        Err(reason) => Ok((ZR_REFUSED, reason.into_bytes())),
    }
}

/// Gives back bytes the library allocated. Null or empty bytes are ignored.
///
/// # Safety
/// `bytes` must be a [`ZrBytes`] this library returned, given back once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zr_bytes_free(bytes: ZrBytes) {
    if bytes.ptr.is_null() || bytes.len == 0 {
        return;
    }
    // SAFETY: made by `ZrBytes::of` from a boxed slice of exactly `len` bytes, given back once.
    drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(bytes.ptr, bytes.len)) });
}

/// Settlement parameters, decoded and checked as L1's genesis checks them (a chain id, VM versions in order).
fn parameters(bytes: &[u8]) -> Result<Parameters, Failure> {
    let params: Parameters =
        codec::decode("parameters", bytes, MAX_PARAMETERS_LEN).map_err(|e| Failure::decode("parameters", e))?;
    params.check().map_err(|reason| Failure::decode("parameters", reason))?;
    Ok(params)
}

/// A judgement as `zr_judge` writes it.
fn verdict_bytes(judgement: &Judgement) -> Vec<u8> {
    let (kind, root, reason) = match judgement {
        Judgement::ExecutorWrong { reason, correct_root } => (0u8, *correct_root, reason),
        Judgement::ProvesNothing(reason) => (1, None, reason),
        Judgement::CannotJudge(reason) => (2, None, reason),
    };
    [&[kind, u8::from(root.is_some())][..], &root.unwrap_or(Hash::ZERO).0, reason.as_bytes()].concat()
}

/// What `zr_decode_payload` says of a payload.
fn payload_json(payload: &Payload) -> serde_json::Value {
    use serde_json::json;
    match payload {
        Payload::Bundle(bundle) => json!({
            "kind": "bundle",
            "chainId": bundle.body.chain_id,
            "poster": bundle.body.poster.address().to_string(),
            "transactions": bundle.body.transactions.len(),
            "hash": bundle.body.hash().to_hex(),
        }),
        Payload::Claim(claim) => json!({"kind": "claim", "claim": claim, "hash": claim.body.hash().to_hex()}),
        Payload::Bond => json!({"kind": "bond"}),
        Payload::Unbond => json!({"kind": "unbond"}),
        Payload::ChallengePart(part) => json!({
            "kind": "challengePart", "id": part.id.to_hex(), "index": part.index, "count": part.count,
            "bytes": part.bytes.len(),
        }),
        Payload::Withdrawal(proof) => json!({
            "kind": "withdrawal", "txHash": proof.tx_hash.to_hex(), "height": proof.height,
        }),
        Payload::DaChallenge(challenge) => json!({
            "kind": "daChallenge", "executor": challenge.executor.to_hex(), "height": challenge.height,
        }),
        Payload::LeavesPart(part) => json!({
            "kind": "leavesPart", "height": part.height, "index": part.index, "count": part.count,
            "bytes": part.bytes.len(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A panic inside a call becomes an error code with its message, and the caller's output is written.
    #[test]
    fn a_panic_is_caught_at_the_boundary() {
        let mut out = ZrBytes::empty();
        let code = unsafe { boundary(&mut out, || panic!("a bug")) };
        assert_eq!(code, ZR_ERR_PANIC);
        let message = unsafe { std::slice::from_raw_parts(out.ptr, out.len) }.to_vec();
        assert_eq!(message, b"a bug");
        unsafe { zr_bytes_free(out) };
    }
}
