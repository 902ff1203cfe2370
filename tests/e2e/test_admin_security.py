"""End-to-end: the admin API is not reachable through a virtual service, and no secret (the admin
token, a PKCS#12 password, a private key) ever appears in a log line or an API response, after
the API was exercised with certificate uploads (PEM and PKCS#12, right and wrong password, a key
that does not match) and failed authentications."""

import base64
import json
import secrets
import subprocess

from tests.support.admin_client import AdminClient, with_admin
from tests.support.clients import HttpClient
from tests.support.configs import base_config, listen_port

HOST = "meet.mycloud.ag"


def start(espd_factory, real_server_factory, pki, workdir, service=None):
    a = real_server_factory("A")
    config, token, admin_port = with_admin(base_config(pki, [a], service=service), workdir)
    espd = espd_factory()
    espd.write_config(config)
    espd.start()
    espd.wait_for("admin_api_listening")
    return espd, a, AdminClient(admin_port, token), listen_port(config)


def test_admin_paths_on_a_virtual_service_port_go_to_the_real_servers(espd_factory, real_server_factory,
                                                                       pki, workdir):
    espd, a, api, port = start(espd_factory, real_server_factory, pki, workdir)
    paths = ["/api/v1/status", "/api/v1/config", "/metrics", "/api/v1/certificates"]
    with HttpClient("127.0.0.1", port, server_hostname=HOST, cafile=pki / "root-ca.pem") as c:
        for path in paths:
            # Even with the right token: the listener of a virtual service has no admin handler.
            response = c.request("GET", path, host=HOST, headers=[("Authorization", "Bearer " + api.token)])
            assert response.status == 200 and response.header("X-Real-Server") == "A", path
            assert b"virtual_services" not in response.body and b"espd_" not in response.body
        response = c.request("PUT", "/api/v1/config", host=HOST, body=b"{}",
                             headers=[("Authorization", "Bearer " + api.token)])
        assert response.header("X-Real-Server") == "A"
    assert [r["target"] for r in a.requests()] == paths + ["/api/v1/config"]
    assert api.get("/api/v1/status").status == 200  # the admin listener itself works
    assert api.call("GET", "/api/v1/config").json["virtual_services"]["web"]  # and was not changed


def test_with_esp_admin_paths_are_refused_like_any_other(espd_factory, real_server_factory, pki, workdir):
    espd, a, api, port = start(espd_factory, real_server_factory, pki, workdir, service={
        "esp": {"enabled": True, "allowed_hosts": [HOST], "allowed_directories": ["/meet/*"]}})
    with HttpClient("127.0.0.1", port, server_hostname=HOST, cafile=pki / "root-ca.pem") as c:
        for path in ("/api/v1/status", "/metrics", "/API/v1/config", "/meet/../api/v1/status"):
            assert c.request("GET", path, host=HOST).status == 403, path
    assert a.requests() == []
    records = espd.wait_records("security", 4)
    assert [r["reason"] for r in records] == ["directory_not_allowed"] * 4


def test_no_secret_in_any_log_or_response(espd_factory, real_server_factory, pki, workdir):
    espd, a, api, port = start(espd_factory, real_server_factory, pki, workdir)
    password = "p12-" + secrets.token_hex(12)
    wrong_password = "wrong-" + secrets.token_hex(12)
    wrong_token = "token-" + secrets.token_hex(16)
    p12 = workdir / "upload.p12"
    subprocess.run(["openssl", "pkcs12", "-export", "-in", str(pki / "front-ecdsa.pem"),
                    "-inkey", str(pki / "front-ecdsa.key"), "-certfile", str(pki / "front-chain.pem"),
                    "-passout", "pass:" + password, "-out", str(p12)], check=True, capture_output=True)
    p12_b64 = base64.b64encode(p12.read_bytes()).decode()
    key_pem = (pki / "front-ecdsa.key").read_text()
    other_key_pem = (pki / "front-rsa.key").read_text()

    replies = []

    def call(method, path, body=None, token=None):
        reply = api.call(method, path, body, token=token)
        replies.append(reply)
        return reply

    # Failed authentications (below the rate limit), then uploads right and wrong.
    assert call("GET", "/api/v1/status", token=wrong_token).status == 401
    assert call("GET", "/api/v1/status", token=False).status == 401
    assert call("POST", "/api/v1/certificates", {"name": "p12-ok", "pkcs12": p12_b64,
                                                  "password": password}).status == 201
    wrong = call("POST", "/api/v1/certificates", {"name": "p12-bad", "pkcs12": p12_b64,
                                                   "password": wrong_password})
    assert wrong.status == 422
    assert call("POST", "/api/v1/certificates", {"name": "pem-ok", "cert": (pki / "front-ecdsa.pem").read_text(),
                                                  "key": key_pem}).status == 201
    assert call("POST", "/api/v1/certificates", {"name": "pem-bad", "cert": (pki / "front-ecdsa.pem").read_text(),
                                                  "key": other_key_pem}).status == 422
    assert call("POST", "/api/v1/certificates/csr-one/csr",
                {"subject": "CN=csr.mycloud.ag", "sans": ["csr.mycloud.ag"]}).status == 200
    for path in ("/api/v1/certificates", "/api/v1/certificates/p12-ok", "/api/v1/certificates/pem-ok",
                 "/api/v1/config", "/api/v1/status", "/metrics"):
        assert call("GET", path).status == 200, path
    # A reload logs the configuration's warnings and errors: nothing secret in those either.
    espd.reload()
    # Some traffic through the virtual service with an Authorization header.
    with HttpClient("127.0.0.1", port, server_hostname=HOST, cafile=pki / "root-ca.pem") as c:
        assert c.request("GET", "/", host=HOST, headers=[("Authorization", "Bearer " + api.token)]).status == 200

    espd.wait_for(lambda r: r.get("log") == "access")
    assert espd.terminate() == 0  # every log record is written out
    logs = "\n".join(json.dumps(r) for r in espd.records())
    audit = (workdir / "audit.log").read_text()
    responses = "\n".join(r.raw.decode("utf-8", "replace") for r in replies)
    assert audit.count("\n") >= 5  # the writes were audited
    key_lines = [line for text in (key_pem, other_key_pem) for line in text.splitlines()
                 if line and not line.startswith("-----")]
    secrets_to_find = {"admin token": api.token, "wrong token": wrong_token, "PKCS#12 password": password,
                       "wrong PKCS#12 password": wrong_password, "PKCS#12 file": p12_b64[:64]}
    secrets_to_find.update({"private key line %d" % i: line for i, line in enumerate(key_lines)})
    for where, text in (("espd's log records", logs), ("the audit log", audit), ("API responses", responses)):
        assert "PRIVATE KEY" not in text, where
        for name, secret in secrets_to_find.items():
            assert secret not in text, "%s found in %s" % (name, where)
