"""End-to-end: TLS at the front (SNI picks the certificate, TLS versions) and toward the real
servers (verification failures give 502)."""

import ssl
import socket
import subprocess

from tests.support.clients import HttpClient
from tests.support.configs import base_config, listen_port
from tests.support.pki import make_ca, make_cert


def peer_certificate_names(port, server_name, cafile, **context_options):
    context = ssl.create_default_context(cafile=str(cafile))
    for key, value in context_options.items():
        setattr(context, key, value)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname=server_name) as tls:
            cert = tls.getpeercert()
            return [v for k, v in cert["subjectAltName"]], tls.version(), tls.cipher()


def test_sni_picks_the_certificate_that_covers_the_name(espd_factory, real_server_factory, pki, workdir):
    a = real_server_factory("A")
    ca = (pki / "root-ca.pem", pki / "root-ca.key")
    other_cert, other_key = make_cert(workdir, "other", ca, ["portal.contoso.test"])
    config = base_config(pki, [a], certificates=("front-rsa", "other"),
                         extra={"certificates": {"other": {"cert": str(other_cert), "key": str(other_key)}}})
    espd = espd_factory()
    espd.write_config(config)
    espd.start()
    port = listen_port(config)
    names, _, _ = peer_certificate_names(port, "portal.contoso.test", pki / "root-ca.pem")
    assert names == ["portal.contoso.test"]
    names, _, _ = peer_certificate_names(port, "meet.mycloud.ag", pki / "root-ca.pem")
    assert "meet.mycloud.ag" in names
    # A name no certificate covers gets the first one (and the client's check fails, as it should).
    context = ssl.create_default_context(cafile=str(pki / "root-ca.pem"))
    context.check_hostname = False
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="unknown.example") as tls:
            assert ("DNS", "meet.mycloud.ag") in tls.getpeercert()["subjectAltName"]


def test_tls_versions_and_ciphers(espd_factory, real_server_factory, pki):
    a = real_server_factory("A")
    config = base_config(pki, [a])
    espd = espd_factory()
    espd.write_config(config)
    espd.start()
    port = listen_port(config)
    _, version, _ = peer_certificate_names(port, "meet.mycloud.ag", pki / "root-ca.pem")
    assert version == "TLSv1.3"
    _, version, cipher = peer_certificate_names(port, "meet.mycloud.ag", pki / "root-ca.pem",
                                                maximum_version=ssl.TLSVersion.TLSv1_2)
    assert version == "TLSv1.2"
    assert cipher[0].startswith("ECDHE-") and "GCM" in cipher[0] or "CHACHA20" in cipher[0]
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1
    context.maximum_version = ssl.TLSVersion.TLSv1_1
    context.set_ciphers("ALL:@SECLEVEL=0")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        try:
            with context.wrap_socket(raw, server_hostname="meet.mycloud.ag"):
                refused = False
        except (ssl.SSLError, ConnectionError):
            refused = True
    assert refused


def test_untrusted_real_server_certificate_gives_502(espd_factory, real_server_factory, pki):
    rogue = real_server_factory("R", cert=pki / "rogue-realserver.pem", key=pki / "rogue-realserver.key")
    config = base_config(pki, [rogue])
    espd = espd_factory()
    espd.write_config(config)
    espd.start()
    with HttpClient("127.0.0.1", listen_port(config), server_hostname="meet.mycloud.ag",
                    cafile=pki / "root-ca.pem") as c:
        response = c.request("GET", "/", host="meet.mycloud.ag")
    assert response.status == 502
    assert rogue.requests() == []
    record = espd.wait_for("real_server_error")
    assert record["reason"] == "tls_failed"
    assert "certificate verification failed" in record["detail"]


def test_real_server_certificate_with_the_wrong_name_gives_502(espd_factory, real_server_factory, pki):
    a = real_server_factory("A")
    config = base_config(pki, [a], pool={"reencrypt": {"server_name": "wrong.mycloud.local"}})
    espd = espd_factory()
    espd.write_config(config)
    espd.start()
    with HttpClient("127.0.0.1", listen_port(config), server_hostname="meet.mycloud.ag",
                    cafile=pki / "root-ca.pem") as c:
        assert c.request("GET", "/", host="meet.mycloud.ag").status == 502
    assert "wrong.mycloud.local" in espd.wait_for("real_server_error")["detail"]


def test_real_server_verified_by_ip_address_when_no_server_name(espd_factory, real_server_factory, pki):
    a = real_server_factory("A")
    config = base_config(pki, [a], pool={"reencrypt": {"server_name": ""}})
    espd = espd_factory()
    espd.write_config(config)
    espd.start()
    with HttpClient("127.0.0.1", listen_port(config), server_hostname="meet.mycloud.ag",
                    cafile=pki / "root-ca.pem") as c:
        assert c.request("GET", "/", host="meet.mycloud.ag").status == 200


def test_connection_refused_by_real_server_gives_502(espd_factory, pki):
    from tests.support.ports import free_port

    class Nothing:
        address = "127.0.0.1"
        port = free_port()

    config = base_config(pki, [Nothing()])
    espd = espd_factory()
    espd.write_config(config)
    espd.start()
    with HttpClient("127.0.0.1", listen_port(config), server_hostname="meet.mycloud.ag",
                    cafile=pki / "root-ca.pem") as c:
        response = c.request("GET", "/", host="meet.mycloud.ag")
        assert response.status == 502
        assert b"10.0." not in response.body and b"127.0.0.1" not in response.body
        # The client connection is still usable; without a health check the refused server is now
        # in a passive back-off, so there is no server to try: 503.
        response = c.request("GET", "/", host="meet.mycloud.ag")
        assert response.status == 503
        assert response.header("Retry-After") == "5"
    assert espd.wait_for("real_server_error")["reason"] == "connect_failed"
    assert espd.wait_for("real_server_failing")["backoff_ms"] == 10000


def test_sessions_resume_with_tickets_and_renegotiation_is_refused(espd_factory, real_server_factory, pki):
    a = real_server_factory("A")
    config = base_config(pki, [a])
    espd = espd_factory()
    espd.write_config(config)
    espd.start()
    port = listen_port(config)
    for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        context = ssl.create_default_context(cafile=str(pki / "root-ca.pem"))
        context.maximum_version = version
        session = None
        reused = []
        for _ in range(2):
            with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
                with context.wrap_socket(raw, server_hostname="meet.mycloud.ag", session=session) as tls:
                    # TLS 1.3 tickets arrive after the handshake: read a response first.
                    tls.sendall(b"GET /meet/ HTTP/1.1\r\nHost: meet.mycloud.ag\r\nConnection: close\r\n\r\n")
                    while tls.recv(65536):
                        pass
                    reused.append(tls.session_reused)
                    session = tls.session
        assert reused == [False, True], version
    # A client asking to renegotiate (TLS 1.2) gets no second handshake.
    done = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-tls1_2",
                           "-servername", "meet.mycloud.ag", "-CAfile", str(pki / "root-ca.pem")],
                          input="R\n", capture_output=True, text=True, timeout=20)
    output = done.stdout + done.stderr
    assert "RENEGOTIATING" in output
    assert "no renegotiation" in output
