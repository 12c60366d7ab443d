//! The executor library end to end: example contracts, hostile contracts, proofs, determinism, the cache.

mod contracts;
mod determinism;
mod harness;
mod hostile;
mod rollup;
mod store;
mod witness;
