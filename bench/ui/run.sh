#!/bin/sh
# berth's terminal UI: time to the first complete frame, frame render time with 1,000 images
# and 200 tasks, keystroke-to-echo latency through the console pane, idle CPU with 50 tasks.
# Usage: bench/ui/run.sh [path/to/berth]   (default: the release build, else the debug build)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
berth=${1:-}
if [ -z "$berth" ]; then
    if [ -x "$top/.build/release/berth" ]; then berth="$top/.build/release/berth"; else berth="$top/.build/debug/berth"; fi
fi
tmp=$(mktemp -d)
sock="berth-ui-bench-$$"
cleanup() {
    tmux -L "$sock" kill-server 2>/dev/null || true
    if [ -d "$tmp/root" ]; then
        for id in $(BERTH_ROOT=$tmp/root BERTH_STATE=$tmp/state "$berth" containers ls -q 2>/dev/null); do
            BERTH_ROOT=$tmp/root BERTH_STATE=$tmp/state "$berth" containers rm -f "$id" >/dev/null 2>&1 || true
        done
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
export BERTH_ROOT=$tmp/root BERTH_STATE=$tmp/state TERM=xterm-256color LINES=50 COLUMNS=200
"$berth" demo >/dev/null

echo "== time to the first complete frame (real root with the demo image), vs top's first frame"
# --bench-frames 0: render the first frame with every list loaded, then exit. `script` gives a pty.
hyperfine -N --warmup 3 --runs 30 \
    "script -qec '$berth ui --bench-frames 0' /dev/null" \
    "script -qec 'top -b -n 1' /dev/null"

echo "== frame render time, fake backend with 1,000 images and 200 tasks (200 frames)"
script -qec "$berth ui --fake-backend images=1000,tasks=200 --bench-frames 200" /dev/null | tr -d '\r' | grep -a 'first-frame' | sed 's/.*first-frame/first-frame/'

echo "== keystroke-to-echo latency: a shell on a pty directly, then through berth's console pane"
python3 "$here/echo_latency.py" -n 200 --ready '# ' -- sh
python3 "$here/echo_latency.py" -n 200 --setup '\t\t\r' --ready 'task0' -- "$berth" ui --fake-backend images=1,tasks=1
# Through a real container: the console goes through the task's shim.
"$berth" run -d -t -i --name lat localhost/busybox:latest >/dev/null
python3 "$here/echo_latency.py" -n 200 --setup '\t\t\r' --ready '/ #' -- "$berth" ui

echo "== idle CPU of the UI with 50 running tasks (30 s)"
i=0
while [ $i -lt 50 ]; do "$berth" run -d localhost/busybox:latest sleep 3600 >/dev/null; i=$((i + 1)); done
tmux -L "$sock" -f /dev/null new-session -d -s b -x 200 -y 50 "env BERTH_ROOT=$BERTH_ROOT BERTH_STATE=$BERTH_STATE $berth ui"
sleep 3
pid=$(pgrep -P "$(tmux -L "$sock" list-panes -t b -F '#{pane_pid}')" | head -1)
[ -n "$pid" ] || pid=$(tmux -L "$sock" list-panes -t b -F '#{pane_pid}')
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
t0=$(ticks "$pid"); sleep 30; t1=$(ticks "$pid")
hz=$(getconf CLK_TCK)
awk -v a="$t0" -v b="$t1" -v hz="$hz" 'BEGIN { printf "berth ui idle: %.2f%% of one CPU over 30 s\n", (b - a) / hz / 30 * 100 }'
