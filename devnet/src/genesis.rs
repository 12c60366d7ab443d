//! The devnet genesis: chain identifier, pillars and funded accounts, read from TOML.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};
use zr_common::nom::{AccountBlock, BlockType, VERSION};
use zr_common::rollup::settlement::{FinalRoot, Parameters, VmVersionFrom};
use zr_common::{Address, Hash, PublicKey};

use crate::DevnetError;

/// A devnet genesis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    /// The L1 chain identifier (NoM mainnet is 1). Blocks for another chain are refused.
    pub chain_identifier: u64,
    /// Unix seconds of the genesis momentum.
    pub timestamp: u64,
    /// The pillars that produce momentums, in turn.
    pub pillars: Vec<GenesisPillar>,
    /// Accounts funded at genesis.
    #[serde(default)]
    pub accounts: Vec<GenesisAccount>,
    /// The rollup's settlement parameters (`[rollup]`; every field has a default).
    #[serde(default)]
    pub rollup: RollupGenesis,
}

/// The settlement parameters a devnet fixes at genesis; the rest are the protocol's defaults
/// (`zr_common::rollup::settlement::Parameters::new`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
#[serde(deny_unknown_fields, default)]
pub struct RollupGenesis {
    /// The rollup's chain id [default: the dev chain's, 1]: claims of another chain are refused.
    pub chain_id: u64,
    /// The accepted VM version from height 1 on [default: this build's]; later upgrades are
    /// `vm_upgrades` entries.
    pub vm_version: Option<Hash>,
    /// VM versions accepted from a later height on, ascending.
    pub vm_upgrades: Vec<VmVersionFrom>,
    /// The height finality starts above [default 0: the empty state before momentum 1].
    pub anchor_height: u64,
    /// The state root at the anchor [default: zero, the empty state].
    pub anchor_root: Hash,
    /// Momentums a claim can be challenged after inclusion [default 6].
    pub finality_window: u64,
}

impl Default for RollupGenesis {
    fn default() -> Self {
        RollupGenesis {
            chain_id: zr_config::defaults::DEV_ROLLUP_CHAIN_ID,
            vm_version: None,
            vm_upgrades: Vec::new(),
            anchor_height: 0,
            anchor_root: Hash::ZERO,
            finality_window: zr_common::rollup::settlement::FINALITY_WINDOW,
        }
    }
}

impl RollupGenesis {
    /// The settlement parameters this genesis fixes.
    pub fn parameters(&self) -> Parameters {
        let vm_version = self.vm_version.unwrap_or_else(zr_protocol::gas::vm_version);
        let mut params = Parameters::new(self.chain_id, vm_version);
        params.vm_versions[0].from_height = self.anchor_height + 1;
        params.vm_versions.extend(self.vm_upgrades.iter().copied());
        params.anchor = FinalRoot { height: self.anchor_height, root: self.anchor_root };
        params.finality_window = self.finality_window;
        params
    }
}

/// A momentum-producing pillar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
#[serde(deny_unknown_fields)]
pub struct GenesisPillar {
    /// A name for people.
    pub name: String,
    /// The producer key.
    pub public_key: PublicKey,
}

/// An account funded at genesis. Amounts are in the smallest unit (1 ZNN = 10^8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
#[serde(deny_unknown_fields)]
pub struct GenesisAccount {
    /// The account.
    pub address: Address,
    /// ZNN balance.
    #[serde(default)]
    pub znn: u64,
    /// QSR balance.
    #[serde(default)]
    pub qsr: u64,
    /// QSR already fused for plasma (not part of `qsr`).
    #[serde(default)]
    pub fused_qsr: u64,
}

impl Genesis {
    /// Reads and validates a genesis file.
    pub fn read(path: &Path) -> Result<Genesis, DevnetError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| DevnetError::Genesis(format!("cannot read {}: {e}", path.display())))?;
        let genesis: Genesis =
            toml::from_str(&text).map_err(|e| DevnetError::Genesis(format!("{}: {e}", path.display())))?;
        genesis.validate()?;
        Ok(genesis)
    }

    /// Writes the genesis as TOML.
    pub fn write(&self, path: &Path) -> Result<(), DevnetError> {
        let text = toml::to_string_pretty(self).map_err(|e| DevnetError::Genesis(e.to_string()))?;
        std::fs::write(path, text).map_err(|e| DevnetError::Genesis(format!("cannot write {}: {e}", path.display())))
    }

    /// Checks the genesis is usable.
    pub fn validate(&self) -> Result<(), DevnetError> {
        let fail = |m: String| Err(DevnetError::Genesis(m));
        if self.chain_identifier == 0 {
            return fail("chain_identifier must not be 0".into());
        }
        if self.timestamp == 0 {
            return fail("timestamp must not be 0".into());
        }
        if self.pillars.is_empty() {
            return fail("at least one pillar is needed to produce momentums".into());
        }
        let mut keys = BTreeSet::new();
        for pillar in &self.pillars {
            if !keys.insert(pillar.public_key) {
                return fail(format!("pillar key {} is listed twice", pillar.public_key));
            }
        }
        if let Err(e) = self.rollup.parameters().check() {
            return fail(format!("[rollup]: {e}"));
        }
        let mut addresses = BTreeSet::new();
        for account in &self.accounts {
            if !addresses.insert(account.address) {
                return fail(format!("account {} is listed twice", account.address));
            }
            if account.address.kind() != Some(zr_common::AddressKind::User) {
                return fail(format!("account {} is not a user address", account.address));
            }
        }
        Ok(())
    }

    /// The genesis-receive block (height 1) of a funded account, as NoM's genesis has one per account.
    pub(crate) fn genesis_block(&self, address: Address) -> AccountBlock {
        let mut block = AccountBlock {
            version: VERSION,
            chain_identifier: self.chain_identifier,
            block_type: BlockType::GenesisReceive as u64,
            height: 1,
            address,
            ..AccountBlock::default()
        };
        block.hash = block.compute_hash();
        block
    }

    /// A development genesis: the given pillars, and each of `funded` with 1 000 000 ZNN and QSR and
    /// 5 000 QSR fused (the per-account maximum of 10.5 M plasma).
    pub fn dev(chain_identifier: u64, timestamp: u64, pillars: &[PublicKey], funded: &[Address]) -> Genesis {
        Genesis {
            chain_identifier,
            timestamp,
            pillars: pillars
                .iter()
                .enumerate()
                .map(|(i, key)| GenesisPillar { name: format!("pillar-{}", i + 1), public_key: *key })
                .collect(),
            accounts: funded
                .iter()
                .map(|address| GenesisAccount {
                    address: *address,
                    znn: 1_000_000 * 100_000_000,
                    qsr: 1_000_000 * 100_000_000,
                    fused_qsr: 5_000 * 100_000_000,
                })
                .collect(),
            rollup: RollupGenesis::default(),
        }
    }
}
