//! `zr-devnet`: runs the embedded NoM devnet until interrupted.

fn main() {
    zr_devnet::cli::main();
}
