//! The golden examples written in `docs/protocol.md` ("Golden examples"), checked against the code: the
//! rulebook is what a second implementation is written from, so a byte it states that the code does not
//! produce fails here, and so does an example removed from the text.

use std::collections::BTreeMap;

use zr_common::codec::encode;
use zr_common::rollup::{BundleBody, DropReason, Receipt, ReceiptStatus, Transaction, TxKind};
use zr_common::{Address, Canonical, Hash, TokenStandard, sha3_256};

use zr_protocol::transition::prelude_hash;
use zr_protocol::{ClaimLeaf, Deposit, leaves_root};

use crate::sender_rank;
use zr_common::keys::fixtures::key;
use zr_common::rollup::samples::{self, transaction as tx};

const RULEBOOK: &str = include_str!("../../docs/protocol.md");

fn transfer() -> Transaction {
    tx(samples::transfer())
}

fn leaf() -> ClaimLeaf {
    ClaimLeaf {
        tx_hash: Hash([1; 32]),
        post_state_root: Hash([2; 32]),
        receipt_hash: Hash([3; 32]),
        cumulative_gas: 21_000,
        cumulative_receipt_bytes: 300,
        cumulative_state_bytes: 4_096,
    }
}

/// Every example the rulebook gives, as the code computes it.
fn computed() -> BTreeMap<&'static str, String> {
    let hex = |bytes: &[u8]| hex::encode(bytes);
    let mut out = BTreeMap::new();
    out.insert("key-1-public", hex(&key(1).public().0));
    out.insert("key-1-address", hex(&key(1).address().0));
    out.insert("znn-token-standard", hex(&TokenStandard::ZNN.0));
    out.insert("qsr-token-standard", hex(&TokenStandard::QSR.0));
    out.insert("contract-address-key-1-nonce-0", hex(&Address::contract(&key(1).address(), 0).0));

    let transfer = transfer();
    out.insert("transfer-transaction", hex(&transfer.to_bytes()));
    out.insert("transfer-transaction-hash", transfer.hash().to_hex());
    let upload = tx(TxKind::UploadChunk { code_hash: sha3_256(b"code"), index: 1, count: 2, bytes: b"\0asm".to_vec() });
    out.insert("upload-chunk-transaction-body", hex(&encode(&upload.body)));
    out.insert("upload-chunk-transaction-hash", upload.hash().to_hex());
    let call = tx(TxKind::Call {
        contract: Address::contract(&key(1).address(), 0),
        method: "transfer".into(),
        input: vec![9],
        value: 0,
    });
    out.insert("call-transaction-body", hex(&encode(&call.body)));
    out.insert("call-transaction-hash", call.hash().to_hex());

    let bundle = BundleBody { chain_id: 7, poster: key(9).public(), transactions: vec![transfer] }.sign(&key(9));
    out.insert("bundle", hex(&bundle.to_bytes()));
    out.insert("bundle-hash", bundle.body.hash().to_hex());

    let claim = samples::claim();
    out.insert("claim", hex(&claim.to_bytes()));
    out.insert("claim-hash", claim.body.hash().to_hex());

    let failed = samples::failed_receipt();
    out.insert("failed-receipt", hex(&failed.to_bytes()));
    out.insert("failed-receipt-hash", failed.hash().to_hex());
    let dropped = Receipt {
        status: ReceiptStatus::Dropped { reason: DropReason::InsufficientFee { needs: 200_000, has: 5 } },
        gas_used: 0,
        events: vec![],
        return_data: vec![],
        ..failed
    };
    out.insert("dropped-receipt", hex(&dropped.to_bytes()));
    out.insert("dropped-receipt-hash", dropped.hash().to_hex());

    out.insert("claim-leaf", hex(&encode(&leaf())));
    out.insert("claim-leaf-hash", leaf().hash().to_hex());
    let three =
        [leaf(), ClaimLeaf { cumulative_gas: 42_000, ..leaf() }, ClaimLeaf { cumulative_gas: 63_000, ..leaf() }];
    out.insert("leaves-root-of-three", leaves_root(&three).to_hex());

    let deposits =
        [Deposit { account: key(1).address(), token: TokenStandard::ZNN, amount: 5, l1_block: Hash([4; 32]) }];
    out.insert("prelude-hash-height-7", prelude_hash(7, &deposits).to_hex());
    out.insert("sender-rank-key-1-after-0a", sender_rank(&Hash([0x0a; 32]), &key(1).address()).to_hex());
    out
}

/// The `name = hex` entries of the rulebook's fenced blocks marked `golden`; an entry's hex may go on over
/// indented lines, and spaces in it are ignored.
fn written(text: &str) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    let mut in_golden = false;
    let mut current: Option<String> = None;
    for line in text.lines() {
        if line.starts_with("```") {
            in_golden = line.trim() == "```golden";
            current = None;
            continue;
        }
        if !in_golden {
            continue;
        }
        if let Some((name, hex)) = line.split_once('=') {
            let name = name.trim().to_owned();
            assert!(out.insert(name.clone(), hex.replace(' ', "")).is_none(), "{name} is written twice");
            current = Some(name);
        } else if line.starts_with(' ') {
            let name = current.as_ref().expect("a continuation line follows an entry");
            out.get_mut(name).unwrap().push_str(&line.replace(' ', ""));
        }
    }
    out
}

#[test]
fn the_rulebooks_golden_examples_are_the_codes() {
    let computed = computed();
    let written = written(RULEBOOK);
    let as_text = computed.iter().map(|(name, hex)| format!("{name} = {hex}\n")).collect::<String>();
    for (name, hex) in &computed {
        assert_eq!(written.get(*name), Some(hex), "docs/protocol.md's {name}; the code's examples:\n{as_text}");
    }
    let unknown: Vec<&String> = written.keys().filter(|name| !computed.contains_key(name.as_str())).collect();
    assert!(unknown.is_empty(), "examples in docs/protocol.md no test checks: {unknown:?}");
}

/// The parser itself: entries only inside `golden` blocks, continued over indented lines.
#[test]
fn golden_blocks_are_read_whole() {
    let text = "a = 01\n```golden\nb = 02 03\n  04\nc = 05\n```\nd = 06\n";
    let entries = written(text);
    assert_eq!(entries.into_iter().collect::<Vec<_>>(), [("b".into(), "020304".into()), ("c".into(), "05".into())]);
}
