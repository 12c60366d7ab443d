//! The rollup inbox: any data up to 16 KiB (bundles, claims, bonds), paid per byte like any send; ZNN and QSR
//! sent to it are deposits or bonds, held by the inbox. What the pillars decide about the rollup is this
//! contract's to apply: bonds, claims and challenges go into the settlement state, which judges challenges
//! and settles finality every momentum, and withdrawals proven against a final root are paid from here.

use zr_common::nom::{AccountBlock, plasma};
use zr_common::rollup::limits::MAX_BUNDLE_TXS;
use zr_common::rollup::settlement::{DA_DEPOSIT, MIN_BOND, PART_DEPOSIT};
use zr_common::{Address, TokenStandard};
use zr_sequencing::bundle::{
    BOND_TAG, BUNDLE_TAG, CHALLENGE_PART_TAG, CLAIM_TAG, DA_CHALLENGE_TAG, LEAVES_PART_TAG, LZ4_BUNDLE_TAG, Payload,
    UNBOND_TAG, WITHDRAWAL_TAG, decode_payload,
};

use super::{Changes, EmbeddedContract, Payout};
use crate::PublishError;

/// The payloads the settlement takes (a malformed one is refused with its reason recorded).
const SETTLEMENT_TAGS: [u8; 7] =
    [CLAIM_TAG, BOND_TAG, UNBOND_TAG, CHALLENGE_PART_TAG, WITHDRAWAL_TAG, DA_CHALLENGE_TAG, LEAVES_PART_TAG];

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
        match block.data.split_first() {
            Some((&BOND_TAG, [])) if block.token_standard == TokenStandard::ZNN && block.amount >= MIN_BOND => Ok(()),
            Some((&BOND_TAG, [])) => Err(PublishError::new(format!(
                "a bond sends at least {MIN_BOND} ZNN (smallest unit) with the bond payload"
            ))),
            Some((&BOND_TAG, _)) => Err(PublishError::new("a bond payload is its tag alone")),
            Some((&UNBOND_TAG, [])) if block.amount == 0 => Ok(()),
            // A bundle whose signatures do not verify is refused here, so no confirmed momentum holds one and
            // the pillars judging a momentum need not check its signatures again.
            Some((&BUNDLE_TAG | &LZ4_BUNDLE_TAG, _)) => match decode_payload(&block.data) {
                Ok(Payload::Bundle(bundle)) => {
                    // What the ordering rule skips before any signature work costs none here either: another
                    // poster, too many transactions, a repeated one.
                    let txs = &bundle.body.transactions;
                    if bundle.body.poster.address() != block.address || txs.len() > MAX_BUNDLE_TXS {
                        return Ok(());
                    }
                    let hashes: Vec<zr_common::Hash> = txs.iter().map(zr_common::rollup::Transaction::hash).collect();
                    if hashes.iter().collect::<std::collections::BTreeSet<_>>().len() != hashes.len() {
                        return Ok(());
                    }
                    zr_sequencing::bundle_signatures(&bundle, &hashes)
                        .map_err(|reason| PublishError::new(format!("the bundle's signatures do not verify: {reason}")))
                }
                // A bundle that does not decode is skipped by the ordering rule with no signature work.
                _ => Ok(()),
            },
            Some((&DA_CHALLENGE_TAG, _)) if block.token_standard != TokenStandard::ZNN || block.amount < DA_DEPOSIT => {
                Err(PublishError::new(format!(
                    "a data-availability challenge deposits at least {DA_DEPOSIT} ZNN (smallest unit) with its payload"
                )))
            }
            Some((&CHALLENGE_PART_TAG, _)) => match decode_payload(&block.data) {
                Ok(Payload::ChallengePart(part)) => {
                    let deposit = if part.index == 0 { u128::from(part.count) * PART_DEPOSIT } else { 0 };
                    let token_ok = deposit == 0 || block.token_standard == TokenStandard::ZNN;
                    if block.amount != deposit || !token_ok {
                        return Err(PublishError::new(format!(
                            "a challenge's part 0 deposits exactly {} ZNN (smallest unit: {PART_DEPOSIT} per part), \
                             its later parts nothing; this is part {} of {}",
                            u128::from(part.count) * PART_DEPOSIT,
                            part.index,
                            part.count
                        )));
                    }
                    Ok(())
                }
                // The settlement refuses it with the reason, and pays back what it carried.
                _ => Ok(()),
            },
            Some((&UNBOND_TAG, _)) => Err(PublishError::new("an unbond request is its tag alone, with no amount")),
            _ => Ok(()),
        }
    }

    fn on_confirmed(&self, block: &AccountBlock, changes: &mut Changes<'_>) {
        // Deposits and bonds stay with the inbox: the rollup credits a depositor, and withdrawals are paid here.
        if block.amount > 0 {
            changes.state(&Address::INBOX).credit(block.token_standard, block.amount);
        }
        let at = changes.height;
        match decode_payload(&block.data) {
            Ok(Payload::Claim(claim)) => changes.settlement.claim_sent(block, claim, at, changes.l1),
            Ok(Payload::Bond) => changes.settlement.bond_sent(block, at),
            Ok(Payload::Unbond) => changes.settlement.unbond(block, at),
            Ok(Payload::DaChallenge(challenge)) => changes.settlement.da_challenge(block, challenge, at),
            Ok(Payload::LeavesPart(part)) => changes.settlement.leaves_part(block, part, at),
            Ok(Payload::ChallengePart(part)) => changes.settlement.challenge_part(block, part, at),
            Ok(Payload::Withdrawal(proof)) => {
                let Some((tx_hash, withdrawal)) = changes.settlement.withdrawal(block, proof, at) else { return };
                let inbox = changes.state(&Address::INBOX);
                if inbox.balance(&withdrawal.token) < withdrawal.amount {
                    return changes.settlement.unpayable(block, &tx_hash, withdrawal.token, at);
                }
                inbox.debit(withdrawal.token, withdrawal.amount);
                changes.payouts.push(Payout {
                    withdrawal: Some(tx_hash),
                    recipient: withdrawal.recipient,
                    token: withdrawal.token,
                    amount: withdrawal.amount,
                });
            }
            // Bundles are the executors' to order; data that is no payload at all is theirs to skip.
            Ok(Payload::Bundle(_)) => {}
            Err(e) if block.data.first().is_some_and(|tag| SETTLEMENT_TAGS.contains(tag)) => {
                changes.settlement.undecodable(block, at, e.to_string());
            }
            Err(_) => {}
        }
    }
}
