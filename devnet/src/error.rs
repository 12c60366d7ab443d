//! Devnet errors.

/// A block was refused by `publishRawTransaction`; the message is go-zenon's where one exists.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PublishError(pub String);

impl PublishError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        PublishError(message.into())
    }
}

/// The devnet could not start or its storage failed.
#[derive(Debug, thiserror::Error)]
pub enum DevnetError {
    /// The chain database failed.
    #[error("chain database: {0}")]
    Store(String),
    /// The genesis is missing, invalid or does not match the stored chain.
    #[error("genesis: {0}")]
    Genesis(String),
    /// A pillar key is missing or not a genesis pillar.
    #[error("pillar keys: {0}")]
    PillarKeys(String),
    /// A listener could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: std::net::SocketAddr,
        /// The error.
        source: std::io::Error,
    },
}

zr_common::from_errors!(DevnetError => |err| DevnetError::Store(err.to_string());
    redb::Error, redb::DatabaseError, redb::TransactionError, redb::TableError, redb::StorageError, redb::CommitError,
    zr_common::CodecError);
