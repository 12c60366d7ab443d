//! The mutable state during execution: a tree version, an overlay of this transaction's writes, the events
//! and the keys touched. Writes are gathered in the overlay and applied to the tree once, when a root is
//! needed, so a key written several times is hashed into the tree once. Checkpoints copy the (small) overlay;
//! a failed call is undone by restoring one.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use zr_common::rollup::Event;
use zr_common::{Address, Hash, codec};

use super::smt::Tree;
use super::{Account, StateKey, decode_value};

/// The world a transaction executes against.
#[derive(Debug, Clone, Default)]
pub struct World {
    tree: Tree,
    overlay: BTreeMap<Hash, Option<Arc<Vec<u8>>>>,
    /// Events emitted so far.
    pub events: Vec<Event>,
    /// Every key read (for witnesses).
    pub read: BTreeSet<Hash>,
    /// Every key written (for witnesses and the commit).
    pub written: BTreeSet<Hash>,
}

/// A point to return to.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    tree: Tree,
    overlay: BTreeMap<Hash, Option<Arc<Vec<u8>>>>,
    events: usize,
}

impl World {
    /// A world over `tree`.
    pub fn new(tree: Tree) -> World {
        World { tree, ..World::default() }
    }

    fn flush(&mut self) {
        for (key, value) in std::mem::take(&mut self.overlay) {
            self.tree.set(key, value);
        }
    }

    /// Consumes the world, returning its tree with every write applied.
    pub fn into_tree(mut self) -> Tree {
        self.flush();
        self.tree
    }

    /// The state root now.
    pub fn root(&mut self) -> Hash {
        self.flush();
        self.tree.root()
    }

    /// Writes not yet applied to the tree (a checkpoint copies them).
    pub fn pending_writes(&self) -> usize {
        self.overlay.len()
    }

    /// Marks a new point to revert to.
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint { tree: self.tree.clone(), overlay: self.overlay.clone(), events: self.events.len() }
    }

    /// Undoes every write and event since `checkpoint` (reads stay recorded).
    pub fn revert(&mut self, checkpoint: Checkpoint) {
        self.tree = checkpoint.tree;
        self.overlay = checkpoint.overlay;
        self.events.truncate(checkpoint.events);
    }

    /// Reads a raw value.
    pub fn get(&mut self, key: &StateKey) -> Option<Arc<Vec<u8>>> {
        let hash = key.hash();
        self.read.insert(hash);
        match self.overlay.get(&hash) {
            Some(value) => value.clone(),
            None => self.tree.get(&hash).cloned(),
        }
    }

    /// Writes (or with `None` removes) a raw value.
    pub fn set(&mut self, key: &StateKey, value: Option<Vec<u8>>) {
        let hash = key.hash();
        self.written.insert(hash);
        self.overlay.insert(hash, value.map(Arc::new));
    }

    /// Reads and decodes a value; a stored value that does not decode is a node fault.
    pub fn get_decoded<T: bincode::Encode + bincode::Decode<()>>(&mut self, key: &StateKey) -> Option<T> {
        self.get(key).map(|bytes| {
            decode_value(std::any::type_name::<T>(), &bytes)
                .unwrap_or_else(|e| panic!("state corrupted at {key:?}: {e}"))
        })
    }

    /// Encodes and writes a value.
    pub fn put<T: bincode::Encode>(&mut self, key: &StateKey, value: &T) {
        self.set(key, Some(codec::encode(value)));
    }

    /// An account (default if absent).
    pub fn account(&mut self, address: &Address) -> Account {
        self.get_decoded(&StateKey::Account { address: *address }).unwrap_or_default()
    }

    /// Writes an account; an empty account is removed, keeping the state small.
    pub fn put_account(&mut self, address: &Address, account: &Account) {
        let key = StateKey::Account { address: *address };
        if *account == Account::default() {
            self.set(&key, None);
        } else {
            self.put(&key, account);
        }
    }
}
