//! Typed configuration for every zrollup daemon.
//!
//! Each daemon has one serde struct with documented defaults. Values come, in rising precedence, from the
//! defaults, a TOML file (`--config`), `ZR_<DAEMON>_*` environment variables (`__` separates a section from
//! its key: `ZR_EXECUTOR_RPC__LISTEN`), and command-line flags. Unknown keys are errors, and every
//! loaded config is validated; errors name the key, where it came from, and why it is wrong.

mod args;
mod challenger;
mod declare;
pub mod defaults;
mod devnet;
mod error;
mod executor;
mod load;
mod relay;
mod sections;

pub use args::{GossipArgs, L1Args, OpsArgs, RpcArgs};
pub use challenger::{ChallengerArgs, ChallengerConfig};
pub use devnet::{DevnetArgs, DevnetConfig};
pub use error::{ConfigError, Validate};
pub use executor::{ExecutorArgs, ExecutorConfig, InjectedFault, P2pArgs};
pub use load::{Layered, load};
pub use relay::{RelayArgs, RelayConfig};
pub use sections::{L1Section, Listen, OpsSection, P2pSection, RelayP2pSection, RpcSection};
