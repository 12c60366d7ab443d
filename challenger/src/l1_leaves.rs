//! A claim's leaves as an executor posted them on L1 to answer a data-availability challenge: read back from
//! the momentums between the challenge and its answer, so a challenger needs nothing from the executor itself.

use std::collections::BTreeMap;

use eyre::eyre;
use zr_common::rollup::settlement::DaStatus;
use zr_common::{Address, Hash};
use zr_protocol::ClaimLeaf;
use zr_sequencing::L1;
use zr_sequencing::bundle::{LEAVES_PART_TAG, MAX_CHALLENGE_PART_LEN, MAX_LEAVES_PARTS, Payload, decode_payload};

/// Momentums read a request: a full one (100 blocks of 16 KiB, in base64) is about 2.3 MB of JSON.
const MOMENTUMS_PER_REQUEST: u64 = 8;

/// The leaves with root `leaves_root` posted on L1 for `height` in answer to a data-availability challenge;
/// `None` when no answered challenge at the height has that leaves root.
pub async fn leaves_on_l1<L: L1>(l1: &L, height: u64, leaves_root: &Hash) -> eyre::Result<Option<Vec<ClaimLeaf>>> {
    let challenges = l1.rollup_da_challenges(height, 1).await?;
    // The settlement takes leaves parts of a height while any challenge of it is open, so an answer's first
    // parts may precede the challenge it answered: read from the first challenge of the height.
    let Some(first) = challenges.iter().map(|d| d.opened_at).min() else { return Ok(None) };
    let Some(last) = challenges
        .iter()
        .filter(|d| d.leaves_root == *leaves_root)
        .filter_map(|d| match d.status {
            DaStatus::Answered { at } => Some(at),
            _ => None,
        })
        .max()
    else {
        return Ok(None);
    };
    // A few momentums a request: go-zenon serves at most 1024 a request, and a full momentum weighs megabytes.
    let mut blocks = Vec::new();
    let mut from = first;
    while from <= last {
        let count = (last - from + 1).min(MOMENTUMS_PER_REQUEST);
        let momentums = l1.detailed_momentums(from, count).await?;
        if momentums.is_empty() {
            break;
        }
        from += momentums.len() as u64;
        blocks.extend(momentums.into_iter().flat_map(|m| m.blocks).map(|b| b.block));
    }
    match assemble(blocks.into_iter(), height, leaves_root) {
        Some(leaves) => Ok(Some(leaves)),
        None => Err(eyre!(
            "L1 says the leaves of height {height} were posted, but momentums {first} to {last} do not hold them whole"
        )),
    }
}

/// The leaves of `height` with root `leaves_root` among the inbox sends in `blocks`, put together as the
/// settlement does: by sender, a part with another count than the sender's earlier ones ignored, a later part
/// of the same index replacing the earlier, and a sender's parts taken (and forgotten) as soon as all are in.
fn assemble(
    blocks: impl Iterator<Item = zr_common::nom::AccountBlock>,
    height: u64,
    leaves_root: &Hash,
) -> Option<Vec<ClaimLeaf>> {
    let mut by_sender: BTreeMap<Address, (u32, BTreeMap<u32, Vec<u8>>)> = BTreeMap::new();
    for block in blocks.filter(|b| b.to_address == Address::INBOX && b.data.first() == Some(&LEAVES_PART_TAG)) {
        let Ok(Payload::LeavesPart(part)) = decode_payload(&block.data) else { continue };
        if part.height != height || part.count == 0 || part.count > MAX_LEAVES_PARTS || part.index >= part.count {
            continue;
        }
        let (count, parts) = by_sender.entry(block.address).or_insert((part.count, BTreeMap::new()));
        if *count != part.count {
            continue;
        }
        parts.insert(part.index, part.bytes);
        if parts.len() as u32 != *count {
            continue;
        }
        let (_, parts) = by_sender.remove(&block.address).unwrap_or_default();
        let bytes: Vec<u8> = parts.into_values().flatten().collect();
        let limit = MAX_LEAVES_PARTS as usize * MAX_CHALLENGE_PART_LEN;
        let Ok(leaves) = zr_common::codec::decode::<Vec<ClaimLeaf>>("claim leaves", &bytes, limit) else { continue };
        if zr_protocol::leaves_root(&leaves) == *leaves_root {
            return Some(leaves);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(n: u8) -> ClaimLeaf {
        ClaimLeaf {
            tx_hash: Hash([n; 32]),
            post_state_root: Hash([n; 32]),
            cumulative_gas: u64::from(n),
            ..ClaimLeaf::default()
        }
    }

    fn sends(from: u8, height: u64, leaves: &[ClaimLeaf]) -> Vec<zr_common::nom::AccountBlock> {
        zr_sequencing::bundle::encode_leaves(height, leaves)
            .into_iter()
            .map(|data| zr_common::nom::AccountBlock {
                address: Address([from; 20]),
                to_address: Address::INBOX,
                data,
                ..Default::default()
            })
            .collect()
    }

    #[test]
    fn leaves_are_put_together_from_the_sender_whose_parts_hash_to_the_root() {
        let leaves: Vec<ClaimLeaf> = (0..3).map(leaf).collect();
        let root = zr_protocol::leaves_root(&leaves);
        let decoy: Vec<ClaimLeaf> = (5..7).map(leaf).collect();
        let mut blocks = sends(1, 9, &decoy);
        blocks.extend(sends(2, 8, &leaves));
        blocks.extend(sends(3, 9, &leaves));
        assert_eq!(assemble(blocks.into_iter(), 9, &root), Some(leaves.clone()));
        assert_eq!(assemble(sends(2, 8, &leaves).into_iter(), 9, &root), None, "none of height 9");
    }

    /// A sender's whole set of garbage (one part) before its real leaves (several): the settlement takes the
    /// garbage (and refuses it) and then the real set; so must the challenger.
    #[test]
    fn leaves_are_put_together_as_the_settlement_takes_them() {
        let leaves: Vec<ClaimLeaf> = (0..400).map(|n| leaf(n as u8)).collect();
        let root = zr_protocol::leaves_root(&leaves);
        let mut garbage = sends(1, 9, &leaves[..1]);
        for block in &mut garbage {
            *block.data.last_mut().unwrap() ^= 1;
        }
        let mut blocks = garbage;
        blocks.extend(sends(1, 9, &leaves));
        assert!(blocks.len() > 2, "the real leaves come in several parts");
        assert_eq!(assemble(blocks.clone().into_iter(), 9, &root), Some(leaves.clone()));
        // A part with another count than the sender's first is ignored, as the settlement refuses it.
        let mut other_count = sends(1, 9, &leaves);
        let mut stray = other_count[0].clone();
        let Ok(Payload::LeavesPart(mut part)) = decode_payload(&stray.data) else { panic!("a leaves part") };
        part.count += 1;
        stray.data = [&[LEAVES_PART_TAG][..], &zr_common::Canonical::to_bytes(&part)].concat();
        other_count.insert(0, stray);
        assert_eq!(assemble(other_count.into_iter(), 9, &root), None, "the sender's count is the stray's");
    }
}
