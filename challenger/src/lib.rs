//! The challenger: checks executors' claims by re-executing their leaves from witnesses (`verify`), with its
//! own VM and no state of its own. Watching claims, challenging on L1 and verdicts come with the settlement
//! issue.

pub mod cli;
pub mod verify;
