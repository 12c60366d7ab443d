#!/usr/bin/env bash
# Rebuilds the example contracts into contracts/wasm/ with Debian's rustc 1.63 for wasm32-unknown-unknown.
# Reproducible: the same compiler and flags give the same bytes, which CI checks (`build.sh --check`).
set -euo pipefail
cd "$(dirname "$0")"
RUSTC_BIN=${RUSTC_BIN:-/usr/bin/rustc}
CARGO_BIN=${CARGO_BIN:-/usr/bin/cargo}
if [ ! -x "$RUSTC_BIN" ] || [ ! -x "$CARGO_BIN" ]; then
  echo "Debian's rustc and cargo are needed: apt-get install -y rustc cargo libstd-rust-dev-wasm32" >&2
  exit 1
fi
target_dir=${CONTRACTS_TARGET_DIR:-$(pwd)/target}
# Paths must not leak into the wasm: map the source and registry locations to fixed names.
export RUSTFLAGS="--remap-path-prefix=$(pwd)=/contracts --remap-path-prefix=$HOME=/home -C link-arg=-s -C link-arg=-zstack-size=32768"
# Two builds: Cargo unifies the SDK's features across the packages of one build, and the multisig's `alloc`
# (a heap through std) would reach the contracts that do without one.
for packages in "-p zr-token -p zr-counter -p zr-escrow -p zr-amm -p zr-nft" "-p zr-multisig"; do
  # shellcheck disable=SC2086
  RUSTC="$RUSTC_BIN" CARGO_TARGET_DIR="$target_dir" "$CARGO_BIN" build --release --locked --offline \
    --target wasm32-unknown-unknown $packages
done
out=wasm
if [ "${1:-}" = "--check" ]; then
  out=$(mktemp -d)
fi
for name in token counter escrow amm multisig nft; do
  cp "$target_dir/wasm32-unknown-unknown/release/zr_${name}.wasm" "$out/${name}.wasm"
done
if [ "${1:-}" = "--check" ]; then
  for name in token counter escrow amm multisig nft; do
    if ! cmp -s "$out/${name}.wasm" "wasm/${name}.wasm"; then
      echo "contracts/wasm/${name}.wasm differs from a fresh build: run contracts/build.sh and commit" >&2
      exit 1
    fi
  done
  echo "contracts: committed wasm matches a fresh build"
fi
