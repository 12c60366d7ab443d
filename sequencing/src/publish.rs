//! Building, paying for, signing and publishing a user's send and receive blocks.

use zr_common::nom::rpc::GetRequiredParam;
use zr_common::nom::{AccountBlock, BlockType, HashHeight, plasma, pow};
use zr_common::{Address, KeyPair, TokenStandard};

use crate::{L1, L1Error};

/// go-zenon's whole answer to `embedded.plasma.getRequiredPoWForAccountBlock` when the plasma missing is more
/// than PoW may pay (`constants.ErrForbiddenParam`, from `vm.GetDifficultyForPlasma`).
pub const POW_LIMIT_MESSAGE: &str = "forbidden parameter";

/// A send to publish.
#[derive(Debug, Clone)]
pub struct SendRequest {
    /// The receiver (the rollup inbox for bundles and deposits).
    pub to: Address,
    /// The token sent (zero token for none).
    pub token: TokenStandard,
    /// The amount.
    pub amount: u128,
    /// The data (a bundle), at most 16 KiB.
    pub data: Vec<u8>,
}

/// Builds the next send block of `key`'s account on the current frontier, pays its plasma from fused QSR if
/// enough is available, else by PoW (at most 94 500 plasma), signs it and publishes it. Returns the block.
pub async fn send_block<L: L1>(
    l1: &L,
    chain_identifier: u64,
    key: &KeyPair,
    send: SendRequest,
) -> Result<AccountBlock, L1Error> {
    let block = build_send_block(l1, chain_identifier, key, send).await?;
    l1.publish(&block).await?;
    Ok(block)
}

/// [`send_block`] without publishing: the signed block, for callers that record it first.
pub async fn build_send_block<L: L1>(
    l1: &L,
    chain_identifier: u64,
    key: &KeyPair,
    send: SendRequest,
) -> Result<AccountBlock, L1Error> {
    let address = key.address();
    let frontier = l1.frontier_block(&address).await?;
    let momentum = l1.frontier_momentum().await?;
    let (fused_plasma, difficulty) = plasma_for(l1, address, BlockType::UserSend, Some(send.to), &send.data).await?;
    let acknowledged = HashHeight { hash: momentum.hash, height: momentum.height };
    let block = AccountBlock {
        to_address: send.to,
        amount: send.amount,
        token_standard: send.token,
        data: send.data,
        fused_plasma,
        difficulty,
        ..AccountBlock::next(chain_identifier, BlockType::UserSend, address, frontier.as_ref(), acknowledged)
    };
    seal(block, key).await
}

/// Receives the confirmed send `send_hash` into `key`'s account: builds the receive block on the account's
/// frontier, pays its plasma as [`send_block`] does, signs and publishes it. Returns the block.
pub async fn receive_block<L: L1>(
    l1: &L,
    chain_identifier: u64,
    key: &KeyPair,
    send_hash: zr_common::Hash,
) -> Result<AccountBlock, L1Error> {
    let address = key.address();
    let frontier = l1.frontier_block(&address).await?;
    let momentum = l1.frontier_momentum().await?;
    let (fused_plasma, difficulty) = plasma_for(l1, address, BlockType::UserReceive, None, &[]).await?;
    let acknowledged = HashHeight { hash: momentum.hash, height: momentum.height };
    let block = AccountBlock {
        from_block_hash: send_hash,
        fused_plasma,
        difficulty,
        ..AccountBlock::next(chain_identifier, BlockType::UserReceive, address, frontier.as_ref(), acknowledged)
    };
    let block = seal(block, key).await?;
    l1.publish(&block).await?;
    Ok(block)
}

/// Receives every send from `sender` that L1 lists as unreceived for `key`'s account ([`unreceived_from`]); the
/// receive blocks published. Sends from anyone else stay unreceived: a stranger's dust cannot make the account
/// spend its posts on receives.
pub async fn receive_from<L: L1>(
    l1: &L,
    chain_identifier: u64,
    key: &KeyPair,
    sender: &Address,
) -> Result<Vec<AccountBlock>, L1Error> {
    let mut received = Vec::new();
    for send in unreceived_from(l1, &key.address(), sender).await? {
        received.push(receive_block(l1, chain_identifier, key, send.hash).await?);
    }
    Ok(received)
}

/// Pages of unreceived sends read at most, looking for a sender's among others' (anyone may send dust to an
/// account, and the account does not receive it): go-zenon serves no page past the 10th
/// (`unreceivedMaxPageIndex`), and lists only the first 500 sends of an account's mailbox in hash order.
pub const MAX_UNRECEIVED_PAGES: u32 = 10;

/// The confirmed sends from `sender` that `address` has not received, among its first
/// [`MAX_UNRECEIVED_PAGES`] pages of unreceived sends: the 500 of the account's mailbox L1 lists, in hash order.
/// With 500 sends of dust whose hashes sort lower, a send from `sender` is not listed (go-zenon's limit).
pub async fn unreceived_from<L: L1>(l1: &L, address: &Address, sender: &Address) -> Result<Vec<AccountBlock>, L1Error> {
    let mut found = Vec::new();
    for page in 0..MAX_UNRECEIVED_PAGES {
        let sends = l1.unreceived_blocks(address, page).await?;
        let last = sends.len() < crate::UNRECEIVED_PAGE as usize;
        found.extend(sends.into_iter().filter(|send| send.address == *sender));
        if last {
            break;
        }
    }
    Ok(found)
}

/// How a block of `block_type` from `address` pays its plasma: fused plasma if enough is available, else
/// PoW (at most 94 500 plasma): `(fused_plasma, difficulty)`.
async fn plasma_for<L: L1>(
    l1: &L,
    address: Address,
    block_type: BlockType,
    to: Option<Address>,
    data: &[u8],
) -> Result<(u64, u64), L1Error> {
    let required = l1
        .required_pow(&GetRequiredParam { address, block_type: block_type as u64, to_address: to, data: data.to_vec() })
        .await;
    let required = match required {
        Ok(required) => required,
        // go-zenon refuses to quote PoW beyond what PoW may pay, with a bare "forbidden parameter": the account's
        // fused plasma is short.
        Err(L1Error::Rpc { message, .. }) if message.contains(POW_LIMIT_MESSAGE) => {
            let available = l1.plasma(&address).await.map_or(0, |p| p.current_plasma);
            return Err(L1Error::NeedsFusedPlasma {
                address,
                available,
                required: plasma::required_plasma(data.len()),
            });
        }
        Err(err) => return Err(err),
    };
    if required.available_plasma >= required.base_plasma {
        Ok((required.base_plasma, 0))
    } else if required.base_plasma <= plasma::MAX_POW_PLASMA_PER_BLOCK {
        Ok((0, plasma::difficulty_for_plasma(required.base_plasma)))
    } else {
        Err(L1Error::NeedsFusedPlasma { address, available: required.available_plasma, required: required.base_plasma })
    }
}

/// Computes the block's PoW nonce when it pays by PoW, and signs it.
async fn seal(mut block: AccountBlock, key: &KeyPair) -> Result<AccountBlock, L1Error> {
    if block.difficulty > 0 {
        let data_hash = pow::data_hash(&block.address, &block.previous_hash);
        let difficulty = block.difficulty;
        block.nonce = tokio::task::spawn_blocking(move || pow::generate(&data_hash, difficulty))
            .await
            .map_err(|e| L1Error::Invalid(format!("PoW task failed: {e}")))?;
    }
    block.sign(key);
    Ok(block)
}
