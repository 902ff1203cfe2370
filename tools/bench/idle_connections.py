#!/usr/bin/env python3
"""Opens N TLS connections to a proxy, sends one keep-alive request on each, reads the answer and
keeps every connection open (idle) until its standard input closes. For figure 5 of the bench:
the proxy's RSS growth divided by N is its memory per idle TLS connection.

Prints one JSON line when all connections are idle: {"held": N, "ok": <2xx answers>,
"failed": <connections that failed>, "first_error": "..."}; then, after stdin closes, closes them.

Usage: idle_connections.py --connect 127.0.0.1:PORT --sni NAME --host HOST --path /1k -n N
                           [--parallel 64] [--sources 127.0.1.1,127.0.1.2]

--sources: local addresses the connections are made from, in turn. One source address and port
can reach one proxy port through the ephemeral port range only (about 28,000 connections on
Linux's default), so more connections than that need several (any 127.x.y.z is local).
"""

import argparse
import asyncio
import json
import ssl
import sys


async def open_one(address, port, source, context, sni, request, results, held):
    try:
        reader, writer = await asyncio.open_connection(address, port, ssl=context, server_hostname=sni,
                                                       local_addr=(source, 0) if source else None)
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length:
            await reader.readexactly(length)
        results["ok" if 200 <= status < 300 else "other_status"] += 1
        held.append(writer)
    except Exception as error:  # noqa: BLE001 - every failure is counted and the first reported
        results["failed"] += 1
        if not results["first_error"]:
            results["first_error"] = "%s: %s" % (type(error).__name__, error)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--connect", required=True)
    parser.add_argument("--sni", required=True)
    parser.add_argument("--host", required=True)
    parser.add_argument("--path", default="/")
    parser.add_argument("-n", type=int, required=True)
    parser.add_argument("--parallel", type=int, default=64)
    parser.add_argument("--sources", default="", help="comma-separated local addresses, used in turn")
    args = parser.parse_args()
    sources = [s for s in args.sources.split(",") if s] or [None]
    address, port = args.connect.rsplit(":", 1)

    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the client's CPU is shared; the proxy is what is measured
    request = ("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: espd-bench\r\n\r\n" % (args.path, args.host)).encode()

    results = {"ok": 0, "other_status": 0, "failed": 0, "first_error": ""}
    held = []
    gate = asyncio.Semaphore(args.parallel)

    async def bounded(index):
        async with gate:
            await open_one(address, int(port), sources[index % len(sources)], context, args.sni, request, results,
                           held)

    await asyncio.gather(*(bounded(index) for index in range(args.n)))
    print(json.dumps({"held": len(held), **results}), flush=True)

    # Idle until told to stop (the driver measures the proxy meanwhile).
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    for writer in held:
        writer.transport.abort()


if __name__ == "__main__":
    asyncio.run(main())
