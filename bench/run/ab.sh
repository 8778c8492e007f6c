#!/usr/bin/env bash
# Two builds of berth side by side: `berth run --rm IMAGE /bin/true` of build A against build B,
# each on a fresh root and state of its own, in interleaved hyperfine rounds that take both
# orders in turn (the disk's recent history makes a run's cost depend on what ran just before
# it, so one fixed order favours one side). Prints each build's mean and median and B - A.
#   bench/run/ab.sh DIR_A DIR_B     (each DIR holds a release berth and berth-shim; run as root)
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# = 2 ] || { echo "usage: bench/run/ab.sh DIR_A DIR_B" >&2; exit 2; }
A=$(realpath "$1"); B=$(realpath "$2")
for d in "$A" "$B"; do
  [ -x "$d/berth" ] && [ -x "$d/berth-shim" ] || { echo "no berth and berth-shim in $d: build first (scripts/build)" >&2; exit 1; }
done
command -v hyperfine >/dev/null && command -v jq >/dev/null || { echo "needs hyperfine and jq" >&2; exit 1; }
ROUNDS=${ROUNDS:-16}
PER=${PER:-10}
IMAGE=localhost/busybox:latest

WORK=$(mktemp -d /tmp/berth-bench-ab-XXXXXX)
# State on a tmpfs, as /run is on a Debian host; roots on the disk.
mkdir "$WORK/run"
mount -t tmpfs -o mode=0755 berth-bench-ab "$WORK/run"
cleanup() {
  for side in a b; do
    BERTH_ROOT="$WORK/root-$side" BERTH_STATE="$WORK/run/$side" "$WORK/bin-$side" containers ls -q 2>/dev/null \
      | xargs -r env BERTH_ROOT="$WORK/root-$side" BERTH_STATE="$WORK/run/$side" "$WORK/bin-$side" containers rm --force >/dev/null 2>&1 || true
  done
  awk -v d="$WORK" '$5 ~ "^"d {print $5}' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# One wrapper per side so each command line names only its build and its own root.
for side in a b; do
  dir=$A; [ "$side" = b ] && dir=$B
  cat > "$WORK/bin-$side" <<SH
#!/bin/sh
BERTH_ROOT="$WORK/root-$side" BERTH_STATE="$WORK/run/$side" BERTH_NAMESPACE=bench exec "$dir/berth" "\$@"
SH
  chmod +x "$WORK/bin-$side"
  "$WORK/bin-$side" demo >/dev/null
  "$WORK/bin-$side" run --rm "$IMAGE" /bin/true
done

echo "== berth run --rm: A ($A) against B ($B), $ROUNDS rounds of $PER runs each, both orders"
for r in $(seq "$ROUNDS"); do
  if [ $((r % 2)) = 1 ]; then first=a second=b; else first=b second=a; fi
  hyperfine -N --warmup 2 --runs "$PER" --export-json "$WORK/round-$r.json" \
    -n "$first" "$WORK/bin-$first run --rm $IMAGE /bin/true" \
    -n "$second" "$WORK/bin-$second run --rm $IMAGE /bin/true" >/dev/null
done
stats() { jq -s -r --arg n "$1" '[.[].results[] | select(.command == $n) | .times[]] | sort
  | "\((add / length * 1000)) \((.[length / 2 | floor]) * 1000) \(length)"' "$WORK"/round-*.json; }
read -r am amed an < <(stats a); read -r bm bmed bn < <(stats b)
printf 'A: mean %.2f ms, median %.2f ms (%d runs)\n' "$am" "$amed" "$an"
printf 'B: mean %.2f ms, median %.2f ms (%d runs)\n' "$bm" "$bmed" "$bn"
printf 'B - A: mean %+.2f ms (%+.1f%%), median %+.2f ms (%+.1f%%)\n' \
  "$(echo "$bm-$am" | bc -l)" "$(echo "($bm-$am)*100/$am" | bc -l)" \
  "$(echo "$bmed-$amed" | bc -l)" "$(echo "($bmed-$amed)*100/$amed" | bc -l)"
