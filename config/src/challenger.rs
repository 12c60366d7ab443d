//! `zr-challenge` configuration.

use std::path::PathBuf;

use crate::declare::daemon_config;
use crate::defaults;
use crate::error::{Validate, invalid};
use crate::sections::L1Section;
use crate::{ConfigError, L1Args};

daemon_config! {
    /// Configuration of the challenger.
    pub struct ChallengerConfig;
    /// zr-challenge: checks executors' claims by re-executing their leaves from witnesses
    pub struct ChallengerArgs for "zr-challenge";
    env = "ZR_CHALLENGER_";

    /// Directory for the challenger's files: its endpoints file while it watches.
    data_dir = "zr-data/challenger" {
        "Directory for the challenger's files (its endpoints file when watching)", global = true
    };
    /// The rollup chain id. 0 (the default): the one L1's settlement parameters fix
    /// (`embedded.rollup.getParameters`), which is the only one whose claims L1 records.
    chain_id: u64 = 0 => flag(Option<u64>) {
        "Rollup chain id [config: chain_id, default: the one L1's settlement parameters fix]"
        long, value_name = "ID", global = true
    };
    /// The key that signs challenges. Required to submit.
    key_file: Option<PathBuf> = None => flag(Option<PathBuf>) {
        "Key file that signs challenges [config: key_file]"
        long, value_name = "FILE", global = true
    };
    /// The executor whose claims are watched. Default `http://127.0.0.1:8545`.
    executor_rpc: String = defaults::EXECUTOR_URL.into() => flag(Option<String>) {
        "Executor query RPC [config: executor_rpc, default http://127.0.0.1:8545]"
        long, visible_alias = "executor", value_name = "URL", global = true
    };
    /// The L1 connection.
    l1: L1Section = L1Section::default() => flatten(L1Args);
}

impl Validate for ChallengerConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        if !(self.executor_rpc.starts_with("http://") || self.executor_rpc.starts_with("https://")) {
            return Err(invalid(
                "executor_rpc",
                format!("{:?} must start with http:// or https://", self.executor_rpc),
            ));
        }
        self.l1.validate()
    }
}
