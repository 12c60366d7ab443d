//! The rollup inbox: any data up to 16 KiB (bundles, claims), paid per byte like any send; ZNN and QSR sent
//! to it are deposits, held by the inbox for the rollup. What the pillars decide about the rollup
//! (challenges, verdicts, withdrawals) is this contract's to apply; today it only holds the funds.

use zr_common::Address;
use zr_common::nom::{AccountBlock, plasma};

use super::{Changes, EmbeddedContract};
use crate::PublishError;

/// The rollup inbox contract.
pub struct RollupInbox;

impl EmbeddedContract for RollupInbox {
    fn address(&self) -> Address {
        Address::INBOX
    }

    fn base_plasma(&self, data: &[u8]) -> Result<u64, PublishError> {
        Ok(plasma::required_plasma(data.len()))
    }

    fn check_send(&self, _block: &AccountBlock) -> Result<(), PublishError> {
        Ok(())
    }

    fn on_confirmed(&self, block: &AccountBlock, changes: &mut Changes<'_>) {
        // Deposits stay with the inbox: the rollup credits the sender, and withdrawals are paid from here.
        if block.amount > 0 {
            changes.state(&Address::INBOX).credit(block.token_standard, block.amount);
        }
    }
}
