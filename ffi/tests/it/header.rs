//! `include/zr_ffi.h` against the library: every exported function is declared with the C types of its Rust
//! signature (return and parameter types, in order), and every constant has the library's value. A function
//! added, removed or changed on one side fails here.

use std::collections::BTreeMap;

const HEADER: &str = include_str!("../../include/zr_ffi.h");
const LIBRARY: &str = include_str!("../../src/lib.rs");

/// A function's types: the return type, then each parameter's, as C spells them (names dropped, spaces
/// normalised).
type Signature = Vec<String>;

/// Function name → signature, from C declarations `type name(params);` (over several lines).
fn header_functions() -> BTreeMap<String, Signature> {
    let flat = HEADER.split("*/").map(|part| part.split("/*").next().unwrap_or("")).collect::<String>();
    flat.split(';')
        .filter_map(|decl| {
            let decl = decl.trim();
            let open = decl.find('(')?;
            let close = decl.rfind(')')?;
            let (returns, name) = split_name(decl[..open].lines().last()?)?;
            let list = decl[open + 1..close].trim();
            let params = if list == "void" {
                Vec::new()
            } else {
                list.split(',').filter_map(|p| Some(split_name(p)?.0)).collect()
            };
            name.starts_with("zr_").then(|| (name, [vec![returns], params].concat()))
        })
        .collect()
}

/// `type name` → (type, name), with a `*` kept on the type's side.
fn split_name(declaration: &str) -> Option<(String, String)> {
    let words: Vec<&str> = declaration.split_whitespace().collect();
    let (name, kind) = words.split_last()?;
    let stars = name.chars().take_while(|c| *c == '*').count();
    let kind = [kind.join(" "), "*".repeat(stars)].join(" ").trim().replace(" *", "*");
    Some((kind, name[stars..].to_owned()))
}

/// Function name → signature in C types, from the library's `extern "C" fn name(params) -> ret`.
fn library_functions() -> BTreeMap<String, Signature> {
    LIBRARY
        .split("extern \"C\" fn ")
        .skip(1)
        .map(|rest| {
            let open = rest.find('(').unwrap();
            let close = [rest.find(") ->"), rest.find(") {")].into_iter().flatten().min().unwrap();
            let after = &rest[close + 1..rest.find('{').unwrap()];
            let returns = after.trim().strip_prefix("->").map_or("void".to_owned(), |t| c_type(t.trim()));
            let params = rest[open + 1..close]
                .split(',')
                .filter(|p| !p.trim().is_empty())
                .map(|p| c_type(p.split_once(':').unwrap().1.trim()));
            (rest[..open].to_owned(), std::iter::once(returns).chain(params).collect())
        })
        .collect()
}

/// The C type a Rust FFI type is declared as.
fn c_type(rust: &str) -> String {
    let c = match rust {
        "u8" => "uint8_t",
        "u32" => "uint32_t",
        "u64" => "uint64_t",
        "i32" => "int32_t",
        "usize" => "size_t",
        "*const u8" => "const uint8_t*",
        "*mut u8" => "uint8_t*",
        "*mut ZrBytes" => "zr_bytes*",
        "ZrBytes" => "zr_bytes",
        other => panic!("no C type for {other}: add it here and to the header"),
    };
    c.to_owned()
}

#[test]
fn the_header_declares_every_function_of_the_library_with_its_types() {
    let declared = header_functions();
    assert_eq!(declared, library_functions());
    assert_eq!(declared.len(), 10, "{declared:?}");
    assert_eq!(
        declared["zr_verify_withdrawal"],
        ["int32_t", "const uint8_t*", "const uint8_t*", "size_t", "zr_bytes*"]
    );
}

#[test]
fn the_headers_constants_are_the_librarys() {
    let defines: BTreeMap<&str, i64> = HEADER
        .lines()
        .filter_map(|line| {
            let mut words = line.strip_prefix("#define ")?.split_whitespace();
            let name = words.next()?;
            let value = words.next()?.trim_matches(|c| c == '(' || c == ')').parse().ok()?;
            Some((name, value))
        })
        .collect();
    let library: BTreeMap<&str, i64> = [
        ("ZR_ABI_VERSION", i64::from(zr_ffi::ZR_ABI_VERSION)),
        ("ZR_OK", i64::from(zr_ffi::ZR_OK)),
        ("ZR_REFUSED", i64::from(zr_ffi::ZR_REFUSED)),
        ("ZR_ERR_NULL", i64::from(zr_ffi::ZR_ERR_NULL)),
        ("ZR_ERR_TOO_LARGE", i64::from(zr_ffi::ZR_ERR_TOO_LARGE)),
        ("ZR_ERR_DECODE", i64::from(zr_ffi::ZR_ERR_DECODE)),
        ("ZR_ERR_PANIC", i64::from(zr_ffi::ZR_ERR_PANIC)),
        ("ZR_ERR_VM", i64::from(zr_ffi::ZR_ERR_VM)),
        ("ZR_MAX_INPUT_LEN", zr_ffi::MAX_INPUT_LEN as i64),
        ("ZR_MAX_STORED_LEN", zr_ffi::MAX_STORED_LEN as i64),
        ("ZR_MAX_REQUEST_LEN", zr_ffi::MAX_REQUEST_LEN as i64),
    ]
    .into();
    assert_eq!(defines, library);
}
