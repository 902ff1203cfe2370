"""End-to-end: least connection (long polls count as active), weights, retry on another server."""

import collections
import json
import threading

from tests.support.clients import HttpClient
from tests.support.configs import base_config, listen_port
from tests.support.waiting import wait_until

HOST = "meet.mycloud.ag"


def client(pki, port, **kwargs):
    return HttpClient("127.0.0.1", port, server_hostname=HOST, cafile=pki / "root-ca.pem", **kwargs)


def served_by(pki, port, path="/"):
    with client(pki, port) as c:
        response = c.request("GET", path, host=HOST)
        assert response.status == 200
        return response.header("X-Real-Server")


def hold(pki, port, results):
    """A long poll on its own connection; returns the thread."""
    def run():
        with client(pki, port, timeout=30) as c:
            results.append(c.request("GET", "/hold?until=release", host=HOST).header("X-Real-Server"))
    thread = threading.Thread(target=run)
    thread.start()
    return thread


def wait_for_holds(server, count):
    wait_until(lambda: server.stats()["holds"] >= count, timeout=15,
               what="%d long polls reaching %s" % (count, server.name))


def test_least_connection_sends_new_requests_away_from_a_server_busy_with_long_polls(
        espd_factory, real_server_factory, pki):
    a = real_server_factory("A")
    b = real_server_factory("B")
    config = base_config(pki, [a], pool={"scheduling": "least_connection"})
    espd = espd_factory()
    path = espd.write_config(config)
    espd.start()
    port = listen_port(config)
    results = []
    threads = [hold(pki, port, results) for _ in range(3)]
    wait_for_holds(a, 3)
    # B joins; A still has three requests in flight (the long polls), B none: the next requests
    # all go to B, though a round robin would send half of them to A.
    config["virtual_services"]["web"]["pools"]["fe"]["real_servers"].append(
        {"address": b.address, "port": b.port})
    path.write_text(json.dumps(config))
    assert espd.reload()["event"] == "config_reloaded"
    assert collections.Counter(served_by(pki, port) for _ in range(10)) == {"B": 10}
    a.release()
    for thread in threads:
        thread.join(timeout=20)
    assert results == ["A", "A", "A"]
    # With nothing in flight any more, both get new requests again.
    assert set(served_by(pki, port) for _ in range(6)) == {"A", "B"}


def test_weighted_least_connection_spreads_concurrent_requests_by_weight(
        espd_factory, real_server_factory, pki):
    a = real_server_factory("A")
    b = real_server_factory("B")
    config = base_config(pki, [a, b], pool={"scheduling": "least_connection"})
    config["virtual_services"]["web"]["pools"]["fe"]["real_servers"][0]["weight"] = 3000
    espd = espd_factory()
    espd.write_config(config)
    espd.start()
    port = listen_port(config)
    results = []
    threads = []
    for i in range(8):
        threads.append(hold(pki, port, results))
        wait_for_holds_total([a, b], i + 1)
    assert (a.stats()["holds"], b.stats()["holds"]) == (6, 2)
    a.release()
    b.release()
    for thread in threads:
        thread.join(timeout=20)


def wait_for_holds_total(servers, count):
    wait_until(lambda: sum(s.stats()["holds"] for s in servers) >= count, timeout=15,
               what="%d long polls reaching the real servers" % count)


def test_weights_3_to_1_give_3_to_1_over_400_requests(espd_factory, real_server_factory, pki):
    a = real_server_factory("A")
    b = real_server_factory("B")
    config = base_config(pki, [a, b], pool={"scheduling": "weighted_round_robin"})
    config["virtual_services"]["web"]["pools"]["fe"]["real_servers"][0]["weight"] = 300
    config["virtual_services"]["web"]["pools"]["fe"]["real_servers"][1]["weight"] = 100
    espd = espd_factory()
    espd.write_config(config)
    espd.start()
    port = listen_port(config)
    counts = collections.Counter()
    with client(pki, port) as c:
        for _ in range(400):
            counts[c.request("GET", "/", host=HOST).header("X-Real-Server")] += 1
    assert counts == {"A": 300, "B": 100}


def test_a_refused_connection_is_retried_on_another_server(espd_factory, real_server_factory, pki):
    from tests.support.ports import free_port
    b = real_server_factory("B")

    class Nothing:
        address = "127.0.0.1"
        port = free_port()

    config = base_config(pki, [Nothing(), b], pool={"scheduling": "round_robin"})
    espd = espd_factory()
    espd.write_config(config)
    espd.start()
    port = listen_port(config)
    # Every request succeeds: the first one that is sent to the refusing server is retried on B.
    assert [served_by(pki, port) for _ in range(4)] == ["B"] * 4
    record = espd.wait_for("request_retried")
    assert record["from"] == "127.0.0.1:%d" % Nothing.port
    assert record["to"] == "%s:%d" % (b.address, b.port)
