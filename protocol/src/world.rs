//! The mutable state during execution: a tree version (full, or partial from a witness), an overlay of this
//! transaction's writes, the events and the keys touched. Writes are gathered in the overlay and applied to
//! the tree once, when a root is needed, so a key written several times is hashed into the tree once.
//! Checkpoints copy the (small) overlay; a failed call is undone by restoring one.
//!
//! Every read can fail: on a partial tree with [`StateError::Incomplete`], and on any tree whose value does
//! not decode with [`StateError::Corrupt`]. An executor on its full state treats both as node faults; a
//! verifier on a witness reports them.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use zr_common::rollup::Event;
use zr_common::{Address, Hash, TokenStandard, codec};

use crate::state::{Account, StateKey, decode_value};
use crate::tree::{Incomplete, Tree};

/// A value as stored: shared bytes, or none for an absent key.
type Value = Option<Arc<Vec<u8>>>;

/// The state could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    /// The witness does not hold what execution needs.
    #[error(transparent)]
    Incomplete(#[from] Incomplete),
    /// A stored value does not decode as what its key holds.
    #[error("state value at {key} does not decode: {reason}")]
    Corrupt {
        /// The tree key.
        key: Hash,
        /// The decoder's reason.
        reason: String,
    },
    /// The transaction reached a cap that keeps every transaction's witness bounded: a deterministic
    /// failure of the transaction, never of the node.
    #[error("{0}")]
    Cap(String),
}

/// The world a transaction executes against.
#[derive(Debug, Clone, Default)]
pub struct World {
    tree: Tree,
    overlay: BTreeMap<Hash, Value>,
    /// Events emitted so far.
    pub events: Vec<Event>,
    /// Every key read, and every key a removal needed opened (for witnesses).
    pub read: BTreeSet<Hash>,
    /// The keys whose values were read (the rest of `read` needed only presence: a witness carries no value
    /// for them, so contract code travels by its hash).
    pub values_read: BTreeSet<Hash>,
    /// Every key written (for witnesses and the commit).
    pub written: BTreeSet<Hash>,
    /// Code whose module this transaction has loaded (and paid for) already.
    pub loaded: BTreeSet<Hash>,
    /// Bytes of state written (a 32-byte key and the value, for each value set), counted as writes reach
    /// the tree: the momentum's state budget counts them.
    pub bytes_written: u64,
    /// Bytes of values read from the tree (the values a witness carries), for the per-transaction cap.
    pub value_bytes_read: u64,
    /// Set once a transaction's effect is over: settling its fee (two accounts) is not capped.
    caps_lifted: bool,
}

/// A point to return to.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    tree: Tree,
    overlay: BTreeMap<Hash, Value>,
    events: usize,
}

impl World {
    /// A world over `tree`.
    pub fn new(tree: Tree) -> World {
        World { tree, ..World::default() }
    }

    fn flush(&mut self) -> Result<(), StateError> {
        for (key, value) in std::mem::take(&mut self.overlay) {
            if value.is_none()
                && let Some(neighbour) = self.tree.removal_neighbour(&key)?
            {
                self.read.insert(neighbour);
            }
            if let Some(value) = &value {
                self.bytes_written += 32 + value.len() as u64;
            }
            self.tree.set(key, value)?;
        }
        Ok(())
    }

    /// Consumes the world, returning its tree with every write applied.
    pub fn into_tree(mut self) -> Result<Tree, StateError> {
        self.flush()?;
        Ok(self.tree)
    }

    /// The state root now.
    pub fn root(&mut self) -> Result<Hash, StateError> {
        self.flush()?;
        Ok(self.tree.root())
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

    /// Fails once the keys this transaction touched or the value bytes it read pass the caps that bound
    /// its witness (`VmLimits::max_keys_per_tx`, `max_value_bytes_read_per_tx`).
    pub fn check_caps(&self) -> Result<(), StateError> {
        if self.caps_lifted {
            return Ok(());
        }
        let limits = &crate::gas::LIMITS;
        if self.read.len() + self.written.len() > limits.max_keys_per_tx as usize {
            return Err(StateError::Cap(format!("touches more than {} state keys", limits.max_keys_per_tx)));
        }
        if self.value_bytes_read > limits.max_value_bytes_read_per_tx {
            let cap = limits.max_value_bytes_read_per_tx;
            return Err(StateError::Cap(format!("reads more than {cap} bytes of state values")));
        }
        Ok(())
    }

    /// Lifts the caps for the rest of the transaction: its effect is over, and what follows (its fee) touches
    /// at most two accounts.
    pub fn lift_caps(&mut self) {
        self.caps_lifted = true;
    }

    /// Reads a raw value.
    pub fn get(&mut self, key: &StateKey) -> Result<Value, StateError> {
        let hash = key.hash();
        self.read.insert(hash);
        let first = self.values_read.insert(hash);
        let (value, from_tree) = self.lookup(&hash)?;
        if first && from_tree {
            self.value_bytes_read += value.as_ref().map_or(0, |v| v.len() as u64);
        }
        self.check_caps()?;
        Ok(value)
    }

    /// Reads a raw value without recording the read: for what the protocol does not depend on (the VM
    /// fetching code to compile on a module-cache miss, which depends on this node's cache, not on the state).
    pub fn peek(&self, key: &StateKey) -> Result<Value, StateError> {
        Ok(self.lookup(&key.hash())?.0)
    }

    /// A value as this transaction sees it, and whether it came from the tree (not this transaction's writes).
    fn lookup(&self, hash: &Hash) -> Result<(Value, bool), Incomplete> {
        match self.overlay.get(hash) {
            Some(value) => Ok((value.clone(), false)),
            None => Ok((self.tree.get(hash)?.cloned(), true)),
        }
    }

    /// Whether a value is present, without needing (or hashing) the value: a witness proves code by its hash
    /// alone.
    pub fn exists(&mut self, key: &StateKey) -> Result<bool, StateError> {
        let hash = key.hash();
        self.read.insert(hash);
        let present = match self.overlay.get(&hash) {
            Some(value) => value.is_some(),
            None => self.tree.contains(&hash)?,
        };
        self.check_caps()?;
        Ok(present)
    }

    /// Writes (or with `None` removes) a raw value.
    pub fn set(&mut self, key: &StateKey, value: Option<Vec<u8>>) {
        let hash = key.hash();
        self.written.insert(hash);
        self.overlay.insert(hash, value.map(Arc::new));
    }

    /// Reads and decodes a value.
    pub fn get_decoded<T: bincode::Encode + bincode::Decode<()>>(
        &mut self,
        key: &StateKey,
    ) -> Result<Option<T>, StateError> {
        let Some(bytes) = self.get(key)? else { return Ok(None) };
        decode_value(std::any::type_name::<T>(), &bytes)
            .map(Some)
            .map_err(|e| StateError::Corrupt { key: key.hash(), reason: e.to_string() })
    }

    /// Encodes and writes a value.
    pub fn put<T: bincode::Encode>(&mut self, key: &StateKey, value: &T) {
        self.set(key, Some(codec::encode(value)));
    }

    /// An account (default if absent).
    pub fn account(&mut self, address: &Address) -> Result<Account, StateError> {
        Ok(self.get_decoded(&StateKey::Account { address: *address })?.unwrap_or_default())
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

    /// Adds `amount` of ZNN to an account.
    pub fn credit_znn(&mut self, address: &Address, amount: u128) -> Result<(), StateError> {
        if amount > 0 {
            let mut account = self.account(address)?;
            account.znn = account.znn.saturating_add(amount);
            self.put_account(address, &account);
        }
        Ok(())
    }

    /// Moves `amount` of `token`; `false` (and nothing moved) if `from` has too little or the rollup does
    /// not hold `token`.
    pub fn move_balance(
        &mut self,
        from: &Address,
        to: &Address,
        token: &TokenStandard,
        amount: u128,
    ) -> Result<bool, StateError> {
        if amount == 0 || from == to {
            return Ok(self.account(from)?.balance(token).is_some_and(|b| b >= amount));
        }
        let mut sender = self.account(from)?;
        let Some(balance) = sender.balance_mut(token) else { return Ok(false) };
        if *balance < amount {
            return Ok(false);
        }
        *balance -= amount;
        self.put_account(from, &sender);
        let mut receiver = self.account(to)?;
        let Some(balance) = receiver.balance_mut(token) else { return Ok(false) };
        *balance = balance.saturating_add(amount);
        self.put_account(to, &receiver);
        Ok(true)
    }
}
