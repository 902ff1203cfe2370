"""End-to-end: --check, configuration reload on SIGHUP (invalid files are rejected, the service
stays up, live connections are kept), graceful SIGTERM, directories of configuration files,
workers that busy-poll, idle connections' buffers kept for a delay."""

import json
import shutil
import signal
import threading
from pathlib import Path

import pytest

from tests.support.clients import HttpClient
from tests.support.configs import base_config, listen_port
from tests.support.h2_client import H2Client
from tests.support.paths import SANITIZED, SOURCE_ROOT
from tests.support.ports import free_port
from tests.support.waiting import wait_until

HOST = "meet.mycloud.ag"


def client(pki, port, **kwargs):
    return HttpClient("127.0.0.1", port, server_hostname=HOST, cafile=pki / "root-ca.pem", **kwargs)


def test_check_accepts_a_valid_file_and_lists_every_error_of_a_bad_one(espd_factory, real_server_factory, pki,
                                                                        workdir):
    a = real_server_factory("A")
    espd = espd_factory()
    good = espd.write_config(base_config(pki, [a]), "good.json")
    rc, out, err = espd.check(good)
    assert rc == 0, err
    assert "configuration is valid" in out
    bad_config = base_config(pki, [a])
    bad_config["virtual_services"]["web"]["pools"]["fe"]["real_servers"][0]["port"] = 70000
    bad_config["virtual_services"]["web"]["listn"] = "oops"
    bad_config["certificates"]["front-rsa"]["key"] = str(pki / "front-ecdsa.key")
    bad = espd.write_config(bad_config, "bad.json")
    rc, out, err = espd.check(bad)
    assert rc == 1
    assert "/virtual_services/web/pools/fe/real_servers/0/port: error: must be 1..65535, got 70000" in err
    assert "/virtual_services/web/listn: error: unknown key" in err
    assert "/certificates/front-rsa" in err and "does not match" in err
    assert str(bad) in err


def test_check_passes_on_the_demo_and_every_example(espd_factory, pki, workdir):
    shutil.copytree(SOURCE_ROOT / "conf.d", workdir / "conf.d", ignore=shutil.ignore_patterns("pki", "*.token"))
    shutil.copytree(pki, workdir / "conf.d" / "pki")
    espd = espd_factory()
    files = [workdir / "conf.d"] + sorted((workdir / "conf.d" / "examples").glob("*.json"))
    assert len(files) >= 2
    for path in files:
        rc, out, err = espd.check(path)
        assert rc == 0, "%s: %s" % (path, err)


def test_sighup_with_an_invalid_file_keeps_the_running_configuration(espd_factory, real_server_factory, pki):
    a = real_server_factory("A")
    config = base_config(pki, [a])
    espd = espd_factory()
    path = espd.write_config(config)
    espd.start()
    port = listen_port(config)
    with client(pki, port) as kept:
        assert kept.request("GET", "/", host=HOST).status == 200
        path.write_text('{"virtual_services": {"web": {"listen": ')
        record = espd.reload()
        assert record["event"] == "config_rejected"
        assert any("invalid JSON" in e for e in record["errors"])
        bad = json.loads(json.dumps(config))
        bad["virtual_services"]["web"]["pools"]["fe"]["real_servers"][0]["weight"] = 0
        path.write_text(json.dumps(bad))
        record = espd.reload()
        assert record["event"] == "config_rejected"
        assert any("weight: error: must be 1..65535, got 0" in e for e in record["errors"])
        assert kept.request("GET", "/", host=HOST).status == 200
    with client(pki, port) as fresh:
        assert fresh.request("GET", "/", host=HOST).status == 200


def test_sighup_applies_a_new_listener_and_keeps_live_connections(espd_factory, real_server_factory, pki):
    a = real_server_factory("A")
    b = real_server_factory("B")
    config = base_config(pki, [a])
    espd = espd_factory()
    path = espd.write_config(config)
    espd.start()
    port = listen_port(config)
    with client(pki, port) as kept:
        assert kept.request("GET", "/", host=HOST).header("X-Real-Server") == "A"
        second_port = free_port()
        config["virtual_services"]["second"] = json.loads(json.dumps(config["virtual_services"]["web"]))
        config["virtual_services"]["second"]["listen"] = "127.0.0.1:%d" % second_port
        config["virtual_services"]["web"]["pools"]["fe"]["real_servers"] = [{"address": b.address, "port": b.port}]
        path.write_text(json.dumps(config))
        record = espd.reload()
        assert record["event"] == "config_reloaded"
        assert record["generation"] == 2
        # The connection opened before the change keeps its snapshot: still served by A.
        assert kept.request("GET", "/", host=HOST).header("X-Real-Server") == "A"
    with client(pki, port) as fresh:
        assert fresh.request("GET", "/", host=HOST).header("X-Real-Server") == "B"
    with client(pki, second_port) as second:
        assert second.request("GET", "/", host=HOST).status == 200


def test_sighup_refuses_a_listener_that_cannot_bind(espd_factory, real_server_factory, pki):
    import socket
    a = real_server_factory("A")
    config = base_config(pki, [a])
    espd = espd_factory()
    path = espd.write_config(config)
    espd.start()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        config["virtual_services"]["web"]["listen"] = "127.0.0.1:%d" % taken.getsockname()[1]
        path.write_text(json.dumps(config))
        record = espd.reload()
    assert record["event"] == "config_rejected"
    assert any("Address already in use" in e for e in record["errors"])


def test_sigterm_finishes_the_request_in_flight_and_exits_0(espd_factory, real_server_factory, pki):
    a = real_server_factory("A")
    config = base_config(pki, [a])
    espd = espd_factory()
    espd.write_config(config)
    espd.start()
    port = listen_port(config)
    result = {}
    with client(pki, port, timeout=30) as busy, client(pki, port) as idle:
        assert idle.request("GET", "/", host=HOST).status == 200

        def long_poll():
            result["response"] = busy.request("GET", "/hold?until=release", host=HOST)

        thread = threading.Thread(target=long_poll)
        thread.start()
        wait_until(lambda: a.stats()["holds"] == 1, what="the request reaching the real server")
        espd.process.send_signal(signal.SIGTERM)
        espd.wait_for("shutdown_started")
        assert idle.closed(timeout=10)  # an idle keep-alive connection is closed at once
        a.release()
        thread.join(timeout=20)
    response = result["response"]
    assert response.status == 200
    assert response.header("Connection") == "close"
    assert espd.process.wait(timeout=20) == 0
    espd.wait_for("shutdown_complete")


def test_a_directory_of_configuration_files(espd_factory, real_server_factory, pki, workdir):
    a = real_server_factory("A")
    config = base_config(pki, [a])
    directory = workdir / "conf.d"
    directory.mkdir()
    services = {"virtual_services": config.pop("virtual_services")}
    (directory / "10-base.json").write_text(json.dumps(config))
    (directory / "20-lync.json").write_text(json.dumps(services))
    espd = espd_factory()
    espd.start(directory)
    with client(pki, int(services["virtual_services"]["web"]["listen"].rsplit(":", 1)[1])) as c:
        assert c.request("GET", "/", host=HOST).status == 200


@pytest.mark.parametrize("args,code", [(["--version"], 0), (["--help"], 0), ([], 2), (["--bogus"], 2)])
def test_command_line(args, code):
    import subprocess
    from tests.support.paths import ESPD_BINARY
    done = subprocess.run([str(ESPD_BINARY), *args], capture_output=True, text=True)
    assert done.returncode == code


def worker_sleeps(pid):
    """Times espd's worker threads blocked waiting for events (voluntary context switches)."""
    total = 0
    for task in (Path("/proc/%d/task" % pid)).iterdir():
        try:
            if (task / "comm").read_text().startswith("worker-"):
                status = (task / "status").read_text()
                total += int(status.split("voluntary_ctxt_switches:")[1].split()[0])
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def test_busy_polling_workers_serve_reload_sleep_when_idle_and_stop(espd_factory, real_server_factory, pki):
    a = real_server_factory("A")
    config = base_config(pki, [a], extra={"busy_poll_us": 1000, "workers": 2})
    espd = espd_factory()
    path = espd.write_config(config)
    espd.start()
    port = listen_port(config)
    with client(pki, port) as c:
        assert [c.request("GET", "/meet/%d" % i, host=HOST).status for i in range(20)] == [200] * 20
    with H2Client(port, cafile=pki / "root-ca.pem") as h2:
        assert [h2.get("/meet/h2/%d" % i).status for i in range(5)] == [200] * 5
    # Polling stops once nothing has come for busy_poll_us: the idle workers go to sleep again
    # (a worker that kept polling would never block).
    before = worker_sleeps(espd.process.pid)
    wait_until(lambda: worker_sleeps(espd.process.pid) > before, what="an idle worker going to sleep")
    # The option changes with a reload, like any other.
    config["busy_poll_us"] = 0
    path.write_text(json.dumps(config))
    assert espd.reload()["event"] == "config_reloaded"
    with client(pki, port) as c:
        assert c.request("GET", "/meet/after", host=HOST).status == 200
    config["busy_poll_us"] = 200
    path.write_text(json.dumps(config))
    assert espd.reload()["event"] == "config_reloaded"
    with client(pki, port) as c:
        assert c.request("GET", "/meet/again", host=HOST).status == 200
        espd.process.send_signal(signal.SIGTERM)
        espd.wait_for("shutdown_started")
    assert espd.process.wait(timeout=20) == 0
    assert len([r for r in a.requests() if r["target"].startswith("/meet")]) == 27


def test_idle_connections_keep_their_tls_buffers_for_the_delay_and_within_the_bound(espd_factory,
                                                                                     real_server_factory, pki):
    """idle_buffer_release_ms / idle_buffer_max_connections, seen in espd's memory: a batch of idle
    HTTP/1.1 connections that all keep their TLS record buffers grows it by far more per
    connection than a batch whose buffers go back (freed memory is reused by the next
    connections; glibc keeps it, so RSS itself does not fall)."""
    if SANITIZED:
        return  # RSS means nothing under ASan
    a = real_server_factory("A")
    config = base_config(pki, [a], extra={"workers": 1, "idle_buffer_release_ms": 60000,
                                          "idle_buffer_max_connections": 100000})
    espd = espd_factory()
    path = espd.write_config(config)
    espd.start()
    port = listen_port(config)
    count = 200

    def batch():
        """`count` connections with one request each, left idle; RSS growth per connection, KiB."""
        before = espd.rss_kib()
        connections = []
        for i in range(count):
            c = client(pki, port, alpn=["http/1.1"])
            assert c.request("GET", "/meet/%d" % i, host=HOST).status == 200
            connections.append(c)
        return connections, (espd.rss_kib() - before) / count

    def reconfigure(**changes):
        config.update(changes)
        path.write_text(json.dumps(config))
        assert espd.reload()["event"] == "config_reloaded"

    with client(pki, port) as warm:  # what is set up once (real-server connection, sessions)
        assert warm.request("GET", "/meet/warm", host=HOST).status == 200
    held_batch, held = batch()  # within the delay: every connection keeps its buffers
    # A shorter delay applies to the connections already idle: theirs go back, and the next batch
    # (each releasing 100 ms after its request) lives in that memory.
    reconfigure(idle_buffer_release_ms=100)
    second_batch, after_delay = batch()
    # With the long delay again but at most 10 connections keeping buffers, the eleventh releases
    # the longest idle one's: a batch grows little again.
    reconfigure(idle_buffer_release_ms=60000, idle_buffer_max_connections=10)
    third_batch, bounded = batch()
    print("idle HTTP/1.1 connection, KiB: buffers kept %.1f, released after 100 ms %.1f, at most 10 kept %.1f"
          % (held, after_delay, bounded))
    assert after_delay < held - 6, (held, after_delay)
    assert bounded < held - 6, (held, bounded)
    # Connections whose buffers went back serve the next request as before.
    for i, c in enumerate(held_batch[:20] + second_batch[:20]):
        assert c.request("GET", "/meet/again/%d" % i, host=HOST).status == 200
    for c in held_batch + second_batch + third_batch:
        c.close()
