//! The AMM pair example between two token contracts.

use serde_json::{Value, json};
use zr_testkit::{App, Contract, Wallet};

use super::*;

struct Market {
    app: App,
    alice: Wallet,
    bob: Wallet,
    token_a: Contract,
    token_b: Contract,
    pair: Contract,
}

/// Two tokens minted to alice and bob, a pair between them approved by both, no liquidity yet.
fn market() -> Market {
    let (mut app, alice, bob) = app_with_two_wallets();
    let token_a = deploy_token(&mut app, &alice);
    let token_b = deploy_token(&mut app, &alice);
    let pair = app.deploy(&alice, &example("amm"), json!([token_a.address, token_b.address])).unwrap();
    for token in [&token_a, &token_b] {
        for wallet in [&alice, &bob] {
            app.call(&alice, token, "mint", json!([wallet.address(), "1000000"])).unwrap();
            app.call(wallet, token, "approve", json!([pair.address, "1000000"])).unwrap();
        }
    }
    Market { app, alice, bob, token_a, token_b, pair }
}

/// [`market`] with alice's liquidity of `a` and `b` in the pool.
fn market_with_pool(a: &str, b: &str) -> Market {
    let mut m = market();
    m.app.call(&m.alice, &m.pair, "add_liquidity", json!([a, b, "0"])).unwrap();
    m
}

fn balance(app: &App, token: &Contract, wallet: &Wallet) -> u128 {
    app.query(token, "balance", json!([wallet.address()])).unwrap().as_str().unwrap().parse().unwrap()
}

fn pool(app: &App, pair: &Contract) -> Value {
    app.query(pair, "pool", json!([])).unwrap()
}

#[test]
fn the_first_provider_gets_the_geometric_mean_in_shares_less_the_locked_ones() {
    let mut m = market();
    let too_small = m.app.call(&m.alice, &m.pair, "add_liquidity", json!(["1000", "1000", "0"])).unwrap_err();
    assert_eq!(too_small.reason(), "aborted: the first deposit must be worth more than the 1000 locked shares");
    let added = m.app.call(&m.alice, &m.pair, "add_liquidity", json!(["10000", "40000", "0"])).unwrap();
    assert_eq!(added.value, json!("19000"));
    assert_eq!(added.event("LiquidityAdded").unwrap()["shares"], json!("19000"));
    let pool = pool(&m.app, &m.pair);
    assert_eq!(
        (&pool["reserve_a"], &pool["reserve_b"], &pool["total_shares"]),
        (&json!("10000"), &json!("40000"), &json!("20000"))
    );
    assert_eq!(balance(&m.app, &m.token_a, &m.alice), 990_000);
}

#[test]
fn a_swap_pays_the_quote_keeps_the_fee_in_the_pool_and_grows_k() {
    let mut m = market_with_pool("100000", "100000");
    let quote = m.app.query(&m.pair, "quote", json!([m.token_a.address, "1000"])).unwrap();
    // 1000 in, 0.3 % fee: 997 · 100000 / (100000 + 997) = 987.
    assert_eq!(quote, json!("987"));
    let swapped = m.app.call(&m.bob, &m.pair, "swap", json!([m.token_a.address, "1000", "987"])).unwrap();
    assert_eq!(swapped.value, quote);
    assert_eq!(swapped.event("Swap").unwrap()["amount_out"], json!("987"));
    assert_eq!(balance(&m.app, &m.token_a, &m.bob), 999_000);
    assert_eq!(balance(&m.app, &m.token_b, &m.bob), 1_000_987);
    let pool = pool(&m.app, &m.pair);
    assert_eq!((&pool["reserve_a"], &pool["reserve_b"]), (&json!("101000"), &json!("99013")));
    let reserve = |name: &str| pool[name].as_str().unwrap().parse::<u128>().unwrap();
    assert!(reserve("reserve_a") * reserve("reserve_b") > 100_000 * 100_000, "the fee grows k");
}

#[test]
fn attack_a_swap_below_the_minimum_out_fails_and_moves_nothing() {
    let mut m = market_with_pool("100000", "100000");
    let before = pool(&m.app, &m.pair);
    let failed = m.app.call(&m.bob, &m.pair, "swap", json!([m.token_a.address, "1000", "988"])).unwrap_err();
    assert_eq!(failed.reason(), "aborted: slippage: the swap would pay less than min_out");
    assert_eq!(pool(&m.app, &m.pair), before);
    assert_eq!(balance(&m.app, &m.token_a, &m.bob), 1_000_000);
    // The lock taken by the failed call was undone with it: the pair still trades.
    m.app.call(&m.bob, &m.pair, "swap", json!([m.token_a.address, "1000", "987"])).unwrap();
}

#[test]
fn attack_swaps_without_approval_or_with_a_foreign_token_are_refused() {
    let mut m = market_with_pool("100000", "100000");
    m.app.call(&m.bob, &m.token_a, "approve", json!([m.pair.address, "0"])).unwrap();
    let unapproved = m.app.call(&m.bob, &m.pair, "swap", json!([m.token_a.address, "1000", "1"])).unwrap_err();
    assert_eq!(unapproved.reason(), "aborted: the token refused transfer_from: approve the pair for the amount first");
    let foreign = deploy_token(&mut m.app, &m.bob);
    let refused = m.app.call(&m.bob, &m.pair, "swap", json!([foreign.address, "1000", "1"])).unwrap_err();
    assert_eq!(refused.reason(), "aborted: token_in is not one of the pair's tokens");
    let same = m.app.deploy(&m.alice, &example("amm"), json!([m.token_a.address, m.token_a.address])).unwrap_err();
    assert_eq!(same.reason(), "aborted: a pair needs two different tokens");
}

#[test]
fn later_providers_add_at_the_pools_ratio_and_withdraw_their_part() {
    let mut m = market_with_pool("10000", "40000");
    // Bob offers 5000 A and up to 30000 B: the ratio takes 20000 B.
    let added = m.app.call(&m.bob, &m.pair, "add_liquidity", json!(["5000", "30000", "10000"])).unwrap();
    assert_eq!(added.value, json!("10000"));
    assert_eq!(balance(&m.app, &m.token_b, &m.bob), 980_000);
    let too_many = m.app.call(&m.bob, &m.pair, "remove_liquidity", json!(["10001", "0", "0"])).unwrap_err();
    assert_eq!(too_many.reason(), "aborted: not that many shares");
    let removed = m.app.call(&m.bob, &m.pair, "remove_liquidity", json!(["10000", "5000", "20000"])).unwrap();
    assert_eq!(removed.value, json!(["5000", "20000"]));
    assert_eq!(m.app.query(&m.pair, "shares", json!([m.bob.address()])).unwrap(), json!("0"));
    assert_eq!((balance(&m.app, &m.token_a, &m.bob), balance(&m.app, &m.token_b, &m.bob)), (1_000_000, 1_000_000));
}

#[test]
fn attack_a_depositor_offering_more_than_the_ratio_pays_only_for_its_shares() {
    let mut m = market_with_pool("10000", "40000");
    // 7000 A would buy 14000 shares, 20000 B only 10000: Bob gets 10000 and pays 5000 A, not 7000.
    let added = m.app.call(&m.bob, &m.pair, "add_liquidity", json!(["7000", "20000", "0"])).unwrap();
    assert_eq!(added.value, json!("10000"));
    assert_eq!(added.event("LiquidityAdded").unwrap()["amount_a"], json!("5000"));
    assert_eq!(balance(&m.app, &m.token_a, &m.bob), 995_000);
    // What rounds is paid up by the depositor, never taken from the pool: 1 share costs a whole unit of each.
    let one = m.app.call(&m.bob, &m.pair, "add_liquidity", json!(["1", "2", "0"])).unwrap();
    assert_eq!(one.value, json!("1"));
    assert_eq!(one.event("LiquidityAdded").unwrap()["amount_b"], json!("2"));
}

#[test]
fn attack_a_donation_mints_no_shares_and_a_demand_above_the_ratio_is_refused() {
    let mut m = market_with_pool("10000", "10000");
    // Tokens sent to the pair directly are not in its books: they change no one's shares.
    m.app.call(&m.bob, &m.token_a, "transfer", json!([m.pair.address, "5000"])).unwrap();
    assert_eq!(pool(&m.app, &m.pair)["reserve_a"], json!("10000"));
    let greedy = m.app.call(&m.bob, &m.pair, "add_liquidity", json!(["1000", "1000", "1001"])).unwrap_err();
    assert_eq!(greedy.reason(), "aborted: too few shares for the amounts: below min_shares");
}
