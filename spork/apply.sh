#!/usr/bin/env bash
# Places the spork into a copy of go-zenon: the new files of spork/go-zenon/, the C header next to the cgo
# binding, and the small edits of spork/go-zenon.patch to existing files (docs/spork.md lists them).
#
#   spork/apply.sh DEST [GO_ZENON]
#
# DEST is replaced by a fresh copy of GO_ZENON (default: $ZR_GO_ZENON, else ../shared/go-zenon beside the
# repository, else /work/shared/go-zenon), which is only read.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
dest="${1:?usage: spork/apply.sh DEST [GO_ZENON]}"
source="${2:-${ZR_GO_ZENON:-}}"
if [ -z "$source" ]; then
  for candidate in "$repo/../shared/go-zenon" /work/shared/go-zenon; do
    if [ -f "$candidate/go.mod" ]; then source="$candidate"; break; fi
  done
fi
[ -n "$source" ] && [ -f "$source/go.mod" ] || {
  echo "apply.sh: no go-zenon tree found; pass it as the second argument or set ZR_GO_ZENON" >&2
  exit 1
}

rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
cp -r "$source" "$dest"
chmod -R u+w "$dest"
cp -r "$repo/spork/go-zenon/." "$dest/"
cp "$repo/ffi/include/zr_ffi.h" "$dest/vm/embedded/zrffi/"
patch --quiet --forward -p1 -d "$dest" < "$repo/spork/go-zenon.patch"
echo "spork placed into $dest (from $source)"
