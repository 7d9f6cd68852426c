#!/usr/bin/env python3
"""How soon another process's refresh shows on `nfa ui`.

    screen_latency.py NFA RUNS

NFA_DB names a database whose accounts customer-1 .. customer-(RUNS+1)
are STALE with a healthy fixture (benches/screen.sh makes it). `nfa ui`
runs on an 80x24 pty; then, RUNS times, at a random moment of the screen's
2 s re-read period, `nfa refresh customer-K` runs as another process and
the time is taken from its exit (its writes committed) until the screen
writes the row's new "ACTIVE". Prints each time in ms, the worst, and the
goal (2000 ms).
"""

import fcntl
import os
import random
import struct
import subprocess
import sys
import termios
import threading
import time

GOAL_MS = 2000


def main():
    nfa, runs = sys.argv[1], int(sys.argv[2])
    env = dict(os.environ, TERM="xterm", NO_COLOR="1")
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    ui = subprocess.Popen(
        [nfa, "ui"], stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
    )
    os.close(slave)
    out = bytearray()
    lock = threading.Lock()

    def read():
        while True:
            try:
                b = os.read(master, 65536)
            except OSError:
                return
            if not b:
                return
            with lock:
                out.extend(b)

    threading.Thread(target=read, daemon=True).start()

    def wait_for(what, since, limit=20.0):
        end = time.monotonic() + limit
        while time.monotonic() < end:
            with lock:
                if out.find(what, since) >= 0:
                    return time.monotonic()
            time.sleep(0.002)
        sys.exit(f"the screen never showed {what!r}")

    wait_for(b"customer-2", 0)
    time.sleep(0.5)
    times = []
    rng = random.Random(7)
    for k in range(2, runs + 2):
        # A random phase of the 2 s re-read.
        time.sleep(rng.uniform(0.0, 2.0))
        with lock:
            since = len(out)
        subprocess.run(
            [nfa, "-q", "refresh", f"customer-{k}"],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        committed = time.monotonic()
        shown = wait_for(b"ACTIVE", since)
        times.append((shown - committed) * 1000)
    os.write(master, b"q")
    ui.wait(timeout=20)
    worst = max(times)
    print(
        " ".join(f"{t:.0f}" for t in times),
        f"worst {worst:.0f} ms   (goal: under {GOAL_MS} ms)",
        "ok" if worst < GOAL_MS else "OVER",
    )


if __name__ == "__main__":
    main()
