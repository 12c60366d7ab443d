//! Claim gossip between executors over `zr-p2p` (libp2p gossipsub, static peers, a rate per peer). A claim is
//! validated — canonical bytes, this chain, a good signature — and admitted ([`admission`]: allowed
//! executors, a window of heights near the head, a cap per height) before it is kept and forwarded.

pub mod admission;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use libp2p::{Multiaddr, PeerId};
use tokio::sync::mpsc;
use zr_common::rollup::Claim;
use zr_common::{Canonical, KeyPair, PublicKey};
use zr_p2p::Verdict;

use admission::{Admission, ClaimAdmission};

/// Heights of peer claims kept in memory.
const KEPT_HEIGHTS: usize = admission::HEIGHTS_BEHIND as usize + admission::HEIGHTS_AHEAD as usize;

/// Gossip could not start.
#[derive(Debug, thiserror::Error)]
#[error("p2p: {0}")]
pub struct GossipError(pub String);

/// Claims received from peers, by height.
#[derive(Debug, Default, Clone)]
pub struct PeerClaims(Arc<Mutex<BTreeMap<u64, Vec<Claim>>>>);

impl PeerClaims {
    /// The peer claims for `height`.
    pub fn at(&self, height: u64) -> Vec<Claim> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).get(&height).cloned().unwrap_or_default()
    }

    fn insert(&self, claim: Claim) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let entry = map.entry(claim.body.height).or_default();
        if !entry.iter().any(|c| c.body.executor == claim.body.executor) {
            entry.push(claim);
        }
        while map.len() > KEPT_HEIGHTS {
            map.pop_first();
        }
    }
}

/// Whether a gossiped message is a valid claim for `chain_id`.
pub fn validate_claim(chain_id: u64, data: &[u8]) -> Option<Claim> {
    let claim = Claim::from_bytes(data).ok()?;
    (claim.body.chain_id == chain_id && claim.verify_signature().is_ok()).then_some(claim)
}

/// A running gossip node.
pub struct Gossip {
    /// Publishes our claims.
    pub publish: mpsc::Sender<Claim>,
    /// Claims received from peers.
    pub peer_claims: PeerClaims,
    /// Our libp2p peer id (derived from the executor key).
    pub peer_id: PeerId,
    /// Addresses we listen on.
    pub listening: Vec<Multiaddr>,
    /// Peers connected now.
    pub peers: Arc<std::sync::atomic::AtomicUsize>,
}

/// Who gossip accepts claims from, and where this node is.
pub struct GossipPolicy {
    /// Executors whose claims are kept; any executor's if empty.
    pub allowed_executors: Vec<PublicKey>,
    /// This node's committed head, kept current by the node: claims far from it are ignored.
    pub head: Arc<AtomicU64>,
}

/// Starts gossip on `listen`, dialling `peers`, with an identity derived from the executor key.
pub async fn start(
    key: &KeyPair,
    chain_id: u64,
    listen: &str,
    peers: &[String],
    policy: GossipPolicy,
) -> Result<Gossip, GossipError> {
    let config = zr_p2p::P2pConfig {
        listen: listen.to_owned(),
        peers: peers.to_vec(),
        topic: format!("zrollup/claims/{chain_id}"),
        max_message_bytes: 4096,
        peer_rate: admission::PEER_RATE,
        peer_burst: admission::PEER_BURST,
        ids: zr_p2p::MessageIds::Content,
    };
    let mut p2p = zr_p2p::start(&key.seed(), config).await.map_err(|e| GossipError(e.to_string()))?;
    let (publish, mut to_publish) = mpsc::channel::<Claim>(64);
    let peer_claims = PeerClaims::default();
    let received = peer_claims.clone();
    let admission = ClaimAdmission::new(policy.allowed_executors);
    let head = policy.head;
    let (outbound, verdicts) = (p2p.publish.clone(), p2p.verdicts.clone());
    tokio::spawn(async move {
        while let Some(claim) = to_publish.recv().await {
            if outbound.send(claim.to_bytes()).await.is_err() {
                return;
            }
        }
    });
    tokio::spawn(async move {
        while let Some(message) = p2p.inbound.recv().await {
            let verdict = match validate_claim(chain_id, &message.data) {
                Some(claim) => {
                    let held = received.at(claim.body.height);
                    match admission.admit(&claim, head.load(Ordering::Relaxed), &held) {
                        Admission::Accept => {
                            received.insert(claim);
                            Verdict::Accept
                        }
                        Admission::Ignore(why) => {
                            tracing::debug!(target: "zr::gossip", peer = %message.from, why, "claim ignored");
                            Verdict::Ignore
                        }
                        Admission::Reject(why) => {
                            tracing::debug!(target: "zr::gossip", peer = %message.from, why, "claim rejected");
                            Verdict::Reject
                        }
                    }
                }
                None => {
                    tracing::debug!(target: "zr::gossip", peer = %message.from, "invalid claim rejected");
                    Verdict::Reject
                }
            };
            if verdicts.send((message, verdict)).await.is_err() {
                return;
            }
        }
    });
    Ok(Gossip { publish, peer_claims, peer_id: p2p.peer_id, listening: vec![p2p.listening], peers: p2p.peers })
}

#[cfg(test)]
mod tests {
    use super::*;
    use zr_common::Hash;
    use zr_common::rollup::ClaimBody;

    #[test]
    fn only_signed_claims_of_this_chain_pass() {
        let key = KeyPair::from_seed(&[1; 32]);
        let body = ClaimBody {
            chain_id: 3,
            executor: key.public(),
            height: 1,
            timestamp: 0,
            prev_state_root: Hash::ZERO,
            new_state_root: Hash::ZERO,
            leaves_root: Hash::ZERO,
            vm_version: Hash::ZERO,
        };
        let claim = body.clone().sign(&key);
        assert_eq!(validate_claim(3, &claim.to_bytes()), Some(claim.clone()));
        assert_eq!(validate_claim(4, &claim.to_bytes()), None);
        let mut forged = claim.clone();
        forged.body.height = 2;
        assert_eq!(validate_claim(3, &forged.to_bytes()), None);
        assert_eq!(validate_claim(3, b"junk"), None);
    }
}
