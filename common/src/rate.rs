//! Keyed token buckets: each key (a peer, an IP address) may do `rate` things a second and `burst` at once;
//! the least recently seen keys are forgotten beyond a bound, so memory stays bounded whatever connects.
//! Used for admission limits only; nothing here affects state or hashes.

use std::collections::BTreeMap;
use std::time::Instant;

struct Bucket {
    tokens: f64,
    /// When it was last used, and its place in `by_time`.
    stamp: (Instant, u64),
}

/// The buckets of every key seen recently.
pub struct KeyedRates<K> {
    rate: u32,
    burst: u32,
    tracked: usize,
    buckets: BTreeMap<K, Bucket>,
    /// Keys by when they were last seen (with a sequence number for ties): the stalest is found in O(log n),
    /// not by a scan of every key under the caller's lock.
    by_time: BTreeMap<(Instant, u64), K>,
    seq: u64,
}

impl<K: Ord + Clone> KeyedRates<K> {
    /// `rate` a second sustained, `burst` at once, per key; at most `tracked` keys remembered.
    pub fn new(rate: u32, burst: u32, tracked: usize) -> KeyedRates<K> {
        KeyedRates { rate, burst, tracked: tracked.max(1), buckets: BTreeMap::new(), by_time: BTreeMap::new(), seq: 0 }
    }

    /// Whether `key` may do one more thing at `now`; takes its token if so.
    pub fn allow(&mut self, key: &K, now: Instant) -> bool {
        if !self.buckets.contains_key(key)
            && self.buckets.len() >= self.tracked
            && let Some((_, stalest)) = self.by_time.pop_first()
        {
            self.buckets.remove(&stalest);
        }
        self.seq += 1;
        let stamp = (now, self.seq);
        let burst = f64::from(self.burst);
        let bucket = self.buckets.entry(key.clone()).or_insert(Bucket { tokens: burst, stamp });
        self.by_time.remove(&bucket.stamp);
        let refill = now.saturating_duration_since(bucket.stamp.0).as_secs_f64() * f64::from(self.rate);
        bucket.tokens = (bucket.tokens + refill).min(burst);
        bucket.stamp = stamp;
        self.by_time.insert(stamp, key.clone());
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn each_key_is_limited_on_its_own() {
        let mut rates = KeyedRates::new(20, 40, 16);
        let now = Instant::now();
        let allowed = (0..1000).filter(|_| rates.allow(&"flooder", now)).count();
        assert_eq!(allowed, 40);
        assert!(rates.allow(&"other", now), "another key is not held back");
        assert!(!rates.allow(&"flooder", now));
        assert!(rates.allow(&"flooder", now + Duration::from_millis(100)), "tokens come back at the rate");
    }

    #[test]
    fn memory_is_bounded_by_forgetting_the_stalest_key() {
        let mut rates = KeyedRates::new(1, 1, 2);
        let now = Instant::now();
        assert!(rates.allow(&1, now));
        assert!(rates.allow(&2, now + Duration::from_millis(1)));
        assert!(rates.allow(&3, now + Duration::from_millis(2)));
        assert_eq!(rates.buckets.len(), 2);
        assert!(!rates.buckets.contains_key(&1), "the stalest key is the one forgotten");
        // Seen again, a key is no longer the stalest.
        assert!(rates.allow(&2, now + Duration::from_secs(3)));
        assert!(rates.allow(&4, now + Duration::from_secs(4)));
        assert!(rates.buckets.contains_key(&2) && !rates.buckets.contains_key(&3));
        assert_eq!(rates.by_time.len(), rates.buckets.len());
    }
}
