//! Each entry point with good inputs, and with null pointers, lengths past the limit and bytes that do not
//! decode: an error code and a reason, never a crash.

use std::sync::Arc;

use zr_common::nom::{AccountBlock, Momentum};
use zr_common::rollup::ClaimBody;
use zr_common::rollup::settlement::{ClaimRecord, ClaimStatus, Parameters};
use zr_common::{Address, Canonical, Hash, KeyPair, TokenStandard, codec};
use zr_ffi::*;
use zr_fraud::{Dispute, ShapeChallenge};
use zr_inbox::bundle::{WithdrawalProof, encode_claim, encode_withdrawal};
use zr_protocol::{ClaimLeaf, LeafProof, StateKey, Tree, Withdrawal};

/// Calls `f` with an output, returns the code and the output's bytes (given back).
pub(crate) fn call(f: impl FnOnce(*mut ZrBytes) -> i32) -> (i32, Vec<u8>) {
    let mut out = ZrBytes { ptr: std::ptr::null_mut(), len: 0 };
    let code = f(&mut out);
    let bytes =
        if out.ptr.is_null() { Vec::new() } else { unsafe { std::slice::from_raw_parts(out.ptr, out.len) }.to_vec() };
    unsafe { zr_bytes_free(out) };
    (code, bytes)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

pub(crate) const CHAIN: u64 = 7;

pub(crate) fn params() -> Parameters {
    Parameters::new(CHAIN, zr_protocol::gas::vm_version())
}

/// Key 4's claim of height 5 on `chain_id`.
pub(crate) fn claim(executor: &KeyPair, chain_id: u64) -> zr_common::rollup::Claim {
    ClaimBody {
        chain_id,
        executor: executor.public(),
        height: 5,
        timestamp: 1_000,
        prev_state_root: Hash([1; 32]),
        new_state_root: Hash([2; 32]),
        leaves_root: Hash([3; 32]),
        vm_version: zr_protocol::gas::vm_version(),
    }
    .sign(executor)
}

fn check_claim(claim_bytes: &[u8], sender: &Address, timestamp: Option<u64>) -> (i32, String) {
    let params = codec::encode(&params());
    let (code, out) = call(|out| unsafe {
        zr_check_claim(
            params.as_ptr(),
            params.len(),
            claim_bytes.as_ptr(),
            claim_bytes.len(),
            sender.0.as_ptr(),
            0,
            10,
            u8::from(timestamp.is_some()),
            timestamp.unwrap_or(0),
            out,
        )
    });
    (code, text(&out))
}

#[test]
fn versions() {
    assert_eq!(zr_abi_version(), ZR_ABI_VERSION);
    let mut version = [0u8; 32];
    assert_eq!(unsafe { zr_vm_version(version.as_mut_ptr()) }, ZR_OK);
    assert_eq!(Hash(version), zr_protocol::gas::vm_version());
    assert_eq!(unsafe { zr_vm_version(std::ptr::null_mut()) }, ZR_ERR_NULL);
}

#[test]
fn a_claim_is_checked_as_the_settlement_checks_it() {
    let executor = KeyPair::from_seed(&[4; 32]);
    let good = claim(&executor, CHAIN).to_bytes();
    assert_eq!(check_claim(&good, &executor.address(), Some(1_000)), (ZR_OK, String::new()));
    let (code, reason) = check_claim(&claim(&executor, CHAIN + 1).to_bytes(), &executor.address(), Some(1_000));
    assert_eq!(code, ZR_REFUSED);
    assert!(reason.contains("chain"), "{reason}");
    let (code, reason) = check_claim(&good, &Address([9; 20]), Some(1_000));
    assert_eq!(code, ZR_REFUSED, "{reason}");
    let (code, reason) = check_claim(&good, &executor.address(), Some(999));
    assert!(code == ZR_REFUSED && reason.contains("timestamp"), "{reason}");
    let (code, _) = check_claim(&good, &executor.address(), None);
    assert_eq!(code, ZR_REFUSED);
    // The payload as the inbox receives it is tag 2 then these bytes.
    assert_eq!(encode_claim(&claim(&executor, CHAIN))[1..], good[..]);
}

#[test]
fn bad_pointers_lengths_and_bytes_give_codes_never_crashes() {
    let executor = KeyPair::from_seed(&[4; 32]);
    let good = claim(&executor, CHAIN).to_bytes();
    let params = codec::encode(&params());
    let sender = executor.address();
    // No output to write to.
    let code = unsafe {
        zr_check_claim(
            params.as_ptr(),
            params.len(),
            good.as_ptr(),
            good.len(),
            sender.0.as_ptr(),
            0,
            10,
            1,
            1_000,
            std::ptr::null_mut(),
        )
    };
    assert_eq!(code, ZR_ERR_NULL);
    // A null input with a length.
    let (code, out) = call(|out| unsafe {
        zr_check_claim(params.as_ptr(), params.len(), std::ptr::null(), 40, sender.0.as_ptr(), 0, 10, 1, 1_000, out)
    });
    assert_eq!((code, text(&out)), (ZR_ERR_NULL, "claim: null pointer".to_owned()));
    // A length past the limit is refused before the pointer is read (this one points at nothing).
    let dangling = std::ptr::NonNull::<u8>::dangling().as_ptr();
    let (code, out) = call(|out| unsafe { zr_decode_payload(dangling, MAX_INPUT_LEN + 1, out) });
    assert_eq!(code, ZR_ERR_TOO_LARGE, "{}", text(&out));
    // Bytes that are not what they should be.
    let (code, out) = call(|out| unsafe {
        zr_check_claim(params.as_ptr(), params.len(), [1u8, 2, 3].as_ptr(), 3, sender.0.as_ptr(), 0, 10, 1, 1_000, out)
    });
    assert!(code == ZR_ERR_DECODE && text(&out).starts_with("claim:"), "{}", text(&out));
    let (code, out) = call(|out| unsafe {
        zr_check_claim([0xffu8; 9].as_ptr(), 9, good.as_ptr(), good.len(), sender.0.as_ptr(), 0, 10, 1, 1_000, out)
    });
    assert!(code == ZR_ERR_DECODE && text(&out).starts_with("parameters:"), "{}", text(&out));
    // Parameters that decode but that no L1 genesis could hold (chain id 0).
    let zero_chain = codec::encode(&Parameters::new(0, zr_protocol::gas::vm_version()));
    let (code, out) = call(|out| unsafe {
        zr_check_claim(
            zero_chain.as_ptr(),
            zero_chain.len(),
            good.as_ptr(),
            good.len(),
            sender.0.as_ptr(),
            0,
            10,
            1,
            1_000,
            out,
        )
    });
    assert!(code == ZR_ERR_DECODE && text(&out).contains("chain id"), "{}", text(&out));
    let (code, out) = call(|out| unsafe {
        zr_judge(std::ptr::null(), 0, std::ptr::null(), 0, std::ptr::null(), 0, std::ptr::null(), 0, out)
    });
    assert_eq!(code, ZR_ERR_DECODE, "{}", text(&out));
    let (code, _) = call(|out| unsafe { zr_verify_withdrawal(std::ptr::null(), std::ptr::null(), 0, out) });
    assert_eq!(code, ZR_ERR_NULL);
    // Empty bytes given back are ignored.
    unsafe { zr_bytes_free(ZrBytes { ptr: std::ptr::null_mut(), len: 0 }) };
}

#[test]
fn payloads_are_described() {
    let describe = |data: &[u8]| {
        let (code, out) = call(|out| unsafe { zr_decode_payload(data.as_ptr(), data.len(), out) });
        (code, text(&out))
    };
    let (code, json) = describe(&[4]);
    assert_eq!((code, json.as_str()), (ZR_OK, r#"{"kind":"bond"}"#));
    let executor = KeyPair::from_seed(&[4; 32]);
    let (code, json) = describe(&encode_claim(&claim(&executor, CHAIN)));
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        (code, value["kind"].as_str(), value["claim"]["body"]["height"].as_u64()),
        (ZR_OK, Some("claim"), Some(5))
    );
    let (code, reason) = describe(&[200, 1, 2]);
    assert_eq!((code, reason.as_str()), (ZR_ERR_DECODE, "payload: unknown payload tag 200"));
    let (code, _) = describe(&[]);
    assert_eq!(code, ZR_ERR_DECODE);
}

#[test]
fn a_withdrawal_proof_is_verified_against_the_final_root() {
    let tx_hash = Hash([5; 32]);
    let recipient = Address::from_public_key(&[6; 32]);
    let withdrawal = Withdrawal { recipient, token: TokenStandard::ZNN, amount: 1_234, height: 9 };
    let value = codec::encode(&withdrawal);
    let key = StateKey::Withdrawal { tx_hash }.hash();
    let mut tree = Tree::default();
    tree.set(key, Some(Arc::new(value.clone()))).unwrap();
    let proof = WithdrawalProof { tx_hash, height: 9, value, proof: tree.prove(&key).unwrap() };
    let bytes = encode_withdrawal(&proof)[1..].to_vec();
    let verify = |root: Hash| {
        let (code, out) =
            call(|out| unsafe { zr_verify_withdrawal(root.0.as_ptr(), bytes.as_ptr(), bytes.len(), out) });
        (code, out)
    };
    let (code, out) = verify(tree.root());
    assert_eq!(code, ZR_OK);
    let expected: Vec<u8> =
        [&recipient.0[..], &TokenStandard::ZNN.0, &1_234u128.to_le_bytes(), &9u64.to_le_bytes()].concat();
    assert_eq!(out, expected);
    let (code, reason) = verify(Hash([8; 32]));
    assert_eq!(code, ZR_REFUSED, "{}", text(&reason));
}

#[test]
fn a_challenge_is_judged_through_the_library() {
    let executor = KeyPair::from_seed(&[4; 32]);
    let leaves = [ClaimLeaf::default(), ClaimLeaf { cumulative_gas: 1, ..ClaimLeaf::default() }];
    let record = ClaimRecord {
        executor: executor.public(),
        height: 5,
        prev_state_root: Hash([1; 32]),
        new_state_root: Hash([2; 32]),
        leaves_root: zr_protocol::leaves_root(&leaves),
        vm_version: zr_protocol::gas::vm_version(),
        l1_block: Hash([3; 32]),
        included_at: 6,
        status: ClaimStatus::Pending,
    };
    let momentum = Momentum {
        version: 1,
        chain_identifier: 321,
        hash: Hash([7; 32]),
        previous_hash: Hash([8; 32]),
        height: 5,
        timestamp: 1_000,
        data: Vec::new(),
        content: Vec::new(),
        changes_hash: Hash::ZERO,
        public_key: Vec::new(),
        signature: Vec::new(),
    };
    let held = codec::encode(&(momentum, Vec::<AccountBlock>::new()));
    let params = codec::encode(&params());
    let judge = |leaf: ClaimLeaf, proof: LeafProof| {
        let dispute = Dispute::Shape(ShapeChallenge { executor: executor.public(), height: 5, leaf, proof }).to_bytes();
        let record = codec::encode(&record);
        let (code, out) = zr_ffi::from_rust::judge(&params, &record, &dispute, &held);
        assert_eq!(code, ZR_OK, "{}", text(&out));
        (out[0], out[1], Hash(out[2..34].try_into().unwrap()), text(&out[34..]))
    };
    // A leaf that is not the claim's proves nothing.
    let (kind, has_root, _, reason) =
        judge(ClaimLeaf { cumulative_gas: 7, ..leaves[0] }, LeafProof::new(&leaves, 0).unwrap());
    assert_eq!((kind, has_root), (1, 0), "{reason}");
    assert!(reason.contains("not the claim's"), "{reason}");
    // The claim's two leaves against a momentum of one step (its prelude, no transactions): the executor is wrong.
    let (kind, _, _, reason) = judge(leaves[1], LeafProof::new(&leaves, 1).unwrap());
    assert_eq!(kind, 0, "{reason}");
    assert!(reason.contains("leaves"), "{reason}");
}
