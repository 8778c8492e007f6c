# Sourced by benchmark scripts: start a private containerd (own root, state, socket and
# config in a temp dir) as the peer to measure against, and stop it on exit.
#   source bench/lib/containerd.sh; ctrd_start; ctr_ images ls; (stopped by the EXIT trap)
# CTRD_BASE puts its directory elsewhere than /tmp (e.g. on the file system under test);
# CTRD_STATE puts its state directory elsewhere than in it (e.g. on a tmpfs, as /run is).
ctrd_start() {
  CTRD_DIR=$(mktemp -d "${CTRD_BASE:-/tmp}/berth-bench-ctrd-XXXXXX")
  CTRD_SOCK="$CTRD_DIR/c.sock"
  cat > "$CTRD_DIR/config.toml" <<TOML
version = 2
root = "$CTRD_DIR/root"
state = "${CTRD_STATE:-$CTRD_DIR/state}"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$CTRD_SOCK"
[ttrpc]
  address = "$CTRD_SOCK.ttrpc"
[debug]
  address = "$CTRD_DIR/debug.sock"
[plugins."io.containerd.internal.v1.opt"]
  path = "$CTRD_DIR/opt"
TOML
  containerd --config "$CTRD_DIR/config.toml" --log-level warn >"$CTRD_DIR/log" 2>&1 &
  CTRD_PID=$!
  trap ctrd_stop EXIT
  for _ in $(seq 200); do
    ctr --address "$CTRD_SOCK" version >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  echo "containerd did not start: $(tail -5 "$CTRD_DIR/log")" >&2
  return 1
}

ctr_() { ctr --address "$CTRD_SOCK" --namespace bench "$@"; }

ctrd_stop() {
  [ -n "${CTRD_PID:-}" ] || return 0
  kill "$CTRD_PID" 2>/dev/null; wait "$CTRD_PID" 2>/dev/null
  pkill -9 -f -- "$CTRD_SOCK" 2>/dev/null || true
  awk -v d="$CTRD_DIR" '$5 ~ "^"d {print $5}' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$CTRD_DIR"
  CTRD_PID=
}
