//! The L1 seam: the `L1` trait, the canonical ordering rule, bundle encoding, and a znnd JSON-RPC client.
//!
//! Not built yet: arrives with the L1 issue.
