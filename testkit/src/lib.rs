//! The contract test kit: deploy and call contracts in a plain `cargo test`, no daemons. An [`App`] runs the
//! real wasm VM and the real state transition (`zr_protocol::apply_transaction`, the function every executor
//! and judge runs) over an in-memory state tree; the test controls the accounts and their balances, the
//! momentum's height and time, and reads receipts, events (decoded by the contract's ABI), gas used and return
//! values. Calls go by ABI with JSON arguments (`json!([to, "300"])` or `json!({"to": to, "amount": "300"})`)
//! or with raw input bytes.
//!
//! ```ignore
//! let mut app = App::new();
//! let alice = app.account(1_000 * ZNN);
//! let token = app.deploy_file(&alice, "contracts/wasm/token.wasm", json!([]))?;
//! app.call(&alice, &token, "mint", json!([alice.address(), "1000"]))?;
//! assert_eq!(app.query(&token, "balance", json!([alice.address()]))?, json!("1000"));
//! ```

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde_json::Value;
use zr_common::abi::{Abi, AbiError};
use zr_common::rollup::{Receipt, ReceiptStatus, TxBody, TxKind, limits};
pub use zr_common::{Address, Hash, KeyPair};
use zr_common::{TokenStandard, sha3_256};
use zr_protocol::{Account, BlockInfo, CallError, Entry, Frame, StateKey, Tree, TxContext, World, apply_transaction};
use zr_vm::Vm;

/// One ZNN (or QSR) in its smallest unit.
pub const ZNN: u128 = 100_000_000;
/// The chain id transactions are signed for.
pub const CHAIN_ID: u64 = 7;
/// The gas limit of each transaction unless [`App::set_gas_limit`] changes it.
pub const DEFAULT_GAS_LIMIT: u64 = 50_000_000;

/// Why a step failed: the transaction's receipt says it failed or was dropped, the call's arguments do not
/// fit the ABI, or the contract has no ABI to call by.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    /// The contract failed (aborted, trapped, ran out of gas): its writes are undone.
    #[error("the call failed: {reason} (gas {gas_used})")]
    Failed {
        /// The receipt's reason, e.g. the contract's abort message.
        reason: String,
        /// Gas charged.
        gas_used: u64,
    },
    /// The transaction was dropped before executing (nonce, gas budget).
    #[error("the transaction was dropped: {0}")]
    Dropped(String),
    /// The arguments or return data do not fit the ABI, or there is none.
    #[error("ABI: {0}")]
    Abi(#[from] AbiError),
    /// The code was refused at upload.
    #[error("upload refused: {0}")]
    Upload(String),
}

impl Failure {
    /// The failure's reason (the contract's abort message for [`Failure::Failed`]).
    pub fn reason(&self) -> String {
        match self {
            Failure::Failed { reason, .. } => reason.clone(),
            other => other.to_string(),
        }
    }
}

/// A funded account the test signs with.
#[derive(Clone)]
pub struct Wallet {
    key: KeyPair,
}

impl Wallet {
    /// Its address.
    pub fn address(&self) -> Address {
        self.key.address()
    }

    /// Its key.
    pub fn key(&self) -> &KeyPair {
        &self.key
    }
}

/// A deployed contract.
#[derive(Debug, Clone)]
pub struct Contract {
    /// Its address.
    pub address: Address,
    /// Its ABI, if the code carries one.
    pub abi: Option<Abi>,
}

/// An event a call emitted, with its fields decoded when the contract's ABI declares it.
#[derive(Debug, Clone, PartialEq)]
pub struct EmittedEvent {
    /// The emitting contract.
    pub contract: Address,
    /// The topic (an ABI event's name).
    pub topic: String,
    /// The raw data.
    pub data: Vec<u8>,
    /// The fields by name, when the ABI declares the event.
    pub fields: Option<Value>,
}

/// A successful transaction.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The receipt, as an executor would write it.
    pub receipt: Receipt,
    /// The return value decoded by the ABI (`Null` for raw calls or `()`).
    pub value: Value,
    /// Events, in emission order.
    pub events: Vec<EmittedEvent>,
}

impl Outcome {
    /// Gas charged.
    pub fn gas_used(&self) -> u64 {
        self.receipt.gas_used
    }

    /// The fields of the first event called `name`.
    pub fn event(&self, name: &str) -> Option<&Value> {
        self.events.iter().find(|e| e.topic == name).and_then(|e| e.fields.as_ref())
    }
}

/// An in-memory rollup: state, accounts, a momentum under the test's control, and the contracts' ABIs.
pub struct App {
    vm: Arc<Vm>,
    tree: Tree,
    block: BlockInfo,
    poster: Address,
    gas_limit: u64,
    next_seed: u64,
    nonces: BTreeMap<Address, u64>,
    abis: BTreeMap<Address, Abi>,
}

impl Default for App {
    fn default() -> Self {
        App::new()
    }
}

impl App {
    /// An empty state at height 1, time 1 700 000 000.
    pub fn new() -> App {
        let vm = Vm::new(None, 64).expect("this machine runs the VM");
        App {
            vm,
            tree: Tree::default(),
            block: BlockInfo { height: 1, timestamp: 1_700_000_000 },
            poster: Address::from_public_key(b"zr-testkit poster"),
            gas_limit: DEFAULT_GAS_LIMIT,
            next_seed: 1,
            nonces: BTreeMap::new(),
            abis: BTreeMap::new(),
        }
    }

    /// A new account holding `znn` ZNN and as much QSR (smallest units).
    pub fn account(&mut self, znn: u128) -> Wallet {
        let mut seed = [0u8; 32];
        seed[..8].copy_from_slice(&self.next_seed.to_le_bytes());
        seed[8..].copy_from_slice(b"zr-testkit wallet seed  ");
        self.next_seed += 1;
        let key = KeyPair::from_seed(&seed);
        self.set_balance(&key.address(), znn, znn);
        Wallet { key }
    }

    /// Sets an account's ZNN and QSR (keeping its nonce).
    pub fn set_balance(&mut self, address: &Address, znn: u128, qsr: u128) {
        let mut world = World::new(self.tree.clone());
        let nonce = world.account(address).expect("in-memory state").nonce;
        world.put_account(address, &Account { nonce, znn, qsr });
        self.tree = world.into_tree().expect("in-memory state");
    }

    /// An account's ZNN.
    pub fn balance(&self, address: &Address) -> u128 {
        self.account_state(address).znn
    }

    /// An account's QSR.
    pub fn qsr(&self, address: &Address) -> u128 {
        self.account_state(address).qsr
    }

    fn account_state(&self, address: &Address) -> Account {
        World::new(self.tree.clone()).account(address).expect("in-memory state")
    }

    /// The momentum transactions execute in.
    pub fn block(&self) -> BlockInfo {
        self.block
    }

    /// Moves to the momentum at `height` with `timestamp`.
    pub fn set_block(&mut self, height: u64, timestamp: u64) {
        self.block = BlockInfo { height, timestamp };
    }

    /// Advances `momentums` momentums of `seconds_each`.
    pub fn advance(&mut self, momentums: u64, seconds_each: u64) {
        self.block.height += momentums;
        self.block.timestamp += momentums * seconds_each;
    }

    /// The gas limit of the next transactions.
    pub fn set_gas_limit(&mut self, gas_limit: u64) {
        self.gas_limit = gas_limit;
    }

    /// The state root: equal states give equal roots.
    pub fn state_root(&self) -> Hash {
        self.tree.root()
    }

    /// A contract's raw storage value.
    pub fn storage(&self, contract: &Address, key: &[u8]) -> Option<Vec<u8>> {
        let hash = StateKey::Storage { contract: *contract, key: key.to_vec() }.hash();
        self.tree.get(&hash).expect("in-memory state").map(|value| value.to_vec())
    }

    /// Signs and executes any transaction from `from` with its next nonce; the receipt, whatever it says.
    pub fn execute(&mut self, from: &Wallet, kind: TxKind) -> Receipt {
        let nonce = self.nonces.entry(from.address()).or_default();
        let body = TxBody {
            chain_id: CHAIN_ID,
            sender: from.key.public(),
            nonce: *nonce,
            gas_limit: self.gas_limit,
            fee_per_gas: 1,
            kind,
        };
        let tx = body.sign(&from.key);
        let ctx = TxContext { block: self.block, poster: self.poster };
        let applied = apply_transaction(self.vm.as_ref(), self.tree.clone(), &tx, tx.hash(), &ctx, Default::default())
            .expect("the state transition runs on an in-memory state");
        let receipt = applied.receipt.expect("a transaction writes a receipt");
        if !matches!(receipt.status, ReceiptStatus::Dropped { .. }) {
            *nonce += 1;
        }
        self.tree = applied.tree;
        receipt
    }

    fn succeeded(receipt: Receipt) -> Result<Receipt, Failure> {
        match &receipt.status {
            ReceiptStatus::Success => Ok(receipt),
            ReceiptStatus::Failed { reason } => {
                Err(Failure::Failed { reason: reason.clone(), gas_used: receipt.gas_used })
            }
            ReceiptStatus::Dropped { reason } => Err(Failure::Dropped(format!("{reason:?}"))),
        }
    }

    /// Uploads `code` in chunks (unless it is on chain already); its hash.
    pub fn upload(&mut self, from: &Wallet, code: &[u8]) -> Result<Hash, Failure> {
        let code_hash = sha3_256(code);
        if self.tree.contains(&StateKey::Code { code_hash }.hash()).expect("in-memory state") {
            return Ok(code_hash);
        }
        let chunks: Vec<&[u8]> = code.chunks(limits::MAX_CODE_CHUNK_LEN).collect();
        let count = chunks.len() as u32;
        for (index, chunk) in chunks.into_iter().enumerate() {
            let kind = TxKind::UploadChunk { code_hash, index: index as u32, count, bytes: chunk.to_vec() };
            Self::succeeded(self.execute(from, kind)).map_err(|failure| Failure::Upload(failure.reason()))?;
        }
        Ok(code_hash)
    }

    /// Uploads and deploys `code`, calling its `init` with `init_args` (by its ABI; `json!([])` for none).
    pub fn deploy(&mut self, from: &Wallet, code: &[u8], init_args: Value) -> Result<Contract, Failure> {
        let abi = Abi::of_code(code)?;
        let input = match (&abi, abi.as_ref().and_then(|abi| abi.method("init").ok())) {
            (Some(abi), Some(init)) => abi.encode_call(init, &arguments(init_args)?)?,
            _ if init_args == Value::Array(vec![]) || init_args.is_null() => vec![],
            _ => return Err(AbiError("the code has no ABI with an `init`: deploy it with raw input".into()).into()),
        };
        self.deploy_parsed(from, code, abi, input, 0)
    }

    /// Reads a `.wasm` file and deploys it as [`App::deploy`] does.
    pub fn deploy_file(
        &mut self,
        from: &Wallet,
        path: impl AsRef<Path>,
        init_args: Value,
    ) -> Result<Contract, Failure> {
        let path = path.as_ref();
        let code = std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        self.deploy(from, &code, init_args)
    }

    /// Uploads and deploys `code` with raw `init` input and `value` ZNN sent along.
    pub fn deploy_raw(&mut self, from: &Wallet, code: &[u8], input: Vec<u8>, value: u128) -> Result<Contract, Failure> {
        let abi = Abi::of_code(code)?;
        self.deploy_parsed(from, code, abi, input, value)
    }

    /// Uploads and deploys `code`, whose ABI (if any) is `abi`.
    fn deploy_parsed(
        &mut self,
        from: &Wallet,
        code: &[u8],
        abi: Option<Abi>,
        input: Vec<u8>,
        value: u128,
    ) -> Result<Contract, Failure> {
        let code_hash = self.upload(from, code)?;
        let nonce = self.nonces.get(&from.address()).copied().unwrap_or_default();
        Self::succeeded(self.execute(from, TxKind::Deploy { code_hash, input, value }))?;
        let address = Address::contract(&from.address(), nonce);
        if let Some(abi) = &abi {
            self.abis.insert(address, abi.clone());
        }
        Ok(Contract { address, abi })
    }

    /// Calls `method` of `contract` in a transaction from `from`, arguments by the contract's ABI.
    pub fn call(&mut self, from: &Wallet, contract: &Contract, method: &str, args: Value) -> Result<Outcome, Failure> {
        self.call_with_value(from, contract, method, args, 0)
    }

    /// As [`App::call`], sending `value` ZNN along.
    pub fn call_with_value(
        &mut self,
        from: &Wallet,
        contract: &Contract,
        method: &str,
        args: Value,
        value: u128,
    ) -> Result<Outcome, Failure> {
        let abi = abi_of(contract)?;
        let method = abi.method(method)?;
        let input = abi.encode_call(method, &arguments(args)?)?;
        let output = method.output_type.clone();
        let name = method.name.clone();
        let receipt = self.call_raw(from, &contract.address, &name, input, value)?;
        let value = abi_of(contract)?.decode(&output, &receipt.return_data)?;
        Ok(Outcome { events: self.events(&receipt), value, receipt })
    }

    /// Calls `method` with raw input bytes; the receipt if the call succeeded.
    pub fn call_raw(
        &mut self,
        from: &Wallet,
        contract: &Address,
        method: &str,
        input: Vec<u8>,
        value: u128,
    ) -> Result<Receipt, Failure> {
        Self::succeeded(self.execute(from, TxKind::Call { contract: *contract, method: method.into(), input, value }))
    }

    /// Transfers ZNN on the rollup.
    pub fn transfer(&mut self, from: &Wallet, to: &Address, amount: u128) -> Result<Receipt, Failure> {
        Self::succeeded(self.execute(from, TxKind::Transfer { to: *to, token: TokenStandard::ZNN, amount }))
    }

    /// Events of a receipt, decoded by the ABIs of the contracts that emitted them.
    pub fn events(&self, receipt: &Receipt) -> Vec<EmittedEvent> {
        receipt
            .events
            .iter()
            .map(|event| EmittedEvent {
                contract: event.contract,
                topic: String::from_utf8_lossy(&event.topic).into_owned(),
                data: event.data.clone(),
                fields: self
                    .abis
                    .get(&event.contract)
                    .and_then(|abi| abi.decode_event(&event.topic, &event.data))
                    .and_then(Result::ok)
                    .map(|decoded| decoded["fields"].clone()),
            })
            .collect()
    }

    /// A read-only call (as `rollup.call` runs it: nothing it writes is kept), by the ABI; the decoded value.
    pub fn query(&self, contract: &Contract, method: &str, args: Value) -> Result<Value, Failure> {
        self.query_with_gas(contract, method, args).map(|(value, _)| value)
    }

    /// As [`App::query`], with the gas the call used.
    pub fn query_with_gas(&self, contract: &Contract, method: &str, args: Value) -> Result<(Value, u64), Failure> {
        let abi = abi_of(contract)?;
        let method = abi.method(method)?;
        let input = abi.encode_call(method, &arguments(args)?)?;
        let (data, gas_used) = self.query_raw(&contract.address, &method.name, input)?;
        Ok((abi.decode(&method.output_type, &data)?, gas_used))
    }

    /// A read-only call with raw input; the return data and the gas used.
    pub fn query_raw(&self, contract: &Address, method: &str, input: Vec<u8>) -> Result<(Vec<u8>, u64), Failure> {
        let frame = Frame { caller: Address::default(), contract: *contract, value: 0, input, depth: 0 };
        let outcome =
            self.vm.invoke(World::new(self.tree.clone()), frame, Entry::Method(method), self.block, DEFAULT_GAS_LIMIT);
        let gas_used = DEFAULT_GAS_LIMIT - outcome.gas_left;
        let reason = match outcome.result {
            Ok(data) => return Ok((data, gas_used)),
            Err(CallError::OutOfGas) => "out of gas".into(),
            Err(CallError::Failed(reason)) => reason,
            Err(CallError::State(e)) => format!("state: {e}"),
            Err(CallError::Fault(fault)) => format!("node fault: {fault}"),
        };
        Err(Failure::Failed { reason, gas_used })
    }
}

fn abi_of(contract: &Contract) -> Result<&Abi, Failure> {
    contract.abi.as_ref().ok_or_else(|| AbiError(format!("contract {} has no ABI", contract.address)).into())
}

/// JSON arguments as the ABI encoder takes them: an array (by position) or an object (by name).
fn arguments(args: Value) -> Result<Vec<(Option<String>, Value)>, AbiError> {
    match args {
        Value::Array(values) => Ok(values.into_iter().map(|v| (None, v)).collect()),
        Value::Object(map) => Ok(map.into_iter().map(|(k, v)| (Some(k), v)).collect()),
        Value::Null => Ok(vec![]),
        other => Err(AbiError(format!("arguments are a JSON array or object, not {other}"))),
    }
}
