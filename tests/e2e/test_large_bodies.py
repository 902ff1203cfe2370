"""End-to-end: 100 MiB bodies each way stream through espd with bounded memory."""

import hashlib
import subprocess

from tests.support.clients import Counter, HttpClient, pattern_stream
from tests.support.configs import base_config, listen_port
from tests.support.paths import SANITIZED
from tests.support.peak_rss import PeakRss

HOST = "meet.mycloud.ag"
SIZE = 100 * 1024 * 1024
RSS_GROWTH_LIMIT_KIB = 32 * 1024


def start(espd_factory, real_server_factory, pki):
    a = real_server_factory("A")
    config = base_config(pki, [a], extra={"workers": 1})
    espd = espd_factory()
    espd.write_config(config)
    espd.start()
    return espd, a, listen_port(config)


def client(pki, port):
    return HttpClient("127.0.0.1", port, server_hostname=HOST, cafile=pki / "root-ca.pem", timeout=60)


def expected_download_sha(n):
    block = bytes(i % 251 for i in range(65536))
    digest = hashlib.sha256()
    remaining = n
    while remaining:
        piece = block[:min(remaining, len(block))]
        digest.update(piece)
        remaining -= len(piece)
    return digest.hexdigest()


def test_100_mib_download_with_bounded_rss(espd_factory, real_server_factory, pki):
    espd, a, port = start(espd_factory, real_server_factory, pki)
    with client(pki, port) as c:
        assert c.request("GET", "/", host=HOST).status == 200  # warm up: pools, TLS sessions
        baseline = espd.rss_kib()
        counter = Counter()
        with PeakRss(espd) as rss:
            response = c.request("GET", "/bytes?n=%d" % SIZE, host=HOST, sink=counter)
    assert response.status == 200
    assert counter.size == SIZE
    assert counter.sha.hexdigest() == expected_download_sha(SIZE)
    growth = rss.peak - baseline
    print("download: RSS baseline %d KiB, peak %d KiB, growth %d KiB" % (baseline, rss.peak, growth))
    assert SANITIZED or growth < RSS_GROWTH_LIMIT_KIB


def test_100_mib_upload_with_bounded_rss(espd_factory, real_server_factory, pki):
    espd, a, port = start(espd_factory, real_server_factory, pki)
    with client(pki, port) as c:
        assert c.request("GET", "/", host=HOST).status == 200
        baseline = espd.rss_kib()
        stream = pattern_stream(SIZE)
        lines = ["POST / HTTP/1.1", "Host: %s" % HOST, "Content-Length: %d" % SIZE]
        c.send_raw(("\r\n".join(lines) + "\r\n\r\n").encode())
        with PeakRss(espd) as rss:
            for piece in stream:
                c.send_raw(piece)
            response = c.read_response()
    assert response.status == 200
    (_, upload) = a.requests()
    assert upload["body_bytes"] == SIZE
    growth = rss.peak - baseline
    print("upload: RSS baseline %d KiB, peak %d KiB, growth %d KiB" % (baseline, rss.peak, growth))
    assert SANITIZED or growth < RSS_GROWTH_LIMIT_KIB


def test_chunked_upload_echoed_back_in_full(espd_factory, real_server_factory, pki, workdir):
    # curl sends an upload of unknown size chunked and reads the echo while still sending (full
    # duplex over one TLS connection, which a Python ssl socket cannot do from two threads).
    espd, a, port = start(espd_factory, real_server_factory, pki)
    size = 20 * 1024 * 1024
    source = workdir / "upload.bin"
    with open(source, "wb") as f:
        for piece in pattern_stream(size, piece=50000):
            f.write(piece)
    target = workdir / "echo.bin"
    with open(source, "rb") as stdin:
        done = subprocess.run(["curl", "-sS", "--fail", "--cacert", str(pki / "root-ca.pem"),
                               "--resolve", "%s:%d:127.0.0.1" % (HOST, port), "-X", "POST", "-T", "-",
                               "-o", str(target), "https://%s:%d/echo" % (HOST, port)],
                              stdin=stdin, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    (request,) = a.requests()
    assert [v for n, v in request["headers"] if n.lower() == "transfer-encoding"] == ["chunked"]
    assert request["body_bytes"] == size
    assert target.stat().st_size == size
    assert hashlib.sha256(target.read_bytes()).digest() == hashlib.sha256(source.read_bytes()).digest()
