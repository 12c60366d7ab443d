//! `zr-challenge` configuration.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::defaults;
use crate::error::{Validate, invalid};
use crate::sections::L1Section;
use crate::{ConfigError, L1Args, Layered};

/// Configuration of the challenger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChallengerConfig {
    /// Directory for the challenger's own state replica. Default `./zr-data/challenger`.
    pub data_dir: PathBuf,
    /// The rollup chain id. 0 (the default): the one L1's settlement parameters fix
    /// (`embedded.rollup.getParameters`), which is the only one whose claims L1 records.
    pub chain_id: u64,
    /// The key that signs challenges. Required to submit.
    pub key_file: Option<PathBuf>,
    /// The executor whose claims are watched. Default `http://127.0.0.1:8545`.
    pub executor_rpc: String,
    /// The L1 connection.
    pub l1: L1Section,
}

impl Default for ChallengerConfig {
    fn default() -> Self {
        ChallengerConfig {
            data_dir: PathBuf::from("zr-data/challenger"),
            chain_id: 0,
            key_file: None,
            executor_rpc: defaults::EXECUTOR_URL.into(),
            l1: L1Section::default(),
        }
    }
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

impl Layered for ChallengerConfig {
    const ENV_PREFIX: &'static str = "ZR_CHALLENGER_";
}

/// `zr-challenge` flags.
#[derive(Debug, Clone, Default, clap::Args, Serialize)]
pub struct ChallengerArgs {
    /// Configuration file (TOML)
    #[arg(long, short = 'c', value_name = "FILE", global = true)]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// Directory for the challenger's files (its endpoints file when watching) [config: data_dir, default
    /// zr-data/challenger]
    #[arg(long, value_name = "DIR", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    /// Rollup chain id [config: chain_id, default: the one L1's settlement parameters fix]
    #[arg(long, value_name = "ID", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chain_id: Option<u64>,
    /// Key file that signs challenges [config: key_file]
    #[arg(long, value_name = "FILE", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_file: Option<PathBuf>,
    /// Executor query RPC [config: executor_rpc, default http://127.0.0.1:8545]
    #[arg(long, visible_alias = "executor", value_name = "URL", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub executor_rpc: Option<String>,
    /// L1 connection flags.
    #[command(flatten)]
    pub l1: L1Args,
}

impl ChallengerConfig {
    /// Loads the challenger configuration from its layers.
    pub fn load(args: &ChallengerArgs) -> Result<Self, ConfigError> {
        crate::load(args.config.as_deref(), args)
    }
}
