"""End-to-end: TLS toward the real servers. A new connection to a real server resumes the session
of the previous one (each worker caches one per real server and verified name), the status and
metrics count full against resumed handshakes, and no session crosses a change of trust
configuration: a server the new trust store does not vouch for is refused, cached session or not."""

import shutil

from tests.support.admin_client import AdminClient, with_admin
from tests.support.clients import HttpClient
from tests.support.configs import base_config, listen_port
from tests.support.pki import make_ca

HOST = "meet.mycloud.ag"


def start(espd_factory, real_server_factory, pki, workdir, ca):
    """espd with one worker, no pooled idle connection (every request opens a new connection to
    the real server) and trust store "internal" read from `ca`."""
    a = real_server_factory("A")
    config = base_config(pki, [a], pool={"max_idle_connections_per_server": 0},
                         extra={"workers": 1, "trust_stores": {"internal": {"ca": str(ca)}}})
    config, token, admin_port = with_admin(config, workdir)
    espd = espd_factory()
    espd.write_config(config)
    espd.start()
    return espd, a, config, AdminClient(admin_port, token)


def get(pki, config, target):
    with HttpClient("127.0.0.1", listen_port(config), server_hostname=HOST, cafile=pki / "root-ca.pem") as c:
        return c.request("GET", target, host=HOST)


def resumed_by_target(server):
    return {r["target"]: r["tls_session_reused"] for r in server.requests()}


def handshakes(api):
    server = api.get("/api/v1/status").json["virtual_services"]["web"]["pools"]["fe"]["real_servers"][0]
    return server["tls_handshakes"]


def test_the_next_connection_to_a_real_server_resumes_the_session(espd_factory, real_server_factory, pki,
                                                                  workdir):
    espd, a, config, api = start(espd_factory, real_server_factory, pki, workdir, pki / "internal-ca.pem")
    for n in range(4):
        assert get(pki, config, "/r%d" % n).status == 200
    assert a.stats()["connections_accepted"] >= 4  # one real-server connection per request
    assert resumed_by_target(a) == {"/r0": False, "/r1": True, "/r2": True, "/r3": True}
    assert handshakes(api) == {"full": 1, "resumed": 3}
    metrics = api.get("/metrics").raw.decode()
    labels = '{virtual_service="web",pool="fe",real_server="%s:%d"}' % (a.address, a.port)
    assert "espd_real_server_tls_full_handshakes_total%s 1\n" % labels in metrics
    assert "espd_real_server_tls_resumed_handshakes_total%s 3\n" % labels in metrics


def test_no_session_crosses_a_change_of_trust_configuration(espd_factory, real_server_factory, pki, workdir):
    ca = workdir / "trusted-ca.pem"
    shutil.copy(pki / "internal-ca.pem", ca)
    espd, a, config, api = start(espd_factory, real_server_factory, pki, workdir, ca)
    assert get(pki, config, "/before-1").status == 200
    assert get(pki, config, "/before-2").status == 200

    # Same CA, reloaded: a new trust configuration starts with a full handshake of its own.
    assert espd.reload()["event"] == "config_reloaded"
    assert get(pki, config, "/reloaded-1").status == 200
    assert get(pki, config, "/reloaded-2").status == 200
    assert resumed_by_target(a) == {"/before-1": False, "/before-2": True,
                                    "/reloaded-1": False, "/reloaded-2": True}

    # A CA that did not issue the real server's certificate: the session cached under the old
    # trust store (which the server would accept) must not let the connection skip verification.
    make_ca(workdir, "stranger-ca")
    shutil.copy(workdir / "stranger-ca.pem", ca)
    assert espd.reload()["event"] == "config_reloaded"
    assert get(pki, config, "/stranger").status == 502
    assert "certificate verification failed" in espd.wait_for("real_server_error")["detail"]
    assert "/stranger" not in resumed_by_target(a)
    assert handshakes(api)["resumed"] == 2
