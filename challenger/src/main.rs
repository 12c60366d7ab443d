//! `zr-challenge`: see [`zr_challenger::cli`].

fn main() {
    zr_challenger::cli::main();
}
