//! How long each explorer page takes to load in headless Chromium, against a running network
//! (`cargo bench -p zr-tests --bench explorer_pages`, the explorer at `ZR_EXPLORER`, by default `zr up`'s
//! `http://127.0.0.1:8545/explorer/`). Load it first, e.g. `zr bench --duration 400` for about 100 000
//! transfers. Each page is opened afresh five times (a new navigation: the HTML, the script and every call it
//! makes, until the page has rendered, as the page measures it from the navigation's start); prints the
//! median and the slowest, and how many transactions the rollup holds.

use serde_json::{Value, json};
use zr_tests::browser::Browser;

const RUNS: usize = 5;

async fn call(rpc: &str, method: &str, params: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let answer: Value = reqwest::Client::new().post(rpc).json(&body).send().await.unwrap().json().await.unwrap();
    assert!(answer.get("error").is_none(), "{method}: {answer}");
    answer["result"].clone()
}

fn main() {
    let explorer = std::env::var("ZR_EXPLORER").unwrap_or_else(|_| "http://127.0.0.1:8545/explorer/".to_owned());
    let rpc = explorer.trim_end_matches('/').trim_end_matches("/explorer").to_owned();
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        // What the rollup holds, and the busiest momentum of the last hundred (its transaction, sender, contract).
        let mut total = 0u64;
        let mut top: Option<u64> = None;
        let mut busiest = (0u64, 0u64);
        loop {
            let page = call(&rpc, "rollup.getMomentums", json!([top, 100])).await;
            let momentums = page["momentums"].as_array().unwrap().clone();
            for m in &momentums {
                let txs = m["transactions"].as_u64().unwrap();
                total += txs;
                if txs > busiest.1 {
                    busiest = (m["height"].as_u64().unwrap(), txs);
                }
            }
            match momentums.last().map(|m| m["height"].as_u64().unwrap()) {
                Some(last) if last > 1 => top = Some(last - 1),
                _ => break,
            }
        }
        let (height, count) = busiest;
        assert!(count > 0, "no transactions in the rollup: load it first (zr bench)");
        let momentum = call(&rpc, "rollup.getMomentum", json!([height, 0, 100])).await;
        let tx = &momentum["transactions"][0];
        let call_tx = momentum["transactions"].as_array().unwrap().iter().find(|t| t["action"] == "call").cloned();
        let contract = call_tx.as_ref().map(|t| t["target"].as_str().unwrap().to_owned());
        let mut pages = vec![
            ("home", "#/".to_owned()),
            ("momentum", format!("#/momentum/{height}")),
            ("transaction", format!("#/tx/{}", tx["hash"].as_str().unwrap())),
            ("address", format!("#/address/{}", tx["sender"].as_str().unwrap())),
            ("claims", "#/claims".to_owned()),
            ("claims at a height", format!("#/claims/{height}")),
        ];
        if let Some(contract) = contract {
            pages.push(("contract", format!("#/address/{contract}")));
        }
        let browser = Browser::start().await;
        println!("the rollup holds {total} transactions; the busiest recent momentum, {height}, holds {count}");
        println!("{:<20} {:>10} {:>10}", "page", "median ms", "max ms");
        for (name, hash) in pages {
            let mut times = Vec::with_capacity(RUNS);
            for _ in 0..RUNS {
                browser.open("about:blank").await;
                browser.open(&format!("{explorer}{hash}")).await;
                times.push(browser.loaded(&hash).await);
            }
            times.sort_unstable();
            println!("{name:<20} {:>10} {:>10}", times[RUNS / 2], times[RUNS - 1]);
        }
        browser.close().await;
    });
}
