//! ed25519 keys and signatures, and key files.
//!
//! A NoM key is a rollup key: the same 32-byte seed gives the same public key and `z1…` address on both.
//! Signatures are ed25519 over a 32-byte hash, as go-zenon signs account blocks.
//!
//! Two verification rules: NoM account blocks are checked as go-zenon checks them ([`PublicKey::verify`]);
//! rollup transactions, bundles and claims by the ZIP-215 rules ([`PublicKey::verify_rollup`],
//! [`SignatureBatch`]), under which checking many signatures at once accepts exactly when checking each
//! alone does, so a batch check (about twice as fast) can never make two executors disagree.

use std::path::Path;

use ed25519_dalek::{Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::{Address, Hash};

crate::bytes::hex_bytes_newtype!(
    /// An ed25519 public key as its 32 raw bytes (not yet checked to be a curve point).
    PublicKey,
    32,
    "public key"
);

crate::bytes::hex_bytes_newtype!(
    /// An ed25519 signature (64 bytes).
    Signature,
    64,
    "signature"
);

impl Default for Signature {
    fn default() -> Self {
        Signature([0; 64])
    }
}

/// A signature did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The public key bytes are not a valid ed25519 point.
    #[error("public key {0} is not a valid ed25519 key")]
    BadKey(PublicKey),
    /// The signature does not match the message and key.
    #[error("signature does not verify for public key {0}")]
    Mismatch(PublicKey),
}

impl PublicKey {
    /// The NoM user address of this key.
    pub fn address(&self) -> Address {
        Address::from_public_key(&self.0)
    }

    /// Checks `signature` over the 32 bytes of `message`.
    pub fn verify(&self, message: &Hash, signature: &Signature) -> Result<(), SignatureError> {
        let key = VerifyingKey::from_bytes(&self.0).map_err(|_| SignatureError::BadKey(*self))?;
        let sig = ed25519_dalek::Signature::from_bytes(&signature.0);
        key.verify(&message.0, &sig).map_err(|_| SignatureError::Mismatch(*self))
    }

    /// Checks a rollup signature (ZIP-215 rules) over the 32 bytes of `message`.
    pub fn verify_rollup(&self, message: &Hash, signature: &Signature) -> Result<(), SignatureError> {
        let key = ed25519_zebra::VerificationKey::try_from(self.0).map_err(|_| SignatureError::BadKey(*self))?;
        let sig = ed25519_zebra::Signature::from_bytes(&signature.0);
        key.verify(&sig, &message.0).map_err(|_| SignatureError::Mismatch(*self))
    }
}

/// Rollup signatures checked together (ZIP-215): [`SignatureBatch::verify`] succeeds exactly when every
/// [`PublicKey::verify_rollup`] would (but for a 2^-128 chance from its random weights); when the batch
/// fails, each signature is checked alone and the first bad one is named.
#[derive(Default)]
pub struct SignatureBatch {
    batch: ed25519_zebra::batch::Verifier,
    items: Vec<(PublicKey, Hash, Signature)>,
}

impl SignatureBatch {
    /// An empty batch.
    pub fn new() -> SignatureBatch {
        SignatureBatch::default()
    }

    /// Adds `signature` by `key` over `message`.
    pub fn add(&mut self, key: &PublicKey, message: &Hash, signature: &Signature) {
        let key_bytes = ed25519_zebra::VerificationKeyBytes::from(key.0);
        self.batch.queue((key_bytes, ed25519_zebra::Signature::from_bytes(&signature.0), &message.0));
        self.items.push((*key, *message, *signature));
    }

    /// Checks every signature added; on failure, returns the position and error of the first bad one.
    pub fn verify(self) -> Result<(), (usize, SignatureError)> {
        if self.batch.verify(rand::thread_rng()).is_ok() {
            return Ok(());
        }
        for (position, (key, message, signature)) in self.items.iter().enumerate() {
            key.verify_rollup(message, signature).map_err(|e| (position, e))?;
        }
        // Every signature verifies alone, which is the rule the batch only speeds up.
        Ok(())
    }
}

/// An ed25519 signing key with its public key.
#[derive(Clone)]
pub struct KeyPair {
    signing: SigningKey,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret.
        write!(f, "KeyPair({})", self.address())
    }
}

impl KeyPair {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> KeyPair {
        KeyPair { signing: SigningKey::generate(&mut rand::rngs::OsRng) }
    }

    /// The key for a 32-byte RFC 8032 seed (go-zenon's private key is seed ‖ public key).
    pub fn from_seed(seed: &[u8; 32]) -> KeyPair {
        KeyPair { signing: SigningKey::from_bytes(seed) }
    }

    /// The 32-byte seed. Handle with care.
    pub fn seed(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.signing.to_bytes())
    }

    /// The public key.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.signing.verifying_key().to_bytes())
    }

    /// The NoM user address of this key.
    pub fn address(&self) -> Address {
        self.public().address()
    }

    /// Signs the 32 bytes of `message`.
    pub fn sign(&self, message: &Hash) -> Signature {
        Signature(self.signing.sign(&message.0).to_bytes())
    }
}

/// Reading or writing a key file failed.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// The file could not be read or written.
    #[error("key file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file exists already; keys are never overwritten.
    #[error("key file {0} already exists; refusing to overwrite a key")]
    Exists(String),
    /// Other users may read the file.
    #[error("key file {path} is readable by other users (mode {mode:o}); run `chmod 600 {path}`")]
    Permissions {
        /// The file.
        path: String,
        /// Its permission bits.
        mode: u32,
    },
    /// The content is not a key file.
    #[error("key file {path} is malformed: {reason}")]
    Malformed {
        /// The file.
        path: String,
        /// What was wrong.
        reason: String,
    },
}

/// The JSON content of a key file.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFileContent {
    /// The NoM address, for people reading the file.
    address: String,
    /// The public key, hex.
    public_key: PublicKey,
    /// The 32-byte ed25519 seed, hex.
    secret_seed: String,
}

impl KeyPair {
    /// Writes the key to a new file readable only by its owner (mode 0600); never overwrites.
    pub fn write_file(&self, path: &Path) -> Result<(), KeyFileError> {
        use std::io::Write;
        let display = path.display().to_string();
        let content = KeyFileContent {
            address: self.address().to_string(),
            public_key: self.public(),
            secret_seed: hex::encode(*self.seed()),
        };
        let json = Zeroizing::new(serde_json::to_string_pretty(&content).expect("key file serializes"));
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| KeyFileError::Io { path: display.clone(), source })?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path).map_err(|source| match source.kind() {
            std::io::ErrorKind::AlreadyExists => KeyFileError::Exists(display.clone()),
            _ => KeyFileError::Io { path: display.clone(), source },
        })?;
        file.write_all(json.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|source| KeyFileError::Io { path: display, source })
    }

    /// Reads a key file written by [`KeyPair::write_file`], refusing files other users can read.
    pub fn read_file(path: &Path) -> Result<KeyPair, KeyFileError> {
        let display = path.display().to_string();
        let io = |source| KeyFileError::Io { path: display.clone(), source };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path).map_err(io)?.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(KeyFileError::Permissions { path: display, mode });
            }
        }
        let text = Zeroizing::new(std::fs::read_to_string(path).map_err(io)?);
        let malformed = |reason: String| KeyFileError::Malformed { path: display.clone(), reason };
        let content: KeyFileContent = serde_json::from_str(&text).map_err(|e| malformed(e.to_string()))?;
        let seed = Zeroizing::new(
            crate::bytes::parse_hex_array::<32>("secret seed", &content.secret_seed)
                .map_err(|e| malformed(e.to_string()))?,
        );
        let key = KeyPair::from_seed(&seed);
        if key.public() != content.public_key {
            return Err(malformed("public_key does not belong to secret_seed".into()));
        }
        Ok(key)
    }
}

/// Fixed keys for tests, benchmarks and golden vectors: the same key from the same number, everywhere.
pub mod fixtures {
    use super::KeyPair;

    /// Key `n`: seeded with 32 bytes of `n` (what the golden vectors are signed with).
    pub fn key(n: u8) -> KeyPair {
        KeyPair::from_seed(&[n; 32])
    }

    /// Key `i` of many (benchmarks' senders): seeded with SHA3-256 of `i`'s little-endian bytes.
    pub fn numbered_key(i: u64) -> KeyPair {
        KeyPair::from_seed(&crate::sha3_256(&i.to_le_bytes()).0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_agrees_with_one_by_one_and_names_the_bad_signature() {
        let keys: Vec<KeyPair> = (0u8..20).map(|i| KeyPair::from_seed(&[i; 32])).collect();
        let messages: Vec<Hash> = (0u8..20).map(|i| crate::sha3_256(&[i])).collect();
        let signed = |tamper: Option<usize>| {
            let mut batch = SignatureBatch::new();
            for (i, (key, msg)) in keys.iter().zip(&messages).enumerate() {
                let mut sig = key.sign(msg);
                if tamper == Some(i) {
                    sig.0[5] ^= 1;
                }
                assert_eq!(key.public().verify_rollup(msg, &sig).is_ok(), tamper != Some(i));
                batch.add(&key.public(), msg, &sig);
            }
            batch
        };
        assert_eq!(signed(None).verify(), Ok(()));
        assert_eq!(SignatureBatch::new().verify(), Ok(()));
        for bad in [0, 7, 19] {
            assert_eq!(signed(Some(bad)).verify(), Err((bad, SignatureError::Mismatch(keys[bad].public()))));
        }
        // A key that is not a curve point fails the batch and is named.
        let mut batch = signed(None);
        let bogus = PublicKey([0xff; 32]);
        batch.add(&bogus, &messages[0], &keys[0].sign(&messages[0]));
        let (position, error) = batch.verify().unwrap_err();
        assert_eq!(position, 20);
        assert!(matches!(error, SignatureError::BadKey(_) | SignatureError::Mismatch(_)));
    }

    #[test]
    fn sign_and_verify() {
        let key = KeyPair::from_seed(&[7; 32]);
        let msg = crate::sha3_256(b"hello");
        let sig = key.sign(&msg);
        assert_eq!(key.public().verify(&msg, &sig), Ok(()));
        let other = crate::sha3_256(b"other");
        assert_eq!(key.public().verify(&other, &sig), Err(SignatureError::Mismatch(key.public())));
    }

    #[test]
    fn key_file_round_trip_and_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.json");
        let key = KeyPair::generate();
        key.write_file(&path).unwrap();
        assert_eq!(KeyPair::read_file(&path).unwrap().public(), key.public());
        assert!(matches!(key.write_file(&path), Err(KeyFileError::Exists(_))));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            let err = KeyPair::read_file(&path).unwrap_err().to_string();
            assert!(err.contains("readable by other users"), "{err}");
        }
    }

    #[test]
    fn malformed_key_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.json");
        std::fs::write(&path, "{}").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let err = KeyPair::read_file(&path).unwrap_err().to_string();
        assert!(err.contains("malformed"), "{err}");
    }
}
