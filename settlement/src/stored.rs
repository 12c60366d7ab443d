//! Maps of the settlement state that grow large (challenge bytes, leaves bytes, withdrawals paid): kept out of
//! the state's own encoding and written by the adapter key by key, only what a momentum changed, so the bytes a
//! momentum writes follow what it did and not what the settlement holds. The settlement reads them by key only,
//! so an adapter may load every row up front (the devnet) or only the rows a step reads (the go-zenon spork, see
//! [`Stored::on_demand`]).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

/// A map the adapter stores by key. Cloning is O(1) (the map is shared until the clone writes), its encoding
/// is empty (the adapter restores it with [`Stored::restore`]), and every key written since the last
/// [`Stored::take_changes`] is journaled.
#[derive(Debug, Clone)]
pub struct Stored<K, V> {
    map: Arc<BTreeMap<K, Arc<V>>>,
    changed: BTreeSet<K>,
    /// When rows are loaded on demand: the keys the adapter answered, and those read before it had.
    demand: Option<Demand<K>>,
}

/// The keys of a map loaded on demand.
#[derive(Debug)]
struct Demand<K> {
    /// Keys the adapter answered: restored with their value, or known to hold none.
    answered: BTreeSet<K>,
    /// Keys read that the adapter has not answered (reads take `&self`, hence the lock).
    missing: Mutex<BTreeSet<K>>,
}

impl<K: Clone> Clone for Demand<K> {
    fn clone(&self) -> Self {
        let missing = self.missing.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
        Demand { answered: self.answered.clone(), missing: Mutex::new(missing) }
    }
}

impl<K: Ord, V> Default for Stored<K, V> {
    fn default() -> Self {
        Stored { map: Arc::new(BTreeMap::new()), changed: BTreeSet::new(), demand: None }
    }
}

impl<K: Ord + Clone, V: Clone> Stored<K, V> {
    /// From now on, a key neither restored nor answered absent ([`Stored::restore_absent`]) reads as absent and
    /// is noted as missing ([`Stored::missing`]): a step that read one must be run again with it answered.
    pub fn on_demand(&mut self) {
        self.demand = Some(Demand { answered: BTreeSet::new(), missing: Mutex::new(BTreeSet::new()) });
    }

    /// The keys read that the adapter has not answered yet, in order.
    pub fn missing(&self) -> Vec<K> {
        self.demand.as_ref().map_or_else(Vec::new, |demand| {
            demand.missing.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).iter().cloned().collect()
        })
    }

    /// Notes that the adapter holds no row at `key`.
    pub fn restore_absent(&mut self, key: K) {
        if let Some(demand) = &mut self.demand {
            demand.answered.insert(key);
        }
    }

    /// Notes a read of `key`, which the map does not hold: missing, when loaded on demand and not answered.
    fn read_absent(&self, key: &K) {
        if let Some(demand) = &self.demand
            && !demand.answered.contains(key)
        {
            demand.missing.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).insert(key.clone());
        }
    }

    /// The value at `key`.
    pub fn get(&self, key: &K) -> Option<&V> {
        let value = self.map.get(key).map(Arc::as_ref);
        if value.is_none() {
            self.read_absent(key);
        }
        value
    }

    /// Whether `key` is held.
    pub fn contains_key(&self, key: &K) -> bool {
        self.get(key).is_some()
    }

    /// Sets `key` to `value`.
    pub fn insert(&mut self, key: K, value: V) {
        self.changed.insert(key.clone());
        Arc::make_mut(&mut self.map).insert(key, Arc::new(value));
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &K) -> Option<Arc<V>> {
        if !self.map.contains_key(key) {
            self.read_absent(key);
            return None;
        }
        self.changed.insert(key.clone());
        Arc::make_mut(&mut self.map).remove(key)
    }

    /// What was written since the last call: each key changed with its value now (`None`: removed).
    pub fn take_changes(&mut self) -> Vec<(K, Option<Arc<V>>)> {
        let changed = std::mem::take(&mut self.changed);
        changed.into_iter().map(|key| (key.clone(), self.map.get(&key).cloned())).collect()
    }

    /// Puts back an entry the adapter stored (not journaled).
    pub fn restore(&mut self, key: K, value: V) {
        if let Some(demand) = &mut self.demand {
            demand.answered.insert(key.clone());
        }
        Arc::make_mut(&mut self.map).insert(key, Arc::new(value));
    }
}

/// Two are equal when they hold the same entries (the journal is not state).
impl<K: PartialEq, V: PartialEq> PartialEq for Stored<K, V> {
    fn eq(&self, other: &Self) -> bool {
        self.map == other.map
    }
}

impl<K: Eq, V: Eq> Eq for Stored<K, V> {}

/// Left out of the state's encoding: the adapter stores it by key.
impl<K, V> bincode::Encode for Stored<K, V> {
    fn encode<E: bincode::enc::Encoder>(&self, _: &mut E) -> Result<(), bincode::error::EncodeError> {
        Ok(())
    }
}

impl<C, K: Ord, V> bincode::Decode<C> for Stored<K, V> {
    fn decode<D: bincode::de::Decoder<Context = C>>(_: &mut D) -> Result<Self, bincode::error::DecodeError> {
        Ok(Stored::default())
    }
}

impl<'de, C, K: Ord, V> bincode::BorrowDecode<'de, C> for Stored<K, V> {
    fn borrow_decode<D: bincode::de::BorrowDecoder<'de, Context = C>>(
        _: &mut D,
    ) -> Result<Self, bincode::error::DecodeError> {
        Ok(Stored::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_are_journaled_and_the_encoding_leaves_the_map_out() {
        let mut map: Stored<u32, Vec<u8>> = Stored::default();
        map.insert(1, vec![1]);
        map.insert(2, vec![2]);
        let shared = map.clone();
        map.remove(&1);
        map.remove(&7);
        assert_eq!(shared.get(&1), Some(&vec![1]), "a clone keeps its own entries");
        let changes: Vec<(u32, Option<Vec<u8>>)> =
            map.take_changes().into_iter().map(|(k, v)| (k, v.map(|v| v.to_vec()))).collect();
        assert_eq!(changes, vec![(1, None), (2, Some(vec![2]))]);
        assert!(map.take_changes().is_empty());
        assert!(zr_common::codec::encode(&map).is_empty());
        let mut restored: Stored<u32, Vec<u8>> = zr_common::codec::decode("stored", &[], 16).unwrap();
        restored.restore(2, vec![2]);
        assert_eq!(restored, map);
        assert!(restored.take_changes().is_empty(), "a restore is not a change");
    }

    /// Loaded on demand, a key read before the adapter answered it is noted missing (and reads absent); once
    /// answered, present or absent, it is not.
    #[test]
    fn on_demand_a_read_of_an_unanswered_key_is_noted_missing() {
        let mut map: Stored<u32, Vec<u8>> = Stored::default();
        map.on_demand();
        map.restore(1, vec![1]);
        map.restore_absent(2);
        assert_eq!(map.get(&1), Some(&vec![1]));
        assert_eq!(map.get(&2), None);
        assert!(map.missing().is_empty(), "answered keys are not missing");
        assert_eq!(map.get(&3), None);
        assert!(!map.contains_key(&4));
        assert_eq!(map.remove(&5), None, "a removal of an unread row is no removal");
        assert_eq!(map.missing(), vec![3, 4, 5]);
        map.insert(6, vec![6]);
        assert_eq!(map.get(&6), Some(&vec![6]), "a key written is held");
        assert_eq!(map.missing(), vec![3, 4, 5]);
        let mut loaded: Stored<u32, Vec<u8>> = Stored::default();
        assert_eq!(loaded.get(&3), None);
        assert!(loaded.missing().is_empty(), "with every row loaded, nothing is missing");
        loaded.restore_absent(3);
        assert!(loaded.missing().is_empty());
    }
}
