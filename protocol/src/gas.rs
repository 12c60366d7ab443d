//! Gas and every protocol cap, as data: the cost table, the VM's limits and the momentum's bounds are plain
//! structs, the constants everyone uses are read from them, and the VM version that goes into every claim is
//! the hash of their canonical encoding. So no number can change without changing the version.

use zr_common::Hash;
use zr_common::hash::sha3_256_concat;
use zr_common::rollup::Transaction;

/// Gas costs, one unit scale for wasm operators, host calls and transaction work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, bincode::Encode)]
pub struct GasCosts {
    /// Every transaction.
    pub tx_base: u64,
    /// Per byte of the transaction's encoding.
    pub tx_per_byte: u64,
    /// A transfer or withdrawal on top of the base.
    pub transfer: u64,
    /// Storing one byte of uploaded code.
    pub upload_per_byte: u64,
    /// Validating and compiling one byte of code when its upload completes.
    pub compile_per_byte: u64,
    /// Instantiating a contract (deploy or call).
    pub instantiate: u64,
    /// Per KiB of a contract's code (rounded up), at every instantiation: what instantiation copies (data and
    /// element segments) grows with the code, at most about 0.25 ns a byte (`cargo bench --bench vm`,
    /// worst_instantiation).
    pub instantiate_per_kib: u64,
    /// Per byte of a contract's code, the first time a transaction runs that code (loading its module).
    pub load_per_byte: u64,
    /// Per function a contract's code defines, the first time a transaction runs that code: loading a
    /// module from the cache costs about 4 µs a function (`cargo bench --bench vm`, load_from_disk_cache).
    pub load_per_function: u64,
    /// Any host call.
    pub host_call: u64,
    /// Per byte copied between the host and the contract.
    pub host_per_byte: u64,
    /// Reading a storage key.
    pub storage_read: u64,
    /// Writing a storage key.
    pub storage_write: u64,
    /// Per byte written to storage.
    pub storage_write_per_byte: u64,
    /// Removing a storage key.
    pub storage_remove: u64,
    /// Reading an account balance.
    pub balance: u64,
    /// A transfer from a contract.
    pub contract_transfer: u64,
    /// Emitting an event.
    pub event: u64,
    /// Per byte of an event's topic and data.
    pub event_per_byte: u64,
    /// Per byte hashed.
    pub sha3_per_byte: u64,
    /// An ed25519 verification.
    pub ed25519_verify: u64,
    /// A cross-contract call.
    pub call: u64,
    /// Per write pending in the transaction, copied by a cross-contract call's checkpoint.
    pub call_per_pending_write: u64,
}

/// The gas of wasm operators, charged by compile-time metering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, bincode::Encode)]
pub struct OperatorCosts {
    /// `call`.
    pub call: u64,
    /// `call_indirect`.
    pub call_indirect: u64,
    /// `br_table`, plus [`OperatorCosts::br_table_per_target`] per target.
    pub br_table: u64,
    /// Per `br_table` target.
    pub br_table_per_target: u64,
    /// `br`, `br_if`, `if`, `loop`, `return`.
    pub branch: u64,
    /// `memory.grow`.
    pub memory_grow: u64,
    /// Loads and stores.
    pub memory_access: u64,
    /// Integer division and remainder.
    pub division: u64,
    /// Integer multiplication.
    pub multiplication: u64,
    /// Every other operator.
    pub other: u64,
}

/// The VM's static and runtime limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, bincode::Encode)]
pub struct VmLimits {
    /// Linear memory, in 64 KiB pages, whatever the module declares.
    pub max_memory_pages: u32,
    /// Table elements.
    pub max_table_elements: u64,
    /// Functions defined by a module.
    pub max_functions: u32,
    /// Parameters plus locals of one function.
    pub max_locals: u32,
    /// Globals of a module.
    pub max_globals: u32,
    /// Element segments of a module (each costs work at every instantiation, whatever its size).
    pub max_element_segments: u32,
    /// Function indices in all of a module's element segments together (each a table slot written at every
    /// instantiation).
    pub max_element_items: u32,
    /// Data segments of a module.
    pub max_data_segments: u32,
    /// Bytes in all of a module's data segments together (each copied into memory at every instantiation).
    pub max_data_bytes: u32,
    /// Imported functions.
    pub max_imports: u32,
    /// Exports.
    pub max_exports: u32,
    /// Values on one function's operand stack.
    pub max_operand_stack: u32,
    /// Wasm call frames within one contract call.
    pub max_wasm_call_depth: u32,
    /// Nested cross-contract calls.
    pub max_contract_call_depth: u32,
    /// A storage key, bytes.
    pub max_storage_key: u32,
    /// A storage value, bytes.
    pub max_storage_value: u32,
    /// Return data, call input, event topic or data, bytes.
    pub max_data: u32,
    /// Events per transaction.
    pub max_events: u32,
    /// Bytes of event topics and data per transaction, so a receipt stays far below its 256 KiB cap.
    pub max_event_bytes: u32,
    /// State keys one transaction may touch (keys read plus keys written), so its witness is bounded; a
    /// complete 1 024-chunk upload touches about 2 060.
    pub max_keys_per_tx: u32,
    /// Bytes of state values one transaction may read (what its witness carries; code is not read), a
    /// complete 1 MiB upload included.
    pub max_value_bytes_read_per_tx: u64,
}

/// Bounds of one transaction and one momentum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, bincode::Encode)]
pub struct MomentumLimits {
    /// The most gas one transaction may ask for.
    pub max_tx_gas: u64,
    /// Gas one momentum's transactions may use; a transaction whose gas limit no longer fits is dropped.
    pub momentum_gas_budget: u64,
    /// Incomplete uploads are discarded this many momentums after their first chunk.
    pub upload_expiry_momentums: u64,
    /// Work units (four per queue entry plus one per chunk removed: the state keys expiry touches) the
    /// prelude may spend expiring uploads in one momentum; at least one upload always expires when due.
    pub expiry_work_per_momentum: u64,
    /// The least fee per gas a transaction may offer: gas is never free (a relay sponsoring its users pays
    /// their fees by funding them).
    pub min_fee_per_gas: u64,
    /// Bytes of receipts (canonical encodings) one momentum may write; a transaction is dropped when what
    /// is left is less than the largest receipt one can write.
    pub receipt_bytes_per_momentum: u64,
    /// The largest receipt one transaction can write: its events, return data, reason and fields.
    pub max_receipt_bytes_per_tx: u64,
    /// Bytes of state one momentum may write (32 per key plus the value, for each value set); a transaction
    /// is dropped when what is left is less than what its gas limit could write.
    pub state_bytes_per_momentum: u64,
    /// The fewest gas any byte of state written costs (storage and code cost 100; the account writes a
    /// transfer makes, the most for their gas, about 12): a transaction writes at most
    /// `gas_limit / this + 4 KiB`.
    pub min_gas_per_state_byte: u64,
}

/// The cost table.
pub const COSTS: GasCosts = GasCosts {
    tx_base: 10_000,
    tx_per_byte: 10,
    transfer: 5_000,
    upload_per_byte: 100,
    compile_per_byte: 40,
    instantiate: 5_000,
    instantiate_per_kib: 100,
    load_per_byte: 2,
    load_per_function: 1_300,
    host_call: 50,
    host_per_byte: 1,
    storage_read: 500,
    storage_write: 2_000,
    storage_write_per_byte: 100,
    storage_remove: 1_000,
    balance: 300,
    contract_transfer: 2_000,
    event: 500,
    event_per_byte: 4,
    sha3_per_byte: 2,
    ed25519_verify: 20_000,
    call: 5_000,
    call_per_pending_write: 20,
};

/// The operator cost table.
pub const OPERATOR_COSTS: OperatorCosts = OperatorCosts {
    call: 20,
    call_indirect: 30,
    br_table: 5,
    br_table_per_target: 1,
    branch: 2,
    memory_grow: 5_000,
    memory_access: 2,
    division: 4,
    multiplication: 2,
    other: 1,
};

/// The VM's limits.
pub const LIMITS: VmLimits = VmLimits {
    max_memory_pages: 64,
    max_table_elements: 4096,
    max_functions: 10_000,
    max_locals: 256,
    max_globals: 256,
    max_element_segments: 64,
    max_element_items: 4096,
    max_data_segments: 64,
    max_data_bytes: 256 * 1024,
    max_imports: 64,
    max_exports: 256,
    max_operand_stack: 1024,
    max_wasm_call_depth: 128,
    max_contract_call_depth: 8,
    max_storage_key: 128,
    max_storage_value: 16 * 1024,
    max_data: 16 * 1024,
    max_events: 256,
    max_event_bytes: 64 * 1024,
    max_keys_per_tx: 2_560,
    max_value_bytes_read_per_tx: 1_280 * 1024,
};

/// The momentum's bounds.
pub const MOMENTUM: MomentumLimits = MomentumLimits {
    max_tx_gas: 100_000_000,
    momentum_gas_budget: 5_000_000_000,
    upload_expiry_momentums: 360,
    expiry_work_per_momentum: 1_024,
    min_fee_per_gas: 1,
    receipt_bytes_per_momentum: 32 * 1024 * 1024,
    max_receipt_bytes_per_tx: 96 * 1024,
    state_bytes_per_momentum: 64 * 1024 * 1024,
    min_gas_per_state_byte: 10,
};

/// The most state bytes a transaction with `gas_limit` can write (see
/// [`MomentumLimits::min_gas_per_state_byte`]).
pub fn max_state_bytes(gas_limit: u64) -> u64 {
    gas_limit / MOMENTUM.min_gas_per_state_byte + 4096
}

/// The VM release executors run; part of the VM version.
pub const VM_RELEASE: &str = "wasmer 7.4.2 singlepass";

/// The most gas one transaction may ask for.
pub const MAX_TX_GAS: u64 = MOMENTUM.max_tx_gas;
/// Gas one momentum may use.
pub const MOMENTUM_GAS_BUDGET: u64 = MOMENTUM.momentum_gas_budget;
/// The gas instantiating a contract of `code_len` bytes costs, at every call.
pub fn instantiation_gas(code_len: u64) -> u64 {
    COSTS.instantiate + COSTS.instantiate_per_kib * code_len.div_ceil(1024)
}

/// Momentums after which an incomplete upload expires.
pub const UPLOAD_EXPIRY_MOMENTUMS: u64 = MOMENTUM.upload_expiry_momentums;

/// The gas a transaction costs before it does anything: a base and its encoded size.
pub fn intrinsic_gas(tx: &Transaction) -> u64 {
    intrinsic_gas_of_len(zr_common::codec::encoded_len(tx))
}

/// [`intrinsic_gas`] of a transaction whose canonical encoding is `len` bytes.
pub fn intrinsic_gas_of_len(len: usize) -> u64 {
    COSTS.tx_base + COSTS.tx_per_byte * len as u64
}

/// The VM version of a cost table, operator table, limits and bounds: SHA3 over a tag, the VM release and
/// their canonical encodings. The tag's number moves when a rule that is code rather than data changes
/// (what validation admits, how the transition runs): v3 refused segments that would not instantiate; v4 reads
/// no code key on a call (the contract record proves the code hash); v5 orders at most 16 383 transactions a
/// momentum and takes no deposit from a data-availability challenge's amount; v6 takes none from a challenge
/// part's; v7 bounds element and data segments (new fields of [`VmLimits`]) and prices instantiation by code size;
/// v8 takes a zstd bundle only as exactly one frame; v9 refuses code whose `zr_abi` section (the contract's ABI)
/// is malformed or names a method the code does not export, and its `ed25519_verify` is strict (small-order keys
/// and non-canonical signatures never verify).
pub fn vm_version_of(
    costs: &GasCosts,
    operators: &OperatorCosts,
    limits: &VmLimits,
    momentum: &MomentumLimits,
) -> Hash {
    use zr_common::codec::encode;
    sha3_256_concat([
        b"zrollup/vm/v9|".as_slice(),
        VM_RELEASE.as_bytes(),
        &encode(costs),
        &encode(operators),
        &encode(limits),
        &encode(momentum),
    ])
}

/// The VM version of this build, which goes into every claim.
pub fn vm_version() -> Hash {
    vm_version_of(&COSTS, &OPERATOR_COSTS, &LIMITS, &MOMENTUM)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The VM version goes into every claim: a change to the cost table or limits must be deliberate.
    #[test]
    fn vm_version_is_pinned() {
        assert_eq!(vm_version().to_hex(), "01a4dd1f66a36948bce0ca4cee4ad98ce0cf68a37c31b041b88be9b89aad199f");
    }

    /// Every field of every table is in the version: each table encodes to one fixed-width integer per
    /// field (so no field is skipped), and changing any one changes the version.
    #[test]
    fn every_number_changes_the_version() {
        use zr_common::codec::encode;
        assert_eq!(encode(&COSTS).len(), 23 * 8);
        assert_eq!(encode(&OPERATOR_COSTS).len(), 10 * 8);
        assert_eq!(encode(&LIMITS).len(), 19 * 4 + 2 * 8);
        assert_eq!(encode(&MOMENTUM).len(), 9 * 8);
        let base = vm_version();
        let mut costs = COSTS;
        costs.storage_write += 1;
        assert_ne!(vm_version_of(&costs, &OPERATOR_COSTS, &LIMITS, &MOMENTUM), base);
        let mut operators = OPERATOR_COSTS;
        operators.branch += 1;
        assert_ne!(vm_version_of(&COSTS, &operators, &LIMITS, &MOMENTUM), base);
        let mut limits = LIMITS;
        limits.max_events -= 1;
        assert_ne!(vm_version_of(&COSTS, &OPERATOR_COSTS, &limits, &MOMENTUM), base);
        let mut momentum = MOMENTUM;
        momentum.momentum_gas_budget -= 1;
        assert_ne!(vm_version_of(&COSTS, &OPERATOR_COSTS, &LIMITS, &momentum), base);
    }
}
