#!/usr/bin/env python3
"""Run a command several times; print median wall time and peak RSS (of the child).

usage: measure.py LABEL RUNS -- COMMAND...   (stdout of the command is discarded)

"{run}" in an argument is replaced by the run number, so each run can use fresh names.
With --machine, prints "LABEL MEDIAN_S PEAK_MIB" for scripts instead of the text line.
"""
import os
import resource
import statistics
import subprocess
import sys
import time


def run_once(cmd):
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        try:
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"measure: {' '.join(cmd)} exited {code}")
    return wall, usage.ru_maxrss / 1024.0  # KiB -> MiB


def main():
    args = sys.argv[1:]
    machine = bool(args) and args[0] == "--machine"
    if machine:
        args = args[1:]
    if len(args) < 4 or args[2] != "--":
        sys.exit(__doc__)
    label, runs, cmd = args[0], int(args[1]), args[3:]
    results = [run_once([a.replace("{run}", str(i)) for a in cmd]) for i in range(runs)]
    walls = [w for w, _ in results]
    rss = max(r for _, r in results)
    if machine:
        print(f"{label} {statistics.median(walls):.3f} {rss:.1f}")
    else:
        print(f"{label:<44} median {statistics.median(walls):8.3f} s   min {min(walls):8.3f} s   peak RSS {rss:7.1f} MiB")


if __name__ == "__main__":
    main()
