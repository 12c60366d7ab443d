//! Calling contracts by their ABI: fetch it (`rollup.getContract`), encode `zr call`/`zr query` arguments by
//! name or position with their types checked before anything is signed, decode results and events by name.
//! Contracts without an ABI keep the raw `TYPE:VALUE` arguments.

use std::collections::BTreeMap;

use eyre::{bail, eyre};
use serde_json::{Value, json};
use zr_common::Address;
use zr_common::abi::{Abi, Method, value_from_text};
use zr_common::rollup::Event;
use zr_rpc_api::{ContractView, RollupStateApiClient};

use super::net::{Net, encode_args};

/// A contract as the executor describes it, with its parsed ABI.
pub struct ContractAbi {
    /// What `rollup.getContract` said.
    pub view: ContractView,
    /// The ABI, if the code carries one.
    pub abi: Option<Abi>,
}

/// The ABI of the contract at `address` for encoding a call: an error if no contract is there; `None`, with a
/// note on stderr, if the executor cannot say (an older one without `rollup.getContract`): raw arguments only.
pub async fn for_call(net: &Net, address: Address, progress: impl Fn(&str)) -> eyre::Result<Option<Abi>> {
    match fetch(net, address).await {
        Ok(contract) => Ok(contract.abi),
        Err(e) if e.to_string().starts_with("no contract at") => Err(e),
        Err(e) => {
            progress(&format!("cannot read the contract's ABI ({e:#}): arguments are taken as raw TYPE:VALUE"));
            Ok(None)
        }
    }
}

/// Fetches `address`'s code description and ABI; an error if no contract is there.
pub async fn fetch(net: &Net, address: Address) -> eyre::Result<ContractAbi> {
    let view = net
        .executor
        .get_contract(address, None)
        .await
        .map_err(|e| net.executor_error("rollup.getContract", e))?
        .ok_or_else(|| eyre!("no contract at {address}"))?;
    let abi = match &view.abi {
        Some(value) => Some(abi_from_json(value)?),
        None => None,
    };
    Ok(ContractAbi { view, abi })
}

/// The ABI back from the JSON `rollup.getContract` serves (the same lines the section holds).
fn abi_from_json(value: &Value) -> eyre::Result<Abi> {
    let mut lines = String::new();
    for (kind, key) in [("method", "methods"), ("event", "events"), ("type", "types")] {
        for item in value[key].as_array().into_iter().flatten() {
            let mut item = item.clone();
            let Some(fields) = item.as_object_mut() else {
                bail!("the executor served an ABI whose {key} are not objects");
            };
            fields.insert("kind".into(), json!(kind));
            lines.push_str(&item.to_string());
            lines.push('\n');
        }
    }
    Abi::parse(lines.as_bytes()).map_err(|e| eyre!("the executor served an ABI that does not parse: {e}"))
}

/// A method's signature as people read it: `transfer(to: Address, amount: u128) -> u128`.
pub fn signature(method: &Method) -> String {
    let params: Vec<String> = method.inputs.iter().map(|f| format!("{}: {}", f.name, f.type_text)).collect();
    let view = if method.view { " (view)" } else { "" };
    match method.output.as_str() {
        "()" => format!("{}({}){view}", method.name, params.join(", ")),
        output => format!("{}({}) -> {output}{view}", method.name, params.join(", ")),
    }
}

/// The input for `method` from command-line arguments: by the ABI when the contract has one (`name=value`
/// or positional, each checked against its type), else raw `TYPE:VALUE` parts.
pub fn encode_input<'a>(
    abi: Option<&'a Abi>,
    method: &str,
    args: &[String],
) -> eyre::Result<(Option<&'a Method>, Vec<u8>)> {
    let Some(abi) = abi else {
        return Ok((None, encode_args(args)?));
    };
    // Raw `TYPE:VALUE` arguments still work, even for a method the ABI does not list (an `entry!` method
    // beside typed ones): the caller chose the bytes.
    if !args.is_empty() && args.iter().all(|arg| is_raw(arg)) {
        return Ok((abi.method(method).ok(), encode_args(args)?));
    }
    let method = abi.method(method).map_err(|e| eyre!("{e}"))?;
    let mut values = Vec::with_capacity(args.len());
    for (position, arg) in args.iter().enumerate() {
        let named = arg.split_once('=').filter(|(name, _)| method.inputs.iter().any(|f| f.name == *name));
        let (name, text, field) = match named {
            Some((name, text)) => (Some(name.to_owned()), text, method.inputs.iter().find(|f| f.name == name)),
            None => (None, arg.as_str(), method.inputs.get(position)),
        };
        let Some(field) = field else {
            bail!("{} takes {} arguments, {} given", signature(method), method.inputs.len(), args.len());
        };
        let value = value_from_text(&field.ty, text)
            .map_err(|e| eyre!("argument `{}` ({}): {e}", field.name, field.type_text))?;
        values.push((name, value));
    }
    let input = abi.encode_call(method, &values).map_err(|e| eyre!("{e}"))?;
    Ok((Some(method), input))
}

/// Whether `arg` is a raw `TYPE:VALUE` argument (`address:z1…`, `u128:5`, …).
fn is_raw(arg: &str) -> bool {
    arg.split_once(':').is_some_and(|(kind, _)| ["address", "u128", "u64", "hex", "bytes"].contains(&kind))
}

/// Return data decoded by the method's output type (`None` without an ABI or for `()`).
pub fn decode_result(abi: Option<&Abi>, method: Option<&Method>, data: &[u8]) -> Option<Result<Value, String>> {
    let (abi, method) = (abi?, method?);
    if method.output_type == zr_common::abi::AbiType::Unit && data.is_empty() {
        return None;
    }
    Some(abi.decode(&method.output_type, data).map_err(|e| e.to_string()))
}

/// An event decoded by its contract's ABI.
pub struct DecodedEvent {
    /// `{"name": …, "fields": {…}}`.
    pub json: Value,
    /// `Transfer { from: z1…, to: z1…, amount: 300 }`, fields in the declared order.
    pub text: String,
}

/// Decodes events by the ABIs of the contracts that emitted them (`known`, the called contract's when the
/// caller has it, else fetched once each); `None` for an event its contract's ABI does not declare.
pub async fn decode_events(net: &Net, events: &[Event], known: Option<(Address, &Abi)>) -> Vec<Option<DecodedEvent>> {
    let mut abis: BTreeMap<Address, Option<Abi>> = known.map(|(a, abi)| (a, Some(abi.clone()))).into_iter().collect();
    let mut decoded = Vec::with_capacity(events.len());
    for event in events {
        if let std::collections::btree_map::Entry::Vacant(slot) = abis.entry(event.contract) {
            slot.insert(fetch(net, event.contract).await.ok().and_then(|contract| contract.abi));
        }
        let abi = abis.get(&event.contract).and_then(Option::as_ref);
        decoded.push(abi.and_then(|abi| decode_event(abi, event)));
    }
    decoded
}

/// One event decoded by `abi`, if it declares the event and the data fits it.
pub fn decode_event(abi: &Abi, event: &Event) -> Option<DecodedEvent> {
    let json = abi.decode_event(&event.topic, &event.data)?.ok()?;
    let declared = abi.events.iter().find(|e| e.name.as_bytes() == event.topic.as_slice())?;
    let fields: Vec<String> =
        declared.fields.iter().map(|f| format!("{}: {}", f.name, plain(&json["fields"][&f.name]))).collect();
    let text = format!("{} {{ {} }}", declared.name, fields.join(", "));
    Some(DecodedEvent { json, text })
}

/// A JSON value without quotes around strings.
pub fn plain(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The contract for people: code, then each method's signature and each event.
pub fn describe_contract(contract: &ContractAbi) -> String {
    let view = &contract.view;
    let mut text = format!(
        "contract {}\ncode {} ({} bytes, {} functions) at height {}",
        view.address, view.code_hash, view.code_size, view.functions, view.height
    );
    let Some(abi) = &contract.abi else {
        text.push_str("\nno ABI: call it with TYPE:VALUE arguments");
        return text;
    };
    text.push_str("\nmethods:");
    for method in &abi.methods {
        text.push_str(&format!("\n  {}", signature(method)));
    }
    for (title, items) in [("events", &abi.events), ("types", &abi.types)] {
        if items.is_empty() {
            continue;
        }
        text.push_str(&format!("\n{title}:"));
        for item in items {
            let fields: Vec<String> = item.fields.iter().map(|f| format!("{}: {}", f.name, f.type_text)).collect();
            text.push_str(&format!("\n  {} {{ {} }}", item.name, fields.join(", ")));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token_abi() -> Abi {
        let code = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../contracts/wasm/token.wasm")).unwrap();
        Abi::of_code(&code).unwrap().unwrap()
    }

    #[test]
    fn the_abi_survives_the_rpcs_json_and_a_malformed_one_is_an_error() {
        let abi = token_abi();
        assert_eq!(abi_from_json(&abi.to_json()).unwrap(), abi);
        let error = abi_from_json(&json!({ "methods": [1] })).unwrap_err().to_string();
        assert_eq!(error, "the executor served an ABI whose methods are not objects");
    }

    #[test]
    fn arguments_by_position_or_name_encode_alike_and_wrong_ones_are_named() {
        let abi = token_abi();
        let to = Address([3; 20]).to_string();
        let args = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let (_, positional) = encode_input(Some(&abi), "transfer", &args(&[&to, "25"])).unwrap();
        let (_, named) = encode_input(Some(&abi), "transfer", &args(&["amount=25", &format!("to={to}")])).unwrap();
        assert_eq!(positional, named);
        assert_eq!(positional, [[3u8; 20].as_slice(), &25u128.to_le_bytes()].concat());
        let unknown = encode_input(Some(&abi), "balance_of", &args(&[&to])).unwrap_err().to_string();
        assert!(unknown.starts_with("the contract has no method `balance_of`; its methods: init, mint"), "{unknown}");
        assert!(unknown.contains("balance, allowance"), "{unknown}");
        let bad = encode_input(Some(&abi), "transfer", &args(&[&to, "2.5"])).unwrap_err().to_string();
        assert_eq!(bad, "argument `amount` (u128): `2.5` is not an integer");
        let (_, raw) = encode_input(Some(&abi), "transfer", &args(&[&format!("address:{to}"), "u128:25"])).unwrap();
        assert_eq!(raw, positional);
        let (unlisted, raw) = encode_input(Some(&abi), "legacy", &args(&["u64:1"])).unwrap();
        assert!(unlisted.is_none());
        assert_eq!(raw, 1u64.to_le_bytes());
        let extra = encode_input(Some(&abi), "balance", &args(&[&to, "1"])).unwrap_err().to_string();
        assert_eq!(extra, "balance(owner: Address) -> u128 (view) takes 1 arguments, 2 given");
    }

    #[test]
    fn results_and_events_decode_by_name() {
        let abi = token_abi();
        let balance = abi.method("balance").unwrap();
        assert_eq!(decode_result(Some(&abi), Some(balance), &7u128.to_le_bytes()), Some(Ok(json!("7"))));
        let transfer = abi.method("transfer").unwrap();
        assert_eq!(decode_result(Some(&abi), Some(transfer), &[]), None);
        let data = [[1u8; 20].as_slice(), &[2u8; 20], &9u128.to_le_bytes()].concat();
        let event = Event { contract: Address([5; 20]), topic: b"Transfer".to_vec(), data };
        let decoded = decode_event(&abi, &event).unwrap();
        let (from, to) = (Address([1; 20]), Address([2; 20]));
        assert_eq!(decoded.text, format!("Transfer {{ from: {from}, to: {to}, amount: 9 }}"));
        assert_eq!(decoded.json["fields"]["amount"], json!("9"));
    }
}
