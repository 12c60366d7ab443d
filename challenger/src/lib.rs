//! The challenger: checks executors' claims by re-executing their leaves from witnesses (`verify`), with its
//! own VM and no state of its own; lists what L1's settlement recorded of them (`list`); challenges a wrong
//! leaf on L1 (`submit`, with a witness its own executor builds) and follows the verdict (`status`). The
//! watching daemon is not built yet.

pub mod cli;
pub mod list;
pub mod submit;
pub mod verify;
