//! The values golden encodings are taken of: the rulebook's "Golden examples" (`docs/protocol.md`, checked by
//! `zr-inbox`) and `zr-common`'s golden tests encode the same transaction, claim and receipt, built here once.

use super::{Claim, ClaimBody, Event, Receipt, ReceiptStatus, Transaction, TxBody, TxKind};
use crate::keys::fixtures::key;
use crate::{Address, TokenStandard, sha3_256};

/// A transaction of `kind` by key 1: chain 7, nonce 3, gas limit 100 000 at 2 a unit.
pub fn transaction(kind: TxKind) -> Transaction {
    TxBody { chain_id: 7, sender: key(1).public(), nonce: 3, gas_limit: 100_000, fee_per_gas: 2, kind }.sign(&key(1))
}

/// 1.5 ZNN to key 2's address.
pub fn transfer() -> TxKind {
    TxKind::Transfer { to: key(2).address(), token: TokenStandard::ZNN, amount: 150_000_000 }
}

/// Key 5's claim of height 1234 on chain 7.
pub fn claim() -> Claim {
    ClaimBody {
        chain_id: 7,
        executor: key(5).public(),
        height: 1234,
        timestamp: 1_700_000_000,
        prev_state_root: sha3_256(b"a"),
        new_state_root: sha3_256(b"b"),
        leaves_root: sha3_256(b"c"),
        vm_version: sha3_256(b"vm"),
    }
    .sign(&key(5))
}

/// A receipt of a transaction that ran out of gas, with one event and return data.
pub fn failed_receipt() -> Receipt {
    Receipt {
        tx_hash: sha3_256(b"tx"),
        status: ReceiptStatus::Failed { reason: "out of gas".into() },
        gas_used: 21_000,
        events: vec![Event {
            contract: Address::contract(&key(1).address(), 0),
            topic: b"t".to_vec(),
            data: b"d".to_vec(),
        }],
        return_data: vec![7],
        post_state_root: sha3_256(b"root"),
    }
}
