//! End-to-end tests across crates: real daemons in-process on port 0, talked to over their real interfaces.

mod catch_up;
mod challenge;
mod devnet_client;
mod devnet_rejects;
mod executor_e2e;
mod executor_kill;
mod explorer;
mod faults;
mod go_zenon_parity;
mod ops;
mod relay;
mod rollup_support;
mod settlement;
mod spork_vectors;
mod store_kill;
mod support;
mod tls;
mod withdrawal_kill;
mod witness_verify;
