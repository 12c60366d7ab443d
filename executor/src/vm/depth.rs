//! A deterministic call-depth bound: every function entry increments a module global and traps past the
//! limit; every exit decrements it. The native stack never decides how deep a contract may recurse.

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
    globals: Mutex<Option<(GlobalIndex, GlobalIndex)>>,
}

impl DepthLimit {
    /// Limits wasm call frames to `limit`.
    pub fn new(limit: u32) -> Self {
        DepthLimit { limit, globals: Mutex::new(None) }
    }
}

impl ModuleMiddleware for DepthLimit {
    fn generate_function_middleware<'a>(&self, _: LocalFunctionIndex) -> Box<dyn FunctionMiddleware<'a> + 'a> {
        let (depth, exceeded) =
            self.globals.lock().unwrap_or_else(|p| p.into_inner()).expect("module info transformed first");
        Box::new(FunctionDepth { limit: self.limit, depth, exceeded, started: false, blocks: 0 })
    }

    fn transform_module_info(&self, info: &mut ModuleInfo) -> Result<(), MiddlewareError> {
        let depth = info.globals.push(GlobalType::new(Type::I32, Mutability::Var));
        info.global_initializers.push(GlobalInit::I32Const(0));
        let exceeded = info.globals.push(GlobalType::new(Type::I32, Mutability::Var));
        info.global_initializers.push(GlobalInit::I32Const(0));
        info.exports.insert(DEPTH_EXCEEDED_EXPORT.to_owned(), ExportIndex::Global(exceeded));
        *self.globals.lock().unwrap_or_else(|p| p.into_inner()) = Some((depth, exceeded));
        Ok(())
    }
}

#[derive(Debug)]
struct FunctionDepth {
    limit: u32,
    depth: GlobalIndex,
    exceeded: GlobalIndex,
    started: bool,
    /// Open blocks inside the function body; the `End` at zero closes the function.
    blocks: u32,
}

impl FunctionDepth {
    fn decrement(&self, state: &mut MiddlewareReaderState<'_>) {
        let depth = self.depth.as_u32();
        state.extend(&[
            Operator::GlobalGet { global_index: depth },
            Operator::I32Const { value: 1 },
            Operator::I32Sub,
            Operator::GlobalSet { global_index: depth },
        ]);
    }
}

impl<'a> FunctionMiddleware<'a> for FunctionDepth {
    fn feed(&mut self, operator: Operator<'a>, state: &mut MiddlewareReaderState<'a>) -> Result<(), MiddlewareError> {
        if !self.started {
            self.started = true;
            let depth = self.depth.as_u32();
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
        match operator {
            Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => self.blocks += 1,
            Operator::End if self.blocks == 0 => self.decrement(state),
            Operator::End => self.blocks -= 1,
            Operator::Return => self.decrement(state),
            _ => {}
        }
        state.push_operator(operator);
        Ok(())
    }
}
