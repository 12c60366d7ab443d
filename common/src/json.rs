//! serde helpers for NoM's JSON conventions: base64 bytes, decimal-string amounts, hex nonces.

/// `Vec<u8>` as standard base64 with padding (go-zenon's `[]byte` JSON); `null` reads as empty.
pub mod base64_bytes {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serializes bytes as base64.
    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    /// Deserializes base64 (or `null`) into bytes.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = Option::<std::borrow::Cow<'de, str>>::deserialize(d)?;
        match text {
            None => Ok(Vec::new()),
            Some(text) => {
                STANDARD.decode(text.as_bytes()).map_err(|e| serde::de::Error::custom(format!("invalid base64: {e}")))
            }
        }
    }
}

/// `u128` amounts as decimal strings (go-zenon's `*big.Int`); `null` reads as zero.
pub mod decimal_amount {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serializes an amount as a decimal string.
    pub fn serialize<S: Serializer>(amount: &u128, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(amount)
    }

    /// Deserializes a decimal string (or `null`) into an amount.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
        let text = Option::<std::borrow::Cow<'de, str>>::deserialize(d)?;
        match text {
            None => Ok(0),
            Some(text) => {
                text.parse::<u128>().map_err(|e| serde::de::Error::custom(format!("invalid amount {text:?}: {e}")))
            }
        }
    }
}

/// An optional amount as a decimal string, or `null`.
pub mod opt_decimal_amount {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serializes an amount as a decimal string, `None` as `null`.
    pub fn serialize<S: Serializer>(amount: &Option<u128>, s: S) -> Result<S::Ok, S::Error> {
        match amount {
            Some(amount) => s.collect_str(amount),
            None => s.serialize_none(),
        }
    }

    /// Deserializes a decimal string or `null`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u128>, D::Error> {
        let text = Option::<std::borrow::Cow<'de, str>>::deserialize(d)?;
        text.map(|text| {
            text.parse::<u128>().map_err(|e| serde::de::Error::custom(format!("invalid amount {text:?}: {e}")))
        })
        .transpose()
    }
}

/// An 8-byte nonce as 16 hex characters.
pub mod hex_nonce {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serializes the nonce as hex.
    pub fn serialize<S: Serializer>(nonce: &[u8; 8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(nonce))
    }

    /// Deserializes 16 hex characters (or `null`/empty for zero) into a nonce.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 8], D::Error> {
        let text = Option::<std::borrow::Cow<'de, str>>::deserialize(d)?.unwrap_or_default();
        if text.is_empty() {
            return Ok([0; 8]);
        }
        crate::bytes::parse_hex_array::<8>("nonce", &text).map_err(serde::de::Error::custom)
    }
}

/// `Vec<u8>` as lowercase hex (rollup JSON-RPC byte fields).
pub mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serializes bytes as hex.
    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(bytes))
    }

    /// Deserializes hex (an optional `0x` prefix is accepted) into bytes.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        crate::bytes::parse_hex("bytes", &text).map_err(serde::de::Error::custom)
    }
}

/// Optional bytes as lowercase hex (`null` for none).
pub mod opt_hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serializes.
    pub fn serialize<S: Serializer>(bytes: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(bytes) => s.serialize_some(&hex::encode(bytes)),
            None => s.serialize_none(),
        }
    }

    /// Deserializes.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        match Option::<String>::deserialize(d)? {
            Some(text) => hex::decode(text.trim_start_matches("0x")).map(Some).map_err(serde::de::Error::custom),
            None => Ok(None),
        }
    }
}
