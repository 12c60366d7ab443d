//! `zr key …` end to end.

use std::process::{Command, Output, Stdio};

fn zr(home: &std::path::Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zr"));
    cmd.args(args)
        .env("ZR_HOME", home)
        .env_remove("ZR_KEY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    if let Some(text) = stdin {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    } else {
        drop(child.stdin.take());
    }
    child.wait_with_output().unwrap()
}

fn json(out: &Output) -> serde_json::Value {
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn new_then_show_prints_the_same_nom_address() {
    let home = tempfile::tempdir().unwrap();
    let created = json(&zr(home.path(), &["key", "new", "--json"], None));
    let shown = json(&zr(home.path(), &["key", "show", "--json"], None));
    assert_eq!(created["address"], shown["address"]);
    let address = shown["address"].as_str().unwrap();
    assert!(address.starts_with("z1") && address.len() == 40, "{address}");
    // The address is go-zenon's derivation of the public key.
    let public: zr_common::PublicKey = shown["publicKey"].as_str().unwrap().parse().unwrap();
    assert_eq!(public.address().to_string(), address);
    let human = zr(home.path(), &["key", "show"], None);
    assert!(String::from_utf8_lossy(&human.stdout).contains(address));
}

#[test]
fn new_refuses_to_overwrite() {
    let home = tempfile::tempdir().unwrap();
    assert!(zr(home.path(), &["key", "new"], None).status.success());
    let again = zr(home.path(), &["key", "new"], None);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
}

#[test]
fn import_mnemonic_gives_the_nom_wallet_address() {
    let home = tempfile::tempdir().unwrap();
    let phrase = "route become dream access impulse price inform obtain engage ski believe awful absent pig thing vibrant possible exotic flee pepper marble rural fire fancy";
    let out = json(&zr(home.path(), &["key", "import", "--json"], Some(phrase)));
    assert_eq!(out["address"], "z1qqjnwjjpnue8xmmpanz6csze6tcmtzzdtfsww7");
    let key1 = home.path().join("one.json");
    let out = json(&zr(
        home.path(),
        &["key", "import", "--mnemonic", phrase, "--index", "1", "--key", key1.to_str().unwrap(), "--json"],
        None,
    ));
    assert_eq!(out["address"], "z1qr44l6ajstm5gfrvwtsrfg446y6mcv8r60v090");
}

#[test]
fn errors_are_clear_and_exit_non_zero() {
    let home = tempfile::tempdir().unwrap();
    let missing = zr(home.path(), &["key", "show"], None);
    assert_eq!(missing.status.code(), Some(1));
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(err.contains("cannot load the key") && err.contains("No such file"), "{err}");
    let bad = zr(home.path(), &["key", "import", "--mnemonic", "not a real phrase"], None);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("invalid mnemonic"));
}
