//! The zrollup executor: follows momentums, runs their ordered transactions in a deterministic wasm VM,
//! keeps the state in redb and signs claims.
//!
//! Not built yet: the VM, state store and daemon arrive with their issues. The crate exists so the
//! workspace has its final shape and dependency direction (`executor` → `sequencing`).
