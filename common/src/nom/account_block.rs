//! Account blocks: go-zenon's hashing (306-byte big-endian preimage), signing and JSON shape.

use serde::{Deserialize, Serialize};

use crate::hash::{sha3_256, sha3_256_concat};
use crate::{Address, Hash, KeyPair, PublicKey, Signature, TokenStandard};

/// A (hash, height) pair, as in `momentumAcknowledged`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
pub struct HashHeight {
    /// The hash.
    pub hash: Hash,
    /// The height.
    pub height: u64,
}

/// go-zenon's block types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockType {
    /// 1: genesis receive.
    GenesisReceive = 1,
    /// 2: a user sends.
    UserSend = 2,
    /// 3: a user receives.
    UserReceive = 3,
    /// 4: an embedded contract sends.
    ContractSend = 4,
    /// 5: an embedded contract receives.
    ContractReceive = 5,
}

impl BlockType {
    /// The type for a raw value, if known.
    pub fn from_u64(value: u64) -> Option<BlockType> {
        Some(match value {
            1 => BlockType::GenesisReceive,
            2 => BlockType::UserSend,
            3 => BlockType::UserReceive,
            4 => BlockType::ContractSend,
            5 => BlockType::ContractReceive,
            _ => return None,
        })
    }
}

/// A NoM account block with znnd's JSON field names.
/// Missing JSON fields read as zero values, as go-zenon reads them. Its canonical decoding takes descendant
/// blocks one level deep only (see [`AccountBlock`]'s `Decode`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, bincode::Encode)]
#[serde(rename_all = "camelCase", default)]
pub struct AccountBlock {
    /// Always 1.
    pub version: u64,
    /// The chain identifier (1 on mainnet).
    pub chain_identifier: u64,
    /// A [`BlockType`] value.
    pub block_type: u64,
    /// The block hash (see [`AccountBlock::compute_hash`]).
    pub hash: Hash,
    /// The previous block of this account chain, zero for the first.
    pub previous_hash: Hash,
    /// Position in the account chain, from 1.
    pub height: u64,
    /// The frontier momentum the block builds on.
    pub momentum_acknowledged: HashHeight,
    /// The account.
    pub address: Address,
    /// The receiver of a send (zero for receives).
    pub to_address: Address,
    /// The amount sent, in the token's smallest unit.
    #[serde(with = "crate::json::decimal_amount")]
    pub amount: u128,
    /// The token sent.
    pub token_standard: TokenStandard,
    /// For receives, the send being received.
    pub from_block_hash: Hash,
    /// Blocks an embedded contract emits; empty for users.
    pub descendant_blocks: Vec<AccountBlock>,
    /// Arbitrary data, at most 16 KiB.
    #[serde(with = "crate::json::base64_bytes")]
    pub data: Vec<u8>,
    /// Plasma paid from fused QSR.
    pub fused_plasma: u64,
    /// PoW difficulty paid (0 for none).
    pub difficulty: u64,
    /// PoW nonce.
    #[serde(with = "crate::json::hex_nonce")]
    pub nonce: [u8; 8],
    /// Plasma the block needs (set by the node).
    pub base_plasma: u64,
    /// Plasma the block used (set by the node).
    pub used_plasma: u64,
    /// State changes hash (set by the node; not hashed).
    pub changes_hash: Hash,
    /// The signer's ed25519 public key.
    #[serde(with = "crate::json::base64_bytes")]
    pub public_key: Vec<u8>,
    /// ed25519 signature over the hash.
    #[serde(with = "crate::json::base64_bytes")]
    pub signature: Vec<u8>,
}

/// Decoded field by field as the derived decoder would, except that a descendant block may not have descendants
/// of its own (an embedded contract's sends never do): hostile bytes nesting blocks inside blocks would
/// otherwise recurse until the stack overflows, which no error or panic handler can catch.
impl<Context> bincode::Decode<Context> for AccountBlock {
    fn decode<D: bincode::de::Decoder<Context = Context>>(
        decoder: &mut D,
    ) -> Result<Self, bincode::error::DecodeError> {
        decode_block(decoder, true)
    }
}

bincode::impl_borrow_decode!(AccountBlock);

/// A descendant block: an account block without descendants.
struct Descendant(AccountBlock);

impl<Context> bincode::Decode<Context> for Descendant {
    fn decode<D: bincode::de::Decoder<Context = Context>>(
        decoder: &mut D,
    ) -> Result<Self, bincode::error::DecodeError> {
        decode_block(decoder, false).map(Descendant)
    }
}

fn decode_block<D: bincode::de::Decoder>(
    decoder: &mut D,
    top: bool,
) -> Result<AccountBlock, bincode::error::DecodeError> {
    use bincode::Decode;
    Ok(AccountBlock {
        version: Decode::decode(decoder)?,
        chain_identifier: Decode::decode(decoder)?,
        block_type: Decode::decode(decoder)?,
        hash: Decode::decode(decoder)?,
        previous_hash: Decode::decode(decoder)?,
        height: Decode::decode(decoder)?,
        momentum_acknowledged: Decode::decode(decoder)?,
        address: Decode::decode(decoder)?,
        to_address: Decode::decode(decoder)?,
        amount: Decode::decode(decoder)?,
        token_standard: Decode::decode(decoder)?,
        from_block_hash: Decode::decode(decoder)?,
        descendant_blocks: match top {
            true => Vec::<Descendant>::decode(decoder)?.into_iter().map(|d| d.0).collect(),
            false => match u64::decode(decoder)? {
                0 => Vec::new(),
                _ => {
                    return Err(bincode::error::DecodeError::Other("a descendant block has descendant blocks"));
                }
            },
        },
        data: Decode::decode(decoder)?,
        fused_plasma: Decode::decode(decoder)?,
        difficulty: Decode::decode(decoder)?,
        nonce: Decode::decode(decoder)?,
        base_plasma: Decode::decode(decoder)?,
        used_plasma: Decode::decode(decoder)?,
        changes_hash: Decode::decode(decoder)?,
        public_key: Decode::decode(decoder)?,
        signature: Decode::decode(decoder)?,
    })
}

impl AccountBlock {
    /// The block of `address` that follows `previous` (its frontier block; `None` for its first block),
    /// acknowledging `momentum`: version, chain, type, height and links set, every other field default.
    pub fn next(
        chain_identifier: u64,
        block_type: BlockType,
        address: Address,
        previous: Option<&AccountBlock>,
        momentum: HashHeight,
    ) -> AccountBlock {
        AccountBlock {
            version: super::VERSION,
            chain_identifier,
            block_type: block_type as u64,
            previous_hash: previous.map_or(Hash::ZERO, |p| p.hash),
            height: previous.map_or(1, |p| p.height + 1),
            momentum_acknowledged: momentum,
            address,
            ..AccountBlock::default()
        }
    }

    /// go-zenon's hash preimage: every field big-endian, amount left-padded to 32 bytes (306 bytes).
    pub fn hash_preimage(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(306);
        out.extend_from_slice(&self.version.to_be_bytes());
        out.extend_from_slice(&self.chain_identifier.to_be_bytes());
        out.extend_from_slice(&self.block_type.to_be_bytes());
        out.extend_from_slice(&self.previous_hash.0);
        out.extend_from_slice(&self.height.to_be_bytes());
        out.extend_from_slice(&self.momentum_acknowledged.hash.0);
        out.extend_from_slice(&self.momentum_acknowledged.height.to_be_bytes());
        out.extend_from_slice(&self.address.0);
        out.extend_from_slice(&self.to_address.0);
        out.extend_from_slice(&[0u8; 16]);
        out.extend_from_slice(&self.amount.to_be_bytes());
        out.extend_from_slice(&self.token_standard.0);
        out.extend_from_slice(&self.from_block_hash.0);
        let descendants = sha3_256_concat(self.descendant_blocks.iter().map(|b| &b.hash.0[..]));
        out.extend_from_slice(&descendants.0);
        out.extend_from_slice(&sha3_256(&self.data).0);
        out.extend_from_slice(&self.fused_plasma.to_be_bytes());
        out.extend_from_slice(&self.difficulty.to_be_bytes());
        out.extend_from_slice(&self.nonce);
        out
    }

    /// SHA3-256 of [`AccountBlock::hash_preimage`].
    pub fn compute_hash(&self) -> Hash {
        sha3_256(&self.hash_preimage())
    }

    /// Sets `hash`, `public_key` and `signature` for `key`.
    pub fn sign(&mut self, key: &KeyPair) {
        self.hash = self.compute_hash();
        (self.public_key, self.signature) = super::signature_fields(key, &self.hash);
    }

    /// The signer's public key, if it is 32 bytes.
    pub fn signer(&self) -> Option<PublicKey> {
        PublicKey::from_slice(&self.public_key).ok()
    }

    /// The signature, if it is 64 bytes.
    pub fn signature(&self) -> Option<Signature> {
        Signature::from_slice(&self.signature).ok()
    }

    /// The block type, if known.
    pub fn kind(&self) -> Option<BlockType> {
        BlockType::from_u64(self.block_type)
    }

    /// This block as a momentum content entry.
    pub fn header(&self) -> super::AccountHeader {
        super::AccountHeader { address: self.address, height: self.height, hash: self.hash }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Descendants decode one level deep, as they are; a descendant with descendants is refused, so hostile
    /// bytes cannot nest blocks until the decoder's recursion overflows the stack.
    #[test]
    fn descendants_decode_one_level_deep() {
        let send = AccountBlock { height: 2, data: vec![1, 2], ..AccountBlock::default() };
        let receive = AccountBlock { height: 3, descendant_blocks: vec![send.clone()], ..AccountBlock::default() };
        let bytes = crate::codec::encode(&receive);
        assert_eq!(crate::codec::decode::<AccountBlock>("block", &bytes, 1 << 20).unwrap(), receive);
        let nested = AccountBlock { descendant_blocks: vec![receive], ..AccountBlock::default() };
        let error = crate::codec::decode::<AccountBlock>("block", &crate::codec::encode(&nested), 1 << 20).unwrap_err();
        assert!(error.to_string().contains("descendant block has descendant blocks"), "{error}");
    }
}
