//! The rollup inbox: any data up to 16 KiB (bundles, claims, bonds), paid per byte like any send; ZNN and QSR
//! sent to it are deposits or bonds, held by the inbox. What the pillars decide about the rollup is this
//! contract's to apply: bonds, claims and challenges go into the settlement state, which judges challenges
//! and settles finality every momentum, and withdrawals proven against a final root are paid from here.

use zr_common::Address;
use zr_common::nom::{AccountBlock, plasma};
use zr_settlement::inbox::SendRules;

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

    fn check_send(&self, block: &AccountBlock) -> Result<(), PublishError> {
        zr_settlement::inbox::check_send(SendRules::DEFAULT, block).map_err(PublishError::new)
    }

    fn on_confirmed(&self, block: &AccountBlock, changes: &mut Changes<'_>) {
        let payout = changes.apply_to_inbox(block);
        changes.payouts.extend(payout);
    }
}
