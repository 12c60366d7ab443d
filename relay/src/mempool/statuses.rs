//! What became of the transactions the relay no longer holds (the newest ones, bounded), and who follows
//! which transaction's status. No I/O and no decisions: the pool tells it what changed.

use std::collections::{HashMap, VecDeque};

use tokio::sync::mpsc;
use zr_common::Hash;
use zr_rpc_api::TransactionView;

/// Transactions whose status may be followed at once (a follower of a transaction no longer followed
/// is refused until some leave).
pub const MAX_WATCHED: usize = 50_000;
/// Followers of one transaction at once.
pub const MAX_WATCHERS_PER_TX: usize = 64;

/// Finished statuses and followers.
pub struct Statuses {
    kept: usize,
    finished: HashMap<Hash, TransactionView>,
    order: VecDeque<Hash>,
    watchers: HashMap<Hash, Vec<Watcher>>,
}

impl Statuses {
    /// Remembers the newest `kept` finished statuses.
    pub fn new(kept: usize) -> Statuses {
        Statuses { kept, finished: HashMap::new(), order: VecDeque::new(), watchers: HashMap::new() }
    }

    /// What became of `hash`, if it finished lately.
    pub fn finished(&self, hash: &Hash) -> Option<&TransactionView> {
        self.finished.get(hash)
    }

    /// Remembers a finished status (the oldest is forgotten past the bound), without telling anyone: for
    /// what is restored at start.
    pub fn remember(&mut self, view: TransactionView) {
        if self.finished.insert(view.hash, view.clone()).is_none() {
            self.order.push_back(view.hash);
        }
        while self.order.len() > self.kept {
            if let Some(old) = self.order.pop_front() {
                self.finished.remove(&old);
            }
        }
    }

    /// `view` is final: remembered, its followers told, and let go.
    pub fn finish(&mut self, view: TransactionView) {
        let hash = view.hash;
        self.remember(view.clone());
        self.tell(&hash, &view);
        self.watchers.remove(&hash);
    }

    /// Lets go the followers of `hash` without telling them anything more (an admission taken back).
    pub fn drop_followers(&mut self, hash: &Hash) {
        self.watchers.remove(hash);
    }

    /// Whether someone follows `hash`.
    pub fn is_watched(&self, hash: &Hash) -> bool {
        self.watchers.contains_key(hash)
    }

    /// Follows `hash`, whose status is `current` (if known): that first, then every change until a terminal
    /// one. `None` when the relay follows [`MAX_WATCHED`] transactions already, or `hash` has
    /// [`MAX_WATCHERS_PER_TX`] followers, all still there.
    pub fn watch(
        &mut self,
        hash: Hash,
        current: Option<TransactionView>,
    ) -> Option<mpsc::UnboundedReceiver<TransactionView>> {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut watcher = Watcher { tx, last: None };
        if let Some(view) = current {
            watcher.send(&view);
            if view.status.is_terminal() {
                return Some(rx);
            }
        }
        if !self.watchers.contains_key(&hash) && self.watchers.len() >= MAX_WATCHED {
            self.watchers.retain(|_, list| {
                list.retain(|w| !w.tx.is_closed());
                !list.is_empty()
            });
            if self.watchers.len() >= MAX_WATCHED {
                return None;
            }
        }
        let list = self.watchers.entry(hash).or_default();
        if list.len() >= MAX_WATCHERS_PER_TX {
            list.retain(|w| !w.tx.is_closed());
            if list.len() >= MAX_WATCHERS_PER_TX {
                return None;
            }
        }
        list.push(watcher);
        Some(rx)
    }

    /// Forgets the followers of `hash` that have gone (their stream ended): called as each one ends, so a
    /// client that subscribes and leaves holds nothing.
    pub fn unwatch(&mut self, hash: &Hash) {
        if let Some(list) = self.watchers.get_mut(hash) {
            list.retain(|w| !w.tx.is_closed());
            if list.is_empty() {
                self.watchers.remove(hash);
            }
        }
    }

    /// Transactions whose status someone follows.
    pub fn watched(&self) -> usize {
        self.watchers.len()
    }

    /// Tells the followers of `hash` its status is `view` (those it is new to); forgets those gone.
    pub fn tell(&mut self, hash: &Hash, view: &TransactionView) {
        let Some(watchers) = self.watchers.get_mut(hash) else { return };
        watchers.retain_mut(|w| w.send(view));
        if watchers.is_empty() {
            self.watchers.remove(hash);
        }
    }
}

/// One subscriber to a transaction's status; told only of changes.
struct Watcher {
    tx: mpsc::UnboundedSender<TransactionView>,
    last: Option<TransactionView>,
}

impl Watcher {
    /// Sends `view` if it differs from the last one sent; false once the subscriber is gone.
    fn send(&mut self, view: &TransactionView) -> bool {
        if self.last.as_ref() == Some(view) {
            return !self.tx.is_closed();
        }
        self.last = Some(view.clone());
        self.tx.send(view.clone()).is_ok()
    }
}
