#!/usr/bin/env bash
# Memory of one running task's supervisor: berth-shim against containerd-shim-runc-v2, each
# supervising `sleep` in a busybox container. Reports VmRSS, anonymous RSS and PSS (which
# shares file pages fairly between processes) of the shim process, and the ratio.
#   bench/shim/rss.sh            (uses .build/release/berth and berth-shim; run as root)
set -euo pipefail
cd "$(dirname "$0")/../.."
BERTH=${BERTH:-.build/release/berth}
SHIM=${BERTH_SHIM:-$(dirname "$BERTH")/berth-shim}
[ -x "$SHIM" ] && [ -x "$BERTH" ] || { echo "build first: scripts/build" >&2; exit 1; }
source bench/lib/containerd.sh

WORK=$(mktemp -d /tmp/berth-bench-shim-XXXXXX)
cleanup() {
  [ -f "$WORK/bundle/init.pid" ] && kill -9 "$(cat "$WORK/bundle/init.pid")" 2>/dev/null || true
  [ -f "$WORK/bundle/shim.pid" ] && kill -9 "$(cat "$WORK/bundle/shim.pid")" 2>/dev/null || true
  sleep 0.2
  umount -l "$WORK/bundle/rootfs" 2>/dev/null || true
  rm -rf "$WORK"
  ctrd_stop
}
trap cleanup EXIT

mem() { # pid -> "VmRSS RssAnon Pss" in kB
  local pid=$1
  printf '%s %s %s\n' \
    "$(awk '/^VmRSS:/ {print $2}' /proc/$pid/status)" \
    "$(awk '/^RssAnon:/ {print $2}' /proc/$pid/status)" \
    "$(awk '/^Pss:/ {print $2}' /proc/$pid/smaps_rollup)"
}

# berth-shim, driven directly with a hand-written shim.conf (Docker's namespaces and mounts).
mkdir -p "$WORK/image/bin" "$WORK/image/proc" "$WORK/image/sys" "$WORK/image/dev" "$WORK/bundle/rootfs"
cp /bin/busybox "$WORK/image/bin/"
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -sf busybox "$WORK/image/bin/$a"; done
mount --bind "$WORK/image" "$WORK/bundle/rootfs"
rec() { printf '%s\0%s\0' "$1" "$2"; }
{
  rec id bench; rec rootfs "$WORK/bundle/rootfs"; rec hostname bench; rec env PATH=/bin
  rec arg sleep; rec arg 1000; rec terminal 1; rec no-new-privs 1
  for ns in pid mount uts ipc net cgroup; do rec namespace-new $ns; done
  rec mount "$(printf 'proc\tproc\t/proc\tnosuid,noexec,nodev')"
  rec mount "$(printf 'tmpfs\ttmpfs\t/dev\tnosuid,strictatime,mode=755,size=65536k')"
  rec mount "$(printf 'devpts\tdevpts\t/dev/pts\tnosuid,noexec,newinstance,ptmxmode=0666,mode=0620')"
  rec mount "$(printf 'sysfs\tsysfs\t/sys\tnosuid,noexec,nodev,ro')"
  rec cap CAP_CHOWN; rec cap CAP_KILL
  rec seccomp-default SCMP_ACT_ALLOW; rec seccomp-syscall "unshare SCMP_ACT_ERRNO 1"
} > "$WORK/bundle/shim.conf"
ready=$("$SHIM" "$WORK/bundle" 3>&1 >/dev/null 2>&1 | head -1)
case $ready in ok*) ;; *) echo "berth-shim did not start: $ready" >&2; exit 1;; esac
read -r b_rss b_anon b_pss < <(mem "$(cat "$WORK/bundle/shim.pid")")

# containerd-shim-runc-v2 under a private containerd, same image (exported from berth).
ctrd_start
trap cleanup EXIT # ctrd_start installed its own
B=(--root "$WORK/berth-root" --state "$WORK/berth-state")
"$BERTH" demo "${B[@]}" >/dev/null
"$BERTH" images export "${B[@]}" "$WORK/busybox.tar" localhost/busybox:latest >/dev/null
ctr_ images import "$WORK/busybox.tar" >/dev/null
ctr_ run -d localhost/busybox:latest rssbench sleep 1000 >/dev/null
cshim=""
for _ in $(seq 100); do
  cshim=$(pgrep -f -- "containerd-shim-runc-v2.*$CTRD_SOCK" | head -1 || true)
  [ -n "$cshim" ] && break
  sleep 0.05
done
[ -n "$cshim" ] || { echo "containerd-shim-runc-v2 not found" >&2; exit 1; }
sleep 0.5 # let the shim settle after the start-up RPCs
read -r c_rss c_anon c_pss < <(mem "$cshim")
ctr_ task kill -s SIGKILL rssbench >/dev/null 2>&1 || true
sleep 0.3
ctr_ task rm -f rssbench >/dev/null 2>&1 || true
ctr_ container rm rssbench >/dev/null 2>&1 || true

printf '%-24s %10s %10s %10s\n' "supervisor (kB)" VmRSS RssAnon Pss
printf '%-24s %10s %10s %10s\n' berth-shim "$b_rss" "$b_anon" "$b_pss"
printf '%-24s %10s %10s %10s\n' containerd-shim-runc-v2 "$c_rss" "$c_anon" "$c_pss"
awk -v b="$b_rss" -v c="$c_rss" -v bp="$b_pss" -v cp="$c_pss" \
  'BEGIN { printf "ratio (containerd / berth): VmRSS %.1fx, Pss %.1fx\n", c / b, cp / bp }'
