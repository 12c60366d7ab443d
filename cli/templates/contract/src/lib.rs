//! {{name}}: a counter anyone adds to. Build with `./build.sh`, test with `cd tests && cargo test`, deploy
//! with `zr deploy {{name}}.wasm --init 5`.
#![no_std]

use zr_sdk::{caller, get_u64, set_u64, Address};

zr_sdk::panic_handler!();

const COUNT: &[u8] = b"count";

zr_sdk::events! {
    /// `by` added `amount`, making `total`.
    Added { by: Address, amount: u64, total: u64 }
}

zr_sdk::contract! {
    /// Starts the count at `start` (runs once, at deploy).
    pub fn init(start: u64) {
        set_u64(COUNT, start);
    }

    /// Adds `amount` to the count and returns the new total.
    pub fn add(amount: u64) -> Result<u64, &'static str> {
        let total = get_u64(COUNT).checked_add(amount).ok_or("the count would overflow")?;
        set_u64(COUNT, total);
        Added { by: caller(), amount, total }.emit();
        Ok(total)
    }

    /// The count.
    #[view]
    pub fn count() -> u64 {
        get_u64(COUNT)
    }
}
