//! A small in-process rollup state for tests: fund accounts, sign and execute transactions.

use std::sync::Arc;

pub use zr_common::keys::fixtures::key;
use zr_common::rollup::{Receipt, ReceiptStatus, TxBody, TxKind, limits};
use zr_common::{Address, Hash, KeyPair, TokenStandard, sha3_256};
use zr_protocol::{Account, BlockInfo, StateKey, Tree, TxContext, World, apply_transaction};
use zr_vm::Vm;

pub const CHAIN: u64 = 7;
pub const GAS: u64 = 50_000_000;

pub fn contract_wasm(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/../contracts/wasm/{name}.wasm", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

pub struct Harness {
    pub vm: Arc<Vm>,
    /// Gas used by the momentum so far (the budget's input).
    pub gas_used: u64,
    pub tree: Tree,
    pub block: BlockInfo,
    pub poster: Address,
    nonces: std::collections::BTreeMap<Address, u64>,
}

impl Harness {
    pub fn new() -> Harness {
        Self::with_vm(Vm::new(None, 64).unwrap())
    }

    pub fn with_vm(vm: Arc<Vm>) -> Harness {
        let mut world = World::new(Tree::default());
        for n in 1..=4 {
            world.put_account(&key(n).address(), &Account { nonce: 0, znn: 1_000_000_000_000, qsr: 1_000_000 });
        }
        Harness {
            vm,
            gas_used: 0,
            tree: world.into_tree().unwrap(),
            block: BlockInfo { height: 10, timestamp: 1_700_000_000 },
            poster: key(9).address(),
            nonces: Default::default(),
        }
    }

    pub fn account(&self, address: &Address) -> Account {
        World::new(self.tree.clone()).account(address).unwrap()
    }

    pub fn storage(&self, contract: &Address, key: &[u8]) -> Option<Vec<u8>> {
        let hash = StateKey::Storage { contract: *contract, key: key.to_vec() }.hash();
        self.tree.get(&hash).unwrap().map(|v| v.to_vec())
    }

    /// Signs and executes `kind` from `sender` with the next nonce.
    pub fn exec(&mut self, sender: &KeyPair, kind: TxKind) -> Receipt {
        self.exec_with(sender, kind, GAS, 1)
    }

    pub fn exec_with(&mut self, sender: &KeyPair, kind: TxKind, gas_limit: u64, fee_per_gas: u64) -> Receipt {
        let nonce = self.nonces.entry(sender.address()).or_default();
        let tx = TxBody { chain_id: CHAIN, sender: sender.public(), nonce: *nonce, gas_limit, fee_per_gas, kind }
            .sign(sender);
        *nonce += 1;
        tx.verify(CHAIN).unwrap();
        let ctx = TxContext { block: self.block, poster: self.poster };
        let applied =
            apply_transaction(self.vm.as_ref(), self.tree.clone(), &tx, tx.hash(), &ctx, zr_protocol::Used::default())
                .unwrap();
        let receipt = applied.receipt.unwrap();
        assert_eq!(receipt.post_state_root, applied.tree.root());
        assert_eq!(applied.leaf.post_state_root, receipt.post_state_root);
        self.tree = applied.tree;
        self.gas_used += receipt.gas_used;
        receipt
    }

    /// A harness with key 1's token contract deployed and `minted` tokens minted to key 1: the harness, key 1
    /// and the token.
    pub fn with_token(minted: u128) -> (Harness, KeyPair, Address) {
        let mut h = Harness::new();
        let owner = key(1);
        let token = h.deploy(&owner, &contract_wasm("token"), vec![], 0);
        let receipt = h.call(&owner, token, "mint", args(&[&owner.address().0, &minted.to_le_bytes()]));
        assert_eq!(receipt.status, ReceiptStatus::Success, "{receipt:?}");
        (h, owner, token)
    }

    /// Uploads `code` in chunks and deploys it; returns the contract address.
    pub fn deploy(&mut self, sender: &KeyPair, code: &[u8], input: Vec<u8>, value: u128) -> Address {
        let code_hash = self.upload(sender, code);
        let nonce = *self.nonces.entry(sender.address()).or_default();
        let receipt = self.exec(sender, TxKind::Deploy { code_hash, input, value });
        assert_eq!(receipt.status, ReceiptStatus::Success, "{receipt:?}");
        let address = Address::contract(&sender.address(), nonce);
        assert_eq!(receipt.return_data, address.0);
        address
    }

    pub fn upload(&mut self, sender: &KeyPair, code: &[u8]) -> Hash {
        let code_hash = sha3_256(code);
        if self.tree.contains(&StateKey::Code { code_hash }.hash()).unwrap() {
            return code_hash;
        }
        let chunks: Vec<&[u8]> = code.chunks(limits::MAX_CODE_CHUNK_LEN).collect();
        let count = chunks.len() as u32;
        for (index, chunk) in chunks.into_iter().enumerate() {
            let receipt =
                self.exec(sender, TxKind::UploadChunk { code_hash, index: index as u32, count, bytes: chunk.to_vec() });
            assert_eq!(receipt.status, ReceiptStatus::Success, "{receipt:?}");
        }
        code_hash
    }

    pub fn call(&mut self, sender: &KeyPair, contract: Address, method: &str, input: Vec<u8>) -> Receipt {
        self.exec(sender, TxKind::Call { contract, method: method.into(), input, value: 0 })
    }
}

pub fn transfer(to: Address, amount: u128) -> TxKind {
    TxKind::Transfer { to, token: TokenStandard::ZNN, amount }
}

pub fn failed_reason(receipt: &Receipt) -> &str {
    match &receipt.status {
        ReceiptStatus::Failed { reason } => reason,
        other => panic!("expected a failure, got {other:?}"),
    }
}

pub fn args(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}
