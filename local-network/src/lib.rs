//! One local network, assembled once. [`LocalNet::builder`] starts an executor, optionally a relay in front of
//! it (with the deposit that funds its sponsor grants) and a watch-only challenger, on any [`zr_sequencing::L1`];
//! [`devnet::start`] lays out and starts the embedded devnet the benchmarks run them on. `zr up` (on the devnet or
//! znnd), the end-to-end tests' executors, the znnd test's faulty executor and the relay benchmarks start their
//! daemons here, so a daemon's wiring changes in one place.

pub mod devnet;
mod network;

pub use network::{EXECUTOR_KEY_FILE, LocalNet, LocalNetBuilder, RELAY_KEY_FILE, StartError};

use std::path::Path;

use zr_common::KeyPair;

/// Writes `key` to `path`, or checks that the file already there holds it (a network restarted in its
/// directory): a daemon must never sign with one key while its config names another.
fn key_file(key: &KeyPair, path: &Path) -> Result<(), StartError> {
    let wrong = |reason: String| StartError::KeyFile { path: path.to_owned(), reason };
    if path.exists() {
        let held = KeyPair::read_file(path).map_err(|err| wrong(err.to_string()))?;
        if held.address() != key.address() {
            return Err(wrong(format!("holds the key of {}, not of {}", held.address(), key.address())));
        }
        return Ok(());
    }
    key.write_file(path).map_err(|err| wrong(err.to_string()))
}
