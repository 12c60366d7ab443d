//! The explorer's RPC methods (`zr_rpc_api::explorer`): the executor's index rows joined with its receipts and
//! claims, and L1's settlement records read through the executor's own L1 connection.

use std::sync::Arc;

use futures::future::BoxFuture;
use jsonrpsee::core::RpcResult;
use jsonrpsee::types::ErrorObjectOwned;
use zr_common::rollup::settlement::{Bond, ChallengeRecord, ClaimRecord, DaRecord, FINALITY_WINDOW, FinalRoot};
use zr_common::{Address, Hash, TokenStandard};
use zr_rpc_api::explorer::{
    AddressTransactions, DepositView, EventView, ExecutorBond, InboxBlockView, L1AccountView, MAX_PAGE,
    MAX_SETTLEMENT_HEIGHTS, MomentumSummary, MomentumView, OverviewView, Place, RollupExplorerApiServer,
    SettlementView, SkippedView, TransactionDetail, TxSummary, WithdrawalView,
};
use zr_rpc_api::{RollupTxApiServer, TransactionStatus, codes};
use zr_sequencing::L1;

use crate::index::{MomentumRecord, Outcome, Role, TxRecord};
use crate::rollup::Rollup;

/// What the explorer reads from L1, object-safe so the RPC context holds any [`L1`].
pub trait ChainReads: Send + Sync {
    /// L1's frontier momentum height.
    fn frontier(&self) -> BoxFuture<'_, Result<u64, String>>;
    /// The final root.
    fn final_root(&self) -> BoxFuture<'_, Result<Option<FinalRoot>, String>>;
    /// Claims at `count` heights from `from`.
    fn claims(&self, from: u64, count: u64) -> BoxFuture<'_, Result<Vec<ClaimRecord>, String>>;
    /// Challenges of claims at `count` heights from `from`.
    fn challenges(&self, from: u64, count: u64) -> BoxFuture<'_, Result<Vec<ChallengeRecord>, String>>;
    /// Data-availability challenges of claims at `count` heights from `from`.
    fn da_challenges(&self, from: u64, count: u64) -> BoxFuture<'_, Result<Vec<DaRecord>, String>>;
    /// An account's height, ZNN and QSR.
    fn account(&self, address: Address) -> BoxFuture<'_, Result<(u64, u128, u128), String>>;
    /// An address's bond.
    fn bond(&self, address: Address) -> BoxFuture<'_, Result<Option<Bond>, String>>;
    /// The block that paid a withdrawal.
    fn withdrawal_paid(&self, tx_hash: Hash) -> BoxFuture<'_, Result<Option<Hash>, String>>;
}

impl<L: L1> ChainReads for L {
    fn frontier(&self) -> BoxFuture<'_, Result<u64, String>> {
        Box::pin(async move { self.frontier_momentum().await.map(|m| m.height).map_err(|e| e.to_string()) })
    }
    fn final_root(&self) -> BoxFuture<'_, Result<Option<FinalRoot>, String>> {
        Box::pin(async move { self.rollup_final().await.map_err(|e| e.to_string()) })
    }
    fn claims(&self, from: u64, count: u64) -> BoxFuture<'_, Result<Vec<ClaimRecord>, String>> {
        Box::pin(async move { self.rollup_claims(from, count).await.map_err(|e| e.to_string()) })
    }
    fn challenges(&self, from: u64, count: u64) -> BoxFuture<'_, Result<Vec<ChallengeRecord>, String>> {
        Box::pin(async move { self.rollup_challenges(from, count).await.map_err(|e| e.to_string()) })
    }
    fn da_challenges(&self, from: u64, count: u64) -> BoxFuture<'_, Result<Vec<DaRecord>, String>> {
        Box::pin(async move { self.rollup_da_challenges(from, count).await.map_err(|e| e.to_string()) })
    }
    fn account(&self, address: Address) -> BoxFuture<'_, Result<(u64, u128, u128), String>> {
        Box::pin(async move {
            let info = self.account_info(&address).await.map_err(|e| e.to_string())?;
            Ok((info.account_height, info.balance(&TokenStandard::ZNN), info.balance(&TokenStandard::QSR)))
        })
    }
    fn bond(&self, address: Address) -> BoxFuture<'_, Result<Option<Bond>, String>> {
        Box::pin(async move { self.rollup_bond(&address).await.map_err(|e| e.to_string()) })
    }
    fn withdrawal_paid(&self, tx_hash: Hash) -> BoxFuture<'_, Result<Option<Hash>, String>> {
        Box::pin(async move { self.rollup_withdrawal(&tx_hash).await.map_err(|e| e.to_string()) })
    }
}

/// Explorer requests that read L1 at once, across connections.
pub const L1_READS: usize = 4;
/// Executors whose bonds one `getSettlement` reads.
const MAX_BONDS: usize = 16;
/// Contracts whose ABIs one transaction's events are decoded with.
const MAX_ABIS: usize = 16;

fn invalid(message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(codes::INVALID_REQUEST, message.into(), None::<()>)
}

fn l1_error(message: String) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(codes::SERVER_ERROR, format!("L1: {message}"), None::<()>)
}

fn page(limit: u32) -> RpcResult<u32> {
    match limit {
        0 => Err(invalid("a page of 0 asked")),
        n if n > MAX_PAGE => Err(invalid(format!("a page of {n} asked, at most {MAX_PAGE}"))),
        n => Ok(n),
    }
}

/// The explorer's half of the executor's RPC.
#[derive(Clone)]
pub struct ExplorerContext {
    rollup: Arc<Rollup>,
    l1: Arc<dyn ChainReads>,
    transactions: crate::rpc::RpcContext,
    /// Explorer requests reading L1 at once: they share the executor's L1 connection with following
    /// momentums and posting claims, which must not wait behind page views.
    l1_slots: Arc<tokio::sync::Semaphore>,
}

impl ExplorerContext {
    /// The context over `rollup`, reading L1 through `l1`; `transactions` answers `getTransaction`.
    pub fn new(rollup: Arc<Rollup>, l1: Arc<dyn ChainReads>, transactions: crate::rpc::RpcContext) -> Self {
        ExplorerContext { rollup, l1, transactions, l1_slots: Arc::new(tokio::sync::Semaphore::new(L1_READS)) }
    }

    fn l1_slot(&self) -> RpcResult<tokio::sync::SemaphorePermit<'_>> {
        self.l1_slots.try_acquire().map_err(|_| {
            ErrorObjectOwned::owned(
                codes::SERVER_ERROR,
                format!("{L1_READS} explorer reads of L1 are running; try again shortly"),
                None::<()>,
            )
        })
    }

    /// `events` with each decoded by its contract's ABI where it declares the event.
    fn decoded_events(&self, events: &[zr_common::rollup::Event]) -> Vec<EventView> {
        let mut abis: std::collections::BTreeMap<Address, Option<zr_common::abi::Abi>> = Default::default();
        let mut out = Vec::with_capacity(events.len());
        for event in events {
            if !abis.contains_key(&event.contract) && abis.len() < MAX_ABIS {
                // A contract whose ABI cannot be read shows its events undecoded; the page still loads.
                let abi = self.transactions.contract_abi(event.contract).ok().flatten();
                abis.insert(event.contract, abi);
            }
            let fields = abis
                .get(&event.contract)
                .and_then(Option::as_ref)
                .and_then(|abi| abi.decode_event(&event.topic, &event.data))
                .and_then(Result::ok)
                .and_then(|decoded| decoded.get("fields").cloned());
            out.push(EventView {
                contract: event.contract,
                topic: String::from_utf8(event.topic.clone()).unwrap_or_else(|_| hex::encode(&event.topic)),
                data: hex::encode(&event.data),
                fields,
            });
        }
        out
    }

    /// A transaction's detail; its events decoded when `decode_events`.
    fn detail(&self, hash: Hash, decode_events: bool) -> RpcResult<Option<TransactionDetail>> {
        let Some(transaction) = self.transactions.get_transaction(hash)? else { return Ok(None) };
        let (Some(height), Some(index)) = (transaction.height, transaction.index) else {
            return Ok(Some(TransactionDetail { transaction, summary: None, momentum: None, events: Vec::new() }));
        };
        let store = self.rollup.store();
        let summary = store
            .transaction_record(height, index)?
            .filter(|r| r.hash == hash)
            .map(|record| Self::tx_summary(height, index, record, None));
        let momentum = match store.momentum_record(height)? {
            Some(record) => Some(self.summary(height, &record)?),
            None => None,
        };
        let events = match &transaction.receipt {
            Some(receipt) if decode_events => self.decoded_events(&receipt.events),
            _ => Vec::new(),
        };
        Ok(Some(TransactionDetail { transaction, summary, momentum, events }))
    }

    fn summary(&self, height: u64, record: &MomentumRecord) -> RpcResult<MomentumSummary> {
        Ok(MomentumSummary {
            height,
            l1_hash: record.l1_hash,
            timestamp: record.timestamp,
            executed_at_ms: record.executed_at_ms,
            state_root: self.rollup.store().state_root(height)?,
            transactions: record.transactions,
            failed: record.failed,
            dropped: record.dropped,
            gas_used: record.gas_used,
            bundles: record.inbox.iter().filter(|b| b.kind == "bundle").count() as u32,
            deposits: record.deposits.len() as u32,
        })
    }

    /// A transaction's summary, with its outcome as its receipt said at commit.
    fn tx_summary(height: u64, index: u32, record: TxRecord, role: Option<Role>) -> TxSummary {
        let outcome = record.outcome;
        let status = match outcome.status {
            Outcome::EXECUTED => TransactionStatus::Executed,
            Outcome::FAILED => TransactionStatus::Failed,
            _ => TransactionStatus::Dropped,
        };
        // A drop pays nothing; anything executed pays its gas at its fee.
        let fee = match status {
            TransactionStatus::Dropped => 0,
            _ => u128::from(outcome.gas_used) * u128::from(record.fee_per_gas),
        };
        TxSummary {
            hash: record.hash,
            height,
            index,
            sender: record.sender,
            nonce: record.nonce,
            action: record.action,
            target: record.target,
            method: record.method,
            amount: record.amount,
            token: record.token,
            l1_recipient: record.l1_recipient,
            gas_limit: record.gas_limit,
            fee_per_gas: record.fee_per_gas,
            poster: record.poster,
            status: Some(status),
            gas_used: Some(outcome.gas_used),
            fee: Some(fee),
            reason: outcome.reason,
            role: role.map(|r| {
                match r {
                    Role::Sender => "sender",
                    Role::Target => "target",
                    Role::Deployed => "deployed",
                }
                .to_owned()
            }),
        }
    }
}

#[jsonrpsee::core::async_trait]
impl RollupExplorerApiServer for ExplorerContext {
    fn get_momentums(&self, top: Option<u64>, count: u32) -> RpcResult<OverviewView> {
        let count = page(count)?;
        let head = self.rollup.head().height;
        let records = self.rollup.store().recent_momentums(top.unwrap_or(head).min(head), count)?;
        let momentums =
            records.iter().map(|(height, record)| self.summary(*height, record)).collect::<RpcResult<_>>()?;
        Ok(OverviewView { head, final_height: self.rollup.final_height(), momentums })
    }

    fn get_momentum(&self, height: u64, offset: u32, limit: u32) -> RpcResult<Option<MomentumView>> {
        let limit = page(limit)?;
        let store = self.rollup.store();
        let Some(record) = store.momentum_record(height)? else { return Ok(None) };
        let transactions = store
            .momentum_transactions(height, offset, limit)?
            .into_iter()
            .map(|(index, tx)| Self::tx_summary(height, index, tx, None))
            .collect();
        Ok(Some(MomentumView {
            summary: self.summary(height, &record)?,
            claim: store.claim(height)?,
            inbox: record
                .inbox
                .into_iter()
                .map(|b| InboxBlockView {
                    l1_block: b.l1_block,
                    sender: b.sender,
                    kind: b.kind,
                    bytes: b.bytes,
                    amount: b.amount,
                    token: b.token,
                    fused_plasma: b.fused_plasma,
                    difficulty: b.difficulty,
                })
                .collect(),
            deposits: record
                .deposits
                .into_iter()
                .map(|d| DepositView { account: d.account, token: d.token, amount: d.amount, l1_block: d.l1_block })
                .collect(),
            skipped: record.skipped.into_iter().map(|(l1_block, reason)| SkippedView { l1_block, reason }).collect(),
            offset,
            transactions,
        }))
    }

    fn get_transaction_detail(&self, hash: Hash) -> RpcResult<Option<TransactionDetail>> {
        self.detail(hash, true)
    }

    fn get_address_transactions(
        &self,
        address: Address,
        before: Option<Place>,
        limit: u32,
    ) -> RpcResult<AddressTransactions> {
        let limit = page(limit)?;
        // One more than the page: a `next` cursor only when there is an older row.
        let mut rows =
            self.rollup.store().address_transactions(&address, before.map(|p| (p.height, p.index)), limit + 1)?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next =
            more.then(|| rows.last().map(|((height, index), _, _)| Place { height: *height, index: *index })).flatten();
        let transactions = rows
            .into_iter()
            .map(|((height, index), tx, role)| Self::tx_summary(height, index, tx, Some(role)))
            .collect();
        Ok(AddressTransactions { address, transactions, next })
    }

    async fn get_settlement(&self, from: u64, count: u64) -> RpcResult<SettlementView> {
        if count == 0 || count > MAX_SETTLEMENT_HEIGHTS {
            return Err(invalid(format!("{count} heights asked, from 1 to {MAX_SETTLEMENT_HEIGHTS}")));
        }
        let from = from.max(1);
        let _slot = self.l1_slot()?;
        let (frontier, final_root, claims, challenges, da_challenges) = futures::try_join!(
            self.l1.frontier(),
            self.l1.final_root(),
            self.l1.claims(from, count),
            self.l1.challenges(from, count),
            self.l1.da_challenges(from, count),
        )
        .map_err(l1_error)?;
        let executors: std::collections::BTreeSet<zr_common::PublicKey> = claims.iter().map(|c| c.executor).collect();
        let bonds = futures::future::try_join_all(executors.into_iter().take(MAX_BONDS).map(|executor| async move {
            let address = Address::from_public_key(&executor.0);
            let bond = self.l1.bond(address).await?;
            Ok::<_, String>(ExecutorBond { executor, address, bond })
        }))
        .await
        .map_err(l1_error)?;
        Ok(SettlementView {
            l1_frontier: frontier,
            final_root,
            finality_window: FINALITY_WINDOW,
            claims,
            challenges,
            da_challenges,
            bonds,
        })
    }

    async fn get_l1_account(&self, address: Address) -> RpcResult<L1AccountView> {
        let _slot = self.l1_slot()?;
        let ((height, znn, qsr), bond) =
            futures::try_join!(self.l1.account(address), self.l1.bond(address)).map_err(l1_error)?;
        Ok(L1AccountView { address, height, znn, qsr, bond })
    }

    async fn get_withdrawal(&self, tx_hash: Hash) -> RpcResult<WithdrawalView> {
        // The store reads block: off the async workers.
        let context = self.clone();
        let detail = tokio::task::spawn_blocking(move || context.detail(tx_hash, false))
            .await
            .map_err(|_| invalid("the withdrawal's lookup failed"))??;
        let Some(detail) = detail else {
            return Err(invalid(format!("no transaction {tx_hash} executed here")));
        };
        if detail.summary.as_ref().is_some_and(|s| s.action != "withdraw") {
            return Err(invalid(format!("transaction {tx_hash} is not a withdrawal")));
        }
        let _slot = self.l1_slot()?;
        let paid_l1_block = self.l1.withdrawal_paid(tx_hash).await.map_err(l1_error)?;
        Ok(WithdrawalView {
            tx_hash,
            status: detail.transaction.status,
            receipt: detail.transaction.receipt,
            height: detail.transaction.height,
            summary: detail.summary,
            finalized: detail.transaction.finalized,
            paid_l1_block,
        })
    }
}
