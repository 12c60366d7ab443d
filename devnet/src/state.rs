//! Account state: balances, chain frontier, fused QSR, and the plasma held by unconfirmed blocks.

use std::collections::BTreeMap;

use zr_common::nom::plasma;
use zr_common::{Hash, TokenStandard};

/// One account's state. The confirmed copy reflects confirmed blocks; the frontier copy adds the effects of
/// unconfirmed ones (as go-zenon's frontier account store does).
#[derive(Debug, Clone, Default, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct AccountState {
    /// Height of the last block.
    pub height: u64,
    /// Hash of the last block (zero before the first).
    pub frontier_hash: Hash,
    /// Momentum height the last block acknowledged.
    pub last_acknowledged: u64,
    /// Balances by token.
    pub balances: BTreeMap<TokenStandard, u128>,
    /// QSR fused for this account's plasma.
    pub fused_qsr: u128,
    /// Fused plasma spent by unconfirmed blocks (always 0 in the confirmed copy).
    pub pending_plasma: u64,
    /// Unconfirmed blocks (always 0 in the confirmed copy).
    pub pending_blocks: u32,
}

impl AccountState {
    /// The balance of `token`.
    pub fn balance(&self, token: &TokenStandard) -> u128 {
        self.balances.get(token).copied().unwrap_or(0)
    }

    /// Adds to a balance.
    pub fn credit(&mut self, token: TokenStandard, amount: u128) {
        if amount > 0 {
            let balance = self.balances.entry(token).or_insert(0);
            *balance = balance.saturating_add(amount);
        }
    }

    /// Subtracts from a balance; the caller checked it suffices.
    pub fn debit(&mut self, token: TokenStandard, amount: u128) {
        if amount > 0 {
            let balance = self.balances.entry(token).or_insert(0);
            *balance = balance.saturating_sub(amount);
            if *balance == 0 {
                self.balances.remove(&token);
            }
        }
    }

    /// Plasma the fused QSR gives.
    pub fn max_plasma(&self) -> u64 {
        plasma::fused_plasma_for(self.fused_qsr)
    }

    /// Fused plasma not held by unconfirmed blocks.
    pub fn available_plasma(&self) -> u64 {
        self.max_plasma().saturating_sub(self.pending_plasma)
    }
}

/// The inbox's account is the settlement's view of its funds.
impl zr_settlement::inbox::InboxFunds for AccountState {
    fn balance(&self, token: &TokenStandard) -> u128 {
        AccountState::balance(self, token)
    }

    fn credit(&mut self, token: TokenStandard, amount: u128) {
        AccountState::credit(self, token, amount);
    }

    fn debit(&mut self, token: TokenStandard, amount: u128) {
        AccountState::debit(self, token, amount);
    }
}
