//! The embedded NoM-like L1 (`zr-devnet`).
//!
//! Not built yet: arrives with the L1 issue.
