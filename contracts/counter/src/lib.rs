//! A counter: `increment()` adds one, `add(n: u64)` adds n, `get() -> u64`, `add_to(other: address)` increments
//! another counter through a cross-contract call and returns its new value.
#![no_std]

use zr_sdk::{call, get_u64, input, ret, return_data, set_u64, Args};

zr_sdk::panic_handler!();

const COUNT: &[u8] = b"count";

fn add_n(n: u64) {
    let next = get_u64(COUNT).checked_add(n).unwrap_or_else(|| zr_sdk::abort("counter overflow"));
    set_u64(COUNT, next);
    ret(&next.to_le_bytes());
}

zr_sdk::entry! {
    fn init() {
        set_u64(COUNT, 0);
    }

    fn increment() {
        add_n(1);
    }

    fn add() {
        let mut buf = [0u8; 8];
        let mut args = Args::new(input(&mut buf));
        let n = args.u64();
        args.finish();
        add_n(n);
    }

    fn get() {
        ret(&get_u64(COUNT).to_le_bytes());
    }

    fn add_to() {
        let mut buf = [0u8; 20];
        let mut args = Args::new(input(&mut buf));
        let other = args.address();
        args.finish();
        match call(&other, "increment", &[], 0) {
            Ok(_) => {
                let mut out = [0u8; 8];
                let value = return_data(&mut out);
                ret(value);
            }
            Err(()) => zr_sdk::abort("the other counter failed"),
        }
    }
}
