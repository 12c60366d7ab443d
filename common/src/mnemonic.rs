//! NoM key derivation: BIP-39 mnemonic → seed → SLIP-10 ed25519 at m/44'/73404'/i'.
//!
//! This is what go-zenon's wallet does, so a user's existing NoM wallet key is their rollup key.

use hmac::{Hmac, Mac};
use sha2::Sha512;
use zeroize::Zeroizing;

use crate::{KeyPair, ParseError};

/// NoM's BIP-44 coin type.
pub const NOM_COIN_TYPE: u32 = 73404;

const HARDENED: u32 = 0x8000_0000;

/// The 64-byte BIP-39 seed of `phrase` (English word list) with an optional passphrase.
pub fn bip39_seed(phrase: &str, passphrase: &str) -> Result<Zeroizing<[u8; 64]>, ParseError> {
    let mnemonic = bip39::Mnemonic::parse_normalized(phrase)
        .map_err(|e| ParseError::Invalid { what: "mnemonic", reason: e.to_string() })?;
    Ok(Zeroizing::new(mnemonic.to_seed_normalized(passphrase)))
}

/// SLIP-10 ed25519 derivation of `seed` along a path of indices (each hardened).
pub fn slip10_ed25519(seed: &[u8], path: &[u32]) -> Zeroizing<[u8; 32]> {
    let (mut key, mut chain) = hmac_split(b"ed25519 seed", &[seed]);
    for index in path {
        let hardened = (index | HARDENED).to_be_bytes();
        (key, chain) = hmac_split(&chain[..], &[&[0u8], &key[..], &hardened]);
    }
    key
}

fn hmac_split(key: &[u8], parts: &[&[u8]]) -> (Zeroizing<[u8; 32]>, Zeroizing<[u8; 32]>) {
    let mut mac = Hmac::<Sha512>::new_from_slice(key).expect("HMAC takes any key length");
    for part in parts {
        mac.update(part);
    }
    let out = Zeroizing::new(<[u8; 64]>::from(mac.finalize().into_bytes()));
    let mut left = Zeroizing::new([0u8; 32]);
    let mut right = Zeroizing::new([0u8; 32]);
    left.copy_from_slice(&out[..32]);
    right.copy_from_slice(&out[32..]);
    (left, right)
}

/// The NoM key at account `index` (path m/44'/73404'/index') of a SLIP-10 seed.
pub fn nom_key_from_seed(seed: &[u8], index: u32) -> KeyPair {
    KeyPair::from_seed(&slip10_ed25519(seed, &[44, NOM_COIN_TYPE, index]))
}

/// The NoM key at account `index` of a BIP-39 mnemonic (no passphrase), as go-zenon's wallet derives it.
pub fn nom_key_from_mnemonic(phrase: &str, index: u32) -> Result<KeyPair, ParseError> {
    let seed = bip39_seed(phrase, "")?;
    Ok(nom_key_from_seed(&seed[..], index))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_mnemonic_is_named() {
        let err = nom_key_from_mnemonic("route become dream", 0).unwrap_err().to_string();
        assert!(err.starts_with("invalid mnemonic"), "{err}");
    }
}
