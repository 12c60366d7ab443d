//! The devnet as an in-process [`L1`]: the rollup's daemons and tests drive the chain directly, with the same
//! answers (and the same refusals) as its JSON-RPC gives, but no HTTP in between.

use std::sync::Arc;

use jsonrpsee::types::ErrorObjectOwned;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;
use zr_common::Address;
use zr_common::nom::rpc::{
    AccountInfo, DetailedMomentum, GetRequiredParam, GetRequiredResult, MomentumEvent, PlasmaInfo,
};
use zr_common::nom::{AccountBlock, Momentum};
use zr_common::rollup::settlement::{Bond, ClaimRecord, DaRecord, FinalRoot};
use zr_sequencing::{L1, L1Error, MomentumSubscription, Refusal};

use crate::chain::Chain;
use crate::rpc;

/// The devnet chain behind the [`L1`] trait.
#[derive(Clone)]
pub struct InProcessL1 {
    chain: Arc<Chain>,
}

impl InProcessL1 {
    /// An adapter over `chain`.
    pub fn new(chain: Arc<Chain>) -> InProcessL1 {
        InProcessL1 { chain }
    }
}

fn refused(method: &'static str) -> impl Fn(ErrorObjectOwned) -> L1Error {
    move |e| L1Error::Rpc { method: method.into(), code: i64::from(e.code()), message: e.message().to_owned() }
}

impl L1 for InProcessL1 {
    async fn frontier_momentum(&self) -> Result<Momentum, L1Error> {
        Ok(self.chain.frontier_momentum())
    }

    async fn detailed_momentums(&self, height: u64, count: u64) -> Result<Vec<DetailedMomentum>, L1Error> {
        let count = count.min(rpc::MAX_COUNT);
        Ok(rpc::detailed(&self.chain, height, count).map_err(refused("ledger.getDetailedMomentumsByHeight"))?.list)
    }

    async fn subscribe_momentums(&self) -> Result<MomentumSubscription, L1Error> {
        let mut confirmed = self.chain.subscribe();
        let (tx, events) = mpsc::channel(64);
        tokio::spawn(async move {
            loop {
                let momentum = match confirmed.recv().await {
                    Ok(event) => event.momentum.clone(),
                    // A lagging follower re-reads by height, as it does with znnd.
                    Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => return,
                };
                if tx.send(MomentumEvent { hash: momentum.hash, height: momentum.height }).await.is_err() {
                    return;
                }
            }
        });
        Ok(MomentumSubscription { events })
    }

    async fn publish(&self, block: &AccountBlock) -> Result<(), L1Error> {
        self.chain
            .publish(block.clone())
            .map_err(|e| L1Error::Refused { reason: Refusal::of_message(&e.0), message: e.0 })
    }

    async fn frontier_block(&self, address: &Address) -> Result<Option<AccountBlock>, L1Error> {
        let block = rpc::frontier_block(&self.chain, *address).map_err(refused("ledger.getFrontierAccountBlock"))?;
        Ok(block.map(|b| b.block))
    }

    async fn account_info(&self, address: &Address) -> Result<AccountInfo, L1Error> {
        Ok(rpc::account_info(&self.chain, *address))
    }

    async fn plasma(&self, address: &Address) -> Result<PlasmaInfo, L1Error> {
        Ok(rpc::plasma_info(&self.chain, *address))
    }

    async fn required_pow(&self, param: &GetRequiredParam) -> Result<GetRequiredResult, L1Error> {
        rpc::required_pow(&self.chain, param.clone()).map_err(refused("embedded.plasma.getRequiredPoWForAccountBlock"))
    }

    async fn rollup_final(&self) -> Result<Option<FinalRoot>, L1Error> {
        Ok(self.chain.settlement().final_root())
    }

    async fn rollup_bond(&self, address: &Address) -> Result<Option<Bond>, L1Error> {
        Ok(self.chain.settlement().bond(address).cloned())
    }

    async fn rollup_claims(&self, height: u64, count: u64) -> Result<Vec<ClaimRecord>, L1Error> {
        rpc::check_range(height, count).map_err(refused("embedded.rollup.getClaims"))?;
        Ok(self.chain.settlement().claims(height, count))
    }

    async fn rollup_da_challenges(&self, height: u64, count: u64) -> Result<Vec<DaRecord>, L1Error> {
        rpc::check_range(height, count).map_err(refused("embedded.rollup.getDaChallenges"))?;
        Ok(self.chain.settlement().da_challenges(height, count))
    }

    async fn unreceived_blocks(&self, address: &Address, page: u32) -> Result<Vec<AccountBlock>, L1Error> {
        if page >= rpc::UNRECEIVED_MAX_PAGE_INDEX {
            return Err(L1Error::Rpc {
                method: "ledger.getUnreceivedBlocksByAddress".into(),
                code: -32000,
                message: rpc::PAGE_INDEX_TOO_BIG.into(),
            });
        }
        let unreceived = self.chain.unreceived(address).map_err(|e| L1Error::Invalid(e.to_string()))?;
        let size = zr_sequencing::UNRECEIVED_PAGE as usize;
        Ok(unreceived.sends.into_iter().skip(page as usize * size).take(size).map(|s| s.block).collect())
    }

    async fn rollup_open_da_challenges(&self) -> Result<Vec<DaRecord>, L1Error> {
        Ok(self.chain.settlement().open_da_challenges())
    }

    async fn rollup_challenges(
        &self,
        height: u64,
        count: u64,
    ) -> Result<Vec<zr_common::rollup::settlement::ChallengeRecord>, L1Error> {
        rpc::check_range(height, count).map_err(refused("embedded.rollup.getChallenges"))?;
        Ok(self.chain.settlement().challenges(height, count))
    }

    async fn rollup_withdrawal(&self, tx_hash: &zr_common::Hash) -> Result<Option<zr_common::Hash>, L1Error> {
        Ok(self.chain.settlement().payout(tx_hash))
    }
}
