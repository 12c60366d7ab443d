//! State snapshots: a fresh executor starts from one instead of replaying L1 history, after checking it
//! against the height and state root the operator trusts (a final claim's). The state is everything the
//! protocol needs to go on (the ordering rule reads nothing else), so nothing else is in a snapshot.
//!
//! Format: `zrsnap2\n`, the head (height u64 LE, root 32 bytes), the entry count (u64 LE), then each entry
//! as key hash (32) ‖ value length (u32 LE) ‖ value, in key order; last, SHA3-256 of everything before it.

use std::collections::BTreeSet;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;
use std::sync::Arc;

use sha3::{Digest, Sha3_256};
use zr_common::Hash;

use zr_protocol::Tree;

use crate::store::{BlockCommit, Head, StateStore, StoreError};

const MAGIC: &[u8; 8] = b"zrsnap2\n";
/// The largest value a snapshot entry may hold (whole contract code is the largest state value).
const MAX_VALUE: usize = zr_protocol::state::MAX_STATE_VALUE_LEN;

fn io(path: &Path) -> impl Fn(std::io::Error) -> StoreError + '_ {
    move |e| StoreError::Io(format!("snapshot {}: {e}", path.display()))
}

/// Writes the committed state of `store` to `path`; returns the head it describes.
pub fn export(store: &StateStore, path: &Path) -> Result<Head, StoreError> {
    let head = store.head()?;
    let tree = store.load_tree()?;
    let entries = tree.entries();
    let tmp = path.with_extension("tmp");
    let file = std::fs::File::create(&tmp).map_err(io(path))?;
    let mut out = HashingWriter { inner: BufWriter::new(file), hasher: Sha3_256::new() };
    out.write_all(MAGIC).map_err(io(path))?;
    out.write_all(&head.height.to_le_bytes()).map_err(io(path))?;
    out.write_all(&head.root.0).map_err(io(path))?;
    out.write_all(&(entries.len() as u64).to_le_bytes()).map_err(io(path))?;
    for (key, value) in &entries {
        out.write_all(&key.0).map_err(io(path))?;
        out.write_all(&(value.len() as u32).to_le_bytes()).map_err(io(path))?;
        out.write_all(value).map_err(io(path))?;
    }
    let digest: [u8; 32] = out.hasher.finalize().into();
    let mut inner = out.inner;
    inner.write_all(&digest).map_err(io(path))?;
    inner.into_inner().map_err(|e| io(path)(e.into_error()))?.sync_all().map_err(io(path))?;
    std::fs::rename(&tmp, path).map_err(io(path))?;
    Ok(head)
}

/// Loads a snapshot into an empty `store`, refusing it unless it is the state `expected` names: that height,
/// and entries that hash to that root.
pub fn import(store: &StateStore, path: &Path, expected: Head) -> Result<Head, StoreError> {
    if store.head()? != Head::default() {
        return Err(StoreError::Io("the data directory already holds state; import into an empty one".into()));
    }
    let bad = |reason: String| StoreError::Io(format!("snapshot {}: {reason}", path.display()));
    let file = std::fs::File::open(path).map_err(io(path))?;
    let mut input = HashingReader { inner: BufReader::new(file), hasher: Sha3_256::new() };
    let mut magic = [0u8; 8];
    input.read_exact(&mut magic).map_err(io(path))?;
    if &magic != MAGIC {
        return Err(bad("not a zrollup snapshot".into()));
    }
    let height = u64::from_le_bytes(read_array(&mut input).map_err(io(path))?);
    let root = Hash(read_array(&mut input).map_err(io(path))?);
    let count = u64::from_le_bytes(read_array(&mut input).map_err(io(path))?);
    let mut entries: Vec<(Hash, Arc<Vec<u8>>)> = Vec::new();
    for _ in 0..count {
        let key = Hash(read_array(&mut input).map_err(io(path))?);
        let len = u32::from_le_bytes(read_array(&mut input).map_err(io(path))?) as usize;
        if len > MAX_VALUE {
            return Err(bad(format!("an entry of {len} bytes exceeds {MAX_VALUE}")));
        }
        let mut value = vec![0u8; len];
        input.read_exact(&mut value).map_err(io(path))?;
        if entries.last().is_some_and(|(last, _)| *last >= key) {
            return Err(bad("entries are not in strictly increasing key order".into()));
        }
        entries.push((key, Arc::new(value)));
    }
    let digest: [u8; 32] = input.hasher.finalize().into();
    let mut stored = [0u8; 32];
    input.inner.read_exact(&mut stored).map_err(io(path))?;
    if stored != digest {
        return Err(bad("checksum mismatch: the file is corrupt or truncated".into()));
    }
    let tree = Tree::from_sorted(&entries);
    if tree.root() != root {
        return Err(bad(format!("entries hash to {}, not the root {root} it declares", tree.root())));
    }
    if root != expected.root {
        return Err(bad(format!("root {root} is not the expected {}", expected.root)));
    }
    if height != expected.height {
        return Err(bad(format!("the state is of height {height}, not the expected {}", expected.height)));
    }
    let head = Head { height, root };
    let all: BTreeSet<Hash> = entries.iter().map(|(k, _)| *k).collect();
    store.commit(BlockCommit::state_only(head, &tree, &all))?;
    Ok(head)
}

fn read_array<const N: usize>(input: &mut impl Read) -> std::io::Result<[u8; N]> {
    let mut out = [0u8; N];
    input.read_exact(&mut out)?;
    Ok(out)
}

struct HashingWriter<W> {
    inner: W,
    hasher: Sha3_256,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

struct HashingReader<R> {
    inner: R,
    hasher: Sha3_256,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}
