#!/usr/bin/env python3
"""slow_clients.py HOST PORT N PHASE SECONDS: N connections that each send a
request one byte at a time, a byte every 0.5 s, for at most SECONDS.

PHASE is "headers" (the request line and headers trickle in) or "body"
(the headers arrive whole, announcing a 4096-byte body that trickles in).
Prints one line per connection: "cut T" when the server closed it T
seconds after it opened, "open" when it was still open at the end, "refused"
when it could not be opened or was closed before its first byte. Once all
are open, "connected" goes to stderr.
"""
import socket
import sys
import time


def main():
    host, port, n, phase, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
        sys.argv[4], float(sys.argv[5])
    head = b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 64
    if phase == "body":
        head = b"POST /api/v1/runs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" \
               b"Content-Length: 4096\r\n\r\n"
    conns = []
    for _ in range(n):
        try:
            s = socket.create_connection((host, port), timeout=2)
            s.setblocking(False)
            conns.append([s, time.monotonic(), None, 0])
        except OSError:
            conns.append([None, time.monotonic(), "refused", 0])
    print("connected", file=sys.stderr, flush=True)
    if phase == "body":
        for c in conns:
            if c[0]:
                try:
                    c[0].sendall(head)
                except OSError:
                    c[2] = "refused"
        head = b"{" + b" " * 8192
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(c[0] and not c[2] for c in conns):
        for c in conns:
            s = c[0]
            if not s or c[2]:
                continue
            try:
                if s.recv(4096) == b"":
                    raise ConnectionResetError
            except BlockingIOError:
                pass
            except OSError:
                c[2] = "cut %.1f" % (time.monotonic() - c[1]) if c[3] else "refused"
                continue
            try:
                s.send(head[c[3] % len(head):c[3] % len(head) + 1])
                c[3] += 1
            except OSError:
                c[2] = "cut %.1f" % (time.monotonic() - c[1]) if c[3] else "refused"
        time.sleep(0.5)
    for c in conns:
        print(c[2] or "open")
        if c[0]:
            c[0].close()


main()
