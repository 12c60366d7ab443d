//! SHA3-256 (FIPS-202, as go-zenon; not Keccak-256) and domain-separated hashing for rollup objects.

use sha3::{Digest, Sha3_256};

crate::bytes::hex_bytes_newtype!(
    /// A 32-byte SHA3-256 digest.
    Hash,
    32,
    "hash"
);

impl Hash {
    /// The all-zero hash, NoM's "no previous block".
    pub const ZERO: Hash = Hash([0; 32]);
}

impl Default for Hash {
    fn default() -> Self {
        Hash::ZERO
    }
}

/// SHA3-256 of `data`.
pub fn sha3_256(data: &[u8]) -> Hash {
    Hash(Sha3_256::digest(data).into())
}

/// SHA3-256 over the concatenation of `parts`, without copying them together.
pub fn sha3_256_concat<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> Hash {
    let mut hasher = Sha3_256::new();
    for part in parts {
        hasher.update(part);
    }
    Hash(hasher.finalize().into())
}

/// Domain tags keep a hash of one kind of rollup object from ever equalling a hash of another kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Domain {
    /// A transaction's signing hash.
    Transaction,
    /// A bundle's signing hash.
    Bundle,
    /// A receipt's hash (a leaf of a claim).
    Receipt,
    /// A claim's signing hash.
    Claim,
    /// A leaf of the claim's per-transaction commitment.
    ClaimLeaf,
    /// A contract address derivation.
    ContractAddress,
    /// What a momentum's prelude is made of (leaf 0 says it as its transaction hash).
    Prelude,
}

impl Domain {
    /// The tag bytes hashed in front of the object's canonical encoding.
    pub fn tag(self) -> &'static [u8] {
        match self {
            Domain::Transaction => b"zrollup/tx/v1",
            Domain::Bundle => b"zrollup/bundle/v1",
            Domain::Receipt => b"zrollup/receipt/v2",
            Domain::Claim => b"zrollup/claim/v1",
            Domain::ClaimLeaf => b"zrollup/claim-leaf/v2",
            Domain::ContractAddress => b"zrollup/contract-address/v1",
            Domain::Prelude => b"zrollup/prelude/v1",
        }
    }
}

/// SHA3-256(len(tag) as u8 ‖ tag ‖ bytes): the length byte stops a tag from being a prefix of another.
pub fn domain_hash(domain: Domain, bytes: &[u8]) -> Hash {
    let tag = domain.tag();
    let len = [u8::try_from(tag.len()).expect("domain tags are short")];
    sha3_256_concat([&len[..], tag, bytes])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_input_matches_go_zenon() {
        assert_eq!(sha3_256(&[]).to_hex(), "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a");
    }

    #[test]
    fn concat_equals_hash_of_joined_bytes() {
        assert_eq!(sha3_256_concat([&b"ab"[..], b"c"]), sha3_256(b"abc"));
    }

    #[test]
    fn domains_separate_equal_bytes() {
        assert_ne!(domain_hash(Domain::Transaction, b"x"), domain_hash(Domain::Bundle, b"x"));
        assert_eq!(domain_hash(Domain::Transaction, b"").to_hex(), sha3_256(b"\x0dzrollup/tx/v1").to_hex());
    }

    #[test]
    fn parse_errors_name_the_problem() {
        let err = "zz".parse::<Hash>().unwrap_err().to_string();
        assert!(err.contains("invalid hex in hash"), "{err}");
        let err = "00".parse::<Hash>().unwrap_err().to_string();
        assert_eq!(err, "hash must be 32 bytes, got 1");
    }
}
