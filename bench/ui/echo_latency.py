#!/usr/bin/env python3
"""Keystroke-to-echo latency from a pty harness.

Starts COMMAND on a pty of 40x120, optionally sends setup keys, waits for a marker, then
types one character at a time and measures how long until the character comes back in
the output stream (for berth: redrawn inside the console pane). Prints median and p95 in ms.

usage: echo_latency.py [--setup KEYS] [--ready TEXT] [-n N] -- COMMAND...
"""
import argparse, os, pty, select, signal, statistics, struct, fcntl, termios, time

ap = argparse.ArgumentParser()
ap.add_argument("--setup", default="", help="keys to send first (\\t and \\r allowed)")
ap.add_argument("--ready", default="$ ", help="text that means the console is ready")
ap.add_argument("-n", type=int, default=200)
ap.add_argument("cmd", nargs="+")
a = ap.parse_args()

pid, fd = pty.fork()
if pid == 0:
    os.environ["TERM"] = "xterm-256color"
    os.execvp(a.cmd[0], a.cmd)
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))

def read_until(pred, timeout=10.0):
    buf = b""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], max(0, end - time.monotonic()))
        if r:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            buf += chunk
            if pred(buf):
                return buf
    raise SystemExit("timed out; last output: %r" % buf[-400:])

time.sleep(1.0)
for k in a.setup.encode().decode("unicode_escape"):
    os.write(fd, k.encode())
    time.sleep(0.3)
read_until(lambda b: a.ready.encode() in b, 8)
time.sleep(0.5)
while select.select([fd], [], [], 0.2)[0]:
    os.read(fd, 65536)

samples = []
letters = "abcdefghijklmnopqrstuvwxyz"
for i in range(a.n):
    c = letters[i % 26].encode()
    t0 = time.monotonic()
    os.write(fd, c)
    read_until(lambda b: c in b, 5)
    samples.append((time.monotonic() - t0) * 1000)
    time.sleep(0.01)
    if i % 60 == 59:  # keep the line short: erase what was typed
        os.write(fd, b"\x15")
        time.sleep(0.05)
        while select.select([fd], [], [], 0.05)[0]:
            os.read(fd, 65536)

samples.sort()
print("median %.2f ms  p95 %.2f ms  (n=%d)" % (statistics.median(samples), samples[int(len(samples) * 0.95) - 1], len(samples)))
os.kill(pid, signal.SIGHUP)
time.sleep(0.2)
try:
    os.kill(pid, signal.SIGKILL)
except ProcessLookupError:
    pass
os.waitpid(pid, 0)
