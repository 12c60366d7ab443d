//! The same transactions give the same receipts and roots: in two processes, and with a cold or warm
//! module cache (memory or disk), and with a corrupt cache file.

use std::sync::Arc;

use zr_common::rollup::Receipt;
use zr_common::{Canonical, sha3_256};
use zr_vm::Vm;

use crate::harness::*;

/// A workload touching transfers, uploads, deploys, calls, failures and cross-contract calls.
fn workload(vm: Arc<Vm>) -> Vec<Receipt> {
    let mut h = Harness::with_vm(vm);
    let (a, b) = (key(1), key(2));
    let mut receipts = Vec::new();
    receipts.push(h.exec(&a, transfer(b.address(), 12345)));
    let token = h.deploy(&a, &contract_wasm("token"), vec![], 0);
    let counter = h.deploy(&b, &contract_wasm("counter"), vec![], 0);
    let other = h.deploy(&b, &contract_wasm("counter"), vec![], 0);
    receipts.push(h.call(&a, token, "mint", args(&[&a.address().0, &5000u128.to_le_bytes()])));
    for i in 0..20u128 {
        receipts.push(h.call(&a, token, "transfer", args(&[&b.address().0, &i.to_le_bytes()])));
    }
    receipts.push(h.call(&b, token, "transfer", args(&[&a.address().0, &1_000_000u128.to_le_bytes()])));
    receipts.push(h.call(&b, counter, "add_to", other.0.to_vec()));
    receipts.push(h.exec_with(&b, transfer(a.address(), 1), 10, 1));
    receipts
}

fn digest(receipts: &[Receipt]) -> String {
    let bytes: Vec<u8> = receipts.iter().flat_map(|r| r.to_bytes()).collect();
    sha3_256(&bytes).to_hex()
}

#[test]
#[ignore = "run in a child process by same_results_in_separate_processes"]
fn determinism_worker() {
    println!("RESULT {}", digest(&workload(Vm::new(None, 16).unwrap())));
}

fn run_worker() -> String {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "determinism::determinism_worker", "--ignored", "--nocapture", "--test-threads", "1"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .split("RESULT ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("worker said: {stdout}"))
        .to_owned()
}

/// The digest of the workload's receipts (roots, gas, events, failures), pinned: any change to execution —
/// the cost table, the VM, the state tree, the transition — fails here, and must be made on purpose (with a
/// new VM version where it changes what claims say).
const GOLDEN: &str = "e8b04bc7065aca68d48a9915d430fba9540abad81323d08c2374ffd26208ddf0";

#[test]
fn same_results_in_separate_processes() {
    let first = run_worker();
    let second = run_worker();
    assert_eq!(first, second);
    assert_eq!(first, digest(&workload(Vm::new(None, 16).unwrap())));
    assert_eq!(first, GOLDEN);
}

#[test]
fn cold_warm_and_corrupt_caches_give_identical_gas() {
    let dir = tempfile::tempdir().unwrap();
    let cold_vm = Vm::new(Some(dir.path().to_path_buf()), 16).unwrap();
    let cold = workload(cold_vm.clone());
    assert!(cold_vm.cache_stats().compiled >= 2);
    // Warm in memory: the same VM again.
    let warm = workload(cold_vm.clone());
    assert!(cold_vm.cache_stats().memory_hits > 0);
    // Warm on disk: a new VM over the same directory.
    let disk_vm = Vm::new(Some(dir.path().to_path_buf()), 16).unwrap();
    let disk = workload(disk_vm.clone());
    assert_eq!(disk_vm.cache_stats().compiled, 0);
    assert!(disk_vm.cache_stats().disk_hits >= 2);
    // Corrupt every cache file: detected, recompiled, same results.
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let mut bytes = std::fs::read(&path).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0xff;
        std::fs::write(&path, bytes).unwrap();
    }
    let corrupt_vm = Vm::new(Some(dir.path().to_path_buf()), 16).unwrap();
    let corrupt = workload(corrupt_vm.clone());
    assert!(corrupt_vm.cache_stats().corrupt >= 2);
    assert_eq!(corrupt_vm.cache_stats().disk_hits, 0);
    for other in [&warm, &disk, &corrupt] {
        assert_eq!(digest(&cold), digest(other));
    }
}
