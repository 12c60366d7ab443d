//! Deploy-time static checks: a module that passes can be compiled in linear time and run within the VM's
//! limits. Each rejection names the rule.

use wasmer::wasmparser::{
    ElementItems, ExternalKind, FuncType, Parser, Payload, TypeRef, ValidPayload, Validator, WasmFeatures,
};

use zr_protocol::gas::LIMITS;

use super::host::HOST_API;
use super::limits::MAX_CODE_LEN;

/// Why a module was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid contract: {0}")]
pub struct ValidationError(pub String);

fn reject<T>(message: impl Into<String>) -> Result<T, ValidationError> {
    Err(ValidationError(message.into()))
}

/// `count` of `what`, refused above `limit`.
fn at_most(count: u32, limit: u32, what: &str) -> Result<(), ValidationError> {
    if count > limit {
        return reject(format!("{count} {what}, more than {limit}"));
    }
    Ok(())
}

/// The wasm features contracts may use: the MVP without floats, plus sign-extension and mutable globals.
pub fn features() -> WasmFeatures {
    WasmFeatures::GC_TYPES | WasmFeatures::MUTABLE_GLOBAL | WasmFeatures::SIGN_EXTENSION
}

/// Validates the module with wasmparser and bounds every function's operand stack: with the locals bound and
/// the call-depth bound this caps a contract's native stack use, so it can never overflow it.
fn validate_bodies(code: &[u8]) -> Result<(), ValidationError> {
    let wasm = |e: wasmer::wasmparser::BinaryReaderError| {
        ValidationError(format!("wasm rejected (only MVP without floats, sign-extension, mutable globals): {e}"))
    };
    let mut validator = Validator::new_with_features(features());
    for payload in Parser::new(0).parse_all(code) {
        let payload = payload.map_err(wasm)?;
        if let ValidPayload::Func(func, body) = validator.payload(&payload).map_err(wasm)? {
            let mut func = func.into_validator(Default::default());
            let mut locals = body.get_locals_reader().map_err(wasm)?;
            for _ in 0..locals.get_count() {
                let offset = locals.original_position();
                let (count, ty) = locals.read().map_err(wasm)?;
                func.define_locals(offset, count, ty).map_err(wasm)?;
            }
            let mut operators = body.get_operators_reader().map_err(wasm)?;
            while !operators.eof() {
                let (operator, offset) = operators.read_with_offset().map_err(wasm)?;
                func.op(offset, &operator).map_err(wasm)?;
                if func.operand_stack_height() > LIMITS.max_operand_stack {
                    let limit = LIMITS.max_operand_stack;
                    return reject(format!("a function's operand stack exceeds {limit} values"));
                }
            }
            operators.finish().map_err(wasm)?;
        }
    }
    Ok(())
}

/// The value of a segment's offset, which must be a lone `i32.const`.
fn constant_offset(expr: &wasmer::wasmparser::ConstExpr<'_>) -> Result<u64, ValidationError> {
    let mut ops = expr.get_operators_reader();
    match (ops.read(), ops.read(), ops.eof()) {
        (Ok(wasmer::wasmparser::Operator::I32Const { value }), Ok(wasmer::wasmparser::Operator::End), true) => {
            Ok(u64::from(value as u32))
        }
        _ => reject("a segment offset must be a constant i32.const"),
    }
}

/// Checks `code` against every deploy rule; returns how many functions it defines (loading its module costs
/// by them).
pub fn validate(code: &[u8]) -> Result<u32, ValidationError> {
    if code.len() > MAX_CODE_LEN {
        return reject(format!("code is {} bytes, more than {MAX_CODE_LEN}", code.len()));
    }
    validate_bodies(code)?;

    let mut types: Vec<FuncType> = Vec::new();
    let mut function_types: Vec<u32> = Vec::new();
    let mut imported_functions = 0u32;
    let mut memories = 0u32;
    let mut min_pages = 0u64;
    // Initial sizes of the tables, by index: active element segments must fit them.
    let mut tables: Vec<u64> = Vec::new();
    let mut has_memory_export = false;
    let mut exported_functions: Vec<(String, u32)> = Vec::new();
    let mut abi: Option<zr_common::abi::Abi> = None;
    for payload in Parser::new(0).parse_all(code) {
        let payload = payload.map_err(|e| ValidationError(e.to_string()))?;
        match payload {
            Payload::TypeSection(reader) => {
                for group in reader {
                    let group = group.map_err(|e| ValidationError(e.to_string()))?;
                    for ty in group.into_types() {
                        match ty.composite_type.inner {
                            wasmer::wasmparser::CompositeInnerType::Func(f) => types.push(f),
                            _ => return reject("only function types are allowed"),
                        }
                    }
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import.map_err(|e| ValidationError(e.to_string()))?;
                    if import.module != "env" {
                        return reject(format!(
                            "import {}.{}: only module `env` may be imported",
                            import.module, import.name
                        ));
                    }
                    let TypeRef::Func(index) = import.ty else {
                        return reject(format!("import env.{}: only functions may be imported", import.name));
                    };
                    let Some((_, params, results)) = HOST_API.iter().find(|(name, _, _)| *name == import.name) else {
                        return reject(format!("import env.{}: not a host function", import.name));
                    };
                    let ty = &types[index as usize];
                    if ty.params() != *params || ty.results() != *results {
                        return reject(format!("import env.{}: wrong signature", import.name));
                    }
                    imported_functions += 1;
                    if imported_functions > LIMITS.max_imports {
                        return reject(format!("more than {} imports", LIMITS.max_imports));
                    }
                    function_types.push(index);
                }
            }
            Payload::FunctionSection(reader) => {
                at_most(reader.count(), LIMITS.max_functions, "functions")?;
                for ty in reader {
                    function_types.push(ty.map_err(|e| ValidationError(e.to_string()))?);
                }
            }
            Payload::TableSection(reader) => {
                for table in reader {
                    let table = table.map_err(|e| ValidationError(e.to_string()))?;
                    let max = table.ty.maximum.unwrap_or(table.ty.initial);
                    let limit = LIMITS.max_table_elements;
                    if table.ty.initial > limit || max > limit {
                        return reject(format!("table of up to {max} elements, more than {limit}"));
                    }
                    tables.push(table.ty.initial);
                }
            }
            Payload::MemorySection(reader) => {
                for memory in reader {
                    let memory = memory.map_err(|e| ValidationError(e.to_string()))?;
                    memories += 1;
                    min_pages = memory.initial;
                    let limit = LIMITS.max_memory_pages;
                    if memory.initial > u64::from(limit) {
                        return reject(format!(
                            "memory starts at {} pages, more than the limit of {limit}",
                            memory.initial
                        ));
                    }
                }
            }
            Payload::GlobalSection(reader) => at_most(reader.count(), LIMITS.max_globals, "globals")?,
            Payload::ExportSection(reader) => {
                at_most(reader.count(), LIMITS.max_exports, "exports")?;
                for export in reader {
                    let export = export.map_err(|e| ValidationError(e.to_string()))?;
                    if export.name.starts_with("wasmer_") || export.name.starts_with("zr_") {
                        return reject(format!("export {}: the wasmer_ and zr_ prefixes are reserved", export.name));
                    }
                    match export.kind {
                        ExternalKind::Memory if export.name == "memory" => has_memory_export = true,
                        ExternalKind::Func => exported_functions.push((export.name.to_owned(), export.index)),
                        _ => {}
                    }
                }
            }
            Payload::StartSection { .. } => return reject("a start function is not allowed"),
            Payload::CustomSection(section) if section.name() == zr_common::abi::SECTION => {
                if abi.is_some() {
                    return reject("more than one zr_abi section");
                }
                let parsed =
                    zr_common::abi::Abi::parse(section.data()).map_err(|e| ValidationError(format!("ABI: {e}")))?;
                abi = Some(parsed);
            }
            Payload::ElementSection(reader) => {
                // Instantiation writes every segment's items into its table: its work is bounded here, as
                // the flat `instantiate` charge covers it (`cargo bench --bench vm`, worst_instantiation).
                at_most(reader.count(), LIMITS.max_element_segments, "element segments")?;
                let mut items = 0u32;
                for element in reader {
                    let element = element.map_err(|e| ValidationError(e.to_string()))?;
                    let ElementItems::Functions(functions) = element.items else {
                        return reject("table elements must be function indices");
                    };
                    items = items.saturating_add(functions.count());
                    if items > LIMITS.max_element_items {
                        return reject(format!(
                            "element segments hold more than {} functions",
                            LIMITS.max_element_items
                        ));
                    }
                    // Validated code must instantiate (a failure then is the node's, not the contract's): an
                    // active segment must sit at a constant offset inside its table's initial size.
                    if let wasmer::wasmparser::ElementKind::Active { table_index, offset_expr } = element.kind {
                        let size = tables.get(table_index.unwrap_or(0) as usize).copied().unwrap_or(0);
                        let end = constant_offset(&offset_expr)?.saturating_add(u64::from(functions.count()));
                        if end > size {
                            return reject(format!("an element segment ends at {end}, outside its table of {size}"));
                        }
                    }
                    for function in functions {
                        // The depth bound counts calls into wasm; a host function in a table would skew it.
                        if function.map_err(|e| ValidationError(e.to_string()))? < imported_functions {
                            return reject("a table may not hold imported (host) functions");
                        }
                    }
                }
            }
            Payload::DataSection(reader) => {
                // Instantiation copies every segment into memory: bounded here, as for element segments.
                at_most(reader.count(), LIMITS.max_data_segments, "data segments")?;
                let mut bytes = 0usize;
                for data in reader {
                    let data = data.map_err(|e| ValidationError(e.to_string()))?;
                    bytes = bytes.saturating_add(data.data.len());
                    if bytes > LIMITS.max_data_bytes as usize {
                        return reject(format!("data segments hold more than {} bytes", LIMITS.max_data_bytes));
                    }
                    if let wasmer::wasmparser::DataKind::Active { offset_expr, .. } = data.kind {
                        let end = constant_offset(&offset_expr)? + data.data.len() as u64;
                        if end > min_pages * 65_536 {
                            return reject(format!(
                                "data segment ends at byte {end}, outside the initial memory of {min_pages} pages"
                            ));
                        }
                    }
                }
            }
            Payload::CodeSectionEntry(body) => {
                let mut locals = 0u32;
                let reader = body.get_locals_reader().map_err(|e| ValidationError(e.to_string()))?;
                for local in reader {
                    let (count, _) = local.map_err(|e| ValidationError(e.to_string()))?;
                    locals = locals.saturating_add(count);
                }
                if locals > LIMITS.max_locals {
                    return reject(format!("a function has {locals} locals, more than {}", LIMITS.max_locals));
                }
            }
            _ => {}
        }
    }
    if memories != 1 {
        return reject(format!("exactly one memory must be defined, found {memories}"));
    }
    if !has_memory_export {
        return reject("the memory must be exported as `memory`");
    }
    for (name, index) in &exported_functions {
        let ty = &types[function_types[*index as usize] as usize];
        if !ty.params().is_empty() || !ty.results().is_empty() {
            return reject(format!("exported function {name} must take and return nothing"));
        }
    }
    if exported_functions.is_empty() {
        return reject("no exported methods");
    }
    // A contract without an ABI still works; one with an ABI must export every method it declares.
    for method in abi.iter().flat_map(|abi| &abi.methods) {
        if !exported_functions.iter().any(|(name, _)| *name == method.name) {
            return reject(format!("ABI: method `{}` is not exported", method.name));
        }
    }
    // Parameters count towards a frame's size too.
    for ty in &types {
        if ty.params().len() as u32 > LIMITS.max_locals {
            let (parameters, limit) = (ty.params().len(), LIMITS.max_locals);
            return reject(format!("a function type has {parameters} parameters, more than {limit}"));
        }
    }
    Ok(function_types.len() as u32 - imported_functions)
}
