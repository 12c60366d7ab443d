//! The L1 half of `zr withdraw`: wait until the claim that burned the withdrawal is final, prove the
//! withdrawal against the final root, post the proof to the inbox, and wait for the inbox's payout.

use std::time::{Duration, Instant};

use eyre::{WrapErr, bail};
use serde_json::json;
use zr_common::{Address, Canonical, Hash, KeyPair, TokenStandard};
use zr_protocol::StateKey;
use zr_rpc_api::{RollupStateApiClient, RollupTxApiClient};
use zr_sequencing::bundle::{WithdrawalProof, encode_withdrawal};
use zr_sequencing::{L1, SendRequest};

use super::net::Net;

/// Where a withdrawal ended.
pub struct Paid {
    /// The final height it was proven at.
    pub final_height: u64,
    /// The L1 block that paid it.
    pub l1_block: Hash,
}

/// Receives the payout `l1_block` into `key`'s own L1 account with an ordinary receive block (as a NoM
/// wallet would, finding it with `ledger.getUnreceivedBlocksByAddress`); the receive block.
pub async fn receive_payout(net: &Net, key: &KeyPair, l1_block: Hash) -> eyre::Result<zr_common::nom::AccountBlock> {
    let chain_identifier = net.l1.frontier_momentum().await?.chain_identifier;
    let deadline = Instant::now() + Duration::from_secs(net.args.timeout);
    loop {
        match zr_sequencing::receive_block(net.l1.as_ref(), chain_identifier, key, l1_block).await {
            Ok(block) => return Ok(block),
            // Plasma held by unconfirmed blocks comes back when a momentum confirms them.
            Err(err) if err.clears_with_next_momentum() && Instant::now() < deadline => {
                net.progress("waiting for plasma to receive the payout (the next momentum frees it)…");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(err) => return Err(err).wrap_err_with(|| format!("cannot receive the payout {l1_block} on L1")),
        }
    }
}

/// Waits for finality, proves, posts and waits for the payout of the withdrawal `tx_hash`.
pub async fn pay_when_final(net: &Net, key: &KeyPair, tx_hash: Hash) -> eyre::Result<Paid> {
    let started = Instant::now();
    let timeout = Duration::from_secs(net.args.timeout.max(60));
    let executed_at = loop {
        let view = net.executor.get_transaction(tx_hash).await?.ok_or_else(|| eyre::eyre!("{tx_hash} vanished"))?;
        let settled = net.l1.rollup_final().await.wrap_err("cannot read the final root from L1")?;
        match settled {
            Some(f) if view.finalized && f.height >= view.height.unwrap_or(u64::MAX) => break f,
            _ if started.elapsed() > timeout => {
                bail!("the withdrawal's claim is not final after {} s", timeout.as_secs())
            }
            _ => {
                net.progress(&format!("waiting for its claim to be final… {}s", started.elapsed().as_secs()));
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        }
    };
    net.progress_line(&format!("claimed and final at height {}", executed_at.height));
    let key_hash = StateKey::Withdrawal { tx_hash };
    let proven = net.executor.get_proof(key_hash, Some(executed_at.height)).await?;
    if proven.root != executed_at.root {
        bail!("the executor's state root at height {} is not the final one on L1", executed_at.height);
    }
    let Some(value) = proven.value else { bail!("the executor's state holds no withdrawal {tx_hash}") };
    let proof = WithdrawalProof { tx_hash, height: executed_at.height, value, proof: proven.proof };
    debug_assert!(proof.to_bytes().len() < 16 * 1024);
    let send =
        SendRequest { to: Address::INBOX, token: TokenStandard::ZERO, amount: 0, data: encode_withdrawal(&proof) };
    let block = net.post(key, send).await?;
    net.progress_line(&format!("proof posted to the inbox in L1 block {}", block.hash));
    loop {
        let paid: Option<serde_json::Value> = net.l1.call("embedded.rollup.getWithdrawal", json!([tx_hash])).await?;
        if let Some(l1_block) = paid.and_then(|p| p["l1Block"].as_str().and_then(|h| h.parse::<Hash>().ok())) {
            net.progress_done();
            return Ok(Paid { final_height: executed_at.height, l1_block });
        }
        if started.elapsed() > timeout {
            bail!("the inbox has not paid withdrawal {tx_hash} (see embedded.rollup.getRefused on L1)");
        }
        net.progress(&format!("waiting for the payout… {}s", started.elapsed().as_secs()));
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}
