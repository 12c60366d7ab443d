//! The layered loader: defaults < file < env < flags.

use std::path::Path;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::ConfigError;
use crate::error::Validate;

/// A daemon configuration that can be loaded in layers.
pub trait Layered: Serialize + DeserializeOwned + Default + Validate {
    /// The environment prefix, e.g. `ZR_EXECUTOR_`.
    const ENV_PREFIX: &'static str;

    /// Writes this configuration to `path` as a TOML file that `--config` reads back to the same values (the
    /// environment and flags still override it): how a harness starts a daemon's binary on a configuration it
    /// built. A value TOML cannot hold (an integer above `i64::MAX`) is an error, never a different value.
    fn write_file(&self, path: &Path) -> Result<(), ConfigError> {
        let failed = |reason: String| ConfigError::File { path: path.display().to_string(), reason };
        let text = toml::to_string(self).map_err(|err| failed(err.to_string()))?;
        std::fs::write(path, text).map_err(|err| failed(err.to_string()))
    }
}

/// Loads `T`: its defaults, then the TOML `file` (which must exist if given), then `ZR_<DAEMON>_*`
/// environment variables, then `flags` (a serializable args struct whose unset fields are skipped).
pub fn load<T: Layered>(file: Option<&Path>, flags: &impl Serialize) -> Result<T, ConfigError> {
    let mut figment = Figment::from(Serialized::defaults(T::default()));
    if let Some(path) = file {
        if !path.is_file() {
            return Err(ConfigError::File { path: path.display().to_string(), reason: "no such file".into() });
        }
        figment = figment.merge(Toml::file_exact(path));
    }
    let config: T =
        figment.merge(Env::prefixed(T::ENV_PREFIX).split("__")).merge(Serialized::defaults(flags)).extract()?;
    config.validate()?;
    Ok(config)
}
