//! Memory limits set by the host: every memory gets a maximum of `MAX_MEMORY_PAGES`, whatever the module
//! declares (LimitingTunables, as in wasmer's example and CosmWasm).

#![allow(unsafe_code)]

use std::ptr::NonNull;

use wasmer::sys::vm::{VMMemory, VMMemoryDefinition, VMTable, VMTableDefinition};
use wasmer::sys::{BaseTunables, Tunables};
use wasmer::{MemoryError, MemoryStyle, TableStyle};
use wasmer::{MemoryType, Pages, TableType};

/// Caps memories at `limit` pages.
pub struct LimitingTunables {
    base: BaseTunables,
    limit: Pages,
}

impl LimitingTunables {
    /// Tunables capping memory at `limit`.
    pub fn new(limit: Pages) -> Self {
        LimitingTunables { base: BaseTunables::new(), limit }
    }

    fn adjust(&self, requested: &MemoryType) -> MemoryType {
        let mut adjusted = *requested;
        adjusted.maximum = Some(requested.maximum.map_or(self.limit, |m| m.min(self.limit)));
        adjusted
    }

    fn check(&self, ty: &MemoryType) -> Result<(), MemoryError> {
        if ty.minimum > self.limit {
            return Err(MemoryError::Generic(format!("memory minimum {} pages exceeds the limit", ty.minimum.0)));
        }
        Ok(())
    }
}

impl Tunables for LimitingTunables {
    fn memory_style(&self, memory: &MemoryType) -> MemoryStyle {
        self.base.memory_style(&self.adjust(memory))
    }

    fn table_style(&self, table: &TableType) -> TableStyle {
        self.base.table_style(table)
    }

    fn create_host_memory(&self, ty: &MemoryType, style: &MemoryStyle) -> Result<VMMemory, MemoryError> {
        let adjusted = self.adjust(ty);
        self.check(&adjusted)?;
        self.base.create_host_memory(&adjusted, style)
    }

    unsafe fn create_vm_memory(
        &self,
        ty: &MemoryType,
        style: &MemoryStyle,
        vm_definition_location: NonNull<VMMemoryDefinition>,
    ) -> Result<VMMemory, MemoryError> {
        let adjusted = self.adjust(ty);
        self.check(&adjusted)?;
        // SAFETY: the location comes from wasmer's instance allocator, passed through unchanged.
        unsafe { self.base.create_vm_memory(&adjusted, style, vm_definition_location) }
    }

    fn create_host_table(&self, ty: &TableType, style: &TableStyle) -> Result<VMTable, String> {
        self.base.create_host_table(ty, style)
    }

    unsafe fn create_vm_table(
        &self,
        ty: &TableType,
        style: &TableStyle,
        vm_definition_location: NonNull<VMTableDefinition>,
    ) -> Result<VMTable, String> {
        // SAFETY: the location comes from wasmer's instance allocator, passed through unchanged.
        unsafe { self.base.create_vm_table(ty, style, vm_definition_location) }
    }
}
