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
