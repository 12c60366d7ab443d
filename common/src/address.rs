//! NoM addresses: 20 bytes, a type byte then 19 bytes, written as bech32 (BIP-173) with HRP `z`.

use bech32::primitives::decode::CheckedHrpstring;
use bech32::{Bech32, Hrp};

use crate::hash::{Domain, domain_hash, sha3_256};
use crate::{ParseError, PublicKey};

/// The human-readable part of NoM addresses.
pub const ADDRESS_HRP: &str = "z";

/// A 20-byte NoM address.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, bincode::Encode, bincode::Decode)]
pub struct Address(pub [u8; 20]);

/// What kind of account an address names, by its type byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressKind {
    /// 0x00: a user account derived from an ed25519 public key.
    User,
    /// 0x01: a NoM embedded contract (and the rollup inbox, which is one on real NoM).
    Embedded,
    /// 0x02: a rollup contract, derived from its deployer and the deployer's nonce.
    RollupContract,
}

impl AddressKind {
    /// The type byte.
    pub const fn byte(self) -> u8 {
        match self {
            AddressKind::User => 0x00,
            AddressKind::Embedded => 0x01,
            AddressKind::RollupContract => 0x02,
        }
    }
}

impl Address {
    /// The length in bytes.
    pub const LEN: usize = 20;

    /// The all-zero address (`z1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqsggv2f`).
    pub const ZERO: Address = Address([0; 20]);

    /// The rollup inbox, `z1qxemdeddedxr0llupxxxxxxxxxxxxxxxx4mn7u`: an embedded-contract address named in
    /// go-zenon's style. Bundles and deposits are account blocks sent here.
    pub const INBOX: Address = Address([
        0x01, 0xb3, 0xb6, 0xe5, 0xad, 0xcb, 0x4c, 0x37, 0xff, 0xfc, 0x09, 0x8c, 0x63, 0x18, 0xc6, 0x31, 0x8c, 0x63,
        0x18, 0xc6,
    ]);

    /// go-zenon's plasma embedded contract, `z1qxemdeddedxplasmaxxxxxxxxxxxxxxxxsctrp` (fusing QSR).
    pub const PLASMA: Address = Address([
        0x01, 0xb3, 0xb6, 0xe5, 0xad, 0xcb, 0x4c, 0x1f, 0xf6, 0x1b, 0xe9, 0x8c, 0x63, 0x18, 0xc6, 0x31, 0x8c, 0x63,
        0x18, 0xc6,
    ]);

    /// go-zenon's `PubKeyToAddress`: 0x00 ‖ SHA3-256(public key)[0..19].
    pub fn from_public_key(public_key: &[u8]) -> Address {
        Self::with_kind(AddressKind::User, &sha3_256(public_key).0[..19])
    }

    /// The address of the rollup contract deployed by `deployer` with transaction nonce `nonce`.
    pub fn contract(deployer: &Address, nonce: u64) -> Address {
        let mut preimage = [0u8; 28];
        preimage[..20].copy_from_slice(&deployer.0);
        preimage[20..].copy_from_slice(&nonce.to_be_bytes());
        Self::with_kind(AddressKind::RollupContract, &domain_hash(Domain::ContractAddress, &preimage).0[..19])
    }

    fn with_kind(kind: AddressKind, body: &[u8]) -> Address {
        let mut bytes = [0u8; 20];
        bytes[0] = kind.byte();
        bytes[1..].copy_from_slice(body);
        Address(bytes)
    }

    /// The kind named by the type byte, if it is one the rollup knows.
    pub fn kind(&self) -> Option<AddressKind> {
        match self.0[0] {
            0x00 => Some(AddressKind::User),
            0x01 => Some(AddressKind::Embedded),
            0x02 => Some(AddressKind::RollupContract),
            _ => None,
        }
    }

    /// The user address of a public key (same as [`PublicKey::address`]).
    pub fn of(key: &PublicKey) -> Address {
        key.address()
    }

    /// Builds an address from exactly 20 bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Address, ParseError> {
        bytes.try_into().map(Address).map_err(|_| ParseError::Length {
            what: "address",
            expected: 20,
            actual: bytes.len(),
        })
    }
}

/// Decodes a BIP-173 bech32 string with the given HRP into exactly `N` bytes, rejecting bech32m,
/// mixed case and non-canonical padding (the string must re-encode to itself).
pub(crate) fn decode_bech32<const N: usize>(
    what: &'static str,
    hrp: &'static str,
    text: &str,
) -> Result<[u8; N], ParseError> {
    let bech = |reason: String| ParseError::Bech32 { what, reason };
    let checked = CheckedHrpstring::new::<Bech32>(text).map_err(|e| bech(e.to_string()))?;
    if checked.hrp().as_str() != hrp {
        return Err(ParseError::Hrp { what, expected: hrp, actual: checked.hrp().to_string() });
    }
    let data: Vec<u8> = checked.byte_iter().collect();
    let bytes: [u8; N] =
        data.as_slice().try_into().map_err(|_| ParseError::Length { what, expected: N, actual: data.len() })?;
    if encode_bech32(hrp, &bytes) != text.to_ascii_lowercase() {
        return Err(bech("non-canonical encoding".into()));
    }
    Ok(bytes)
}

pub(crate) fn encode_bech32(hrp: &'static str, bytes: &[u8]) -> String {
    let hrp = Hrp::parse(hrp).expect("static HRPs are valid");
    bech32::encode::<Bech32>(hrp, bytes).expect("short payloads always encode")
}

/// The text forms of a bech32 newtype of `$len` bytes: `Display` and `FromStr` in bech32 with `$hrp` (the
/// parse error naming `$what`), `Debug` as `Name(text)`, and serde as that text.
macro_rules! bech32_text {
    ($ty:ident, $len:literal, $what:literal, $hrp:expr) => {
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&$crate::address::encode_bech32($hrp, &self.0))
            }
        }

        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, concat!(stringify!($ty), "({})"), self)
            }
        }

        impl std::str::FromStr for $ty {
            type Err = $crate::ParseError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $crate::address::decode_bech32::<$len>($what, $hrp, s).map($ty)
            }
        }

        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use bech32_text;

bech32_text!(Address, 20, "address", ADDRESS_HRP);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plasma_contract_text_form() {
        assert_eq!(Address::PLASMA.to_string(), "z1qxemdeddedxplasmaxxxxxxxxxxxxxxxxsctrp");
    }

    #[test]
    fn inbox_text_form() {
        assert_eq!(Address::INBOX.to_string(), "z1qxemdeddedxr0llupxxxxxxxxxxxxxxxx4mn7u");
        assert_eq!(Address::INBOX.kind(), Some(AddressKind::Embedded));
    }

    #[test]
    fn contract_addresses_differ_by_nonce_and_have_their_type() {
        let deployer = Address::from_public_key(&[1; 32]);
        let a = Address::contract(&deployer, 0);
        assert_eq!(a.kind(), Some(AddressKind::RollupContract));
        assert_ne!(a, Address::contract(&deployer, 1));
    }

    #[test]
    fn wrong_hrp_and_checksum_are_named() {
        let err = "zts1znnxxxxxxxxxxxxx9z4ulx".parse::<Address>().unwrap_err();
        assert!(matches!(err, ParseError::Hrp { .. }), "{err}");
        let err = "z1qxemdeddedxr0llupxxxxxxxxxxxxxxxx4mn7a".parse::<Address>().unwrap_err().to_string();
        assert!(err.contains("invalid bech32 address"), "{err}");
    }
}
