#!/usr/bin/env bash
# The spork's CI: builds the zr-ffi static library (debug, as `cargo test` does, unless ZR_FFI_PROFILE=release),
# places the spork into a copy of go-zenon (spork/apply.sh), builds znnd with the library linked, and runs the
# spork's Go tests (the cgo binding, the rollup contract in go-zenon's mock chain) and go-zenon's own tests of
# its embedded contracts with the spork applied; then the rollup's whole lifecycle on a local one-pillar znnd
# (`zr up --l1 znnd`, ops/znnd.sh), about 6 minutes of real 10 s momentums. Needs Debian's golang-1.19-go and a
# C compiler.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/zrollup/target}"
profile="${ZR_FFI_PROFILE:-debug}"
if [ "$profile" = release ]; then
  cargo build --locked --release -p zr-ffi
else
  cargo build --locked -p zr-ffi
fi
library_dir="$CARGO_TARGET_DIR/$profile"
test -f "$library_dir/libzr_ffi.a" || { echo "no $library_dir/libzr_ffi.a" >&2; exit 1; }

tree="${ZR_SPORK_TREE:-$HOME/.cache/zrollup/go-zenon-spork}"
spork/apply.sh "$tree"

export PATH="/usr/lib/go-1.19/bin:$PATH" GOFLAGS=-mod=vendor GOPROXY=off
export GOCACHE="${GOCACHE:-$HOME/.cache/zrollup/go-build}"
export CGO_ENABLED=1 CGO_LDFLAGS="-L$library_dir"
new_files=$(cd spork/go-zenon && find . -name '*.go' | sed 's#^\./##')
cd "$tree"
unformatted="$(gofmt -l $new_files vm/embedded/embedded.go vm/plasma.go vm/constants/errors.go rpc/apis.go common/types)"
[ -z "$unformatted" ] || { echo "gofmt: $unformatted" >&2; exit 1; }
go vet ./vm/embedded/zrffi/ ./vm/embedded/definition/ ./rpc/api/embedded/
go build -o build/znnd ./cmd/znnd
echo "znnd with the spork: $(du -h build/znnd | cut -f1)"
go test -count=1 ./vm/embedded/ ./vm/embedded/zrffi/ ./vm/embedded/implementation/ ./common/types/
# go-zenon's TestSimple_MomentumInsertionBenchmark asserts wall-clock time (an hour of momentums in 1.5 s): on a
# loaded two-core machine it fails without the spork too (1 536 ms measured on pristine go-zenon), so CI leaves it
# out and runs every other test of the package.
tests="$(go test -list '.*' ./vm/embedded/tests/ | grep '^Test' | grep -vx 'TestSimple_MomentumInsertionBenchmark' | paste -sd'|')"
go test -count=1 -run "^(${tests})\$" ./vm/embedded/tests/

echo "== the rollup on go-zenon: zr up --l1 znnd and the whole lifecycle against a local znnd with the spork"
cd "$repo"
unformatted="$(gofmt -l ops/znnd/localnet)"
[ -z "$unformatted" ] || { echo "gofmt: $unformatted" >&2; exit 1; }
znnd_bin="$(ops/znnd.sh build)"
(cd "$znnd_bin/go-zenon" && go vet ./cmd/zr-localnet/)
ZR_ZNND_BIN="$znnd_bin" cargo test --locked -p zr-cli --test it znnd -- --ignored --nocapture
