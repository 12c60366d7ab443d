#!/usr/bin/env bash
# A local one-pillar go-zenon network with the rollup spork: the L1 of `zr up --l1 znnd` and of the znnd
# integration test. Needs Debian's golang-1.19-go, a C compiler and a go-zenon tree (../shared/go-zenon, or
# ZR_GO_ZENON).
#
#   ops/znnd.sh build            builds zr-ffi's library, places the spork into a copy of go-zenon, builds znnd and
#                                zr-localnet into $ZR_ZNND_BIN (default ~/.cache/zrollup/znnd); prints that directory
#   ops/znnd.sh run DIR [ADDR..] writes a genesis funding ADDR.. into DIR on its first start (zr-localnet), then runs
#                                znnd on it in the foreground: RPC on 127.0.0.1:35997 (HTTP) and :35998 (WebSocket),
#                                a momentum every 10 s
#
# ZR_FFI_PROFILE=release links the release library (a faster verdict, a 6-minute first build).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
bin="${ZR_ZNND_BIN:-$HOME/.cache/zrollup/znnd}"

build() {
  # The checkout's own target directory unless told otherwise (.ci/run points it at its cache), so the library
  # `cargo test` built is reused.
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target}"
  local profile="${ZR_FFI_PROFILE:-debug}"
  if [ "$profile" = release ]; then
    (cd "$repo" && cargo build --locked --release -p zr-ffi) >&2
  else
    (cd "$repo" && cargo build --locked -p zr-ffi) >&2
  fi
  local tree="$bin/go-zenon"
  "$repo/spork/apply.sh" "$tree" >&2
  mkdir -p "$tree/cmd/zr-localnet"
  cp "$repo/ops/znnd/localnet/main.go" "$tree/cmd/zr-localnet/main.go"
  export PATH="/usr/lib/go-1.19/bin:$PATH" GOFLAGS=-mod=vendor GOPROXY=off CGO_ENABLED=1
  export GOCACHE="${GOCACHE:-$HOME/.cache/zrollup/go-build}"
  export CGO_LDFLAGS="-L$CARGO_TARGET_DIR/$profile"
  (cd "$tree" && go build -o "$bin/znnd" ./cmd/znnd && go build -o "$bin/zr-localnet" ./cmd/zr-localnet) >&2
  echo "$bin"
}

run() {
  local dir="${1:?usage: ops/znnd.sh run DIR [ADDR..]}"
  shift
  [ -x "$bin/znnd" ] && [ -x "$bin/zr-localnet" ] || build >/dev/null
  if [ ! -f "$dir/genesis.json" ]; then
    local fund
    fund="$(IFS=,; echo "$*")"
    "$bin/zr-localnet" -dir "$dir" -fund "$fund"
  fi
  exec "$bin/znnd" --data "$dir"
}

case "${1:-}" in
  build) build ;;
  run) shift; run "$@" ;;
  *) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
