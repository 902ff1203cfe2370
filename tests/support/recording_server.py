"""A raw-socket TLS real server for differential tests: it logs every byte it receives and splits
them into requests the way a LENIENT server would (bare LF, obs-fold, whitespace before the colon,
"X_Y" read as "X-Y", any Transfer-Encoding that mentions chunked wins over Content-Length, signed or
padded lengths), so that any ambiguity espd let through shows up as a request boundary espd did
not see. Each complete request is answered at once: 200, with the target it saw in `X-Seen` and
in the body. Runs in threads of the test process; stop() closes everything."""

import re
import socket
import ssl
import threading


class SeenRequest:
    def __init__(self, conn, start, method, target, head):
        self.conn = conn
        self.start = start  # offset of the request line in the connection's byte stream
        self.end = None  # offset just after the body; None while the body is incomplete
        self.method = method
        self.target = target
        self.head = head  # the raw head bytes

    @property
    def complete(self):
        return self.end is not None

    def __repr__(self):
        return "%s %s (conn %d, bytes %d..%s)" % (self.method, self.target, self.conn, self.start,
                                                  self.end if self.complete else "incomplete")


class LenientParser:
    """Incremental request splitter with the leniencies of permissive servers."""

    def __init__(self, conn):
        self.conn = conn
        self.data = bytearray()
        self.offset = 0  # where the next request starts
        self.current = None  # a request whose body is still coming
        self.body = None  # ("length", n) or ("chunked", position)

    def feed(self, data):
        """Adds bytes; returns the requests whose end was reached."""
        self.data += data
        done = []
        while True:
            if self.current is None and not self._start_request():
                return done
            if not self._finish_body():
                return done
            done.append(self.current)
            self.current = None

    def _start_request(self):
        rest = bytes(self.data[self.offset:])
        while rest.startswith(b"\r\n") or rest.startswith(b"\n"):  # leading empty lines
            skip = 2 if rest.startswith(b"\r\n") else 1
            self.offset += skip
            rest = rest[skip:]
        match = re.search(b"\r?\n\r?\n", rest)
        if not match:
            return False
        head = rest[:match.end()]
        lines = [line.rstrip(b"\r") for line in head.split(b"\n")]
        request_line = lines[0].split()
        method = request_line[0].decode("latin-1") if request_line else ""
        target = request_line[1].decode("latin-1") if len(request_line) > 1 else ""
        fields = []
        for line in lines[1:]:
            if not line:
                continue
            if line[:1] in (b" ", b"\t") and fields:  # obs-fold: continues the previous value
                fields[-1][1] += b" " + line.strip()
                continue
            if b":" not in line:
                continue
            name, value = line.split(b":", 1)
            fields.append([name.strip().lower().replace(b"_", b"-"), value.strip()])
        self.current = SeenRequest(self.conn, self.offset, method, target, head)
        self.offset += len(head)
        te = b",".join(v for n, v in fields if n == b"transfer-encoding").lower()
        lengths = [v for n, v in fields if n == b"content-length"]
        if b"chunked" in te:
            self.body = ["chunked", self.offset]
        elif lengths:
            number = re.match(rb"\s*[+]?0*(\d+)", lengths[0])
            self.body = ["length", int(number.group(1)) if number else 0]
        else:
            self.body = ["length", 0]
        return True

    def _finish_body(self):
        kind, value = self.body
        if kind == "length":
            if len(self.data) - self.offset < value:
                return False
            self.offset += value
        else:
            position = value
            while True:
                match = re.compile(b"([0-9a-fA-F]+)[^\n]*?\r?\n").match(self.data, position)
                if not match:
                    if b"\n" in self.data[position:]:
                        position = self.data.index(b"\n", position) + 1  # junk line: skip it
                        continue
                    self.body[1] = position
                    return False
                size = int(match.group(1), 16)
                if size == 0:
                    end = re.compile(b"(?:[^\n]*\n)*?\r?\n").match(self.data, match.end())
                    if not end:
                        self.body[1] = position
                        return False
                    self.offset = end.end()
                    break
                data_end = match.end() + size
                after = self.data[data_end:data_end + 2]
                if len(self.data) < data_end + 1 or (after[:1] == b"\r" and len(after) < 2):
                    self.body[1] = position
                    return False
                position = data_end + (2 if after == b"\r\n" else 1 if after[:1] == b"\n" else 0)
        self.current.end = self.offset
        return True


class RecordingServer:
    def __init__(self, pki, address="127.0.0.1"):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(pki / "realserver.pem"), str(pki / "realserver.key"))
        self.context = context
        self.listener = socket.create_server((address, 0))
        self.address = address
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.raw = {}  # connection id -> bytearray of everything received
        self.seen = []  # SeenRequest, in the order their heads arrived
        self.parsers = {}
        self.threads = []
        self.sockets = []
        self.open_connections = 0
        self.stopping = False
        self.acceptor = threading.Thread(target=self._accept, daemon=True)
        self.acceptor.start()

    # --- what the tests read ---
    def requests(self):
        with self.lock:
            return list(self.seen)

    def complete_targets(self):
        return [r.target for r in self.requests() if r.complete]

    def raw_bytes(self):
        with self.lock:
            return {conn: bytes(data) for conn, data in self.raw.items()}

    def boundaries(self):
        """One line per request seen: the boundaries this server drew in each connection."""
        return "\n".join(repr(r) for r in self.requests())

    def wait_idle(self, timeout=10.0):
        """Waits until every connection has ended (espd stopped or closed them)."""
        for thread in list(self.threads):
            thread.join(timeout)
        return all(not t.is_alive() for t in self.threads)

    def stop(self):
        self.stopping = True
        try:
            self.listener.close()
        except OSError:
            pass
        for sock in list(self.sockets):
            try:
                sock.close()
            except OSError:
                pass

    # --- serving ---
    def _accept(self):
        conn_id = 0
        while not self.stopping:
            try:
                raw, _ = self.listener.accept()
            except OSError:
                return
            conn_id += 1
            thread = threading.Thread(target=self._serve, args=(raw, conn_id), daemon=True)
            self.threads.append(thread)
            thread.start()

    def _serve(self, raw, conn_id):
        self.sockets.append(raw)
        parser = LenientParser(conn_id)
        with self.lock:
            self.raw[conn_id] = bytearray()
            self.open_connections += 1
        try:
            sock = self.context.wrap_socket(raw, server_side=True)
            self.sockets.append(sock)
            while True:
                data = sock.recv(65536)
                if not data:
                    break
                with self.lock:
                    self.raw[conn_id] += data
                    known = {id(r) for r in self.seen}
                    finished = parser.feed(data)
                    # In stream order: those that ended, then the one still receiving its body.
                    for request in finished + ([parser.current] if parser.current else []):
                        if id(request) not in known:
                            self.seen.append(request)
                            known.add(id(request))
                for request in finished:
                    body = request.target.encode("latin-1")
                    sock.sendall(b"HTTP/1.1 200 OK\r\nX-Seen: %s\r\nContent-Length: %d\r\n\r\n%s"
                                 % (body, len(body), body))
        except (OSError, ssl.SSLError, ValueError):
            pass
        finally:
            with self.lock:
                self.open_connections -= 1
            try:
                raw.close()
            except OSError:
                pass
