#!/usr/bin/env bash
# The floor for unpacking: tar -xzf of each gzip layer into its own directory under $1.
set -euo pipefail
out=$1; shift
for f in "$@"; do
  d="$out/$(basename "$f")"
  mkdir -p "$d"
  tar --numeric-owner -xzf "$f" -C "$d"
done
