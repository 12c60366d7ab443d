//! The chain database (redb). One durable write transaction per momentum: a crash never leaves half a
//! momentum, and a confirmed momentum is never lost.

use std::path::Path;

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use zr_common::codec::{self, CodecError};
use zr_common::nom::{AccountBlock, BlockType, Momentum};
use zr_common::{Address, AddressKind, Hash};

use crate::DevnetError;
use crate::embedded::Settlement;
use crate::genesis::Genesis;
use crate::state::AccountState;
use zr_settlement::StoredChanges;

/// redb's page cache, in bytes: its default (1 GiB) let memory grow with the file over a long run, and
/// recent momentums are what is read.
const CACHE_BYTES: usize = 64 * 1024 * 1024;

const META: TableDefinition<'_, &str, &[u8]> = TableDefinition::new("meta");
const MOMENTUMS: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("momentums");
const MOMENTUM_HEIGHTS: TableDefinition<'_, [u8; 32], u64> = TableDefinition::new("momentum_heights");
const BLOCKS: TableDefinition<'_, [u8; 32], &[u8]> = TableDefinition::new("blocks");
const ACCOUNT_CHAINS: TableDefinition<'_, ([u8; 20], u64), [u8; 32]> = TableDefinition::new("account_chains");
const ACCOUNTS: TableDefinition<'_, [u8; 20], &[u8]> = TableDefinition::new("accounts");
const RECEIVED: TableDefinition<'_, [u8; 32], [u8; 32]> = TableDefinition::new("received");
/// Confirmed sends to user accounts not received yet: (recipient, confirming momentum, send hash).
const UNRECEIVED: TableDefinition<'_, ([u8; 20], u64, [u8; 32]), ()> = TableDefinition::new("unreceived");

/// The settlement's maps stored by key (`zr_settlement::Stored`), written as each momentum changes them: withdrawals
/// paid (transaction → paying block), challenge parts' bytes by (id, sender, index), leaves parts' bytes by (height,
/// sender, index).
const SETTLEMENT_PAID: TableDefinition<'_, [u8; 32], [u8; 32]> = TableDefinition::new("settlement_paid");
/// A challenge part's key: (challenge id, sender, part index).
type ChallengePartKey = ([u8; 32], [u8; 20], u32);
const SETTLEMENT_CHALLENGE_BYTES: TableDefinition<'_, ChallengePartKey, &[u8]> =
    TableDefinition::new("settlement_challenge_bytes");
const SETTLEMENT_LEAVES_BYTES: TableDefinition<'_, (u64, [u8; 20], u32), &[u8]> =
    TableDefinition::new("settlement_leaves_bytes");
const GENESIS_KEY: &str = "genesis";
const SETTLEMENT_KEY: &str = "settlement";
const MAX_STORED: usize = 64 * 1024 * 1024;

/// A confirmed block and the momentum that confirmed it.
#[derive(Debug, Clone, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct StoredBlock {
    /// The block.
    pub block: AccountBlock,
    /// The confirming momentum's height.
    pub momentum_height: u64,
}

/// Everything one momentum changes, written at once.
pub struct MomentumWrite<'a> {
    /// The momentum.
    pub momentum: &'a Momentum,
    /// Its blocks.
    pub blocks: &'a [AccountBlock],
    /// The confirmed states of the accounts it touched.
    pub accounts: &'a [(Address, AccountState)],
    /// (send hash, receive hash) pairs it confirmed.
    pub received: &'a [(Hash, Hash)],
    /// The rollup's settlement state after it, and what it changed of the settlement's maps stored by key
    /// (none at genesis: empty).
    pub settlement: Option<(&'a Settlement, &'a StoredChanges)>,
}

/// The chain database.
pub struct Store {
    db: Database,
}

fn decode<T: bincode::Encode + bincode::Decode<()>>(what: &'static str, bytes: &[u8]) -> Result<T, CodecError> {
    codec::decode(what, bytes, MAX_STORED)
}

impl Store {
    /// Whether `dir` holds a chain database.
    pub fn exists(dir: &Path) -> bool {
        dir.join("chain.redb").exists()
    }

    /// Opens (or creates) the chain database in `dir`.
    pub fn open(dir: &Path) -> Result<Store, DevnetError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| DevnetError::Store(format!("cannot create {}: {e}", dir.display())))?;
        let db = Database::builder().set_cache_size(CACHE_BYTES).create(dir.join("chain.redb"))?;
        let txn = db.begin_write()?;
        txn.open_table(META)?;
        txn.open_table(MOMENTUMS)?;
        txn.open_table(MOMENTUM_HEIGHTS)?;
        txn.open_table(BLOCKS)?;
        txn.open_table(ACCOUNT_CHAINS)?;
        txn.open_table(ACCOUNTS)?;
        txn.open_table(RECEIVED)?;
        txn.open_table(SETTLEMENT_PAID)?;
        txn.open_table(SETTLEMENT_CHALLENGE_BYTES)?;
        txn.open_table(SETTLEMENT_LEAVES_BYTES)?;
        txn.commit()?;
        Ok(Store { db })
    }

    /// The stored genesis, if the chain was initialised.
    pub fn genesis(&self) -> Result<Option<Genesis>, DevnetError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(META)?;
        let value = table.get(GENESIS_KEY)?;
        Ok(match value {
            Some(bytes) => Some(decode("genesis", bytes.value())?),
            None => None,
        })
    }

    /// The settlement state as of the last momentum committed (none before any: the genesis makes it).
    pub fn settlement(&self) -> Result<Option<Settlement>, DevnetError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(META)?;
        let Some(bytes) = table.get(SETTLEMENT_KEY)? else { return Ok(None) };
        let mut settlement: Settlement = codec::decode_stored("settlement", bytes.value())?;
        for entry in txn.open_table(SETTLEMENT_PAID)?.iter()? {
            let (tx_hash, block) = entry?;
            settlement.restore_paid(Hash(tx_hash.value()), Hash(block.value()));
        }
        for entry in txn.open_table(SETTLEMENT_CHALLENGE_BYTES)?.iter()? {
            let (key, bytes) = entry?;
            let (id, sender, index) = key.value();
            settlement.restore_challenge_bytes(Hash(id), Address(sender), index, bytes.value().to_vec());
        }
        for entry in txn.open_table(SETTLEMENT_LEAVES_BYTES)?.iter()? {
            let (key, bytes) = entry?;
            let (height, sender, index) = key.value();
            settlement.restore_leaves_bytes(height, Address(sender), index, bytes.value().to_vec());
        }
        Ok(Some(settlement))
    }

    /// Writes the genesis record and the genesis momentum together.
    pub fn init(&self, genesis: &Genesis, write: MomentumWrite<'_>) -> Result<(), DevnetError> {
        self.commit(Some(genesis), write)
    }

    /// Commits one momentum durably.
    pub fn commit_momentum(&self, write: MomentumWrite<'_>) -> Result<(), DevnetError> {
        self.commit(None, write)
    }

    fn commit(&self, genesis: Option<&Genesis>, write: MomentumWrite<'_>) -> Result<(), DevnetError> {
        let txn = self.db.begin_write()?;
        {
            if let Some(genesis) = genesis {
                txn.open_table(META)?.insert(GENESIS_KEY, codec::encode(genesis).as_slice())?;
            }
            if let Some((settlement, stored)) = write.settlement {
                txn.open_table(META)?.insert(SETTLEMENT_KEY, codec::encode(settlement).as_slice())?;
                let mut paid = txn.open_table(SETTLEMENT_PAID)?;
                for (tx_hash, block) in &stored.paid {
                    match block {
                        Some(block) => paid.insert(tx_hash.0, block.0)?,
                        None => paid.remove(tx_hash.0)?,
                    };
                }
                let mut challenge_bytes = txn.open_table(SETTLEMENT_CHALLENGE_BYTES)?;
                for ((id, sender, index), bytes) in &stored.challenge_bytes {
                    match bytes {
                        Some(bytes) => challenge_bytes.insert((id.0, sender.0, *index), bytes.as_slice())?,
                        None => challenge_bytes.remove((id.0, sender.0, *index))?,
                    };
                }
                let mut leaves_bytes = txn.open_table(SETTLEMENT_LEAVES_BYTES)?;
                for ((height, sender, index), bytes) in &stored.leaves_bytes {
                    match bytes {
                        Some(bytes) => leaves_bytes.insert((*height, sender.0, *index), bytes.as_slice())?,
                        None => leaves_bytes.remove((*height, sender.0, *index))?,
                    };
                }
            }
            let height = write.momentum.height;
            txn.open_table(MOMENTUMS)?.insert(height, codec::encode(write.momentum).as_slice())?;
            txn.open_table(MOMENTUM_HEIGHTS)?.insert(write.momentum.hash.0, height)?;
            let mut blocks = txn.open_table(BLOCKS)?;
            let mut chains = txn.open_table(ACCOUNT_CHAINS)?;
            let mut unreceived = txn.open_table(UNRECEIVED)?;
            for block in write.blocks {
                let stored = StoredBlock { block: block.clone(), momentum_height: height };
                blocks.insert(block.hash.0, codec::encode(&stored).as_slice())?;
                chains.insert((block.address.0, block.height), block.hash.0)?;
                // Sends to embedded contracts take effect when confirmed; a user receives its own.
                let send = matches!(block.kind(), Some(BlockType::UserSend | BlockType::ContractSend));
                if send && block.to_address.kind() == Some(AddressKind::User) {
                    unreceived.insert((block.to_address.0, height, block.hash.0), ())?;
                }
            }
            for (send, _) in write.received {
                let sent = match blocks.get(send.0)? {
                    Some(bytes) => decode::<StoredBlock>("block", bytes.value())?,
                    None => continue,
                };
                unreceived.remove((sent.block.to_address.0, sent.momentum_height, send.0))?;
            }
            let mut accounts = txn.open_table(ACCOUNTS)?;
            for (address, state) in write.accounts {
                accounts.insert(address.0, codec::encode(state).as_slice())?;
            }
            let mut received = txn.open_table(RECEIVED)?;
            for (send, receive) in write.received {
                received.insert(send.0, receive.0)?;
            }
        }
        txn.commit()?;
        Ok(())
    }

    /// The frontier (highest) momentum.
    pub fn frontier_momentum(&self) -> Result<Option<Momentum>, DevnetError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(MOMENTUMS)?;
        let last = table.last()?;
        Ok(match last {
            Some((_, bytes)) => Some(decode("momentum", bytes.value())?),
            None => None,
        })
    }

    /// The momentums from `height`, at most `count`.
    pub fn momentums(&self, height: u64, count: u64) -> Result<Vec<Momentum>, DevnetError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(MOMENTUMS)?;
        let mut out = Vec::new();
        for entry in table.range(height..height.saturating_add(count))? {
            out.push(decode("momentum", entry?.1.value())?);
        }
        Ok(out)
    }

    /// The momentum at `height`.
    pub fn momentum(&self, height: u64) -> Result<Option<Momentum>, DevnetError> {
        Ok(self.momentums(height, 1)?.pop())
    }

    /// The height of the momentum with `hash`.
    pub fn momentum_height(&self, hash: &Hash) -> Result<Option<u64>, DevnetError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(MOMENTUM_HEIGHTS)?;
        Ok(table.get(hash.0)?.map(|v| v.value()))
    }

    /// A confirmed block by hash.
    pub fn block(&self, hash: &Hash) -> Result<Option<StoredBlock>, DevnetError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(BLOCKS)?;
        let value = table.get(hash.0)?;
        Ok(match value {
            Some(bytes) => Some(decode("block", bytes.value())?),
            None => None,
        })
    }

    /// The hash of the confirmed block of `address` at `height`.
    pub fn block_at(&self, address: &Address, height: u64) -> Result<Option<Hash>, DevnetError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(ACCOUNT_CHAINS)?;
        Ok(table.get((address.0, height))?.map(|v| Hash(v.value())))
    }

    /// The receive block of a confirmed send, if confirmed.
    pub fn receive_of(&self, send: &Hash) -> Result<Option<Hash>, DevnetError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(RECEIVED)?;
        Ok(table.get(send.0)?.map(|v| Hash(v.value())))
    }

    /// Confirmed sends to `address` it has not received (in a confirmed block), oldest first (the chain lists
    /// them in hash order, as go-zenon does).
    pub fn unreceived(&self, address: &Address) -> Result<Vec<StoredBlock>, DevnetError> {
        let txn = self.db.begin_read()?;
        let index = txn.open_table(UNRECEIVED)?;
        let blocks = txn.open_table(BLOCKS)?;
        let mut out = Vec::new();
        for entry in index.range((address.0, 0, [0; 32])..=(address.0, u64::MAX, [0xff; 32]))? {
            let (key, _) = entry?;
            let (_, _, hash) = key.value();
            if let Some(bytes) = blocks.get(hash)? {
                out.push(decode("block", bytes.value())?);
            }
        }
        Ok(out)
    }

    /// Every confirmed account state.
    pub fn accounts(&self) -> Result<Vec<(Address, AccountState)>, DevnetError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(ACCOUNTS)?;
        let mut out = Vec::new();
        for entry in table.iter()? {
            let (key, value) = entry?;
            out.push((Address(key.value()), decode("account", value.value())?));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use zr_common::Canonical;
    use zr_common::rollup::ClaimBody;
    use zr_common::rollup::settlement::{MIN_BOND, PART_DEPOSIT, Parameters};
    use zr_common::{KeyPair, TokenStandard};
    use zr_fraud::{Dispute, ShapeChallenge};
    use zr_protocol::{ClaimLeaf, LeafProof};
    use zr_sequencing::bundle::ChallengePart;
    use zr_settlement::L1View;

    use super::*;

    fn send(from: &KeyPair, n: u8, amount: u128) -> AccountBlock {
        AccountBlock {
            address: from.address(),
            hash: Hash([n; 32]),
            token_standard: TokenStandard::ZNN,
            amount,
            ..AccountBlock::default()
        }
    }

    struct Timestamps;

    impl L1View for Timestamps {
        fn momentum_timestamp(&self, height: u64) -> Result<Option<u64>, String> {
            Ok(Some(height))
        }
    }

    fn commit(store: &Store, height: u64, settlement: &mut Settlement) {
        let momentum = Momentum {
            version: 1,
            chain_identifier: 1,
            hash: Hash([height as u8; 32]),
            previous_hash: Hash::ZERO,
            height,
            timestamp: height,
            data: Vec::new(),
            content: Vec::new(),
            changes_hash: Hash::ZERO,
            public_key: Vec::new(),
            signature: Vec::new(),
        };
        let stored = settlement.take_stored_changes();
        let write = MomentumWrite {
            momentum: &momentum,
            blocks: &[],
            accounts: &[],
            received: &[],
            settlement: Some((settlement, &stored)),
        };
        store.commit_momentum(write).unwrap();
    }

    /// The settlement's maps stored by key come back on reopening, and what a momentum removes is gone.
    #[test]
    fn the_settlement_reopens_with_its_stored_maps() {
        let dir = tempfile::tempdir().unwrap();
        let challenger = KeyPair::from_seed(&[3; 32]);
        let executor = KeyPair::from_seed(&[4; 32]);
        let mut settlement = Settlement::new(Parameters::new(1, Hash([7; 32]))).unwrap();
        settlement.bond_sent(&send(&challenger, 1, MIN_BOND), 1);
        settlement.bond_sent(&send(&executor, 6, MIN_BOND), 1);
        let body = ClaimBody {
            chain_id: 1,
            executor: executor.public(),
            height: 1,
            timestamp: 1,
            prev_state_root: Hash::ZERO,
            new_state_root: Hash([8; 32]),
            leaves_root: Hash([8; 32]),
            vm_version: Hash([7; 32]),
        };
        settlement.claim_sent(&send(&executor, 7, 0), body.sign(&executor), 2, &Timestamps);
        // Part 0 of a two-part challenge of that claim: a real dispute's first bytes, and filler.
        let leaf = ClaimLeaf::default();
        let proof = LeafProof { index: 0, leaf_count: 1, siblings: vec![] };
        let mut bytes =
            Dispute::Shape(ShapeChallenge { executor: executor.public(), height: 1, leaf, proof }).to_bytes();
        bytes.resize(10_000, 5);
        let part = ChallengePart { id: Hash([9; 32]), index: 0, count: 2, bytes };
        settlement.challenge_part(&send(&challenger, 2, 2 * PART_DEPOSIT), part, 2);
        settlement.paid(Hash([4; 32]), Hash([5; 32]));
        let store = Store::open(dir.path()).unwrap();
        commit(&store, 2, &mut settlement);
        let txn = store.db.begin_read().unwrap();
        assert_eq!(txn.open_table(SETTLEMENT_CHALLENGE_BYTES).unwrap().iter().unwrap().count(), 1, "part 0 is stored");
        drop(txn);
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        let reopened = store.settlement().unwrap().unwrap();
        assert_eq!(reopened, settlement);
        assert_eq!(reopened.payout(&Hash([4; 32])), Some(Hash([5; 32])));
        // The challenge's second part is garbage: the challenge completes (its bytes are dropped) and costs the bond.
        let last = ChallengePart { id: Hash([9; 32]), index: 1, count: 2, bytes: vec![6; 10] };
        settlement.challenge_part(&send(&challenger, 3, 0), last, 3);
        commit(&store, 3, &mut settlement);
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.settlement().unwrap().unwrap(), settlement);
        let txn = store.db.begin_read().unwrap();
        let left = txn.open_table(SETTLEMENT_CHALLENGE_BYTES).unwrap().iter().unwrap().count();
        assert_eq!(left, 0, "the parts' bytes are removed");
    }
}
