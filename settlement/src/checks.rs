//! The settlement's checks that need no state of its own: whether a claim may be recorded and whether a
//! withdrawal proof proves a withdrawal against a final root. The state machine runs them; so does the
//! C library the go-zenon spork calls, so both sides check alike.

use zr_common::rollup::Claim;
use zr_common::rollup::settlement::Parameters;
use zr_common::{Address, Hash};
use zr_inbox::bundle::WithdrawalProof;

use crate::refusal::Refusal;

/// Checks a claim sent by `sender` and confirmed at momentum `at`, the settlement's final height being
/// `final_height`; `momentum_timestamp` gives L1's timestamp of a height (`Ok(None)`: L1 has no such
/// momentum). What it does not check needs the settlement's records: a claim of that executor at that height
/// recorded already, and the executor's bond.
pub fn check_claim(
    params: &Parameters,
    claim: &Claim,
    sender: &Address,
    final_height: u64,
    at: u64,
    momentum_timestamp: impl FnOnce(u64) -> Result<Option<u64>, String>,
) -> Result<(), Refusal> {
    if claim.verify_signature().is_err() {
        return Err(Refusal::ClaimSignature);
    }
    let body = &claim.body;
    if body.executor.address() != *sender {
        return Err(Refusal::NotExecutorsAccount);
    }
    if body.chain_id != params.chain_id {
        return Err(Refusal::OtherChain { claimed: body.chain_id, ours: params.chain_id });
    }
    if body.height <= params.anchor.height {
        return Err(Refusal::BelowAnchor { height: body.height, anchor: params.anchor.height });
    }
    if body.height <= final_height {
        return Err(Refusal::FinalAlready(body.height));
    }
    if body.height >= at {
        return Err(Refusal::FutureMomentum { height: body.height, at });
    }
    match params.vm_version_at(body.height) {
        Some(accepted) if accepted == body.vm_version => {}
        Some(accepted) => {
            return Err(Refusal::OtherVmVersion { claimed: body.vm_version, height: body.height, accepted });
        }
        None => return Err(Refusal::NoVmVersion(body.height)),
    }
    match momentum_timestamp(body.height) {
        Ok(Some(actual)) if actual == body.timestamp => {}
        Ok(Some(actual)) => return Err(Refusal::Timestamp { height: body.height, claimed: body.timestamp, actual }),
        // Below the momentum being made, L1 holds every height: a gap is the pillars' own fault.
        Ok(None) => return Err(Refusal::FutureMomentum { height: body.height, at }),
        Err(reason) => return Err(Refusal::MomentumUnreadable { height: body.height, reason }),
    }
    if body.leaves_root == Hash::ZERO {
        return Err(Refusal::NoLeaves);
    }
    Ok(())
}

/// The withdrawal `proof` proves against `final_root` (the final state root at the proof's height), or why it
/// proves none. Whether it was paid already is the settlement's to know.
pub fn check_withdrawal_proof(final_root: &Hash, proof: &WithdrawalProof) -> Result<zr_protocol::Withdrawal, Refusal> {
    let key = zr_protocol::StateKey::Withdrawal { tx_hash: proof.tx_hash }.hash();
    match proof.proof.verify(final_root, &key) {
        Ok(Some(value_hash)) if value_hash == zr_common::sha3_256(&proof.value) => {}
        Ok(_) => return Err(Refusal::WithdrawalNotProven),
        Err(e) => return Err(Refusal::WithdrawalProof(e.to_string())),
    }
    let withdrawal: zr_protocol::Withdrawal = zr_protocol::state::decode_value("withdrawal", &proof.value)
        .map_err(|e| Refusal::WithdrawalValue(e.to_string()))?;
    if withdrawal.recipient.kind() != Some(zr_common::AddressKind::User) {
        return Err(Refusal::RecipientNotUser(withdrawal.recipient));
    }
    Ok(withdrawal)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use zr_common::{Address, TokenStandard};
    use zr_protocol::{StateKey, Tree, Withdrawal};

    use super::*;

    fn proven(recipient: Address) -> (Hash, WithdrawalProof) {
        let tx_hash = Hash([5; 32]);
        let value =
            zr_common::codec::encode(&Withdrawal { recipient, token: TokenStandard::ZNN, amount: 7, height: 9 });
        let key = StateKey::Withdrawal { tx_hash }.hash();
        let mut tree = Tree::default();
        tree.set(key, Some(Arc::new(value.clone()))).unwrap();
        let proof = WithdrawalProof { tx_hash, height: 9, value, proof: tree.prove(&key).unwrap() };
        (tree.root(), proof)
    }

    /// A withdrawal to a contract address is refused for good: go-zenon would refuse the paying send, undo the
    /// receive and refund the proof's block its amount, which the rollup had credited as a deposit (a deposit
    /// minted from nothing, again with every proof sent).
    #[test]
    fn attack_a_withdrawal_to_a_contract_address_is_never_paid() {
        let user = Address::from_public_key(&[3; 32]);
        let (root, proof) = proven(user);
        assert_eq!(check_withdrawal_proof(&root, &proof).map(|w| w.recipient), Ok(user));
        for contract in [Address::INBOX, Address::PLASMA, Address([0x01; 20]), Address([0x02; 20])] {
            let (root, proof) = proven(contract);
            assert_eq!(check_withdrawal_proof(&root, &proof), Err(Refusal::RecipientNotUser(contract)));
        }
    }
}
