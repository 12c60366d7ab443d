//! NoM token standards: 10 bytes, bech32 with HRP `zts`.

/// The human-readable part of token standards.
pub const TOKEN_HRP: &str = "zts";

/// A 10-byte NoM token standard (ZTS).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, bincode::Encode, bincode::Decode)]
pub struct TokenStandard(pub [u8; 10]);

impl TokenStandard {
    /// ZNN, `zts1znnxxxxxxxxxxxxx9z4ulx`.
    pub const ZNN: TokenStandard = TokenStandard([0x14, 0xe6, 0x63, 0x18, 0xc6, 0x31, 0x8c, 0x63, 0x18, 0xc6]);
    /// QSR, `zts1qsrxxxxxxxxxxxxxmrhjll`.
    pub const QSR: TokenStandard = TokenStandard([0x04, 0x06, 0x63, 0x18, 0xc6, 0x31, 0x8c, 0x63, 0x18, 0xc6]);
    /// The zero token standard, used where a block moves no token.
    pub const ZERO: TokenStandard = TokenStandard([0; 10]);

    /// Decimals of ZNN and QSR.
    pub const DECIMALS: u32 = 8;

    /// The symbol of ZNN and QSR, `None` for other tokens.
    pub fn symbol(&self) -> Option<&'static str> {
        match *self {
            TokenStandard::ZNN => Some("ZNN"),
            TokenStandard::QSR => Some("QSR"),
            _ => None,
        }
    }
}

crate::address::bech32_text!(TokenStandard, 10, "token standard", TOKEN_HRP);
