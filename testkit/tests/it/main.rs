//! The test kit's tests, on the example contracts as they are committed (`contracts/wasm`).

mod amm;
mod multisig;
mod nft;
mod token;

use zr_testkit::{App, Contract, Wallet, ZNN};

/// The committed build of an example contract.
pub fn example(name: &str) -> Vec<u8> {
    let path = format!("{}/../contracts/wasm/{name}.wasm", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// An app with two funded wallets.
pub fn app_with_two_wallets() -> (App, Wallet, Wallet) {
    let mut app = App::new();
    let alice = app.account(1_000 * ZNN);
    let bob = app.account(1_000 * ZNN);
    (app, alice, bob)
}

/// The token deployed by `owner`.
pub fn deploy_token(app: &mut App, owner: &Wallet) -> Contract {
    app.deploy(owner, &example("token"), serde_json::json!([])).unwrap()
}
