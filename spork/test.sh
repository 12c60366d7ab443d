#!/usr/bin/env bash
# Runs the spork's Go tests against the zr-ffi static library: builds it (debug, as `cargo test` does, unless
# ZR_FFI_PROFILE=release) and points cgo at it. Needs Debian's golang-1.19-go and a C compiler.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/zrollup/target}"
profile="${ZR_FFI_PROFILE:-debug}"
if [ "$profile" = release ]; then
  cargo build --locked --release -p zr-ffi
else
  cargo build --locked -p zr-ffi
fi
library_dir="$CARGO_TARGET_DIR/$profile"
test -f "$library_dir/libzr_ffi.a" || { echo "no $library_dir/libzr_ffi.a" >&2; exit 1; }

export PATH="/usr/lib/go-1.19/bin:$PATH" GOFLAGS=-mod=mod GOPROXY=off GO111MODULE=on
export GOCACHE="${GOCACHE:-$HOME/.cache/zrollup/go-build}"
export CGO_ENABLED=1 CGO_LDFLAGS="-L$library_dir"
cd spork
unformatted="$(gofmt -l .)"
[ -z "$unformatted" ] || { echo "gofmt: $unformatted" >&2; exit 1; }
go vet ./...
go test -count=1 ./...
