//! Claim gossip between executors over libp2p gossipsub (TCP, noise, yamux; static peers). A claim is
//! validated — canonical bytes, this chain, a good signature — and admitted ([`admission`]: allowed
//! executors, a window of heights near the head, a cap per height, a rate per peer) before it is kept and
//! forwarded.

pub mod admission;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use libp2p::gossipsub::{self, IdentTopic, MessageAcceptance, MessageAuthenticity, ValidationMode};
use libp2p::swarm::SwarmEvent;
use libp2p::{Multiaddr, PeerId};
use tokio::sync::{mpsc, oneshot};
use zr_common::rollup::Claim;
use zr_common::{Canonical, KeyPair, PublicKey};

use admission::{Admission, ClaimAdmission};

/// Heights of peer claims kept in memory.
const KEPT_HEIGHTS: usize = admission::HEIGHTS_BEHIND as usize + admission::HEIGHTS_AHEAD as usize;
/// Static peers not connected are dialled again this often.
const REDIAL: Duration = Duration::from_secs(3);

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
    let err = |e: &dyn std::fmt::Display| GossipError(e.to_string());
    let mut seed = *key.seed();
    let identity = libp2p::identity::Keypair::ed25519_from_bytes(&mut seed).map_err(|e| err(&e))?;
    let peer_id = identity.public().to_peer_id();
    let config = gossipsub::ConfigBuilder::default()
        .validation_mode(ValidationMode::Strict)
        .validate_messages()
        .mesh_n(3)
        .mesh_n_low(1)
        .mesh_n_high(6)
        .mesh_outbound_min(0)
        .heartbeat_interval(Duration::from_millis(500))
        .max_transmit_size(4096)
        .build()
        .map_err(|e| err(&e))?;
    let mut swarm = libp2p::SwarmBuilder::with_existing_identity(identity)
        .with_tokio()
        .with_tcp(libp2p::tcp::Config::default(), libp2p::noise::Config::new, libp2p::yamux::Config::default)
        .map_err(|e| err(&e))?
        .with_behaviour(|key| {
            gossipsub::Behaviour::<gossipsub::IdentityTransform, gossipsub::AllowAllSubscriptionFilter>::new(
                MessageAuthenticity::Signed(key.clone()),
                config,
            )
            .map_err(|e| Box::<dyn std::error::Error + Send + Sync>::from(e.to_string()))
        })
        .map_err(|e| err(&e))?
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(120)))
        .build();
    let topic = IdentTopic::new(format!("zrollup/claims/{chain_id}"));
    swarm.behaviour_mut().subscribe(&topic).map_err(|e| err(&e))?;
    let listen: Multiaddr = listen.parse().map_err(|e| GossipError(format!("listen address {listen:?}: {e}")))?;
    swarm.listen_on(listen).map_err(|e| err(&e))?;
    let peers: Vec<Multiaddr> = peers
        .iter()
        .map(|p| p.parse().map_err(|e| GossipError(format!("peer address {p:?}: {e}"))))
        .collect::<Result<_, _>>()?;

    // The first listen address is known once the socket is bound.
    let (bound_tx, bound_rx) = oneshot::channel();
    let (publish, mut to_publish) = mpsc::channel::<Claim>(64);
    let peer_claims = PeerClaims::default();
    let received = peer_claims.clone();
    let mut admission = ClaimAdmission::new(policy.allowed_executors);
    let head = policy.head;
    tokio::spawn(async move {
        let mut bound = Some(bound_tx);
        let mut connected: BTreeSet<Multiaddr> = BTreeSet::new();
        let mut redial = tokio::time::interval(REDIAL);
        loop {
            tokio::select! {
                _ = redial.tick() => {
                    for peer in peers.iter().filter(|p| !connected.contains(*p)) {
                        let _ = swarm.dial(peer.clone());
                    }
                }
                claim = to_publish.recv() => {
                    let Some(claim) = claim else { return };
                    if let Err(e) = swarm.behaviour_mut().publish(topic.clone(), claim.to_bytes()) {
                        tracing::debug!(target: "zr::gossip", error = %e, "claim not gossiped");
                    }
                }
                event = swarm.select_next_some() => match event {
                    SwarmEvent::NewListenAddr { address, .. } => {
                        if let Some(tx) = bound.take() {
                            let _ = tx.send(address);
                        }
                    }
                    SwarmEvent::ConnectionEstablished { endpoint, .. } => {
                        connected.insert(endpoint.get_remote_address().clone());
                    }
                    SwarmEvent::ConnectionClosed { endpoint, .. } => {
                        connected.remove(endpoint.get_remote_address());
                    }
                    SwarmEvent::Behaviour(gossipsub::Event::Message { propagation_source, message_id, message }) => {
                        let verdict = if !admission.rate(propagation_source, std::time::Instant::now()) {
                            tracing::debug!(target: "zr::gossip", peer = %propagation_source, "peer over its rate; claim ignored");
                            MessageAcceptance::Ignore
                        } else {
                            match validate_claim(chain_id, &message.data) {
                                Some(claim) => {
                                    let held = received.at(claim.body.height);
                                    match admission.admit(&claim, head.load(Ordering::Relaxed), &held) {
                                        Admission::Accept => {
                                            received.insert(claim);
                                            MessageAcceptance::Accept
                                        }
                                        Admission::Ignore(why) => {
                                            tracing::debug!(target: "zr::gossip", peer = %propagation_source, why, "claim ignored");
                                            MessageAcceptance::Ignore
                                        }
                                        Admission::Reject(why) => {
                                            tracing::debug!(target: "zr::gossip", peer = %propagation_source, why, "claim rejected");
                                            MessageAcceptance::Reject
                                        }
                                    }
                                }
                                None => {
                                    tracing::debug!(target: "zr::gossip", peer = %propagation_source, "invalid claim rejected");
                                    MessageAcceptance::Reject
                                }
                            }
                        };
                        swarm.behaviour_mut().report_message_validation_result(&message_id, &propagation_source, verdict);
                    }
                    _ => {}
                }
            }
        }
    });
    let address = tokio::time::timeout(Duration::from_secs(10), bound_rx)
        .await
        .map_err(|_| GossipError("no listen address within 10 s".into()))?
        .map_err(|_| GossipError("gossip task ended".into()))?;
    Ok(Gossip { publish, peer_claims, peer_id, listening: vec![address] })
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
