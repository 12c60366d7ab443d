//! A claim's leaves as an executor posted them on L1 to answer a data-availability challenge: read back from
//! the momentums between the challenge and its answer, so a challenger needs nothing from the executor itself.

use std::collections::BTreeMap;

use eyre::eyre;
use zr_common::rollup::settlement::DaStatus;
use zr_common::{Address, Hash};
use zr_protocol::ClaimLeaf;
use zr_sequencing::L1;
use zr_sequencing::bundle::{LEAVES_PART_TAG, MAX_CHALLENGE_PART_LEN, MAX_LEAVES_PARTS, Payload, decode_payload};

/// The leaves with root `leaves_root` posted on L1 for `height` in answer to a data-availability challenge;
/// `None` when no answered challenge at the height has that leaves root.
pub async fn leaves_on_l1<L: L1>(l1: &L, height: u64, leaves_root: &Hash) -> eyre::Result<Option<Vec<ClaimLeaf>>> {
    let challenges = l1.rollup_da_challenges(height, 1).await?;
    for record in challenges.iter().filter(|d| d.leaves_root == *leaves_root) {
        let DaStatus::Answered { at } = record.status else { continue };
        // The answer's parts were confirmed from the momentum the challenge opened at to the one that took the
        // last of them.
        let momentums = l1.detailed_momentums(record.opened_at, at - record.opened_at + 1).await?;
        let blocks = momentums.into_iter().flat_map(|m| m.blocks).map(|b| b.block);
        if let Some(leaves) = assemble(blocks, height, leaves_root)? {
            return Ok(Some(leaves));
        }
    }
    Ok(None)
}

/// The leaves of `height` with root `leaves_root` among the inbox sends in `blocks`, from whichever sender
/// posted all their parts.
fn assemble(
    blocks: impl Iterator<Item = zr_common::nom::AccountBlock>,
    height: u64,
    leaves_root: &Hash,
) -> eyre::Result<Option<Vec<ClaimLeaf>>> {
    let mut by_sender: BTreeMap<Address, (u32, BTreeMap<u32, Vec<u8>>)> = BTreeMap::new();
    for block in blocks.filter(|b| b.to_address == Address::INBOX && b.data.first() == Some(&LEAVES_PART_TAG)) {
        let Ok(Payload::LeavesPart(part)) = decode_payload(&block.data) else { continue };
        if part.height != height {
            continue;
        }
        let (count, parts) = by_sender.entry(block.address).or_insert((part.count, BTreeMap::new()));
        if *count == part.count {
            parts.insert(part.index, part.bytes);
        }
    }
    for (count, parts) in by_sender.into_values() {
        if parts.len() as u32 != count {
            continue;
        }
        let bytes: Vec<u8> = parts.into_values().flatten().collect();
        let limit = MAX_LEAVES_PARTS as usize * MAX_CHALLENGE_PART_LEN;
        let Ok(leaves) = zr_common::codec::decode::<Vec<ClaimLeaf>>("claim leaves", &bytes, limit) else { continue };
        if zr_protocol::leaves_root(&leaves) == *leaves_root {
            return Ok(Some(leaves));
        }
    }
    Err(eyre!("L1 says the leaves of height {height} were posted, but its momentums do not hold them whole"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(n: u8) -> ClaimLeaf {
        ClaimLeaf {
            tx_hash: Hash([n; 32]),
            post_state_root: Hash([n; 32]),
            receipt_hash: Hash::ZERO,
            cumulative_gas: u64::from(n),
            cumulative_receipt_bytes: 0,
            cumulative_state_bytes: 0,
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
        assert_eq!(assemble(blocks.into_iter(), 9, &root).unwrap(), Some(leaves.clone()));
        // Missing: an error naming the height, not a guess.
        let err = assemble(sends(2, 8, &leaves).into_iter(), 9, &root).unwrap_err();
        assert!(err.to_string().contains("height 9"), "{err}");
    }
}
