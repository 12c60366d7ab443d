//! A k-of-n multisig wallet: it holds ZNN and acts when `threshold` of its ed25519 owners sign the action.
//! Owners sign off chain (`action_hash` says what to sign); anyone submits the action with the signatures;
//! each action carries the wallet's next nonce, so an approved action executes once and old approvals are
//! void after it. An action pays ZNN, or calls a contract method with ZNN along.
//!
//! The signed hash names the wallet but no network: a wallet deployed at the same address on two networks (the
//! same deployer key and nonce) accepts the same approvals on both, so keep deployer keys per network.
//!
//! Uses the SDK's `alloc` feature: the owners and approvals are `Vec`s.
#![no_std]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;

use zr_sdk::{call, ed25519_verify, get_u64, load, self_address, set_u64, sha3_256, store, transfer, value, Address};

zr_sdk::panic_handler!();

const OWNERS: &[u8] = b"owners";
const THRESHOLD: &[u8] = b"threshold";
const NONCE: &[u8] = b"nonce";

zr_sdk::record! {
    /// What the wallet does: pays `amount` ZNN to `to`, calling `method` with `input` when `method` is not
    /// empty.
    pub struct Action { pub to: Address, pub amount: u128, pub method: String, pub input: Vec<u8> }

    /// One owner's signature of an action's hash.
    pub struct Approval { pub owner: u32, pub signature: [u8; 64] }
}

zr_sdk::events! {
    /// ZNN arrived.
    Deposited { from: Address, amount: u128 }
    /// The action with this nonce ran.
    Executed { nonce: u64, to: Address, amount: u128, approvals: u32 }
}

type Result<T> = core::result::Result<T, &'static str>;

fn owners() -> Vec<[u8; 32]> {
    load(OWNERS).unwrap_or_default()
}

/// The hash owners sign: the wallet, the nonce and the action, so a signature approves one action once.
fn hash_of(action: &Action, nonce: u64) -> [u8; 32] {
    let mut message = Vec::new();
    message.extend_from_slice(b"zr-multisig/v1");
    message.extend_from_slice(&self_address());
    message.extend_from_slice(&nonce.to_le_bytes());
    zr_sdk::codec::with_encoded(action, |bytes| message.extend_from_slice(bytes));
    sha3_256(&message)
}

zr_sdk::contract! {
    /// Sets the owners' ed25519 public keys and how many must approve an action.
    pub fn init(owners: Vec<[u8; 32]>, threshold: u32) -> Result<()> {
        if owners.is_empty() || owners.len() > 64 {
            return Err("a wallet has 1 to 64 owners");
        }
        if threshold == 0 || threshold as usize > owners.len() {
            return Err("the threshold must be between 1 and the number of owners");
        }
        for (i, owner) in owners.iter().enumerate() {
            if owners[..i].contains(owner) {
                return Err("an owner is listed twice");
            }
        }
        store(OWNERS, &owners);
        store(THRESHOLD, &threshold);
        Ok(())
    }

    /// Takes the ZNN sent with the call.
    pub fn deposit() {
        Deposited { from: zr_sdk::caller(), amount: value() }.emit();
    }

    /// Runs `action` as the wallet's action number `nonce` if `approvals` hold `threshold` valid signatures
    /// of distinct owners over `action_hash(action, nonce)`.
    pub fn execute(action: Action, nonce: u64, approvals: Vec<Approval>) -> Result<()> {
        let expected = get_u64(NONCE);
        if nonce != expected {
            return Err("wrong nonce: the action ran already or is out of order");
        }
        let owners = owners();
        let threshold: u32 = load(THRESHOLD).unwrap_or(u32::MAX);
        let hash = hash_of(&action, nonce);
        let mut seen: Vec<u32> = Vec::new();
        for approval in &approvals {
            let key = owners.get(approval.owner as usize).ok_or("an approval names no owner")?;
            if seen.contains(&approval.owner) {
                return Err("an owner approved twice");
            }
            if !ed25519_verify(key, &hash, &approval.signature) {
                return Err("an approval's signature is not valid for this action and nonce");
            }
            seen.push(approval.owner);
        }
        if (seen.len() as u32) < threshold {
            return Err("not enough approvals");
        }
        // The nonce moves before the action runs: a call back into the wallet finds this action spent.
        set_u64(NONCE, expected + 1);
        if action.method.is_empty() {
            if !transfer(&action.to, action.amount) {
                return Err("the wallet's balance is too low");
            }
        } else if call(&action.to, &action.method, &action.input, action.amount).is_err() {
            return Err("the called contract failed");
        }
        Executed { nonce, to: action.to, amount: action.amount, approvals: seen.len() as u32 }.emit();
        Ok(())
    }

    /// The hash owners sign to approve `action` as action number `nonce`.
    #[view]
    pub fn action_hash(action: Action, nonce: u64) -> [u8; 32] {
        hash_of(&action, nonce)
    }

    /// The owners' public keys, in approval index order.
    #[view]
    pub fn owners_list() -> Vec<[u8; 32]> {
        owners()
    }

    /// How many owners must approve.
    #[view]
    pub fn threshold() -> u32 {
        load(THRESHOLD).unwrap_or(0)
    }

    /// The nonce the next action must carry.
    #[view]
    pub fn next_nonce() -> u64 {
        get_u64(NONCE)
    }
}
