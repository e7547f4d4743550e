#!/usr/bin/env python3
"""Run a command several times; print median wall time and peak RSS (of the child).

usage: measure.py LABEL RUNS -- COMMAND...   (stdout of the command is discarded)
       measure.py --interleave RUNS LABEL=SHELL_COMMAND...

"{run}" in an argument is replaced by the run number, so each run can use fresh names.
With --machine, prints "LABEL MEDIAN_S PEAK_MIB" for scripts instead of the text line.
With --interleave, each round runs every command once, in the order given (bash -c; start it
with exec), so a slow moment of the machine hits all of them alike; then it prints one line per
label: "LABEL MEDIAN_WALL_S MEDIAN_CPU_S PEAK_MIB" (CPU: user + system of the command and every
process it waited for).
"""
import os
import resource
import statistics
import subprocess
import sys
import time


def run_once(cmd, cpu=False):
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
    if cpu:
        return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0
    return wall, usage.ru_maxrss / 1024.0  # KiB -> MiB


def interleave(runs, specs):
    jobs = []
    for spec in specs:
        label, sep, command = spec.partition("=")
        if not sep or not label or not command:
            sys.exit(f"measure: '{spec}' is not LABEL=SHELL_COMMAND")
        jobs.append((label, command))
    results = {label: [] for label, _ in jobs}
    for i in range(runs):
        for label, command in jobs:
            results[label].append(run_once(["bash", "-c", command.replace("{run}", str(i))], cpu=True))
    for label, _ in jobs:
        r = results[label]
        print(f"{label} {statistics.median(x[0] for x in r):.3f} {statistics.median(x[1] for x in r):.3f} "
              f"{max(x[2] for x in r):.1f}")


def main():
    args = sys.argv[1:]
    if args[:1] == ["--interleave"]:
        if len(args) < 3:
            sys.exit(__doc__)
        interleave(int(args[1]), args[2:])
        return
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
