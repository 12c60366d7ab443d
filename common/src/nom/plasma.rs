//! go-zenon's plasma rules.

/// Plasma every account block needs.
pub const BASE_PLASMA_PER_BLOCK: u64 = 21_000;
/// Plasma per byte of `data`.
pub const PLASMA_PER_DATA_BYTE: u64 = 68;
/// Plasma one whole QSR (10^8 units) fused gives.
pub const PLASMA_PER_FUSED_QSR: u64 = 2_100;
/// One QSR in its smallest unit.
pub const QSR_UNIT: u128 = 100_000_000;
/// The most fused plasma an account can hold.
pub const MAX_FUSED_PLASMA_PER_ACCOUNT: u64 = 10_500_000;
/// The most plasma PoW may pay for one block.
pub const MAX_POW_PLASMA_PER_BLOCK: u64 = 94_500;
/// PoW difficulty per unit of plasma.
pub const POW_DIFFICULTY_PER_PLASMA: u64 = 1_500;

/// Plasma an account block with `data_len` bytes of data needs.
pub fn required_plasma(data_len: usize) -> u64 {
    BASE_PLASMA_PER_BLOCK + PLASMA_PER_DATA_BYTE * data_len as u64
}

/// Plasma `qsr` units of fused QSR give, capped per account.
pub fn fused_plasma_for(qsr: u128) -> u64 {
    let plasma = qsr / QSR_UNIT * u128::from(PLASMA_PER_FUSED_QSR);
    plasma.min(u128::from(MAX_FUSED_PLASMA_PER_ACCOUNT)) as u64
}

/// PoW difficulty that pays `plasma`.
pub fn difficulty_for_plasma(plasma: u64) -> u64 {
    plasma.saturating_mul(POW_DIFFICULTY_PER_PLASMA)
}

/// Plasma a PoW `difficulty` pays.
pub fn plasma_for_difficulty(difficulty: u64) -> u64 {
    difficulty / POW_DIFFICULTY_PER_PLASMA
}

/// Plasma a call to an embedded contract method with no response costs (go-zenon's `EmbeddedSimplePlasma`).
pub const EMBEDDED_SIMPLE_PLASMA: u64 = 52_500;

/// go-zenon's ABI method selector: the first 4 bytes of SHA3-256 of the signature, e.g. `Fuse(address)`.
pub fn method_selector(signature: &str) -> [u8; 4] {
    let hash = crate::sha3_256(signature.as_bytes());
    [hash.0[0], hash.0[1], hash.0[2], hash.0[3]]
}

/// The data of a plasma-contract `Fuse(address beneficiary)` call: selector ‖ address left-padded to 32 bytes.
pub fn fuse_call_data(beneficiary: &crate::Address) -> Vec<u8> {
    let mut data = method_selector("Fuse(address)").to_vec();
    data.extend_from_slice(&[0u8; 12]);
    data.extend_from_slice(&beneficiary.0);
    data
}

/// The beneficiary of `Fuse(address)` call data, if `data` is one.
pub fn parse_fuse_call(data: &[u8]) -> Option<crate::Address> {
    if data.len() != 36 || data[..4] != method_selector("Fuse(address)") || data[4..16] != [0u8; 12] {
        return None;
    }
    crate::Address::from_slice(&data[16..]).ok()
}
