//! The challenger: checks executors' claims by re-executing their leaves from witnesses (`verify`), with its
//! own VM and no state of its own; lists what L1's settlement recorded of them (`list`); challenges a wrong
//! leaf on L1 (`submit`, with a witness its own executor builds), follows the verdict (`status`), and watches
//! every claim L1 records, challenging wrong ones (`watch`), reading a claim's leaves from L1 once a
//! data-availability challenge made its executor post them (`l1_leaves`).

pub mod cli;
pub mod l1_leaves;
pub mod list;
pub mod submit;
pub mod verify;
pub mod watch;
