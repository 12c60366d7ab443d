//! The VM's limits and operator costs, read from the protocol's tables (`zr_protocol::gas`), which the VM
//! version is derived from: changing any number there changes every claim's `vm_version`. The limits on a
//! module's shape are read from `LIMITS` where the deploy checks apply them (`validate`).

use zr_protocol::gas::{LIMITS, OPERATOR_COSTS};

/// Contract code, at most.
pub const MAX_CODE_LEN: usize = zr_common::rollup::limits::MAX_CODE_LEN;
/// Linear memory, in 64 KiB pages, whatever the module declares.
pub const MAX_MEMORY_PAGES: u32 = LIMITS.max_memory_pages;
/// The native stack wasm runs on: MAX_WASM_CALL_DEPTH frames of (`max_locals` + `max_operand_stack`) values stay
/// far below it, for each nesting level of cross-contract calls. Not part of the protocol: no contract can
/// reach it.
pub const WASM_STACK_BYTES: usize = 8 * 1024 * 1024;
/// Wasm call frames within one contract call, enforced by instrumentation (not the native stack).
pub const MAX_WASM_CALL_DEPTH: u32 = LIMITS.max_wasm_call_depth;
/// Nested cross-contract calls.
pub const MAX_CONTRACT_CALL_DEPTH: u32 = LIMITS.max_contract_call_depth;
/// A storage key.
pub const MAX_STORAGE_KEY: usize = LIMITS.max_storage_key as usize;
/// A storage value.
pub const MAX_STORAGE_VALUE: usize = LIMITS.max_storage_value as usize;
/// Return data, call input, event topic + data.
pub const MAX_DATA: usize = LIMITS.max_data as usize;
/// Events per transaction.
pub const MAX_EVENTS: usize = LIMITS.max_events as usize;
/// Bytes of event topics and data per transaction.
pub const MAX_EVENT_BYTES: usize = LIMITS.max_event_bytes as usize;

/// The gas of one wasm operator, from [`OPERATOR_COSTS`].
pub fn operator_cost(op: &wasmer::wasmparser::Operator<'_>) -> u64 {
    use wasmer::wasmparser::Operator as O;
    let c = &OPERATOR_COSTS;
    match op {
        O::Call { .. } => c.call,
        O::CallIndirect { .. } => c.call_indirect,
        O::BrTable { targets } => c.br_table + c.br_table_per_target * u64::from(targets.len()),
        O::Br { .. } | O::BrIf { .. } | O::If { .. } | O::Loop { .. } | O::Return => c.branch,
        O::MemoryGrow { .. } => c.memory_grow,
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
        | O::I64Store32 { .. } => c.memory_access,
        O::I32DivS | O::I32DivU | O::I32RemS | O::I32RemU | O::I64DivS | O::I64DivU | O::I64RemS | O::I64RemU => {
            c.division
        }
        O::I32Mul | O::I64Mul => c.multiplication,
        _ => c.other,
    }
}
