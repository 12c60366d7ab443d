//! An escrow between a buyer (the deployer, who sends the ZNN with the deploy) and a seller, with a deadline
//! in momentum heights.
//!
//! `init(seller: address, deadline: u64)` holds the value sent. `release()`: the buyer pays the seller.
//! `refund()`: the seller returns the funds at any time, or the buyer takes them back once the deadline
//! has passed. `status() -> u8`: 0 open, 1 released, 2 refunded.
#![no_std]

use zr_sdk::{balance, block_height, caller, emit, get_address, get_u64, input, ret, require, self_address, set_u64, storage_set, transfer, value, Args};

zr_sdk::panic_handler!();

const BUYER: &[u8] = b"buyer";
const SELLER: &[u8] = b"seller";
const DEADLINE: &[u8] = b"deadline";
const STATUS: &[u8] = b"status";

const OPEN: u64 = 0;
const RELEASED: u64 = 1;
const REFUNDED: u64 = 2;

fn settle(to: &[u8; 20], status: u64) {
    require(get_u64(STATUS) == OPEN, "escrow already settled");
    let amount = balance(&self_address());
    require(transfer(to, amount), "escrow balance unavailable");
    set_u64(STATUS, status);
    emit(if status == RELEASED { b"released" } else { b"refunded" }, to);
}

zr_sdk::entry! {
    fn init() {
        let mut buf = [0u8; 28];
        let mut args = Args::new(input(&mut buf));
        let seller = args.address();
        let deadline = args.u64();
        args.finish();
        require(get_address(BUYER).is_none(), "already initialised");
        require(value() > 0, "send the escrowed ZNN with the deploy");
        require(deadline > block_height(), "deadline must be in the future");
        storage_set(BUYER, &caller());
        storage_set(SELLER, &seller);
        set_u64(DEADLINE, deadline);
        set_u64(STATUS, OPEN);
    }

    fn release() {
        let buyer = get_address(BUYER).unwrap_or_else(|| zr_sdk::abort("not initialised"));
        require(caller() == buyer, "only the buyer releases");
        let seller = get_address(SELLER).unwrap_or_else(|| zr_sdk::abort("not initialised"));
        settle(&seller, RELEASED);
    }

    fn refund() {
        let buyer = get_address(BUYER).unwrap_or_else(|| zr_sdk::abort("not initialised"));
        let seller = get_address(SELLER).unwrap_or_else(|| zr_sdk::abort("not initialised"));
        let who = caller();
        let deadline_passed = block_height() > get_u64(DEADLINE);
        require(who == seller || (who == buyer && deadline_passed), "only the seller, or the buyer after the deadline, refunds");
        settle(&buyer, REFUNDED);
    }

    fn status() {
        ret(&[get_u64(STATUS) as u8]);
    }
}
