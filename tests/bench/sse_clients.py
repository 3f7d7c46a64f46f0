#!/usr/bin/env python3
"""sse_clients.py URL RUN N SECONDS - the watchers of tests/bench/sse-load.

One process holds N Server-Sent Event streams of run RUN open (each its
own connection, as N browser tabs would) and, like the dashboard's run
page, polls the run, its first page of evaluations and the runs list
every 2 s over one keep-alive connection. It reads everything for SECONDS
seconds, then prints one line of JSON: the streams that opened, the
events they received by type, and the polls answered.

One process rather than N curl processes: on a small machine the
clients' own CPU would otherwise be most of what the benchmark measures.
"""
import http.client
import json
import selectors
import socket
import sys
import time
import urllib.parse


def open_stream(host, port, run):
    s = socket.create_connection((host, port))
    s.sendall(
        # HTTP/1.0: the stream is not chunked, so its lines arrive whole
        f"GET /api/v1/runs/{run}/events HTTP/1.0\r\nHost: {host}\r\n"
        "Accept: text/event-stream\r\n\r\n".encode()
    )
    s.setblocking(False)
    return s


def main():
    url, run, n, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    u = urllib.parse.urlsplit(url)
    sel = selectors.DefaultSelector()
    buffers = {}
    for _ in range(n):
        s = open_stream(u.hostname, u.port, run)
        sel.register(s, selectors.EVENT_READ)
        buffers[s] = b""
    events = {}
    opened = set()
    poll = http.client.HTTPConnection(u.hostname, u.port)
    polls = 0
    end = time.monotonic() + seconds
    next_poll = time.monotonic()
    while True:
        now = time.monotonic()
        if now >= end:
            break
        if now >= next_poll:
            for path in (f"/api/v1/runs/{run}", f"/api/v1/runs/{run}/evaluations?limit=50",
                         "/api/v1/runs?limit=50"):
                poll.request("GET", path)
                r = poll.getresponse()
                r.read()
                polls += r.status == 200
            next_poll = now + 2
        for key, _ in sel.select(timeout=min(end, next_poll) - time.monotonic()):
            s = key.fileobj
            try:
                data = s.recv(65536)
            except BlockingIOError:
                continue
            if not data:
                sel.unregister(s)
                continue
            if s not in opened and data.split(b"\r\n", 1)[0].split(b" ")[1:2] == [b"200"]:
                opened.add(s)
            buf = buffers[s] + data
            *lines, buffers[s] = buf.split(b"\n")
            for line in lines:
                if line.startswith(b"event: "):
                    name = line[7:].decode().strip()
                    events[name] = events.get(name, 0) + 1
    print(json.dumps({"opened": len(opened), "events": events, "polls": polls}))


if __name__ == "__main__":
    main()
