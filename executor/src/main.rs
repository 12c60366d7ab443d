//! `zr-executor`: follows NoM momentums, executes the rollup's transactions, serves queries, posts claims.

fn main() {
    zr_executor::cli::main();
}
