"""End-to-end: several pools behind one listener. The Lync 2010 -> 2013 migration example routes
each pool's external web services FQDN to its own pool and the simple URLs to the default one."""

import json

from tests.support.clients import HttpClient
from tests.support.paths import SOURCE_ROOT
from tests.support.ports import free_port


def migration_config(pki, servers_2010, servers_2013):
    """conf.d/examples/lync-migration.json moved onto loopback and the test PKI."""
    config = json.loads((SOURCE_ROOT / "conf.d/examples/lync-migration.json").read_text())
    config.pop("logging")
    for name, entry in config["certificates"].items():
        for key in entry:
            entry[key] = str(pki / entry[key].split("/")[-1])
    config["trust_stores"]["lync-internal-ca"]["ca"] = str(pki / "internal-ca.pem")
    service = config["virtual_services"]["lync-web"]
    service["listen"] = "127.0.0.1:%d" % free_port()
    for pool, servers in (("lync2010", servers_2010), ("lync2013", servers_2013)):
        service["pools"][pool]["real_servers"] = [{"address": s.address, "port": s.port} for s in servers]
        service["pools"][pool].pop("health_check")
    return config


def test_migration_example_routes_each_host_to_its_pool(espd_factory, real_server_factory, pki):
    pool_2010 = [real_server_factory("fe2010-1"), real_server_factory("fe2010-2")]
    pool_2013 = [real_server_factory("fe2013-1"), real_server_factory("fe2013-2")]
    config = migration_config(pki, pool_2010, pool_2013)
    espd = espd_factory()
    espd.write_config(config)
    espd.start()
    port = int(config["virtual_services"]["lync-web"]["listen"].rsplit(":", 1)[1])
    expected = {"webext2013.mycloud.ag": "fe2013", "webext2010.mycloud.ag": "fe2010",
                "meet.mycloud.ag": "fe2010", "dialin.mycloud.ag": "fe2010",
                "lyncdiscover.mycloud.ag": "fe2010", "WEBEXT2013.MYCLOUD.AG.": "fe2013"}
    for host, pool in expected.items():
        for _ in range(2):
            with HttpClient("127.0.0.1", port, server_hostname="meet.mycloud.ag",
                            cafile=pki / "root-ca.pem") as c:
                response = c.request("GET", "/meet/x", host=host)
            assert response.status == 200, host
            assert response.header("X-Real-Server").startswith(pool), host
    access = espd.wait_records("access", 12)
    assert {r["pool"] for r in access if r["host"] == "webext2013.mycloud.ag"} == {"lync2013"}


def test_routes_by_path_and_header(espd_factory, real_server_factory, pki):
    from tests.support.configs import base_config, listen_port
    a = real_server_factory("A")
    b = real_server_factory("B")
    c_server = real_server_factory("C")
    config = base_config(pki, [a], service={
        "pools": {"mobile": {"reencrypt": {"trust": "internal", "server_name": "fe.mycloud.local"},
                             "real_servers": [{"address": b.address, "port": b.port}]},
                  "ucwa": {"reencrypt": {"trust": "internal", "server_name": "fe.mycloud.local"},
                           "real_servers": [{"address": c_server.address, "port": c_server.port}]}},
        "default_pool": "fe",
        "routes": [
            {"paths": ["/ucwa/.*"], "pool": "ucwa"},
            {"hosts": ["*.mycloud.ag"], "headers": {"User-Agent": ".*Lync Mobile.*"}, "pool": "mobile"},
        ]})
    espd = espd_factory()
    espd.write_config(config)
    espd.start()
    port = listen_port(config)

    def served_by(path, headers=()):
        with HttpClient("127.0.0.1", port, server_hostname="meet.mycloud.ag", cafile=pki / "root-ca.pem") as c:
            return c.request("GET", path, host="meet.mycloud.ag", headers=headers).header("X-Real-Server")

    assert served_by("/ucwa/oauth/v1") == "C"
    assert served_by("/UCWA/x") == "A"  # RE2 patterns are case-sensitive unless written (?i)
    assert served_by("/meet/", [("User-Agent", "Lync Mobile 2013")]) == "B"
    assert served_by("/meet/", [("User-Agent", "Mozilla/5.0")]) == "A"
    assert served_by("/meet/") == "A"  # no User-Agent: the header route does not match
