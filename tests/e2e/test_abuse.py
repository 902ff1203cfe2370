"""End-to-end: resource abuse that must not hurt. Slowloris on bodies, connection caps (per
listener and per client, with clean refusal), running out of file descriptors, huge headers, many
tiny pipelined requests, a real server that never answers and one that answers forever. Every case
ends with espd still serving a normal request, and prints espd's peak RSS (VmHWM) for the report;
the bounds asserted are generous (the figures are in docs/SECURITY.md)."""

import select
import socket
import ssl
import threading
import time

import pytest

from tests.support.clients import HttpClient
from tests.support.configs import base_config, listen_port
from tests.support.paths import SANITIZED
from tests.support.waiting import wait_until

HOST = "meet.mycloud.ag"
MIB = 1024


@pytest.fixture
def report(capsys):
    """Prints one line to the test output even when pytest captures it."""

    def emit(espd, case, baseline_kib, limit_growth_kib):
        peak = espd.peak_rss_kib()
        with capsys.disabled():
            print("\n[peak RSS] %s: baseline %d KiB, peak %d KiB, growth %d KiB (bound %d KiB)"
                  % (case, baseline_kib, peak, peak - baseline_kib, limit_growth_kib))
        assert SANITIZED or peak - baseline_kib < limit_growth_kib, case

    return emit


def start(espd_factory, real_server_factory, pki, service=None, workers=1, tls=True):
    a = real_server_factory("A")
    config = base_config(pki, [a], service=service, extra={"workers": workers})
    if not tls:
        del config["virtual_services"]["web"]["tls"]
    espd = espd_factory()
    espd.write_config(config)
    espd.start()
    return espd, a, listen_port(config)


def client(pki, port, tls=True, **kwargs):
    return HttpClient("127.0.0.1", port, server_hostname=HOST, cafile=pki / "root-ca.pem", tls=tls, **kwargs)


def still_serving(pki, port, tls=True):
    with client(pki, port, tls=tls) as c:
        response = c.request("GET", "/still-serving", host=HOST)
    assert response.status == 200 and b"/still-serving" in response.body


def serving_again(pki, port, tls=True, timeout=20):
    """Places free up once espd has seen the closes (asynchronously): wait until it serves."""

    def serving():
        try:
            still_serving(pki, port, tls)
            return True
        except (OSError, AssertionError):
            return False

    wait_until(serving, timeout=timeout, what="espd serving a normal request")


def warm_up(espd, pki, port, tls=True):
    """One request (pools, TLS, buffers), then the RSS the case starts from."""
    still_serving(pki, port, tls)
    return espd.rss_kib()


def answer_arrived(c, wait_s):
    """True once response bytes are in `c.buffer`. A readable socket alone is not enough: TLS 1.3
    session tickets arrive after the handshake and carry no application data."""
    if not select.select([c.sock], [], [], wait_s)[0]:
        return False
    c.sock.setblocking(False)
    try:
        c.buffer += receive_some(c.sock, eof_ok=True)
    finally:
        c.sock.settimeout(c.timeout)
    return bool(c.buffer)


def security(espd, predicate, start=0, timeout=10):
    return espd.wait_for(lambda r: r.get("log") == "security" and predicate(r), timeout=timeout, start=start)


# --- slowloris on bodies -------------------------------------------------------------------------

def test_a_trickling_request_body_gets_408(espd_factory, real_server_factory, pki, report):
    espd, a, port = start(espd_factory, real_server_factory, pki,
                          service={"limits": {"body_timeout_s": 2, "min_body_rate_bytes_s": 100}})
    baseline = warm_up(espd, pki, port)
    with client(pki, port) as c:
        c.send_raw(b"POST /upload HTTP/1.1\r\nHost: %s\r\nContent-Length: 100000\r\n\r\n" % HOST.encode())
        # One byte every 50 ms: 20 B/s, below the 100 B/s floor, and never silent for 2 s. One
        # thread does both (an SSL socket must not be read and written from two threads at once).
        deadline = time.monotonic() + 30
        while not answer_arrived(c, 0.05):
            assert time.monotonic() < deadline, "no answer to the trickle"
            c.send_raw(b"x")
        response = c.read_response()
        assert response.status == 408
        assert response.header("Connection") == "close"
        assert c.closed()
    record = security(espd, lambda r: r.get("detail") == "body_too_slow")
    assert record["reason"] == "request_timeout" and record["status"] == 408
    assert [r for r in a.requests() if r["target"] == "/upload"] == []  # never complete
    still_serving(pki, port)
    report(espd, "body trickle (1 byte / 50 ms)", baseline, 32 * MIB)


def test_a_stalled_request_body_gets_408_and_a_slow_but_steady_one_passes(espd_factory, real_server_factory,
                                                                          pki, report):
    espd, a, port = start(espd_factory, real_server_factory, pki,
                          service={"limits": {"body_timeout_s": 2, "min_body_rate_bytes_s": 100}})
    baseline = warm_up(espd, pki, port)
    with client(pki, port) as c:
        c.send_raw(b"POST /upload HTTP/1.1\r\nHost: %s\r\nContent-Length: 1000\r\n\r\n" % HOST.encode()
                   + b"y" * 10)
        assert c.read_response().status == 408  # 10 bytes, then silence
        assert c.closed()
    security(espd, lambda r: r.get("detail") == "body_timeout")
    # 100 bytes every 200 ms (500 B/s, five times the floor) for longer than one 2 s period.
    with client(pki, port) as c:
        def paced():
            for _ in range(15):
                time.sleep(0.2)
                yield b"z" * 100
        response = c.request("POST", "/upload", host=HOST, body=paced())
    assert response.status == 200
    assert [r["body_bytes"] for r in a.requests() if r["target"] == "/upload"] == [1500]
    still_serving(pki, port)
    report(espd, "stalled body + steady slow body", baseline, 32 * MIB)


# --- connection caps -----------------------------------------------------------------------------

def tls_connect(port, pki, source=None, timeout=10):
    """A TLS connection with its handshake done, or the exception that ended the handshake."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                   source_address=(source, 0) if source else None)
    context = ssl.create_default_context(cafile=str(pki / "root-ca.pem"))
    try:
        return context.wrap_socket(raw, server_hostname=HOST)
    except (ssl.SSLError, OSError) as error:
        raw.close()
        return error


def refused(result):
    return isinstance(result, Exception)


def eventually_admitted(port, pki, source=None, timeout=10):
    """Connections close asynchronously: retry until espd counts the freed place."""

    def admitted():
        result = tls_connect(port, pki, source)
        return None if refused(result) else result

    return wait_until(admitted, timeout=timeout, what="a place freed")


def test_max_connections_per_listener_refuses_cleanly(espd_factory, real_server_factory, pki, report):
    espd, a, port = start(espd_factory, real_server_factory, pki, workers=2,
                          service={"limits": {"max_connections": 20}})
    baseline = espd.rss_kib()  # no warm-up: its connection would still count for a moment
    mark = espd.mark()
    held = [tls_connect(port, pki) for _ in range(20)]
    assert not any(refused(h) for h in held), held
    over = [tls_connect(port, pki) for _ in range(5)]
    assert all(refused(o) for o in over), over  # closed before the handshake: no TLS work done
    record = security(espd, lambda r: r.get("reason") == "connection_limit", start=mark)
    assert record["detail"].startswith("max_connections (20) reached")
    assert "status" not in record  # TLS: a close, not a response
    # The held connections still work; closing one frees a place (counted across both workers).
    for h in held[:3]:
        h.sendall(b"GET /held HTTP/1.1\r\nHost: %s\r\n\r\n" % HOST.encode())
        assert h.recv(12) == b"HTTP/1.1 200"
    held.pop().close()
    held.append(eventually_admitted(port, pki))
    for h in held:
        h.close()
    still_serving(pki, port)
    report(espd, "max_connections 20, 25 clients", baseline, 32 * MIB)


def test_max_connections_per_client_address(espd_factory, real_server_factory, pki, report):
    espd, a, port = start(espd_factory, real_server_factory, pki, workers=2,
                          service={"limits": {"max_connections_per_client": 5}})
    baseline = warm_up(espd, pki, port)
    mark = espd.mark()
    mine = [tls_connect(port, pki, source="127.0.0.2") for _ in range(5)]
    assert not any(refused(m) for m in mine)
    assert refused(tls_connect(port, pki, source="127.0.0.2"))
    others = [tls_connect(port, pki, source="127.0.0.3") for _ in range(5)]
    assert not any(refused(o) for o in others)  # another client is not affected
    record = security(espd, lambda r: r.get("reason") == "connection_limit", start=mark)
    assert record["client"] == "127.0.0.2"
    assert record["detail"].startswith("max_connections_per_client (5) reached")
    mine.pop().close()
    mine.append(eventually_admitted(port, pki, source="127.0.0.2"))
    for s in mine + others:
        s.close()
    still_serving(pki, port)
    report(espd, "max_connections_per_client 5", baseline, 32 * MIB)


def test_plain_http_refusal_is_a_503(espd_factory, real_server_factory, pki):
    espd, a, port = start(espd_factory, real_server_factory, pki, tls=False,
                          service={"limits": {"max_connections": 2}})
    held = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(2)]
    for h in held:  # admitted: each gets answers
        h.sendall(b"GET / HTTP/1.1\r\nHost: %s\r\n\r\n" % HOST.encode())
        assert h.recv(12) == b"HTTP/1.1 200"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as over:
        data = b""
        while True:
            piece = over.recv(4096)
            if not piece:
                break
            data += piece
    assert data.startswith(b"HTTP/1.1 503 Service Unavailable\r\n")
    assert b"\r\nRetry-After: 5\r\n" in data and b"\r\nConnection: close\r\n" in data
    head, body = data.split(b"\r\n\r\n", 1)
    assert int(dict(line.split(b": ", 1) for line in head.split(b"\r\n")[1:])[b"Content-Length"]) == len(body)
    record = security(espd, lambda r: r.get("reason") == "connection_limit")
    assert record["status"] == 503
    for h in held:
        h.close()
    serving_again(pki, port, tls=False)


def test_a_thousand_connections_over_a_cap_of_800(espd_factory, real_server_factory, pki, report):
    espd, a, port = start(espd_factory, real_server_factory, pki, workers=2,
                          service={"limits": {"max_connections": 800, "header_timeout_s": 60}})
    baseline = espd.rss_kib()
    mark = espd.mark()
    # Plain TCP connections that never start their handshake: each holds a place until
    # header_timeout_s. 1000 of them: 800 held, 200 refused (espd closes those at once).
    sockets = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(1000)]
    for s in sockets:
        s.settimeout(0.0)
    open_sockets = set(sockets)

    def refusals_seen():
        for s in list(open_sockets):
            try:
                if s.recv(1) == b"":
                    open_sockets.discard(s)
            except BlockingIOError:
                pass
            except ConnectionError:
                open_sockets.discard(s)
        return len(sockets) - len(open_sockets) >= 200

    wait_until(refusals_seen, timeout=20, what="200 connections closed by espd")
    assert len(sockets) - len(open_sockets) == 200
    security(espd, lambda r: r.get("reason") == "connection_limit", start=mark)
    for s in sockets:
        s.close()
    eventually_admitted(port, pki).close()
    still_serving(pki, port)
    report(espd, "1000 connections, cap 800", baseline, 64 * MIB)


def test_running_out_of_file_descriptors_pauses_accepting_without_spinning(espd_factory, real_server_factory,
                                                                             pki):
    espd, a, port = start(espd_factory, real_server_factory, pki, workers=1,
                          service={"limits": {"header_timeout_s": 60}})
    still_serving(pki, port)
    espd.limit_open_files(64)
    mark = espd.mark()
    sockets = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(100)]
    record = espd.wait_for("accept_paused", start=mark)
    assert record["level"] == "warning" and "Too many open files" in record["detail"]
    cpu_before, wall_before = espd.cpu_seconds(), time.monotonic()
    time.sleep(1.0)  # an observation window for the CPU figure, not a timing assertion
    cpu = espd.cpu_seconds() - cpu_before
    print("CPU while out of descriptors: %.2f s in %.2f s" % (cpu, time.monotonic() - wall_before))
    assert cpu < 0.5, "the accept loop spins (%.2f s of CPU in 1 s)" % cpu
    for s in sockets:
        s.close()
    serving_again(pki, port)


# --- huge headers, many tiny pipelined requests --------------------------------------------------

def test_huge_heads_get_431_with_bounded_memory(espd_factory, real_server_factory, pki, report):
    espd, a, port = start(espd_factory, real_server_factory, pki, workers=2)
    baseline = warm_up(espd, pki, port)
    heads = [
        b"GET /huge HTTP/1.1\r\nHost: %s\r\nX-Big: " % HOST.encode() + b"a" * (1 << 20) + b"\r\n\r\n",
        b"GET /huge HTTP/1.1\r\nHost: %s\r\n" % HOST.encode() + b"X-Many: 1\r\n" * 5000 + b"\r\n",
        b"GET /huge" + b"a" * 20000 + b" HTTP/1.1\r\nHost: %s\r\n\r\n" % HOST.encode(),
    ]
    expected = [431, 431, 414]

    def one(i, results):
        with client(pki, port) as c:
            try:
                c.send_raw(heads[i % 3])
            except OSError:
                pass  # espd answered and closed before everything was sent
            results[i] = c.read_response().status

    results = [None] * 60
    threads = [threading.Thread(target=one, args=(i, results)) for i in range(60)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [expected[i % 3] for i in range(60)]
    assert [r["target"] for r in a.requests()] == ["/still-serving"]  # the warm-up only
    still_serving(pki, port)
    report(espd, "60 clients sending 1 MiB heads", baseline, 64 * MIB)


def test_many_tiny_pipelined_requests_stay_bounded_and_do_not_starve_others(espd_factory, real_server_factory,
                                                                           pki, report):
    # One worker: the pipelining client and the other one share the event loop. No per-request
    # records (300 000 of them would only measure the test's log reader).
    quiet = {"connections": False, "user_access": False, "security": False}
    espd, a, port = start(espd_factory, real_server_factory, pki, workers=1,
                          service={"esp": {"enabled": True, "allowed_hosts": [HOST],
                                           "allowed_directories": ["/ok/*"], "logging": quiet}})
    baseline = warm_up_ok(espd, pki, port)
    count = 300000
    # Refused by ESP (403, answered by espd itself): the fastest way to make many answers, and the
    # one where nothing but espd's own buffer would hold them back.
    batch = b"".join(b"GET /no/%d HTTP/1.1\r\nHost: %s\r\n\r\n" % (i, HOST.encode()) for i in range(count))
    with client(pki, port, timeout=120) as pipeliner:
        sock = pipeliner.sock
        sock.setblocking(False)
        sent = send_some(sock, batch, 0)  # until espd stops reading: it does not drain the rest
        assert sent < len(batch)
        # The pipeliner reads nothing yet: espd's answers back up, espd stops reading it, its memory
        # stays bounded, and another client on the same loop is served meanwhile.
        with client(pki, port) as other:
            for i in range(5):
                assert other.request("GET", "/ok/other-%d" % i, host=HOST).status == 200
        # Now both ways, from this one thread (an SSL socket is not shared between threads).
        received = bytearray()
        while sent < len(batch) or len(received) < count * answer_size(received):
            readable, writable, _ = select.select([sock], [sock] if sent < len(batch) else [], [], 30)
            assert readable or writable, "stalled after %d bytes sent, %d received" % (sent, len(received))
            if writable:
                sent = send_some(sock, batch, sent)
            if readable or sock.pending():
                received += receive_some(sock)
        answers = received.count(b"HTTP/1.1 403 ")
    assert answers == count and len(received) == count * answer_size(received)
    # A pipeline through to the real server keeps its order.
    forwarded = 500
    with client(pki, port, timeout=120) as c:
        c.send_raw(b"".join(b"GET /ok/p%d HTTP/1.1\r\nHost: %s\r\n\r\n" % (i, HOST.encode())
                            for i in range(forwarded)))
        for i in range(forwarded):
            assert (b"GET /ok/p%d<" % i) in c.read_response().body
    still_serving_ok(pki, port)
    report(espd, "%d pipelined requests, reader paused" % count, baseline, 16 * MIB)


def send_some(sock, data, offset):
    """Sends from `offset` until the socket would block; returns the new offset."""
    while offset < len(data):
        try:
            offset += sock.send(data[offset:offset + 65536])
        except (ssl.SSLWantWriteError, ssl.SSLWantReadError, BlockingIOError):
            break
    return offset


def receive_some(sock, eof_ok=False):
    """What a non-blocking socket has now (an answer followed by espd's close, if `eof_ok`)."""
    data = bytearray()
    while True:
        try:
            piece = sock.recv(1 << 20)
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
            return data
        if not piece:
            assert eof_ok, "espd closed the connection"
            return data
        data += piece


def answer_size(received):
    """The length of one 403 answer (they are all the same), from the first one received."""
    end = received.find(b"\r\n\r\n")
    if end < 0:
        return 1 << 30  # not known yet: keep reading
    head = bytes(received[:end]).decode("latin-1")
    length = int(head.split("Content-Length: ", 1)[1].split("\r\n", 1)[0])
    return end + 4 + length


def warm_up_ok(espd, pki, port):
    still_serving_ok(pki, port)
    return espd.rss_kib()


def still_serving_ok(pki, port):
    with client(pki, port) as c:
        assert c.request("GET", "/ok/still-serving", host=HOST).status == 200


# --- real servers that never answer, or answer forever -------------------------------------------

def test_a_real_server_that_never_answers_gives_504(espd_factory, real_server_factory, pki, report):
    espd, a, port = start(espd_factory, real_server_factory, pki, workers=2, service={"idle_timeout_s": 2})
    baseline = warm_up(espd, pki, port)
    results = [None] * 100

    def poll(i):
        with client(pki, port, timeout=30) as c:
            results[i] = c.request("GET", "/hold?until=release", host=HOST).status

    threads = [threading.Thread(target=poll, args=(i,)) for i in range(100)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [504] * 100
    a.release()
    still_serving(pki, port)
    report(espd, "100 long polls never answered", baseline, 32 * MIB)


def test_a_real_server_that_answers_forever_is_bounded_by_back_pressure(espd_factory, real_server_factory,
                                                                       pki, report):
    espd, a, port = start(espd_factory, real_server_factory, pki, service={"idle_timeout_s": 3})
    baseline = warm_up(espd, pki, port)
    raw = socket.create_connection(("127.0.0.1", port), timeout=30)
    context = ssl.create_default_context(cafile=str(pki / "root-ca.pem"))
    stream = context.wrap_socket(raw, server_hostname=HOST)
    stream.sendall(b"GET /bytes?n=%d&chunked=1 HTTP/1.1\r\nHost: %s\r\n\r\n" % (10 ** 13, HOST.encode()))
    received = 0
    while received < 64 * 1024 * 1024:  # 64 MiB at full speed...
        received += len(stream.recv(1 << 20))
    mark = espd.mark()
    # ...then the client stops reading: the real server is held back (espd stops reading it), and
    # after idle_timeout_s without a byte moving espd closes both connections.
    record = espd.wait_for("real_server_error", start=mark, timeout=30)
    assert record["reason"] == "real_server_timeout"
    stream.close()
    still_serving(pki, port)
    report(espd, "endless response, 64 MiB read then reader stalled", baseline, 32 * MIB)
