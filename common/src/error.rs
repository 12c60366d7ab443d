//! Errors for parsing text forms (hex, bech32, key material), and [`from_errors!`] for the stores' error types.

/// A value given as text could not be parsed; the message names what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Not valid hexadecimal.
    #[error("invalid hex in {what}: {reason}")]
    Hex {
        /// What was being parsed.
        what: &'static str,
        /// Why it failed.
        reason: String,
    },
    /// Decoded to the wrong number of bytes.
    #[error("{what} must be {expected} bytes, got {actual}")]
    Length {
        /// What was being parsed.
        what: &'static str,
        /// The required length.
        expected: usize,
        /// The length found.
        actual: usize,
    },
    /// Not a valid bech32 (BIP-173) string.
    #[error("invalid bech32 {what}: {reason}")]
    Bech32 {
        /// What was being parsed.
        what: &'static str,
        /// Why it failed.
        reason: String,
    },
    /// A bech32 string with the wrong human-readable part.
    #[error("{what} must start with `{expected}1`, got prefix `{actual}`")]
    Hrp {
        /// What was being parsed.
        what: &'static str,
        /// The prefix required.
        expected: &'static str,
        /// The prefix found.
        actual: String,
    },
    /// Anything else, with a message.
    #[error("invalid {what}: {reason}")]
    Invalid {
        /// What was being parsed.
        what: &'static str,
        /// Why it failed.
        reason: String,
    },
}

/// `From` each listed source error for `$error`, each converted by `$convert` (given the source as `$err`):
/// the store errors of the daemons take the several error types of their database this way.
#[macro_export]
macro_rules! from_errors {
    ($error:ty => |$err:ident| $convert:expr; $($source:ty),+ $(,)?) => {$(
        impl From<$source> for $error {
            fn from($err: $source) -> Self {
                $convert
            }
        }
    )+};
}
