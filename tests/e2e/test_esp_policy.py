"""End-to-end: the ESP policy. Only allowed hosts and directories reach the real servers, what
is checked is what they receive, every refusal is logged once on the security stream."""

import collections

from tests.support.clients import HttpClient
from tests.support.configs import base_config, listen_port

ALLOWED = ["ws-ext.mycloud.ag", "meet.mycloud.ag", "dialin.mycloud.ag", "scheduler.mycloud.ag",
           "lyncdiscover.mycloud.ag"]


def start(espd_factory, real_server_factory, pki, directories=("/*",), **esp):
    a = real_server_factory("A", raw_log=True)
    settings = {"enabled": True, "allowed_hosts": ALLOWED, "allowed_directories": list(directories)}
    settings.update(esp)
    config = base_config(pki, [a], service={"esp": settings})
    espd = espd_factory()
    espd.write_config(config)
    espd.start()
    return espd, a, listen_port(config)


def send(pki, port, raw):
    with HttpClient("127.0.0.1", port, server_hostname="meet.mycloud.ag", cafile=pki / "root-ca.pem") as c:
        c.send_raw(raw)
        return c.read_response()


def get(pki, port, target, host="meet.mycloud.ag"):
    return send(pki, port, ("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (target, host)).encode("latin-1"))


def security_records(espd, count):
    """Waits until `count` security records exist and returns them."""
    return espd.wait_records("security", count)


def test_hosts_not_allowed_get_403_and_are_never_forwarded(espd_factory, real_server_factory, pki):
    espd, a, port = start(espd_factory, real_server_factory, pki)
    refused = ["portal.mycloud.ag", "mycloud.ag", "meet.mycloud.ag.evil.example", "10.0.0.1",
               "meet.mycloud.ag:444", "localhost"]
    for host in refused:
        response = get(pki, port, "/meet/", host=host)
        assert response.status == 403, host
        assert response.body == b"Forbidden\n"
    records = security_records(espd, len(refused))
    assert [r["reason"] for r in records] == ["host_not_allowed"] * len(refused)
    assert records[0]["detail"] == "portal.mycloud.ag"
    assert "not the listener" in records[4]["detail"]
    assert a.requests() == []
    for host in ["MEET.MYCLOUD.AG", "Meet.MyCloud.Ag.", "dialin.mycloud.ag:%d" % port]:
        assert get(pki, port, "/meet/", host=host).status == 200, host
    hosts = [dict((n.lower(), v) for n, v in r["headers"])["host"] for r in a.requests()]
    assert hosts == ["MEET.MYCLOUD.AG", "Meet.MyCloud.Ag.", "dialin.mycloud.ag:%d" % port]


def test_absolute_form_must_name_the_same_host(espd_factory, real_server_factory, pki):
    espd, a, port = start(espd_factory, real_server_factory, pki)
    assert get(pki, port, "https://portal.mycloud.ag/meet/", host="meet.mycloud.ag").status == 400
    assert get(pki, port, "https://meet.mycloud.ag/meet/", host="portal.mycloud.ag").status == 400
    response = get(pki, port, "https://MEET.mycloud.ag/meet/x?y=1", host="meet.mycloud.ag")
    assert response.status == 200
    (request,) = a.requests()
    assert request["target"] == "/meet/x?y=1"
    reasons = [r["detail"] for r in security_records(espd, 2)]
    assert reasons == ["absolute_form_host_mismatch"] * 2


def test_reject_status_and_body_are_configurable(espd_factory, real_server_factory, pki):
    espd, a, port = start(espd_factory, real_server_factory, pki, reject_status=404,
                          reject_body="Not published\n")
    response = get(pki, port, "/", host="intranet.mycloud.ag")
    assert response.status == 404
    assert response.body == b"Not published\n"


def test_empty_allowed_hosts_allows_nothing(espd_factory, real_server_factory, pki):
    a = real_server_factory("A")
    config = base_config(pki, [a], service={"esp": {"enabled": True, "allowed_hosts": []}})
    espd = espd_factory()
    path = espd.write_config(config)
    rc, out, err = espd.check(path)
    assert rc == 0
    assert "/esp/allowed_hosts: warning: ESP is enabled and no host is allowed" in err
    espd.start()
    assert get(pki, listen_port(config), "/").status == 403
    assert a.requests() == []


BYPASSES = {
    # path: reason in the security record
    "/meet/../admin/": "directory_not_allowed",
    "/meet/%2e%2e/admin/": "encoded_dot_segment",
    "/meet/%2E%2E/admin/": "encoded_dot_segment",
    "/meet/.%2e/admin/": "encoded_dot_segment",
    "/meet%2f..%2fadmin/": "encoded_slash",
    "/meet%2F..%2Fadmin/": "encoded_slash",
    "/meet/..%5cadmin/": "encoded_backslash",
    "/meet/..%5Cadmin/": "encoded_backslash",
    "/meet/%252e%252e/admin/": "double_encoding",
    "/meet/%252E%252E/admin/": "double_encoding",
    "/meet/%c0%ae%c0%ae/admin/": "overlong_utf8",
    "/meet/%C0%AE%C0%AE/admin/": "overlong_utf8",
    "/meet/\\..\\admin/": "backslash",
    "/meet/%00/": "encoded_nul",
    "/meet/%zz": "invalid_percent_encoding",
    "/../meet/": "path_above_root",
    "/meet/../../etc/passwd": "path_above_root",
    "/admin/": "directory_not_allowed",
    "/ADMIN/x": "directory_not_allowed",
    "//admin//": "directory_not_allowed",
}


def test_every_bypass_attempt_is_refused_and_logged_once(espd_factory, real_server_factory, pki):
    espd, a, port = start(espd_factory, real_server_factory, pki,
                          directories=("/meet/*", "/abs/*", "/dialin/*"))
    for path, reason in BYPASSES.items():
        response = get(pki, port, path)
        expected = 403 if reason == "directory_not_allowed" else 400
        assert response.status == expected, path
    records = security_records(espd, len(BYPASSES))
    assert len(records) == len(BYPASSES)
    got = [(r["reason"] if r["reason"] == "directory_not_allowed" else r["detail"]) for r in records]
    assert got == list(BYPASSES.values())
    for record, reason in zip(records, BYPASSES.values()):
        assert record["reason"] in ("bad_request", "directory_not_allowed")
        assert record["client"] == "127.0.0.1"
        assert record["virtual_service"] == "web"
        assert record["status"] == (403 if reason == "directory_not_allowed" else 400)
    # The real server saw nothing at all: not one byte of any refused request.
    assert a.requests() == []
    assert a.raw_connections() == {}


def test_allowed_requests_arrive_normalised_with_the_query_untouched(espd_factory, real_server_factory, pki):
    espd, a, port = start(espd_factory, real_server_factory, pki, directories=("/meet/*", "/abs/*"))
    cases = {
        "/meet/./x": "/meet/x",
        "/meet//x///y": "/meet/x/y",
        "/meet/a/../b/": "/meet/b/",
        "/%6d%65%65%74/x": "/meet/x",
        "/MEET/x": "/MEET/x",
        "/abs/handler?x=%2e%2e/../&y=%2f": "/abs/handler?x=%2e%2e/../&y=%2f",
        "/meet/sip%3Auser%40contoso.com": "/meet/sip%3Auser%40contoso.com",
        "/meet/caf%c3%a9": "/meet/caf%C3%A9",
    }
    for raw in cases:
        assert get(pki, port, raw).status == 200, raw
    assert [r["target"] for r in a.requests()] == list(cases.values())
    espd.wait_records("access", len(cases))  # written after any security record would be
    assert espd.records("security") == []


def test_case_sensitive_directories_when_configured(espd_factory, real_server_factory, pki):
    espd, a, port = start(espd_factory, real_server_factory, pki, directories=("/meet/*",),
                          case_sensitive_directories=True)
    assert get(pki, port, "/meet/x").status == 200
    assert get(pki, port, "/MEET/x").status == 403


def test_parse_errors_and_tls_failures_are_security_records(espd_factory, real_server_factory, pki):
    import socket
    espd, a, port = start(espd_factory, real_server_factory, pki)
    assert send(pki, port, b"GET / HTTP/1.1\r\nHost: meet.mycloud.ag\r\nContent-Length: 1\r\n"
                           b"Transfer-Encoding: chunked\r\n\r\n").status == 400
    with socket.create_connection(("127.0.0.1", port)) as raw:
        raw.sendall(b"GET / HTTP/1.1\r\nHost: plain-text-on-a-TLS-port\r\n\r\n")
        raw.settimeout(10)
        while raw.recv(4096):
            pass
    records = security_records(espd, 2)
    by_reason = collections.Counter(r["reason"] for r in records)
    assert by_reason == {"bad_request": 1, "tls_handshake_failed": 1}
    bad = next(r for r in records if r["reason"] == "bad_request")
    assert bad["detail"] == "content_length_with_transfer_encoding"


def test_access_and_connection_records(espd_factory, real_server_factory, pki):
    espd, a, port = start(espd_factory, real_server_factory, pki)
    with HttpClient("127.0.0.1", port, server_hostname="meet.mycloud.ag", cafile=pki / "root-ca.pem") as c:
        assert c.request("GET", "/meet/./abc?q=1", host="meet.mycloud.ag").status == 200
        assert c.request("POST", "/echo", host="Dialin.mycloud.ag", body=b"x" * 1000).status == 200
        assert c.request("GET", "/", host="nope.mycloud.ag").status == 403
    espd.wait_for(lambda r: r.get("log") == "connection" and r.get("event") == "close")
    access = espd.wait_records("access", 3)
    assert [(r["method"], r["host"], r["path"], r["status"]) for r in access] == [
        ("GET", "meet.mycloud.ag", "/meet/abc", 200),
        ("POST", "dialin.mycloud.ag", "/echo", 200),
        ("GET", "nope.mycloud.ag", "/", 403)]
    assert access[0]["pool"] == "fe" and access[0]["real_server"] == "%s:%d" % (a.address, a.port)
    assert access[1]["bytes_in"] >= 1000 and access[1]["bytes_out"] >= 1000
    assert access[2]["pool"] == "" and access[2]["real_server"] == ""
    assert all(r["client"] == "127.0.0.1" and r["virtual_service"] == "web" for r in access)
    opened, closed = espd.records("connection")
    assert opened["event"] == "open" and closed["event"] == "close"
    assert opened["tls_version"] == "TLSv1.3" and opened["sni"] == "meet.mycloud.ag"
    assert closed["bytes_in"] > 1000 and closed["bytes_out"] > 1000


def test_logging_streams_switch_off_per_virtual_service(espd_factory, real_server_factory, pki):
    espd, a, port = start(espd_factory, real_server_factory, pki,
                          logging={"connections": False, "user_access": False, "security": False})
    assert get(pki, port, "/").status == 200
    assert get(pki, port, "/", host="nope.mycloud.ag").status == 403
    assert get(pki, port, "/%2e%2e/").status == 400
    espd.terminate()
    assert espd.records("access") == espd.records("security") == espd.records("connection") == []


def test_log_files_per_stream_are_reopened_on_sigusr1(espd_factory, real_server_factory, pki, workdir):
    import json
    import signal

    from tests.support.waiting import wait_until

    a = real_server_factory("A")
    config = base_config(pki, [a], service={"esp": {"enabled": True, "allowed_hosts": ALLOWED}},
                         extra={"logging": {"user_access": "access.log", "security": "security.log"}})
    espd = espd_factory()
    espd.write_config(config)
    espd.start()
    port = listen_port(config)

    def lines(name):
        path = workdir / name
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    assert get(pki, port, "/meet/one").status == 200
    assert get(pki, port, "/", host="evil.example").status == 403
    wait_until(lambda: len(lines("access.log")) == 2 and len(lines("security.log")) == 1,
               what="records in the log files")
    assert espd.records("access") == []  # the files, not stderr
    # logrotate moves the files away, then signals.
    (workdir / "access.log").rename(workdir / "access.log.1")
    (workdir / "security.log").rename(workdir / "security.log.1")
    start = espd.mark()
    espd.process.send_signal(signal.SIGUSR1)
    espd.wait_for("logs_reopened", start=start)
    assert get(pki, port, "/meet/two").status == 200
    wait_until(lambda: len(lines("access.log")) == 1, what="a record in the new access.log")
    assert lines("access.log")[0]["path"] == "/meet/two"
    assert len(lines("access.log.1")) == 2
