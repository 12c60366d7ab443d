//! Property tests of the canonical ordering rule.

use proptest::prelude::*;
use zr_common::nom::{AccountBlock, BlockType};
use zr_common::rollup::{BundleBody, Transaction, TxBody, TxKind};
use zr_common::{Address, Hash, KeyPair, TokenStandard, sha3_256};
use zr_sequencing::bundle::encode_bundle;
use zr_sequencing::canonical_order;

const CHAIN: u64 = 5;

fn user(n: u8) -> KeyPair {
    KeyPair::from_seed(&[n; 32])
}

fn tx(sender: u8, nonce: u64) -> Transaction {
    let key = user(sender);
    TxBody {
        chain_id: CHAIN,
        sender: key.public(),
        nonce,
        gas_limit: 100_000,
        fee_per_gas: 1,
        kind: TxKind::Transfer { to: Address::ZERO, token: TokenStandard::ZNN, amount: 1 },
    }
    .sign(&key)
}

fn inbox_block(poster: &KeyPair, data: Vec<u8>, salt: u64) -> AccountBlock {
    AccountBlock {
        block_type: BlockType::UserSend as u64,
        address: poster.address(),
        to_address: Address::INBOX,
        height: salt,
        hash: sha3_256(&salt.to_le_bytes()),
        data,
        ..AccountBlock::default()
    }
}

fn bundle_block(poster_seed: u8, txs: Vec<Transaction>, salt: u64) -> AccountBlock {
    let poster = user(poster_seed);
    let bundle = BundleBody { chain_id: CHAIN, poster: poster.public(), transactions: txs }.sign(&poster);
    inbox_block(&poster, encode_bundle(&bundle).unwrap(), salt)
}

fn order_hashes(blocks: &[AccountBlock]) -> Vec<Hash> {
    canonical_order(CHAIN, &Address::INBOX, &Hash([3; 32]), blocks).transactions.iter().map(|s| s.hash).collect()
}

fn pool() -> impl Strategy<Value = Vec<(u8, u64)>> {
    proptest::collection::btree_set((10u8..16, 0u64..4), 1..20).prop_map(|s| s.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn order_ignores_how_transactions_are_split_and_duplicated(txs in pool(), split in any::<prop::sample::Index>(), dup in any::<prop::sample::Index>()) {
        let all: Vec<Transaction> = txs.iter().map(|(s, n)| tx(*s, *n)).collect();
        let one = order_hashes(&[bundle_block(1, all.clone(), 1)]);
        let cut = split.index(all.len() + 1);
        let second = all[cut..].to_vec();
        let copy = vec![all[dup.index(all.len())].clone()];
        let two = order_hashes(&[bundle_block(2, second, 2), bundle_block(3, copy, 4), bundle_block(1, all[..cut].to_vec(), 3)]);
        prop_assert_eq!(&one, &two);
        prop_assert_eq!(one.len(), all.len());
    }

    #[test]
    fn invalid_bundles_change_nothing(txs in pool(), garbage in proptest::collection::vec(any::<u8>(), 0..200), at in any::<prop::sample::Index>()) {
        let all: Vec<Transaction> = txs.iter().map(|(s, n)| tx(*s, *n)).collect();
        let valid = bundle_block(1, all, 1);
        let clean = order_hashes(std::slice::from_ref(&valid));
        // Garbage, a bundle with a forged transaction, a bundle for another chain, a bundle posted by
        // someone else's L1 account.
        let mut forged = tx(20, 0);
        forged.body.nonce = 9;
        let poster = user(2);
        let wrong_chain = BundleBody { chain_id: CHAIN + 1, poster: poster.public(), transactions: vec![tx(21, 0)] }.sign(&poster);
        let stolen = BundleBody { chain_id: CHAIN, poster: poster.public(), transactions: vec![tx(22, 0)] }.sign(&poster);
        let mut blocks = vec![
            inbox_block(&user(3), garbage, 10),
            bundle_block(2, vec![tx(23, 0), forged], 11),
            inbox_block(&poster, encode_bundle(&wrong_chain).unwrap(), 12),
            inbox_block(&user(4), encode_bundle(&stolen).unwrap(), 13),
        ];
        blocks.insert(at.index(blocks.len() + 1), valid);
        prop_assert_eq!(order_hashes(&blocks), clean);
    }
}

#[test]
fn senders_by_rank_nonces_ascending_deposits_credited() {
    let blocks = vec![bundle_block(1, vec![tx(10, 1), tx(11, 0), tx(10, 0)], 1)];
    let ordered = canonical_order(CHAIN, &Address::INBOX, &Hash([3; 32]), &blocks);
    let tens: Vec<u64> = ordered
        .transactions
        .iter()
        .filter(|s| s.tx.body.sender == user(10).public())
        .map(|s| s.tx.body.nonce)
        .collect();
    assert_eq!(tens, vec![0, 1]);
    assert!(ordered.transactions.iter().all(|s| s.poster == user(1).address()));
    // Re-posts of earlier momentums' transactions are not the rule's business: all three stay, for the
    // state transition to drop by nonce. A repeat within the momentum is dropped.
    let again = bundle_block(2, vec![tx(10, 0)], 2);
    let ordered = canonical_order(CHAIN, &Address::INBOX, &Hash([4; 32]), &[blocks[0].clone(), again]);
    assert_eq!(ordered.transactions.len(), 3);
    assert!(ordered.transactions.iter().all(|s| s.poster == user(1).address()), "the first bundle is the poster");
    let mut deposit = inbox_block(&user(5), vec![], 7);
    deposit.amount = 500;
    deposit.token_standard = TokenStandard::QSR;
    let mut unknown = inbox_block(&user(5), vec![], 8);
    unknown.amount = 9;
    unknown.token_standard = "zts1k5stg3k4dmevfgwtgmg36u".parse().unwrap();
    let ordered = canonical_order(CHAIN, &Address::INBOX, &Hash([4; 32]), &[deposit, unknown]);
    assert_eq!(ordered.deposits.len(), 1);
    assert_eq!(ordered.deposits[0].amount, 500);
}

#[test]
fn repeating_bundles_are_skipped_before_signature_checks() {
    let repeated = bundle_block(1, vec![tx(10, 0), tx(10, 0)], 1);
    let ordered = canonical_order(CHAIN, &Address::INBOX, &Hash([3; 32]), &[repeated]);
    assert!(ordered.transactions.is_empty());
    assert!(ordered.skipped[0].1.contains("repeats"), "{:?}", ordered.skipped);
}

/// Senders are ranked by SHA3(previous momentum hash ‖ sender address): not by address, not by arrival, and
/// differently under another previous momentum.
#[test]
fn senders_are_ranked_by_hash_of_previous_momentum_and_address() {
    let senders: Vec<u8> = (30..46).collect();
    let txs: Vec<Transaction> = senders.iter().map(|s| tx(*s, 0)).collect();
    let blocks = [bundle_block(1, txs, 1)];
    let mut ranks = Vec::new();
    for previous in [Hash([3; 32]), Hash([4; 32])] {
        let ordered = canonical_order(CHAIN, &Address::INBOX, &previous, &blocks);
        let got: Vec<Address> = ordered.transactions.iter().map(|s| s.tx.body.sender_address()).collect();
        let mut expected: Vec<Address> = senders.iter().map(|s| user(*s).address()).collect();
        expected.sort_by_key(|a| zr_common::hash::sha3_256_concat([&previous.0[..], &a.0[..]]));
        assert_eq!(got, expected);
        let mut by_address = got.clone();
        by_address.sort();
        assert_ne!(got, by_address, "ranking must not be address order");
        ranks.push(got);
    }
    assert_ne!(ranks[0], ranks[1], "another previous momentum ranks differently");
}

/// A transaction offering less than the protocol's minimum fee per gas is invalid on its own.
#[test]
fn bundles_with_free_gas_are_skipped() {
    let key = user(52);
    let free = TxBody { fee_per_gas: 0, ..tx(52, 0).body }.sign(&key);
    let ordered = canonical_order(CHAIN, &Address::INBOX, &Hash([3; 32]), &[bundle_block(1, vec![free], 1)]);
    assert!(ordered.transactions.is_empty());
    assert!(ordered.skipped[0].1.contains("below the minimum"), "{:?}", ordered.skipped);
}

/// A transaction whose gas limit is outside intrinsic..=cap is invalid on its own: its bundle is skipped.
#[test]
fn bundles_with_impossible_gas_limits_are_skipped() {
    for gas_limit in [1, zr_protocol::gas::MAX_TX_GAS + 1] {
        let key = user(50);
        let bad = TxBody { gas_limit, ..tx(50, 0).body }.sign(&key);
        let ordered =
            canonical_order(CHAIN, &Address::INBOX, &Hash([3; 32]), &[bundle_block(1, vec![tx(51, 0), bad], 1)]);
        assert!(ordered.transactions.is_empty());
        assert!(ordered.skipped[0].1.contains("gas limit"), "{:?}", ordered.skipped);
    }
}

/// Attack (review): a challenge part's deposit was credited on the rollup as well as paid back on L1 by the
/// settlement, so an unbonded account sending a refused part 0 with 52 ZNN got 52 ZNN twice. ZNN sent with a
/// bond, a data-availability challenge or a challenge part is locked on L1, never a rollup deposit.
#[test]
fn attack_a_challenge_parts_deposit_is_credited_on_the_rollup_too() {
    use zr_sequencing::bundle::{BOND_TAG, CHALLENGE_PART_TAG, DA_CHALLENGE_TAG};
    let locked: Vec<AccountBlock> = [vec![BOND_TAG], vec![DA_CHALLENGE_TAG, 1], vec![CHALLENGE_PART_TAG, 1, 2]]
        .into_iter()
        .enumerate()
        .map(|(i, data)| AccountBlock {
            amount: 52 * 100_000_000,
            token_standard: TokenStandard::ZNN,
            ..inbox_block(&user(5), data, 20 + i as u64)
        })
        .collect();
    let ordered = canonical_order(CHAIN, &Address::INBOX, &Hash([4; 32]), &locked);
    assert!(ordered.deposits.is_empty(), "{:?}", ordered.deposits);
}
