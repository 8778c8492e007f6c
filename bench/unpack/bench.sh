#!/usr/bin/env bash
# Unpack benchmark: `berth images import` (with unpack) against `ctr images import` on a
# private containerd, side by side in one hyperfine run; then unpack throughput of
# `berth images unpack` against `tar -xzf` of the same layers, the floor.
#
# usage: bench/unpack/bench.sh   (as root; BERTH=path/to/berth, default the release build)
# Env: WORK (scratch dir, default /tmp/berth-bench-unpack), RUNS (default 5),
#      LAYERS / LAYER_MB (image shape, default 6 x 85 MB).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
BERTH=${BERTH:-$repo/.build/release/berth}
WORK=${WORK:-/tmp/berth-bench-unpack}
RUNS=${RUNS:-5}
mkdir -p "$WORK"
IMG=$WORK/image-${LAYERS:-6}x${LAYER_MB:-85}.tar
[ -f "$IMG" ] || python3 "$here/make-image.py" "$IMG" "${LAYERS:-6}" "${LAYER_MB:-85}"

# Both tools write onto one fresh, journaled ext4 (a loop-mounted image file), so neither
# meets the host file system's history (ext4 without a journal, as some VMs have, scans
# past every inode freed in the last minute whenever it allocates one).
FS=$WORK/fs
mkdir -p "$FS"
truncate -s 8G "$WORK/fs.img"
# Inode tables and journal are initialised now, not by a kernel thread in the background
# during the first runs (which would slow whichever tool runs first).
mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$WORK/fs.img"
mount -o loop "$WORK/fs.img" "$FS"
source "$repo/bench/lib/containerd.sh"
cleanup() { ctrd_stop; umount "$FS" 2>/dev/null || umount -l "$FS"; rm -f "$WORK/fs.img"; }
CTRD_BASE=$FS ctrd_start
trap cleanup EXIT

export BERTH_ROOT=$FS/berth-root BERTH_STATE=$FS/berth-state
NAME=docker.io/library/bench
settle="sync; sleep 2"
berth_reset="rm -rf $BERTH_ROOT $BERTH_STATE; $settle"
ctr_reset="ctr --address $CTRD_SOCK -n bench images rm --sync $NAME:1 >/dev/null 2>&1; $settle"

echo "== import with unpack: $(du -m "$IMG" | cut -f1) MB archive" >&2
hyperfine --runs "$RUNS" --export-markdown "$WORK/import.md" --export-json "$WORK/import.json" \
  -n "berth images import" --prepare "$berth_reset" "$BERTH images import --base-name $NAME $IMG" \
  -n "ctr images import" --prepare "$ctr_reset" "ctr --address $CTRD_SOCK -n bench images import --base-name $NAME $IMG"

# Unpack alone: the layers are already in the content store; tar -xzf of the same gzip
# layers into one directory per layer is the floor (no hashing, no whiteouts, no checks).
rm -rf "$WORK/layers" && mkdir -p "$WORK/layers"
tar -C "$WORK/layers" -xf "$IMG" blobs
gz_layers=$(for f in "$WORK"/layers/blobs/sha256/*; do gzip -t "$f" 2>/dev/null && echo "$f"; done)
bytes=$(for f in $gz_layers; do gzip -dc "$f" | wc -c; done | awk '{s+=$1} END {print s}')
eval "$berth_reset"
$BERTH images import --no-unpack --base-name $NAME "$IMG" >/dev/null
# Children before parents: the tree lists parents first.
berth_unpack_reset="$BERTH snapshots tree | tac | sed 's/^ *//' | xargs -r $BERTH snapshots rm; $settle"

echo "== unpack of $((bytes >> 20)) MiB of tar" >&2
hyperfine --runs "$RUNS" --export-markdown "$WORK/unpack.md" --export-json "$WORK/unpack.json" \
  -n "berth images unpack" --prepare "$berth_unpack_reset" "$BERTH images unpack $NAME:1" \
  -n "tar -xzf (floor)" --prepare "rm -rf $FS/tarx; $settle" "$here/tar-floor.sh $FS/tarx $(echo $gz_layers)"

python3 - "$WORK" "$bytes" <<'PY'
import json, sys
work, size = sys.argv[1], int(sys.argv[2])
imp = {r["command"]: r["mean"] for r in json.load(open(f"{work}/import.json"))["results"]}
unp = {r["command"]: r["mean"] for r in json.load(open(f"{work}/unpack.json"))["results"]}
b, c = imp["berth images import"], imp["ctr images import"]
print(f"import+unpack: berth {b:.2f} s, ctr {c:.2f} s, ctr/berth = {c / b:.2f}x")
bu, tu = unp["berth images unpack"], unp["tar -xzf (floor)"]
mb = size / 1e6
print(f"unpack: berth {mb / bu:.0f} MB/s, tar -xzf {mb / tu:.0f} MB/s ({bu / tu:.2f}x the floor's time)")
PY
rm -rf "$FS/tarx" "$WORK/layers"
