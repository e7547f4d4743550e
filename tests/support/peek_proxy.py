#!/usr/bin/env python3
"""A TCP proxy between the CA's validator and certctl's responder, for tests/integration.

    peek_proxy.py --listen PORT --to PORT --report FILE [--wait-file FILE] --port-file FILE

For each connection it accepts (the CA validating) the proxy finds the process that listens on
127.0.0.1:--to (through /proc/net/tcp and /proc/*/fd, so root only) and appends one line to
--report: "<epoch seconds> pid=<pid> ppid=<ppid> uid=<real,effective,saved,fs> gid=<...>
nonewprivs=<0|1>". Since the CA waits for the proxy, the responder is alive while the proxy
looks at it. It then holds the connection until --wait-file exists (so the test decides what
else is connected to the responder first), appends "<epoch seconds> forwarded" and forwards
the bytes both ways."""
import argparse, os, socket, threading, time


def listener_inode(port):
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            if f[3] == "0A" and int(f[1].rsplit(":", 1)[1], 16) == port:
                return f[9]
    return None


def owner(port):
    inode = listener_inode(port)
    if inode is None:
        return "no-listener"
    target = "socket:[%s]" % inode
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fds = os.listdir("/proc/%s/fd" % pid)
            if not any(os.readlink("/proc/%s/fd/%s" % (pid, fd)) == target for fd in fds):
                continue
            status = dict(l.split(":", 1) for l in open("/proc/%s/status" % pid).read().splitlines() if ":" in l)
            get = lambda k: ",".join(status.get(k, "?").split())
            return "pid=%s ppid=%s uid=%s gid=%s nonewprivs=%s" % (
                pid, get("PPid"), get("Uid"), get("Gid"), get("NoNewPrivs"))
        except OSError:
            continue
    return "owner-unknown"


def pipe(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(conn, args):
    with open(args.report, "a") as f:
        f.write("%.3f %s\n" % (time.time(), owner(args.to)))
    while args.wait_file and not os.path.exists(args.wait_file):
        time.sleep(0.02)
    with open(args.report, "a") as f:
        f.write("%.3f forwarded\n" % time.time())
    try:
        back = socket.create_connection(("127.0.0.1", args.to), timeout=10)
        back.settimeout(None)
    except OSError:
        conn.close()
        return
    threading.Thread(target=pipe, args=(conn, back), daemon=True).start()
    pipe(back, conn)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", type=int, required=True)
    ap.add_argument("--to", type=int, required=True)
    ap.add_argument("--report", required=True)
    ap.add_argument("--wait-file")
    ap.add_argument("--port-file", required=True)
    args = ap.parse_args()
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", args.listen))
    srv.listen(64)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(srv.getsockname()[1]))
    os.rename(args.port_file + ".tmp", args.port_file)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn, args), daemon=True).start()


main()
