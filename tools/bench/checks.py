"""Does a proxy do the bench job correctly? Checked before it is measured (and all that
`--quick` asserts): the answer and its body, keep-alive, the allowed-host check, the
forwarding headers, the front certificate, and MS-WSMAN persistence where the peer has it."""

import re
import subprocess

import jobs
from environment import REFUSED_HOST, REQUEST_HOST
from tests.support.clients import HttpClient


def _client(env, peer):
    # Verifies the front certificate chain against the test root, for the published name.
    return HttpClient("127.0.0.1", peer.port, server_hostname=REQUEST_HOST, cafile=env.pki / "root-ca.pem")


def check_peer(env, peer):
    facts, problems = {}, []
    expected = (env.docroot / "1k").read_bytes()
    with _client(env, peer) as client:
        for attempt in ("first", "keep-alive"):
            response = client.request("GET", "/1k", host=REQUEST_HOST)
            if response.status != 200 or response.body != expected:
                problems.append("%s request: status %d, %d bytes (wanted 200 and the 1 KiB file)" % (
                    attempt, response.status, len(response.body)))
        facts["x_forwarded_for"] = response.header("x-seen-forwarded-for")
        facts["x_forwarded_proto"] = response.header("x-seen-forwarded-proto")
        if facts["x_forwarded_for"] != "127.0.0.1" or facts["x_forwarded_proto"] != "https":
            problems.append("forwarding headers seen by the real server: X-Forwarded-For %r, "
                            "X-Forwarded-Proto %r" % (facts["x_forwarded_for"], facts["x_forwarded_proto"]))
        cookie = response.header("set-cookie") or ""

    with _client(env, peer) as client:
        refused = client.request("GET", "/1k", host=REFUSED_HOST)
        facts["refused_host_status"] = refused.status
        if 200 <= refused.status < 300 or refused.body == expected:
            problems.append("host %s was not refused (status %d)" % (REFUSED_HOST, refused.status))

    h2_facts, h2_problems = check_http2(env, peer, expected)
    facts.update(h2_facts)
    problems += h2_problems

    match = re.match(r"MS-WSMAN=([^;]*)", cookie)
    facts["persistence_cookie"] = bool(match)
    if peer.has_cookie_persistence:
        if not match:
            problems.append("no MS-WSMAN cookie set (Set-Cookie: %r)" % cookie)
        else:
            servers = set()
            for _ in range(4):
                with _client(env, peer) as client:
                    response = client.request("GET", "/1k", host=REQUEST_HOST,
                                              headers=[("Cookie", "MS-WSMAN=%s" % match.group(1))])
                    servers.add(response.header("x-real-server"))
            facts["persistent_server"] = sorted(s for s in servers if s)
            if len(servers) != 1 or None in servers:
                problems.append("MS-WSMAN cookie did not keep the real server: %s" % sorted(map(str, servers)))
    return facts, problems


def check_http2(env, peer, expected):
    """Over HTTP/2 (when the proxy negotiates it): the same answer, and the refused host."""
    if jobs.negotiated_alpn(peer.port) != "h2":
        return {"http2": False}, []
    facts, problems = {"http2": True}, []
    for host, wanted in ((REQUEST_HOST, "the 1 KiB file"), (REFUSED_HOST, "a refusal")):
        body = env.run / "check-h2.bin"
        out = subprocess.run(["curl", "-sS", "--http2", "--cacert", str(env.pki / "root-ca.pem"),
                              "--connect-to", "%s:%d:127.0.0.1:%d" % (host, peer.port, peer.port),
                              "-o", str(body), "-w", "%{http_version} %{http_code}",
                              "https://%s:%d/1k" % (host, peer.port)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
        version, _, status = out.stdout.partition(" ")
        content = body.read_bytes() if body.exists() else b""
        ok = version == "2" and (status == "200" and content == expected if host == REQUEST_HOST
                                 else not status.startswith("2") and content != expected)
        if not ok:
            problems.append("HTTP/2 %s: wanted %s, got HTTP/%s status %s, %d bytes %s" % (
                host, wanted, version, status, len(content), out.stderr.strip()[-200:]))
    return facts, problems
