//! Compiled modules, cached in memory (LRU, bounded by count and by artifact bytes) and on disk, keyed by code
//! hash and VM version. A disk entry carries the SHA3 of its bytes and is deserialized only if they match the
//! first time this process reads it; anything else is recompiled. Later reads of a verified entry skip the
//! hash (the file is this process's own output, checked once).

#![allow(unsafe_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use wasmer::{Engine, Module};
use zr_common::{Hash, sha3_256};

use zr_protocol::{CallError, StateError};

use super::Vm;

/// Hit and miss counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Served from memory.
    pub memory_hits: u64,
    /// Served from disk.
    pub disk_hits: u64,
    /// Compiled.
    pub compiled: u64,
    /// Disk entries found corrupt and replaced.
    pub corrupt: u64,
}

/// Artifact bytes the memory cache holds at most, whatever the count: large modules evict more.
pub const MEMORY_BYTES: usize = 512 * 1024 * 1024;

/// The module cache.
pub struct ModuleCache {
    dir: Option<PathBuf>,
    capacity: usize,
    /// Disk entries whose hash matched in this process.
    verified: Mutex<std::collections::BTreeSet<Hash>>,
    version: Hash,
    memory: Mutex<Lru>,
    memory_hits: AtomicU64,
    disk_hits: AtomicU64,
    compiled: AtomicU64,
    corrupt: AtomicU64,
}

#[derive(Default)]
struct Lru {
    tick: u64,
    bytes: usize,
    /// Module, artifact size, last use.
    entries: BTreeMap<Hash, (Module, usize, u64)>,
}

impl ModuleCache {
    /// Modules kept in memory at most.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// A cache of `capacity` modules in memory, and on disk in `dir` if given.
    pub fn new(dir: Option<PathBuf>, capacity: usize, version: Hash) -> Result<ModuleCache, String> {
        if let Some(dir) = &dir {
            std::fs::create_dir_all(dir).map_err(|e| format!("cannot create module cache {}: {e}", dir.display()))?;
        }
        Ok(ModuleCache {
            dir,
            capacity: capacity.max(1),
            verified: Mutex::default(),
            version,
            memory: Mutex::new(Lru::default()),
            memory_hits: AtomicU64::new(0),
            disk_hits: AtomicU64::new(0),
            compiled: AtomicU64::new(0),
            corrupt: AtomicU64::new(0),
        })
    }

    /// The counters.
    pub fn stats(&self) -> CacheStats {
        CacheStats {
            memory_hits: self.memory_hits.load(Ordering::Relaxed),
            disk_hits: self.disk_hits.load(Ordering::Relaxed),
            compiled: self.compiled.load(Ordering::Relaxed),
            corrupt: self.corrupt.load(Ordering::Relaxed),
        }
    }

    fn path(&self, code_hash: &Hash) -> Option<PathBuf> {
        self.dir.as_ref().map(|dir| dir.join(format!("{code_hash}-{}.module", self.version)))
    }

    fn remember(&self, code_hash: Hash, module: Module, size: usize) {
        let mut lru = self.memory.lock().unwrap_or_else(|p| p.into_inner());
        lru.tick += 1;
        let tick = lru.tick;
        if let Some((_, old, _)) = lru.entries.insert(code_hash, (module, size, tick)) {
            lru.bytes -= old;
        }
        lru.bytes += size;
        while lru.entries.len() > self.capacity || (lru.bytes > MEMORY_BYTES && lru.entries.len() > 1) {
            let Some(oldest) = lru.entries.iter().min_by_key(|(_, (_, _, t))| *t).map(|(k, _)| *k) else { break };
            if let Some((_, size, _)) = lru.entries.remove(&oldest) {
                lru.bytes -= size;
            }
        }
    }

    /// The module for `code_hash`, from memory, disk, or compiling `code()`.
    pub fn get_or_compile(
        &self,
        engine: &Engine,
        code_hash: &Hash,
        code: impl FnOnce() -> Result<Option<Arc<Vec<u8>>>, StateError>,
    ) -> Result<Module, CallError> {
        {
            let mut lru = self.memory.lock().unwrap_or_else(|p| p.into_inner());
            lru.tick += 1;
            let tick = lru.tick;
            if let Some((module, _, used)) = lru.entries.get_mut(code_hash) {
                *used = tick;
                self.memory_hits.fetch_add(1, Ordering::Relaxed);
                return Ok(module.clone());
            }
        }
        if let Some(path) = self.path(code_hash)
            && let Ok(bytes) = std::fs::read(&path)
        {
            if let Some(module) = self.load_verified(engine, code_hash, &bytes) {
                self.disk_hits.fetch_add(1, Ordering::Relaxed);
                self.remember(*code_hash, module.clone(), bytes.len());
                return Ok(module);
            }
            self.corrupt.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(target: "zr::vm", path = %path.display(), "corrupt module cache entry; recompiling");
        }
        let code = code()
            .map_err(CallError::State)?
            .ok_or_else(|| CallError::Fault(format!("code {code_hash} is missing from the state")))?;
        if zr_common::sha3_256(&code) != *code_hash {
            return Err(CallError::Fault(format!("stored code does not hash to {code_hash}")));
        }
        // Stored code passed validation when it was uploaded; failing now is a node fault.
        let artifact = Vm::compile(&code).map_err(CallError::Fault)?;
        self.compiled.fetch_add(1, Ordering::Relaxed);
        let module = deserialize(engine, &artifact).map_err(CallError::Fault)?;
        if let Some(path) = self.path(code_hash) {
            let mut file = sha3_256(&artifact).0.to_vec();
            file.extend_from_slice(&artifact);
            let tmp = path.with_extension("tmp");
            // A cache write failure only costs a recompilation later.
            if std::fs::write(&tmp, &file).and_then(|()| std::fs::rename(&tmp, &path)).is_err() {
                tracing::warn!(target: "zr::vm", path = %path.display(), "cannot write module cache entry");
            } else {
                self.verified.lock().unwrap_or_else(|p| p.into_inner()).insert(*code_hash);
            }
        }
        self.remember(*code_hash, module.clone(), artifact.len());
        Ok(module)
    }

    fn load_verified(&self, engine: &Engine, code_hash: &Hash, file: &[u8]) -> Option<Module> {
        if file.len() < 32 {
            return None;
        }
        let mut verified = self.verified.lock().unwrap_or_else(|p| p.into_inner());
        if !verified.contains(code_hash) {
            if sha3_256(&file[32..]).0 != file[..32] {
                return None;
            }
            verified.insert(*code_hash);
        }
        drop(verified);
        deserialize(engine, &file[32..]).ok()
    }
}

fn deserialize(engine: &Engine, artifact: &[u8]) -> Result<Module, String> {
    // SAFETY: `artifact` is either what `Vm::compile` produced in this process, or a cache file whose SHA3
    // matched the hash written next to it by `Vm::compile`'s output, keyed by the VM version, when this
    // process first read (or wrote) it. wasmer requires trusted input here; the hash check stops a corrupt or
    // truncated file from reaching it. The data directory is the node's own: a file changed under a running
    // node after that check is outside what the node defends against.
    unsafe { Module::deserialize(engine, artifact) }.map_err(|e| format!("cannot load compiled module: {e}"))
}
