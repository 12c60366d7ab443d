//! The rollup commands: deploy, call, query, balance, transfer, withdraw, deposit, tx.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Subcommand;
use eyre::{Context, bail};
use serde_json::json;
use zr_common::rollup::{Transaction, TxKind, limits};
use zr_common::{Address, Hash, KeyPair, TokenStandard, sha3_256};
use zr_protocol::StateKey;
use zr_protocol::gas::{COSTS, intrinsic_gas_of_len};
use zr_rpc_api::{CallRequest, RollupStateApiClient, RollupTxApiClient, TransactionStatus, TransactionView};
use zr_sequencing::{L1, SendRequest};

use zr_common::abi::{Abi, Method};

use super::abi;
use super::key::KeyFileArg;
use super::net::{Net, NetArgs, encode_args, format_amount, parse_amount, parse_token};
use crate::output::Output;

/// Rollup commands.
#[derive(Subcommand)]
pub enum RollupCommand {
    /// Upload a contract (in chunks, skipped if the code is already on chain) and deploy it.
    Deploy {
        /// The contract's .wasm file.
        file: PathBuf,
        /// Arguments of the contract's `init` (TYPE:VALUE, see `zr call`).
        #[arg(long = "init", value_name = "ARG")]
        init: Vec<String>,
        /// ZNN sent to the new contract (e.g. 1.5).
        #[arg(long, default_value = "0")]
        value: String,
    },
    /// Call a contract method in a transaction.
    Call {
        /// The contract address.
        contract: Address,
        /// The method.
        method: String,
        /// Arguments. With an ABI (see `zr contract`): values in order, or NAME=VALUE, typed by the ABI
        /// (numbers, z1… addresses, 0x… bytes, text; JSON for arrays, lists and records). Raw, and without an
        /// ABI: address:z1…, u128:N, u64:N, hex:…, bytes:… (length-prefixed).
        args: Vec<String>,
        /// ZNN sent with the call.
        #[arg(long, default_value = "0")]
        value: String,
    },
    /// Call a contract method read-only on an executor (no transaction).
    Query {
        /// The contract address.
        contract: Address,
        /// The method.
        method: String,
        /// Arguments, as for `zr call`.
        args: Vec<String>,
        /// Decode the return data as u128, u64, address or hex (by default by the ABI, else hex).
        #[arg(long = "as", value_name = "TYPE")]
        decode: Option<String>,
    },
    /// Show a contract: its code hash and size, and the methods, events and types of its ABI.
    Contract {
        /// The contract address.
        address: Address,
    },
    /// Show rollup (and L1) balances of an address (yours by default).
    Balance {
        /// The address.
        address: Option<Address>,
    },
    /// Transfer ZNN or QSR on the rollup.
    Transfer {
        /// The receiver.
        to: Address,
        /// The amount (e.g. 1.5).
        amount: String,
        /// ZNN or QSR.
        #[arg(long, default_value = "ZNN")]
        token: String,
    },
    /// Withdraw ZNN or QSR from the rollup to an L1 account: burned on the rollup, paid on L1 by the inbox once
    /// the claim that burned it is final. Shows each step.
    Withdraw {
        /// The amount (e.g. 1.5).
        amount: String,
        /// The L1 account paid; yours by default.
        #[arg(long)]
        to: Option<Address>,
        /// ZNN or QSR.
        #[arg(long, default_value = "ZNN")]
        token: String,
    },
    /// Deposit ZNN or QSR from your L1 account into the rollup.
    Deposit {
        /// The amount (e.g. 10).
        amount: String,
        /// ZNN or QSR.
        #[arg(long, default_value = "ZNN")]
        token: String,
    },
    /// Show a transaction's status and receipt.
    Tx {
        /// The transaction hash.
        hash: Hash,
        /// Wait until it is executed.
        #[arg(long)]
        watch: bool,
    },
}

/// Runs a rollup command.
pub fn run(cmd: RollupCommand, key: KeyFileArg, net: NetArgs, out: &Output) -> eyre::Result<()> {
    let runtime = tokio::runtime::Runtime::new().wrap_err("cannot start the async runtime")?;
    runtime.block_on(async move {
        let net = Net::new(net, !out.is_json())?;
        match cmd {
            RollupCommand::Deploy { file, init, value } => deploy(&net, &key.load()?, file, init, &value, out).await,
            RollupCommand::Call { contract, method, args, value } => {
                let key = key.load()?;
                let contract_abi = abi::for_call(&net, contract, |line| out.progress_line(line)).await?;
                let (declared, input) = abi::encode_input(contract_abi.as_ref(), &method, &args)?;
                if declared.is_some_and(|m| m.view) {
                    out.progress_line(&format!("{method} is a view method: `zr query` reads it without a transaction"));
                }
                let kind = TxKind::Call { contract, method, input, value: parse_amount(&value)? };
                let view = transact(&net, &key, kind, "call").await?;
                let called = contract_abi.as_ref().map(|abi| (contract, abi));
                let decoded = Decoded::of(&net, &view, called, declared).await;
                print_tx(out, &view, &decoded);
                Ok(())
            }
            RollupCommand::Query { contract, method, args, decode } => {
                let from = key.load().ok().map(|k| k.address());
                let contract_abi = abi::for_call(&net, contract, |line| out.progress_line(line)).await?;
                let (declared, input) = abi::encode_input(contract_abi.as_ref(), &method, &args)?;
                let request = CallRequest { contract, method, input, from, gas_limit: None, height: None };
                let result = net.executor.call(request).await.map_err(|e| net.executor_error("rollup.call", e))?;
                let decoded = match (decode.as_deref(), abi::decode_result(contract_abi.as_ref(), declared, &result.return_data)) {
                    (None, Some(Ok(value))) => value,
                    (None, Some(Err(e))) if result.success => bail!("the return data does not fit the ABI: {e}"),
                    (as_type, _) => serde_json::Value::String(decode_return(&result.return_data, as_type)?),
                };
                out.emit(json!({ "result": result, "decoded": decoded }), || {
                    if result.success {
                        format!("{}\n(gas {}, height {})", abi::plain(&decoded), result.gas_used, result.height)
                    } else {
                        format!("failed: {} (gas {})", result.error.clone().unwrap_or_default(), result.gas_used)
                    }
                });
                if !result.success {
                    bail!("the call failed");
                }
                Ok(())
            }
            RollupCommand::Contract { address } => {
                let described = abi::fetch(&net, address).await?;
                out.emit(serde_json::to_value(&described.view).unwrap_or_default(), || abi::describe_contract(&described));
                Ok(())
            }
            RollupCommand::Balance { address } => {
                let address = match address {
                    Some(address) => address,
                    None => key.load()?.address(),
                };
                let rollup = net.account(&address).await?;
                let l1 = net.l1.account_info(&address).await.ok();
                let l1_znn = l1.as_ref().map(|i| i.balance(&TokenStandard::ZNN));
                let l1_qsr = l1.as_ref().map(|i| i.balance(&TokenStandard::QSR));
                out.emit(json!({ "rollup": rollup, "l1": { "znn": l1_znn.map(|v| v.to_string()), "qsr": l1_qsr.map(|v| v.to_string()) } }), || {
                    let l1_line = match (l1_znn, l1_qsr) {
                        (Some(z), Some(q)) => format!("\nL1:     {} ZNN  {} QSR", format_amount(z), format_amount(q)),
                        _ => String::new(),
                    };
                    format!(
                        "{address}\nrollup: {} ZNN  {} QSR  (nonce {}, height {}){l1_line}",
                        format_amount(rollup.znn),
                        format_amount(rollup.qsr),
                        rollup.nonce,
                        rollup.height
                    )
                });
                Ok(())
            }
            RollupCommand::Transfer { to, amount, token } => {
                let key = key.load()?;
                let kind = TxKind::Transfer { to, token: parse_token(&token)?, amount: parse_amount(&amount)? };
                let view = transact(&net, &key, kind, "transfer").await?;
                print_tx(out, &view, &Decoded::default());
                Ok(())
            }
            RollupCommand::Withdraw { amount, to, token } => {
                let key = key.load()?;
                let amount = parse_amount(&amount)?;
                let l1_recipient = to.unwrap_or(key.address());
                // Checked before anything burns: the inbox never pays a contract address (L1 cannot send to one).
                if l1_recipient.kind() != Some(zr_common::AddressKind::User) {
                    bail!("--to {l1_recipient} is not a user account: L1 pays withdrawals to user accounts only");
                }
                let kind = TxKind::Withdraw { token: parse_token(&token)?, amount, l1_recipient };
                let view = transact(&net, &key, kind, "withdrawal").await?;
                if view.status != TransactionStatus::Executed {
                    print_tx(out, &view, &Decoded::default());
                    bail!("the withdrawal did not execute: {}", view.reason.unwrap_or_default());
                }
                let hash = view.hash;
                net.progress_line(&format!("executed at height {}", view.height.unwrap_or_default()));
                let paid = super::withdraw::pay_when_final(&net, &key, hash).await?;
                // Paid to this key's own account: receive it, as its wallet would.
                let received = match l1_recipient == key.address() {
                    true => Some(super::withdraw::receive_payout(&net, &key, paid.l1_block).await?.hash),
                    false => None,
                };
                out.emit(json!({ "transaction": hash, "executedAt": view.height, "finalAt": paid.final_height, "l1Block": paid.l1_block, "recipient": l1_recipient, "receivedBy": received }), || {
                    let receipt = received.map_or_else(
                        || " (the recipient receives it from its wallet)".to_owned(),
                        |block| format!(", received by block {block}"),
                    );
                    format!(
                        "withdrawal {hash}: executed at height {}, final at {}, paid on L1 to {l1_recipient} by block {} ({} {}){receipt}",
                        view.height.unwrap_or_default(), paid.final_height, paid.l1_block, format_amount(amount), token
                    )
                });
                Ok(())
            }
            RollupCommand::Deposit { amount, token } => {
                let key = key.load()?;
                let token = parse_token(&token)?;
                let amount = parse_amount(&amount)?;
                let before = net.account(&key.address()).await?;
                let block = net
                    .post(&key, SendRequest { to: Address::INBOX, token, amount, data: vec![] })
                    .await?;
                let started = Instant::now();
                loop {
                    let now = net.account(&key.address()).await?;
                    let credited = match token {
                        TokenStandard::QSR => now.qsr > before.qsr,
                        _ => now.znn > before.znn,
                    };
                    if credited {
                        out.emit(json!({ "l1Block": block.hash, "account": now }), || {
                            format!("deposited {} (L1 block {}); rollup balance {} ZNN {} QSR", format_amount(amount), block.hash, format_amount(now.znn), format_amount(now.qsr))
                        });
                        return Ok(());
                    }
                    if started.elapsed() > Duration::from_secs(net.args.timeout) {
                        bail!("the deposit (L1 block {}) is not credited after {} s", block.hash, net.args.timeout);
                    }
                    net.progress(&format!("deposit {}: waiting for a momentum… {}s", block.hash, started.elapsed().as_secs()));
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
            }
            RollupCommand::Tx { hash, watch } => {
                let view = if watch {
                    net.wait(&hash, "transaction").await?
                } else {
                    let found = net.executor.get_transaction(hash).await;
                    match found.map_err(|e| net.executor_error("rollup.getTransaction", e))? {
                        Some(view) => view,
                        None => bail!("transaction {hash} is not known (yet); add --watch to wait"),
                    }
                };
                let decoded = Decoded::of(&net, &view, None, None).await;
                print_tx(out, &view, &decoded);
                Ok(())
            }
        }
    })
}

async fn next_nonce(net: &Net, key: &KeyPair) -> eyre::Result<u64> {
    net.next_nonce(&key.address()).await
}

/// Fails (exit 1) unless `view` is executed, naming what happened.
fn require_executed(view: &TransactionView, what: &str) -> eyre::Result<()> {
    if view.status != TransactionStatus::Executed {
        bail!("{what} {} {}: {}", view.hash, view.status, view.reason.clone().unwrap_or_default());
    }
    Ok(())
}

/// Submits one transaction and waits for its receipt; fails (exit 1) if the transaction failed.
async fn transact(net: &Net, key: &KeyPair, kind: TxKind, what: &str) -> eyre::Result<TransactionView> {
    let nonce = next_nonce(net, key).await?;
    let tx = net.submit(key, nonce, vec![kind]).await?.remove(0);
    let view = net.wait(&tx.hash(), what).await?;
    require_executed(&view, what)?;
    Ok(view)
}

async fn deploy(
    net: &Net,
    key: &KeyPair,
    file: PathBuf,
    init: Vec<String>,
    value: &str,
    out: &Output,
) -> eyre::Result<()> {
    let code = std::fs::read(&file).wrap_err_with(|| format!("cannot read {}", file.display()))?;
    let abi = Abi::of_code(&code).wrap_err_with(|| format!("{} carries a malformed ABI", file.display()))?;
    let input = match abi.as_ref().filter(|abi| abi.method("init").is_ok()) {
        Some(abi) => abi::encode_input(Some(abi), "init", &init)?.1,
        None if abi.is_some() && !init.is_empty() => bail!("{} has no `init` to take arguments", file.display()),
        None => encode_args(&init)?,
    };
    let value = parse_amount(value)?;
    let (address, code_hash, view) = deploy_code(net, key, &code, &file.display().to_string(), input, value).await?;
    out.emit(json!({ "contract": address, "codeHash": code_hash, "transaction": view }), || {
        format!(
            "deployed {} ({} bytes, code {code_hash})\ncontract: {address}\ntransaction {} at height {}",
            file.display(),
            code.len(),
            view.hash,
            view.height.unwrap_or(0)
        )
    });
    Ok(())
}

/// Uploads `code` (named `name` in messages) unless it is on chain already, deploys it with `input` and
/// `value`, and waits for the deployment; returns the contract's address, the code hash and the receipt.
pub async fn deploy_code(
    net: &Net,
    key: &KeyPair,
    code: &[u8],
    name: &str,
    input: Vec<u8>,
    value: u128,
) -> eyre::Result<(Address, Hash, TransactionView)> {
    if code.len() > limits::MAX_CODE_LEN {
        bail!("{name} is {} bytes; contracts are at most {} bytes", code.len(), limits::MAX_CODE_LEN);
    }
    let code_hash = sha3_256(code);
    let present = net
        .executor
        .get_proof(StateKey::Code { code_hash }, None)
        .await
        .map_err(|e| net.executor_error("rollup.getProof", e))?;
    let mut nonce = next_nonce(net, key).await?;
    if present.value.is_none() {
        let chunks: Vec<&[u8]> = code.chunks(limits::MAX_CODE_CHUNK_LEN).collect();
        let count = chunks.len() as u32;
        let chain_id = net.chain_id().await?;
        let uploads: Vec<Transaction> = chunks
            .into_iter()
            .enumerate()
            .map(|(index, chunk)| {
                // The last chunk also pays for validating and compiling the whole code.
                let gas = intrinsic_gas_of_len(chunk.len() + 512)
                    + COSTS.upload_per_byte * chunk.len() as u64
                    + if index + 1 == count as usize { COSTS.compile_per_byte * code.len() as u64 } else { 0 }
                    + 100_000;
                let kind = TxKind::UploadChunk { code_hash, index: index as u32, count, bytes: chunk.to_vec() };
                net.sign(chain_id, key, nonce + index as u64, kind, gas.max(net.args.gas))
            })
            .collect();
        upload_chunks(net, key, &uploads, name).await?;
        nonce += u64::from(count);
    }
    let address = Address::contract(&key.address(), nonce);
    let tx = net.submit(key, nonce, vec![TxKind::Deploy { code_hash, input, value }]).await?.remove(0);
    let view = net.wait(&tx.hash(), "deploy").await?;
    require_executed(&view, "deploy")?;
    Ok((address, code_hash, view))
}

/// Uploads chunk transactions and waits for all of them. Through a relay they are all submitted at once (the
/// relay bundles them over the next momentums and posts again what a momentum could not fit); with `--direct`
/// see [`upload_chunks_directly`].
async fn upload_chunks(net: &Net, key: &KeyPair, uploads: &[Transaction], name: &str) -> eyre::Result<()> {
    if net.args.direct {
        return upload_chunks_directly(net, key, uploads, name).await;
    }
    net.progress(&format!("uploading {name} in {} chunks through the relay", uploads.len()));
    net.send_to_relay(uploads).await?;
    for (index, tx) in uploads.iter().enumerate() {
        let view = net.wait(&tx.hash(), &format!("upload chunk {}/{}", index + 1, uploads.len())).await?;
        require_executed(&view, &format!("upload chunk {index}"))?;
    }
    Ok(())
}

/// Posts upload transactions one bundle each from the user's L1 account and waits for all of them. A chunk
/// the momentum could not fit (dropped: gas budget, or a nonce gap after an earlier drop) is posted again with
/// the ones after it, a few times; a failed chunk fails the upload.
async fn upload_chunks_directly(net: &Net, key: &KeyPair, uploads: &[Transaction], name: &str) -> eyre::Result<()> {
    const ATTEMPTS: usize = 4;
    let mut from = 0;
    let mut dropped_at = None;
    for attempt in 1..=ATTEMPTS {
        for (index, tx) in uploads.iter().enumerate().skip(from) {
            net.progress(&format!("uploading {name} [{}/{}]", index + 1, uploads.len()));
            net.post_bundle(key, vec![tx.clone()]).await?;
        }
        let mut again = None;
        for (index, tx) in uploads.iter().enumerate().skip(from) {
            let view = net.wait_after(&tx.hash(), "upload", dropped_at).await?;
            let reason = view.reason.clone().unwrap_or_default();
            match view.status {
                TransactionStatus::Executed => {}
                TransactionStatus::Dropped => {
                    net.progress(&format!("chunk {index} dropped ({reason}); posting again (attempt {attempt})"));
                    again = Some((index, view.height));
                    break;
                }
                other => bail!("upload chunk {index} ({}) {other}: {reason}", view.hash),
            }
        }
        match again {
            None => return Ok(()),
            Some((index, height)) => {
                from = index;
                dropped_at = height;
            }
        }
    }
    bail!("the upload of {name} was dropped {ATTEMPTS} times (the rollup is busy); try again later")
}

fn decode_return(data: &[u8], as_type: Option<&str>) -> eyre::Result<String> {
    Ok(match as_type {
        None | Some("hex") => hex::encode(data),
        Some("u128") if data.len() == 16 => u128::from_le_bytes(data.try_into().expect("16")).to_string(),
        Some("u64") if data.len() == 8 => u64::from_le_bytes(data.try_into().expect("8")).to_string(),
        Some("address") if data.len() == 20 => Address::from_slice(data).expect("20").to_string(),
        Some(other) => bail!("cannot decode {} bytes as {other}", data.len()),
    })
}

/// What the ABIs say of a receipt: the return value (by the called method's output) and the events.
#[derive(Default)]
struct Decoded {
    result: Option<Result<serde_json::Value, String>>,
    events: Vec<Option<abi::DecodedEvent>>,
}

impl Decoded {
    /// Decodes `view`'s receipt: its return data by `method` of `abi`, its events by their contracts' ABIs.
    /// `called` is the called contract with its ABI, when the caller fetched it already.
    async fn of(
        net: &Net,
        view: &TransactionView,
        called: Option<(Address, &Abi)>,
        method: Option<&Method>,
    ) -> Decoded {
        let Some(receipt) = &view.receipt else { return Decoded::default() };
        Decoded {
            result: abi::decode_result(called.map(|(_, abi)| abi), method, &receipt.return_data),
            events: abi::decode_events(net, &receipt.events, called).await,
        }
    }
}

fn print_tx(out: &Output, view: &TransactionView, decoded: &Decoded) {
    let mut value = serde_json::to_value(view).unwrap_or_default();
    if let Some(Ok(result)) = &decoded.result {
        value["decodedResult"] = result.clone();
    }
    if decoded.events.iter().any(Option::is_some) {
        value["decodedEvents"] = decoded.events.iter().map(|e| e.as_ref().map(|e| e.json.clone())).collect();
    }
    out.emit(value, || {
        let mut text = format!("transaction {}: {}", view.hash, view.status);
        if view.finalized {
            text.push_str(", final");
        }
        if let Some(height) = view.height {
            text.push_str(&format!(" at height {height}"));
            if let Some(index) = view.index {
                text.push_str(&format!(" position {index}"));
            }
        }
        if let Some(receipt) = &view.receipt {
            text.push_str(&format!(" (gas {})", receipt.gas_used));
        }
        if let Some(nonce) = view.expected_nonce {
            text.push_str(&format!("\nwaiting for nonce {nonce}"));
        }
        if let (Some(bundle), Some(block)) = (view.bundle, view.l1_block) {
            text.push_str(&format!("\nbundle {bundle} in L1 block {block}"));
        }
        if let Some(by) = view.replaced_by {
            text.push_str(&format!("\nreplaced by {by}"));
        }
        if let Some(reason) = &view.reason {
            text.push_str(&format!("\nreason: {reason}"));
        }
        let Some(receipt) = &view.receipt else { return text };
        match &decoded.result {
            Some(Ok(result)) => text.push_str(&format!("\nreturned: {}", abi::plain(result))),
            _ if !receipt.return_data.is_empty() => {
                text.push_str(&format!("\nreturned: {}", hex::encode(&receipt.return_data)))
            }
            _ => {}
        }
        for (index, event) in receipt.events.iter().enumerate() {
            match decoded.events.get(index).and_then(Option::as_ref) {
                Some(decoded) => text.push_str(&format!("\nevent {} {}", event.contract, decoded.text)),
                None => text.push_str(&format!(
                    "\nevent {} {}: {}",
                    event.contract,
                    String::from_utf8_lossy(&event.topic),
                    hex::encode(&event.data)
                )),
            }
        }
        text
    });
}
