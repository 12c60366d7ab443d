//! The plasma contract: `Fuse(address)` with QSR fuses it to a beneficiary, whose plasma grows by 2 100 per
//! QSR once the momentum confirms the send.

use zr_common::nom::{AccountBlock, plasma};
use zr_common::{Address, TokenStandard};

use super::{Changes, EmbeddedContract};
use crate::PublishError;

/// The smallest fusion go-zenon accepts: 10 QSR.
const MIN_FUSION: u128 = 10 * plasma::QSR_UNIT;

/// The plasma contract.
pub struct PlasmaContract;

impl EmbeddedContract for PlasmaContract {
    fn address(&self) -> Address {
        Address::PLASMA
    }

    fn base_plasma(&self, data: &[u8]) -> Result<u64, PublishError> {
        if plasma::parse_fuse_call(data).is_none() {
            return Err(PublishError::new("method not found in the abi"));
        }
        Ok(plasma::EMBEDDED_SIMPLE_PLASMA)
    }

    fn check_send(&self, block: &AccountBlock) -> Result<(), PublishError> {
        if block.token_standard != TokenStandard::QSR
            || block.amount < MIN_FUSION
            || !block.amount.is_multiple_of(plasma::QSR_UNIT)
        {
            return Err(PublishError::new("invalid fusion amount: fuse at least 10 QSR, in whole QSR"));
        }
        Ok(())
    }

    fn on_confirmed(&self, block: &AccountBlock, changes: &mut Changes<'_>) {
        let beneficiary = plasma::parse_fuse_call(&block.data).unwrap_or(block.address);
        changes.state(&beneficiary).fused_qsr += block.amount;
        changes.fused.push((beneficiary, block.amount));
    }
}
