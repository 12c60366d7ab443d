//! The `zr-relay` command line, as a library function so test harnesses can run the real daemon in a child
//! process (and kill it).

use std::sync::Arc;

use clap::Parser;
use eyre::WrapErr;
use zr_common::KeyPair;
use zr_config::{RelayArgs, RelayConfig};
use zr_sequencing::ZnndClient;

/// Parses the command line, runs the relay until Ctrl-C or SIGTERM, and exits non-zero with the error chain on
/// failure.
pub fn main() {
    zr_common::daemon::main(|| run(RelayArgs::parse()));
}

fn run(args: RelayArgs) -> eyre::Result<()> {
    let config = RelayConfig::load(&args).wrap_err("invalid configuration")?;
    let key_file = config.key_file.as_deref().expect("validated: key_file is set");
    let key = KeyPair::read_file(key_file).wrap_err("cannot load the relay key")?;
    zr_common::daemon::serve(&config.data_dir, async {
        let l1 = Arc::new(ZnndClient::for_section(&config.l1)?);
        crate::node::start(&config, key, l1).await.wrap_err("cannot start the relay")
    })
}
