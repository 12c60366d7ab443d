//! The deterministic wasm VM, on its own so that everything that runs contracts links a VM and not the
//! executor daemon: deploy-time validation, wasmer singlepass with gas metering and a call-depth bound
//! compiled in, host memory limits, the host API, and a module cache. [`Vm`] implements the protocol's
//! [`zr_protocol::ContractRuntime`]; the executor, the devnet's judge and the challenger use it.

mod cache;
mod depth;
pub mod host;
pub mod limits;
mod tunables;
mod validate;

use std::path::PathBuf;
use std::sync::Arc;

use wasmer::sys::{CompilerConfig, EngineBuilder, NativeEngineExt, Singlepass};
use wasmer::{Engine, Function, FunctionEnv, Imports, Instance, Module, Pages, Store, TypedFunction};
use wasmer_middlewares::Metering;
use zr_common::Hash;

pub use cache::{CacheStats, ModuleCache};
use depth::{DEPTH_EXCEEDED_EXPORT, DepthLimit};
use host::GasMeter;
pub use host::{HostEnv, HostTrap};
use tunables::LimitingTunables;
pub use validate::{ValidationError, validate};
use zr_protocol::state::ContractInfo;
use zr_protocol::{
    BlockInfo, CallError, CallOutcome, CodeError, ContractRuntime, Entry, Frame, StateError, StateKey, UntrustedCode,
    World,
};

/// The VM could not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VmError {
    /// This machine cannot run contracts as every executor does (CPU features, a failing trial compile).
    #[error("unsupported host: {0}")]
    Host(String),
    /// The module cache directory cannot be used.
    #[error("module cache: {0}")]
    Cache(String),
}

/// The VM: engines, the module cache and the VM version.
pub struct Vm {
    runtime: Engine,
    cache: ModuleCache,
    version: Hash,
    /// The `Arc` this VM lives in: host functions hold it for nested calls.
    this: std::sync::Weak<Vm>,
}

impl std::fmt::Debug for Vm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Vm({})", self.version)
    }
}

impl Vm {
    /// A VM caching compiled modules in memory (`memory_modules` of them) and, if given, in `cache_dir`.
    pub fn new(cache_dir: Option<PathBuf>, memory_modules: usize) -> Result<Arc<Vm>, VmError> {
        check_host().map_err(VmError::Host)?;
        wasmer::sys::vm::set_stack_size(limits::WASM_STACK_BYTES);
        let mut runtime = Engine::headless();
        runtime.set_tunables(LimitingTunables::new(Pages(limits::MAX_MEMORY_PAGES)));
        let version = zr_protocol::gas::vm_version();
        let cache = ModuleCache::new(cache_dir, memory_modules, version).map_err(VmError::Cache)?;
        Ok(Arc::new_cyclic(|this| Vm { runtime, cache, version, this: this.clone() }))
    }

    /// A VM that holds `modules` compiled modules in memory at once: this one when its cache is that large,
    /// else a new one of that size. A judgement loads a challenge's code, then runs it; a module evicted in
    /// between would have to come from the witness's state, which carries code by hash only, and a right
    /// challenge would read as proving nothing.
    pub fn holding(self: &Arc<Self>, modules: usize) -> Result<Arc<Vm>, VmError> {
        match modules <= self.cache.capacity() {
            true => Ok(self.clone()),
            false => Vm::new(None, modules),
        }
    }

    /// The VM version hash that goes into claims.
    pub fn version(&self) -> Hash {
        self.version
    }

    /// Cache counters.
    pub fn cache_stats(&self) -> CacheStats {
        self.cache.stats()
    }

    /// Compiles validated `code` with metering and the depth bound, returning the serialized artifact.
    pub fn compile(code: &[u8]) -> Result<Vec<u8>, String> {
        // Middlewares hold per-module state, so each compilation gets its own compiler and engine.
        let mut compiler = Singlepass::new();
        compiler.push_middleware(Arc::new(DepthLimit::new(limits::MAX_WASM_CALL_DEPTH)));
        compiler.push_middleware(Arc::new(Metering::new(0, limits::operator_cost)));
        let mut engine: Engine = EngineBuilder::new(compiler).engine().into();
        engine.set_tunables(LimitingTunables::new(Pages(limits::MAX_MEMORY_PAGES)));
        let module = Module::new(&engine, code).map_err(|e| format!("compilation failed: {e}"))?;
        module.serialize().map(|b| b.to_vec()).map_err(|e| format!("serialization failed: {e}"))
    }

    /// Compiles code that came from outside the state (a challenge, another node) into the cache, once it is
    /// checked: it must hash to `code_hash` and pass validation, as an upload's must. Says why not otherwise.
    pub fn load_untrusted(&self, code_hash: &Hash, code: &[u8]) -> Result<(), UntrustedCode> {
        if zr_common::sha3_256(code) != *code_hash {
            return Err(UntrustedCode::NotTheCode(format!("the code given for {code_hash} does not hash to it")));
        }
        validate(code).map_err(|e| UntrustedCode::NotTheCode(format!("code {code_hash} is not valid: {e}")))?;
        let code = Arc::new(code.to_vec());
        // Validated code singlepass cannot compile is this node's problem, not the sender's.
        self.module(code_hash, || Ok(Some(code)))
            .map_err(|e| UntrustedCode::Fault(format!("cannot compile code {code_hash}: {e:?}")))?;
        Ok(())
    }

    /// The compiled module for `code_hash`, compiling `code` on a cache miss.
    pub fn module(
        &self,
        code_hash: &Hash,
        code: impl FnOnce() -> Result<Option<Arc<Vec<u8>>>, StateError>,
    ) -> Result<Module, CallError> {
        self.cache.get_or_compile(&self.runtime, code_hash, code)
    }

    /// Instantiates `module` with the host API over `world`; on failure the world is handed back.
    pub fn instantiate(
        self: &Arc<Self>,
        module: &Module,
        world: World,
        frame: Frame,
        block: BlockInfo,
    ) -> Result<Instantiated, Box<(World, String)>> {
        let mut store = Store::new(self.runtime.clone());
        let env = FunctionEnv::new(
            &mut store,
            HostEnv {
                memory: None,
                meter: None,
                world,
                frame,
                block,
                vm: self.clone(),
                return_data: Vec::new(),
                callee_return: Vec::new(),
            },
        );
        let imports = host_imports(&mut store, &env, module);
        let instance = match Instance::new(&mut store, module, &imports) {
            Ok(instance) => instance,
            Err(e) => return Err(Box::new((std::mem::take(&mut env.as_mut(&mut store).world), e.to_string()))),
        };
        let memory = instance.exports.get_memory("memory").ok().cloned();
        let data = env.as_mut(&mut store);
        data.memory = memory;
        data.meter = GasMeter::of(&instance);
        Ok(Instantiated { store, env, instance })
    }

    /// Runs `entry` of `frame.contract`: see [`ContractRuntime::run`]. Reserved method names are refused by
    /// the transition before they get here.
    pub fn invoke(
        self: &Arc<Self>,
        mut world: World,
        frame: Frame,
        entry: Entry<'_>,
        block: BlockInfo,
        gas: u64,
    ) -> CallOutcome {
        let method = match entry {
            Entry::Init => "init",
            Entry::Method(method) => method,
        };
        let checkpoint = world.checkpoint();
        let fail = |mut world: World, gas_left: u64, error: CallError| {
            world.revert(checkpoint.clone());
            CallOutcome { world, gas_left, result: Err(error) }
        };
        let contract = match world.get_decoded::<ContractInfo>(&StateKey::Contract { address: frame.contract }) {
            Ok(Some(contract)) => contract,
            Ok(None) => return fail(world, gas, CallError::Failed(format!("no contract at {}", frame.contract))),
            Err(e) => return fail(world, gas, CallError::State(e)),
        };
        let code_hash = contract.code_hash;
        // Instantiation every time (by the code's size, which bounds what it copies); loading the module once per
        // transaction, by the code's size and functions.
        let costs = &zr_protocol::gas::COSTS;
        let load = if world.loaded.contains(&code_hash) {
            0
        } else {
            costs.load_per_byte * contract.code_len + costs.load_per_function * u64::from(contract.functions)
        };
        let Some(gas) = gas.checked_sub(zr_protocol::gas::instantiation_gas(contract.code_len) + load) else {
            return fail(world, 0, CallError::OutOfGas);
        };
        world.loaded.insert(code_hash);
        if frame.value > 0 {
            match world.move_balance(&frame.caller, &frame.contract, &zr_common::TokenStandard::ZNN, frame.value) {
                Ok(true) => {}
                Ok(false) => {
                    let reason = format!("{} cannot pay the call's value", frame.caller);
                    return fail(world, gas, CallError::Failed(reason));
                }
                Err(e) => return fail(world, gas, CallError::State(e)),
            }
        }
        // The code is not read from the state: the contract record proves its hash (code, once stored, is never
        // removed, and a contract is deployed only on stored code), and the bytes come by that hash from the
        // module cache or, on a miss, the state, unrecorded. So a witness carries no proof of the code.
        let code_key = StateKey::Code { code_hash };
        // Fetched without recording: whether this node's cache misses is not part of the transaction.
        let module = match self.module(&code_hash, || world.peek(&code_key)) {
            Ok(module) => module,
            Err(error) => return fail(world, gas, error),
        };
        let Instantiated { mut store, env, instance } = match self.instantiate(&module, world, frame, block) {
            Ok(instantiated) => instantiated,
            Err(failed) => {
                let (world, e) = *failed;
                // Validation admits only modules that instantiate (known imports, bounded memory and tables):
                // a failure here is this node's (memory, CPU), and another node would not fail alike.
                return fail(world, gas, CallError::Fault(format!("instantiation failed: {e}")));
            }
        };
        // Every module is compiled with the metering middleware; one without its globals is a node fault.
        let Some(meter) = env.as_ref(&store).meter.clone() else {
            let world = std::mem::take(&mut env.as_mut(&mut store).world);
            return fail(world, gas, CallError::Fault("compiled module has no gas meter".into()));
        };
        if let Err(e) = meter.set(&mut store, gas) {
            let world = std::mem::take(&mut env.as_mut(&mut store).world);
            return fail(world, gas, CallError::Fault(format!("cannot set the gas meter: {e}")));
        }
        let function: Option<TypedFunction<(), ()>> = instance.exports.get_typed_function(&store, method).ok();
        let result = match function {
            Some(function) => function.call(&mut store),
            None if entry == Entry::Init => {
                let world = std::mem::take(&mut env.as_mut(&mut store).world);
                return CallOutcome { world, gas_left: gas, result: Ok(Vec::new()) };
            }
            None => {
                let world = std::mem::take(&mut env.as_mut(&mut store).world);
                return fail(world, gas, CallError::Failed(format!("method {method:?} not found")));
            }
        };
        let gas_left = meter.left(&mut store);
        let depth_exceeded = instance
            .exports
            .get_global(DEPTH_EXCEEDED_EXPORT)
            .map(|g| g.get(&mut store).i32() == Some(1))
            .unwrap_or(false);
        let data = env.as_mut(&mut store);
        let world = std::mem::take(&mut data.world);
        let returned = std::mem::take(&mut data.return_data);
        match result {
            Ok(()) => CallOutcome { world, gas_left, result: Ok(returned) },
            Err(error) => {
                let error = classify(error, gas_left, depth_exceeded);
                let gas_left = if error == CallError::OutOfGas { 0 } else { gas_left };
                fail(world, gas_left, error)
            }
        }
    }
}

/// A live instance with its store and host environment.
pub struct Instantiated {
    /// The store owning the instance.
    pub store: Store,
    /// The host environment.
    pub env: FunctionEnv<HostEnv>,
    /// The instance.
    pub instance: Instance,
}

/// Checks, before anything runs, that this machine can compile and run contracts as every executor does: a
/// CPU that singlepass supports, and a trial compilation. Failing later would halt the node mid-chain.
fn check_host() -> Result<(), String> {
    #[cfg(target_arch = "x86_64")]
    {
        use wasmer_types::target::CpuFeature;
        let features = CpuFeature::for_host();
        if !features.contains(CpuFeature::SSE42) && !features.contains(CpuFeature::AVX) {
            return Err("this CPU has neither SSE 4.2 nor AVX, which the singlepass compiler needs".into());
        }
    }
    const TRIAL: &[u8] = b"\0asm\x01\0\0\0";
    Vm::compile(TRIAL).map(drop).map_err(|e| format!("the VM cannot compile on this machine: {e}"))
}

/// The VM as the settlement's judge runs it (the devnet's pillars, a challenger checking its dispute first).
impl zr_protocol::Verifier for Vm {
    fn version(&self) -> Hash {
        Vm::version(self)
    }

    fn load_untrusted(&self, code_hash: &Hash, code: &[u8]) -> Result<(), UntrustedCode> {
        Vm::load_untrusted(self, code_hash, code)
    }
}

impl ContractRuntime for Vm {
    fn accept_code(&self, code: &[u8]) -> Result<u32, CodeError> {
        let functions = validate(code).map_err(|e| CodeError::Rejected(e.to_string()))?;
        // Validated code that singlepass cannot compile is this node's problem, not the uploader's.
        Vm::compile(code).map_err(CodeError::Fault)?;
        Ok(functions)
    }

    fn run(&self, world: World, frame: Frame, entry: Entry<'_>, block: BlockInfo, gas: u64) -> CallOutcome {
        let vm = self.this.upgrade().expect("a Vm is only ever used through its Arc");
        vm.invoke(world, frame, entry, block, gas)
    }
}

fn classify(error: wasmer::RuntimeError, gas_left: u64, depth_exceeded: bool) -> CallError {
    if let Some(trap) = error.downcast_ref::<HostTrap>() {
        return match trap {
            HostTrap::OutOfGas => CallError::OutOfGas,
            HostTrap::Abort(message) => CallError::Failed(format!("aborted: {message}")),
            HostTrap::Trap(message) => CallError::Failed(message.clone()),
            HostTrap::State(error) => CallError::State(error.clone()),
            HostTrap::Fault(message) => CallError::Fault(message.clone()),
        };
    }
    if depth_exceeded {
        return CallError::Failed(format!("call stack deeper than {} frames", limits::MAX_WASM_CALL_DEPTH));
    }
    if gas_left == 0 {
        return CallError::OutOfGas;
    }
    match error.clone().to_trap() {
        // The depth bound keeps contracts far from the native stack; reaching it would be a node fault.
        Some(wasmer_types::TrapCode::StackOverflow) => CallError::Fault("native stack overflow".into()),
        Some(code) => CallError::Failed(format!("wasm trap: {code}")),
        None => CallError::Fault(error.to_string()),
    }
}

/// The host functions `module` imports (validation admits imports from `env` in [`host::HOST_API`] only);
/// creating just those keeps instantiation cheap.
fn host_imports(store: &mut Store, env: &FunctionEnv<HostEnv>, module: &Module) -> Imports {
    let mut imports = Imports::new();
    for import in module.imports().filter(|i| i.module() == "env") {
        let name = import.name();
        let function = match name {
            "input_len" => Function::new_typed_with_env(store, env, host::input_len),
            "input_copy" => Function::new_typed_with_env(store, env, host::input_copy),
            "storage_read" => Function::new_typed_with_env(store, env, host::storage_read),
            "storage_write" => Function::new_typed_with_env(store, env, host::storage_write),
            "storage_remove" => Function::new_typed_with_env(store, env, host::storage_remove),
            "caller" => Function::new_typed_with_env(store, env, host::caller),
            "self_address" => Function::new_typed_with_env(store, env, host::self_address),
            "value" => Function::new_typed_with_env(store, env, host::value),
            "balance" => Function::new_typed_with_env(store, env, host::balance),
            "transfer" => Function::new_typed_with_env(store, env, host::transfer),
            "block_height" => Function::new_typed_with_env(store, env, host::block_height),
            "block_timestamp" => Function::new_typed_with_env(store, env, host::block_timestamp),
            "emit_event" => Function::new_typed_with_env(store, env, host::emit_event),
            "call" => Function::new_typed_with_env(store, env, host::call),
            "return_data_len" => Function::new_typed_with_env(store, env, host::return_data_len),
            "return_data_copy" => Function::new_typed_with_env(store, env, host::return_data_copy),
            "sha3_256" => Function::new_typed_with_env(store, env, host::sha3),
            "ed25519_verify" => Function::new_typed_with_env(store, env, host::ed25519_verify),
            "set_return" => Function::new_typed_with_env(store, env, host::set_return),
            "abort" => Function::new_typed_with_env(store, env, host::abort),
            // Unknown names stay unresolved and instantiation fails, as for any missing import.
            _ => continue,
        };
        imports.define("env", name, function);
    }
    imports
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A judgement needing more modules than the cache holds gets a VM of its own; one that fits shares this.
    #[test]
    fn a_vm_holding_more_modules_than_the_cache_is_another() {
        let vm = Vm::new(None, 4).unwrap();
        assert!(Arc::ptr_eq(&vm.holding(4).unwrap(), &vm));
        assert!(!Arc::ptr_eq(&vm.holding(5).unwrap(), &vm));
        assert_eq!(vm.holding(5).unwrap().cache.capacity(), 5);
    }

    /// Code from outside the state that is not what it claims to be is the sender's fault; a module that
    /// hashes and validates loads.
    #[test]
    fn untrusted_code_is_checked_before_it_is_compiled() {
        let vm = Vm::new(None, 4).unwrap();
        let module = include_bytes!("../../contracts/wasm/counter.wasm").to_vec();
        let hash = zr_common::sha3_256(&module);
        assert_eq!(vm.load_untrusted(&hash, &module), Ok(()));
        let other = zr_common::sha3_256(b"other");
        assert!(
            matches!(vm.load_untrusted(&other, &module), Err(UntrustedCode::NotTheCode(why)) if why.contains("hash"))
        );
        let garbage = b"\0asm\x02".to_vec();
        let garbage_hash = zr_common::sha3_256(&garbage);
        assert!(matches!(
            vm.load_untrusted(&garbage_hash, &garbage),
            Err(UntrustedCode::NotTheCode(why)) if why.contains("not valid")
        ));
    }
}
