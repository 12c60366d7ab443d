//! The `L1` trait: what zrollup needs from NoM.

use std::future::Future;

use tokio::sync::mpsc;
use zr_common::nom::rpc::{
    AccountInfo, DetailedMomentum, GetRequiredParam, GetRequiredResult, MomentumEvent, PlasmaInfo,
};
use zr_common::nom::{AccountBlock, Momentum};
use zr_common::rollup::settlement::{Bond, ChallengeRecord, ClaimRecord, DaRecord, FinalRoot};
use zr_common::{Address, Hash};

use crate::L1Error;

/// A live stream of new-momentum notifications; ends when the connection does.
pub struct MomentumSubscription {
    /// The notifications, in order.
    pub events: mpsc::Receiver<MomentumEvent>,
}

/// Unreceived sends asked for at once.
pub const UNRECEIVED_PAGE: u32 = 50;

/// A NoM node (znnd or `zr-devnet`) as zrollup uses it.
pub trait L1: Send + Sync {
    /// The newest momentum.
    fn frontier_momentum(&self) -> impl Future<Output = Result<Momentum, L1Error>> + Send;

    /// Up to `count` momentums from `height`, each with its account blocks in content order. Fewer (or
    /// none) past the frontier.
    fn detailed_momentums(
        &self,
        height: u64,
        count: u64,
    ) -> impl Future<Output = Result<Vec<DetailedMomentum>, L1Error>> + Send;

    /// Subscribes to new momentums.
    fn subscribe_momentums(&self) -> impl Future<Output = Result<MomentumSubscription, L1Error>> + Send;

    /// Publishes a signed account block.
    fn publish(&self, block: &AccountBlock) -> impl Future<Output = Result<(), L1Error>> + Send;

    /// The newest block of an account (unconfirmed ones included), `None` for an empty account.
    fn frontier_block(&self, address: &Address) -> impl Future<Output = Result<Option<AccountBlock>, L1Error>> + Send;

    /// An account's height and balances.
    fn account_info(&self, address: &Address) -> impl Future<Output = Result<AccountInfo, L1Error>> + Send;

    /// An account's plasma.
    fn plasma(&self, address: &Address) -> impl Future<Output = Result<PlasmaInfo, L1Error>> + Send;

    /// The plasma a block needs and the PoW difficulty that would pay what fused plasma does not.
    fn required_pow(&self, param: &GetRequiredParam)
    -> impl Future<Output = Result<GetRequiredResult, L1Error>> + Send;

    /// The rollup's final root as L1's settlement decided it (`embedded.rollup.getFinal`); `None` before any
    /// claim is final.
    fn rollup_final(&self) -> impl Future<Output = Result<Option<FinalRoot>, L1Error>> + Send;

    /// The bond `address` has locked in the inbox (`embedded.rollup.getBond`).
    fn rollup_bond(&self, address: &Address) -> impl Future<Output = Result<Option<Bond>, L1Error>> + Send;

    /// The claims L1 recorded for `count` heights from `height`, with their status
    /// (`embedded.rollup.getClaims`).
    fn rollup_claims(&self, height: u64, count: u64) -> impl Future<Output = Result<Vec<ClaimRecord>, L1Error>> + Send;

    /// The data-availability challenges of claims at `count` heights from `height`
    /// (`embedded.rollup.getDaChallenges`).
    fn rollup_da_challenges(
        &self,
        height: u64,
        count: u64,
    ) -> impl Future<Output = Result<Vec<DaRecord>, L1Error>> + Send;

    /// Confirmed sends to `address` it has not received yet: page `page` of
    /// `ledger.getUnreceivedBlocksByAddress` ([`UNRECEIVED_PAGE`] a page; a shorter page is the last), which lists
    /// at most the first 500 of the account's mailbox in hash order, in 10 pages.
    fn unreceived_blocks(
        &self,
        address: &Address,
        page: u32,
    ) -> impl Future<Output = Result<Vec<AccountBlock>, L1Error>> + Send;

    /// The data-availability challenges still open, of claims at any height
    /// (`embedded.rollup.getOpenDaChallenges`).
    fn rollup_open_da_challenges(&self) -> impl Future<Output = Result<Vec<DaRecord>, L1Error>> + Send;

    /// The challenges of claims at `count` heights from `height`, with their verdicts
    /// (`embedded.rollup.getChallenges`).
    fn rollup_challenges(
        &self,
        height: u64,
        count: u64,
    ) -> impl Future<Output = Result<Vec<ChallengeRecord>, L1Error>> + Send;

    /// The L1 block that paid the withdrawal `tx_hash`, `None` while unpaid (`embedded.rollup.getWithdrawal`).
    fn rollup_withdrawal(&self, tx_hash: &Hash) -> impl Future<Output = Result<Option<Hash>, L1Error>> + Send;
}

/// `embedded.rollup.getWithdrawal`'s answer for a paid withdrawal.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaidWithdrawal {
    /// The paying L1 block.
    pub l1_block: Hash,
}
