//! Every vector in `common/vectors/nom.json` (taken from go-zenon), byte for byte.

use serde_json::Value;
use zr_common::nom::{AccountBlock, AccountHeader, Momentum, pow};
use zr_common::{Address, Hash, KeyPair, PublicKey, TokenStandard, mnemonic, sha3_256};

fn vectors() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/vectors/nom.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The `vectors` list of the `section` (at least `at_least` of them).
fn vector_list(section: &str, at_least: usize) -> Vec<Value> {
    let list = vectors()[section]["vectors"].as_array().unwrap().clone();
    assert!(list.len() >= at_least, "{section}: {} vectors", list.len());
    list
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap()
}

#[test]
fn sha3_of_empty() {
    let v = &vectors()["sha3_256_empty"];
    assert_eq!(sha3_256(&[]).to_hex(), s(&v["sha3_256"]));
}

#[test]
fn key_derivation() {
    for vector in &vector_list("key_derivation", 5) {
        let index: u32 = s(&vector["path"])
            .trim_end_matches('\'')
            .rsplit('/')
            .next()
            .unwrap()
            .trim_end_matches('\'')
            .parse()
            .unwrap();
        let key = if let Some(phrase) = vector["mnemonic"].as_str() {
            let seed = mnemonic::bip39_seed(phrase, "").unwrap();
            assert_eq!(hex::encode(&seed[..]), s(&vector["bip39_seed_hex"]));
            mnemonic::nom_key_from_mnemonic(phrase, index).unwrap()
        } else {
            let seed = hex::decode(s(&vector["slip10_seed_hex"])).unwrap();
            mnemonic::nom_key_from_seed(&seed, index)
        };
        let name = s(&vector["name"]);
        assert_eq!(hex::encode(*key.seed()), s(&vector["private_seed_hex"]), "{name}");
        assert_eq!(key.public().to_hex(), s(&vector["public_key_hex"]), "{name}");
        assert_eq!(key.address().to_string(), s(&vector["address"]), "{name}");
        assert_eq!(hex::encode(key.address().0), s(&vector["address_hex"]), "{name}");
    }
}

#[test]
fn public_key_to_address() {
    for vector in vectors()["pubkey_to_address"]["vectors"].as_array().unwrap() {
        let key = hex::decode(s(&vector["public_key_hex"])).unwrap();
        let address = Address::from_public_key(&key);
        assert_eq!(hex::encode(address.0), s(&vector["address_hex"]));
        assert_eq!(address.to_string(), s(&vector["address"]));
        assert_eq!(s(&vector["address"]).parse::<Address>().unwrap(), address);
    }
}

#[test]
fn invalid_addresses_are_rejected() {
    let v = vectors();
    for text in v["address_parse_invalid"]["vectors"].as_array().unwrap() {
        assert!(s(text).parse::<Address>().is_err(), "{text} parsed");
    }
    assert!(s(&v["address_parse_invalid"]["valid_user_address"]).parse::<Address>().is_ok());
}

#[test]
fn embedded_contract_addresses() {
    let v = vectors();
    let section = &v["embedded_contracts"];
    let mut all: Vec<&Value> = section["vectors"].as_array().unwrap().iter().collect();
    all.push(&section["zero_address"]);
    all.push(&section["mainnet_spork_address"]);
    for vector in all {
        let address: Address = s(&vector["address"]).parse().unwrap();
        assert_eq!(hex::encode(address.0), s(&vector["address_hex"]));
        assert_eq!(address.to_string(), s(&vector["address"]));
    }
}

#[test]
fn token_standards() {
    for vector in vectors()["token_standards"]["vectors"].as_array().unwrap() {
        let zts: TokenStandard = s(&vector["zts"]).parse().unwrap();
        assert_eq!(hex::encode(zts.0), s(&vector["hex"]));
        assert_eq!(zts.to_string(), s(&vector["zts"]));
    }
    assert_eq!(TokenStandard::ZNN.to_string(), "zts1znnxxxxxxxxxxxxx9z4ulx");
    assert_eq!(TokenStandard::QSR.to_string(), "zts1qsrxxxxxxxxxxxxxmrhjll");
}

#[test]
fn account_block_hashes_and_signatures() {
    for vector in &vector_list("account_block_hash", 3) {
        let block: AccountBlock = serde_json::from_value(vector["block"].clone()).unwrap();
        assert_eq!(hex::encode(block.hash_preimage()), s(&vector["preimage_hex"]));
        assert_eq!(block.hash_preimage().len(), 306);
        let hash = block.compute_hash();
        assert_eq!(hash.to_hex(), s(&vector["hash"]));
        if let Some(sig) = vector["signature_b64"].as_str() {
            let json = serde_json::json!({ "publicKey": vector["public_key_b64"], "signature": sig });
            let mut signed = block.clone();
            let keys: AccountBlock = serde_json::from_value(merge(vector["block"].clone(), json)).unwrap();
            signed.public_key = keys.public_key;
            signed.signature = keys.signature;
            let key = signed.signer().unwrap();
            key.verify(&hash, &signed.signature().unwrap()).unwrap();
            assert_eq!(key.address(), block.address, "publicKey derives the address");
            assert_eq!(hex::encode(&signed.signature), s(&vector["signature_hex"]));
        }
    }
}

#[test]
fn mock_chain_signature_is_reproduced() {
    // User1 of go-zenon's mock genesis signs the first vector; ed25519 is deterministic.
    let v = vectors();
    let user1 = v["key_derivation"]["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "User1")
        .expect("User1 key vector");
    let key = KeyPair::from_seed(&hex::decode(s(&user1["private_seed_hex"])).unwrap().try_into().unwrap());
    let vector = &v["account_block_hash"]["vectors"][0];
    let mut block: AccountBlock = serde_json::from_value(vector["block"].clone()).unwrap();
    block.sign(&key);
    assert_eq!(hex::encode(&block.signature), s(&vector["signature_hex"]));
}

fn merge(mut base: Value, extra: Value) -> Value {
    for (k, v) in extra.as_object().unwrap() {
        base[k] = v.clone();
    }
    base
}

#[test]
fn mainnet_genesis_momentum() {
    let v = vectors();
    let vector = &v["momentum_hash"]["vectors"][0];
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/vectors/nom_genesis_content.txt");
    let content: Vec<AccountHeader> = std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| {
            let raw = hex::decode(line).unwrap();
            AccountHeader {
                address: Address::from_slice(&raw[..20]).unwrap(),
                height: u64::from_be_bytes(raw[20..28].try_into().unwrap()),
                hash: Hash::from_slice(&raw[28..]).unwrap(),
            }
        })
        .collect();
    assert_eq!(content.len() as u64, vector["content_count"].as_u64().unwrap());
    assert_eq!(Momentum::content_hash(&content).to_hex(), s(&vector["content_hash"]));
    // Content order must not matter: the hash sorts.
    let mut reversed = content.clone();
    reversed.reverse();
    assert_eq!(Momentum::content_hash(&reversed).to_hex(), s(&vector["content_hash"]));
    let data = s(&vector["data_utf8"]).as_bytes().to_vec();
    assert_eq!(sha3_256(&data).to_hex(), s(&vector["data_hash"]));
    let momentum = Momentum {
        version: vector["version"].as_u64().unwrap(),
        chain_identifier: vector["chainIdentifier"].as_u64().unwrap(),
        hash: Hash::ZERO,
        previous_hash: s(&vector["previousHash"]).parse().unwrap(),
        height: vector["height"].as_u64().unwrap(),
        timestamp: vector["timestamp"].as_u64().unwrap(),
        data,
        content,
        changes_hash: s(&vector["changesHash"]).parse().unwrap(),
        public_key: vec![],
        signature: vec![],
    };
    assert_eq!(momentum.compute_hash().to_hex(), s(&vector["hash"]));
}

#[test]
fn pow_vectors() {
    for vector in vectors()["pow"]["vectors"].as_array().unwrap() {
        let data_hash: Hash = s(&vector["data_hash"]).parse().unwrap();
        if let Some(address) = vector["address_hex"].as_str() {
            let address = Address::from_slice(&hex::decode(address).unwrap()).unwrap();
            let previous: Hash = s(&vector["previous_hash"]).parse().unwrap();
            assert_eq!(pow::data_hash(&address, &previous), data_hash);
            continue;
        }
        let difficulty = vector["difficulty"].as_u64().unwrap();
        let nonce: [u8; 8] = hex::decode(s(&vector["nonce"])).unwrap().try_into().unwrap();
        assert_eq!(pow::check(&nonce, &data_hash, difficulty), vector["valid"].as_bool().unwrap(), "{vector}");
        if let Some(value) = vector["value"].as_str() {
            assert_eq!(pow::value(&nonce, &data_hash).to_string(), value);
        }
        if let Some(threshold) = vector["threshold"].as_str() {
            assert_eq!(pow::threshold(difficulty).to_string(), threshold);
        }
    }
}

#[test]
fn pow_generate_finds_the_first_nonce() {
    // znn-sdk's generate(start_nonce=0) found 5492050000000000 for difficulty 315000.
    let data_hash: Hash = "5b52014cd1d1fad1e7528f1450847f56341728bc59316d35ac6582904d659ff6".parse().unwrap();
    assert_eq!(hex::encode(pow::generate(&data_hash, 315_000)), "5492050000000000");
}

#[test]
fn account_block_json_round_trip() {
    let v = vectors();
    let block: AccountBlock = serde_json::from_value(v["account_block_hash"]["vectors"][0]["block"].clone()).unwrap();
    let json = serde_json::to_value(&block).unwrap();
    assert_eq!(json["amount"], "10000000000");
    assert_eq!(json["nonce"], "0000000000000000");
    assert_eq!(json["data"], "");
    let back: AccountBlock = serde_json::from_value(json).unwrap();
    assert_eq!(back, block);
    let _: PublicKey = "3e13d7238d0e768a567dce84b54915f2323f2dcd0ef9a716d9c61abed631ba10".parse().unwrap();
}
