//! Runs the real `zr` binary as a user would.

mod contracts;
mod key;
mod rollup;
mod up;
mod znnd;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// Starts `zr up --json` on the devnet with `ZR_HOME` at `home`, every port chosen by the system and a momentum
/// every `momentum_ms`; returns the process and the endpoints line it printed.
pub fn start_up(home: &Path, momentum_ms: u64) -> (Child, serde_json::Value) {
    start_up_with(home, &["--momentum-interval-ms", &momentum_ms.to_string()])
}

/// Starts `zr up --json` with `ZR_HOME` at `home`, every port chosen by the system, and `args`.
pub fn start_up_with(home: &Path, args: &[&str]) -> (Child, serde_json::Value) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_zr"))
        .args(["up", "--json", "--http-listen", "127.0.0.1:0", "--ws-listen", "127.0.0.1:0"])
        .args(["--ops-listen", "127.0.0.1:0", "--rpc-listen", "127.0.0.1:0", "--executor-ops-listen", "127.0.0.1:0"])
        .args(["--relay-listen", "127.0.0.1:0", "--relay-ops-listen", "127.0.0.1:0"])
        .args(args)
        .env("ZR_HOME", home)
        .env("ZR_LOG", "warn")
        .env_remove("ZR_KEY")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let info = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
    // What it prints later (its watching challenger's findings) is shown, as a terminal would: a closed pipe
    // would fail its prints.
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            println!("zr up: {line}");
        }
    });
    (child, info)
}
