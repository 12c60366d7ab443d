//! A fungible token: the deployer owns it and mints; holders transfer, approve and transfer from allowances.
//! The methods, their types and the events are in the contract's ABI (`zr call <token> --abi` lists them).
#![no_std]

use zr_sdk::{caller, get_address, get_u128, set_u128, storage_set, Address, Key};

zr_sdk::panic_handler!();

const OWNER: &[u8] = b"owner";
const TOTAL: &[u8] = b"total";

zr_sdk::events! {
    /// Tokens moved from one holder to another.
    Transfer { from: Address, to: Address, amount: u128 }
    /// New tokens were minted to `to`.
    Mint { to: Address, amount: u128 }
    /// `owner` allowed `spender` to move up to `amount` of its tokens.
    Approval { owner: Address, spender: Address, amount: u128 }
}

fn balance_key(owner: &Address) -> Key {
    let mut key = Key::new(b"b");
    key.push(owner);
    key
}

fn allowance_key(owner: &Address, spender: &Address) -> Key {
    let mut key = Key::new(b"a");
    key.push(owner).push(spender);
    key
}

fn move_tokens(from: Address, to: Address, amount: u128) -> Result<(), &'static str> {
    let from_key = balance_key(&from);
    let from_balance = get_u128(from_key.as_bytes());
    if from_balance < amount {
        return Err("insufficient token balance");
    }
    set_u128(from_key.as_bytes(), from_balance - amount);
    let to_key = balance_key(&to);
    let to_balance = get_u128(to_key.as_bytes()).checked_add(amount).ok_or("balance overflow")?;
    set_u128(to_key.as_bytes(), to_balance);
    Transfer { from, to, amount }.emit();
    Ok(())
}

zr_sdk::contract! {
    /// Makes the deployer the owner, who alone mints.
    pub fn init() -> Result<(), &'static str> {
        if get_address(OWNER).is_some() {
            return Err("already initialised");
        }
        storage_set(OWNER, &caller());
        Ok(())
    }

    /// Creates `amount` new tokens for `to` (the owner only).
    pub fn mint(to: Address, amount: u128) -> Result<(), &'static str> {
        if get_address(OWNER) != Some(caller()) {
            return Err("only the owner mints");
        }
        let total = get_u128(TOTAL).checked_add(amount).ok_or("supply overflow")?;
        set_u128(TOTAL, total);
        let key = balance_key(&to);
        set_u128(key.as_bytes(), get_u128(key.as_bytes()) + amount);
        Mint { to, amount }.emit();
        Ok(())
    }

    /// Moves `amount` of the caller's tokens to `to`.
    pub fn transfer(to: Address, amount: u128) -> Result<(), &'static str> {
        move_tokens(caller(), to, amount)
    }

    /// Allows `spender` to move up to `amount` of the caller's tokens (replacing any earlier allowance).
    pub fn approve(spender: Address, amount: u128) {
        let owner = caller();
        set_u128(allowance_key(&owner, &spender).as_bytes(), amount);
        Approval { owner, spender, amount }.emit();
    }

    /// Moves `amount` of `owner`'s tokens to `to` out of the caller's allowance.
    pub fn transfer_from(owner: Address, to: Address, amount: u128) -> Result<(), &'static str> {
        let key = allowance_key(&owner, &caller());
        let allowed = get_u128(key.as_bytes());
        if allowed < amount {
            return Err("allowance exceeded");
        }
        set_u128(key.as_bytes(), allowed - amount);
        move_tokens(owner, to, amount)
    }

    /// The tokens `owner` holds.
    #[view]
    pub fn balance(owner: Address) -> u128 {
        get_u128(balance_key(&owner).as_bytes())
    }

    /// What `spender` may still move of `owner`'s tokens.
    #[view]
    pub fn allowance(owner: Address, spender: Address) -> u128 {
        get_u128(allowance_key(&owner, &spender).as_bytes())
    }

    /// All tokens minted.
    #[view]
    pub fn total_supply() -> u128 {
        get_u128(TOTAL)
    }
}
