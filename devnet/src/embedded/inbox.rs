//! The rollup inbox: any data up to 16 KiB (bundles, claims, bonds), paid per byte like any send; ZNN and QSR
//! sent to it are deposits or bonds, held by the inbox. What the pillars decide about the rollup is this
//! contract's to apply: bonds, claims and challenges go into the settlement state, which judges challenges
//! and settles finality every momentum, and withdrawals proven against a final root are paid from here.

use zr_common::nom::{AccountBlock, plasma};
use zr_common::{Address, TokenStandard};
use zr_settlement::inbox::{InboxFunds, SendRules};

use super::{Changes, EmbeddedContract};
use crate::PublishError;
use crate::state::AccountState;

/// The rollup inbox contract.
pub struct RollupInbox;

impl EmbeddedContract for RollupInbox {
    fn address(&self) -> Address {
        Address::INBOX
    }

    fn base_plasma(&self, data: &[u8]) -> Result<u64, PublishError> {
        Ok(plasma::required_plasma(data.len()))
    }

    fn check_send(&self, block: &AccountBlock) -> Result<(), PublishError> {
        zr_settlement::inbox::check_send(SendRules::DEFAULT, block).map_err(PublishError::new)
    }

    fn on_confirmed(&self, block: &AccountBlock, changes: &mut Changes<'_>) {
        let (at, l1) = (changes.height, changes.l1);
        let mut funds = InboxState(changes.state(&Address::INBOX).clone());
        let payout = zr_settlement::inbox::apply_send(changes.settlement, block, at, l1, &mut funds);
        *changes.state(&Address::INBOX) = funds.0;
        changes.payouts.extend(payout);
    }
}

/// The inbox's account state as the settlement's view of its funds.
pub struct InboxState(pub AccountState);

impl InboxFunds for InboxState {
    fn balance(&self, token: &TokenStandard) -> u128 {
        self.0.balance(token)
    }

    fn credit(&mut self, token: TokenStandard, amount: u128) {
        self.0.credit(token, amount);
    }

    fn debit(&mut self, token: TokenStandard, amount: u128) {
        self.0.debit(token, amount);
    }
}
