//! Property tests: round trips, and decoding arbitrary bytes never panics.

use proptest::prelude::*;
use zr_common::rollup::{Bundle, Claim, Receipt, Transaction, TxBody, TxKind};
use zr_common::{Address, Canonical, KeyPair, TokenStandard};

fn kind() -> impl Strategy<Value = TxKind> {
    prop_oneof![
        (any::<[u8; 20]>(), any::<u128>()).prop_map(|(to, amount)| TxKind::Transfer {
            to: Address(to),
            token: TokenStandard::ZNN,
            amount
        }),
        (any::<[u8; 32]>(), 0u32..4, proptest::collection::vec(any::<u8>(), 1..64)).prop_map(|(h, index, bytes)| {
            TxKind::UploadChunk { code_hash: zr_common::Hash(h), index, count: 4, bytes }
        }),
        ("[a-z_]{1,16}", proptest::collection::vec(any::<u8>(), 0..64), any::<u128>())
            .prop_map(|(method, input, value)| TxKind::Call { contract: Address([2; 20]), method, input, value }),
    ]
}

proptest! {
    #[test]
    fn transaction_round_trips(kind in kind(), nonce: u64, gas: u64, fee: u64, seed: [u8; 32]) {
        let key = KeyPair::from_seed(&seed);
        let tx = TxBody { chain_id: 1, sender: key.public(), nonce, gas_limit: gas, fee_per_gas: fee, kind }.sign(&key);
        let bytes = tx.to_bytes();
        prop_assert_eq!(Transaction::from_bytes(&bytes).unwrap(), tx.clone());
        prop_assert!(tx.verify(1).is_ok());
        let json = serde_json::to_string(&tx).unwrap();
        prop_assert_eq!(serde_json::from_str::<Transaction>(&json).unwrap(), tx);
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = Transaction::from_bytes(&bytes);
        let _ = Bundle::from_bytes(&bytes);
        let _ = Receipt::from_bytes(&bytes);
        let _ = Claim::from_bytes(&bytes);
    }

    #[test]
    fn mutated_encodings_never_panic(kind in kind(), flip in any::<prop::sample::Index>(), byte: u8) {
        let key = KeyPair::from_seed(&[1; 32]);
        let tx = TxBody { chain_id: 1, sender: key.public(), nonce: 0, gas_limit: 1, fee_per_gas: 0, kind }.sign(&key);
        let mut bytes = tx.to_bytes();
        let i = flip.index(bytes.len());
        bytes[i] = byte;
        if let Ok(decoded) = Transaction::from_bytes(&bytes) {
            // Whatever decodes re-encodes to the same bytes.
            prop_assert_eq!(decoded.to_bytes(), bytes);
        }
    }

    #[test]
    fn address_text_round_trips(bytes: [u8; 20]) {
        let address = Address(bytes);
        prop_assert_eq!(address.to_string().parse::<Address>().unwrap(), address);
    }

    #[test]
    fn address_parse_never_panics(text in "\\PC{0,60}") {
        let _ = text.parse::<Address>();
        let _ = text.parse::<TokenStandard>();
        let _ = text.parse::<zr_common::Hash>();
    }
}

proptest::proptest! {
    /// The counted length is the length of the encoding.
    #[test]
    fn encoded_len_counts_the_encoding(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300), n in proptest::prelude::any::<u64>()) {
        let value = (n, bytes, Some(n as u32));
        proptest::prop_assert_eq!(zr_common::codec::encoded_len(&value), zr_common::codec::encode(&value).len());
    }
}
