//! Nothing here: the tests are in tests/, against {{name}}.wasm (run ../build.sh first).
