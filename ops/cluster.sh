#!/usr/bin/env bash
# A local zrollup cluster as separate processes on loopback: the devnet (L1), two executors gossiping claims,
# two relays gossiping transactions (relay N on executor N), and a challenger on executor 1 watching executor
# 2's claims and challenging wrong ones. Configs are in ops/cluster/; keys, data, pid
# files and logs in $ZR_CLUSTER_DIR (default ops/cluster/run). Binaries from $ZR_BIN_DIR (default
# target/release, built with `cargo build --release` when missing). The daemons listen on the ports of
# ops/cluster/*.toml (18545–19105 and 30333–30344, outside Linux's ephemeral range, where other programs' outgoing
# connections take their ports); with ZR_CLUSTER_PORT_BASE=B they listen on B…B+14 instead (the configs, and a
# Prometheus config scraping them, are rewritten into $ZR_CLUSTER_DIR/config).
#
#   ops/cluster.sh up       start what is not running (the first start makes keys and a genesis)
#   ops/cluster.sh status   each daemon's pid, readiness and endpoints
#   ops/cluster.sh logs [NAME]   the last lines of every log (or of one: devnet, executor-1, relay-2, …)
#   ops/cluster.sh down     stop every daemon (SIGTERM, then SIGKILL after 10 s)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
conf="$root/ops/cluster"
run="${ZR_CLUSTER_DIR:-$conf/run}"
bin="${ZR_BIN_DIR:-${CARGO_TARGET_DIR:-$root/target}/release}"
daemons=(devnet executor-1 executor-2 relay-1 relay-2 challenger)
# The shipped configs' ports, in the order they map to ZR_CLUSTER_PORT_BASE, +1, … : the devnet's HTTP, WebSocket
# and ops; then each executor's and relay's RPC, ops and p2p.
default_ports=(18997 18998 19101 18545 19102 30333 18547 19104 30334 18546 19103 30343 18548 19105 30344)
base="${ZR_CLUSTER_PORT_BASE:-}"

die() { echo "cluster: $*" >&2; exit 1; }

port() { # a shipped config's port → the one this cluster uses
  [ -n "$base" ] || { echo "$1"; return; }
  local i
  for i in "${!default_ports[@]}"; do
    [ "${default_ports[$i]}" = "$1" ] && { echo $((base + i)); return; }
  done
  die "no port $1 in the cluster's configs"
}

configs() { # the directory of the configs this cluster runs with
  if [ -z "$base" ]; then echo "$conf"; return; fi
  [[ "$base" =~ ^[0-9]+$ ]] && [ "$base" -ge 1024 ] && [ "$base" -le $((65535 - ${#default_ports[@]} + 1)) ] \
    || die "ZR_CLUSTER_PORT_BASE=$base: a port from 1024 to $((65535 - ${#default_ports[@]} + 1))"
  local dir="$run/config" file i map=""
  mkdir -p "$dir"
  for i in "${!default_ports[@]}"; do map+="${default_ports[$i]}=$((base + i)) "; done
  # One pass over each file (a port rewritten is never rewritten again), the alerts path made absolute.
  for file in "$conf"/*.toml "$conf"/prometheus.yml; do
    PORTS="$map" ROOT="$root" perl -pe '
      BEGIN { %port = map { split /=/ } split " ", $ENV{PORTS} }
      s/(?<![0-9])([0-9]{5})(?![0-9])/exists $port{$1} ? $port{$1} : $1/ge;
      s#\.\./prometheus/#$ENV{ROOT}/ops/prometheus/#;
    ' "$file" > "$dir/$(basename "$file")"
  done
  echo "$dir"
}

binary() { # name
  [ -x "$bin/$1" ] || die "$bin/$1 is missing (build with: cargo build --release, or set ZR_BIN_DIR)"
  echo "$bin/$1"
}

build() {
  if [ -z "${ZR_BIN_DIR:-}" ]; then
    (cd "$root" && cargo build --release -q -p zr-devnet -p zr-executor -p zr-relay -p zr-challenger -p zr-cli)
  fi
}

json_field() { # file field
  sed -n "s/.*\"$2\":\"\([^\"]*\)\".*/\1/p" "$1" | head -n 1
}

key() { # name → prints the key file, making it on first use
  local file="$run/keys/$1.json"
  if [ ! -f "$file" ]; then
    "$(binary zr)" key new --key "$file" --json > "$run/keys/$1.info"
  fi
  echo "$file"
}

init() {
  mkdir -p "$run/keys" "$run/logs" "$run/pids"
  [ -f "$run/genesis.toml" ] && return
  local name accounts=""
  for name in pillar dev executor-1 executor-2 relay-1 relay-2 challenger; do key "$name" > /dev/null; done
  for name in dev executor-1 executor-2 relay-1 relay-2 challenger; do
    # Every account pays its own L1 plasma (claims, bundles) from fused QSR.
    accounts+="
[[accounts]]
address = \"$(json_field "$run/keys/$name.info" address)\"
znn = 100000000000000
qsr = 100000000000000
fused_qsr = 500000000000
"
  done
  cat > "$run/genesis.toml.partial" <<GENESIS
chain_identifier = 3
timestamp = $(date +%s)

[[pillars]]
name = "pillar-1"
public_key = "$(json_field "$run/keys/pillar.info" publicKey)"
$accounts
GENESIS
  mv "$run/genesis.toml.partial" "$run/genesis.toml"
}

alive() { # name
  local pid
  [ -f "$run/pids/$1" ] && pid="$(cat "$run/pids/$1")" && kill -0 "$pid" 2>/dev/null
}

start() { # name binary args…
  local name="$1" program="$2"; shift 2
  if alive "$name"; then echo "$name: already running (pid $(cat "$run/pids/$name"))"; return; fi
  rm -f "$run/$name/endpoints.json"
  nohup "$program" --data-dir "$run/$name" "$@" >> "$run/logs/$name.log" 2>&1 &
  echo $! > "$run/pids/$name"
  local waited=0
  until [ -f "$run/$name/endpoints.json" ]; do
    alive "$name" || die "$name exited; see $run/logs/$name.log"
    sleep 0.2; waited=$((waited + 1))
    [ $waited -lt 300 ] || die "$name did not announce its endpoints in 60 s; see $run/logs/$name.log"
  done
  echo "$name: $(cat "$run/$name/endpoints.json")"
}

up() {
  build
  init
  local cfg i
  cfg="$(configs)"
  start devnet "$(binary zr-devnet)" -c "$cfg/devnet.toml" --genesis "$run/genesis.toml" \
    --pillar-key "$run/keys/pillar.json"
  for i in 1 2; do
    start "executor-$i" "$(binary zr-executor)" -c "$cfg/executor-$i.toml" --key-file "$(key "executor-$i")"
  done
  for i in 1 2; do
    start "relay-$i" "$(binary zr-relay)" -c "$cfg/relay-$i.toml" --key-file "$(key "relay-$i")"
  done
  start challenger "$(binary zr-challenge)" -c "$cfg/challenger.toml" --key-file "$(key challenger)" \
    watch --challenge --peer "http://127.0.0.1:$(port 18547)"
  echo "cluster up: logs in $run/logs, the funded dev key is $run/keys/dev.json"
  echo "  zr --relay http://127.0.0.1:$(port 18546) --l1-http http://127.0.0.1:$(port 18997) \\"
  echo "     --l1-ws ws://127.0.0.1:$(port 18998) --executor http://127.0.0.1:$(port 18545) deposit 1000 \\"
  echo "     --key $run/keys/dev.json"
  echo "  prometheus --config.file=$cfg/prometheus.yml"
}

status() {
  local name ops ready
  for name in "${daemons[@]}"; do
    if alive "$name"; then
      ops="$(json_field "$run/$name/endpoints.json" ops)"
      if [ -n "$ops" ]; then
        ready="$(curl -s -o /dev/null -w '%{http_code}' "$ops/ready" || true)"
        [ "$ready" = 200 ] && ready=ready || ready="not ready ($ready)"
      else
        ready="no ops port"
      fi
      echo "$name: running, pid $(cat "$run/pids/$name"), $ready, $(cat "$run/$name/endpoints.json")"
    else
      echo "$name: stopped"
    fi
  done
}

logs() {
  local name
  for name in ${1:-${daemons[@]}}; do
    [ -f "$run/logs/$name.log" ] || die "no log for $name (daemons: ${daemons[*]})"
    echo "== $name ($run/logs/$name.log)"
    tail -n "${ZR_LOG_LINES:-20}" "$run/logs/$name.log"
  done
}

down() {
  local name pid waited
  # Relays first, the L1 last, so nothing follows a stopped L1.
  for name in challenger relay-2 relay-1 executor-2 executor-1 devnet; do
    alive "$name" || continue
    pid="$(cat "$run/pids/$name")"
    kill -TERM "$pid"
    waited=0
    while kill -0 "$pid" 2>/dev/null && [ $waited -lt 50 ]; do sleep 0.2; waited=$((waited + 1)); done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    rm -f "$run/pids/$name"
    echo "$name: stopped"
  done
}

case "${1:-}" in
  up) up ;;
  status) status ;;
  logs) logs "${2:-}" ;;
  down) down ;;
  *) die "usage: ops/cluster.sh up|status|logs [NAME]|down" ;;
esac
