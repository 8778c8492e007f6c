#!/usr/bin/env bash
# Container lifecycle: `berth run --rm IMAGE /bin/true` against `ctr run --rm --seccomp` of the
# same image on a private containerd, and against the floor `unshare -pfmuin --mount-proc`
# running the same binary; then 100 sequential and 100 20-way concurrent run/remove cycles of
# each runtime (bucketbench style), reported as iterations per second.
#   bench/run/run.sh            (uses .build/release/berth and berth-shim; run as root)
set -euo pipefail
cd "$(dirname "$0")/../.."
BERTH=$(realpath "${BERTH:-.build/release/berth}")
RUNS=${RUNS:-30}
CYCLES=${CYCLES:-100}
[ -x "$BERTH" ] && [ -x "$(dirname "$BERTH")/berth-shim" ] || { echo "build first: scripts/build" >&2; exit 1; }
command -v hyperfine >/dev/null && command -v jq >/dev/null || { echo "needs hyperfine and jq" >&2; exit 1; }
source bench/lib/containerd.sh

WORK=$(mktemp -d /tmp/berth-bench-run-XXXXXX)
# Both runtimes keep their state (task bundles, sockets, pid and exit files) on one tmpfs, as
# they do by default on a Debian host, where /run is a tmpfs: /run/berth, /run/containerd.
# Their persistent roots (records, snapshots) stay on the disk.
mkdir "$WORK/run"
mount -t tmpfs -o mode=0755 berth-bench-run "$WORK/run"
export BERTH_ROOT="$WORK/root" BERTH_STATE="$WORK/run/berth" BERTH_NAMESPACE=bench
export CTRD_STATE="$WORK/run/containerd"
IMAGE=localhost/busybox:latest
cleanup() {
  [ -s "$WORK/errors.log" ] && { echo "== failed runs:"; cat "$WORK/errors.log"; } >&2
  "$BERTH" containers ls -q 2>/dev/null | xargs -r "$BERTH" containers rm --force >/dev/null 2>&1 || true
  "$BERTH" images unmount "$WORK/floor" >/dev/null 2>&1 || true
  ctrd_stop
  awk -v d="$WORK" '$5 ~ "^"d {print $5}' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

"$BERTH" demo >/dev/null
"$BERTH" images export "$WORK/busybox.tar" "$IMAGE" >/dev/null
ctrd_start
trap cleanup EXIT # ctrd_start installed its own
ctr_ images import "$WORK/busybox.tar" >/dev/null
# The floor runs the image's own /bin/true from a read-only mount of the image.
mkdir -p "$WORK/floor"
"$BERTH" images mount "$IMAGE" "$WORK/floor" >/dev/null
# Warm every path once (first runs unpack and fill caches).
"$BERTH" run --rm "$IMAGE" /bin/true
ctr_ run --rm --seccomp "$IMAGE" warm /bin/true

# This machine's speed drifts by tens of percent over minutes, so the three commands take
# turns: ROUNDS hyperfine runs of RUNS/ROUNDS each, and the means are over every run.
ROUNDS=${ROUNDS:-5}
per=$(( (RUNS + ROUNDS - 1) / ROUNDS ))
echo "== one run: berth vs ctr vs unshare ($((per * ROUNDS)) runs each, in $ROUNDS interleaved rounds)"
for r in $(seq "$ROUNDS"); do
  hyperfine -N --warmup 2 --runs "$per" --export-json "$WORK/one-$r.json" \
    -n berth "$BERTH run --rm $IMAGE /bin/true" \
    -n ctr "ctr --address $CTRD_SOCK --namespace bench run --rm --seccomp $IMAGE bench /bin/true" \
    -n unshare "unshare -pfmuin --mount-proc $WORK/floor/bin/true" >/dev/null
done
stats() { jq -s -r --arg n "$1" '[.[].results[] | select(.command == $n) | .times[]] | sort
  | "\((add / length * 1000)) \((.[length / 2 | floor]) * 1000) \(length)"' "$WORK"/one-*.json; }
read -r b bmed bn < <(stats berth); read -r c cmed cn < <(stats ctr); read -r u umed un < <(stats unshare)
printf 'mean:   berth %.1f ms, ctr %.1f ms, unshare %.1f ms: berth is %.2fx faster than ctr and %.2fx the floor\n' \
  "$b" "$c" "$u" "$(echo "$c/$b" | bc -l)" "$(echo "$b/$u" | bc -l)"
printf 'median: berth %.1f ms, ctr %.1f ms, unshare %.1f ms: berth is %.2fx faster than ctr and %.2fx the floor\n' \
  "$bmed" "$cmed" "$umed" "$(echo "$cmed/$bmed" | bc -l)" "$(echo "$bmed/$umed" | bc -l)"

mean() { jq -r --arg n "$1" '.results[] | select(.command == $n) | .mean' "$2"; }
echo "== $CYCLES run/remove cycles, sequential and 20-way concurrent"
cat > "$WORK/cycles.sh" <<SH
#!/usr/bin/env bash
# cycles.sh berth|ctr PARALLELISM
# A failing run's message and status go to errors.log, which the script prints on exit.
one() {
  if [ "\$1" = berth ]; then "$BERTH" run --rm "$IMAGE" /bin/true 2>>"$WORK/errors.log"
  else ctr --address "$CTRD_SOCK" --namespace bench run --rm --seccomp "$IMAGE" "c\$2" /bin/true 2>>"$WORK/errors.log"; fi
  rc=\$?; [ \$rc = 0 ] || echo "\$1 run {\$2} exited \$rc" >>"$WORK/errors.log"; return \$rc
}
export -f one
seq $CYCLES | xargs -P "\$2" -I{} bash -c 'one "\$0" {}' "\$1"
SH
chmod +x "$WORK/cycles.sh"
hyperfine -N --runs 1 --export-json "$WORK/cycles.json" \
  -n "berth sequential" "$WORK/cycles.sh berth 1" \
  -n "ctr sequential" "$WORK/cycles.sh ctr 1" \
  -n "berth 20-way" "$WORK/cycles.sh berth 20" \
  -n "ctr 20-way" "$WORK/cycles.sh ctr 20"
for mode in sequential 20-way; do
  bt=$(mean "berth $mode" "$WORK/cycles.json"); ct=$(mean "ctr $mode" "$WORK/cycles.json")
  printf '%s: berth %.1f it/s, ctr %.1f it/s (%.1fx)\n' "$mode" "$(echo "$CYCLES/$bt" | bc -l)" "$(echo "$CYCLES/$ct" | bc -l)" "$(echo "$ct/$bt" | bc -l)"
done
left=$("$BERTH" containers ls -q | wc -l)
echo "containers left behind by berth: $left"
