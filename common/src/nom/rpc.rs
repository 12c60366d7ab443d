//! znnd's JSON-RPC result and parameter shapes, shared by `zr-devnet` (server) and the znnd client.

use serde::{Deserialize, Serialize};

use super::{AccountBlock, Momentum};
use crate::{Address, Hash, TokenStandard};

/// A momentum as znnd returns it: the momentum plus its producer's address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RpcMomentum {
    /// The momentum.
    #[serde(flatten)]
    pub momentum: Momentum,
    /// The producer's address, derived from `publicKey` (zero for genesis).
    #[serde(default)]
    pub producer: Address,
}

impl From<Momentum> for RpcMomentum {
    fn from(momentum: Momentum) -> Self {
        let producer = momentum.producer().unwrap_or_default();
        RpcMomentum { momentum, producer }
    }
}

/// Token information (`token` in blocks and balances).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenInfo {
    /// Name.
    pub name: String,
    /// Symbol.
    pub symbol: String,
    /// Domain.
    pub domain: String,
    /// Total supply, smallest unit.
    #[serde(with = "crate::json::decimal_amount")]
    pub total_supply: u128,
    /// Decimals.
    pub decimals: u32,
    /// Owner.
    pub owner: Address,
    /// The token standard.
    pub token_standard: TokenStandard,
    /// Maximum supply.
    #[serde(with = "crate::json::decimal_amount")]
    pub max_supply: u128,
    /// Whether it can be burned.
    pub is_burnable: bool,
    /// Whether it can be minted.
    pub is_mintable: bool,
    /// Whether it is a utility token.
    pub is_utility: bool,
}

/// Where a block was confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfirmationDetail {
    /// Frontier height − confirmation height + 1.
    pub num_confirmations: u64,
    /// The confirming momentum's height.
    pub momentum_height: u64,
    /// The confirming momentum's hash.
    pub momentum_hash: Hash,
    /// The confirming momentum's timestamp.
    pub momentum_timestamp: u64,
}

/// An account block as znnd returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RpcAccountBlock {
    /// The block.
    #[serde(flatten)]
    pub block: AccountBlock,
    /// The token moved, `null` for the zero token.
    #[serde(default)]
    pub token: Option<TokenInfo>,
    /// `null` while unconfirmed.
    #[serde(default)]
    pub confirmation_detail: Option<ConfirmationDetail>,
    /// The receive of a send, or the send of a receive; never nested further.
    #[serde(default)]
    pub paired_account_block: Option<Box<RpcAccountBlock>>,
}

/// Momentums from a height on, with the frontier height: `ledger.getMomentumsByHeight` ([`MomentumList`]) and
/// `ledger.getDetailedMomentumsByHeight` ([`DetailedMomentumList`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MomentumsByHeight<M> {
    /// The momentums, ascending.
    pub list: Vec<M>,
    /// The frontier height.
    pub count: u64,
}

/// `ledger.getMomentumsByHeight`.
pub type MomentumList = MomentumsByHeight<RpcMomentum>;

/// `ledger.getDetailedMomentumsByHeight`.
pub type DetailedMomentumList = MomentumsByHeight<DetailedMomentum>;

/// A momentum with its account blocks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DetailedMomentum {
    /// The confirmed blocks, in content order.
    pub blocks: Vec<RpcAccountBlock>,
    /// The momentum.
    pub momentum: RpcMomentum,
}

/// `ledger.getAccountBlocksByHeight` and other block lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountBlockList {
    /// The blocks.
    pub list: Vec<RpcAccountBlock>,
    /// The account's height.
    pub count: u64,
    /// Whether more exist.
    pub more: bool,
}

/// One token balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BalanceInfo {
    /// The token.
    pub token: TokenInfo,
    /// The balance.
    #[serde(with = "crate::json::decimal_amount")]
    pub balance: u128,
}

/// `ledger.getAccountInfoByAddress`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountInfo {
    /// The account.
    pub address: Address,
    /// Its chain height, unconfirmed blocks included.
    pub account_height: u64,
    /// Balances keyed by token standard.
    pub balance_info_map: std::collections::BTreeMap<TokenStandard, BalanceInfo>,
}

impl AccountInfo {
    /// The balance of `token`, zero if absent.
    pub fn balance(&self, token: &TokenStandard) -> u128 {
        self.balance_info_map.get(token).map_or(0, |b| b.balance)
    }
}

/// `embedded.plasma.get`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlasmaInfo {
    /// Plasma available now.
    pub current_plasma: u64,
    /// Plasma the fused QSR gives.
    pub max_plasma: u64,
    /// QSR fused.
    #[serde(with = "crate::json::decimal_amount")]
    pub qsr_amount: u128,
}

/// `embedded.plasma.getRequiredPoWForAccountBlock` parameter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetRequiredParam {
    /// The account.
    pub address: Address,
    /// The block type.
    pub block_type: u64,
    /// The receiver of a send.
    #[serde(default)]
    pub to_address: Option<Address>,
    /// The block data.
    #[serde(with = "crate::json::base64_bytes", default)]
    pub data: Vec<u8>,
}

/// `embedded.plasma.getRequiredPoWForAccountBlock` result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetRequiredResult {
    /// Fused plasma available.
    pub available_plasma: u64,
    /// Plasma the block needs.
    pub base_plasma: u64,
    /// PoW difficulty needed on top of the available plasma (0: none).
    pub required_difficulty: u64,
}

/// A `momentums` subscription item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MomentumEvent {
    /// The momentum hash.
    pub hash: Hash,
    /// Its height.
    pub height: u64,
}

/// An `allAccountBlocks` subscription item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountBlockEvent {
    /// The block type.
    pub block_type: u64,
    /// The block hash.
    pub hash: Hash,
    /// The block height.
    pub height: u64,
    /// The account.
    pub address: Address,
    /// The receiver.
    pub to_address: Address,
    /// For receives, the send.
    pub from_hash: Hash,
}

impl From<&AccountBlock> for AccountBlockEvent {
    fn from(b: &AccountBlock) -> Self {
        AccountBlockEvent {
            block_type: b.block_type,
            hash: b.hash,
            height: b.height,
            address: b.address,
            to_address: b.to_address,
            from_hash: b.from_block_hash,
        }
    }
}

/// Token info for ZNN and QSR, the tokens a NoM devnet knows.
pub fn known_token(token: &TokenStandard) -> Option<TokenInfo> {
    let (name, symbol, supply) = match *token {
        TokenStandard::ZNN => ("Zenon Coin", "ZNN", 19_500_000_000_000u128),
        TokenStandard::QSR => ("Quasar Coin", "QSR", 180_550_000_000_000u128),
        _ => return None,
    };
    Some(TokenInfo {
        name: name.into(),
        symbol: symbol.into(),
        domain: "zenon.network".into(),
        total_supply: supply,
        decimals: 8,
        owner: "z1qxemdeddedxt0kenxxxxxxxxxxxxxxxxh9amk0".parse().expect("token contract address"),
        token_standard: *token,
        max_supply: 4_611_686_018_427_387_903,
        is_burnable: true,
        is_mintable: true,
        is_utility: true,
    })
}

/// Momentums for tests and benchmarks: the same momentum from the same height, everywhere.
pub mod fixtures {
    use super::{DetailedMomentum, RpcAccountBlock, RpcMomentum};
    use crate::nom::{AccountBlock, Momentum};
    use crate::{Address, Hash, sha3_256};

    /// The L1 chain identifier of fixture momentums.
    pub const CHAIN_IDENTIFIER: u64 = 321;

    /// The hash of the fixture momentum at `height` (each builds on the one at `height - 1`).
    pub fn momentum_hash(height: u64) -> Hash {
        sha3_256(&height.to_le_bytes())
    }

    /// Momentum `height` carrying `blocks` (with their headers as its content), one second after the one before,
    /// unsigned.
    pub fn momentum(height: u64, blocks: Vec<AccountBlock>) -> DetailedMomentum {
        let blocks: Vec<RpcAccountBlock> = blocks
            .into_iter()
            .map(|block| RpcAccountBlock { block, token: None, confirmation_detail: None, paired_account_block: None })
            .collect();
        let momentum = Momentum {
            version: 1,
            chain_identifier: CHAIN_IDENTIFIER,
            hash: momentum_hash(height),
            previous_hash: momentum_hash(height.saturating_sub(1)),
            height,
            timestamp: 1_700_000_000 + height,
            data: vec![],
            content: blocks.iter().map(|b| b.block.header()).collect(),
            changes_hash: Hash::ZERO,
            public_key: vec![],
            signature: vec![],
        };
        DetailedMomentum { blocks, momentum: RpcMomentum { momentum, producer: Address::ZERO } }
    }
}
