//! Bundles on L1: the `data` of an account block sent to the rollup inbox.
//!
//! Layout: one tag byte, then the payload. Tag 3: a bundle, zstd-compressed (one frame) with its decompressed
//! size as a little-endian u32 in front; tag 1: the same with an LZ4 block (what bundles were before zstd,
//! still read so older chains replay). The size is checked against a hard cap before anything is allocated
//! (no decompression bombs), and the result must be a canonical [`Bundle`]. Tag 2: an executor's claim.
//! Tag 4 alone: a bond (the send's ZNN). Tag 5: a part of a challenge ([`ChallengePart`]). Tag 6: a
//! withdrawal to pay ([`WithdrawalProof`]). Tag 7 alone: an unbond request. Tag 8: a data-availability
//! challenge ([`DaChallenge`]); tag 9: a part of the leaves that answer it ([`LeavesPart`]).
//!
//! zstd was chosen by measurement: a full bundle of token transfers from distinct senders takes 119 bytes of
//! L1 data per transfer with zstd (level 19; brotli at 11 gives 119.5), 134 with LZ4.

use zr_common::rollup::{Bundle, Claim, limits};
use zr_common::{Canonical, CodecError};

/// The tag of a zstd bundle payload (what is posted).
pub const BUNDLE_TAG: u8 = 3;
/// The tag of an LZ4 bundle payload (read, no longer posted).
pub const LZ4_BUNDLE_TAG: u8 = 1;
/// The zstd level bundles are compressed at: the ratio matters (L1 bytes), the relay's few ms do not.
const ZSTD_LEVEL: i32 = 19;
/// The tag of a claim payload.
pub const CLAIM_TAG: u8 = 2;
/// The tag of a bond payload (the tag alone; the send's ZNN is the bond).
pub const BOND_TAG: u8 = 4;
/// The tag of a challenge part: a challenge larger than one block goes up in parts, like code uploads.
pub const CHALLENGE_PART_TAG: u8 = 5;
/// Bytes of a challenge one part carries at most (what fits a 16 KiB block with the part's header).
pub const MAX_CHALLENGE_PART_LEN: usize = 16 * 1024 - 128;
/// Parts one challenge may have: 8.3 MB, room for the largest challenge that decodes (8 MiB of witness and
/// the code its leaf runs, which may be several contracts of up to 1 MiB each; the worst witness the protocol's
/// caps allow measured 746 KB).
pub const MAX_CHALLENGE_PARTS: u32 = 520;
/// Parts a claim's leaves may take in a data-availability answer: 2 MB, above the 1 966 088 bytes of the
/// largest claim's leaves (`limits::MAX_MOMENTUM_TRANSACTIONS`).
pub const MAX_LEAVES_PARTS: u32 = 128;

/// One part of a challenge's canonical bytes (`zr_fraud::Challenge`), identified by their SHA3.
#[derive(Debug, Clone, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct ChallengePart {
    /// SHA3-256 of the whole challenge's bytes.
    pub id: zr_common::Hash,
    /// This part's position, from 0.
    pub index: u32,
    /// How many parts the challenge has.
    pub count: u32,
    /// The bytes.
    pub bytes: Vec<u8>,
}

impl Canonical for ChallengePart {
    const NAME: &'static str = "challenge part";
    const MAX_ENCODED_LEN: usize = limits::MAX_L1_DATA;
}

/// The tag of an unbond request (the tag alone): the sender's bond is paid back after a delay.
pub const UNBOND_TAG: u8 = 7;
/// The tag of a data-availability challenge: the executor must post the claim's leaves to L1.
pub const DA_CHALLENGE_TAG: u8 = 8;
/// The tag of a part of a claim's leaves, posted by its executor to answer a data-availability challenge.
pub const LEAVES_PART_TAG: u8 = 9;

/// A data-availability challenge of the claim of `executor` at `height`.
#[derive(Debug, Clone, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct DaChallenge {
    /// The executor challenged.
    pub executor: zr_common::PublicKey,
    /// The claim's height.
    pub height: u64,
}

impl Canonical for DaChallenge {
    const NAME: &'static str = "data-availability challenge";
    const MAX_ENCODED_LEN: usize = limits::MAX_L1_DATA;
}

/// One part of a claim's leaves (their canonical encoding as `Vec<ClaimLeaf>`), from the claim's executor.
#[derive(Debug, Clone, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct LeavesPart {
    /// The claim's height.
    pub height: u64,
    /// This part's position, from 0.
    pub index: u32,
    /// How many parts.
    pub count: u32,
    /// The bytes.
    pub bytes: Vec<u8>,
}

impl Canonical for LeavesPart {
    const NAME: &'static str = "leaves part";
    const MAX_ENCODED_LEN: usize = limits::MAX_L1_DATA;
}

/// Splits a claim's leaves into the data of account blocks, to answer a data-availability challenge.
pub fn encode_leaves(height: u64, leaves: &[zr_protocol::ClaimLeaf]) -> Vec<Vec<u8>> {
    in_parts(&zr_common::codec::encode(&leaves.to_vec()), |index, count, bytes| {
        [&[LEAVES_PART_TAG][..], &LeavesPart { height, index, count, bytes }.to_bytes()].concat()
    })
}

/// `bytes` in parts of at most [`MAX_CHALLENGE_PART_LEN`], each made into a block's data by `part(index,
/// count, bytes)`.
fn in_parts(bytes: &[u8], part: impl Fn(u32, u32, Vec<u8>) -> Vec<u8>) -> Vec<Vec<u8>> {
    let count = bytes.len().div_ceil(MAX_CHALLENGE_PART_LEN).max(1) as u32;
    let mut chunks: Vec<&[u8]> = bytes.chunks(MAX_CHALLENGE_PART_LEN).collect();
    if chunks.is_empty() {
        chunks.push(&[]);
    }
    chunks.into_iter().enumerate().map(|(index, chunk)| part(index as u32, count, chunk.to_vec())).collect()
}

/// The tag of a withdrawal proof: the state of a final root proves a withdrawal, and the inbox pays it.
pub const WITHDRAWAL_TAG: u8 = 6;

/// Proof that a rollup withdrawal (the value at `StateKey::Withdrawal { tx_hash }`) is in the state of a
/// final root, for the inbox to pay it on L1. Anyone may post it; it is paid once.
#[derive(Debug, Clone, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct WithdrawalProof {
    /// The withdrawing transaction.
    pub tx_hash: zr_common::Hash,
    /// A height whose root is final on L1.
    pub height: u64,
    /// The withdrawal's state value (`zr_protocol::Withdrawal`, canonical).
    pub value: Vec<u8>,
    /// Its inclusion proof against that root.
    pub proof: zr_protocol::Proof,
}

impl Canonical for WithdrawalProof {
    const NAME: &'static str = "withdrawal proof";
    const MAX_ENCODED_LEN: usize = limits::MAX_L1_DATA;
}

/// Encodes a data-availability challenge for an account block's data.
pub fn encode_da_challenge(challenge: &DaChallenge) -> Vec<u8> {
    [&[DA_CHALLENGE_TAG][..], &challenge.to_bytes()].concat()
}

/// Encodes a withdrawal proof for an account block's data.
pub fn encode_withdrawal(proof: &WithdrawalProof) -> Vec<u8> {
    [&[WITHDRAWAL_TAG][..], &proof.to_bytes()].concat()
}

/// Splits a challenge's canonical bytes into parts, each the data of one account block.
pub fn encode_challenge(bytes: &[u8]) -> Vec<Vec<u8>> {
    let id = zr_common::sha3_256(bytes);
    in_parts(bytes, |index, count, bytes| {
        [&[CHALLENGE_PART_TAG][..], &ChallengePart { id, index, count, bytes }.to_bytes()].concat()
    })
}

/// An inbox payload could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    /// Empty data.
    #[error("empty payload")]
    Empty,
    /// An unknown tag byte.
    #[error("unknown payload tag {0}")]
    UnknownTag(u8),
    /// Larger than an account block may carry.
    #[error("payload of {0} bytes exceeds the 16 KiB of an account block")]
    TooLarge(usize),
    /// The declared decompressed size is over the cap.
    #[error("bundle declares {0} bytes decompressed, more than the cap of {max}", max = limits::MAX_BUNDLE_LEN)]
    Bomb(usize),
    /// The compressed bytes are corrupt.
    #[error("bundle does not decompress: {0}")]
    Compression(String),
    /// The canonical bytes are invalid.
    #[error("{0}")]
    Codec(#[from] CodecError),
}

/// A decoded inbox payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// A bundle of transactions.
    Bundle(Bundle),
    /// An executor's claim.
    Claim(Claim),
    /// A bond: the send's ZNN is locked for its sender (executor or challenger).
    Bond,
    /// A part of a challenge.
    ChallengePart(ChallengePart),
    /// A withdrawal to pay.
    Withdrawal(WithdrawalProof),
    /// An unbond request.
    Unbond,
    /// A data-availability challenge.
    DaChallenge(DaChallenge),
    /// A part of a claim's leaves.
    LeavesPart(LeavesPart),
}

/// Encodes a bundle for an account block's data; fails if it does not fit 16 KiB.
pub fn encode_bundle(bundle: &Bundle) -> Result<Vec<u8>, PayloadError> {
    let raw = bundle.to_bytes();
    if raw.len() > limits::MAX_BUNDLE_LEN {
        return Err(PayloadError::Bomb(raw.len()));
    }
    let mut data = vec![BUNDLE_TAG];
    data.extend_from_slice(&(raw.len() as u32).to_le_bytes());
    let compressed = zstd::bulk::compress(&raw, ZSTD_LEVEL).map_err(|e| PayloadError::Compression(e.to_string()))?;
    data.extend_from_slice(&compressed);
    if data.len() > limits::MAX_L1_DATA {
        return Err(PayloadError::TooLarge(data.len()));
    }
    Ok(data)
}

/// Encodes a claim for an account block's data.
pub fn encode_claim(claim: &Claim) -> Vec<u8> {
    let mut data = vec![CLAIM_TAG];
    data.extend_from_slice(&claim.to_bytes());
    data
}

/// The first bytes of a zstd frame (skippable frames have others).
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// Checks that `frames` is exactly one zstd frame: no skippable frame before or after it, no second frame
/// (the decoder would take them all, and another implementation might not).
fn one_zstd_frame(frames: &[u8]) -> Result<(), PayloadError> {
    if frames.get(..4) != Some(ZSTD_MAGIC.as_slice()) {
        return Err(PayloadError::Compression("the bundle is not one zstd frame (wrong magic)".into()));
    }
    match zstd::zstd_safe::find_frame_compressed_size(frames) {
        Ok(len) if len == frames.len() => Ok(()),
        Ok(len) => Err(PayloadError::Compression(format!(
            "the bundle is not one zstd frame: {} bytes follow its first frame",
            frames.len() - len
        ))),
        Err(code) => Err(PayloadError::Compression(format!(
            "the bundle is not a zstd frame: {}",
            zstd::zstd_safe::get_error_name(code)
        ))),
    }
}

/// Decodes an inbox payload, rejecting anything malformed or oversized.
pub fn decode_payload(data: &[u8]) -> Result<Payload, PayloadError> {
    if data.len() > limits::MAX_L1_DATA {
        return Err(PayloadError::TooLarge(data.len()));
    }
    let (&tag, body) = data.split_first().ok_or(PayloadError::Empty)?;
    match tag {
        BUNDLE_TAG | LZ4_BUNDLE_TAG => {
            let size = body.get(..4).ok_or_else(|| PayloadError::Compression("missing size".into()))?;
            let size = u32::from_le_bytes(size.try_into().expect("4 bytes")) as usize;
            if size > limits::MAX_BUNDLE_LEN {
                return Err(PayloadError::Bomb(size));
            }
            let raw = if tag == BUNDLE_TAG {
                one_zstd_frame(&body[4..])?;
                // At most `size` bytes are produced: a frame that would decompress to more is an error.
                zstd::bulk::decompress(&body[4..], size)
            } else {
                lz4_flex::block::decompress(&body[4..], size).map_err(std::io::Error::other)
            }
            .map_err(|e| PayloadError::Compression(e.to_string()))?;
            if raw.len() != size {
                return Err(PayloadError::Compression(format!("{} bytes, {size} declared", raw.len())));
            }
            Ok(Payload::Bundle(Bundle::from_bytes(&raw)?))
        }
        CLAIM_TAG => Ok(Payload::Claim(Claim::from_bytes(body)?)),
        BOND_TAG if body.is_empty() => Ok(Payload::Bond),
        BOND_TAG => Err(PayloadError::Codec(CodecError::TrailingBytes { what: "bond", trailing: body.len() })),
        CHALLENGE_PART_TAG => Ok(Payload::ChallengePart(ChallengePart::from_bytes(body)?)),
        WITHDRAWAL_TAG => Ok(Payload::Withdrawal(WithdrawalProof::from_bytes(body)?)),
        UNBOND_TAG if body.is_empty() => Ok(Payload::Unbond),
        UNBOND_TAG => Err(PayloadError::Codec(CodecError::TrailingBytes { what: "unbond", trailing: body.len() })),
        DA_CHALLENGE_TAG => Ok(Payload::DaChallenge(DaChallenge::from_bytes(body)?)),
        LEAVES_PART_TAG => Ok(Payload::LeavesPart(LeavesPart::from_bytes(body)?)),
        other => Err(PayloadError::UnknownTag(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zr_common::KeyPair;
    use zr_common::rollup::{BundleBody, samples};

    #[test]
    fn round_trip_and_bomb() {
        let key = KeyPair::from_seed(&[1; 32]);
        let tx = samples::transaction(samples::transfer());
        let bundle = BundleBody { chain_id: 7, poster: key.public(), transactions: vec![tx; 20] }.sign(&key);
        let data = encode_bundle(&bundle).unwrap();
        assert_eq!(decode_payload(&data).unwrap(), Payload::Bundle(bundle.clone()));
        // LZ4 bundles of older chains still decode to the same bundle.
        let mut lz4 = vec![LZ4_BUNDLE_TAG];
        lz4.extend_from_slice(&lz4_flex::block::compress_prepend_size(&bundle.to_bytes()));
        assert_eq!(decode_payload(&lz4).unwrap(), Payload::Bundle(bundle.clone()));
        // A frame larger than its declared size is refused, whatever it holds.
        let raw = bundle.to_bytes();
        let mut short = vec![BUNDLE_TAG];
        short.extend_from_slice(&(raw.len() as u32 - 1).to_le_bytes());
        short.extend_from_slice(&zstd::bulk::compress(&raw, 3).unwrap());
        assert!(matches!(decode_payload(&short), Err(PayloadError::Compression(_))));
        // Exactly one zstd frame (hardening #9): a second frame, or a skippable frame before or after, is refused
        // though the sizes add up.
        let framed = |frames: &[&[u8]]| {
            let mut data = vec![BUNDLE_TAG];
            data.extend_from_slice(&(raw.len() as u32).to_le_bytes());
            for frame in frames {
                data.extend_from_slice(frame);
            }
            data
        };
        let (half, rest) = raw.split_at(raw.len() / 2);
        let (first, second) = (zstd::bulk::compress(half, 3).unwrap(), zstd::bulk::compress(rest, 3).unwrap());
        let whole = zstd::bulk::compress(&raw, 3).unwrap();
        let skippable: &[u8] = &[0x50, 0x2a, 0x4d, 0x18, 2, 0, 0, 0, 0xaa, 0xbb];
        assert!(decode_payload(&framed(&[&whole])).is_ok());
        for frames in [vec![&first[..], &second[..]], vec![skippable, &whole[..]], vec![&whole[..], skippable]] {
            let refused = decode_payload(&framed(&frames));
            assert!(
                matches!(&refused, Err(PayloadError::Compression(why)) if why.contains("not one zstd frame")),
                "{refused:?}"
            );
        }
        let mut bomb = vec![BUNDLE_TAG];
        bomb.extend_from_slice(&(64u32 * 1024 * 1024).to_le_bytes());
        bomb.extend_from_slice(&[0; 16]);
        assert_eq!(decode_payload(&bomb), Err(PayloadError::Bomb(64 * 1024 * 1024)));
        assert_eq!(decode_payload(&[0xee, 1, 2]), Err(PayloadError::UnknownTag(0xee)));
        assert_eq!(decode_payload(&[]), Err(PayloadError::Empty));
        assert_eq!(decode_payload(&[BOND_TAG]), Ok(Payload::Bond));
        assert!(decode_payload(&[BOND_TAG, 0]).is_err());
        // A challenge goes up in parts that each fit a block and decode back in order.
        let challenge = vec![7u8; 40_000];
        let parts = encode_challenge(&challenge);
        assert_eq!(parts.len(), 3);
        let mut joined = Vec::new();
        for (i, data) in parts.iter().enumerate() {
            assert!(data.len() <= limits::MAX_L1_DATA);
            let Payload::ChallengePart(part) = decode_payload(data).unwrap() else { panic!("a part") };
            assert_eq!((part.index, part.count, part.id), (i as u32, 3, zr_common::sha3_256(&challenge)));
            joined.extend(part.bytes);
        }
        assert_eq!(joined, challenge);
        let mut corrupt = data.clone();
        corrupt.truncate(data.len() / 2);
        assert!(decode_payload(&corrupt).is_err());
    }
}
