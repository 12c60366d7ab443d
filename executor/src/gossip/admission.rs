//! Which gossiped claims a node accepts and forwards: only from allowed executors (when a list is
//! configured), only for heights near its own head, and a bounded number per height (the rate per peer is
//! `zr-p2p`'s). Everything here is bounded in memory whatever peers send.

use zr_common::PublicKey;
use zr_common::rollup::Claim;

/// Heights ahead of this node's head a claim may be for (an executor ahead of us by more is not believed).
pub const HEIGHTS_AHEAD: u64 = 64;
/// Heights behind this node's head a claim may be for.
pub const HEIGHTS_BEHIND: u64 = 1024;
/// Distinct executors' claims kept per height.
pub const CLAIMS_PER_HEIGHT: usize = 16;
/// Messages a peer may send per second, sustained.
pub const PEER_RATE: u32 = 20;
/// Messages a peer may send in a burst.
pub const PEER_BURST: u32 = 40;
/// What to do with a gossiped message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Keep it and forward it.
    Accept,
    /// Drop it without blame (over a limit, out of the window, already held).
    Ignore(&'static str),
    /// Drop it and penalise the peer (not a claim from an allowed executor).
    Reject(&'static str),
}

/// The admission policy.
pub struct ClaimAdmission {
    allowed: Vec<PublicKey>,
}

impl ClaimAdmission {
    /// A policy accepting claims of `allowed` executors only, or of any executor if `allowed` is empty.
    pub fn new(allowed: Vec<PublicKey>) -> ClaimAdmission {
        ClaimAdmission { allowed }
    }

    /// Whether to keep a valid, signed `claim`, given this node's `head` and the claims held for its height.
    pub fn admit(&self, claim: &Claim, head: u64, held: &[Claim]) -> Admission {
        if !self.allowed.is_empty() && !self.allowed.contains(&claim.body.executor) {
            return Admission::Reject("executor not allowed");
        }
        let height = claim.body.height;
        if height > head.saturating_add(HEIGHTS_AHEAD) || height.saturating_add(HEIGHTS_BEHIND) < head {
            return Admission::Ignore("height outside the window");
        }
        if held.iter().any(|c| c.body.executor == claim.body.executor) {
            return Admission::Ignore("already held");
        }
        if held.len() >= CLAIMS_PER_HEIGHT {
            return Admission::Ignore("height full");
        }
        Admission::Accept
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zr_common::rollup::ClaimBody;
    use zr_common::{Hash, KeyPair};

    fn claim(seed: u8, height: u64) -> Claim {
        let key = KeyPair::from_seed(&[seed; 32]);
        ClaimBody {
            chain_id: 1,
            executor: key.public(),
            height,
            timestamp: 0,
            prev_state_root: Hash::ZERO,
            new_state_root: Hash::ZERO,
            leaves_root: Hash::ZERO,
            vm_version: Hash::ZERO,
        }
        .sign(&key)
    }

    #[test]
    fn window_allow_list_and_per_height_cap() {
        let open = ClaimAdmission::new(vec![]);
        let outside = Admission::Ignore("height outside the window");
        assert_eq!(open.admit(&claim(1, 100), 100, &[]), Admission::Accept);
        assert_eq!(open.admit(&claim(1, 100 + HEIGHTS_AHEAD + 1), 100, &[]), outside);
        assert_eq!(open.admit(&claim(1, 5), 5 + HEIGHTS_BEHIND + 1, &[]), outside);
        assert_eq!(open.admit(&claim(1, 100), 100, &[claim(1, 100)]), Admission::Ignore("already held"));
        let full: Vec<Claim> = (10..10 + CLAIMS_PER_HEIGHT as u8).map(|s| claim(s, 100)).collect();
        assert_eq!(open.admit(&claim(1, 100), 100, &full), Admission::Ignore("height full"));
        let listed = ClaimAdmission::new(vec![KeyPair::from_seed(&[2; 32]).public()]);
        assert_eq!(listed.admit(&claim(2, 100), 100, &[]), Admission::Accept);
        assert_eq!(listed.admit(&claim(3, 100), 100, &[]), Admission::Reject("executor not allowed"));
    }
}
