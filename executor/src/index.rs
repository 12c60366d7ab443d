//! The explorer's index: per momentum, what L1 carried (its inbox blocks, deposits, skipped bundles) and when
//! it was executed; per transaction, who sent it and what it does; per address, the transactions that name it.
//! Written in the same redb transaction as the momentum's receipts and pruned with them (`prune_depth`); each
//! transaction's outcome is copied from its receipt, so a drop (whose receipt is forgotten sooner) still reads
//! as one. Nothing here is hashed into any state or claim: the execution wall time is
//! for people, not for consensus.

use redb::{ReadableDatabase, ReadableTable, TableDefinition};
use zr_common::nom::AccountBlock;
use zr_common::nom::rpc::DetailedMomentum;
use zr_common::rollup::TxKind;
use zr_common::{Address, Hash, TokenStandard};
use zr_sequencing::Ordered;

use crate::store::StoreError;

/// Height → the momentum's [`MomentumRecord`].
pub(crate) const MOMENTUMS: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("explorer_momentums");
/// (height, position) → the transaction's [`TxRecord`].
pub(crate) const TXS: TableDefinition<'_, (u64, u32), &[u8]> = TableDefinition::new("explorer_transactions");
/// (address, height, position) → how the transaction names the address ([`Role`]).
pub(crate) const BY_ADDRESS: TableDefinition<'_, ([u8; 20], u64, u32), u8> =
    TableDefinition::new("explorer_by_address");

/// The most bytes a stored record may decode from.
const RECORD_LIMIT: usize = 1024 * 1024;

/// How a transaction names an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Role {
    /// It signed it.
    Sender = 1,
    /// It receives a transfer, or is the contract called.
    Target = 2,
    /// It is the contract the transaction deployed.
    Deployed = 3,
}

impl Role {
    fn from_u8(value: u8) -> Role {
        match value {
            1 => Role::Sender,
            3 => Role::Deployed,
            _ => Role::Target,
        }
    }
}

/// One block L1 sent to the inbox in a momentum.
#[derive(Debug, Clone, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct InboxBlock {
    /// The L1 account block.
    pub l1_block: Hash,
    /// The L1 account that sent it (a bundle's relay, an executor's claim, a depositor, …).
    pub sender: Address,
    /// What its data is, by its tag: `bundle`, `claim`, `bond`, `unbond`, `challenge part`, `withdrawal`,
    /// `data-availability challenge`, `leaves part`, `deposit` (no data) or `unknown`.
    pub kind: String,
    /// Its data's length.
    pub bytes: u64,
    /// ZNN or QSR sent with it.
    pub amount: u128,
    /// The token of `amount`.
    pub token: TokenStandard,
    /// Plasma it fused.
    pub fused_plasma: u64,
    /// The PoW difficulty it paid (0: none).
    pub difficulty: u64,
}

/// A deposit the momentum's prelude credited.
#[derive(Debug, Clone, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct DepositRecord {
    /// The L1 account credited on the rollup.
    pub account: Address,
    /// ZNN or QSR.
    pub token: TokenStandard,
    /// The amount.
    pub amount: u128,
    /// The L1 block that sent it.
    pub l1_block: Hash,
}

/// What the explorer keeps of a momentum.
#[derive(Debug, Clone, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct MomentumRecord {
    /// The L1 momentum's hash.
    pub l1_hash: Hash,
    /// Its timestamp (unix seconds).
    pub timestamp: u64,
    /// When this executor committed it (unix milliseconds, this machine's clock).
    pub executed_at_ms: u64,
    /// Its inbox blocks, in content order.
    pub inbox: Vec<InboxBlock>,
    /// The prelude's deposits.
    pub deposits: Vec<DepositRecord>,
    /// Bundles the ordering rule skipped, with why.
    pub skipped: Vec<(Hash, String)>,
    /// Transactions in its canonical order.
    pub transactions: u32,
    /// Of them, failed.
    pub failed: u32,
    /// Of them, dropped.
    pub dropped: u32,
    /// Gas its transactions used.
    pub gas_used: u64,
}

/// What the explorer keeps of a transaction.
#[derive(Debug, Clone, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct TxRecord {
    /// Its hash.
    pub hash: Hash,
    /// Its sender.
    pub sender: Address,
    /// Its nonce.
    pub nonce: u64,
    /// Its fee per gas.
    pub fee_per_gas: u64,
    /// Its gas limit.
    pub gas_limit: u64,
    /// The relay whose bundle carried it.
    pub poster: Address,
    /// What it does: `transfer`, `call`, `deploy`, `upload`, `withdraw`.
    pub action: String,
    /// The receiver, the contract called or the contract deployed.
    pub target: Option<Address>,
    /// The method called.
    pub method: Option<String>,
    /// The amount moved (a transfer, a withdrawal, ZNN sent with a call or deploy).
    pub amount: u128,
    /// The token of `amount`.
    pub token: TokenStandard,
    /// A withdrawal's L1 recipient.
    pub l1_recipient: Option<Address>,
    /// How it ended, from its receipt at commit (kept as long as the record, though a drop's receipt is
    /// forgotten sooner).
    pub outcome: Outcome,
}

/// How a transaction ended, as its receipt said.
#[derive(Debug, Clone, PartialEq, Eq, Default, bincode::Encode, bincode::Decode)]
pub struct Outcome {
    /// 0 executed, 1 failed, 2 dropped.
    pub status: u8,
    /// Gas charged.
    pub gas_used: u64,
    /// Why it failed or was dropped.
    pub reason: Option<String>,
}

impl Outcome {
    /// Executed.
    pub const EXECUTED: u8 = 0;
    /// Executed and failed.
    pub const FAILED: u8 = 1;
    /// Not executed.
    pub const DROPPED: u8 = 2;

    fn of(receipt: &zr_common::rollup::Receipt) -> Outcome {
        use zr_common::rollup::ReceiptStatus;
        let (status, reason) = match &receipt.status {
            ReceiptStatus::Success => (Outcome::EXECUTED, None),
            ReceiptStatus::Failed { reason } => (Outcome::FAILED, Some(reason.clone())),
            ReceiptStatus::Dropped { reason } => (Outcome::DROPPED, Some(reason.to_string())),
        };
        Outcome { status, gas_used: receipt.gas_used, reason }
    }
}

impl TxRecord {
    fn of(sequenced: &zr_sequencing::Sequenced) -> TxRecord {
        let body = &sequenced.tx.body;
        let sender = Address::from_public_key(&body.sender.0);
        let (action, target, method, amount, token, l1_recipient) = match &body.kind {
            TxKind::Transfer { to, token, amount } => ("transfer", Some(*to), None, *amount, *token, None),
            TxKind::Call { contract, method, value, .. } => {
                ("call", Some(*contract), Some(method.clone()), *value, TokenStandard::ZNN, None)
            }
            TxKind::Deploy { value, .. } => {
                ("deploy", Some(Address::contract(&sender, body.nonce)), None, *value, TokenStandard::ZNN, None)
            }
            TxKind::UploadChunk { .. } => ("upload", None, None, 0, TokenStandard::ZNN, None),
            TxKind::Withdraw { token, amount, l1_recipient } => {
                ("withdraw", None, None, *amount, *token, Some(*l1_recipient))
            }
        };
        TxRecord {
            hash: sequenced.hash,
            sender,
            nonce: body.nonce,
            fee_per_gas: body.fee_per_gas,
            gas_limit: body.gas_limit,
            poster: sequenced.poster,
            action: action.to_owned(),
            target,
            method,
            amount,
            token,
            l1_recipient,
            outcome: Outcome::default(),
        }
    }

    /// The addresses it names, each once, with how. A dropped transaction names none: a drop costs nothing, so
    /// anyone could otherwise fill an address's history with transfers that never happened (or replay its old
    /// transactions into it).
    fn roles(&self) -> Vec<(Address, Role)> {
        if self.outcome.status == Outcome::DROPPED {
            return Vec::new();
        }
        let mut roles = vec![(self.sender, Role::Sender)];
        if let Some(target) = self.target.filter(|t| *t != self.sender) {
            roles.push((target, if self.action == "deploy" { Role::Deployed } else { Role::Target }));
        }
        roles
    }
}

/// One momentum's index rows, built while it executes.
#[derive(Debug, Clone)]
pub struct MomentumIndex {
    /// The momentum's height.
    pub height: u64,
    /// The momentum's record (its counts are filled in from the receipts at commit).
    pub record: MomentumRecord,
    /// Its transactions, in canonical order.
    pub transactions: Vec<TxRecord>,
}

impl MomentumIndex {
    /// The index of `momentum`, whose inbox traffic ordered to `ordered`.
    pub fn of(momentum: &DetailedMomentum, ordered: &Ordered) -> MomentumIndex {
        let m = &momentum.momentum.momentum;
        let inbox = momentum
            .blocks
            .iter()
            .map(|b| &b.block)
            .filter(|b| b.to_address == Address::INBOX && b.kind() == Some(zr_common::nom::BlockType::UserSend))
            .map(inbox_block)
            .collect();
        MomentumIndex {
            height: m.height,
            record: MomentumRecord {
                l1_hash: m.hash,
                timestamp: m.timestamp,
                executed_at_ms: 0,
                inbox,
                deposits: ordered
                    .deposits
                    .iter()
                    .map(|d| DepositRecord {
                        account: d.account,
                        token: d.token,
                        amount: d.amount,
                        l1_block: d.l1_block,
                    })
                    .collect(),
                skipped: ordered.skipped.clone(),
                transactions: ordered.transactions.len() as u32,
                failed: 0,
                dropped: 0,
                gas_used: 0,
            },
            transactions: ordered.transactions.iter().map(TxRecord::of).collect(),
        }
    }
}

fn inbox_block(block: &AccountBlock) -> InboxBlock {
    use zr_sequencing::bundle as tags;
    let kind = match block.data.first() {
        None => "deposit",
        Some(&tags::BUNDLE_TAG | &tags::LZ4_BUNDLE_TAG) => "bundle",
        Some(&tags::CLAIM_TAG) => "claim",
        Some(&tags::BOND_TAG) => "bond",
        Some(&tags::UNBOND_TAG) => "unbond",
        Some(&tags::CHALLENGE_PART_TAG) => "challenge part",
        Some(&tags::WITHDRAWAL_TAG) => "withdrawal",
        Some(&tags::DA_CHALLENGE_TAG) => "data-availability challenge",
        Some(&tags::LEAVES_PART_TAG) => "leaves part",
        Some(_) => "unknown",
    };
    InboxBlock {
        l1_block: block.hash,
        sender: block.address,
        kind: kind.to_owned(),
        bytes: block.data.len() as u64,
        amount: block.amount,
        token: block.token_standard,
        fused_plasma: block.fused_plasma,
        difficulty: block.difficulty,
    }
}

/// Writes `index` for its height, with the counts its `receipts` give, in the momentum's commit.
pub(crate) fn write(
    txn: &redb::WriteTransaction,
    index: &MomentumIndex,
    receipts: &[zr_common::rollup::Receipt],
    executed_at_ms: u64,
) -> Result<(), StoreError> {
    use zr_common::rollup::ReceiptStatus;
    let mut record = index.record.clone();
    record.executed_at_ms = executed_at_ms;
    record.failed = receipts.iter().filter(|r| matches!(r.status, ReceiptStatus::Failed { .. })).count() as u32;
    record.dropped = receipts.iter().filter(|r| matches!(r.status, ReceiptStatus::Dropped { .. })).count() as u32;
    record.gas_used = receipts.iter().map(|r| r.gas_used).sum();
    txn.open_table(MOMENTUMS)?.insert(index.height, zr_common::codec::encode(&record).as_slice())?;
    let mut txs = txn.open_table(TXS)?;
    let mut by_address = txn.open_table(BY_ADDRESS)?;
    // One receipt per ordered transaction, in the same order (`run_momentum` makes them so).
    for (position, (tx, receipt)) in index.transactions.iter().zip(receipts).enumerate() {
        let position = position as u32;
        debug_assert_eq!(tx.hash, receipt.tx_hash);
        let tx = TxRecord { outcome: Outcome::of(receipt), ..tx.clone() };
        txs.insert((index.height, position), zr_common::codec::encode(&tx).as_slice())?;
        for (address, role) in tx.roles() {
            by_address.insert((address.0, index.height, position), role as u8)?;
        }
    }
    Ok(())
}

/// Deletes the index rows of momentum `height` (its address rows found through its transactions).
pub(crate) fn prune(txn: &redb::WriteTransaction, height: u64) -> Result<(), StoreError> {
    let mut txs = txn.open_table(TXS)?;
    let mut by_address = txn.open_table(BY_ADDRESS)?;
    let mut rows = Vec::new();
    for row in txs.range((height, 0)..=(height, u32::MAX))? {
        let (at, bytes) = row?;
        // The index is for people: a record that no longer decodes must not stop the executor's commits.
        match decode_tx(bytes.value()) {
            Ok(tx) => rows.push((at.value().1, tx)),
            Err(e) => tracing::warn!(target: "zr::executor", height, error = %e, "explorer index row left unpruned"),
        }
    }
    for (position, tx) in rows {
        for (address, _) in tx.roles() {
            by_address.remove((address.0, height, position))?;
        }
    }
    txs.retain_in((height, 0)..=(height, u32::MAX), |_, _| false)?;
    txn.open_table(MOMENTUMS)?.remove(height)?;
    Ok(())
}

fn decode_tx(bytes: &[u8]) -> Result<TxRecord, StoreError> {
    Ok(zr_common::codec::decode("explorer transaction", bytes, RECORD_LIMIT)?)
}

/// A transaction naming an address, newest first: where it is, its record, and how it names the address.
pub type AddressRow = ((u64, u32), TxRecord, Role);

impl crate::StateStore {
    /// The index record of momentum `height` (`None`: not executed here, or pruned).
    pub fn momentum_record(&self, height: u64) -> Result<Option<MomentumRecord>, StoreError> {
        let txn = self.database().begin_read()?;
        let table = txn.open_table(MOMENTUMS)?;
        let Some(bytes) = table.get(height)? else { return Ok(None) };
        Ok(Some(zr_common::codec::decode("explorer momentum", bytes.value(), RECORD_LIMIT)?))
    }

    /// Up to `limit` transactions of momentum `height` from position `offset`, with their positions.
    pub fn momentum_transactions(
        &self,
        height: u64,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<(u32, TxRecord)>, StoreError> {
        let txn = self.database().begin_read()?;
        let table = txn.open_table(TXS)?;
        let mut out = Vec::new();
        for row in table.range((height, offset)..=(height, u32::MAX))?.take(limit as usize) {
            let (at, bytes) = row?;
            out.push((at.value().1, decode_tx(bytes.value())?));
        }
        Ok(out)
    }

    /// The index record of the transaction at (`height`, `position`).
    pub fn transaction_record(&self, height: u64, position: u32) -> Result<Option<TxRecord>, StoreError> {
        let txn = self.database().begin_read()?;
        let table = txn.open_table(TXS)?;
        table.get((height, position))?.map(|bytes| decode_tx(bytes.value())).transpose()
    }

    /// Up to `limit` transactions naming `address`, newest first, strictly before `before` (height, position)
    /// when given. A row whose record is gone or no longer decodes is skipped.
    pub fn address_transactions(
        &self,
        address: &Address,
        before: Option<(u64, u32)>,
        limit: u32,
    ) -> Result<Vec<AddressRow>, StoreError> {
        let txn = self.database().begin_read()?;
        let by_address = txn.open_table(BY_ADDRESS)?;
        let txs = txn.open_table(TXS)?;
        let start = (address.0, 0, 0);
        let rows = match before {
            Some((height, position)) => by_address.range(start..(address.0, height, position))?,
            None => by_address.range(start..=(address.0, u64::MAX, u32::MAX))?,
        };
        let mut out = Vec::new();
        for row in rows.rev().take(limit as usize) {
            let (key, role) = row?;
            let (_, height, position) = key.value();
            let Some(bytes) = txs.get((height, position))? else { continue };
            let Ok(tx) = decode_tx(bytes.value()) else { continue };
            out.push(((height, position), tx, Role::from_u8(role.value())));
        }
        Ok(out)
    }

    /// The most recent momentum records at or below `top`, newest first, at most `count`.
    pub fn recent_momentums(&self, top: u64, count: u32) -> Result<Vec<(u64, MomentumRecord)>, StoreError> {
        let txn = self.database().begin_read()?;
        let table = txn.open_table(MOMENTUMS)?;
        let mut out = Vec::new();
        for row in table.range(..=top)?.rev().take(count as usize) {
            let (height, bytes) = row?;
            out.push((height.value(), zr_common::codec::decode("explorer momentum", bytes.value(), RECORD_LIMIT)?));
        }
        Ok(out)
    }
}
