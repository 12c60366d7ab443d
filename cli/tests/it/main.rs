//! Runs the real `zr` binary as a user would.

mod key;
mod rollup;
mod up;
