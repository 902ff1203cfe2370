"""End-to-end: configuration changes through the admin API are durable and lossless. A kill -9
at any moment leaves the old or the new configuration (never a mix across files); 200 changes
under continuous traffic fail no request; espctl publishes Lync from an empty configuration."""

import json
import os
import random
import subprocess
import threading
import time

from tests.support.admin_client import AdminClient, with_admin
from tests.support.clients import HttpClient
from tests.support.configs import base_config, listen_port
from tests.support.paths import SANITIZED, TOOLS
from tests.support.waiting import wait_until

HOST = "meet.mycloud.ag"


def test_kill_9_during_writes_never_leaves_a_mixed_configuration(espd_factory, real_server_factory, pki, workdir):
    a = real_server_factory("A")
    config, token, admin_port = with_admin(base_config(pki, [a]), workdir)
    directory = workdir / "conf.d"
    directory.mkdir()
    services = {"virtual_services": config.pop("virtual_services")}
    # Marker 0 before any write (a slow start, e.g. under TSan, may see none in the first round).
    services["virtual_services"]["web"]["pools"]["fe"]["real_servers"][0]["weight"] = 1
    config["logging"] = {"queue_records": 1000}
    (directory / "10-base.json").write_text(json.dumps(config))
    (directory / "20-web.json").write_text(json.dumps(services))
    api = AdminClient(admin_port, token)
    acknowledged = 0  # the last i whose write was answered 200

    def markers():
        base = json.loads((directory / "10-base.json").read_text())
        web = json.loads((directory / "20-web.json").read_text())
        queue = base["logging"]["queue_records"] - 1000
        weight = web["virtual_services"]["web"]["pools"]["fe"]["real_servers"][0]["weight"] - 1
        return queue, weight

    for round_number in range(12):
        espd = espd_factory()
        espd.start(directory)
        espd.wait_for("admin_api_listening")
        stop = threading.Event()

        def writer():
            nonlocal acknowledged
            while not stop.is_set():
                i = acknowledged + 1
                document = api.get("/api/v1/config").json
                if document is None:
                    return
                document["logging"]["queue_records"] = 1000 + i
                document["virtual_services"]["web"]["pools"]["fe"]["real_servers"][0]["weight"] = 1 + i
                try:
                    reply = api.put("/api/v1/config", document)
                except (ConnectionError, OSError):
                    return
                if reply.status == 200:
                    acknowledged = i

        thread = threading.Thread(target=writer)
        thread.start()
        # A kill at an arbitrary moment is the point here (sanitizer builds write several times slower).
        time.sleep(random.uniform(0.05, 0.4) * (4 if SANITIZED else 1))
        espd.kill()
        stop.set()
        thread.join(timeout=20)
        # Before espd runs again, the files on disk may hold an interrupted commit: the state that
        # counts is what espd loads (it completes or discards that commit first).
        check = subprocess.run([espd.binary, "--check", "--config", str(directory)], capture_output=True, text=True)
        restarted = espd_factory()
        restarted.start(directory)
        restarted.wait_for("admin_api_listening")
        queue, weight = markers()
        assert queue == weight, "mixed configuration: files from writes %d and %d" % (queue, weight)
        assert weight in (acknowledged, acknowledged + 1)
        leftovers = [p.name for p in directory.iterdir() if p.name.startswith(".") or p.name.endswith(".espd-new")]
        assert leftovers == []
        assert check.returncode in (0, 1)  # --check never writes; a half-committed state is fixed at start
        assert restarted.terminate() == 0
    assert acknowledged > 10


def test_200_changes_under_load_fail_no_request(espd_factory, real_server_factory, pki, workdir):
    a = real_server_factory("A")
    b = real_server_factory("B")
    config, token, admin_port = with_admin(base_config(pki, [a]), workdir)
    espd = espd_factory()
    espd.write_config(config)
    espd.start()
    espd.wait_for("admin_api_listening")
    api = AdminClient(admin_port, token)
    port = listen_port(config)
    failures, served, stop = [], [0], threading.Event()

    def load(keep_alive):
        while not stop.is_set():
            try:
                with HttpClient("127.0.0.1", port, server_hostname=HOST, cafile=pki / "root-ca.pem") as c:
                    for _ in range(20 if keep_alive else 1):
                        response = c.request("GET", "/meet/", host=HOST)
                        if response.status != 200:
                            failures.append(response.status)
                        served[0] += 1
            except Exception as error:  # noqa: BLE001 - every failure counts
                failures.append(repr(error))

    threads = [threading.Thread(target=load, args=(k,)) for k in (True, True, False)]
    for thread in threads:
        thread.start()
    servers = "/api/v1/virtual-services/web/pools/fe/real-servers"
    b_id = "%s:%d" % (b.address, b.port)
    a_id = "%s:%d" % (a.address, a.port)
    pem = {"name": "front-rsa", "cert": (pki / "front-rsa.pem").read_text(),
           "key": (pki / "front-rsa.key").read_text(), "chain": (pki / "front-chain.pem").read_text()}
    changes = 0
    while changes < 200:
        step = changes % 5
        if step == 0:
            reply = api.post(servers, {"address": b.address, "port": b.port})
        elif step == 1:
            reply = api.patch(servers + "/" + b_id, {"weight": random.randint(1, 5000)})
        elif step == 2:
            reply = api.patch(servers + "/" + a_id, {"weight": random.randint(1, 5000)})
        elif step == 3:
            reply = api.delete(servers + "/" + b_id)
        else:
            reply = api.post("/api/v1/certificates", pem)  # replace the certificate in use
        assert reply.status in (200, 201, 204), reply
        changes += 1
    count_at_end = served[0]
    wait_until(lambda: served[0] >= count_at_end + 20, timeout=30, what="requests after the last change")
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert failures == []
    assert served[0] > 200
    assert espd.wait_for("config_changed")  # the changes were applied live
    generation = api.get("/api/v1/status").json["generation"]
    assert generation >= 201


def espctl(env, *args, check=True):
    done = subprocess.run(["/usr/bin/python3", str(TOOLS / "espctl"), *args], env=env, capture_output=True,
                          text=True, timeout=60)
    if check:
        assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done


def test_espctl_publishes_lync_from_nothing(espd_factory, real_server_factory, pki, workdir):
    from tests.support.ports import free_port
    director_1 = real_server_factory("fe1")
    director_2 = real_server_factory("fe2")
    config, token, admin_port = with_admin({"workers": 2, "shutdown_grace_s": 10}, workdir)
    espd = espd_factory()
    espd.write_config(config)
    espd.start()
    espd.wait_for("admin_api_listening")
    env = dict(os.environ, ESPCTL_URL="http://127.0.0.1:%d" % admin_port, ESPCTL_TOKEN=token)
    port = free_port()
    # Section 4 of the Lync guide, step by step.
    espctl(env, "cert", "import", "lync-san", "--pkcs12", str(pki / "front.p12"),
           "--password-file", str(pki / "front.p12.pass"))                                       # 4.1
    espctl(env, "config", "set", "trust_stores.internal.ca=%s" % (pki / "internal-ca.pem"))
    espctl(env, "vs", "add", "ESPforLYNC", "--listen", "127.0.0.1:%d" % port, "--cert", "lync-san",
           "--pool", "fe")                                                                         # 1-11
    espctl(env, "pool", "set", "ESPforLYNC", "fe", "scheduling=least_connection",                  # 13-15
           "persistence.mode=active_cookie", "persistence.cookie=MS-WSMAN", "persistence.timeout_s=1200",
           "reencrypt.trust=internal", "reencrypt.server_name=fe.mycloud.local",
           "health_check.url=/healthcheck.html", "health_check.port=%d" % director_1.port,        # 25-28
           "health_check.interval_s=1", "health_check.timeout_s=1")
    espctl(env, "vs", "set", "ESPforLYNC", "idle_timeout_s=1800", "esp.enabled=true",              # 16-24
           'esp.allowed_hosts=["ws-ext.mycloud.ag","meet.mycloud.ag","dialin.mycloud.ag",'
           '"scheduler.mycloud.ag","lyncdiscover.mycloud.ag"]', 'esp.allowed_directories=["/*"]')
    for server in (director_1, director_2):
        espctl(env, "rs", "add", "ESPforLYNC", "fe", "%s:%d" % (server.address, server.port))     # 29-33
    status = json.loads(espctl(env, "--json", "status").stdout)
    assert len(status["virtual_services"]["ESPforLYNC"]["pools"]["fe"]["real_servers"]) == 2
    table = espctl(env, "status").stdout
    assert "ESPforLYNC" in table and "up" in table
    with HttpClient("127.0.0.1", port, server_hostname="meet.mycloud.ag", cafile=pki / "root-ca.pem") as c:
        response = c.request("GET", "/meet/", host="meet.mycloud.ag")
        assert response.status == 200
        assert response.header("Set-Cookie").startswith("MS-WSMAN=")
        assert c.request("GET", "/", host="portal.mycloud.ag").status == 403
    names = [s["name"] for s in json.loads(espctl(env, "--json", "vs", "list").stdout)]
    assert names == ["ESPforLYNC"]
    # Exit codes say what failed.
    assert espctl(env, "vs", "show", "nothing", check=False).returncode == 4
    assert espctl(env, "rs", "weight", "ESPforLYNC", "fe", "%s:%d" % (director_1.address, director_1.port), "0",
                  check=False).returncode == 6
    assert espctl(env, "cert", "delete", "lync-san", check=False).returncode == 5
    bad_env = dict(env, ESPCTL_TOKEN="wrong-token-of-sufficient-length")
    assert espctl(bad_env, "status", check=False).returncode == 3
    assert espctl(dict(env, ESPCTL_URL="http://127.0.0.1:%d" % free_port()), "status", check=False).returncode == 2
    # apply shows the difference first.
    document = json.loads(espctl(env, "config", "get").stdout)
    document["virtual_services"]["ESPforLYNC"]["idle_timeout_s"] = 1700
    (workdir / "wanted.json").write_text(json.dumps(document))
    applied = espctl(env, "apply", str(workdir / "wanted.json"), "--yes")
    import re
    assert re.search(r'^-\s+"idle_timeout_s": 1800,$', applied.stdout, re.M)
    assert re.search(r'^\+\s+"idle_timeout_s": 1700,$', applied.stdout, re.M)
    assert applied.stdout.rstrip().endswith("applied")
