//! A fungible token: the deployer owns it and mints; holders transfer, approve and transfer from allowances.
//!
//! Methods (arguments as the SDK encodes them):
//! `init()`, `mint(to: address, amount: u128)`, `transfer(to: address, amount: u128)`,
//! `approve(spender: address, amount: u128)`, `transfer_from(owner: address, to: address, amount: u128)`,
//! `balance(owner: address) -> u128`, `allowance(owner: address, spender: address) -> u128`,
//! `total_supply() -> u128`.
#![no_std]

use zr_sdk::{abort, caller, emit, get_address, get_u128, input, ret, require, set_u128, storage_set, Address, Args, Key};

zr_sdk::panic_handler!();

const OWNER: &[u8] = b"owner";
const TOTAL: &[u8] = b"total";

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

fn move_tokens(from: &Address, to: &Address, amount: u128) {
    let from_key = balance_key(from);
    let from_balance = get_u128(from_key.as_bytes());
    require(from_balance >= amount, "insufficient token balance");
    set_u128(from_key.as_bytes(), from_balance - amount);
    let to_key = balance_key(to);
    let to_balance = get_u128(to_key.as_bytes());
    set_u128(to_key.as_bytes(), to_balance.checked_add(amount).unwrap_or_else(|| abort("balance overflow")));
    let mut event = [0u8; 56];
    event[..20].copy_from_slice(from);
    event[20..40].copy_from_slice(to);
    event[40..].copy_from_slice(&amount.to_le_bytes());
    emit(b"transfer", &event);
}

zr_sdk::entry! {
    fn init() {
        require(get_address(OWNER).is_none(), "already initialised");
        storage_set(OWNER, &caller());
    }

    fn mint() {
        let mut buf = [0u8; 36];
        let mut args = Args::new(input(&mut buf));
        let to = args.address();
        let amount = args.u128();
        args.finish();
        require(get_address(OWNER) == Some(caller()), "only the owner mints");
        let total = get_u128(TOTAL).checked_add(amount).unwrap_or_else(|| abort("supply overflow"));
        set_u128(TOTAL, total);
        let key = balance_key(&to);
        set_u128(key.as_bytes(), get_u128(key.as_bytes()) + amount);
        emit(b"mint", &to);
    }

    fn transfer() {
        let mut buf = [0u8; 36];
        let mut args = Args::new(input(&mut buf));
        let to = args.address();
        let amount = args.u128();
        args.finish();
        move_tokens(&caller(), &to, amount);
    }

    fn approve() {
        let mut buf = [0u8; 36];
        let mut args = Args::new(input(&mut buf));
        let spender = args.address();
        let amount = args.u128();
        args.finish();
        set_u128(allowance_key(&caller(), &spender).as_bytes(), amount);
        emit(b"approve", &spender);
    }

    fn transfer_from() {
        let mut buf = [0u8; 56];
        let mut args = Args::new(input(&mut buf));
        let owner = args.address();
        let to = args.address();
        let amount = args.u128();
        args.finish();
        let key = allowance_key(&owner, &caller());
        let allowed = get_u128(key.as_bytes());
        require(allowed >= amount, "allowance exceeded");
        set_u128(key.as_bytes(), allowed - amount);
        move_tokens(&owner, &to, amount);
    }

    fn balance() {
        let mut buf = [0u8; 20];
        let mut args = Args::new(input(&mut buf));
        let owner = args.address();
        args.finish();
        ret(&get_u128(balance_key(&owner).as_bytes()).to_le_bytes());
    }

    fn allowance() {
        let mut buf = [0u8; 40];
        let mut args = Args::new(input(&mut buf));
        let owner = args.address();
        let spender = args.address();
        args.finish();
        ret(&get_u128(allowance_key(&owner, &spender).as_bytes()).to_le_bytes());
    }

    fn total_supply() {
        ret(&get_u128(TOTAL).to_le_bytes());
    }
}
