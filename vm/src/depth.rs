//! A deterministic call-depth bound: every function entry increments a module global and traps past the
//! limit; the caller decrements it when a call to a module function returns (whatever way the callee left:
//! `return`, the final `end`, or a branch to its outermost label). The native stack never decides how deep a
//! contract may recurse. Tables may not hold host functions (checked at deploy), so every `call_indirect`
//! lands in a module function.

use std::sync::Mutex;

use wasmer::sys::{FunctionMiddleware, MiddlewareError, MiddlewareReaderState, ModuleMiddleware};
use wasmer::wasmparser::{BlockType, Operator};
use wasmer::{ExportIndex, GlobalInit, GlobalType, LocalFunctionIndex, Mutability, Type};
use wasmer_types::{GlobalIndex, ModuleInfo};

/// The export naming the flag set when the depth limit trapped.
pub const DEPTH_EXCEEDED_EXPORT: &str = "zr_depth_exceeded";

/// The module middleware; one instance per compiled module.
#[derive(Debug)]
pub struct DepthLimit {
    limit: u32,
    /// The depth global, the exceeded flag, and the number of imported functions.
    globals: Mutex<Option<(GlobalIndex, GlobalIndex, u32)>>,
}

impl DepthLimit {
    /// Limits wasm call frames to `limit`.
    pub fn new(limit: u32) -> Self {
        DepthLimit { limit, globals: Mutex::new(None) }
    }
}

impl ModuleMiddleware for DepthLimit {
    fn generate_function_middleware<'a>(&self, _: LocalFunctionIndex) -> Box<dyn FunctionMiddleware<'a> + 'a> {
        let (depth, exceeded, imported) =
            self.globals.lock().unwrap_or_else(|p| p.into_inner()).expect("module info transformed first");
        Box::new(FunctionDepth { limit: self.limit, depth, exceeded, imported, started: false })
    }

    fn transform_module_info(&self, info: &mut ModuleInfo) -> Result<(), MiddlewareError> {
        let depth = info.globals.push(GlobalType::new(Type::I32, Mutability::Var));
        info.global_initializers.push(GlobalInit::I32Const(0));
        let exceeded = info.globals.push(GlobalType::new(Type::I32, Mutability::Var));
        info.global_initializers.push(GlobalInit::I32Const(0));
        info.exports.insert(DEPTH_EXCEEDED_EXPORT.to_owned(), ExportIndex::Global(exceeded));
        let imported = u32::try_from(info.num_imported_functions).unwrap_or(u32::MAX);
        *self.globals.lock().unwrap_or_else(|p| p.into_inner()) = Some((depth, exceeded, imported));
        Ok(())
    }
}

#[derive(Debug)]
struct FunctionDepth {
    limit: u32,
    depth: GlobalIndex,
    exceeded: GlobalIndex,
    /// Functions below this index are host imports: calling them does not enter wasm.
    imported: u32,
    started: bool,
}

impl<'a> FunctionMiddleware<'a> for FunctionDepth {
    fn feed(&mut self, operator: Operator<'a>, state: &mut MiddlewareReaderState<'a>) -> Result<(), MiddlewareError> {
        let depth = self.depth.as_u32();
        if !self.started {
            self.started = true;
            state.extend(&[
                Operator::GlobalGet { global_index: depth },
                Operator::I32Const { value: 1 },
                Operator::I32Add,
                Operator::GlobalSet { global_index: depth },
                Operator::GlobalGet { global_index: depth },
                Operator::I32Const { value: self.limit as i32 },
                Operator::I32GtU,
                Operator::If { blockty: BlockType::Empty },
                Operator::I32Const { value: 1 },
                Operator::GlobalSet { global_index: self.exceeded.as_u32() },
                Operator::Unreachable,
                Operator::End,
            ]);
        }
        let returns_from_module_function = match operator {
            Operator::Call { function_index } => function_index >= self.imported,
            Operator::CallIndirect { .. } => true,
            _ => false,
        };
        state.push_operator(operator);
        if returns_from_module_function {
            state.extend(&[
                Operator::GlobalGet { global_index: depth },
                Operator::I32Const { value: 1 },
                Operator::I32Sub,
                Operator::GlobalSet { global_index: depth },
            ]);
        }
        Ok(())
    }
}
