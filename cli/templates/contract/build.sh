#!/usr/bin/env bash
# Builds {{name}}.wasm with Debian's rustc 1.63 for wasm32-unknown-unknown (apt-get install -y rustc cargo
# libstd-rust-dev-wasm32). The same compiler and flags give the same bytes on any machine.
set -euo pipefail
cd "$(dirname "$0")"
RUSTC_BIN=${RUSTC_BIN:-/usr/bin/rustc}
CARGO_BIN=${CARGO_BIN:-/usr/bin/cargo}
for tool in "$RUSTC_BIN" "$CARGO_BIN"; do
  if [ ! -x "$tool" ]; then
    echo "$tool is missing or not executable: Debian's rustc and cargo are needed" \
      "(apt-get install -y rustc cargo libstd-rust-dev-wasm32)" >&2
    exit 1
  fi
done
target_dir=${CONTRACT_TARGET_DIR:-$(pwd)/target}
export RUSTFLAGS="--remap-path-prefix=$(pwd)=/contract --remap-path-prefix=$HOME=/home -C link-arg=-s -C link-arg=-zstack-size=32768"
RUSTC="$RUSTC_BIN" CARGO_TARGET_DIR="$target_dir" "$CARGO_BIN" build --release --offline --target wasm32-unknown-unknown
cp "$target_dir/wasm32-unknown-unknown/release/{{crate}}.wasm" {{name}}.wasm
echo "built {{name}}.wasm ($(wc -c < {{name}}.wasm) bytes)"
