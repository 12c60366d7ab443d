//! The verdict the spork's mock-chain test has the pillars reach in go-zenon (a token transfer's leaf claimed
//! wrong, `TestRollup_aWrongClaimIsJudgedByThePillars`), reached from Rust: through the library's C entry point
//! `zr_judge`, where the Go side's cgo call also ends. The inputs are that test's committed fixtures, so both
//! sides judge the same bytes. The first call compiles the token's module (as the pillars' first verdict does);
//! criterion then measures the call with the module cached.

use std::collections::BTreeMap;
use std::time::Instant;

use criterion::Criterion;
use zr_common::nom::{AccountBlock, Momentum};
use zr_common::rollup::settlement::{ClaimRecord, Parameters};
use zr_common::{Address, Hash, codec};
use zr_ffi::ZR_OK;
use zr_inbox::bundle::{Payload, decode_payload};

const FIXTURES: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../spork/go-zenon/vm/embedded/tests/rollup_verdict_fixtures_test.go");
/// The mock chain's genesis timestamp, and the rollup it settles.
const MOCK_GENESIS_TIMESTAMP: u64 = 1_000_000_000;
const ROLLUP_CHAIN: u64 = 1337;

fn fixtures() -> BTreeMap<String, Vec<u8>> {
    std::fs::read_to_string(FIXTURES)
        .expect("the spork's verdict fixtures")
        .lines()
        .filter_map(|line| {
            let (key, value) = line.trim().split_once(": ")?;
            let value = hex::decode(value.trim().trim_end_matches(',').trim_matches('"')).ok()?;
            Some((key.trim_end_matches(':').trim_matches('"').to_owned(), value))
        })
        .collect()
}

/// `zr_judge`'s inputs: parameters, the claim record, the dispute, the claimed momentum with its blocks.
fn inputs() -> [Vec<u8>; 4] {
    let fixtures = fixtures();
    let Ok(Payload::Claim(claim)) = decode_payload(&fixtures["claim"]) else { panic!("the claim fixture") };
    let Ok(Payload::ChallengePart(part)) = decode_payload(&fixtures["part0"]) else { panic!("the part fixture") };
    assert_eq!(part.count, 1, "the challenge is one part");
    let body = &claim.body;
    let record = ClaimRecord::pending(body, Hash::ZERO, body.height + 1);
    let momentum = Momentum {
        version: 1,
        chain_identifier: 100,
        hash: Hash::ZERO,
        previous_hash: Hash::ZERO,
        height: body.height,
        timestamp: MOCK_GENESIS_TIMESTAMP + 10 * (body.height - 1),
        data: Vec::new(),
        content: Vec::new(),
        changes_hash: Hash::ZERO,
        public_key: Vec::new(),
        signature: Vec::new(),
    };
    let bundle = AccountBlock {
        block_type: 2,
        address: body.executor.address(),
        to_address: Address::INBOX,
        data: fixtures["bundle"].clone(),
        ..AccountBlock::default()
    };
    [
        codec::encode(&Parameters::new(ROLLUP_CHAIN, body.vm_version)),
        codec::encode(&record),
        part.bytes,
        codec::encode(&(momentum, vec![bundle])),
    ]
}

/// One `zr_judge` call: the verdict's kind byte.
fn judge([params, record, dispute, momentum]: &[Vec<u8>; 4]) -> u8 {
    let (code, verdict) = zr_ffi::from_rust::judge(params, record, dispute, momentum);
    assert_eq!(code, ZR_OK);
    verdict[0]
}

fn main() {
    let inputs = inputs();
    let started = Instant::now();
    assert_eq!(judge(&inputs), 0, "the executor is wrong");
    println!("first verdict (compiles the token's module): {:?}", started.elapsed());
    let mut criterion = Criterion::default().configure_from_args();
    criterion.bench_function("zr_judge/token-transfer leaf, module cached", |b| b.iter(|| judge(&inputs)));
    criterion.final_summary();
}
