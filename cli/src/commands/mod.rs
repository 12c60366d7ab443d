//! One module per `zr` subcommand.

pub mod key;
pub mod up;
