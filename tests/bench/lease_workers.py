"""lease_workers.py URL WORKERS SECONDS - many fake remote workers on one
event loop: each leases an evaluation (POST /api/v1/leases), posts a result
for it at once (its hash, empty metrics) and asks again; 204 means nothing
waits, and it asks again after 10 ms. Prints the leases granted and
results accepted per second. Plain sockets with keep-alive: one Python
process drives hundreds of workers without measuring itself much."""
import asyncio
import json
import sys
import time


async def call(reader, writer, host, method, path, body):
    data = json.dumps(body).encode()
    writer.write(f"{method} {path} HTTP/1.1\r\nHost: {host}\r\n"
                 f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
                 .encode() + data)
    await writer.drain()
    status = int((await reader.readline()).split()[1])
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        k, _, v = line.decode().partition(":")
        if k.lower() == "content-length":
            length = int(v)
    payload = await reader.readexactly(length) if length else b""
    return status, payload


async def worker(host, port, n, stop, counts):
    reader, writer = await asyncio.open_connection(host, port)
    offer = {"worker": f"fake-{n}", "host": "loopback"}
    while time.monotonic() < stop:
        status, payload = await call(reader, writer, host, "POST", "/api/v1/leases", offer)
        if status == 204:
            counts["idle"] += 1
            await asyncio.sleep(0.01)
            continue
        if status != 201:
            counts["errors"] += 1
            await asyncio.sleep(0.01)
            continue
        lease = json.loads(payload)
        counts["leases"] += 1
        status, _ = await call(reader, writer, host, "POST",
                               f"/api/v1/leases/{lease['id']}/result",
                               {"hash": lease["hash"], "state": "complete", "metrics": {},
                                "seconds": 0})
        counts["results" if status == 200 else "refused"] += 1
    writer.close()


async def main():
    url, workers, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    host, port = url.split("//")[1].split(":")
    counts = {"leases": 0, "results": 0, "refused": 0, "idle": 0, "errors": 0}
    t0 = time.monotonic()
    await asyncio.gather(*(worker(host, int(port), n, t0 + seconds, counts)
                           for n in range(workers)))
    dt = time.monotonic() - t0
    print(f"{workers} fake workers, {dt:.1f} s: {counts['leases'] / dt:.0f} leases/s, "
          f"{counts['results'] / dt:.0f} results/s accepted; {counts['refused']} refused, "
          f"{counts['idle']} empty answers, {counts['errors']} errors")


asyncio.run(main())
