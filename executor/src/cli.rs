//! The `zr-executor` command line, as a library function so test harnesses can run the real daemon in a
//! child process.

use std::sync::Arc;

use clap::Parser;
use eyre::WrapErr;
use zr_common::KeyPair;
use zr_config::{ExecutorArgs, ExecutorConfig};
use zr_sequencing::ZnndClient;

/// The zrollup executor daemon.
#[derive(Parser)]
#[command(name = "zr-executor", version, about)]
struct Cli {
    #[command(flatten)]
    args: ExecutorArgs,
    /// Write the committed state to FILE and exit.
    #[arg(long, value_name = "FILE", conflicts_with = "import_snapshot")]
    export_snapshot: Option<std::path::PathBuf>,
    /// Load a snapshot into an empty data_dir (checked against --snapshot-height and --snapshot-root) and
    /// exit; the executor then follows L1 from the snapshot's height.
    #[arg(long, value_name = "FILE", requires_all = ["snapshot_root", "snapshot_height"])]
    import_snapshot: Option<std::path::PathBuf>,
    /// The state root the snapshot must have (from a final claim you trust).
    #[arg(long, value_name = "HEX")]
    snapshot_root: Option<zr_common::Hash>,
    /// The momentum height that root is the state after (the same final claim's).
    #[arg(long, value_name = "HEIGHT")]
    snapshot_height: Option<u64>,
}

/// Parses the command line, runs the executor until Ctrl-C or SIGTERM (or until execution faults: it then
/// exits with the reason), and exits non-zero with the error chain on failure.
pub fn main() {
    zr_common::daemon::main(|| run(Cli::parse()));
}

fn run(cli: Cli) -> eyre::Result<()> {
    let config = ExecutorConfig::load(&cli.args).wrap_err("invalid configuration")?;
    if let Some(path) = &cli.export_snapshot {
        let store = crate::StateStore::open(&config.data_dir)?;
        let head = crate::snapshot::export(&store, path)?;
        println!("exported height {} root {} to {}", head.height, head.root, path.display());
        return Ok(());
    }
    if let (Some(path), Some(root), Some(height)) = (&cli.import_snapshot, cli.snapshot_root, cli.snapshot_height) {
        let store = crate::StateStore::open(&config.data_dir)?;
        let head = crate::snapshot::import(&store, path, crate::store::Head { height, root })?;
        println!("imported height {} root {} into {}", head.height, head.root, config.data_dir.display());
        return Ok(());
    }
    let key_file = config.key_file.as_deref().expect("validated: key_file is set");
    let key = KeyPair::read_file(key_file).wrap_err("cannot load the executor key")?;
    zr_common::daemon::serve(&config.data_dir, async {
        let l1 = Arc::new(ZnndClient::for_section(&config.l1)?);
        crate::node::start(&config, key, l1).await.wrap_err("cannot start the executor")
    })
}
