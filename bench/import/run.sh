#!/usr/bin/env bash
# Import without unpack of a ~500 MB five-layer OCI image archive: berth vs containerd's
# `ctr images import --no-unpack` (a private containerd with its own root and socket), side
# by side in one hyperfine run. berth gets a fresh root per run; the image is removed from
# containerd (with a synchronous GC) between its runs. Prints the ratio and throughputs.
#   bench/import/run.sh            (BENCH_DIR to keep the archive elsewhere; RUNS=5)
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib/containerd.sh

work=${BENCH_DIR:-/tmp/berth-bench-import}
runs=${RUNS:-5}
mkdir -p "$work"
archive="$work/image.tar"

# The archive: five gzip layers, each ~96 MiB of random bytes (incompressible) plus
# ~40 MiB of text (compressible), written as an OCI layout by hand.
if [ ! -s "$archive" ]; then
  layout="$work/layout"
  rm -rf "$layout"; mkdir -p "$layout/blobs/sha256"
  echo '{"imageLayoutVersion":"1.0.0"}' > "$layout/oci-layout"
  layers=() diffs=()
  for i in 1 2 3 4 5; do
    src="$work/src$i"; rm -rf "$src"; mkdir -p "$src/data"
    head -c $((96 << 20)) /dev/urandom > "$src/data/random$i"
    { yes "layer $i: the quick brown fox jumps over the lazy dog $RANDOM" || true; } | head -c $((40 << 20)) > "$src/data/text$i"
    tar --numeric-owner --owner=0 --group=0 -C "$src" -cf "$work/layer$i.tar" .
    diffs+=("sha256:$(sha256sum "$work/layer$i.tar" | cut -d' ' -f1)")
    gzip -1 -n -c "$work/layer$i.tar" > "$work/layer$i.tgz"
    d=$(sha256sum "$work/layer$i.tgz" | cut -d' ' -f1)
    mv "$work/layer$i.tgz" "$layout/blobs/sha256/$d"
    layers+=("{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:$d\",\"size\":$(stat -c %s "$layout/blobs/sha256/$d")}")
    rm -rf "$src" "$work/layer$i.tar"
  done
  arch=$(uname -m); case "$arch" in x86_64) arch=amd64;; aarch64) arch=arm64;; esac
  diff_json=$(printf '"%s",' "${diffs[@]}"); diff_json="[${diff_json%,}]"
  printf '{"architecture":"%s","os":"linux","config":{"Cmd":["/bin/sh"]},"rootfs":{"type":"layers","diff_ids":%s}}' "$arch" "$diff_json" > "$work/config.json"
  cd_=$(sha256sum "$work/config.json" | cut -d' ' -f1); mv "$work/config.json" "$layout/blobs/sha256/$cd_"
  layer_json=$(IFS=,; echo "${layers[*]}")
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[%s]}' \
    "$cd_" "$(stat -c %s "$layout/blobs/sha256/$cd_")" "$layer_json" > "$work/manifest.json"
  md=$(sha256sum "$work/manifest.json" | cut -d' ' -f1); ms=$(stat -c %s "$work/manifest.json")
  mv "$work/manifest.json" "$layout/blobs/sha256/$md"
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"io.containerd.image.name":"localhost/bench:latest","org.opencontainers.image.ref.name":"latest"}}]}' \
    "$md" "$ms" > "$layout/index.json"
  tar -C "$layout" -cf "$archive" .
  rm -rf "$layout"
fi
size=$(stat -c %s "$archive")
echo "archive: $archive, $((size >> 20)) MiB" >&2

scripts/build --product berth >&2
berth="$(swift build -c release --show-bin-path)/berth"
ctrd_start

broot="$work/berth-root"
hyperfine --runs "$runs" --warmup 1 --export-json "$work/hyperfine.json" \
  -n berth --prepare "rm -rf '$broot'" \
    "'$berth' images import --no-unpack --root '$broot/root' --state '$broot/state' '$archive'" \
  -n ctr --prepare "ctr --address '$CTRD_SOCK' --namespace bench images rm --sync localhost/bench:latest >/dev/null 2>&1 || true" \
    "ctr --address '$CTRD_SOCK' --namespace bench images import --no-unpack '$archive'"
rm -rf "$broot"

berth_mean=$(jq '.results[] | select(.command=="berth") | .mean' "$work/hyperfine.json")
ctr_mean=$(jq '.results[] | select(.command=="ctr") | .mean' "$work/hyperfine.json")
berth_cpu=$(jq '.results[] | select(.command=="berth") | .user + .system' "$work/hyperfine.json")
# Hardware reference: OpenSSL's SHA-256 (SHA extensions where the CPU has them), file cached.
cat "$archive" >/dev/null
sha_start=$(date +%s.%N); openssl dgst -sha256 "$archive" >/dev/null; sha_end=$(date +%s.%N)
awk -v b="$berth_mean" -v c="$ctr_mean" -v cpu="$berth_cpu" -v s="$size" -v t0="$sha_start" -v t1="$sha_end" 'BEGIN {
  printf "berth %.2f s (%.0f MiB/s), ctr %.2f s (%.0f MiB/s): berth is %.2fx faster\n", b, s/b/1048576, c, s/c/1048576, c/b
  printf "berth CPU %.2f s: read, hash and write at %.0f MiB per CPU second\n", cpu, s/cpu/1048576
  printf "openssl dgst -sha256 of the archive (hashing reference): %.0f MiB/s\n", s/(t1-t0)/1048576
}'
