//! One module per `zr` subcommand.

pub mod abi;
pub mod bench;
pub mod key;
pub mod local_znnd;
pub mod net;
pub mod new;
pub mod rollup;
pub mod up;
pub mod withdraw;
