//! The `embedded.rollup.*` JSON-RPC methods: their names, parameters and answers, the same wherever the
//! settlement runs (the devnet serves them, and so does go-zenon with the spork through `zr-ffi`).

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use zr_common::{Address, Hash};

use crate::state::Settlement;

/// The most heights a ranged method answers for (go-zenon's own bound on counts).
pub const MAX_COUNT: u64 = 1024;

/// Every method, by its JSON-RPC name.
pub const METHODS: [&str; 11] = [
    "embedded.rollup.getFinal",
    "embedded.rollup.getClaims",
    "embedded.rollup.getBond",
    "embedded.rollup.getChallenge",
    "embedded.rollup.getChallenges",
    "embedded.rollup.getDaChallenges",
    "embedded.rollup.getOpenDaChallenges",
    "embedded.rollup.getWithdrawal",
    "embedded.rollup.getRefused",
    "embedded.rollup.getParameters",
    "embedded.rollup.getOwed",
];

/// Answers `method` with positional `params` from `settlement`; `Err` names what is wrong with the call.
pub fn query(settlement: &Settlement, method: &str, params: &[Value]) -> Result<Value, String> {
    match method {
        "embedded.rollup.getFinal" => answer(settlement.final_root()),
        "embedded.rollup.getClaims" => {
            let (height, count) = range(params)?;
            answer(settlement.claims(height, count))
        }
        "embedded.rollup.getBond" => answer(settlement.bond(&param::<Address>(params, 0, "address")?).cloned()),
        "embedded.rollup.getChallenge" => answer(settlement.challenge(&param::<Hash>(params, 0, "id")?).cloned()),
        "embedded.rollup.getChallenges" => {
            let (height, count) = range(params)?;
            answer(settlement.challenges(height, count))
        }
        "embedded.rollup.getDaChallenges" => {
            let (height, count) = range(params)?;
            answer(settlement.da_challenges(height, count))
        }
        "embedded.rollup.getOpenDaChallenges" => answer(settlement.open_da_challenges()),
        "embedded.rollup.getWithdrawal" => {
            let tx_hash = param::<Hash>(params, 0, "txHash")?;
            answer(settlement.payout(&tx_hash).map(|l1_block| json!({ "paid": true, "l1Block": l1_block })))
        }
        "embedded.rollup.getRefused" => answer(settlement.refused()),
        "embedded.rollup.getParameters" => answer(settlement.parameters()),
        "embedded.rollup.getOwed" => Ok(Value::Array(
            settlement
                .owed()
                .iter()
                .map(|p| {
                    json!({
                        "recipient": p.recipient,
                        "tokenStandard": p.token,
                        "amount": p.amount.to_string(),
                        "withdrawal": p.withdrawal,
                    })
                })
                .collect(),
        )),
        other => Err(format!("the method {other} does not exist")),
    }
}

fn answer<T: Serialize>(value: T) -> Result<Value, String> {
    serde_json::to_value(value).map_err(|e| format!("internal error: {e}"))
}

/// Positional parameter `index`, named `name` in errors.
fn param<T: DeserializeOwned>(params: &[Value], index: usize, name: &str) -> Result<T, String> {
    let value = params.get(index).ok_or_else(|| format!("missing value for required argument {index} ({name})"))?;
    serde_json::from_value(value.clone()).map_err(|e| format!("invalid {name}: {e}"))
}

/// `(height, count)`, as go-zenon bounds them.
fn range(params: &[Value]) -> Result<(u64, u64), String> {
    let height: u64 = param(params, 0, "height")?;
    let count: u64 = param(params, 1, "count")?;
    if height == 0 {
        return Err("height parameter must be strictly greater than zero".to_owned());
    }
    if count > MAX_COUNT {
        return Err("count parameter is too big".to_owned());
    }
    Ok((height, count))
}
