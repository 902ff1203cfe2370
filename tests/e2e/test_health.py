"""End-to-end: health probing of real servers (down, no traffic, back up), a checked port other
than the traffic port, all servers down, persisted clients moved off a down server, and the
passive back-off not triggered by clients that give up while espd connects."""

import collections
import re

from tests.support.clients import HttpClient
from tests.support.configs import base_config, listen_port
from tests.support.h2_client import H2Client
from tests.support.tcp_gate import TcpGate

HOST = "meet.mycloud.ag"
CHECK = {"url": "/healthcheck.html", "interval_s": 1, "timeout_s": 1, "retries": 2}


def client(pki, port):
    return HttpClient("127.0.0.1", port, server_hostname=HOST, cafile=pki / "root-ca.pem")


def served(pki, port, count, headers=()):
    with client(pki, port) as c:
        return collections.Counter(c.request("GET", "/", host=HOST, headers=headers).header("X-Real-Server")
                                   for _ in range(count))


def test_a_server_answering_500_goes_down_gets_no_traffic_and_comes_back(espd_factory, real_server_factory, pki):
    a = real_server_factory("A")
    b = real_server_factory("B")
    config = base_config(pki, [a, b], pool={"health_check": CHECK})
    espd = espd_factory()
    espd.write_config(config)
    espd.start()
    port = listen_port(config)
    assert served(pki, port, 10) == {"A": 5, "B": 5}
    a.set_health(500)
    down = espd.wait_for("real_server_down", timeout=CHECK["interval_s"] * CHECK["retries"] + 5)
    assert down["real_server"] == "%s:%d" % (a.address, a.port)
    assert down["result"] == "status 500"
    assert down["consecutive"] == 2
    assert served(pki, port, 20) == {"B": 20}
    before = len(a.requests())
    a.set_health(200)
    up = espd.wait_for("real_server_up", timeout=10)
    assert up["result"] == "status 200"
    assert served(pki, port, 10) == {"A": 5, "B": 5}
    checks = [r for r in a.requests() if r["target"] == "/healthcheck.html"]
    assert checks and all(dict((n.lower(), v) for n, v in r["headers"])["host"] == "fe.mycloud.local"
                          for r in checks)
    assert len([r for r in a.requests()[before:] if r["target"] == "/"]) == 5


def test_the_checked_port_can_differ_from_the_traffic_port(espd_factory, real_server_factory, pki):
    # The Lync setup: traffic to 4443, /healthcheck.html checked on 443.
    a = real_server_factory("A", listen=("127.0.0.1:0", "127.0.0.1:0"))
    traffic, checked = a.ports
    config = base_config(pki, [a], pool={"health_check": dict(CHECK, port=checked)})
    espd = espd_factory()
    espd.write_config(config)
    espd.start()
    port = listen_port(config)
    assert served(pki, port, 3) == {"A": 3}
    # Fail the check (it is the same process on both ports): only the checked port is probed.
    a.set_health(503)
    espd.wait_for("real_server_down", timeout=10)
    per_port = a.stats()["per_port"]
    checks = [r for r in a.requests() if r["target"] == "/healthcheck.html"]
    assert {r["port"] for r in checks} == {checked}
    assert {r["port"] for r in a.requests() if r["target"] == "/"} == {traffic}
    assert per_port[str(checked)] >= 2


def test_all_servers_down_gives_503(espd_factory, real_server_factory, pki):
    a = real_server_factory("A", health_status=500)
    config = base_config(pki, [a], pool={"health_check": CHECK})
    espd = espd_factory()
    espd.write_config(config)
    espd.start()
    espd.wait_for("real_server_down", timeout=10)
    with client(pki, listen_port(config)) as c:
        response = c.request("GET", "/", host=HOST)
    assert response.status == 503
    assert response.header("Retry-After") == "5"
    assert espd.wait_for("no_real_server_available")["pool"] == "fe"


def test_a_check_failing_on_tls_verification_marks_the_server_down(espd_factory, real_server_factory, pki):
    rogue = real_server_factory("R", cert=pki / "rogue-realserver.pem", key=pki / "rogue-realserver.key")
    config = base_config(pki, [rogue], pool={"health_check": CHECK})
    espd = espd_factory()
    espd.write_config(config)
    espd.start()
    down = espd.wait_for("real_server_down", timeout=10)
    assert down["result"].startswith("TLS: certificate verification failed")


def test_clients_persisted_to_a_down_server_are_moved_and_re_persisted(espd_factory, real_server_factory, pki):
    a = real_server_factory("A")
    b = real_server_factory("B")
    config = base_config(pki, [a, b], pool={"health_check": CHECK, "persistence": {"mode": "active_cookie"}})
    espd = espd_factory()
    espd.write_config(config)
    espd.start()
    port = listen_port(config)
    cookies = {}
    with client(pki, port) as c:
        for _ in range(4):
            response = c.request("GET", "/", host=HOST)
            cookies[response.header("X-Real-Server")] = re.match(
                r"MS-WSMAN=([^;]+)", response.header("Set-Cookie")).group(1)
    a.set_health(500)
    espd.wait_for("real_server_down", timeout=10)
    with client(pki, port) as c:
        moved = c.request("GET", "/", host=HOST, headers=[("Cookie", "MS-WSMAN=%s" % cookies["A"])])
    assert moved.header("X-Real-Server") == "B"
    assert moved.header("Set-Cookie") == "MS-WSMAN=%s; Path=/" % cookies["B"]


def test_a_request_given_up_while_espd_connects_is_not_held_against_the_server(espd_factory, real_server_factory,
                                                                              pki):
    # No health check: a refused or timed-out connection would put the server in a passive
    # back-off. A client that goes away while espd is still connecting is no failure of the server.
    a = real_server_factory("A")
    gate = TcpGate(a.address, a.port)
    try:
        config = base_config(pki, [gate])
        espd = espd_factory()
        espd.write_config(config)
        espd.start()
        port = listen_port(config)
        # HTTP/2: the stream is cancelled while espd's connection waits for the real server's
        # TLS handshake.
        with H2Client(port, cafile=pki / "root-ca.pem") as h2:
            stream_id = h2.request("/meet/h2")
            gate.wait_held(1)
            h2.reset(stream_id)
            gate.wait_closed_while_held(1)  # espd gave its connection up
        # HTTP/1.1: the client goes away.
        c = client(pki, port)
        c.send_raw(b"GET /meet/h1 HTTP/1.1\r\nHost: %s\r\n\r\n" % HOST.encode())
        gate.wait_held(2)
        c.close()
        gate.wait_closed_while_held(2)
        gate.open()
        # The server is not in a back-off: the next requests reach it.
        with client(pki, port) as c:
            statuses = [c.request("GET", "/meet/after", host=HOST).status for _ in range(3)]
        assert statuses == [200, 200, 200]
        assert not [r for r in espd.records() if r.get("event") == "real_server_failing"]
        assert [r["target"] for r in a.requests()] == ["/meet/after"] * 3
    finally:
        gate.close()
