//! The embedded devnet laid out as the end-to-end tests and benchmarks run it: one pillar, a genesis funding the
//! given L1 accounts, everything in one directory, every endpoint on loopback port 0.

use std::path::Path;
use std::sync::Arc;

use zr_common::Address;
use zr_common::daemon::Served;
use zr_config::{DevnetConfig, L1Section};
use zr_devnet::{Devnet, DevnetError, DevnetHandle, Genesis, InProcessL1};

/// The L1 chain identifier of the embedded devnet in tests and benchmarks.
pub const L1_CHAIN: u64 = 321;

/// The genesis timestamp of the embedded devnet in tests and benchmarks (fixed, so its hashes are too).
const GENESIS_TIMESTAMP: u64 = 1_700_000_000;

/// A running embedded devnet.
pub struct LocalDevnet {
    /// The node (its JSON-RPC, ops server and chain).
    pub handle: DevnetHandle,
    /// The chain, read in process (what daemons in the same process follow it through).
    pub l1: Arc<InProcessL1>,
}

impl LocalDevnet {
    /// Where the daemons reach its JSON-RPC.
    pub fn l1_section(&self) -> L1Section {
        L1Section::at(self.handle.http_url(), self.handle.ws_url())
    }

    /// Stops the node.
    pub async fn stop(self) {
        self.handle.stop().await;
    }
}

/// Writes a genesis funding `funded` and its pillar's key into `dir` (a restart with the same `funded` writes the
/// same genesis; another would not match the chain already there), and starts the
/// devnet on them with a momentum every `momentum_interval_ms`.
pub async fn start(dir: &Path, funded: &[Address], momentum_interval_ms: u64) -> Result<LocalDevnet, DevnetError> {
    let pillar = zr_common::keys::fixtures::key(1);
    Genesis::dev(L1_CHAIN, GENESIS_TIMESTAMP, &[pillar.public()], funded).write(&dir.join("genesis.toml"))?;
    crate::key_file(&pillar, &dir.join("pillar.json")).map_err(|err| DevnetError::Genesis(err.to_string()))?;
    let handle = Devnet::start(&DevnetConfig::in_dir(dir, momentum_interval_ms)).await?;
    let l1 = Arc::new(InProcessL1::new(handle.chain.clone()));
    Ok(LocalDevnet { handle, l1 })
}
