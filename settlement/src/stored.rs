//! Maps of the settlement state that grow large (challenge bytes, leaves bytes, withdrawals paid): kept out of
//! the state's own encoding and written by the adapter key by key, only what a momentum changed, so the bytes a
//! momentum writes follow what it did and not what the settlement holds.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// A map the adapter stores by key. Cloning is O(1) (the map is shared until the clone writes), its encoding
/// is empty (the adapter restores it with [`Stored::restore`]), and every key written since the last
/// [`Stored::take_changes`] is journaled.
#[derive(Debug, Clone)]
pub struct Stored<K, V> {
    map: Arc<BTreeMap<K, Arc<V>>>,
    changed: BTreeSet<K>,
}

impl<K: Ord, V> Default for Stored<K, V> {
    fn default() -> Self {
        Stored { map: Arc::new(BTreeMap::new()), changed: BTreeSet::new() }
    }
}

impl<K: Ord + Clone, V: Clone> Stored<K, V> {
    /// The value at `key`.
    pub fn get(&self, key: &K) -> Option<&V> {
        self.map.get(key).map(Arc::as_ref)
    }

    /// Whether `key` is held.
    pub fn contains_key(&self, key: &K) -> bool {
        self.map.contains_key(key)
    }

    /// Sets `key` to `value`.
    pub fn insert(&mut self, key: K, value: V) {
        self.changed.insert(key.clone());
        Arc::make_mut(&mut self.map).insert(key, Arc::new(value));
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &K) -> Option<Arc<V>> {
        if !self.map.contains_key(key) {
            return None;
        }
        self.changed.insert(key.clone());
        Arc::make_mut(&mut self.map).remove(key)
    }

    /// Entries with keys in `range`, in key order.
    pub fn range<R: std::ops::RangeBounds<K>>(&self, range: R) -> impl Iterator<Item = (&K, &V)> {
        self.map.range(range).map(|(k, v)| (k, v.as_ref()))
    }

    /// Every key, in order.
    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.map.keys()
    }

    /// What was written since the last call: each key changed with its value now (`None`: removed).
    pub fn take_changes(&mut self) -> Vec<(K, Option<Arc<V>>)> {
        let changed = std::mem::take(&mut self.changed);
        changed.into_iter().map(|key| (key.clone(), self.map.get(&key).cloned())).collect()
    }

    /// Puts back an entry the adapter stored (not journaled).
    pub fn restore(&mut self, key: K, value: V) {
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
}
