//! A C program built with the system's C compiler against `include/zr_ffi.h` and `libzr_ffi.a`, as cgo builds
//! go-zenon: the declarations link, and calls from C with bad pointers get error codes.

use std::path::PathBuf;
use std::process::Command;

const PROGRAM: &str = r#"
#include <stdio.h>
#include <string.h>
#include "zr_ffi.h"

int main(void) {
    if (zr_abi_version() != ZR_ABI_VERSION) return 10;
    uint8_t version[32];
    if (zr_vm_version(version) != ZR_OK) return 11;
    if (zr_vm_version(NULL) != ZR_ERR_NULL) return 12;
    zr_bytes out = {NULL, 0};
    uint8_t bond[1] = {4};
    if (zr_decode_payload(bond, 1, &out) != ZR_OK) return 13;
    if (out.len != strlen("{\"kind\":\"bond\"}") || memcmp(out.ptr, "{\"kind\":\"bond\"}", out.len) != 0) return 14;
    zr_bytes_free(out);
    if (zr_decode_payload(NULL, 5, &out) != ZR_ERR_NULL) return 15;
    zr_bytes_free(out);
    if (zr_decode_payload((const uint8_t *)1, (size_t)ZR_MAX_INPUT_LEN + 1, &out) != ZR_ERR_TOO_LARGE) return 16;
    zr_bytes_free(out);
    if (zr_judge(NULL, 0, NULL, 0, NULL, 0, NULL, 0, NULL) != ZR_ERR_NULL) return 17;
    for (int i = 0; i < 32; i++) printf("%02x", version[i]);
    printf("\n");
    return 0;
}
"#;

/// `libzr_ffi.a`, built now beside this test's binary (`target/<profile>/deps/it-…` → `target/<profile>/`):
/// `cargo test` builds the crate's rlib only, so a library left by an earlier build could be stale.
fn static_library() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile = exe.parent().and_then(|deps| deps.parent()).unwrap();
    let target = profile.parent().unwrap();
    let mut build = Command::new(env!("CARGO"));
    build.args(["build", "--quiet", "-p", "zr-ffi", "--lib"]).env("CARGO_TARGET_DIR", target);
    if profile.file_name().is_some_and(|name| name == "release") {
        build.arg("--release");
    }
    let built = build.current_dir(env!("CARGO_MANIFEST_DIR")).output().expect("cargo");
    assert!(built.status.success(), "cargo build -p zr-ffi: {}", String::from_utf8_lossy(&built.stderr));
    profile.join("libzr_ffi.a")
}

#[test]
fn a_c_program_links_the_static_library_and_calls_it() {
    let library = static_library();
    assert!(library.is_file(), "{} is built with the crate (crate-type staticlib)", library.display());
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("main.c");
    std::fs::write(&source, PROGRAM).unwrap();
    let binary = dir.path().join("main");
    let include = concat!(env!("CARGO_MANIFEST_DIR"), "/include");
    let built = Command::new("cc")
        .args(["-std=c99", "-Wall", "-Werror", "-I", include, "-o"])
        .arg(&binary)
        .arg(&source)
        .arg(&library)
        .args(["-lpthread", "-ldl", "-lm"])
        .output()
        .expect("a C compiler (cc)");
    assert!(built.status.success(), "cc: {}", String::from_utf8_lossy(&built.stderr));
    let ran = Command::new(&binary).output().unwrap();
    assert_eq!(ran.status.code(), Some(0), "{}", String::from_utf8_lossy(&ran.stderr));
    assert_eq!(String::from_utf8(ran.stdout).unwrap().trim(), zr_protocol::gas::vm_version().to_hex());
}
