//! The canonical ordering rule: a pure function from a momentum's inbox traffic to the ordered list every
//! party executes. It depends on the momentum alone (and the momentum before it), never on an executor's
//! records, so anyone holding the L1 data derives the same list.
//!
//! 1. Inbox account blocks in momentum content order. A block's amount is a deposit to its sender.
//! 2. Each block's data is decoded; a bundle that is malformed, signed badly, for another chain, posted by
//!    someone other than the block's account, too large, repeating a transaction, or holding any invalid
//!    transaction is skipped whole.
//! 3. A transaction already taken from an earlier bundle of the momentum is dropped (by hash; the first
//!    bundle that carried it is its poster). Re-posts of transactions executed in earlier momentums stay in
//!    the list: the state transition drops them by their nonce, with a receipt that changes nothing.
//! 4. Senders are ordered by SHA3(previous momentum hash ‖ sender address), so no relay can buy a place in
//!    line; each sender's transactions by ascending nonce (then hash).

use std::collections::{BTreeMap, BTreeSet};

use zr_common::hash::sha3_256_concat;
use zr_common::nom::{AccountBlock, BlockType};
use zr_common::rollup::{Bundle, Claim, Transaction, limits};
use zr_common::{Address, Hash, SignatureBatch, TokenStandard};

use zr_protocol::Deposit;

use crate::bundle::{Payload, decode_payload};

/// A transaction in canonical position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sequenced {
    /// The transaction.
    pub tx: Transaction,
    /// Its hash.
    pub hash: Hash,
    /// The poster of the bundle that carried it (fees go there).
    pub poster: Address,
}

/// What a momentum's inbox traffic amounts to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ordered {
    /// Deposits, in content order.
    pub deposits: Vec<Deposit>,
    /// Transactions in canonical order.
    pub transactions: Vec<Sequenced>,
    /// Claims posted in this momentum, in content order.
    pub claims: Vec<(Address, Claim)>,
    /// Bundles skipped, with why (for logs and metrics).
    pub skipped: Vec<(Hash, String)>,
}

/// Applies the ordering rule to `blocks` (a momentum's account blocks in content order; blocks not sent
/// to `inbox` are ignored).
pub fn canonical_order(chain_id: u64, inbox: &Address, previous_momentum: &Hash, blocks: &[AccountBlock]) -> Ordered {
    order_verified(verify_inbox(chain_id, inbox, blocks), previous_momentum)
}

/// A momentum's inbox traffic decoded and checked (steps 1 and 2 of the rule), not yet deduplicated or
/// ordered. It depends on nothing but the blocks, so it can be computed ahead of execution.
#[derive(Debug, Clone, Default)]
pub struct Verified {
    deposits: Vec<Deposit>,
    claims: Vec<(Address, Claim)>,
    skipped: Vec<(Hash, String)>,
    /// Valid bundles in block order: the poster and its (transaction, hash) pairs.
    bundles: Vec<(Address, Vec<(Transaction, Hash)>)>,
}

/// Whether an inbox send with `data` locks its amount on L1 for its sender (a bond, a data-availability
/// challenge's deposit, a challenge's part deposit) rather than depositing it into the rollup: its data's first
/// byte is the bond, data-availability challenge or challenge part tag. (The settlement pays such an amount
/// back itself when it gives it back; were it also a rollup deposit, it would be paid twice.)
pub fn locks_amount(data: &[u8]) -> bool {
    use crate::bundle::{BOND_TAG, CHALLENGE_PART_TAG, DA_CHALLENGE_TAG};
    matches!(data.first(), Some(&BOND_TAG | &DA_CHALLENGE_TAG | &CHALLENGE_PART_TAG))
}

/// Whether [`verify_inbox_with`] checks bundle signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signatures {
    /// Check every bundle's signatures (what an executor does).
    Check,
    /// Take them as checked: L1 refuses, when a block is published, a bundle whose signatures do not verify
    /// (`bundle_signatures`), so a confirmed momentum holds none. What the pillars do when judging, so a
    /// verdict does not redo the momentum's signature work.
    CheckedByL1,
}

/// Steps 1 and 2 of [`canonical_order`]: decodes the inbox blocks and checks every bundle, signatures on
/// all cores.
pub fn verify_inbox(chain_id: u64, inbox: &Address, blocks: &[AccountBlock]) -> Verified {
    verify_inbox_with(chain_id, inbox, blocks, Signatures::Check)
}

/// Checks the signatures of `bundle` (its poster's and every transaction's) as one batch, as the ordering
/// rule does; `hashes` are its transactions' hashes. Why not, naming the first that fails.
pub fn bundle_signatures(bundle: &zr_common::rollup::Bundle, hashes: &[Hash]) -> Result<(), String> {
    let mut signatures = SignatureBatch::new();
    signatures.add(&bundle.body.poster, &bundle.body.hash(), &bundle.signature);
    for (tx, hash) in bundle.body.transactions.iter().zip(hashes) {
        signatures.add(&tx.body.sender, hash, &tx.signature);
    }
    signatures.verify().map_err(|(position, e)| match position.checked_sub(1) {
        None => format!("bundle signature: {e}"),
        Some(index) => format!("transaction {}: bad signature: {e}", hashes[index]),
    })
}

/// [`verify_inbox`], checking bundle signatures or not.
pub fn verify_inbox_with(chain_id: u64, inbox: &Address, blocks: &[AccountBlock], signatures: Signatures) -> Verified {
    let mut ordered = Verified::default();
    // First pass, in content order: deposits, claims, and bundles that decode and are well addressed.
    let mut bundles = Vec::new();
    for block in blocks.iter().filter(|b| b.to_address == *inbox && b.kind() == Some(BlockType::UserSend)) {
        if block.amount > 0
            && !locks_amount(&block.data)
            && matches!(block.token_standard, TokenStandard::ZNN | TokenStandard::QSR)
        {
            ordered.deposits.push(Deposit {
                account: block.address,
                token: block.token_standard,
                amount: block.amount,
                l1_block: block.hash,
            });
        }
        if block.data.is_empty() {
            continue;
        }
        let bundle = match decode_payload(&block.data) {
            Ok(Payload::Bundle(bundle)) => bundle,
            Ok(Payload::Claim(claim)) => {
                ordered.claims.push((block.address, claim));
                continue;
            }
            Ok(
                Payload::Bond
                | Payload::Unbond
                | Payload::ChallengePart(_)
                | Payload::Withdrawal(_)
                | Payload::DaChallenge(_)
                | Payload::LeavesPart(_),
            ) => continue,
            Err(e) => {
                ordered.skipped.push((block.hash, e.to_string()));
                continue;
            }
        };
        if bundle.body.chain_id != chain_id {
            ordered.skipped.push((block.hash, format!("bundle for chain {}, not {chain_id}", bundle.body.chain_id)));
            continue;
        }
        if bundle.body.poster.address() != block.address {
            ordered.skipped.push((block.hash, "bundle poster is not the L1 account that posted it".into()));
            continue;
        }
        // Checked before any signature: a cheap bundle must not buy expensive work.
        if bundle.body.transactions.len() > limits::MAX_BUNDLE_TXS {
            ordered
                .skipped
                .push((block.hash, format!("bundle holds more than {} transactions", limits::MAX_BUNDLE_TXS)));
            continue;
        }
        // Each transaction is hashed once here; the signature checks and de-duplication reuse it.
        let hashes: Vec<Hash> = bundle.body.transactions.iter().map(Transaction::hash).collect();
        if hashes.iter().collect::<BTreeSet<_>>().len() != hashes.len() {
            ordered.skipped.push((block.hash, "bundle repeats a transaction".into()));
            continue;
        }
        bundles.push((block, bundle, hashes));
    }
    let verdict = |(_, bundle, hashes): &(&AccountBlock, Bundle, Vec<Hash>)| {
        for (tx, hash) in bundle.body.transactions.iter().zip(hashes) {
            zr_protocol::check_transaction(tx, chain_id).map_err(|e| format!("transaction {hash}: {e}"))?;
        }
        // A bundle's signatures are checked as one batch: it is valid only if all of them are.
        match signatures {
            Signatures::Check => bundle_signatures(bundle, hashes),
            Signatures::CheckedByL1 => Ok(()),
        }
    };
    // Signatures are checked on every core; the verdicts, not the timing, decide. Without them the checks are
    // cheap and run in place: the pillars' judge (and the C library) starts no thread, so a node that cannot
    // start one still answers as every other does.
    let verdicts: Vec<Result<(), String>> = match signatures {
        Signatures::Check => parallel_map(&bundles, verdict),
        Signatures::CheckedByL1 => bundles.iter().map(verdict).collect(),
    };
    for ((block, bundle, hashes), verdict) in bundles.into_iter().zip(verdicts) {
        match verdict {
            Ok(()) => ordered.bundles.push((block.address, bundle.body.transactions.into_iter().zip(hashes).collect())),
            Err(reason) => ordered.skipped.push((block.hash, reason)),
        }
    }
    ordered
}

/// Where `sender`'s transactions go in a momentum after `previous_momentum`: senders are ordered by this hash,
/// SHA3(previous momentum hash ‖ the sender's 20 address bytes), which no sender can choose before L1 does.
pub fn sender_rank(previous_momentum: &Hash, sender: &Address) -> Hash {
    sha3_256_concat([&previous_momentum.0[..], &sender.0[..]])
}

/// Steps 3 and 4 of [`canonical_order`], on verified traffic.
pub fn order_verified(verified: Verified, previous_momentum: &Hash) -> Ordered {
    let Verified { deposits, claims, skipped, bundles } = verified;
    let mut taken: BTreeSet<Hash> = BTreeSet::new();
    let mut by_sender: BTreeMap<Address, Vec<Sequenced>> = BTreeMap::new();
    for (poster, transactions) in bundles {
        for (tx, hash) in transactions {
            if !taken.insert(hash) {
                continue;
            }
            by_sender.entry(tx.body.sender_address()).or_default().push(Sequenced { tx, hash, poster });
        }
    }
    let mut senders: Vec<(Hash, Vec<Sequenced>)> = by_sender
        .into_iter()
        .map(|(sender, mut txs)| {
            txs.sort_by_key(|s| (s.tx.body.nonce, s.hash));
            (sender_rank(previous_momentum, &sender), txs)
        })
        .collect();
    senders.sort_by_key(|(rank, _)| *rank);
    // Past the cap, transactions are not in this momentum (as if never posted): every claim's leaves then fit
    // a data-availability answer.
    let transactions = senders.into_iter().flat_map(|(_, txs)| txs).take(limits::MAX_MOMENTUM_TRANSACTIONS).collect();
    Ordered { deposits, transactions, claims, skipped }
}

/// `f` over `items` on all cores, results in input order.
fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(items.len().max(1));
    if threads <= 1 {
        return items.iter().map(&f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> =
            items.chunks(chunk).map(|part| scope.spawn(|| part.iter().map(&f).collect::<Vec<R>>())).collect();
        handles.into_iter().flat_map(|h| h.join().expect("verification thread panicked")).collect()
    })
}
