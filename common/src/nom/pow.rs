//! go-zenon's account-block PoW: the one little-endian corner of NoM.

use crate::hash::sha3_256_concat;
use crate::{Address, Hash};

/// The PoW input: SHA3-256(address ‖ previous hash).
pub fn data_hash(address: &Address, previous_hash: &Hash) -> Hash {
    sha3_256_concat([&address.0[..], &previous_hash.0[..]])
}

/// 2^64 − ⌊2^64 / difficulty⌋; a nonce passes when its value is at least this.
pub fn threshold(difficulty: u64) -> u64 {
    let quotient = (1u128 << 64) / u128::from(difficulty.max(1));
    ((1u128 << 64) - quotient).min(u128::from(u64::MAX)) as u64
}

/// The first 8 bytes of SHA3-256(nonce ‖ data hash), read as a little-endian u64.
pub fn value(nonce: &[u8; 8], data_hash: &Hash) -> u64 {
    let digest = sha3_256_concat([&nonce[..], &data_hash.0[..]]);
    u64::from_le_bytes(digest.0[..8].try_into().expect("8 bytes"))
}

/// Whether `nonce` satisfies `difficulty` (difficulty 0 needs no PoW, as in go-zenon's verifier).
pub fn check(nonce: &[u8; 8], data_hash: &Hash, difficulty: u64) -> bool {
    difficulty == 0 || value(nonce, data_hash) >= threshold(difficulty)
}

/// Finds a nonce for `difficulty`, counting up from zero as a little-endian u64.
pub fn generate(data_hash: &Hash, difficulty: u64) -> [u8; 8] {
    let target = threshold(difficulty);
    let mut counter: u64 = 0;
    loop {
        let nonce = counter.to_le_bytes();
        if difficulty == 0 || value(&nonce, data_hash) >= target {
            return nonce;
        }
        counter = counter.wrapping_add(1);
    }
}
