//! The inbox contract's rules, the same on every L1 that runs them (the devnet's embedded contract and the
//! go-zenon spork through `zr-ffi`): what a send must carry to be accepted at all, what a confirmed send does to
//! the settlement and the inbox's funds, and how the payouts the settlement owes are paid from them.

use zr_common::nom::{AccountBlock, Momentum};
use zr_common::rollup::limits::MAX_BUNDLE_TXS;
use zr_common::rollup::settlement::ClaimRecord;
use zr_common::rollup::settlement::{DA_DEPOSIT, MIN_BOND, PART_DEPOSIT, Parameters, VERDICT_WORK_PER_MOMENTUM};
use zr_common::{Address, Hash, TokenStandard};
use zr_fraud::Dispute;
use zr_inbox::bundle::{
    BOND_TAG, BUNDLE_TAG, CHALLENGE_PART_TAG, CLAIM_TAG, DA_CHALLENGE_TAG, LEAVES_PART_TAG, LZ4_BUNDLE_TAG, Payload,
    UNBOND_TAG, WITHDRAWAL_TAG, decode_payload,
};

use crate::judge::Judgement;
use crate::state::{L1View, Payout, Settlement};

/// The payloads the settlement takes (a malformed one is refused with its reason recorded).
const SETTLEMENT_TAGS: [u8; 7] =
    [CLAIM_TAG, BOND_TAG, UNBOND_TAG, CHALLENGE_PART_TAG, WITHDRAWAL_TAG, DA_CHALLENGE_TAG, LEAVES_PART_TAG];

/// What a send must lock to be accepted: the least bond, the data-availability deposit and the deposit per
/// challenge part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendRules {
    /// The least ZNN a bond sends.
    pub min_bond: u128,
    /// The ZNN a data-availability challenge deposits at least.
    pub da_deposit: u128,
    /// The ZNN a challenge's part 0 deposits per part.
    pub part_deposit: u128,
}

impl SendRules {
    /// The protocol's defaults (`zr_common::rollup::settlement`).
    pub const DEFAULT: SendRules = SendRules { min_bond: MIN_BOND, da_deposit: DA_DEPOSIT, part_deposit: PART_DEPOSIT };
}

impl From<&Parameters> for SendRules {
    fn from(params: &Parameters) -> SendRules {
        SendRules { min_bond: params.min_bond, da_deposit: params.da_deposit, part_deposit: params.part_deposit }
    }
}

/// Checks a send to the inbox before any L1 accepts it (amounts, tokens, bundle signatures); `Err` names what
/// is wrong. Payloads that decode badly otherwise are accepted: the settlement refuses them with the reason and
/// pays back what they carried, and the ordering rule skips them.
pub fn check_send(rules: SendRules, block: &AccountBlock) -> Result<(), String> {
    let SendRules { min_bond, da_deposit, part_deposit } = rules;
    if block.amount > 0 && !matches!(block.token_standard, TokenStandard::ZNN | TokenStandard::QSR) {
        return Err(format!(
            "the inbox holds ZNN and QSR only; {} of {} cannot be deposited, bonded or paid back",
            block.amount, block.token_standard
        ));
    }
    match block.data.split_first() {
        Some((&BOND_TAG, [])) if block.token_standard == TokenStandard::ZNN && block.amount >= min_bond => Ok(()),
        Some((&BOND_TAG, [])) => {
            Err(format!("a bond sends at least {min_bond} ZNN (smallest unit) with the bond payload"))
        }
        Some((&BOND_TAG, _)) => Err("a bond payload is its tag alone".to_owned()),
        Some((&UNBOND_TAG, [])) if block.amount == 0 => Ok(()),
        // A bundle whose signatures do not verify is refused here, so no confirmed momentum holds one and the
        // pillars judging a momentum need not check its signatures again.
        Some((&BUNDLE_TAG | &LZ4_BUNDLE_TAG, _)) => match decode_payload(&block.data) {
            Ok(Payload::Bundle(bundle)) => {
                // What the ordering rule skips before any signature work costs none here either: another poster,
                // too many transactions, a repeated one.
                let txs = &bundle.body.transactions;
                if bundle.body.poster.address() != block.address || txs.len() > MAX_BUNDLE_TXS {
                    return Ok(());
                }
                let hashes: Vec<Hash> = txs.iter().map(zr_common::rollup::Transaction::hash).collect();
                if hashes.iter().collect::<std::collections::BTreeSet<_>>().len() != hashes.len() {
                    return Ok(());
                }
                zr_inbox::bundle_signatures(&bundle, &hashes)
                    .map_err(|reason| format!("the bundle's signatures do not verify: {reason}"))
            }
            // A bundle that does not decode is skipped by the ordering rule with no signature work.
            _ => Ok(()),
        },
        Some((&DA_CHALLENGE_TAG, _)) if block.token_standard != TokenStandard::ZNN || block.amount < da_deposit => {
            Err(format!(
                "a data-availability challenge deposits at least {da_deposit} ZNN (smallest unit) with its payload"
            ))
        }
        Some((&CHALLENGE_PART_TAG, _)) => match decode_payload(&block.data) {
            Ok(Payload::ChallengePart(part)) => {
                let deposit = if part.index == 0 { u128::from(part.count) * part_deposit } else { 0 };
                let token_ok = deposit == 0 || block.token_standard == TokenStandard::ZNN;
                if block.amount != deposit || !token_ok {
                    return Err(format!(
                        "a challenge's part 0 deposits exactly {deposit} ZNN (smallest unit: {part_deposit} per part), \
                         its later parts nothing; this is part {} of {}",
                        part.index, part.count
                    ));
                }
                Ok(())
            }
            // The settlement refuses it with the reason, and pays back what it carried.
            _ => Ok(()),
        },
        Some((&UNBOND_TAG, _)) => Err("an unbond request is its tag alone, with no amount".to_owned()),
        _ => Ok(()),
    }
}

/// The inbox's balances, as the L1 adapter keeps them.
pub trait InboxFunds {
    /// What the inbox holds of `token`.
    fn balance(&self, token: &TokenStandard) -> u128;
    /// Adds to it.
    fn credit(&mut self, token: TokenStandard, amount: u128);
    /// Takes from it (never more than [`InboxFunds::balance`]: callers check first).
    fn debit(&mut self, token: TokenStandard, amount: u128);
}

/// Applies a send to the inbox confirmed at momentum `at`: its amount joins the inbox's funds, and its payload
/// goes to the settlement. A withdrawal proven and covered by the funds is debited and returned, to be paid by a
/// contract send now; bundles and data that is no settlement payload change nothing here.
pub fn apply_send(
    settlement: &mut Settlement,
    block: &AccountBlock,
    at: u64,
    l1: &dyn L1View,
    funds: &mut dyn InboxFunds,
) -> Option<Payout> {
    // Deposits and bonds stay with the inbox: the rollup credits a depositor, and withdrawals are paid here.
    if block.amount > 0 {
        funds.credit(block.token_standard, block.amount);
    }
    match decode_payload(&block.data) {
        Ok(Payload::Claim(claim)) => settlement.claim_sent(block, claim, at, l1),
        Ok(Payload::Bond) => settlement.bond_sent(block, at),
        Ok(Payload::Unbond) => settlement.unbond(block, at),
        Ok(Payload::DaChallenge(challenge)) => settlement.da_challenge(block, challenge, at),
        Ok(Payload::LeavesPart(part)) => settlement.leaves_part(block, part, at),
        Ok(Payload::ChallengePart(part)) => settlement.challenge_part(block, part, at),
        Ok(Payload::Withdrawal(proof)) => {
            let (tx_hash, withdrawal) = settlement.withdrawal(block, proof, at)?;
            if funds.balance(&withdrawal.token) < withdrawal.amount {
                settlement.unpayable(block, &tx_hash, withdrawal.token, at);
                return None;
            }
            funds.debit(withdrawal.token, withdrawal.amount);
            return Some(Payout {
                withdrawal: Some(tx_hash),
                recipient: withdrawal.recipient,
                token: withdrawal.token,
                amount: withdrawal.amount,
            });
        }
        // Bundles are the executors' to order; data that is no payload at all is theirs to skip.
        Ok(Payload::Bundle(_)) => {}
        Err(e) if block.data.first().is_some_and(|tag| SETTLEMENT_TAGS.contains(tag)) => {
            settlement.undecodable(block, at, e.to_string());
        }
        Err(_) => {}
    }
    None
}

/// The claimed momentum with its confirmed blocks in content order as L1 holds it: `Ok(None)` when L1 holds no
/// such momentum, `Err` when it could not be read.
pub type ClaimedMomentum = Result<Option<(Momentum, Vec<AccountBlock>)>, String>;

/// What judging a claim of `claimed` costs against [`VERDICT_WORK_PER_MOMENTUM`]: the bundles the verdict
/// orders (at least 1); a momentum that could not be read costs a whole momentum's budget.
pub fn verdict_work(claimed: &ClaimedMomentum) -> u64 {
    match claimed {
        Ok(Some((_, blocks))) => blocks
            .iter()
            .filter(|b| b.to_address == Address::INBOX)
            .filter(|b| matches!(b.data.first(), Some(&BUNDLE_TAG | &LZ4_BUNDLE_TAG)))
            .count()
            .max(1) as u64,
        Ok(None) => 1,
        Err(_) => VERDICT_WORK_PER_MOMENTUM,
    }
}

/// Takes what the settlement owes and pays it from `funds` in the order it fell due, as far as they go (never
/// from nothing) and at most `max` of them: the payouts to send now, already debited; the rest stays owed.
pub fn pay_owed(settlement: &mut Settlement, funds: &mut dyn InboxFunds, max: usize) -> Vec<Payout> {
    let mut paying = Vec::new();
    for owed in settlement.take_owed() {
        if paying.len() >= max || funds.balance(&owed.token) < owed.amount {
            settlement.owe(owed);
            continue;
        }
        funds.debit(owed.token, owed.amount);
        paying.push(owed);
    }
    paying
}

/// How a momentum's step judges: `work` prices a claim's momentum, `judge` decides (see [`Settlement::judge`]).
pub struct Verdicts<'a> {
    /// What judging a claim at a height costs.
    pub work: &'a mut dyn FnMut(u64) -> u64,
    /// The decision on a dispute of a claim.
    pub judge: &'a mut dyn FnMut(&Dispute, &ClaimRecord, &Parameters) -> Judgement,
}

/// The step of momentum `at`, once its sends are applied: the waiting challenges judged (unless `verdicts` is
/// `None`: they wait, and no height they hold becomes final), finality settled, bonds whose delay passed
/// released, and what is owed paid from `funds` (at most `max_payouts`, see [`pay_owed`]): the payouts to send
/// now.
pub fn step_momentum(
    settlement: &mut Settlement,
    at: u64,
    verdicts: Option<Verdicts<'_>>,
    funds: &mut dyn InboxFunds,
    max_payouts: usize,
) -> Vec<Payout> {
    if let Some(Verdicts { work, judge }) = verdicts {
        settlement.judge(at, work, judge);
    }
    settlement.settle(at);
    settlement.release_bonds(at);
    pay_owed(settlement, funds, max_payouts)
}
