//! End-to-end tests live in `tests/it`; this library holds what they share with the binaries they run and
//! the benchmarks.

pub mod browser;

/// The deterministic workload `store-under-test` commits, so a test can recompute the state at any height.
pub mod store_workload {
    use std::sync::Arc;

    use zr_common::{Hash, sha3_256};

    /// Values written per momentum (each about 200 bytes): enough that a commit, and a fold, take a while.
    pub const VALUES_PER_MOMENTUM: u64 = 3_000;
    /// Keys of two momentums before removed per momentum.
    pub const REMOVALS_PER_MOMENTUM: u64 = 100;
    /// Journal rows a momentum adds (from its third on).
    pub const ROWS_PER_MOMENTUM: u64 = VALUES_PER_MOMENTUM + REMOVALS_PER_MOMENTUM;

    /// The changes of momentum `height`: new values for a window of keys, and removals of older ones.
    pub fn changes(height: u64) -> Vec<(Hash, Option<Arc<Vec<u8>>>)> {
        let mut out = Vec::new();
        for i in 0..VALUES_PER_MOMENTUM {
            let key = sha3_256(&(height * 10_000 + i).to_le_bytes());
            out.push((key, Some(Arc::new(sha3_256(&(height ^ i).to_le_bytes()).0.repeat(6)))));
        }
        if height > 2 {
            for i in 0..REMOVALS_PER_MOMENTUM {
                out.push((sha3_256(&((height - 2) * 10_000 + i).to_le_bytes()), None));
            }
        }
        out
    }

    /// The state root after momentum `height`.
    pub fn root_after(height: u64) -> Hash {
        let mut tree = zr_protocol::Tree::default();
        for h in 1..=height {
            for (key, value) in changes(h) {
                tree.set(key, value).expect("a full tree");
            }
        }
        tree.root()
    }
}
