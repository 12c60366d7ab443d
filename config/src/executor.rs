//! `zr-executor` configuration.

use std::path::PathBuf;

use serde::Serialize;

use crate::declare::daemon_config;
use crate::defaults;
use crate::error::{Validate, invalid, require_chain_id};
use crate::sections::{L1Section, Listen, OpsSection, P2pSection, RpcSection};
use crate::{ConfigError, GossipArgs, L1Args, OpsArgs, RpcArgs};

daemon_config! {
    /// Configuration of an executor.
    pub struct ExecutorConfig;
    /// zrollup executor: the wasm VM, the state store, execution, claims, query RPC
    pub struct ExecutorArgs for "zr-executor";
    env = "ZR_EXECUTOR_";

    /// Directory of the state database and module cache.
    data_dir = "zr-data/executor" { "State directory" };
    /// The rollup chain whose transactions this executor runs and claims roots of. Required (0, the default, is
    /// not set): a deployment names its own; development networks use `defaults::DEV_ROLLUP_CHAIN_ID`.
    chain_id: u64 = 0 => flag(Option<u64>) {
        "Rollup chain id to execute and claim for, required (development networks use 1337) [config: chain_id]"
        long, value_name = "ID"
    };
    /// The executor's key file (signs claims). Required.
    key_file: Option<PathBuf> = None => flag(Option<PathBuf>) {
        "Key file that signs claims [config: key_file]"
        long, value_name = "FILE"
    };
    /// First L1 momentum height to execute. Default 1.
    start_height: u64 = 1 => flag(Option<u64>) {
        "First momentum height to execute [config: start_height, default 1]"
        long, value_name = "HEIGHT"
    };
    /// 1 posts a claim to L1 for every momentum (each height needs a final claim before the next can be
    /// final, so there is no claiming every other one); 0 posts none (claims are still served). Default 1.
    claim_every: u64 = 1 => flag(Option<u64>) {
        "1 posts a claim for every momentum, 0 none [config: claim_every, default 1]"
        long, value_name = "N"
    };
    /// ZNN (smallest unit) to bond in the inbox before the first claim, when L1 holds no bond of this
    /// executor: claims of an unbonded executor are recorded but never final. 0 sends none. Default
    /// 1000000000 (10 ZNN, the least a bond may be).
    bond: u64 = ExecutorConfig::DEFAULT_BOND => flag(Option<u64>) {
        "ZNN (smallest unit) to bond before the first claim when L1 holds no bond of this executor, 0 for none \
         [config: bond, default 1000000000]"
        long, value_name = "AMOUNT"
    };
    /// Momentums of state kept in memory for queries at a height (`getProof`, `call`); witnesses of older
    /// momentums are built from a state rebuilt from the store. Default 64.
    history_depth: usize = 64;
    /// Momentums of receipts, claim leaves and undo values kept; older ones are pruned, but never above L1's final
    /// height. 0 keeps everything. Default 100000 (about 11 days of NoM momentums).
    prune_depth: u64 = 100_000;
    /// Journal rows (changed state values and placed transactions) after which a commit folds the journal
    /// into the state table. Fewer make restarts replay less; more make commits cheaper. Default 250000.
    journal_fold_rows: usize = ExecutorConfig::DEFAULT_JOURNAL_FOLD_ROWS => flag(Option<usize>) {
        "Fold the state journal after N rows [config: journal_fold_rows, default 250000]"
        long, value_name = "N"
    };
    /// The L1 connection.
    l1: L1Section = L1Section::default() => flatten(L1Args);
    /// The query JSON-RPC. Default `127.0.0.1:8545`.
    rpc: RpcSection = RpcSection::on(defaults::loopback(defaults::EXECUTOR_RPC_PORT)) => flatten(RpcArgs);
    /// The ops endpoint. Default `127.0.0.1:9102`.
    ops: OpsSection = OpsSection::on(defaults::loopback(defaults::EXECUTOR_OPS_PORT)) => flatten(OpsArgs);
    /// Claim gossip with other executors. Off by default.
    p2p: P2pSection = P2pSection::default() => flatten(P2pArgs);
    /// For tests and demos only: `HEIGHT:INDEX` makes this executor claim a wrong post-state root at that
    /// leaf of that momentum, `HEIGHT:INDEX:step` a wrong step (another transaction hash) there. Refused
    /// unless `chain_id` is the dev chain's. Off by default.
    dangerous_fault_injection: Option<String> = None => flag(Option<String>) {
        "TESTS AND DEMOS ONLY: claim a wrong post-state root at leaf INDEX of momentum HEIGHT (with `:step`, a \
         wrong step); refused unless the chain is the dev chain [config: dangerous_fault_injection]"
        long, value_name = "HEIGHT:INDEX[:step]"
    };
}

impl ExecutorConfig {
    /// An executor of `chain_id` with its state in `data_dir`, signing claims with `key_file`, following `l1`,
    /// listening at `listen`; every other value its default.
    pub fn node(data_dir: PathBuf, chain_id: u64, key_file: PathBuf, l1: L1Section, listen: Listen) -> Self {
        ExecutorConfig {
            data_dir,
            chain_id,
            key_file: Some(key_file),
            l1,
            rpc: RpcSection::on(listen.rpc),
            ops: OpsSection::on(listen.ops),
            ..ExecutorConfig::default()
        }
    }

    /// The default of `journal_fold_rows`.
    pub const DEFAULT_JOURNAL_FOLD_ROWS: usize = 250_000;
    /// The default of `bond`: the least a bond may be (`zr_common::rollup::settlement::MIN_BOND`).
    pub const DEFAULT_BOND: u64 = 1_000_000_000;
}

impl ExecutorConfig {
    /// The leaf `dangerous_fault_injection` names and what is falsified there.
    pub fn fault_injection(&self) -> Option<InjectedFault> {
        let mut fields = self.dangerous_fault_injection.as_deref()?.split(':');
        let height = fields.next()?.parse().ok()?;
        let index = fields.next()?.parse().ok()?;
        let step = match fields.next() {
            None => false,
            Some("step") => true,
            Some(_) => return None,
        };
        fields.next().is_none().then_some(InjectedFault { height, index, step })
    }
}

/// A fault injected into one leaf (tests and demos).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InjectedFault {
    /// The momentum height.
    pub height: u64,
    /// The leaf.
    pub index: u32,
    /// A wrong step (transaction hash) rather than a wrong post-state root.
    pub step: bool,
}

impl Validate for ExecutorConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        require_chain_id(self.chain_id)?;
        if self.start_height == 0 {
            return Err(invalid("start_height", "momentum heights start at 1"));
        }
        if self.key_file.is_none() {
            return Err(invalid("key_file", "an executor needs a key to sign claims (`zr key new` makes one)"));
        }
        if self.history_depth == 0 {
            return Err(invalid("history_depth", "must be at least 1"));
        }
        if self.dangerous_fault_injection.is_some() {
            if self.fault_injection().is_none() {
                return Err(invalid(
                    "dangerous_fault_injection",
                    "must be HEIGHT:INDEX or HEIGHT:INDEX:step, e.g. 12:1",
                ));
            }
            if self.chain_id != defaults::DEV_ROLLUP_CHAIN_ID {
                return Err(invalid(
                    "dangerous_fault_injection",
                    format!(
                        "makes this executor claim wrong roots: refused on chain {}, allowed only on the dev chain {}",
                        self.chain_id,
                        defaults::DEV_ROLLUP_CHAIN_ID
                    ),
                ));
            }
        }
        if self.claim_every > 1 {
            return Err(invalid(
                "claim_every",
                "must be 1 (claim every momentum) or 0 (claim none): finality needs a claim at every height, so a \
                 claim every N momentums could never be final past the first",
            ));
        }
        if self.journal_fold_rows == 0 {
            return Err(invalid("journal_fold_rows", "must be at least 1"));
        }
        if self.bond != 0 && u128::from(self.bond) < zr_common::rollup::settlement::MIN_BOND {
            return Err(invalid(
                "bond",
                format!("a bond is at least {} ZNN (smallest unit), or 0 for none", ExecutorConfig::DEFAULT_BOND),
            ));
        }
        self.l1.validate()?;
        self.p2p.validate()?;
        self.rpc.validate()
    }
}

/// Flags for claim gossip: where to listen and whom to dial, and whose claims to keep.
#[derive(Debug, Clone, Default, clap::Args, Serialize)]
pub struct P2pArgs {
    /// Where to listen and whom to dial.
    #[command(flatten)]
    #[serde(flatten)]
    pub gossip: GossipArgs,
    /// An executor (public key, hex) whose gossiped claims are kept; repeat for several; any executor L1
    /// says is bonded when none [config: p2p.allowed_executors]
    #[arg(id = "p2p-allowed-executor", long = "p2p-allowed-executor", value_name = "PUBLIC_KEY")]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed_executors: Vec<zr_common::PublicKey>,
}
