"""HTTP/2 clients for the tests, over TLS with ALPN h2.

H2Client drives a python3-h2 connection step by step (many streams at once, flow control held back
on purpose, resets), and RawH2 writes frames byte by byte (hyperframe) for the abuse cases that a
correct client library refuses to produce. Every wait is bounded by a deadline."""

import socket
import ssl
import time

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings
import hpack
from hyperframe.frame import Frame, SettingsFrame

DEFAULT_HOST = "meet.mycloud.ag"


def tls_socket(port, server_hostname, cafile, timeout=10.0):
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    context = ssl.create_default_context(cafile=str(cafile))
    context.set_alpn_protocols(["h2"])
    sock = context.wrap_socket(raw, server_hostname=server_hostname)
    if sock.selected_alpn_protocol() != "h2":
        sock.close()
        raise AssertionError("ALPN did not select h2: %r" % sock.selected_alpn_protocol())
    return sock


class StreamResult:
    def __init__(self):
        self.headers = []  # list of (name, value) as str
        self.interim = []  # 1xx header lists
        self.data = bytearray()
        self.trailers = []
        self.ended = False
        self.reset_code = None

    @property
    def status(self):
        for name, value in self.headers:
            if name == ":status":
                return int(value)
        return None

    def header(self, name):
        values = self.all(name)
        return values[0] if values else None

    def all(self, name):
        return [v for n, v in self.headers if n == name.lower()]

    @property
    def done(self):
        return self.ended or self.reset_code is not None

    def __repr__(self):
        return "StreamResult(status=%s, %d bytes, ended=%s, reset=%s)" % (
            self.status, len(self.data), self.ended, self.reset_code)


class H2Client:
    """One HTTP/2 connection. Received DATA is acknowledged (the window re-opened) except on the
    streams listed in `hold_window` (a slow reader)."""

    def __init__(self, port, server_hostname=DEFAULT_HOST, cafile=None, initial_window=None, timeout=15.0,
                 validate=True):
        self.sock = tls_socket(port, server_hostname, cafile, timeout)
        self.sock.settimeout(timeout)
        self.timeout = timeout
        self.authority = server_hostname
        config = h2.config.H2Configuration(client_side=True, header_encoding="utf-8",
                                           validate_outbound_headers=validate,
                                           normalize_outbound_headers=validate)
        self.conn = h2.connection.H2Connection(config=config)
        self.conn.initiate_connection()
        if initial_window is not None:
            self.conn.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: initial_window})
        # A connection window as large as browsers open, so that one stream held back on purpose
        # does not close it for the others.
        self.conn.increment_flow_control_window(1 << 30)
        self.results = {}
        self.hold_window = set()
        self.goaway = None  # the ConnectionTerminated event
        self.closed = False
        self.remote_settings = {}
        self.flush()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def flush(self):
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def request(self, path, method="GET", headers=(), body=None, end_stream=None, authority=None):
        stream_id = self.conn.get_next_available_stream_id()
        fields = [(":method", method), (":scheme", "https"), (":authority", authority or self.authority),
                  (":path", path)] + list(headers)
        if end_stream is None:
            end_stream = body is None
        self.conn.send_headers(stream_id, fields, end_stream=end_stream)
        self.results[stream_id] = StreamResult()
        if body is not None:
            self.send_body(stream_id, body, end_stream=True)
        self.flush()
        return stream_id

    def send_body(self, stream_id, body, end_stream=True, deadline=None):
        """Sends `body`, waiting for flow-control window as needed."""
        deadline = deadline or time.monotonic() + self.timeout
        view = memoryview(body)
        while view:
            window = min(self.conn.local_flow_control_window(stream_id), self.conn.max_outbound_frame_size)
            if window <= 0:
                self.flush()
                self.read_once(deadline)
                continue
            piece, view = view[:window], view[window:]
            self.conn.send_data(stream_id, bytes(piece), end_stream=end_stream and not view)
            self.flush()
        if end_stream and not body:
            self.conn.end_stream(stream_id)
            self.flush()

    def reset(self, stream_id, code=8):  # 8: CANCEL
        self.conn.reset_stream(stream_id, error_code=code)
        self.flush()

    def read_once(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no HTTP/2 event before the deadline")
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise TimeoutError("no HTTP/2 event before the deadline") from None
        except (ConnectionError, ssl.SSLError, OSError):
            data = b""
        if not data:
            self.closed = True
            return
        for event in self.conn.receive_data(data):
            self._handle(event)
        self.flush()

    def _handle(self, event):
        result = self.results.get(getattr(event, "stream_id", None))
        if isinstance(event, h2.events.ResponseReceived):
            result.headers = list(event.headers)
        elif isinstance(event, h2.events.InformationalResponseReceived):
            result.interim.append(list(event.headers))
        elif isinstance(event, h2.events.TrailersReceived):
            result.trailers = list(event.headers)
        elif isinstance(event, h2.events.DataReceived):
            result.data += event.data
            if event.stream_id not in self.hold_window:
                self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        elif isinstance(event, h2.events.StreamEnded):
            result.ended = True
        elif isinstance(event, h2.events.StreamReset):
            if result is not None:
                result.reset_code = int(event.error_code)
        elif isinstance(event, h2.events.ConnectionTerminated):
            self.goaway = event
        elif isinstance(event, h2.events.RemoteSettingsChanged):
            for code, setting in event.changed_settings.items():
                self.remote_settings[int(code)] = setting.new_value

    def release(self, stream_id):
        """Opens the window of a held stream again for everything received on it."""
        self.hold_window.discard(stream_id)
        received = len(self.results[stream_id].data)
        if received:
            self.conn.acknowledge_received_data(received, stream_id)
            self.flush()

    def wait(self, predicate, timeout=None):
        deadline = time.monotonic() + (timeout or self.timeout)
        while not predicate():
            if self.closed:
                raise ConnectionError("connection closed while waiting (goaway=%r)" % (self.goaway,))
            self.read_once(deadline)

    def response(self, stream_id, timeout=None):
        result = self.results[stream_id]
        self.wait(lambda: result.done, timeout)
        return result

    def get(self, path, headers=(), timeout=None, **kwargs):
        return self.response(self.request(path, headers=headers, **kwargs), timeout)

    def wait_closed(self, timeout=None):
        """Reads until the server closes the connection; returns the GOAWAY seen (or None)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while not self.closed:
            try:
                self.read_once(deadline)
            except h2.exceptions.ProtocolError:
                break
        return self.goaway


class RawH2:
    """Frames written as bytes, frames read back parsed (a HEADERS frame's decoded fields in
    `frame.fields`, names and values as bytes): for what no client library would send."""

    PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

    def __init__(self, port, server_hostname=DEFAULT_HOST, cafile=None, timeout=15.0, settings=None):
        self.sock = tls_socket(port, server_hostname, cafile, timeout)
        self.authority = server_hostname
        self.buffer = b""
        self.encoder = hpack.Encoder()
        self.decoder = hpack.Decoder()
        self.closed = False
        self.frames = []  # every frame received
        preface = SettingsFrame(0)
        for code, value in (settings or {}).items():
            preface.settings[code] = value
        self.send(self.PREFACE + preface.serialize())

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data):
        """Sends bytes; False if the server has already closed the connection."""
        try:
            self.sock.sendall(data)
            return True
        except (ConnectionError, ssl.SSLError, OSError):
            self.closed = True
            return False

    def send_frames(self, frames):
        return self.send(b"".join(f.serialize() for f in frames))

    def encode(self, fields):
        return self.encoder.encode(fields)

    def request_fields(self, path="/", method="GET", extra=()):
        return [(":method", method), (":scheme", "https"), (":authority", self.authority),
                (":path", path)] + list(extra)

    def read_frame(self, deadline):
        while True:
            if len(self.buffer) >= 9:
                frame, length = Frame.parse_frame_header(memoryview(self.buffer[:9]))
                if len(self.buffer) >= 9 + length:
                    frame.parse_body(memoryview(self.buffer[9:9 + length]))
                    self.buffer = self.buffer[9 + length:]
                    if frame.type == 0x1:  # every header block, in order, keeps HPACK in step
                        frame.fields = dict(self.decoder.decode(frame.data, raw=True))
                    self.frames.append(frame)
                    return frame
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no frame before the deadline")
            self.sock.settimeout(remaining)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                raise TimeoutError("no frame before the deadline") from None
            except (ConnectionError, ssl.SSLError, OSError):
                data = b""
            if not data:
                self.closed = True
                return None
            self.buffer += data

    def wait_for(self, predicate, timeout=10.0):
        """The first frame received from now on matching `predicate`, or None if the connection
        closed first."""
        deadline = time.monotonic() + timeout
        while True:
            frame = self.read_frame(deadline)
            if frame is None:
                return None
            if predicate(frame):
                return frame

    def wait_goaway(self, timeout=10.0):
        return self.wait_for(lambda f: f.type == 0x7, timeout)

    def drain_until_closed(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        while self.read_frame(deadline) is not None:
            pass
        return self.frames
