//! `include/zr_ffi.h` against the library: every exported function is declared with as many parameters, and
//! every constant has the library's value. A function added, removed or changed on one side fails here.

use std::collections::BTreeMap;

const HEADER: &str = include_str!("../../include/zr_ffi.h");
const LIBRARY: &str = include_str!("../../src/lib.rs");

/// Function name → parameter count, from C declarations `type name(params);` (over several lines).
fn header_functions() -> BTreeMap<String, usize> {
    let flat = HEADER.split("*/").map(|part| part.split("/*").next().unwrap_or("")).collect::<String>();
    flat.split(';')
        .filter_map(|decl| {
            let decl = decl.trim();
            let open = decl.find('(')?;
            let name = decl[..open].split_whitespace().last()?.trim_start_matches('*');
            let close = decl.rfind(')')?;
            name.starts_with("zr_").then(|| (name.to_owned(), params(&decl[open + 1..close])))
        })
        .collect()
}

/// Function name → parameter count, from the library's `extern "C" fn name(params)`.
fn library_functions() -> BTreeMap<String, usize> {
    LIBRARY
        .split("extern \"C\" fn ")
        .skip(1)
        .map(|rest| {
            let open = rest.find('(').unwrap();
            let close = [rest.find(") ->"), rest.find(") {")].into_iter().flatten().min().unwrap();
            (rest[..open].to_owned(), params(&rest[open + 1..close]))
        })
        .collect()
}

fn params(list: &str) -> usize {
    let list = list.trim();
    if list.is_empty() || list == "void" { 0 } else { list.split(',').filter(|p| !p.trim().is_empty()).count() }
}

#[test]
fn the_header_declares_every_function_of_the_library() {
    let declared = header_functions();
    assert_eq!(declared, library_functions());
    assert_eq!(declared.len(), 7, "{declared:?}");
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
    ]
    .into();
    assert_eq!(defines, library);
}
