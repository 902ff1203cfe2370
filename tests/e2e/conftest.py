"""Fixtures for end-to-end tests: the PKI, real servers and espd, always torn down."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.support.espd_process import Espd  # noqa: E402
from tests.support.pki import standard_pki  # noqa: E402
from tests.support.configs import base_config, listen_port  # noqa: E402
from tests.support.real_server import RealServer  # noqa: E402
from tests.support.recording_server import RecordingServer  # noqa: E402


@pytest.fixture(scope="session")
def pki():
    return standard_pki()


@pytest.fixture
def workdir(tmp_path):
    return tmp_path


@pytest.fixture
def real_server_factory(workdir, pki):
    servers = []

    def make(name, **kwargs):
        server = RealServer(name, workdir, pki, **kwargs)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def espd_factory(workdir, request):
    instances = []

    def make():
        espd = Espd(workdir)
        instances.append(espd)
        return espd

    yield make
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    problems = []
    for espd in instances:
        # A graceful stop is part of every test: espd must exit 0 (and, in sanitizer builds, with
        # no leak or error report, which would make the exit status non-zero).
        code = espd.stop()
        if code not in (0, None) and not failed:
            problems.append("espd exit status %s at the end of the test" % code)
        if (failed or problems) and espd.log:
            sys.stderr.write("\n--- last espd log records ---\n%s\n" % espd.tail(60))
    assert not problems, "; ".join(problems)


@pytest.fixture
def smuggling_proxy(espd_factory, pki):
    """espd in front of the lenient recording real server (tests/support/recording_server.py),
    allowing only /ok/* of meet.mycloud.ag: (espd, server, port). One idle connection per real
    server and one worker: every forwarded request reuses the same real-server connection, where
    a desync would poison the next request."""
    server = RecordingServer(pki)
    config = base_config(pki, [server], service={
        "esp": {"enabled": True, "allowed_hosts": ["meet.mycloud.ag"], "allowed_directories": ["/ok/*"]},
        "limits": {"header_timeout_s": 5},
    }, pool={"max_idle_connections_per_server": 1}, extra={"workers": 1})
    espd = espd_factory()
    espd.write_config(config)
    espd.start()
    yield espd, server, listen_port(config)
    server.stop()


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, "rep_" + report.when, report)
