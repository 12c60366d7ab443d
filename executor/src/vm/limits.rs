//! The VM's limits and cost table. Both are part of the VM version: changing any number changes every
//! claim's `vm_version`, so executors and pillars never silently disagree.

use zr_common::Hash;
use zr_common::hash::sha3_256_concat;

/// The wasmer release the VM runs; part of the VM version.
pub const WASMER_VERSION: &str = "wasmer 7.4.2 singlepass";

/// Contract code, at most.
pub const MAX_CODE_LEN: usize = zr_common::rollup::limits::MAX_CODE_LEN;
/// Linear memory, in 64 KiB pages (4 MiB), whatever the module declares.
pub const MAX_MEMORY_PAGES: u32 = 64;
/// Table elements.
pub const MAX_TABLE_ELEMENTS: u64 = 4096;
/// Functions defined by a module.
pub const MAX_FUNCTIONS: u32 = 10_000;
/// Parameters plus locals of one function (bounds a frame's native stack use).
pub const MAX_LOCALS: u32 = 256;
/// Globals of a module.
pub const MAX_GLOBALS: u32 = 256;
/// Imported functions.
pub const MAX_IMPORTS: u32 = 64;
/// Exports.
pub const MAX_EXPORTS: u32 = 256;
/// Values on one function's operand stack.
pub const MAX_OPERAND_STACK: u32 = 1024;
/// The native stack wasm runs on: MAX_WASM_CALL_DEPTH frames of (MAX_LOCALS + MAX_OPERAND_STACK) values stay
/// far below it, for each nesting level of cross-contract calls.
pub const WASM_STACK_BYTES: usize = 8 * 1024 * 1024;
/// Wasm call frames within one contract call, enforced by instrumentation (not the native stack).
pub const MAX_WASM_CALL_DEPTH: u32 = 128;
/// Nested cross-contract calls.
pub const MAX_CONTRACT_CALL_DEPTH: u32 = 8;
/// A storage key.
pub const MAX_STORAGE_KEY: usize = 128;
/// A storage value.
pub const MAX_STORAGE_VALUE: usize = 16 * 1024;
/// Return data, call input, event topic + data.
pub const MAX_DATA: usize = 16 * 1024;
/// Events per transaction.
pub const MAX_EVENTS: usize = 256;

/// Gas costs, one unit scale for wasm operators, host calls and transaction work.
pub mod gas {
    /// Every transaction.
    pub const TX_BASE: u64 = 10_000;
    /// Per byte of the transaction's encoding.
    pub const TX_PER_BYTE: u64 = 10;
    /// A transfer or withdrawal on top of the base.
    pub const TRANSFER: u64 = 5_000;
    /// Storing one byte of uploaded code.
    pub const UPLOAD_PER_BYTE: u64 = 20;
    /// Validating and compiling one byte of code when its upload completes.
    pub const COMPILE_PER_BYTE: u64 = 40;
    /// Instantiating a contract (deploy or call).
    pub const INSTANTIATE: u64 = 5_000;
    /// Any host call.
    pub const HOST_CALL: u64 = 50;
    /// Per byte copied between the host and the contract.
    pub const HOST_PER_BYTE: u64 = 1;
    /// Reading a storage key.
    pub const STORAGE_READ: u64 = 500;
    /// Writing a storage key.
    pub const STORAGE_WRITE: u64 = 2_000;
    /// Per byte written to storage.
    pub const STORAGE_WRITE_PER_BYTE: u64 = 20;
    /// Removing a storage key.
    pub const STORAGE_REMOVE: u64 = 1_000;
    /// Reading an account balance.
    pub const BALANCE: u64 = 300;
    /// A transfer from a contract.
    pub const CONTRACT_TRANSFER: u64 = 2_000;
    /// Emitting an event.
    pub const EVENT: u64 = 500;
    /// Per byte hashed.
    pub const SHA3_PER_BYTE: u64 = 2;
    /// An ed25519 verification.
    pub const ED25519_VERIFY: u64 = 20_000;
    /// A cross-contract call.
    pub const CALL: u64 = 5_000;
    /// Per write pending in the transaction, copied by a cross-contract call's checkpoint.
    pub const CALL_PER_PENDING_WRITE: u64 = 20;
}

/// The gas of one wasm operator: 1 for plain ones, more for branches, calls, memory and division.
pub fn operator_cost(op: &wasmer::wasmparser::Operator<'_>) -> u64 {
    use wasmer::wasmparser::Operator as O;
    match op {
        O::Call { .. } => 20,
        O::CallIndirect { .. } => 30,
        O::BrTable { targets } => 5 + u64::from(targets.len()),
        O::Br { .. } | O::BrIf { .. } | O::If { .. } | O::Loop { .. } | O::Return => 2,
        O::MemoryGrow { .. } => 5_000,
        O::I32Load { .. }
        | O::I64Load { .. }
        | O::I32Load8S { .. }
        | O::I32Load8U { .. }
        | O::I32Load16S { .. }
        | O::I32Load16U { .. }
        | O::I64Load8S { .. }
        | O::I64Load8U { .. }
        | O::I64Load16S { .. }
        | O::I64Load16U { .. }
        | O::I64Load32S { .. }
        | O::I64Load32U { .. }
        | O::I32Store { .. }
        | O::I64Store { .. }
        | O::I32Store8 { .. }
        | O::I32Store16 { .. }
        | O::I64Store8 { .. }
        | O::I64Store16 { .. }
        | O::I64Store32 { .. } => 2,
        O::I32DivS | O::I32DivU | O::I32RemS | O::I32RemU | O::I64DivS | O::I64DivU | O::I64RemS | O::I64RemU => 4,
        O::I32Mul | O::I64Mul => 2,
        _ => 1,
    }
}

/// A hash of everything that determines execution: the wasmer release, the limits and the cost table.
pub fn vm_version() -> Hash {
    let description = format!(
        "{WASMER_VERSION}|pages={MAX_MEMORY_PAGES}|table={MAX_TABLE_ELEMENTS}|functions={MAX_FUNCTIONS}|locals={MAX_LOCALS}|operands={MAX_OPERAND_STACK}\
         |globals={MAX_GLOBALS}|imports={MAX_IMPORTS}|exports={MAX_EXPORTS}|depth={MAX_WASM_CALL_DEPTH}|calls={MAX_CONTRACT_CALL_DEPTH}\
         |key={MAX_STORAGE_KEY}|value={MAX_STORAGE_VALUE}|data={MAX_DATA}|events={MAX_EVENTS}\
         |gas={},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}|ops=call20,indirect30,brtable5+n,branch2,grow5000,mem2,div4,mul2,else1",
        gas::TX_BASE,
        gas::TX_PER_BYTE,
        gas::TRANSFER,
        gas::UPLOAD_PER_BYTE,
        gas::COMPILE_PER_BYTE,
        gas::INSTANTIATE,
        gas::HOST_CALL,
        gas::HOST_PER_BYTE,
        gas::STORAGE_READ,
        gas::STORAGE_WRITE,
        gas::STORAGE_WRITE_PER_BYTE,
        gas::STORAGE_REMOVE,
        gas::BALANCE,
        gas::CONTRACT_TRANSFER,
        gas::EVENT,
        gas::SHA3_PER_BYTE,
        gas::ED25519_VERIFY,
        gas::CALL,
        gas::CALL_PER_PENDING_WRITE,
    );
    sha3_256_concat([b"zrollup/vm/v1|".as_slice(), description.as_bytes()])
}

#[cfg(test)]
mod tests {
    /// The VM version goes into every claim: a change to the cost table or limits must be deliberate.
    #[test]
    fn vm_version_is_pinned() {
        assert_eq!(super::vm_version().to_hex(), "90b27cb056eef1340c8aa280fc06336d0fa3085c94e7a2f06be11c950bab49cb");
    }
}
