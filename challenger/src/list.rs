//! `zr-challenge list`: the claims L1 recorded for recent heights, with their status and what is left of
//! their challenge window, from the inbox contract's settlement (`embedded.rollup.getClaims`).

use eyre::WrapErr;
use zr_common::rollup::settlement::{ClaimRecord, ClaimStatus};
use zr_config::ChallengerConfig;
use zr_sequencing::{L1, ZnndClient};

/// The most heights one `list` shows (the devnet's RPC serves at most this many at once).
pub const MAX_HEIGHTS: u64 = 1_000;

/// Prints the claims of `heights` heights up to `until` (the L1 frontier when `None`); returns the exit code.
pub async fn run(config: &ChallengerConfig, until: Option<u64>, heights: u64, json: bool) -> eyre::Result<i32> {
    let l1 = ZnndClient::for_section(&config.l1)?;
    let frontier = l1.frontier_momentum().await.wrap_err("cannot reach L1")?.height;
    let top = until.unwrap_or(frontier);
    let heights = heights.clamp(1, MAX_HEIGHTS);
    let from = top.saturating_sub(heights - 1).max(1);
    let claims = l1
        .rollup_claims(from, top - from + 1)
        .await
        .wrap_err("cannot read the claims from L1 (does this node run the rollup's settlement?)")?;
    let settled = l1.rollup_final().await?;
    if json {
        let out = serde_json::json!({ "frontier": frontier, "final": settled, "claims": claims });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(0);
    }
    match settled {
        Some(f) => println!("final: height {} root {} (L1 frontier {frontier})", f.height, f.root),
        None => println!("final: nothing yet (L1 frontier {frontier})"),
    }
    if claims.is_empty() {
        println!("no claims recorded for heights {from}..={top}");
        return Ok(0);
    }
    println!("{:>8}  {:<64}  {:<64}  {:<8}  window", "height", "executor", "root", "status");
    for claim in &claims {
        println!(
            "{:>8}  {:<64}  {:<64}  {:<8}  {}",
            claim.height,
            claim.executor.to_hex(),
            claim.new_state_root.to_hex(),
            status_word(claim),
            window(claim, frontier)
        );
    }
    Ok(0)
}

fn status_word(claim: &ClaimRecord) -> &'static str {
    match claim.status {
        ClaimStatus::Pending => "pending",
        ClaimStatus::Final { .. } => "final",
        ClaimStatus::Unfinalizable { .. } => "never",
        ClaimStatus::Rejected { .. } => "rejected",
    }
}

fn window(claim: &ClaimRecord, frontier: u64) -> String {
    match &claim.status {
        ClaimStatus::Pending if frontier < claim.window_ends() => {
            format!("{} momentums left", claim.window_ends() - frontier)
        }
        ClaimStatus::Pending => "closed, waiting for the height before".into(),
        ClaimStatus::Final { at } => format!("final at momentum {at}"),
        ClaimStatus::Unfinalizable { reason } => reason.clone(),
        ClaimStatus::Rejected { challenge, reason } => format!("{reason} (challenge {challenge})"),
    }
}
