"""End-to-end: idle timeout (also while a long poll waits), an active transfer is never cut,
the request-header timeout against slowloris, real-server timeouts."""

import time

from tests.support.clients import HttpClient
from tests.support.configs import base_config, listen_port

HOST = "meet.mycloud.ag"


def start(espd_factory, real_server_factory, pki, idle=2, header_timeout=20):
    a = real_server_factory("A")
    config = base_config(pki, [a], service={"idle_timeout_s": idle,
                                            "limits": {"header_timeout_s": header_timeout}})
    espd = espd_factory()
    espd.write_config(config)
    espd.start()
    return espd, a, listen_port(config)


def client(pki, port, timeout=15):
    return HttpClient("127.0.0.1", port, server_hostname=HOST, cafile=pki / "root-ca.pem", timeout=timeout)


def test_idle_keep_alive_connection_is_closed_after_idle_timeout(espd_factory, real_server_factory, pki):
    espd, a, port = start(espd_factory, real_server_factory, pki, idle=2)
    with client(pki, port) as c:
        assert c.request("GET", "/", host=HOST).status == 200
        assert c.request("GET", "/", host=HOST).status == 200  # still open right after a response
        started = time.monotonic()
        assert c.closed(timeout=10)
        print("closed after %.2f s idle" % (time.monotonic() - started))


def test_long_poll_shorter_than_idle_timeout_is_answered(espd_factory, real_server_factory, pki):
    espd, a, port = start(espd_factory, real_server_factory, pki, idle=3)
    with client(pki, port) as c:
        response = c.request("GET", "/hold?ms=1500", host=HOST)
    assert response.status == 200
    assert response.body.startswith(b"held by A")


def test_long_poll_longer_than_idle_timeout_gets_504(espd_factory, real_server_factory, pki):
    espd, a, port = start(espd_factory, real_server_factory, pki, idle=1)
    with client(pki, port) as c:
        response = c.request("GET", "/hold?until=release", host=HOST)
    assert response.status == 504
    assert espd.wait_for("real_server_error")["reason"] == "real_server_timeout"
    a.release()


def test_an_active_transfer_is_never_cut(espd_factory, real_server_factory, pki):
    # 8 chunks 400 ms apart: 3.2 s in all, longer than the 2 s idle timeout, never 2 s silent.
    espd, a, port = start(espd_factory, real_server_factory, pki, idle=2)
    with client(pki, port) as c:
        response = c.request("GET", "/drip?n=8&ms=400", host=HOST)
    assert response.status == 200
    assert response.body == b"".join(b"drip%02d" % i for i in range(8))


def test_slowloris_head_gets_408_after_header_timeout(espd_factory, real_server_factory, pki):
    espd, a, port = start(espd_factory, real_server_factory, pki, idle=60, header_timeout=1)
    with client(pki, port) as c:
        c.send_raw(b"GET / HTTP/1.1\r\nHost: meet")
        response = c.read_response()
        assert response.status == 408
        assert c.closed()
    assert a.requests() == []


def test_a_silent_tls_client_is_dropped_after_header_timeout(espd_factory, real_server_factory, pki):
    import socket
    espd, a, port = start(espd_factory, real_server_factory, pki, idle=60, header_timeout=1)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        raw.settimeout(10)
        assert raw.recv(100) == b""  # closed without a handshake byte from us
