"""End-to-end: the admin REST API. Every route with good and bad input, authentication, ETags,
changes that survive a restart, certificates, status and metrics."""

import base64
import json
import os
import re
import stat

from tests.support.admin_client import AdminClient, with_admin
from tests.support.clients import HttpClient
from tests.support.configs import base_config, listen_port
from tests.support.tls_probe import served

VS = "/api/v1/virtual-services"
HOST = "meet.mycloud.ag"


def start(espd_factory, real_server_factory, pki, workdir, servers=("A",), in_pool=None, **admin):
    reals = [real_server_factory(name) for name in servers]
    config = base_config(pki, reals[:in_pool])
    config, token, port = with_admin(config, workdir, **admin)
    espd = espd_factory()
    path = espd.write_config(config)
    espd.start()
    espd.wait_for("admin_api_listening")
    return espd, AdminClient(port, token), reals, config, path


def through(pki, config, host=HOST, path="/"):
    with HttpClient("127.0.0.1", listen_port(config), server_hostname=HOST, cafile=pki / "root-ca.pem") as c:
        return c.request("GET", path, host=host)


def test_authentication_is_required_and_failures_are_rate_limited(espd_factory, real_server_factory, pki, workdir):
    espd, api, _, _, _ = start(espd_factory, real_server_factory, pki, workdir, auth_failures_per_minute=3)
    reply = api.get("/api/v1/status", token=False)
    assert reply.status == 401 and reply.header("WWW-Authenticate") == "Bearer"
    assert api.get("/api/v1/status", token="wrong-token").status == 401
    assert api.get("/api/v1/status", token="wrong-token").status == 401
    limited = api.get("/api/v1/status", token="wrong-token")
    assert limited.status == 429 and limited.header("Retry-After") == "60"
    assert api.get("/api/v1/status").status == 429  # even the right token, from that address, for now
    assert "wrong-token" not in "".join(json.dumps(r) for r in espd.records())


def test_a_token_file_readable_by_others_is_refused_at_start(espd_factory, real_server_factory, pki, workdir):
    a = real_server_factory("A")
    config, token, port = with_admin(base_config(pki, [a]), workdir)
    os.chmod(workdir / "admin.token", 0o644)
    espd = espd_factory()
    espd.write_config(config)
    espd.start(wait_ready=False)
    record = espd.wait_for("config_error")
    assert "readable by others" in record["detail"] and "chmod 600" in record["detail"]
    assert espd.process.wait(timeout=20) == 1


def test_config_etag_if_match_and_persistence_across_restart(espd_factory, real_server_factory, pki, workdir):
    espd, api, (a,), config, path = start(espd_factory, real_server_factory, pki, workdir)
    reply = api.get("/api/v1/config")
    assert reply.status == 200
    etag = reply.header("ETag")
    assert re.match(r'^"[0-9a-f]{16}"$', etag)
    document = reply.json
    assert document["virtual_services"]["web"]["idle_timeout_s"] == 1800  # defaults written out
    document["virtual_services"]["web"]["idle_timeout_s"] = 900
    changed = api.put("/api/v1/config", document, headers={"If-Match": etag})
    assert changed.status == 200
    new_etag = changed.header("ETag")
    assert new_etag != etag
    stale = api.put("/api/v1/config", document, headers={"If-Match": etag})
    assert stale.status == 412
    assert api.get("/api/v1/config").header("ETag") == new_etag
    assert json.loads(path.read_text())["virtual_services"]["web"]["idle_timeout_s"] == 900
    audit = [json.loads(line) for line in (workdir / "audit.log").read_text().splitlines()]
    assert [(r["method"], r["path"], r["status"]) for r in audit] == [
        ("PUT", "/api/v1/config", 200), ("PUT", "/api/v1/config", 412)]
    assert audit[0]["etag"] == new_etag and audit[0]["client"] == "127.0.0.1"
    assert espd.terminate() == 0
    restarted = espd_factory()
    restarted.start(path)
    restarted.wait_for("admin_api_listening")
    again = api.get("/api/v1/config")
    assert again.header("ETag") == new_etag
    assert again.json["virtual_services"]["web"]["idle_timeout_s"] == 900


def test_validate_is_a_dry_run_with_the_errors_of_check(espd_factory, real_server_factory, pki, workdir):
    espd, api, _, _, path = start(espd_factory, real_server_factory, pki, workdir)
    document = api.get("/api/v1/config").json
    before = path.read_text()
    document["virtual_services"]["web"]["pools"]["fe"]["real_servers"][0]["port"] = 70000
    document["virtual_services"]["web"]["listn"] = "x"
    reply = api.post("/api/v1/config/validate", document)
    assert reply.status == 422
    assert reply.json["error"]["path"] == "/virtual_services/web/listn" or \
        reply.json["error"]["path"] == "/virtual_services/web/pools/fe/real_servers/0/port"
    assert any("must be 1..65535, got 70000" in d for d in reply.json["diagnostics"])
    assert any('unknown key "listn"' in d for d in reply.json["diagnostics"])
    assert path.read_text() == before
    good = api.get("/api/v1/config").json
    ok = api.post("/api/v1/config/validate", good)
    assert ok.status == 200 and ok.json["valid"] is True


def test_virtual_service_routes(espd_factory, real_server_factory, pki, workdir):
    espd, api, (a,), config, path = start(espd_factory, real_server_factory, pki, workdir)
    assert [s["name"] for s in api.get(VS).json] == ["web"]
    from tests.support.ports import free_port
    port = free_port()
    new = {"name": "second", "listen": "127.0.0.1:%d" % port, "tls": {"certificates": ["front-rsa"]},
           "pools": {"p": {"reencrypt": {"trust": "internal", "server_name": "fe.mycloud.local"},
                           "real_servers": [{"address": a.address, "port": a.port}]}}}
    created = api.post(VS, new)
    assert created.status == 201 and created.json["name"] == "second"
    assert api.post(VS, new).status == 409
    with HttpClient("127.0.0.1", port, server_hostname=HOST, cafile=pki / "root-ca.pem") as c:
        assert c.request("GET", "/", host=HOST).status == 200  # live at once
    assert api.get(VS + "/second").json["listen"] == "127.0.0.1:%d" % port
    assert api.get(VS + "/nothing").status == 404
    patched = api.patch(VS + "/second", {"idle_timeout_s": 60, "esp": {"enabled": True, "allowed_hosts": [HOST]}})
    assert patched.status == 200 and patched.json["idle_timeout_s"] == 60
    bad = api.patch(VS + "/second", {"idle_timeout_s": "sixty"})
    assert bad.status == 422 and bad.json["error"]["path"] == "/virtual_services/second/idle_timeout_s"
    unknown = api.patch(VS + "/second", {"idle_timeot_s": 5})
    assert unknown.status == 422 and "did you mean" in unknown.json["error"]["message"]
    collision = api.patch(VS + "/second", {"listen": config["virtual_services"]["web"]["listen"]})
    assert collision.status == 422 and "collides" in collision.json["error"]["message"]
    dangling = api.patch(VS + "/second", {"default_pool": "missing"})
    assert dangling.status == 422 and dangling.json["error"]["path"] == "/virtual_services/second/default_pool"
    replaced = api.put(VS + "/second", dict(new, idle_timeout_s=30))
    assert replaced.status == 200 and replaced.json["idle_timeout_s"] == 30
    assert api.put(VS + "/third", dict(new, listen="127.0.0.1:%d" % free_port())).status == 201
    assert api.delete(VS + "/third").status == 204
    assert api.delete(VS + "/third").status == 404
    assert api.delete(VS + "/second").status == 204
    assert sorted(json.loads(path.read_text())["virtual_services"]) == ["web"]


def test_bad_requests(espd_factory, real_server_factory, pki, workdir):
    espd, api, _, _, _ = start(espd_factory, real_server_factory, pki, workdir, max_request_bytes=4096)
    assert api.call("POST", VS, raw_body=b'{"name": ', content_type="application/json").status == 400
    assert api.call("POST", VS, raw_body=b'{"a": 1, "a": 2}', content_type="application/json").status == 400
    assert api.call("POST", VS, raw_body=b"name=x", content_type="application/x-www-form-urlencoded").status == 415
    assert api.call("POST", VS, raw_body=b"[1, 2]", content_type="application/json").status == 400
    assert api.post(VS, {"listen": "127.0.0.1:1"}).status == 422  # no name
    assert api.post(VS, {"name": "bad name!", "listen": "127.0.0.1:1"}).status == 422
    big = api.call("POST", VS, raw_body=b'{"name": "x", "pad": "' + b"a" * 5000 + b'"}',
                   content_type="application/json")
    assert big.status == 413
    assert api.delete("/api/v1/config").status == 405
    assert api.get("/api/v2/config").status == 404
    assert api.get(VS + "/web/pools/fe/real-servers/not-an-address").status == 404


def test_pool_and_real_server_routes(espd_factory, real_server_factory, pki, workdir):
    espd, api, (a, b), config, path = start(espd_factory, real_server_factory, pki, workdir, servers=("A", "B"),
                                            in_pool=1)
    pools = VS + "/web/pools"
    assert [p["name"] for p in api.get(pools).json] == ["fe"]
    created = api.post(pools, {"name": "spare", "real_servers": [{"address": b.address, "port": b.port}],
                               "reencrypt": {"trust": "internal", "server_name": "fe.mycloud.local"}})
    assert created.status == 201
    assert api.post(pools, {"name": "spare"}).status == 409
    assert api.patch(pools + "/spare", {"scheduling": "least_connection"}).json["scheduling"] == "least_connection"
    assert api.patch(pools + "/spare", {"scheduling": "fastest"}).status == 422
    assert api.delete(pools + "/fe").status == 409  # the default pool
    servers = pools + "/fe/real-servers"
    rs_b = "%s:%d" % (b.address, b.port)
    added = api.post(servers, {"address": b.address, "port": b.port, "weight": 10})
    assert added.status == 201 and added.json["name"] == rs_b
    assert api.post(servers, {"address": b.address, "port": b.port}).status == 409
    assert api.post(servers, {"address": "10.0.0.1", "port": 0}).status == 422
    assert sorted(s["name"] for s in api.get(servers).json) == sorted(["%s:%d" % (a.address, a.port), rs_b])
    assert api.patch(servers + "/" + rs_b, {"weight": 300}).json["weight"] == 300
    assert api.patch(servers + "/" + rs_b, {"weight": 0}).status == 422
    assert api.patch(servers + "/" + rs_b, {"drain": True}).json["drain"] is True
    assert api.patch(servers + "/" + rs_b, {"enabled": False}).json["enabled"] is False
    assert {through(pki, config).header("X-Real-Server") for _ in range(6)} == {"A"}
    assert api.patch(servers + "/" + rs_b, {"enabled": True, "drain": False}).status == 200
    assert {through(pki, config).header("X-Real-Server") for _ in range(6)} == {"A", "B"}
    assert api.put(servers + "/" + rs_b, {"address": b.address, "port": b.port, "weight": 5}).json["weight"] == 5
    assert api.get(servers + "/" + rs_b).json["weight"] == 5
    assert api.delete(servers + "/" + rs_b).status == 204
    assert api.get(servers + "/" + rs_b).status == 404
    assert api.delete(pools + "/spare").status == 204


def test_certificate_routes(espd_factory, real_server_factory, pki, workdir):
    espd, api, _, config, path = start(espd_factory, real_server_factory, pki, workdir)
    listing = api.get("/api/v1/certificates").json
    front = next(c for c in listing if c["name"] == "front-rsa")
    assert front["used_by"] == ["virtual_services/web"]
    assert "ws-ext.mycloud.ag" in front["sans"] and front["days_left"] > 300
    assert re.match(r"^([0-9A-F]{2}:){31}[0-9A-F]{2}$", front["fingerprint_sha256"])
    assert "espd Test Intermediate CA" in front["issuer"]
    pem = {"name": "uploaded", "cert": (pki / "front-ecdsa.pem").read_text(),
           "key": (pki / "front-ecdsa.key").read_text(), "chain": (pki / "front-chain.pem").read_text()}
    created = api.post("/api/v1/certificates", pem)
    assert created.status == 201 and created.json["key_type"] == "EC"
    p12 = {"name": "from-pfx", "pkcs12": base64.b64encode((pki / "front-legacy.p12").read_bytes()).decode(),
           "password": (pki / "front.p12.pass").read_text()}
    assert api.post("/api/v1/certificates", p12).status == 201
    wrong = dict(p12, name="bad-pfx", password="nope")
    refused = api.post("/api/v1/certificates", wrong)
    assert refused.status == 422 and "wrong password" in refused.json["error"]["message"]
    mismatch = dict(pem, name="mismatch", key=(pki / "front-rsa.key").read_text())
    assert api.post("/api/v1/certificates", mismatch).status == 422
    everything = json.dumps([api.get("/api/v1/certificates").json, api.get("/api/v1/config").json])
    assert "PRIVATE KEY" not in everything
    # Replacing the certificate in use changes what new handshakes get, at once.
    before = served(listen_port(config), HOST).pems[0]
    replaced = api.post("/api/v1/certificates", dict(pem, name="front-rsa"))
    assert replaced.status == 200
    after = served(listen_port(config), HOST).pems[0]
    assert before != after and after.strip() == (pki / "front-ecdsa.pem").read_text().strip()
    assert api.delete("/api/v1/certificates/front-rsa").status == 409
    assert api.delete("/api/v1/certificates/uploaded").status == 204
    assert api.get("/api/v1/certificates/uploaded").status == 404
    keys = [p for p in (workdir / "certs").iterdir() if p.suffix == ".key"]
    assert keys and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in keys)


def test_csr_then_signed_certificate_joins_its_key(espd_factory, real_server_factory, pki, workdir):
    import subprocess
    espd, api, _, config, _ = start(espd_factory, real_server_factory, pki, workdir)
    reply = api.post("/api/v1/certificates/lync-new/csr",
                     {"subject": "CN=ws-ext.mycloud.ag,O=MyCloud", "sans": ["ws-ext.mycloud.ag", "meet.mycloud.ag"]})
    assert reply.status == 200
    csr = workdir / "new.csr"
    csr.write_text(reply.json["csr"])
    text = subprocess.run(["openssl", "req", "-in", str(csr), "-noout", "-text", "-verify"],
                          capture_output=True, text=True)
    assert "verify OK" in text.stdout + text.stderr and "DNS:meet.mycloud.ag" in text.stdout
    (workdir / "ext").write_text("subjectAltName=DNS:ws-ext.mycloud.ag,DNS:meet.mycloud.ag\n")
    subprocess.run(["openssl", "x509", "-req", "-in", str(csr), "-CA", str(pki / "intermediate-ca.pem"),
                    "-CAkey", str(pki / "intermediate-ca.key"), "-set_serial", "77", "-days", "60",
                    "-extfile", str(workdir / "ext"), "-out", str(workdir / "signed.pem")], check=True,
                   capture_output=True)
    joined = api.post("/api/v1/certificates", {"name": "lync-new", "cert": (workdir / "signed.pem").read_text(),
                                               "chain": (pki / "front-chain.pem").read_text()})
    assert joined.status == 201, joined
    assert joined.json["subject"].startswith("O=MyCloud,CN=ws-ext.mycloud.ag") or "ws-ext.mycloud.ag" in joined.json["subject"]
    assert api.patch(VS + "/web", {"tls": {"certificates": ["lync-new"]}}).status == 200
    assert served(listen_port(config), HOST).pems[0].strip() == (workdir / "signed.pem").read_text().strip()


def test_status_and_metrics(espd_factory, real_server_factory, pki, workdir):
    espd, api, (a,), config, _ = start(espd_factory, real_server_factory, pki, workdir)
    for _ in range(3):
        assert through(pki, config).status == 200
    status = api.get("/api/v1/status").json
    server = status["virtual_services"]["web"]["pools"]["fe"]["real_servers"][0]
    assert server["health"] == "up" and server["requests"] == 3 and server["active"] == 0
    assert server["bytes_from_server"] > 0
    assert status["virtual_services"]["web"]["certificates"][0]["days_left"] > 300
    metrics = api.get("/metrics")
    assert metrics.header("Content-Type").startswith("text/plain")
    text = metrics.raw.decode()
    assert 'espd_real_server_requests_total{virtual_service="web",pool="fe",real_server="%s:%d"} 3' % (
        a.address, a.port) in text
    assert 'espd_responses_total{virtual_service="web",code="2xx"} 3' in text
    assert 'espd_request_duration_seconds_count{virtual_service="web"} 3' in text
    assert 'espd_request_duration_seconds_bucket{virtual_service="web",le="+Inf"} 3' in text
    assert re.search(r'espd_certificate_days_left\{virtual_service="web",certificate="front-rsa"\} \d+', text)
