//! The `zr-challenge` command line, as a library function so test harnesses can run it in a child process.
//!
//! `zr-challenge` checks an executor's claims. `verify` reads a claim from L1 (not from the executor),
//! fetches its leaves and each leaf's witness from an executor, checks the leaf commitment and re-executes
//! every leaf (or the one named) statelessly with its own VM. `list` shows the claims L1 recorded, their
//! status and challenge windows.
//!
//! Exit codes: 0 when the claim holds (or the list was printed), 1 when a leaf is wrong, 2 when it could not
//! be checked.

use clap::{Parser, Subcommand};
use eyre::WrapErr;
use zr_config::{ChallengerArgs, ChallengerConfig};

/// Checks zrollup executors' claims.
#[derive(Parser)]
#[command(name = "zr-challenge", version, about)]
struct Cli {
    #[command(flatten)]
    args: ChallengerArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check the claim for a momentum: its leaf commitment, and every leaf (or one) re-executed from its
    /// witness.
    Verify {
        /// The momentum height.
        height: u64,
        /// Check only this leaf (0 is the prelude).
        #[arg(long = "tx", value_name = "INDEX")]
        index: Option<u32>,
        /// The claim of this executor (public key, hex); the executor queried by default.
        #[arg(long, value_name = "PUBLIC_KEY")]
        claimer: Option<zr_common::PublicKey>,
        /// Momentums after the height searched for the claim on L1.
        #[arg(long, default_value_t = 64)]
        search: u64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Challenge another executor's claim at one leaf: build the witness with this challenger's executor
    /// (`--executor`), check it, bond if needed, post it to L1 in parts.
    Submit {
        /// The claim's momentum height.
        height: u64,
        /// The leaf (0 is the prelude; transaction i is leaf i + 1).
        index: u32,
        /// The challenged executor's JSON-RPC URL (its key and its leaves).
        #[arg(long, value_name = "URL", required_unless_present = "executor_key", conflicts_with = "executor_key")]
        against: Option<String>,
        /// Instead of `--against`: the challenged executor's public key (hex), its leaves read from L1, where it
        /// posted them to answer a data-availability challenge (`submit-da`).
        #[arg(long, value_name = "PUBLIC_KEY")]
        executor_key: Option<zr_common::PublicKey>,
        /// Submit even if this challenger's own check finds the leaf correct (the bond is then forfeit).
        #[arg(long)]
        force: bool,
        /// Wait for the pillars' verdict and print it.
        #[arg(long)]
        wait: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Follow every claim L1 records and compare it with this challenger's executor (`--executor`); with
    /// `--challenge`, challenge the first wrong leaf of a diverging claim whose executor is a `--peer`.
    Watch {
        /// A peer executor's JSON-RPC URL, whose leaves can be fetched; repeat for several.
        #[arg(long = "peer", value_name = "URL")]
        peers: Vec<String>,
        /// Post challenges (watch only by default).
        #[arg(long)]
        challenge: bool,
        /// One pass over the claims recorded, then exit (1 if a diverging claim was left unchallenged).
        #[arg(long)]
        once: bool,
        /// Print JSON lines.
        #[arg(long)]
        json: bool,
    },
    /// A data-availability challenge: the executor must post its claim's leaves to L1 within 20 momentums or
    /// the claim is rejected and its bond slashed (if it does post them, the challenger's bond is forfeit).
    SubmitDa {
        /// The claim's momentum height.
        height: u64,
        /// The executor challenged (public key, hex).
        #[arg(long, value_name = "PUBLIC_KEY")]
        executor_key: zr_common::PublicKey,
        /// Wait until it is answered or expires.
        #[arg(long)]
        wait: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// A challenge's verdict, from L1.
    Status {
        /// The challenge id (what `submit` printed).
        id: zr_common::Hash,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the claims L1 recorded for recent heights: executor, root, status, challenge window left.
    List {
        /// The highest height listed; the L1 frontier by default.
        #[arg(long, value_name = "HEIGHT")]
        until: Option<u64>,
        /// How many heights (at most 1000).
        #[arg(long, default_value_t = 20)]
        heights: u64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Parses the command line, runs it, and exits with its code (2 on an error: nothing could be checked).
pub fn main() {
    zr_common::daemon::init_tracing("warn");
    let cli = Cli::parse();
    let code = match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            2
        }
    };
    std::process::exit(code);
}

fn run(cli: Cli) -> eyre::Result<i32> {
    let mut config = ChallengerConfig::load(&cli.args)?;
    let runtime = tokio::runtime::Runtime::new()?;
    if config.chain_id == 0 {
        config.chain_id = runtime.block_on(chain_id_on_l1(&config))?;
    }
    match cli.command {
        Command::Verify { height, index, claimer, search, json } => runtime
            .block_on(crate::verify::run(&config, crate::verify::Request { height, index, claimer, search, json })),
        Command::List { until, heights, json } => runtime.block_on(crate::list::run(&config, until, heights, json)),
        Command::Submit { height, index, against, executor_key, force, wait, json } => {
            let against = match (against, executor_key) {
                (Some(url), _) => crate::submit::Against::Executor(url),
                (None, Some(key)) => crate::submit::Against::L1(key),
                (None, None) => unreachable!("clap requires --against or --executor-key"),
            };
            runtime.block_on(crate::submit::run(
                &config,
                crate::submit::Submit { height, index, against, force, wait, json },
            ))
        }
        Command::SubmitDa { height, executor_key, wait, json } => {
            runtime.block_on(crate::submit::submit_da(&config, executor_key, height, wait, json))
        }
        Command::Status { id, json } => runtime.block_on(crate::submit::status(&config, id, json)),
        Command::Watch { peers, challenge, once, json } => runtime
            .block_on(crate::watch::run(&config, crate::watch::Watch { peers, challenge, once, json, announce: true })),
    }
}

/// The rollup chain id L1's settlement parameters fix: the only one whose claims L1 records.
async fn chain_id_on_l1(config: &ChallengerConfig) -> eyre::Result<u64> {
    let l1 = zr_sequencing::ZnndClient::for_section(&config.l1)?;
    let parameters: zr_common::rollup::settlement::Parameters =
        l1.call("embedded.rollup.getParameters", serde_json::json!([])).await.wrap_err_with(|| {
            format!("cannot read the rollup's chain id from L1 at {} (give it with --chain-id)", config.l1.http)
        })?;
    Ok(parameters.chain_id)
}
