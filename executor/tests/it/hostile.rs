//! Hostile contracts fail deterministically (or are rejected at deploy), and leave the state as it was but
//! for the sender's nonce and the fee.

use zr_common::rollup::{ReceiptStatus, TxKind};
use zr_common::{Address, Hash, KeyPair, sha3_256};
use zr_protocol::StateKey;

use crate::harness::*;

fn wasm(text: &str) -> Vec<u8> {
    wat::parse_str(text).unwrap()
}

/// Runs `method` and checks that only the sender's and the poster's accounts changed.
fn run_failing(h: &mut Harness, sender: &KeyPair, contract: Address, method: &str) -> String {
    let before = h.tree.entries();
    let receipt = h.call(sender, contract, method, vec![]);
    let reason = failed_reason(&receipt).to_owned();
    assert!(receipt.gas_used > 0);
    assert!(receipt.events.is_empty());
    let after = h.tree.entries();
    let allowed =
        [StateKey::Account { address: sender.address() }.hash(), StateKey::Account { address: h.poster }.hash()];
    let changed: Vec<Hash> = after
        .iter()
        .filter(|(k, v)| before.iter().find(|(bk, _)| bk == k).map(|(_, bv)| bv) != Some(v))
        .map(|(k, _)| *k)
        .chain(before.iter().filter(|(k, _)| !after.iter().any(|(ak, _)| ak == k)).map(|(k, _)| *k))
        .collect();
    assert!(changed.iter().all(|k| allowed.contains(k)), "{method}: more than nonce and fee changed");
    reason
}

/// Uploads code whose completion must be rejected; returns the reason.
fn rejected_upload(h: &mut Harness, sender: &KeyPair, code: &[u8]) -> String {
    let chunks: Vec<&[u8]> = code.chunks(zr_common::rollup::limits::MAX_CODE_CHUNK_LEN).collect();
    let count = chunks.len() as u32;
    let mut receipt = None;
    for (index, chunk) in chunks.into_iter().enumerate() {
        let kind = TxKind::UploadChunk { code_hash: sha3_256(code), index: index as u32, count, bytes: chunk.to_vec() };
        receipt = Some(h.exec(sender, kind));
    }
    let receipt = receipt.unwrap();
    let reason = failed_reason(&receipt).to_owned();
    // Nothing of the rejected upload stays.
    assert!(!h.tree.contains(&StateKey::Code { code_hash: sha3_256(code) }.hash()).unwrap());
    let upload = StateKey::Upload { uploader: sender.address(), code_hash: sha3_256(code) };
    assert!(!h.tree.contains(&upload.hash()).unwrap());
    reason
}

const PROLOGUE: &str = r#"
  (import "env" "abort" (func $abort (param i32 i32)))
  (import "env" "storage_write" (func $write (param i32 i32 i32 i32)))
  (import "env" "call" (func $call (param i32 i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "grow failed")
"#;

/// A module of [`PROLOGUE`] and `functions`.
fn with_prologue(functions: &str) -> Vec<u8> {
    wasm(&format!("(module {PROLOGUE} {functions})"))
}

#[test]
fn runaway_contracts_fail_deterministically() {
    let mut h = Harness::new();
    let user = key(1);
    let code = with_prologue(
        r#"
          (func (export "spin") (loop br 0))
          (func $deep (export "deep") (call $deep))
          (func (export "grow_too_much")
            (if (i32.eq (memory.grow (i32.const 100)) (i32.const -1)) (then (call $abort (i32.const 0) (i32.const 11)))))
          (func (export "grow_a_little")
            (if (i32.eq (memory.grow (i32.const 10)) (i32.const -1)) (then (call $abort (i32.const 0) (i32.const 11)))))
          (func (export "bad_pointer") (call $write (i32.const 0xFFFFFFF0) (i32.const 100) (i32.const 0) (i32.const 1)))
          (func (export "trap") (unreachable))
          (func (export "divide") (drop (i32.div_u (i32.const 1) (i32.const 0))))
          (func $leave_by_branch (br 0))
          (func (export "many_calls") (local $i i32)
            (loop $l
              (call $leave_by_branch)
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $l (i32.lt_u (local.get $i) (i32.const 1000)))))"#,
    );
    let contract = h.deploy(&user, &code, vec![], 0);

    let spin = h.call(&user, contract, "spin", vec![]);
    assert_eq!(failed_reason(&spin), "out of gas");
    assert_eq!(spin.gas_used, GAS);
    assert_eq!(run_failing(&mut h, &user, contract, "spin"), "out of gas");
    assert_eq!(run_failing(&mut h, &user, contract, "deep"), "call stack deeper than 128 frames");
    assert_eq!(run_failing(&mut h, &user, contract, "grow_too_much"), "aborted: grow failed");
    assert_eq!(h.call(&user, contract, "grow_a_little", vec![]).status, ReceiptStatus::Success);
    assert_eq!(run_failing(&mut h, &user, contract, "bad_pointer"), "storage key: pointer out of bounds");
    assert!(run_failing(&mut h, &user, contract, "trap").starts_with("wasm trap: "));
    assert!(run_failing(&mut h, &user, contract, "divide").contains("wasm trap"));
    // Leaving a function by a branch to its outermost label still releases its frame.
    assert_eq!(h.call(&user, contract, "many_calls", vec![]).status, ReceiptStatus::Success);
}

#[test]
fn out_of_bounds_host_pointers_trap() {
    let mut h = Harness::new();
    let user = key(1);
    let oob = r#"(func (export "oob") (call $write (i32.const 65530) (i32.const 10) (i32.const 0) (i32.const 1)))"#;
    let contract = h.deploy(&user, &with_prologue(oob), vec![], 0);
    assert_eq!(run_failing(&mut h, &user, contract, "oob"), "storage key: pointer out of bounds");
}

#[test]
fn callee_trap_inside_a_cross_contract_call_reverts_only_the_callee() {
    let mut h = Harness::new();
    let user = key(1);
    let callee = h.deploy(
        &user,
        &with_prologue(
            r#"(data (i32.const 100) "kv")
              (func (export "fail") (call $write (i32.const 100) (i32.const 1) (i32.const 101) (i32.const 1)) (unreachable))"#,
        ),
        vec![],
        0,
    );
    let caller_code = format!(
        r#"(module {PROLOGUE}
          (data (i32.const 100) "fail")
          (data (i32.const 200) "{}")
          (data (i32.const 300) "ok")
          (func (export "go")
            (if (i32.eq (call $call (i32.const 200) (i32.const 100) (i32.const 4) (i32.const 0) (i32.const 0) (i32.const 400)) (i32.const 1))
              (then (call $write (i32.const 300) (i32.const 2) (i32.const 300) (i32.const 2)))
              (else (unreachable)))))"#,
        callee.0.iter().map(|b| format!("\\{b:02x}")).collect::<String>()
    );
    let caller = h.deploy(&user, &wasm(&caller_code), vec![], 0);
    let r = h.call(&user, caller, "go", vec![]);
    assert_eq!(r.status, ReceiptStatus::Success, "{r:?}");
    assert_eq!(h.storage(&caller, b"ok"), Some(b"ok".to_vec()));
    assert_eq!(h.storage(&callee, b"k"), None);
}

#[test]
fn invalid_modules_are_rejected_at_deploy() {
    let mut h = Harness::new();
    let user = key(1);
    let float = wasm(r#"(module (memory (export "memory") 1) (func (export "f") (drop (f32.const 1.0))))"#);
    assert!(
        rejected_upload(&mut h, &user, &float).contains("floating-point"),
        "{}",
        rejected_upload(&mut h, &user, &float)
    );
    let import =
        wasm(r#"(module (import "env" "launch_missiles" (func)) (memory (export "memory") 1) (func (export "f")))"#);
    assert!(rejected_upload(&mut h, &user, &import).contains("import env.launch_missiles: not a host function"));
    let wasi = wasm(r#"(module (import "wasi" "fd_write" (func)) (memory (export "memory") 1) (func (export "f")))"#);
    assert!(rejected_upload(&mut h, &user, &wasi).contains("only module `env`"));
    let wrong_sig =
        wasm(r#"(module (import "env" "abort" (func (param i64))) (memory (export "memory") 1) (func (export "f")))"#);
    assert!(rejected_upload(&mut h, &user, &wrong_sig).contains("wrong signature"));
    let huge_data = format!(
        r#"(module (memory (export "memory") 1) (data (i32.const 0) "{}") (func (export "f")))"#,
        "x".repeat(70_000)
    );
    assert!(rejected_upload(&mut h, &user, &wasm(&huge_data)).contains("data segment"));
    // Validated code must instantiate: segments that would not fit are refused at upload, not at a call
    // (where a failed instantiation is a node fault).
    let far_elements = wasm(
        r#"(module (memory (export "memory") 1) (table 2 funcref) (elem (i32.const 1) $f $f) (func $f (export "f")))"#,
    );
    assert!(rejected_upload(&mut h, &user, &far_elements).contains("element segment ends at 3"));
    let fitting = wasm(
        r#"(module (memory (export "memory") 1) (table 2 funcref) (elem (i32.const 0) $f $f) (func $f (export "f")))"#,
    );
    h.deploy(&user, &fitting, vec![], 0);
    let big_memory = wasm(r#"(module (memory (export "memory") 65) (func (export "f")))"#);
    assert!(rejected_upload(&mut h, &user, &big_memory).contains("65 pages"));
    let no_memory = wasm(r#"(module (func (export "f")))"#);
    assert!(rejected_upload(&mut h, &user, &no_memory).contains("exactly one memory"));
    let start = wasm(r#"(module (memory (export "memory") 1) (func $s) (start $s) (func (export "f")))"#);
    assert!(rejected_upload(&mut h, &user, &start).contains("start function"));
    let params = wasm(r#"(module (memory (export "memory") 1) (func (export "f") (param i32)))"#);
    assert!(rejected_upload(&mut h, &user, &params).contains("must take and return nothing"));
    let bulk = wasm(
        r#"(module (memory (export "memory") 1) (func (export "f") (memory.fill (i32.const 0) (i32.const 0) (i32.const 0))))"#,
    );
    assert!(rejected_upload(&mut h, &user, &bulk).contains("wasm rejected"));
    // An operand-stack bomb would need megabytes of native stack: bounded at deploy.
    let pushes = "(local.get 0) ".repeat(1100) + &"(drop) ".repeat(1100);
    let bomb = wasm(&format!(r#"(module (memory (export "memory") 1) (func (export "f") (local i32) {pushes}))"#));
    assert!(rejected_upload(&mut h, &user, &bomb).contains("operand stack"));
    let host_in_table = wasm(
        r#"(module (import "env" "block_height" (func $h (result i64))) (memory (export "memory") 1)
           (table 1 funcref) (elem (i32.const 0) $h) (func (export "f")))"#,
    );
    assert!(rejected_upload(&mut h, &user, &host_in_table).contains("host"));
    let garbage = b"\0asm\x01\0\0\0garbage".to_vec();
    assert!(rejected_upload(&mut h, &user, &garbage).contains("wasm rejected"));
    // A deploy of never-uploaded code fails.
    let r = h.exec(&user, TxKind::Deploy { code_hash: sha3_256(b"nothing"), input: vec![], value: 0 });
    assert!(failed_reason(&r).contains("has not been uploaded"));
}

/// Attack (hardening #1): instantiation is charged flat, so a module whose instantiation is heavy for the host
/// (tens of thousands of element or data segments) made each cheap call cost executors far more time than its
/// gas. Every per-instance cost is bounded at upload; the worst modules that pass are measured in
/// `cargo bench --bench vm` (worst_instantiation).
#[test]
fn attack_modules_heavy_to_instantiate_are_refused_at_upload() {
    let mut h = Harness::new();
    let user = key(1);
    let elements = |segments: usize, per: usize| {
        let items = " $f".repeat(per);
        let segs: String = (0..segments).map(|i| format!("(elem (i32.const {}){items})", (i * per) % 4096)).collect();
        wasm(&format!(r#"(module (memory (export "memory") 1) (table 4096 funcref) {segs} (func $f (export "f")))"#))
    };
    let many_segments = elements(20_000, 1);
    assert!(rejected_upload(&mut h, &user, &many_segments).contains("20000 element segments, more than 64"));
    let many_items = elements(64, 65);
    assert!(rejected_upload(&mut h, &user, &many_items).contains("more than 4096 functions"));
    let data = |segments: usize, len: usize| {
        let bytes = "x".repeat(len);
        let segs: String = (0..segments).map(|i| format!("(data (i32.const {}) \"{bytes}\")", i * len)).collect();
        wasm(&format!(r#"(module (memory (export "memory") 64) {segs} (func (export "f")))"#))
    };
    assert!(rejected_upload(&mut h, &user, &data(20_000, 1)).contains("20000 data segments, more than 64"));
    assert!(rejected_upload(&mut h, &user, &data(2, 200 * 1024)).contains("more than 262144 bytes"));
    // The most each rule admits deploys and runs.
    let (most_elements, most_data) = (elements(64, 64), data(64, 4096));
    let elements_at = h.deploy(&user, &most_elements, vec![], 0);
    let data_at = h.deploy(&user, &most_data, vec![], 0);
    for contract in [elements_at, data_at] {
        let r = h.call(&user, contract, "f", vec![]);
        assert_eq!(r.status, ReceiptStatus::Success, "{r:?}");
    }
}

#[test]
fn another_account_cannot_spoil_an_upload() {
    let mut h = Harness::new();
    let (honest, attacker) = (key(1), key(2));
    let code = contract_wasm("counter");
    let code_hash = sha3_256(&code);
    let (first, second) = code.split_at(code.len() / 2);
    let r = h.exec(&honest, TxKind::UploadChunk { code_hash, index: 0, count: 2, bytes: first.to_vec() });
    assert_eq!(r.status, ReceiptStatus::Success);
    // The attacker sends junk as chunk 1 of the same code hash: it lands in the attacker's own upload.
    let junk = TxKind::UploadChunk { code_hash, index: 1, count: 2, bytes: vec![0; 10] };
    assert_eq!(h.exec(&attacker, junk).status, ReceiptStatus::Success);
    let r = h.exec(&honest, TxKind::UploadChunk { code_hash, index: 1, count: 2, bytes: second.to_vec() });
    assert_eq!(r.status, ReceiptStatus::Success, "{r:?}");
    assert!(h.tree.contains(&StateKey::Code { code_hash }.hash()).unwrap());
}

/// Events are capped in bytes per transaction, so every receipt that can be written can be read back (the
/// codec refuses receipts over 256 KiB).
#[test]
fn event_bytes_are_capped_so_receipts_stay_readable() {
    use zr_common::Canonical;
    let mut h = Harness::new();
    let user = key(1);
    // `emit(n)`: n events of 16 KiB of data each.
    let code = wasm(
        r#"(module
          (import "env" "emit_event" (func $emit (param i32 i32 i32 i32)))
          (import "env" "input_copy" (func $input_copy (param i32)))
          (memory (export "memory") 1)
          (func $emit_n (param $n i32)
            (loop $l
              (if (i32.gt_u (local.get $n) (i32.const 0))
                (then
                  (call $emit (i32.const 0) (i32.const 1) (i32.const 16) (i32.const 16384))
                  (local.set $n (i32.sub (local.get $n) (i32.const 1)))
                  (br $l)))))
          (func (export "three") (call $emit_n (i32.const 3)))
          (func (export "five") (call $emit_n (i32.const 5)))
        )"#,
    );
    let contract = h.deploy(&user, &code, vec![], 0);
    let fine = h.call(&user, contract, "three", vec![]);
    assert_eq!(fine.status, ReceiptStatus::Success, "{fine:?}");
    assert_eq!(fine.events.len(), 3);
    assert!(fine.to_bytes().len() < zr_common::rollup::limits::MAX_RECEIPT_LEN / 2);
    assert_eq!(zr_common::rollup::Receipt::from_bytes(&fine.to_bytes()).unwrap(), fine);
    assert_eq!(run_failing(&mut h, &user, contract, "five"), "events of more than 65536 bytes");
}

/// Loading a module is charged by its code's size, once per transaction, and instantiating it by its size in
/// KiB, every call: calling a large contract costs its caller what loading and instantiating it cost every
/// executor.
#[test]
fn module_loading_is_charged_by_code_size() {
    let mut h = Harness::new();
    let user = key(1);
    let module = |padding: usize| {
        wasm(&format!(
            r#"(module (memory (export "memory") 1) (data (i32.const 0) "{}") (func (export "noop")))"#,
            "x".repeat(padding)
        ))
    };
    let (small, large) = (module(10), module(40_000));
    let a = h.deploy(&user, &small, vec![], 0);
    let b = h.deploy(&user, &large, vec![], 0);
    let small_gas = h.call(&user, a, "noop", vec![]).gas_used;
    let large_gas = h.call(&user, b, "noop", vec![]).gas_used;
    let costs = &zr_protocol::gas::COSTS;
    let instantiation = |code: &[u8]| zr_protocol::gas::instantiation_gas(code.len() as u64);
    // 40 KiB (rounded up) against 1.
    assert_eq!(instantiation(&large) - instantiation(&small), costs.instantiate_per_kib * (40 - 1));
    let by_bytes = costs.load_per_byte * (large.len() - small.len()) as u64;
    assert_eq!(large_gas - small_gas, by_bytes + instantiation(&large) - instantiation(&small));
    // And by its functions: 100 more of them cost 100 × load_per_function (plus their bytes).
    let many = wasm(&format!(
        r#"(module (memory (export "memory") 1) (data (i32.const 0) "{}") (func (export "noop")) {})"#,
        "x".repeat(10),
        "(func)".repeat(100)
    ));
    let c = h.deploy(&user, &many, vec![], 0);
    let many_gas = h.call(&user, c, "noop", vec![]).gas_used;
    let by_bytes = costs.load_per_byte * (many.len() - small.len()) as u64;
    let by_size = instantiation(&many) - instantiation(&small);
    assert_eq!(many_gas - small_gas, by_bytes + by_size + 100 * costs.load_per_function);
}

/// `code` with a custom section `name` holding `data` appended.
fn with_custom_section(mut code: Vec<u8>, name: &str, data: &[u8]) -> Vec<u8> {
    fn leb(mut n: usize, out: &mut Vec<u8>) {
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            out.push(if n == 0 { byte } else { byte | 0x80 });
            if n == 0 {
                break;
            }
        }
    }
    let mut payload = Vec::new();
    leb(name.len(), &mut payload);
    payload.extend_from_slice(name.as_bytes());
    payload.extend_from_slice(data);
    code.push(0);
    leb(payload.len(), &mut code);
    code.extend_from_slice(&payload);
    code
}

#[test]
fn attack_a_malformed_abi_is_refused_at_upload_and_a_contract_without_one_still_works() {
    let mut h = Harness::new();
    let user = key(1);
    let module = wasm(r#"(module (memory (export "memory") 1) (func (export "get")))"#);
    let method = br#"{"kind":"method","name":"get","view":true,"inputs":[],"output":"()"}"#;
    let cases: [(Vec<u8>, &str); 5] = [
        // The whole reason is ours (receipts are hashed into claims): never the JSON library's wording.
        (
            with_custom_section(module.clone(), "zr_abi", b"not json"),
            "ABI: ABI line 1: not an ABI object (`kind`, `name`, and `view`, `inputs`, `output` or `fields`)",
        ),
        (with_custom_section(module.clone(), "zr_abi", &[0xc3]), "ABI: the ABI is not UTF-8"),
        (
            with_custom_section(
                module.clone(),
                "zr_abi",
                br#"{"kind":"method","name":"gone","view":false,"inputs":[],"output":"()"}"#,
            ),
            "ABI: method `gone` is not exported",
        ),
        (
            with_custom_section(with_custom_section(module.clone(), "zr_abi", method), "zr_abi", method),
            "more than one zr_abi section",
        ),
        (
            with_custom_section(module.clone(), "zr_abi", &[b' '; zr_common::abi::MAX_ABI_LEN + 1]),
            "ABI: the ABI is 32769 bytes, more than 32768",
        ),
    ];
    for (code, expected) in cases {
        let reason = rejected_upload(&mut h, &user, &code);
        assert!(reason.contains(expected), "{reason} should say {expected}");
    }
    // Other custom sections are nobody's business; a module without an ABI deploys and runs.
    let plain = with_custom_section(module.clone(), "producers", b"anything");
    let contract = h.deploy(&user, &plain, vec![], 0);
    assert_eq!(h.call(&user, contract, "get", vec![]).status, ReceiptStatus::Success);
    let described = with_custom_section(module, "zr_abi", method);
    let contract = h.deploy(&user, &described, vec![], 0);
    assert_eq!(h.call(&user, contract, "get", vec![]).status, ReceiptStatus::Success);
}
