#!/usr/bin/env python3
"""Plays the user of `--dns manual` on a terminal (a pty): runs the certctl command given as
arguments, waits for the prompt, creates every TXT record it lists with nsupdate, presses Enter,
and exits with certctl's status. Its output is copied to stdout.

  manual_dns_user.py SERVER_IP PORT KEY_FILE -- CERTCTL ARGS...
"""
import os
import pty
import re
import subprocess
import sys

server, port, key_file = sys.argv[1:4]
argv = sys.argv[5:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)

seen = b""
answered = False
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    seen += chunk
    sys.stdout.buffer.write(chunk)
    sys.stdout.flush()
    if not answered and b"press Enter" in seen:
        records = re.findall(rb'(_acme-challenge\S+) (\d+) IN TXT "([A-Za-z0-9_-]+)"', seen)
        cmds = "server %s %s\n" % (server, port)
        for name, ttl, value in records:
            cmds += "update add %s %s TXT %s\n" % (name.decode(), ttl.decode(), value.decode())
        cmds += "send\n"
        subprocess.run(["nsupdate", "-k", key_file], input=cmds.encode(), check=True)
        print("\n[manual_dns_user: created %d record(s), pressing Enter]" % len(records), flush=True)
        os.write(fd, b"\n")
        answered = True
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
