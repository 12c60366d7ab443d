//! Configuration errors.

/// A configuration could not be loaded or is invalid.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The configuration file given does not exist or cannot be read (or, written, cannot be written).
    #[error("config file {path}: {reason}")]
    File {
        /// The file.
        path: String,
        /// Why it could not be read.
        reason: String,
    },
    /// A value could not be parsed, has the wrong type, or the key is unknown. The message names the key
    /// and its source (file, environment variable or flag).
    #[error("{0}")]
    Parse(String),
    /// A value parsed but is not acceptable.
    #[error("invalid config value `{key}`: {reason}")]
    Invalid {
        /// The dotted key, as in the TOML file.
        key: &'static str,
        /// Why it is wrong.
        reason: String,
    },
}

impl From<figment::Error> for ConfigError {
    fn from(err: figment::Error) -> Self {
        // figment reports every error it found; join them so none is lost.
        ConfigError::Parse(err.into_iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))
    }
}

/// Checks a loaded configuration.
pub trait Validate {
    /// Returns the first invalid value.
    fn validate(&self) -> Result<(), ConfigError>;
}

/// `chain_id` has no default: 0, no rollup's id (L1's settlement parameters refuse it), stands for "not set".
pub(crate) fn require_chain_id(chain_id: u64) -> Result<(), ConfigError> {
    if chain_id == 0 {
        return Err(invalid(
            "chain_id",
            format!(
                "required: the rollup's chain id, as L1's settlement parameters fix it (`chain_id` in the file, \
                 ZR_<DAEMON>_CHAIN_ID, or --chain-id); development networks use {}",
                crate::defaults::DEV_ROLLUP_CHAIN_ID
            ),
        ));
    }
    Ok(())
}

pub(crate) fn invalid(key: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid { key, reason: reason.into() }
}
