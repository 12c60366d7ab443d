//! zrollup's gossip, shared by executors (claims) and relays (transactions): libp2p gossipsub over TCP,
//! noise and yamux, with identify and ping; static peers (redialled while not connected); message ids that
//! are the SHA3 of the content (or of its author and content, where who published it matters); a topic per purpose and
//! chain id; a per-peer rate limit; and validation before forwarding — every message is handed to its
//! consumer, whose verdict (accept and forward, ignore, reject and penalise the peer) decides, so nothing
//! unchecked is passed on.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use libp2p::gossipsub::{self, IdentTopic, MessageAcceptance, MessageAuthenticity, MessageId, ValidationMode};
use libp2p::swarm::{NetworkBehaviour, SwarmEvent};
use libp2p::{Multiaddr, PeerId, identify, ping};
use tokio::sync::{mpsc, oneshot};
use zr_common::rate::KeyedRates;

pub use libp2p::PeerId as Peer;

/// Static peers not connected are dialled again this often.
const REDIAL: Duration = Duration::from_secs(3);
/// Messages waiting for their consumer's verdict at most; beyond it new ones are ignored.
const INBOUND_QUEUE: usize = 4096;
/// Peers whose rate is tracked at most.
const TRACKED_PEERS: usize = 1024;

/// Gossip could not start.
#[derive(Debug, thiserror::Error)]
#[error("p2p: {0}")]
pub struct P2pError(pub String);

/// What a gossip node is.
#[derive(Debug, Clone)]
pub struct P2pConfig {
    /// The listen multiaddr (`/ip4/127.0.0.1/tcp/0` picks a port).
    pub listen: String,
    /// Static peers' multiaddrs.
    pub peers: Vec<String>,
    /// The topic (name it by purpose and chain id, e.g. `zrollup/transactions/1`).
    pub topic: String,
    /// The largest message.
    pub max_message_bytes: usize,
    /// Messages a second a peer may send, sustained.
    pub peer_rate: u32,
    /// Messages a peer may send at once.
    pub peer_burst: u32,
    /// What a message's id covers.
    pub ids: MessageIds,
}

/// What a message's id (the SHA3 gossipsub deduplicates by) covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageIds {
    /// The content alone: the same message from two authors is one message (claims).
    Content,
    /// The author's peer id and the content: the same content from two authors is two messages, so each
    /// node learns who else published it (relays deciding which of them bundles a transaction both took).
    AuthorAndContent,
}

impl MessageIds {
    fn of(self, message: &gossipsub::Message) -> MessageId {
        let hash = match (self, message.source) {
            (MessageIds::AuthorAndContent, Some(author)) => {
                let mut bytes = author.to_bytes();
                bytes.extend_from_slice(&message.data);
                zr_common::sha3_256(&bytes)
            }
            _ => zr_common::sha3_256(&message.data),
        };
        MessageId::from(hash.0.to_vec())
    }
}

/// A message from a peer, waiting for the consumer's verdict.
#[derive(Debug)]
pub struct Inbound {
    /// The peer it came from.
    pub from: PeerId,
    /// The peer that first published it, when known.
    pub author: Option<PeerId>,
    /// Its id (see [`MessageIds`]).
    pub id: MessageId,
    /// The content.
    pub data: Vec<u8>,
}

/// What to do with an inbound message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Valid: keep it and forward it.
    Accept,
    /// Drop it without blame (a duplicate, over a limit).
    Ignore,
    /// Invalid: drop it and penalise the peer.
    Reject,
}

/// A running gossip node.
pub struct P2p {
    /// Publishes a message to the topic.
    pub publish: mpsc::Sender<Vec<u8>>,
    /// Messages from peers; answer each on `verdicts`.
    pub inbound: mpsc::Receiver<Inbound>,
    /// The verdict on an inbound message.
    pub verdicts: mpsc::Sender<(Inbound, Verdict)>,
    /// This node's peer id (derived from its key).
    pub peer_id: PeerId,
    /// The address it listens on.
    pub listening: Multiaddr,
    /// Peers connected now.
    pub peers: Arc<AtomicUsize>,
}

#[derive(NetworkBehaviour)]
struct Behaviour {
    gossipsub: gossipsub::Behaviour,
    identify: identify::Behaviour,
    ping: ping::Behaviour,
}

/// Starts a gossip node whose identity is derived from `seed` (the daemon's ed25519 key).
pub async fn start(seed: &[u8; 32], config: P2pConfig) -> Result<P2p, P2pError> {
    let err = |e: &dyn std::fmt::Display| P2pError(e.to_string());
    let mut seed = *seed;
    let identity = libp2p::identity::Keypair::ed25519_from_bytes(&mut seed).map_err(|e| err(&e))?;
    let peer_id = identity.public().to_peer_id();
    let ids = config.ids;
    let gossip_config = gossipsub::ConfigBuilder::default()
        .validation_mode(ValidationMode::Strict)
        .validate_messages()
        .message_id_fn(move |message: &gossipsub::Message| ids.of(message))
        .mesh_n(3)
        .mesh_n_low(1)
        .mesh_n_high(6)
        .mesh_outbound_min(0)
        .heartbeat_interval(Duration::from_millis(500))
        .max_transmit_size(config.max_message_bytes)
        .build()
        .map_err(|e| err(&e))?;
    let mut swarm = libp2p::SwarmBuilder::with_existing_identity(identity)
        .with_tokio()
        .with_tcp(libp2p::tcp::Config::default(), libp2p::noise::Config::new, libp2p::yamux::Config::default)
        .map_err(|e| err(&e))?
        .with_behaviour(|key| {
            let gossipsub = gossipsub::Behaviour::new(MessageAuthenticity::Signed(key.clone()), gossip_config)
                .map_err(|e| Box::<dyn std::error::Error + Send + Sync>::from(e.to_string()))?;
            let identify = identify::Behaviour::new(identify::Config::new("/zrollup/1".into(), key.public()));
            let ping = ping::Behaviour::new(ping::Config::new());
            Ok(Behaviour { gossipsub, identify, ping })
        })
        .map_err(|e| err(&e))?
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(120)))
        .build();
    let topic = IdentTopic::new(config.topic.clone());
    swarm.behaviour_mut().gossipsub.subscribe(&topic).map_err(|e| err(&e))?;
    let listen: Multiaddr =
        config.listen.parse().map_err(|e| P2pError(format!("listen address {:?}: {e}", config.listen)))?;
    swarm.listen_on(listen).map_err(|e| err(&e))?;
    let peers: Vec<Multiaddr> = config
        .peers
        .iter()
        .map(|p| p.parse().map_err(|e| P2pError(format!("peer address {p:?}: {e}"))))
        .collect::<Result<_, _>>()?;

    let (bound_tx, bound_rx) = oneshot::channel();
    let (publish, mut to_publish) = mpsc::channel::<Vec<u8>>(1024);
    let (inbound_tx, inbound) = mpsc::channel::<Inbound>(INBOUND_QUEUE);
    let (verdicts, mut verdicts_rx) = mpsc::channel::<(Inbound, Verdict)>(INBOUND_QUEUE);
    let mut rates = KeyedRates::new(config.peer_rate, config.peer_burst, TRACKED_PEERS);
    let connected_peers = Arc::new(AtomicUsize::new(0));
    let peers_now = connected_peers.clone();
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
                message = to_publish.recv() => {
                    let Some(message) = message else { return };
                    if let Err(e) = swarm.behaviour_mut().gossipsub.publish(topic.clone(), message) {
                        tracing::debug!(target: "zr::p2p", error = %e, "message not gossiped");
                    }
                }
                verdict = verdicts_rx.recv() => {
                    let Some((message, verdict)) = verdict else { return };
                    let acceptance = match verdict {
                        Verdict::Accept => MessageAcceptance::Accept,
                        Verdict::Ignore => MessageAcceptance::Ignore,
                        Verdict::Reject => MessageAcceptance::Reject,
                    };
                    swarm.behaviour_mut().gossipsub.report_message_validation_result(&message.id, &message.from, acceptance);
                }
                event = swarm.select_next_some() => match event {
                    SwarmEvent::NewListenAddr { address, .. } => {
                        if let Some(tx) = bound.take() {
                            let _ = tx.send(address);
                        }
                    }
                    SwarmEvent::ConnectionEstablished { endpoint, .. } => {
                        connected.insert(endpoint.get_remote_address().clone());
                        peers_now.store(swarm.connected_peers().count(), Ordering::Relaxed);
                    }
                    SwarmEvent::ConnectionClosed { endpoint, .. } => {
                        connected.remove(endpoint.get_remote_address());
                        peers_now.store(swarm.connected_peers().count(), Ordering::Relaxed);
                    }
                    SwarmEvent::Behaviour(BehaviourEvent::Gossipsub(gossipsub::Event::Message {
                        propagation_source, message_id, message,
                    })) => {
                        let gossip = &mut swarm.behaviour_mut().gossipsub;
                        if !rates.allow(&propagation_source, Instant::now()) {
                            tracing::debug!(target: "zr::p2p", peer = %propagation_source, "peer over its rate; message ignored");
                            gossip.report_message_validation_result(&message_id, &propagation_source, MessageAcceptance::Ignore);
                            continue;
                        }
                        let item = Inbound { from: propagation_source, author: message.source, id: message_id.clone(), data: message.data };
                        if inbound_tx.try_send(item).is_err() {
                            gossip.report_message_validation_result(&message_id, &propagation_source, MessageAcceptance::Ignore);
                        }
                    }
                    _ => {}
                }
            }
        }
    });
    let listening = tokio::time::timeout(Duration::from_secs(10), bound_rx)
        .await
        .map_err(|_| P2pError("no listen address within 10 s".into()))?
        .map_err(|_| P2pError("gossip task ended".into()))?;
    Ok(P2p { publish, inbound, verdicts, peer_id, listening, peers: connected_peers })
}
