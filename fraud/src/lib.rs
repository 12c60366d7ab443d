//! zrollup fraud proofs: witnesses, stateless re-execution of one transaction, challenges and the
//! pillar's verdict.
//!
//! Not built yet: arrives with its issue, on top of `zr-executor`.
