//! Golden encodings and hashes of every hashed or signed rollup type: a format change fails here.

use zr_common::keys::fixtures::key;
use zr_common::rollup::{BundleBody, DropReason, Receipt, ReceiptStatus, TxKind};
use zr_common::{Address, Canonical, Hash, TokenStandard, sha3_256};

use zr_common::rollup::samples::{self, transaction as sample_tx, transfer};

fn check<T: Canonical + std::fmt::Debug + PartialEq>(
    value: &T,
    hash: Hash,
    golden_bytes_sha3: &str,
    golden_hash: &str,
) {
    let bytes = value.to_bytes();
    assert_eq!(
        (sha3_256(&bytes).to_hex(), hash.to_hex()),
        (golden_bytes_sha3.to_owned(), golden_hash.to_owned()),
        "encoding: {}",
        hex::encode(&bytes)
    );
    assert_eq!(&T::from_bytes(&bytes).unwrap(), value);
}

#[test]
fn transfer_transaction_bytes() {
    let tx = sample_tx(transfer());
    // The whole encoding, pinned byte for byte: chain id, sender, nonce, gas limit, fee, kind tag 0,
    // receiver, token, amount (u128 LE), signature.
    assert_eq!(
        hex::encode(tx.to_bytes()),
        "0700000000000000\
         8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c\
         0300000000000000a086010000000000020000000000000000000000\
         0039737c8c2ceee1220d10d669e18d6eb6821d8b14e66318c6318c6318c6\
         80d1f008000000000000000000000000"
            .to_owned()
            + &tx.signature.to_hex()
    );
}

#[test]
fn transaction_kinds() {
    let cases = [
        (
            transfer(),
            "a68f135ebfbb92e6fa862ff532fa1aae2edb160b4ea6ae6f294d00dece3a241e",
            "2859cf871af0ec30e208e6fde68cf42819eb8f3b7a3804b57e509ec219be5b2e",
        ),
        (
            TxKind::UploadChunk { code_hash: sha3_256(b"code"), index: 1, count: 2, bytes: b"\0asm".to_vec() },
            "2026ecf1db4dcc939abbcd177e09bdd035ea705b898bdb1094c131ac1fa7f577",
            "648b525481a149822ff52e13f156493dd8bfdf06087c87b8bd70764cb5dacf09",
        ),
        (
            TxKind::Deploy { code_hash: sha3_256(b"code"), input: vec![1, 2], value: 5 },
            "f4a0a1a701b0af98d5ebde5925e0cdb373ad9e3d71a41b737371d9e494ac5b5d",
            "f7904a2e585836a9402164867e2e5530973738d176b11b93011ea8b5c619e987",
        ),
        (
            TxKind::Call {
                contract: Address::contract(&key(1).address(), 0),
                method: "transfer".into(),
                input: vec![9],
                value: 0,
            },
            "751ed6c71ff1f9c2f981f462dabc9c35ee8c385cb81c8b7d599f3b24f55b10d5",
            "ce613c8b21f06ab529579eb894e2ad24e37f3f1529f5a292261fbffb5e3a3b29",
        ),
        (
            TxKind::Withdraw { token: TokenStandard::QSR, amount: 42, l1_recipient: key(3).address() },
            "8537f0ac3a47dee6c1522a05853a6a2e71bbe66a3cb5ed1a00c740c4805245f7",
            "b6ea1073ba0513501c6be72212397564860ef26dc0eb5dc799ff1fcd00fb4528",
        ),
    ];
    for (kind, bytes_sha3, hash) in cases {
        let tx = sample_tx(kind);
        tx.verify(7).unwrap();
        check(&tx, tx.hash(), bytes_sha3, hash);
    }
}

#[test]
fn bundle() {
    let bundle =
        BundleBody { chain_id: 7, poster: key(9).public(), transactions: vec![sample_tx(transfer())] }.sign(&key(9));
    bundle.verify_signature().unwrap();
    check(
        &bundle,
        bundle.body.hash(),
        "006fb098bc7baff6aca86c1a321de501f7b932aca4e929a740e0daf4fa4c2b02",
        "3496445249d7ff42d74fac7b4eea08765456d5019443ae605fa23450ac619d7a",
    );
}

#[test]
fn receipt() {
    let receipt = samples::failed_receipt();
    check(
        &receipt,
        receipt.hash(),
        "fd8488a9c9c6962d5d5faae26e3b425aa4057bdd3ecb40cb0c6049215fcb09b1",
        "2e8356ead46defc0a3101daf901e53bb66517b2c3a9b10e7e7d8a07e3d04a347",
    );
    let dropped = Receipt {
        status: ReceiptStatus::Dropped { reason: DropReason::NonceTooLow { expected: 3 } },
        events: vec![],
        return_data: vec![],
        gas_used: 0,
        ..receipt
    };
    check(
        &dropped,
        dropped.hash(),
        "d9ada02375d356ea01bbc9aeadf3b51ee655f4214fffcc660f244f3d3e23be4e",
        "9ac84e5058cae2ef13563920c7cc6db53f572437c355c12dbc9d0c27e8257750",
    );
}

#[test]
fn claim() {
    let claim = samples::claim();
    claim.verify_signature().unwrap();
    check(
        &claim,
        claim.body.hash(),
        "ecf96c001394ccfc2951a2565fb19b75ab64a12920d6cc7bb3fdb489538cf1c5",
        "10a6464b2bcff62f52aaf3de0ff1dbedc142ed891a974a52b424d0b51023def7",
    );
}

#[test]
fn tampering_breaks_signatures() {
    let mut tx = sample_tx(transfer());
    tx.body.nonce += 1;
    assert!(tx.verify(7).unwrap_err().to_string().contains("bad signature"));
    let tx = sample_tx(transfer());
    assert_eq!(tx.verify(8).unwrap_err().to_string(), "wrong chain id: expected 8, got 7");
}
