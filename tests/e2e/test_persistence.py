"""End-to-end: MS-WSMAN active cookie persistence and source-IP persistence."""

import collections
import json
import re
import time

from tests.support.clients import HttpClient
from tests.support.configs import base_config, listen_port

HOST = "meet.mycloud.ag"


def start(espd_factory, real_server_factory, pki, persistence, servers=("A", "B"), scheduling="round_robin"):
    reals = [real_server_factory(name) for name in servers]
    config = base_config(pki, reals, pool={"scheduling": scheduling, "persistence": persistence})
    espd = espd_factory()
    path = espd.write_config(config)
    espd.start()
    return espd, reals, listen_port(config), config, path


def client(pki, port, **kwargs):
    return HttpClient("127.0.0.1", port, server_hostname=HOST, cafile=pki / "root-ca.pem", **kwargs)


COOKIE = re.compile(r"^MS-WSMAN=([A-Za-z0-9_-]{22}); Path=/$")


def test_every_response_to_a_request_without_the_cookie_sets_it(espd_factory, real_server_factory, pki):
    espd, reals, port, _, _ = start(espd_factory, real_server_factory, pki, {"mode": "active_cookie"})
    values = []
    with client(pki, port) as c:
        for _ in range(10):
            response = c.request("GET", "/set-cookie?v=1", host=HOST)
            cookies = response.all("Set-Cookie")
            # The application's own cookie stays, and ours comes on every response: no
            # once-per-connection optimisation, exactly "MS-WSMAN=<value>; Path=/".
            assert cookies[0] == "app=1; Path=/"
            (ours,) = [v for v in cookies if v.startswith("MS-WSMAN=")]
            match = COOKIE.match(ours)
            assert match, ours
            values.append((match.group(1), response.header("X-Real-Server")))
    # One value per real server, and the value says which one answered.
    by_server = collections.defaultdict(set)
    for value, server in values:
        by_server[server].add(value)
    assert set(by_server) == {"A", "B"}
    assert all(len(v) == 1 for v in by_server.values())
    assert by_server["A"] != by_server["B"]
    assert "10." not in str(values) and "127.0.0.1" not in str(values)


def test_a_valid_cookie_keeps_100_requests_on_one_server_without_set_cookie(
        espd_factory, real_server_factory, pki):
    espd, reals, port, _, _ = start(espd_factory, real_server_factory, pki, {"mode": "active_cookie"})
    with client(pki, port) as c:
        first = c.request("GET", "/", host=HOST)
        cookie = COOKIE.match(first.header("Set-Cookie")).group(1)
        server = first.header("X-Real-Server")
        for _ in range(100):
            response = c.request("GET", "/", host=HOST, headers=[("Cookie", "other=1; MS-WSMAN=%s" % cookie)])
            assert response.header("X-Real-Server") == server
            assert response.header("Set-Cookie") is None
    decisions = collections.Counter(r["persistence"] for r in espd.wait_records("access", 101))
    assert decisions == {"scheduled": 1, "cookie": 100}


def test_forged_or_tampered_cookies_are_rescheduled(espd_factory, real_server_factory, pki):
    espd, reals, port, _, _ = start(espd_factory, real_server_factory, pki, {"mode": "active_cookie"})
    with client(pki, port) as c:
        genuine = COOKIE.match(c.request("GET", "/", host=HOST).header("Set-Cookie")).group(1)
        tampered = genuine[:-1] + ("A" if genuine[-1] != "A" else "B")
        for forged in (tampered, "x", "10.154.201.2:4443", "", genuine + "x"):
            response = c.request("GET", "/", host=HOST, headers=[("Cookie", "MS-WSMAN=%s" % forged)])
            assert response.status == 200
            assert COOKIE.match(response.header("Set-Cookie")), forged


def test_the_same_cookie_reaches_the_same_server_after_a_restart(espd_factory, real_server_factory, pki):
    espd, reals, port, config, path = start(espd_factory, real_server_factory, pki, {"mode": "active_cookie"})
    cookies = {}
    with client(pki, port) as c:
        for _ in range(4):
            response = c.request("GET", "/", host=HOST)
            cookies[response.header("X-Real-Server")] = COOKIE.match(response.header("Set-Cookie")).group(1)
    assert espd.terminate() == 0
    assert (path.parent / "persistence.key").stat().st_mode & 0o777 == 0o600
    restarted = espd_factory()
    restarted.start(path)
    with client(pki, port) as c:
        for server, cookie in cookies.items():
            for _ in range(3):
                response = c.request("GET", "/", host=HOST, headers=[("Cookie", "MS-WSMAN=%s" % cookie)])
                assert response.header("X-Real-Server") == server
                assert response.header("Set-Cookie") is None


def test_cookie_attributes_secure_and_samesite_when_configured(espd_factory, real_server_factory, pki):
    espd, reals, port, _, _ = start(espd_factory, real_server_factory, pki,
                                    {"mode": "active_cookie", "cookie": "LBSESSION", "cookie_secure": True,
                                     "cookie_samesite": "None"})
    with client(pki, port) as c:
        value = c.request("GET", "/", host=HOST).header("Set-Cookie")
    assert re.match(r"^LBSESSION=[A-Za-z0-9_-]{22}; Path=/; Secure; SameSite=None$", value)


def test_a_cookie_for_a_disabled_server_moves_the_client_and_draining_keeps_it(
        espd_factory, real_server_factory, pki):
    espd, reals, port, config, path = start(espd_factory, real_server_factory, pki, {"mode": "active_cookie"})
    cookies = {}
    with client(pki, port) as c:
        for _ in range(4):
            response = c.request("GET", "/", host=HOST)
            cookies[response.header("X-Real-Server")] = COOKIE.match(response.header("Set-Cookie")).group(1)
    servers = config["virtual_services"]["web"]["pools"]["fe"]["real_servers"]
    # Drain A: clients persisted to A stay, new clients all go to B.
    servers[0]["drain"] = True
    path.write_text(json.dumps(config))
    assert espd.reload()["event"] == "config_reloaded"
    with client(pki, port) as c:
        response = c.request("GET", "/", host=HOST, headers=[("Cookie", "MS-WSMAN=%s" % cookies["A"])])
        assert response.header("X-Real-Server") == "A"
        assert response.header("Set-Cookie") is None
        assert {c.request("GET", "/", host=HOST).header("X-Real-Server") for _ in range(6)} == {"B"}
    # Disable A: its clients are moved to B and get B's cookie.
    servers[0]["drain"] = False
    servers[0]["enabled"] = False
    path.write_text(json.dumps(config))
    assert espd.reload()["event"] == "config_reloaded"
    with client(pki, port) as c:
        response = c.request("GET", "/", host=HOST, headers=[("Cookie", "MS-WSMAN=%s" % cookies["A"])])
        assert response.header("X-Real-Server") == "B"
        assert response.header("Set-Cookie") == "MS-WSMAN=%s; Path=/" % cookies["B"]
    assert espd.wait_records("access", 12)[11]["persistence"] == "rescheduled"


def test_source_ip_persistence_holds_and_expires(espd_factory, real_server_factory, pki):
    espd, reals, port, _, _ = start(espd_factory, real_server_factory, pki,
                                    {"mode": "source_ip", "timeout_s": 2})
    seen = {}
    for source in ("127.0.0.11", "127.0.0.12", "127.0.0.13", "127.0.0.14"):
        servers = set()
        for _ in range(5):  # new connections each time: only the address ties them together
            with client(pki, port, source_address=(source, 0)) as c:
                response = c.request("GET", "/", host=HOST)
                assert response.header("Set-Cookie") is None
                servers.add(response.header("X-Real-Server"))
        assert len(servers) == 1, source
        seen[source] = servers.pop()
    assert set(seen.values()) == {"A", "B"}
    mark = len(espd.wait_records("access", 20))
    # Expiry is a matter of time: let timeout_s (2 s) pass without a request from that address.
    time.sleep(2.5)
    with client(pki, port, source_address=("127.0.0.11", 0)) as c:
        assert c.request("GET", "/", host=HOST).status == 200
    assert espd.wait_records("access", mark + 1)[mark]["persistence"] == "scheduled"


def test_cookie_or_source_ip(espd_factory, real_server_factory, pki):
    espd, reals, port, _, _ = start(espd_factory, real_server_factory, pki,
                                    {"mode": "active_cookie_or_source_ip"})
    with client(pki, port, source_address=("127.0.0.21", 0)) as c:
        first = c.request("GET", "/", host=HOST)
    server = first.header("X-Real-Server")
    cookie = COOKIE.match(first.header("Set-Cookie")).group(1)
    # No cookie, same address: the source-IP table keeps the client there (and sets the cookie).
    with client(pki, port, source_address=("127.0.0.21", 0)) as c:
        again = c.request("GET", "/", host=HOST)
        assert again.header("X-Real-Server") == server
        assert again.header("Set-Cookie") == "MS-WSMAN=%s; Path=/" % cookie
    # The cookie from another address: the cookie wins.
    with client(pki, port, source_address=("127.0.0.22", 0)) as c:
        for _ in range(4):
            response = c.request("GET", "/", host=HOST, headers=[("Cookie", "MS-WSMAN=%s" % cookie)])
            assert response.header("X-Real-Server") == server
    decisions = [r["persistence"] for r in espd.wait_records("access", 6)]
    assert decisions == ["scheduled", "source_ip", "cookie", "cookie", "cookie", "cookie"]
