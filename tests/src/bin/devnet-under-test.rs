//! The real `zr-devnet` command line, built in this crate so end-to-end tests can run it as a child process
//! and kill it.

fn main() {
    zr_devnet::cli::main();
}
