//! Hard size limits on rollup objects: untrusted input larger than these is rejected before decoding.

/// One NoM account block's data, and so one compressed bundle on L1.
pub const MAX_L1_DATA: usize = crate::nom::MAX_DATA_LEN;
/// A transaction's canonical encoding.
pub const MAX_TX_LEN: usize = 16 * 1024;
/// Bytes of contract code in one upload chunk (a chunk and its bundle must fit one account block).
pub const MAX_CODE_CHUNK_LEN: usize = 15 * 1024;
/// A whole contract's code.
pub const MAX_CODE_LEN: usize = 1024 * 1024;
/// Chunks of one upload: enough for [`MAX_CODE_LEN`] in the smallest useful chunks of 1 KiB.
pub const MAX_CODE_CHUNKS: u32 = 1024;
/// A contract method name.
pub const MAX_METHOD_LEN: usize = 64;
/// Call and deploy input.
pub const MAX_INPUT_LEN: usize = 8 * 1024;
/// A bundle's canonical encoding after decompression (the decompression-bomb cap).
pub const MAX_BUNDLE_LEN: usize = 1024 * 1024;
/// Transactions in one bundle (a 16 KiB account block holds about 160 distinct ones; the cap stops a
/// compressible bundle of copies from buying thousands of signature checks).
pub const MAX_BUNDLE_TXS: usize = 512;
/// A receipt's canonical encoding.
pub const MAX_RECEIPT_LEN: usize = 256 * 1024;
/// A claim's canonical encoding.
pub const MAX_CLAIM_LEN: usize = 512;

/// Transactions one momentum orders at most (the rest of what it carries is not in it): a claim then has at
/// most 16 384 leaves, whose 1.97 MB always fit the 128 parts of a data-availability answer.
pub const MAX_MOMENTUM_TRANSACTIONS: usize = 16_383;
