//! Checks a user-published account block against the frontier, as go-zenon's verifier and VM do; error
//! texts are go-zenon's where it has one.

use zr_common::nom::{AccountBlock, BlockType, MAX_DATA_LEN, VERSION, plasma, pow};
use zr_common::{Address, AddressKind, Hash, TokenStandard};

use crate::PublishError;
use crate::chain::Inner;
use crate::state::AccountState;
use crate::store::Store;

/// Unconfirmed blocks one account may have (go-zenon's `MaxUncommittedBlocksPerAccount`).
pub const MAX_PENDING_PER_ACCOUNT: u32 = 500;
/// Unconfirmed blocks the whole devnet holds.
pub const MAX_POOL: usize = 20_000;

/// What an accepted block changes in the frontier.
pub struct Accepted {
    /// The account's new frontier state.
    pub state: AccountState,
}

fn fail<T>(message: impl Into<String>) -> Result<T, PublishError> {
    Err(PublishError::new(message))
}

/// The plasma a block needs, or why it cannot be sent.
pub fn base_plasma(block_type: u64, to: &Address, data: &[u8]) -> Result<u64, PublishError> {
    if BlockType::from_u64(block_type) != Some(BlockType::UserSend) {
        return Ok(plasma::BASE_PLASMA_PER_BLOCK);
    }
    if data.len() > MAX_DATA_LEN {
        return fail("account-block data field is too big");
    }
    match crate::embedded::at(to)? {
        Some(contract) => contract.base_plasma(data),
        None => Ok(plasma::required_plasma(data.len())),
    }
}

impl Inner {
    /// Verifies `b` against the frontier; on success returns the account's new frontier state.
    pub fn verify(&self, b: &AccountBlock, store: &Store, chain_identifier: u64) -> Result<Accepted, PublishError> {
        if b.chain_identifier == 0 {
            return fail("account-block chain-identifier is missing");
        }
        if b.chain_identifier != chain_identifier {
            return fail(format!(
                "the block has a different network Id ({}) from the node ({chain_identifier})",
                b.chain_identifier
            ));
        }
        match b.version {
            0 => return fail("account-block version is missing"),
            VERSION => {}
            _ => return fail("account-block version is invalid"),
        }
        let kind = match BlockType::from_u64(b.block_type) {
            Some(BlockType::UserSend) => BlockType::UserSend,
            Some(BlockType::UserReceive) => BlockType::UserReceive,
            Some(BlockType::GenesisReceive) => return fail("account-block type must not be genesis"),
            Some(BlockType::ContractSend) => return fail("can't apply BlockTypeContractSend"),
            Some(BlockType::ContractReceive) => return fail("account-block type is not suitable for user-blocks"),
            None if b.block_type == 0 => return fail("account-block type is missing"),
            None => return fail("account-block type is not supported"),
        };
        if b.address.kind() != Some(AddressKind::User) {
            return fail("account-block type is not suitable for contracts");
        }
        if b.height == 0 {
            return fail("account-block height must be higher than 0");
        }
        match kind {
            BlockType::UserSend => {
                if b.amount > 0 && b.token_standard == TokenStandard::ZERO {
                    return fail("account-block zts is missing (non-zero amount)");
                }
                if b.from_block_hash != Hash::ZERO {
                    return fail("account-block from-block-hash must be zero");
                }
                if b.token_standard != TokenStandard::ZERO && b.token_standard.symbol().is_none() {
                    return fail("ts doesn\u{2019}t exist");
                }
            }
            _ => {
                if b.amount != 0 {
                    return fail("account-block amount must be zero");
                }
                if b.token_standard != TokenStandard::ZERO {
                    return fail("account-block zts must be zero");
                }
                if b.to_address != Address::ZERO {
                    return fail("account-block to-address must be zero");
                }
                if b.from_block_hash == Hash::ZERO {
                    return fail("account-block from-block-hash is nor provided");
                }
            }
        }
        if b.data.len() > MAX_DATA_LEN {
            return fail("account-block data field is too big");
        }
        if b.difficulty > 0 && !pow::check(&b.nonce, &pow::data_hash(&b.address, &b.previous_hash), b.difficulty) {
            return fail("account-block nonce/difficulty is invalid");
        }
        if !b.descendant_blocks.is_empty() {
            return fail("account-block descendant blocks must be empty");
        }

        let state = self.frontier_state(&b.address);
        if b.height <= state.height {
            return fail("account-block prevHeight is cemented but has different hash");
        }
        if b.height > state.height + 1 {
            return fail("account-block previous block is missing");
        }
        if b.height == 1 && b.previous_hash != Hash::ZERO {
            return fail("account-block prevHash must be zero");
        }
        if b.previous_hash != state.frontier_hash {
            return fail("account-block previous block is missing");
        }
        if state.pending_blocks >= MAX_PENDING_PER_ACCOUNT {
            return fail(format!(
                "account has {MAX_PENDING_PER_ACCOUNT} unconfirmed blocks; wait for the next momentum"
            ));
        }

        if b.momentum_acknowledged.hash == Hash::ZERO {
            return fail("account-block momentum-acknowledged missing");
        }
        let acknowledged = store.momentum_height(&b.momentum_acknowledged.hash).map_err(internal)?;
        if acknowledged != Some(b.momentum_acknowledged.height) {
            return fail("account-block momentum-acknowledged points to missing momentum");
        }
        if b.momentum_acknowledged.height < state.last_acknowledged {
            return fail("account-block momentum-acknowledged points to an older momentum than previous");
        }

        let mut received = None;
        if kind == BlockType::UserReceive {
            let Some(send) = store.block(&b.from_block_hash).map_err(internal)? else {
                return fail("account-block from-block doesn't exist");
            };
            let send = send.block;
            if !matches!(send.kind(), Some(BlockType::UserSend | BlockType::ContractSend)) {
                return fail("account-block from-block doesn't exist");
            }
            if self.pending_received.contains(&send.hash) || store.receive_of(&send.hash).map_err(internal)?.is_some() {
                return fail("account-block from-block already received");
            }
            if send.to_address != b.address {
                return fail("account-block from-block receiver mismatch");
            }
            received = Some(send);
        }

        if b.hash == Hash::ZERO {
            return fail("account-block hash must not be zero");
        }
        if b.hash != b.compute_hash() {
            return fail("account-block hash is different than the one computed");
        }
        if b.public_key.is_empty() {
            return fail("account-block publicKey is missing");
        }
        let Some(key) = b.signer().filter(|k| k.address() == b.address) else {
            return fail("account-block publicKey doesn't correspond to the address");
        };
        let Some(signature) = b.signature() else {
            return fail(if b.signature.is_empty() {
                "account-block signature is missing"
            } else {
                "account-block signature is invalid"
            });
        };
        if key.verify(&b.hash, &signature).is_err() {
            return fail("account-block signature is invalid");
        }

        let base = base_plasma(b.block_type, &b.to_address, &b.data)?;
        if b.fused_plasma > 0 && state.available_plasma() < b.fused_plasma {
            return fail("not enough plasma on account");
        }
        let used = plasma::plasma_for_difficulty(b.difficulty).min(plasma::MAX_POW_PLASMA_PER_BLOCK) + b.fused_plasma;
        if used > plasma::MAX_FUSED_PLASMA_PER_ACCOUNT {
            return fail("plasma limit for account-block reached");
        }
        if used < base {
            return fail("not enough TotalPlasma provided for account-block (PoW + Fused)");
        }

        let mut next = state;
        if kind == BlockType::UserSend {
            if b.amount > next.balance(&b.token_standard) {
                return fail("insufficient balance for transfer");
            }
            if let Some(contract) = crate::embedded::at(&b.to_address)? {
                contract.check_send(b)?;
            }
            next.debit(b.token_standard, b.amount);
        }
        if let Some(send) = &received {
            next.credit(send.token_standard, send.amount);
        }
        if self.pool_len() >= MAX_POOL {
            return fail("the block pool is full; retry after the next momentum");
        }
        next.height = b.height;
        next.frontier_hash = b.hash;
        next.last_acknowledged = b.momentum_acknowledged.height;
        next.pending_plasma += b.fused_plasma;
        next.pending_blocks += 1;
        Ok(Accepted { state: next })
    }
}

fn internal(err: crate::DevnetError) -> PublishError {
    PublishError::new(format!("internal error while verifying - {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_plasma_follows_go_zenon() {
        let user = Address::from_public_key(&[1; 32]);
        assert_eq!(base_plasma(2, &user, &[]), Ok(21_000));
        assert_eq!(base_plasma(2, &Address::INBOX, &[0; 16 * 1024]), Ok(21_000 + 68 * 16 * 1024));
        assert_eq!(base_plasma(3, &Address::ZERO, &[0; 100]), Ok(21_000));
        assert_eq!(base_plasma(2, &Address::PLASMA, &plasma::fuse_call_data(&user)), Ok(52_500));
        assert_eq!(base_plasma(2, &Address::PLASMA, b"junk").unwrap_err().0, "method not found in the abi");
        let token_contract: Address = "z1qxemdeddedxt0kenxxxxxxxxxxxxxxxxh9amk0".parse().unwrap();
        assert_eq!(base_plasma(2, &token_contract, &[]).unwrap_err().0, "contract doesn't exist");
        assert_eq!(base_plasma(2, &user, &[0; 16 * 1024 + 1]).unwrap_err().0, "account-block data field is too big");
    }
}
