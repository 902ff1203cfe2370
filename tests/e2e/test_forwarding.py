"""End-to-end: HTTP/1.1 forwarding through espd to TLS real servers (GET, POST, headers,
keep-alive on both sides, chunked both ways, local error answers)."""

from tests.support.clients import HttpClient
from tests.support.configs import base_config, listen_port

HOST = "meet.mycloud.ag"


def start(espd_factory, real_server_factory, pki, **kwargs):
    a = real_server_factory("A")
    b = real_server_factory("B")
    config = base_config(pki, [a, b], **kwargs)
    espd = espd_factory()
    espd.write_config(config)
    espd.start()
    return espd, a, b, listen_port(config)


def client(pki, port, **kwargs):
    return HttpClient("127.0.0.1", port, server_hostname=HOST, cafile=pki / "root-ca.pem", **kwargs)


def test_get_reaches_both_real_servers_in_turn(espd_factory, real_server_factory, pki):
    espd, a, b, port = start(espd_factory, real_server_factory, pki)
    served = set()
    for i in range(4):
        with client(pki, port) as c:
            response = c.request("GET", "/meet/?i=%d" % i, host=HOST)
            assert response.status == 200
            assert b"served by real server" in response.body
            served.add(response.header("X-Real-Server"))
    assert served == {"A", "B"}
    seen = a.requests() + b.requests()
    assert sorted(r["target"] for r in seen) == ["/meet/?i=%d" % i for i in range(4)]


def test_post_body_arrives_intact(espd_factory, real_server_factory, pki):
    espd, a, b, port = start(espd_factory, real_server_factory, pki)
    body = bytes(range(256)) * 400
    with client(pki, port) as c:
        response = c.request("POST", "/echo", host=HOST, body=body,
                             headers=[("Content-Type", "application/octet-stream")])
    assert response.status == 200
    assert response.body == body


def test_forwarded_headers(espd_factory, real_server_factory, pki):
    espd, a, b, port = start(espd_factory, real_server_factory, pki)
    with client(pki, port) as c:
        response = c.request("GET", "/abs/handler?x=1", host="ws-ext.mycloud.ag:%d" % port, headers=[
            ("X-Forwarded-For", "6.6.6.6"), ("X-Forwarded-Proto", "http"),
            ("Connection", "keep-alive, X-Hop"), ("X-Hop", "secret"), ("Keep-Alive", "timeout=9"),
            ("TE", "trailers"), ("Proxy-Authorization", "Basic eA=="), ("X-Custom", "kept"),
            ("Cookie", "MS-WSMAN=abc")])
    assert response.status == 200
    (request,) = a.requests() + b.requests()
    headers = {}
    for name, value in request["headers"]:
        headers.setdefault(name.lower(), []).append(value)
    assert headers["host"] == ["ws-ext.mycloud.ag:%d" % port]  # unchanged
    assert headers["x-forwarded-for"] == ["127.0.0.1"]  # replaced, never trusted from the client
    assert headers["x-forwarded-proto"] == ["https"]
    assert headers["x-custom"] == ["kept"]
    assert headers["cookie"] == ["MS-WSMAN=abc"]
    for hop in ("connection", "x-hop", "keep-alive", "te", "proxy-authorization"):
        assert hop not in headers, hop
    assert request["version"] == "HTTP/1.1"
    assert request["target"] == "/abs/handler?x=1"


def test_forwarding_headers_can_be_switched_off(espd_factory, real_server_factory, pki):
    espd, a, b, port = start(espd_factory, real_server_factory, pki,
                             service={"forwarding": {"x_forwarded_for": False, "x_forwarded_proto": False}})
    with client(pki, port) as c:
        assert c.request("GET", "/", host=HOST, headers=[("X-Forwarded-For", "1.2.3.4")]).status == 200
    (request,) = a.requests() + b.requests()
    names = [n.lower() for n, _ in request["headers"]]
    assert "x-forwarded-proto" not in names
    assert [v for n, v in request["headers"] if n.lower() == "x-forwarded-for"] == ["1.2.3.4"]


def test_keep_alive_reuses_connections_on_both_sides(espd_factory, real_server_factory, pki):
    espd, a, b, port = start(espd_factory, real_server_factory, pki, extra={"workers": 1})
    with client(pki, port) as c:
        for i in range(20):
            response = c.request("GET", "/x%d" % i, host=HOST)
            assert response.status == 200
            assert response.header("Connection") is None
    # 20 requests over one client connection, round robin over two servers: each real server saw
    # its 10 requests on a single pooled connection.
    for server in (a, b):
        stats = server.stats()
        assert stats["requests"] - 1 == 10  # minus the stats request itself
        assert stats["connections_accepted"] == 2  # the pooled one + this stats request


def test_response_set_cookie_lines_stay_separate(espd_factory, real_server_factory, pki):
    espd, a, b, port = start(espd_factory, real_server_factory, pki)
    with client(pki, port) as c:
        response = c.request("GET", "/set-cookie?v=7&two=1", host=HOST)
    assert response.all("Set-Cookie") == ["app=7; Path=/", "other=7; Path=/; HttpOnly"]


def test_chunked_request_and_response_bodies(espd_factory, real_server_factory, pki):
    espd, a, b, port = start(espd_factory, real_server_factory, pki)
    pieces = [b"alpha" * 1000, b"b", b"gamma" * 5000, b"\x00\r\n0\r\n\r\n"]
    with client(pki, port) as c:
        response = c.request("POST", "/echo", host=HOST, body=iter(pieces))
        assert response.status == 200
        assert response.header("Transfer-Encoding") == "chunked"
        assert response.body == b"".join(pieces)
        download = c.request("GET", "/bytes?n=300000&chunked=1", host=HOST)
        assert download.header("Transfer-Encoding") == "chunked"
        assert len(download.body) == 300000
        assert download.body[:5] == bytes([0, 1, 2, 3, 4])
        # The connection stays usable after chunked messages.
        assert c.request("GET", "/", host=HOST).status == 200


def test_head_and_no_content_responses_have_no_body(espd_factory, real_server_factory, pki):
    espd, a, b, port = start(espd_factory, real_server_factory, pki)
    with client(pki, port) as c:
        head = c.request("HEAD", "/bytes?n=5000", host=HOST)
        assert head.status == 200
        assert head.header("Content-Length") == "5000"
        assert c.request("GET", "/status?code=204", host=HOST).status == 204
        assert c.request("GET", "/", host=HOST).status == 200


def test_expect_100_continue_is_relayed(espd_factory, real_server_factory, pki):
    espd, a, b, port = start(espd_factory, real_server_factory, pki)
    with client(pki, port) as c:
        c.send_raw(("POST /echo HTTP/1.1\r\nHost: %s\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"
                    % HOST).encode())
        interim = c._read_until(b"\r\n\r\n")
        assert interim.startswith(b"HTTP/1.1 100 Continue\r\n")
        c.send_raw(b"hello")
        response = c.read_response()
    assert response.status == 200 and response.body == b"hello"


def test_pipelined_requests_are_answered_in_order(espd_factory, real_server_factory, pki):
    espd, a, b, port = start(espd_factory, real_server_factory, pki)
    with client(pki, port) as c:
        c.send_raw(b"".join(b"GET /p%d HTTP/1.1\r\nHost: %s\r\n\r\n" % (i, HOST.encode()) for i in range(5)))
        bodies = [c.read_response().body for _ in range(5)]
    for i, body in enumerate(bodies):
        assert (b"GET /p%d" % i) in body


def test_malformed_requests_get_400_and_are_never_forwarded(espd_factory, real_server_factory, pki):
    espd, a, b, port = start(espd_factory, real_server_factory, pki)
    cases = [
        b"POST / HTTP/1.1\r\nHost: %s\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: %s\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: %s\r\nX: a\r\n b\r\n\r\n",
        b"GET / HTTP/1.1\nHost: %s\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: %s\r\nX: a\x01b\r\n\r\n",
        b"GET / HTTP/1.1\r\n\r\n%s",
        b"GET / HTTP/1.1\r\nHost: %s\r\nHost: other\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: %s\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ]
    for raw in cases:
        with client(pki, port) as c:
            c.send_raw(raw.replace(b"%s", HOST.encode()) if b"%s" in raw else raw)
            response = c.read_response()
            assert response.status == 400, raw
            assert response.header("Connection") == "close"
            assert c.closed()
    assert a.requests() + b.requests() == []


def test_limits_answer_431_and_414(espd_factory, real_server_factory, pki):
    espd, a, b, port = start(espd_factory, real_server_factory, pki,
                             service={"limits": {"max_header_bytes": 16384, "max_headers": 10,
                                                 "max_target_bytes": 2048}})
    with client(pki, port) as c:
        c.send_raw(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 17000 + b"\r\n\r\n")
        assert c.read_response().status == 431
    with client(pki, port) as c:
        c.send_raw(b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(12)) + b"\r\n")
        assert c.read_response().status == 431
    with client(pki, port) as c:
        c.send_raw(b"GET /" + b"a" * 2048 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        assert c.read_response().status == 414
    assert a.requests() + b.requests() == []
    with client(pki, port) as c:
        assert c.request("GET", "/" + "a" * 2046, host=HOST).status == 200
    assert [r["target"] for r in a.requests() + b.requests()] == ["/" + "a" * 2046]


def test_request_body_limit_answers_413(espd_factory, real_server_factory, pki):
    espd, a, b, port = start(espd_factory, real_server_factory, pki,
                             service={"limits": {"max_request_body_bytes": 1000}})
    with client(pki, port) as c:
        assert c.request("POST", "/echo", host=HOST, body=b"x" * 1001).status == 413
    with client(pki, port) as c:
        # "/" reads the whole body before answering, so the refusal comes before any response.
        assert c.request("POST", "/", host=HOST, body=iter([b"x" * 600, b"y" * 600])).status == 413
    with client(pki, port) as c:
        assert c.request("POST", "/echo", host=HOST, body=b"x" * 1000).status == 200
    # Each refusal names its request, the declared one (refused before any dispatch) too.
    records = espd.wait_records("security", 2)
    assert [(r["reason"], r["method"], r["host"], r["path"]) for r in records] == [
        ("body_too_large", "POST", HOST, "/echo"), ("body_too_large", "POST", HOST, "/")]


def test_no_available_real_server_gives_503_with_retry_after(espd_factory, real_server_factory, pki):
    espd, a, b, port = start(espd_factory, real_server_factory, pki)
    config = base_config(pki, [a, b], port=port)
    for server in config["virtual_services"]["web"]["pools"]["fe"]["real_servers"]:
        server["enabled"] = False
    espd.write_config(config)
    assert espd.reload()["event"] == "config_reloaded"
    with client(pki, port) as c:
        response = c.request("GET", "/", host=HOST)
    assert response.status == 503
    assert response.header("Retry-After") == "5"


def test_plain_http_service_redirects_to_https(espd_factory, real_server_factory, pki):
    a = real_server_factory("A")
    config = base_config(pki, [a])
    from tests.support.ports import free_port
    http_port = free_port()
    config["virtual_services"]["http"] = {"listen": "127.0.0.1:%d" % http_port,
                                          "redirect_to_https": {"https_port": 8443}}
    espd = espd_factory()
    espd.write_config(config)
    espd.start()
    with HttpClient("127.0.0.1", http_port, tls=False) as c:
        response = c.request("GET", "/meet/abc?x=1", host="meet.mycloud.ag:%d" % http_port)
    assert response.status == 301
    assert response.header("Location") == "https://meet.mycloud.ag:8443/meet/abc?x=1"


def test_plain_http_toward_real_servers(espd_factory, real_server_factory, pki):
    a = real_server_factory("A", plain=True)
    config = base_config(pki, [a], tls=False)
    espd = espd_factory()
    espd.write_config(config)
    espd.start()
    with HttpClient("127.0.0.1", listen_port(config), tls=False) as c:
        response = c.request("GET", "/", host=HOST)
    assert response.status == 200
    assert response.header("X-Real-Server") == "A"
    assert a.requests()[0]["headers"][-1] == ["X-Forwarded-Proto", "http"]
