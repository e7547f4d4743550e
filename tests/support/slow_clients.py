#!/usr/bin/env python3
"""Slow and idle clients against a responder port, for tests/integration.

    slow_clients.py --port PORT --count N --ready FILE [--tls] [--seconds S]

Waits until 127.0.0.1:PORT accepts connections, then holds N connections open: half idle
(they send nothing), half dribbling one byte a second (an HTTP request line and headers that
never end, or with --tls a TLS record that never completes). A connection the server closes
is opened again, so the pressure stays for --seconds (default 120). Writes FILE once all N
are connected; prints the number of connections the server closed when it stops (SIGTERM)."""
import argparse, os, selectors, signal, socket, sys, time

HTTP = b"GET /.well-known/acme-challenge/slowloris HTTP/1.1\r\nHost: x\r\n" + b"X-a: b\r\n" * 1000
TLS = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 600


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.setblocking(False)
    return s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--ready", required=True)
    ap.add_argument("--tls", action="store_true")
    ap.add_argument("--seconds", type=float, default=120)
    args = ap.parse_args()
    payload = TLS if args.tls else HTTP
    closed = [0]
    signal.signal(signal.SIGTERM, lambda *_: (print("closed by server:", closed[0]), sys.exit(0)))
    deadline = time.time() + 30
    while True:
        try:
            connect(args.port).close()
            break
        except OSError:
            if time.time() > deadline:
                sys.exit("nothing listens on port %d" % args.port)
            time.sleep(0.01)
    conns = {}  # socket -> bytes sent (None: idle)
    sel = selectors.DefaultSelector()
    for i in range(args.count):
        s = connect(args.port)
        conns[s] = 0 if i % 2 else None
        sel.register(s, selectors.EVENT_READ)
    with open(args.ready + ".tmp", "w") as f:
        f.write("%d\n" % len(conns))
    os.rename(args.ready + ".tmp", args.ready)
    end = time.time() + args.seconds
    while time.time() < end:
        for key, _ in sel.select(timeout=1.0):
            s = key.fileobj
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if not data:
                sel.unregister(s)
                sent = conns.pop(s)
                s.close()
                closed[0] += 1
                try:
                    n = connect(args.port)
                    conns[n] = None if sent is None else 0
                    sel.register(n, selectors.EVENT_READ)
                except OSError:
                    pass
        for s, sent in list(conns.items()):
            if sent is not None and sent < len(payload):
                try:
                    s.send(payload[sent:sent + 1])
                    conns[s] = sent + 1
                except OSError:
                    pass
    print("closed by server:", closed[0])


main()
