//! The real `zr-challenge` command line, built in this crate so end-to-end tests can run it.

fn main() {
    zr_challenger::cli::main();
}
