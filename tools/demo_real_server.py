#!/usr/bin/python3
"""The demo and test real server: a stand-in for a Lync front end's IIS web site.

HTTPS (or plain) HTTP/1.1 with keep-alive and pipelining, streaming bodies, /healthcheck.html,
and test endpoints (echo, sized downloads, long polls, status codes, cookies). It can record every
request (one JSON line each) and every raw byte received, so tests can check exactly what espd
forwarded. On start it prints one JSON line: {"event": "listening", "listen": [...], "pid": N}.
"""

import argparse
import asyncio
import base64
import hashlib
import json
import os
import ssl
import sys
import time
import urllib.parse

MAX_HEAD = 65536
READ_SIZE = 65536
# The pattern of /bytes bodies, made once: making it per request costs milliseconds of CPU, which
# a hundred downloads at once turn into a slow real server.
BYTES_BLOCK = bytes(i % 251 for i in range(READ_SIZE))


class BadRequest(Exception):
    pass


class State:
    def __init__(self, args):
        self.name = args.name
        self.health_status = args.health_status
        self.record_path = args.record
        self.raw_path = args.raw_log
        self.connections_accepted = 0
        self.open_connections = 0
        self.requests = 0
        self.per_port = {}
        self.holds = 0
        self.release = asyncio.Event()
        self.next_conn_id = 0
        self.record_file = open(self.record_path, "a", buffering=1) if self.record_path else None
        self.raw_file = open(self.raw_path, "a", buffering=1) if self.raw_path else None

    def record(self, entry):
        if self.record_file:
            self.record_file.write(json.dumps(entry) + "\n")

    def raw(self, conn_id, data):
        if self.raw_file:
            self.raw_file.write(json.dumps({"conn": conn_id,
                                            "data_b64": base64.b64encode(data).decode()}) + "\n")


class Connection:
    """Buffered reading over an asyncio stream, logging raw bytes as they arrive."""

    def __init__(self, state, reader, writer, conn_id):
        self.state = state
        self.reader = reader
        self.writer = writer
        self.conn_id = conn_id
        self.buf = bytearray()
        self.tls_session_reused = None

    async def fill(self):
        data = await self.reader.read(READ_SIZE)
        if not data:
            return False
        self.state.raw(self.conn_id, data)
        self.buf += data
        return True

    async def read_head(self):
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end >= 0:
                head = bytes(self.buf[:end + 4])
                del self.buf[:end + 4]
                return head
            if len(self.buf) > MAX_HEAD:
                raise BadRequest("head too large")
            if not await self.fill():
                if self.buf:
                    raise BadRequest("connection closed mid-head")
                return None

    async def read_exact(self, n):
        while len(self.buf) < n:
            if not await self.fill():
                raise BadRequest("connection closed mid-body")
        data = bytes(self.buf[:n])
        del self.buf[:n]
        return data

    async def read_some(self, limit):
        if not self.buf and not await self.fill():
            raise BadRequest("connection closed mid-body")
        data = bytes(self.buf[:limit])
        del self.buf[:limit]
        return data

    async def read_line(self):
        while True:
            end = self.buf.find(b"\r\n")
            if end >= 0:
                line = bytes(self.buf[:end])
                del self.buf[:end + 2]
                return line
            if len(self.buf) > 8192:
                raise BadRequest("line too long")
            if not await self.fill():
                raise BadRequest("connection closed mid-line")

    async def body_chunks(self, request):
        """Yields the request body in pieces (Content-Length or chunked)."""
        if request["chunked"]:
            while True:
                line = await self.read_line()
                size = int(line.split(b";")[0].strip(), 16)
                if size == 0:
                    while await self.read_line():
                        pass  # trailers
                    return
                remaining = size
                while remaining:
                    piece = await self.read_some(min(remaining, READ_SIZE))
                    remaining -= len(piece)
                    yield piece
                if await self.read_exact(2) != b"\r\n":
                    raise BadRequest("bad chunk framing")
        else:
            remaining = request["length"]
            while remaining:
                piece = await self.read_some(min(remaining, READ_SIZE))
                remaining -= len(piece)
                yield piece


def parse_head(head):
    lines = head[:-4].split(b"\r\n")
    try:
        method, target, version = lines[0].decode("latin-1").split(" ")
    except ValueError:
        raise BadRequest("bad request line")
    if version not in ("HTTP/1.1", "HTTP/1.0"):
        raise BadRequest("bad version")
    headers = []
    for line in lines[1:]:
        if b":" not in line or line[:1] in (b" ", b"\t"):
            raise BadRequest("bad header line")
        name, value = line.split(b":", 1)
        headers.append([name.decode("latin-1"), value.strip().decode("latin-1")])
    lower = {}
    for name, value in headers:
        lower.setdefault(name.lower(), []).append(value)
    length = 0
    chunked = False
    if "transfer-encoding" in lower:
        if lower["transfer-encoding"] != ["chunked"] or "content-length" in lower:
            raise BadRequest("unsupported framing")
        chunked = True
    elif "content-length" in lower:
        if len(lower["content-length"]) != 1 or not lower["content-length"][0].isdigit():
            raise BadRequest("bad content-length")
        length = int(lower["content-length"][0])
    connection = ",".join(lower.get("connection", [])).lower()
    keep_alive = "close" not in connection and (version == "HTTP/1.1" or "keep-alive" in connection)
    path, _, query = target.partition("?")
    return {
        "method": method, "target": target, "version": version, "path": path,
        "query": urllib.parse.parse_qs(query), "headers": headers, "lower": lower,
        "length": length, "chunked": chunked, "keep_alive": keep_alive,
        "expect_continue": [v.lower() for v in lower.get("expect", [])] == ["100-continue"],
    }


class Handler:
    def __init__(self, state, conn, port, peer):
        self.state = state
        self.conn = conn
        self.port = port
        self.peer = peer

    async def respond(self, request, status, body=b"", headers=(), close=False, reason=None):
        lines = ["HTTP/1.1 %d %s" % (status, reason or REASONS.get(status, "Status")),
                 "X-Real-Server: %s" % self.state.name]
        lines += ["%s: %s" % h for h in headers]
        if not any(h[0].lower() == "content-length" for h in headers):
            lines.append("Content-Length: %d" % len(body))
        if close:
            lines.append("Connection: close")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if request["method"] != "HEAD":
            data += body
        self.conn.writer.write(data)
        await self.conn.writer.drain()

    async def consume_body(self, request):
        size = 0
        digest = hashlib.sha256()
        async for piece in self.conn.body_chunks(request):
            size += len(piece)
            if size <= 1 << 20:
                digest.update(piece)
        return size, digest.hexdigest() if size <= 1 << 20 else None

    def record(self, request, body_size, body_sha):
        self.state.record({
            "time": time.time(), "port": self.port, "conn": self.conn.conn_id,
            "client": "%s:%s" % self.peer[:2], "method": request["method"],
            "target": request["target"], "version": request["version"],
            "headers": request["headers"], "body_bytes": body_size, "body_sha256": body_sha,
            "tls_session_reused": self.conn.tls_session_reused,
        })

    async def handle(self, request):
        """Serves one request; returns False when the connection must close."""
        path, query = request["path"], request["query"]
        state = self.state
        state.requests += 1
        state.per_port[self.port] = state.per_port.get(self.port, 0) + 1
        if request["expect_continue"] and (request["length"] or request["chunked"]):
            self.conn.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            await self.conn.writer.drain()
        keep = request["keep_alive"]

        if path == "/echo":
            await self.echo(request)
            return keep

        body_size, body_sha = await self.consume_body(request)
        self.record(request, body_size, body_sha)

        if path.startswith("/_control/"):
            return await self.control(request, path, query) and keep
        if path == "/healthcheck.html":
            await self.respond(request, state.health_status,
                               b"<html><body>%s %d</body></html>\n" % (state.name.encode(), state.health_status),
                               [("Content-Type", "text/html")], close=not keep)
        elif path == "/bytes":
            await self.send_bytes(request, int(query.get("n", ["0"])[0]), query.get("chunked") == ["1"], keep,
                                  trailer=query.get("trailer") == ["1"])
        elif path == "/hold":
            state.holds += 1
            try:
                if query.get("until") == ["release"]:
                    await state.release.wait()
                else:
                    await asyncio.sleep(int(query.get("ms", ["0"])[0]) / 1000)
            finally:
                state.holds -= 1
            await self.respond(request, 200, b"held by %s\n" % state.name.encode(), close=not keep)
        elif path == "/drip":
            # A slow but active transfer: `n` chunks, one every `ms` milliseconds.
            await self.drip(request, int(query.get("n", ["5"])[0]), int(query.get("ms", ["500"])[0]))
        elif path == "/status":
            code = int(query.get("code", ["200"])[0])
            await self.respond(request, code, b"status %d from %s\n" % (code, state.name.encode()), close=not keep)
        elif path == "/set-cookie":
            value = query.get("v", ["1"])[0]
            headers = [("Set-Cookie", "app=%s; Path=/" % value)]
            if query.get("two") == ["1"]:
                headers.append(("Set-Cookie", "other=%s; Path=/; HttpOnly" % value))
            await self.respond(request, 200, b"cookies\n", headers, close=not keep)
        elif path == "/headers":
            body = json.dumps(request["headers"]).encode() + b"\n"
            await self.respond(request, 200, body, [("Content-Type", "application/json")], close=not keep)
        elif path == "/close":
            await self.respond(request, 200, b"closing\n", close=True)
            return False
        else:
            body = ("<html><body><h1>Lync web services demo</h1><p>served by real server %s</p>"
                    "<p>%s %s</p></body></html>\n" % (state.name, request["method"], request["target"]))
            await self.respond(request, 200, body.encode(), [("Content-Type", "text/html; charset=utf-8")],
                               close=not keep)
        return keep

    async def echo(self, request):
        writer = self.conn.writer
        head = ["HTTP/1.1 200 OK", "X-Real-Server: %s" % self.state.name,
                "Content-Type: application/octet-stream"]
        if request["chunked"]:
            head.append("Transfer-Encoding: chunked")
        else:
            head.append("Content-Length: %d" % request["length"])
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
        size = 0
        digest = hashlib.sha256()
        async for piece in self.conn.body_chunks(request):
            size += len(piece)
            if size <= 1 << 20:
                digest.update(piece)
            writer.write(b"%x\r\n%s\r\n" % (len(piece), piece) if request["chunked"] else piece)
            await writer.drain()
        if request["chunked"]:
            writer.write(b"0\r\n\r\n")
        await writer.drain()
        self.record(request, size, digest.hexdigest() if size <= 1 << 20 else None)

    async def send_bytes(self, request, n, chunked, keep, trailer=False):
        writer = self.conn.writer
        head = ["HTTP/1.1 200 OK", "X-Real-Server: %s" % self.state.name,
                "Content-Type: application/octet-stream"]
        head.append("Transfer-Encoding: chunked" if chunked else "Content-Length: %d" % n)
        if not keep:
            head.append("Connection: close")
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
        if request["method"] == "HEAD":
            await writer.drain()
            return
        block = BYTES_BLOCK
        remaining = n
        while remaining:
            piece = block[:min(remaining, len(block))]
            remaining -= len(piece)
            writer.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
            await writer.drain()
        if chunked:
            writer.write(b"0\r\nX-Checksum: %d\r\n\r\n" % n if trailer else b"0\r\n\r\n")
        await writer.drain()

    async def drip(self, request, count, interval_ms):
        writer = self.conn.writer
        writer.write(("HTTP/1.1 200 OK\r\nX-Real-Server: %s\r\nTransfer-Encoding: chunked\r\n\r\n"
                      % self.state.name).encode())
        for i in range(count):
            await writer.drain()
            await asyncio.sleep(interval_ms / 1000)
            writer.write(b"6\r\ndrip%02d\r\n" % (i % 100))
        writer.write(b"0\r\n\r\n")
        await writer.drain()

    async def control(self, request, path, query):
        state = self.state
        if path == "/_control/health":
            state.health_status = int(query.get("status", ["200"])[0])
            body = {"health_status": state.health_status}
        elif path == "/_control/release":
            state.release.set()
            state.release = asyncio.Event()
            body = {"released": True}
        elif path == "/_control/stats":
            body = {"name": state.name, "connections_accepted": state.connections_accepted,
                    "open_connections": state.open_connections, "requests": state.requests,
                    "per_port": {str(k): v for k, v in state.per_port.items()}, "holds": state.holds,
                    "health_status": state.health_status}
        else:
            await self.respond(request, 404, b"unknown control\n")
            return True
        await self.respond(request, 200, json.dumps(body).encode() + b"\n",
                           [("Content-Type", "application/json")])
        return True


REASONS = {100: "Continue", 200: "OK", 204: "No Content", 301: "Moved Permanently", 304: "Not Modified",
           400: "Bad Request", 403: "Forbidden", 404: "Not Found", 500: "Internal Server Error",
           502: "Bad Gateway", 503: "Service Unavailable"}


async def serve_connection(state, reader, writer, port):
    state.connections_accepted += 1
    state.open_connections += 1
    state.next_conn_id += 1
    conn = Connection(state, reader, writer, state.next_conn_id)
    ssl_object = writer.get_extra_info("ssl_object")
    # Whether the client (espd) resumed a TLS session: its upstream session cache at work.
    conn.tls_session_reused = ssl_object.session_reused if ssl_object else None
    peer = writer.get_extra_info("peername") or ("?", 0)
    try:
        while True:
            head = await conn.read_head()
            if head is None:
                break
            try:
                request = parse_head(head)
            except BadRequest:
                writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 12\r\nConnection: close\r\n\r\nbad request\n")
                await writer.drain()
                break
            if not await Handler(state, conn, port, peer).handle(request):
                break
    except (BadRequest, ConnectionError, ssl.SSLError, asyncio.IncompleteReadError):
        pass
    finally:
        state.open_connections -= 1
        try:
            writer.close()
            await writer.wait_closed()
        except (ConnectionError, ssl.SSLError, OSError):
            pass


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", action="append", required=True, help="ADDR:PORT (port 0: any)")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--plain", action="store_true", help="HTTP without TLS")
    parser.add_argument("--client-ca", help="require a client certificate issued by this CA")
    parser.add_argument("--name", default="A")
    parser.add_argument("--record")
    parser.add_argument("--raw-log")
    parser.add_argument("--health-status", type=int, default=200)
    args = parser.parse_args()

    context = None
    if not args.plain:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.cert, args.key)
        if args.client_ca:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(args.client_ca)

    state = State(args)
    servers = []
    listening = []
    for spec in args.listen:
        host, _, port = spec.rpartition(":")
        host = host.strip("[]")
        def make_handler(port_holder):
            async def handler(reader, writer):
                await serve_connection(state, reader, writer, port_holder[0])
            return handler

        holder = [int(port)]
        server = await asyncio.start_server(make_handler(holder), host, int(port), ssl=context,
                                            limit=MAX_HEAD * 2, reuse_address=True)
        actual = server.sockets[0].getsockname()[1]  # the real port when 0 was asked for
        holder[0] = actual
        servers.append(server)
        listening.append("%s:%d" % (("[%s]" % host) if ":" in host else host, actual))
    print(json.dumps({"event": "listening", "listen": listening, "pid": os.getpid()}), flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers))


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
