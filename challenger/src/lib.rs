//! The challenger: checks executors' claims by re-executing their leaves from witnesses (`verify`), with its
//! own VM and no state of its own, and lists what L1's settlement recorded of them (`list`). Watching
//! claims, challenging on L1 and verdicts are not built yet.

pub mod cli;
pub mod list;
pub mod verify;
