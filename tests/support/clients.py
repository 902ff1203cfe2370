"""An exact HTTP/1.1 client for the tests: raw bytes in, parsed responses out, over TLS or not."""

import hashlib
import select
import socket
import ssl
import subprocess
import time


class Response:
    def __init__(self, status, reason, headers, body, raw_head):
        self.status = status
        self.reason = reason
        self.headers = headers  # list of (name, value) in order
        self.body = body
        self.raw_head = raw_head

    def header(self, name):
        values = self.all(name)
        return values[0] if values else None

    def all(self, name):
        return [v for n, v in self.headers if n.lower() == name.lower()]

    def __repr__(self):
        return "Response(%d %s, %d bytes)" % (self.status, self.reason, len(self.body or b""))


class HttpClient:
    """One connection. `server_hostname` is sent as SNI and checked against the certificate."""

    def __init__(self, host, port, tls=True, server_hostname=None, cafile=None, alpn=None, timeout=15.0,
                 source_address=None):
        self.timeout = timeout
        raw = socket.create_connection((host, port), timeout=timeout, source_address=source_address)
        if tls:
            context = ssl.create_default_context(cafile=str(cafile) if cafile else None)
            if alpn:
                context.set_alpn_protocols(alpn)
            self.sock = context.wrap_socket(raw, server_hostname=server_hostname or host)
        else:
            self.sock = raw
        self.buffer = b""

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send_raw(self, data):
        self.sock.sendall(data)

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("connection closed by peer")
        self.buffer += data

    def _read_until(self, marker):
        while marker not in self.buffer:
            self._fill()
        index = self.buffer.index(marker) + len(marker)
        chunk, self.buffer = self.buffer[:index], self.buffer[index:]
        return chunk

    def _read_exact(self, n):
        while len(self.buffer) < n:
            self._fill()
        chunk, self.buffer = self.buffer[:n], self.buffer[n:]
        return chunk

    def read_response(self, head_request=False, read_body=True, sink=None):
        """Reads one response (skipping 1xx unless it is the only thing wanted)."""
        while True:
            raw_head = self._read_until(b"\r\n\r\n")
            lines = raw_head[:-4].decode("latin-1").split("\r\n")
            version, status, *reason = lines[0].split(" ", 2)
            status = int(status)
            headers = [tuple(part.strip() for part in line.split(":", 1)) for line in lines[1:]]
            if 100 <= status < 200:
                continue
            response = Response(status, reason[0] if reason else "", headers, b"", raw_head)
            break
        if not read_body or head_request or status in (204, 304):
            return response
        lower = {n.lower(): v for n, v in headers}
        body = bytearray()

        def take(data):
            if sink:
                sink(data)
            else:
                body.extend(data)

        if lower.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int(self._read_until(b"\r\n")[:-2].split(b";")[0], 16)
                if size == 0:
                    while self._read_until(b"\r\n") != b"\r\n":
                        pass
                    break
                remaining = size
                while remaining:
                    if not self.buffer:
                        self._fill()
                    piece = self.buffer[:remaining]
                    self.buffer = self.buffer[len(piece):]
                    remaining -= len(piece)
                    take(piece)
                self._read_exact(2)
        elif "content-length" in lower:
            remaining = int(lower["content-length"])
            while remaining:
                if not self.buffer:
                    self._fill()
                piece = self.buffer[:remaining]
                self.buffer = self.buffer[len(piece):]
                remaining -= len(piece)
                take(piece)
        else:
            take(self.buffer)
            self.buffer = b""
            while True:
                try:
                    data = self.sock.recv(65536)
                except (ConnectionError, ssl.SSLError):
                    break
                if not data:
                    break
                take(data)
        response.body = bytes(body)
        return response

    def request(self, method, target, host=None, headers=(), body=None, read_body=True, sink=None):
        """Sends a request (body: bytes, or an iterable of bytes sent chunked) and reads the response."""
        lines = ["%s %s HTTP/1.1" % (method, target)]
        if host is not None:
            lines.append("Host: %s" % host)
        lines += ["%s: %s" % h for h in headers]
        chunked = body is not None and not isinstance(body, (bytes, bytearray))
        if isinstance(body, (bytes, bytearray)):
            lines.append("Content-Length: %d" % len(body))
        elif chunked:
            lines.append("Transfer-Encoding: chunked")
        self.send_raw(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        if isinstance(body, (bytes, bytearray)):
            self.send_raw(body)
        elif chunked:
            for piece in body:
                if piece:
                    self.send_raw(b"%x\r\n" % len(piece) + piece + b"\r\n")
            self.send_raw(b"0\r\n\r\n")
        return self.read_response(head_request=(method == "HEAD"), read_body=read_body, sink=sink)

    def closed(self, timeout=5.0):
        """True once the peer closed the connection (within `timeout`), False if still open."""
        deadline = time.monotonic() + timeout
        while True:
            if isinstance(self.sock, ssl.SSLSocket) and self.sock.pending():
                try:
                    if not self.sock.recv(65536):
                        return True
                except (ConnectionError, ssl.SSLError, OSError):
                    return True
                continue
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            readable, _, _ = select.select([self.sock], [], [], remaining)
            if not readable:
                return False
            try:
                data = self.sock.recv(65536)
            except ssl.SSLWantReadError:
                continue
            except (ConnectionError, ssl.SSLError, OSError):
                return True
            if not data:
                return True
            self.buffer += data


class Counter:
    """Counts and hashes streamed bytes without keeping them."""

    def __init__(self):
        self.size = 0
        self.sha = hashlib.sha256()

    def __call__(self, data):
        self.size += len(data)
        self.sha.update(data)


def pattern_stream(total, piece=65536):
    """`total` bytes of a deterministic pattern, in pieces, with a running hash in .sha."""
    block = bytes(i % 253 for i in range(piece))

    class Stream:
        def __init__(self):
            self.sha = hashlib.sha256()

        def __iter__(self):
            remaining = total
            while remaining:
                data = block[:min(piece, remaining)]
                remaining -= len(data)
                self.sha.update(data)
                yield data

    return Stream()


def curl(*args, timeout=30):
    return subprocess.run(["curl", "-sS", *args], capture_output=True, timeout=timeout)
