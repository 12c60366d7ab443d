//! The inbox contract through `zr_inbox_step`, `zr_inbox_check_send` and `zr_inbox_query`, as the go-zenon
//! spork calls them: state and rows kept by the caller, L1 answered when asked, and bad inputs refused with a
//! code and a reason.

use serde_json::{Value, json};
use zr_common::nom::AccountBlock;
use zr_common::rollup::ClaimBody;
use zr_common::{Address, Hash, KeyPair, TokenStandard};
use zr_ffi::*;
use zr_inbox::bundle::{BOND_TAG, UNBOND_TAG, encode_claim};

use crate::abi::{CHAIN, call, params};

const MIN_BOND: u128 = zr_common::rollup::settlement::MIN_BOND;

fn send(from: &KeyPair, height: u64, data: Vec<u8>, amount: u128) -> AccountBlock {
    let mut block = AccountBlock {
        block_type: 2,
        height,
        address: from.address(),
        to_address: Address::INBOX,
        amount,
        token_standard: TokenStandard::ZNN,
        data,
        ..AccountBlock::default()
    };
    block.hash = block.compute_hash();
    block
}

fn request(at: u64, stepped_to: u64, send: Option<&AccountBlock>, extra: Value) -> Vec<u8> {
    let mut request = json!({
        "parameters": params(),
        "at": at,
        "steppedTo": stepped_to,
        "send": send,
        "balances": [],
    });
    if let (Some(object), Value::Object(more)) = (request.as_object_mut(), extra) {
        object.extend(more);
    }
    serde_json::to_vec(&request).unwrap()
}

fn step(state: &[u8], stored: &[u8], request: &[u8]) -> (i32, Value) {
    let (code, out) = call(|out| unsafe {
        zr_inbox_step(state.as_ptr(), state.len(), stored.as_ptr(), stored.len(), request.as_ptr(), request.len(), out)
    });
    let value = serde_json::from_slice(&out).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&out).into()));
    (code, value)
}

/// A query with `rows` passed (framed) and more fields in `extra`: the code and the whole output.
fn query_with(state: &[u8], rows: &[u8], method: &str, params_json: Value, extra: Value) -> (i32, Value) {
    let mut request = json!({"parameters": params(), "method": method, "params": params_json});
    if let (Some(object), Value::Object(more)) = (request.as_object_mut(), extra) {
        object.extend(more);
    }
    let request = serde_json::to_vec(&request).unwrap();
    let (code, out) = call(|out| unsafe {
        zr_inbox_query(state.as_ptr(), state.len(), rows.as_ptr(), rows.len(), request.as_ptr(), request.len(), out)
    });
    let value = serde_json::from_slice(&out).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&out).into()));
    (code, value)
}

/// A query that reads no stored rows: the code and the answer.
fn query(state: &[u8], method: &str, params_json: Value) -> (i32, Value) {
    let (code, out) = query_with(state, &[], method, params_json, json!({}));
    match code {
        ZR_OK => (code, out["answer"].clone()),
        _ => (code, out),
    }
}

fn state_of(done: &Value) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(done["done"]["state"].as_str().unwrap()).unwrap()
}

fn claim_payload(executor: &KeyPair, height: u64, timestamp: u64) -> Vec<u8> {
    let body = ClaimBody {
        chain_id: CHAIN,
        executor: executor.public(),
        height,
        timestamp,
        prev_state_root: Hash::ZERO,
        new_state_root: Hash([1; 32]),
        leaves_root: Hash([2; 32]),
        vm_version: zr_protocol::gas::vm_version(),
    };
    encode_claim(&body.sign(executor))
}

/// A bond, then a claim: the step asks for the claimed momentum's timestamp before it records the claim, the
/// caller answers, and the claim is recorded; a query reads both back.
#[test]
fn a_step_asks_l1_what_it_needs_and_records_once_answered() {
    let executor = KeyPair::from_seed(&[4; 32]);
    let bond = send(&executor, 1, vec![BOND_TAG], MIN_BOND);
    let (code, done) = step(&[], &[], &request(5, 0, Some(&bond), json!({})));
    assert_eq!(code, ZR_OK, "{done}");
    assert_eq!(done["done"]["steppedTo"], 4, "the steps of the momentums before run first");
    let state = state_of(&done);
    let (code, answer) = query(&state, "embedded.rollup.getBond", json!([executor.address()]));
    assert_eq!((code, answer["amount"].as_str()), (ZR_OK, Some(MIN_BOND.to_string().as_str())));

    let claim = send(&executor, 2, claim_payload(&executor, 3, 1_003), 0);
    let (code, need) = step(&state, &[], &request(6, 4, Some(&claim), json!({})));
    assert_eq!((code, &need), (ZR_OK, &json!({"need": {"timestamps": [3], "momentums": [], "rows": []}})));
    let answered = request(6, 4, Some(&claim), json!({"timestamps": [{"height": 3, "timestamp": 1_003}]}));
    let (code, done) = step(&state, &[], &answered);
    assert_eq!(code, ZR_OK, "{done}");
    let state = state_of(&done);
    let (_, claims) = query(&state, "embedded.rollup.getClaims", json!([3, 1]));
    assert_eq!(claims[0]["includedAt"], 6, "{claims}");
    assert_eq!(claims[0]["status"]["kind"], "pending", "{claims}");

    // The same claim with L1 holding no momentum 3 is refused, with the reason on record.
    let none = request(6, 4, Some(&claim), json!({"timestamps": [{"height": 3, "timestamp": null}]}));
    let (_, done) = step(&state_of(&step(&[], &[], &request(5, 0, Some(&bond), json!({}))).1), &[], &none);
    let (_, refused) = query(&state_of(&done), "embedded.rollup.getRefused", json!([]));
    assert!(refused.to_string().contains("momentum"), "{refused}");
}

/// A bond unbonded is owed back once its delay passed, and paid only as far as the inbox's balance goes.
#[test]
fn payouts_are_paid_from_the_balance_the_caller_gives() {
    let executor = KeyPair::from_seed(&[4; 32]);
    let (_, done) = step(&[], &[], &request(2, 0, Some(&send(&executor, 1, vec![BOND_TAG], MIN_BOND)), json!({})));
    let (_, done) =
        step(&state_of(&done), &[], &request(3, 1, Some(&send(&executor, 2, vec![UNBOND_TAG], 0)), json!({})));
    let state = state_of(&done);
    let late = 3 + params().unbond_delay + 2;
    let (_, unpaid) = step(&state, &[], &request(late, 2, None, json!({})));
    assert_eq!(unpaid["done"]["payouts"], json!([]), "an empty inbox pays nothing");
    let (_, owed) = query(&state_of(&unpaid), "embedded.rollup.getOwed", json!([]));
    assert_eq!(owed.as_array().map(Vec::len), Some(1), "{owed}");
    let funded = json!({"balances": [{"token": TokenStandard::ZNN, "amount": MIN_BOND.to_string()}]});
    let (_, paid) = step(&state, &[], &request(late, 2, None, funded));
    let payouts = &paid["done"]["payouts"];
    assert_eq!(payouts[0]["recipient"], json!(executor.address()), "{payouts}");
    assert_eq!(payouts[0]["amount"], MIN_BOND.to_string(), "{payouts}");
}

/// Stored rows are read on demand: a read of a row not passed asks for it by key, and the answer follows what
/// the caller passes (the row, or the key among the absent).
#[test]
fn rows_are_asked_for_by_key_and_read_once_passed() {
    use base64::Engine;
    let tx = Hash([5; 32]);
    let key = [&[0u8][..], &tx.0].concat();
    let (code, need) = query_with(&[], &[], "embedded.rollup.getWithdrawal", json!([tx]), json!({}));
    let encoded = base64::engine::general_purpose::STANDARD.encode(&key);
    assert_eq!((code, &need), (ZR_OK, &json!({"need": {"timestamps": [], "momentums": [], "rows": [encoded]}})));
    let absent = json!({"absentRows": [encoded]});
    let (_, answer) = query_with(&[], &[], "embedded.rollup.getWithdrawal", json!([tx]), absent);
    assert_eq!(answer, json!({"answer": null}));
    let block = Hash([6; 32]);
    let framed = [&(key.len() as u32).to_le_bytes()[..], &key, &32u32.to_le_bytes(), &block.0].concat();
    let (_, answer) = query_with(&[], &framed, "embedded.rollup.getWithdrawal", json!([tx]), json!({}));
    assert_eq!(answer, json!({"answer": {"paid": true, "l1Block": block}}));
    // A row whose key is of no map, or a paid row of the wrong size, does not decode.
    let junk = [&2u32.to_le_bytes()[..], &[9, 9], &0u32.to_le_bytes()].concat();
    assert_eq!(query_with(&[], &junk, "embedded.rollup.getFinal", json!([]), json!({})).0, ZR_ERR_DECODE);
    let short = [&(key.len() as u32).to_le_bytes()[..], &key, &1u32.to_le_bytes(), &[1]].concat();
    assert_eq!(query_with(&[], &short, "embedded.rollup.getFinal", json!([]), json!({})).0, ZR_ERR_DECODE);
}

#[test]
fn check_send_refuses_what_the_rules_refuse_with_the_reason() {
    let executor = KeyPair::from_seed(&[4; 32]);
    let check = |block: &AccountBlock| {
        let request = request(1, 0, Some(block), json!({}));
        let (code, out) = call(|out| unsafe { zr_inbox_check_send(request.as_ptr(), request.len(), out) });
        (code, String::from_utf8(out).unwrap())
    };
    assert_eq!(check(&send(&executor, 1, vec![BOND_TAG], MIN_BOND)), (ZR_OK, String::new()));
    let (code, reason) = check(&send(&executor, 1, vec![BOND_TAG], MIN_BOND - 1));
    assert_eq!(code, ZR_REFUSED);
    assert!(reason.contains("at least"), "{reason}");
    let (code, reason) = check(&send(&executor, 1, vec![UNBOND_TAG], 1));
    assert_eq!(code, ZR_REFUSED, "{reason}");
    // The inbox holds ZNN and QSR only.
    let mut other = send(&executor, 1, Vec::new(), 5);
    other.token_standard = TokenStandard([7; 10]);
    let (code, reason) = check(&other);
    assert_eq!(code, ZR_REFUSED, "{reason}");
    assert!(reason.contains("ZNN and QSR only"), "{reason}");
}

#[test]
fn bad_inputs_give_a_code_and_a_reason() {
    let good = request(1, 0, None, json!({}));
    // Not JSON, unknown fields, bad parameters.
    for bad in [&b"{"[..], br#"{"parameters": 7}"#, br#"{"surprise": 1}"#] {
        let (code, out) = step(&[], &[], bad);
        assert_eq!(code, ZR_ERR_DECODE, "{out}");
    }
    // A state that does not decode, stored rows cut short, a row of an unknown kind.
    assert_eq!(step(b"junk", &[], &good).0, ZR_ERR_DECODE);
    assert_eq!(step(&[], &[5, 0, 0, 0, 1], &good).0, ZR_ERR_DECODE);
    assert_eq!(step(&[], &[1, 0, 0, 0, 9, 0, 0, 0, 0], &good).0, ZR_ERR_DECODE);
    // Null pointers with lengths, and lengths past the limits, are refused before anything is read.
    let (code, _) =
        call(|out| unsafe { zr_inbox_step(std::ptr::null(), 3, std::ptr::null(), 0, good.as_ptr(), good.len(), out) });
    assert_eq!(code, ZR_ERR_NULL);
    let (code, _) = call(|out| unsafe {
        zr_inbox_step(std::ptr::null(), 0, std::ptr::dangling(), MAX_STORED_LEN + 1, good.as_ptr(), good.len(), out)
    });
    assert_eq!(code, ZR_ERR_TOO_LARGE);
    let (code, _) = call(|out| unsafe { zr_inbox_check_send(std::ptr::dangling(), MAX_INPUT_LEN + 1, out) });
    assert_eq!(code, ZR_ERR_TOO_LARGE);
    assert_eq!(
        unsafe {
            zr_inbox_query(std::ptr::null(), 0, std::ptr::null(), 0, good.as_ptr(), good.len(), std::ptr::null_mut())
        },
        ZR_ERR_NULL
    );
    // A query of no such method, or with bad parameters, is refused with what is wrong.
    assert_eq!(query(&[], "embedded.rollup.getNothing", json!([])).0, ZR_REFUSED);
    assert_eq!(query(&[], "embedded.rollup.getClaims", json!([0, 1])).0, ZR_REFUSED);
    // A check with no send says so.
    let (code, _) = call(|out| unsafe { zr_inbox_check_send(good.as_ptr(), good.len(), out) });
    assert_eq!(code, ZR_ERR_DECODE);
}
