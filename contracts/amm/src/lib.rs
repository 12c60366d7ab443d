//! A constant-product AMM pair between two token contracts (the token example's methods): providers add and
//! remove liquidity for shares, traders swap one token for the other at `x · y = k` less a 0.3 % fee that
//! stays in the pool, with a minimum out they accept. Reserves are the pair's own books: tokens sent to the
//! pair directly stay outside them, nobody's. A lock refuses re-entry from a token contract mid-call, views
//! included. The first deposit locks [`MINIMUM_LIQUIDITY`] shares forever, so no one can make a share so
//! dear that later deposits round to nothing; a deposit pays for the shares it gets, rounded up, and no more.
#![no_std]

use zr_sdk::{call_typed, caller, get_u128, load, self_address, set_u128, storage_remove, store, Address, Key};

zr_sdk::panic_handler!();

const TOKENS: &[u8] = b"tokens";
const RESERVE_A: &[u8] = b"ra";
const RESERVE_B: &[u8] = b"rb";
const TOTAL_SHARES: &[u8] = b"total";
const LOCK: &[u8] = b"lock";
/// The fee, in thousandths of the amount in.
const FEE_PER_MILLE: u128 = 3;
/// Shares of the first deposit that belong to no one.
pub const MINIMUM_LIQUIDITY: u128 = 1000;

zr_sdk::record! {
    /// The pool's two tokens and what it holds of each.
    pub struct Pool { pub token_a: Address, pub token_b: Address, pub reserve_a: u128, pub reserve_b: u128, pub total_shares: u128 }
}

zr_sdk::events! {
    /// `provider` added liquidity for `shares`.
    LiquidityAdded { provider: Address, amount_a: u128, amount_b: u128, shares: u128 }
    /// `provider` burned `shares` for their part of the reserves.
    LiquidityRemoved { provider: Address, amount_a: u128, amount_b: u128, shares: u128 }
    /// `trader` swapped `amount_in` of `token_in` for `amount_out` of the other token.
    Swap { trader: Address, token_in: Address, amount_in: u128, amount_out: u128 }
}

type Result<T> = core::result::Result<T, &'static str>;

fn tokens() -> (Address, Address) {
    load(TOKENS).unwrap_or_else(|| zr_sdk::abort("the pair is not initialised"))
}

fn shares_key(owner: &Address) -> Key {
    let mut key = Key::new(b"s");
    key.push(owner);
    key
}

/// Runs `body` holding the pair's lock: a token contract calling back in is refused.
fn locked<T>(body: impl FnOnce() -> Result<T>) -> Result<T> {
    unlocked()?;
    store(LOCK, &true);
    let result = body();
    storage_remove(LOCK);
    result
}

/// Refuses to run while a call holds the lock (its reserves are half-updated).
fn unlocked() -> Result<()> {
    match load::<bool>(LOCK) {
        Some(_) => Err("reentrant call: the pair is busy"),
        None => Ok(()),
    }
}

/// `a · b / c`, refusing results the pool's u128 arithmetic cannot hold.
fn mul_div(a: u128, b: u128, c: u128) -> Result<u128> {
    a.checked_mul(b).map(|p| p / c).ok_or("amounts too large for the pool's arithmetic")
}

/// `a · b / c` rounded up: what a depositor pays, so rounding favours the pool.
fn mul_div_up(a: u128, b: u128, c: u128) -> Result<u128> {
    let product = a.checked_mul(b).ok_or("amounts too large for the pool's arithmetic")?;
    Ok(product / c + u128::from(product % c != 0))
}

fn isqrt(n: u128) -> u128 {
    if n < 2 {
        return n;
    }
    // Newton's method from a power of two above the root.
    let mut x = 1u128 << ((128 - n.leading_zeros() + 1) / 2);
    loop {
        let next = (x + n / x) / 2;
        if next >= x {
            return x;
        }
        x = next;
    }
}

fn pull(token: &Address, from: Address, amount: u128) -> Result<()> {
    call_typed::<_, ()>(token, "transfer_from", &(from, self_address(), amount), 0)
        .map_err(|_| "the token refused transfer_from: approve the pair for the amount first")
}

fn push(token: &Address, to: Address, amount: u128) -> Result<()> {
    call_typed::<_, ()>(token, "transfer", &(to, amount), 0).map_err(|_| "the token refused the pair's transfer")
}

/// What `amount_in` buys out of reserves `reserve_in` / `reserve_out` after the fee.
fn amount_out(amount_in: u128, reserve_in: u128, reserve_out: u128) -> Result<u128> {
    if reserve_in == 0 || reserve_out == 0 {
        return Err("the pool has no liquidity");
    }
    let in_after_fee = amount_in.checked_mul(1000 - FEE_PER_MILLE).ok_or("amount too large")?;
    let denominator = reserve_in.checked_mul(1000).and_then(|r| r.checked_add(in_after_fee)).ok_or("amount too large")?;
    mul_div(in_after_fee, reserve_out, denominator)
}

zr_sdk::contract! {
    /// Creates the pair of two different token contracts.
    pub fn init(token_a: Address, token_b: Address) -> Result<()> {
        if token_a == token_b {
            return Err("a pair needs two different tokens");
        }
        store(TOKENS, &(token_a, token_b));
        Ok(())
    }

    /// Adds liquidity for as many shares as `max_a` and `max_b` buy at the pool's ratio (the first provider
    /// sets the ratio and gets the geometric mean less [`MINIMUM_LIQUIDITY`]), paying for those shares
    /// (rounded up) through `transfer_from` (approve the pair first). Returns the shares, at least `min_shares`.
    pub fn add_liquidity(max_a: u128, max_b: u128, min_shares: u128) -> Result<u128> {
        locked(|| {
            let (token_a, token_b) = tokens();
            let (reserve_a, reserve_b, total) = (get_u128(RESERVE_A), get_u128(RESERVE_B), get_u128(TOTAL_SHARES));
            let (amount_a, amount_b, shares, minted) = if total == 0 {
                let product = max_a.checked_mul(max_b).ok_or("amounts too large for the pool's arithmetic")?;
                let root = isqrt(product);
                if root <= MINIMUM_LIQUIDITY {
                    return Err("the first deposit must be worth more than the 1000 locked shares");
                }
                (max_a, max_b, root - MINIMUM_LIQUIDITY, root)
            } else {
                let shares = mul_div(max_a, total, reserve_a)?.min(mul_div(max_b, total, reserve_b)?);
                (mul_div_up(shares, reserve_a, total)?, mul_div_up(shares, reserve_b, total)?, shares, shares)
            };
            if shares == 0 || shares < min_shares {
                return Err("too few shares for the amounts: below min_shares");
            }
            let provider = caller();
            pull(&token_a, provider, amount_a)?;
            pull(&token_b, provider, amount_b)?;
            set_u128(RESERVE_A, reserve_a + amount_a);
            set_u128(RESERVE_B, reserve_b + amount_b);
            set_u128(TOTAL_SHARES, total + minted);
            let key = shares_key(&provider);
            set_u128(key.as_bytes(), get_u128(key.as_bytes()) + shares);
            LiquidityAdded { provider, amount_a, amount_b, shares }.emit();
            Ok(shares)
        })
    }

    /// Burns `shares` of the caller's for their part of both reserves, at least `min_a` and `min_b`.
    pub fn remove_liquidity(shares: u128, min_a: u128, min_b: u128) -> Result<(u128, u128)> {
        locked(|| {
            let (token_a, token_b) = tokens();
            let provider = caller();
            let key = shares_key(&provider);
            let held = get_u128(key.as_bytes());
            if shares == 0 || shares > held {
                return Err("not that many shares");
            }
            let (reserve_a, reserve_b, total) = (get_u128(RESERVE_A), get_u128(RESERVE_B), get_u128(TOTAL_SHARES));
            let amount_a = mul_div(shares, reserve_a, total)?;
            let amount_b = mul_div(shares, reserve_b, total)?;
            if amount_a < min_a || amount_b < min_b {
                return Err("the reserves moved: less than min_a or min_b");
            }
            set_u128(key.as_bytes(), held - shares);
            set_u128(TOTAL_SHARES, total - shares);
            set_u128(RESERVE_A, reserve_a - amount_a);
            set_u128(RESERVE_B, reserve_b - amount_b);
            push(&token_a, provider, amount_a)?;
            push(&token_b, provider, amount_b)?;
            LiquidityRemoved { provider, amount_a, amount_b, shares }.emit();
            Ok((amount_a, amount_b))
        })
    }

    /// Swaps `amount_in` of `token_in` (taken through `transfer_from`) for the other token; fails unless
    /// that is at least `min_out`. Returns the amount out.
    pub fn swap(token_in: Address, amount_in: u128, min_out: u128) -> Result<u128> {
        locked(|| {
            let (token_a, token_b) = tokens();
            let (reserve_a, reserve_b) = (get_u128(RESERVE_A), get_u128(RESERVE_B));
            let a_in = if token_in == token_a {
                true
            } else if token_in == token_b {
                false
            } else {
                return Err("token_in is not one of the pair's tokens");
            };
            let (reserve_in, reserve_out, token_out) =
                if a_in { (reserve_a, reserve_b, token_b) } else { (reserve_b, reserve_a, token_a) };
            let out = amount_out(amount_in, reserve_in, reserve_out)?;
            if out == 0 || out < min_out {
                return Err("slippage: the swap would pay less than min_out");
            }
            let trader = caller();
            pull(&token_in, trader, amount_in)?;
            let (new_in, new_out) = (reserve_in.checked_add(amount_in).ok_or("amount too large")?, reserve_out - out);
            let (new_a, new_b) = if a_in { (new_in, new_out) } else { (new_out, new_in) };
            set_u128(RESERVE_A, new_a);
            set_u128(RESERVE_B, new_b);
            push(&token_out, trader, out)?;
            Swap { trader, token_in, amount_in, amount_out: out }.emit();
            Ok(out)
        })
    }

    /// What `amount_in` of `token_in` would buy now.
    #[view]
    pub fn quote(token_in: Address, amount_in: u128) -> Result<u128> {
        unlocked()?;
        let (token_a, token_b) = tokens();
        let (reserve_a, reserve_b) = (get_u128(RESERVE_A), get_u128(RESERVE_B));
        match token_in {
            t if t == token_a => amount_out(amount_in, reserve_a, reserve_b),
            t if t == token_b => amount_out(amount_in, reserve_b, reserve_a),
            _ => Err("token_in is not one of the pair's tokens"),
        }
    }

    /// The tokens, reserves and shares outstanding (the locked ones included).
    #[view]
    pub fn pool() -> Result<Pool> {
        unlocked()?;
        let (token_a, token_b) = tokens();
        Ok(Pool {
            token_a,
            token_b,
            reserve_a: get_u128(RESERVE_A),
            reserve_b: get_u128(RESERVE_B),
            total_shares: get_u128(TOTAL_SHARES),
        })
    }

    /// The shares `owner` holds.
    #[view]
    pub fn shares(owner: Address) -> u128 {
        get_u128(shares_key(&owner).as_bytes())
    }
}
