//! `zr-relay`: takes signed rollup transactions over a public JSON-RPC and posts them in bundles to NoM.

fn main() {
    zr_relay::cli::main();
}
