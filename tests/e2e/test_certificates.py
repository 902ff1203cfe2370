"""End-to-end: certificates. PEM and PKCS#12 (also legacy) serve their full chain, SNI among
several certificates, RSA/ECDSA by what the client supports, load-time errors, SAN coverage,
expiry warnings, hot swap with no failed request, real-server CRLs, mutual TLS, OCSP stapling."""

import json
import shutil
import subprocess
import threading

from tests.support.clients import HttpClient
from tests.support.configs import base_config, listen_port
from tests.support.pki import make_ca, make_cert
from tests.support.tls_probe import served

HOST = "meet.mycloud.ag"


def start(espd_factory, real_server_factory, pki, certificates, extra=None, service=None, pool=None):
    a = real_server_factory("A")
    config = base_config(pki, [a], certificates=certificates, extra=extra or {}, service=service, pool=pool)
    espd = espd_factory()
    path = espd.write_config(config)
    espd.start()
    return espd, a, listen_port(config), config, path


def test_pem_and_pkcs12_serve_the_full_chain(espd_factory, real_server_factory, pki):
    extra = {"certificates": {
        "p12": {"pkcs12": str(pki / "front.p12"), "password_file": str(pki / "front.p12.pass")},
        "p12-legacy": {"pkcs12": str(pki / "front-legacy.p12"), "password_file": str(pki / "front.p12.pass")},
        "pem-one-file": {"cert": str(pki / "front-rsa-fullchain.pem"), "key": str(pki / "front-rsa.key")}}}
    for name in ("front-rsa", "p12", "p12-legacy", "pem-one-file"):
        espd, a, port, _, _ = start(espd_factory, real_server_factory, pki, [name], extra=extra)
        result = served(port, HOST, cafile=pki / "root-ca.pem")
        assert len(result.pems) == 2, name  # leaf and intermediate, root left to the client
        assert "espd Test Intermediate CA" in result.subjects[1], name
        assert result.verified, name
        assert espd.terminate() == 0


def test_sni_picks_among_three_certificates(espd_factory, real_server_factory, pki, workdir):
    ca = (pki / "intermediate-ca.pem", pki / "intermediate-ca.key")
    portal = make_cert(workdir, "portal", ca, ["portal.contoso.test"])
    wildcard = make_cert(workdir, "wildcard", ca, ["*.fabrikam.test"])
    extra = {"certificates": {
        "portal": {"cert": str(portal[0]), "key": str(portal[1]), "chain": str(pki / "front-chain.pem")},
        "wildcard": {"cert": str(wildcard[0]), "key": str(wildcard[1]), "chain": str(pki / "front-chain.pem")}}}
    espd, a, port, _, _ = start(espd_factory, real_server_factory, pki, ["front-rsa", "portal", "wildcard"],
                                extra=extra)
    assert "portal.contoso.test" in served(port, "portal.contoso.test").subjects[0]
    assert "*.fabrikam.test" in served(port, "meet.fabrikam.test").subjects[0]
    assert "ws-ext.mycloud.ag" in served(port, "dialin.mycloud.ag").subjects[0]
    assert "ws-ext.mycloud.ag" in served(port, "a.b.fabrikam.test").subjects[0]  # one label only
    assert "ws-ext.mycloud.ag" in served(port, None).subjects[0]  # no SNI: the first


def test_rsa_and_ecdsa_side_by_side_chosen_by_what_the_client_supports(espd_factory, real_server_factory, pki):
    espd, a, port, _, _ = start(espd_factory, real_server_factory, pki, ["front-ecdsa", "front-rsa"])
    rsa = served(port, HOST, extra=["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"])
    ecdsa = served(port, HOST, extra=["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"])
    assert "rsaEncryption" in rsa.leaf_text()
    assert "id-ecPublicKey" in ecdsa.leaf_text()
    rsa13 = served(port, HOST, extra=["-tls1_3", "-sigalgs", "rsa_pss_rsae_sha256"])
    ecdsa13 = served(port, HOST, extra=["-tls1_3", "-sigalgs", "ecdsa_secp256r1_sha256"])
    assert "rsaEncryption" in rsa13.leaf_text()
    assert "id-ecPublicKey" in ecdsa13.leaf_text()


def check_errors(espd, config):
    path = espd.write_config(config, "check.json")
    return espd.check(path)


def test_load_time_errors_are_clear(espd_factory, real_server_factory, pki, workdir):
    a = real_server_factory("A")
    espd = espd_factory()
    config = base_config(pki, [a])
    front = config["certificates"]["front-rsa"]

    front["key"] = str(pki / "front-ecdsa.key")
    rc, _, err = check_errors(espd, config)
    assert rc == 1 and "/certificates/front-rsa/key: error: the private key does not match the certificate" in err

    expired = make_cert(workdir, "expired", (pki / "intermediate-ca.pem", pki / "intermediate-ca.key"),
                        [HOST], expired=True)
    front.update(cert=str(expired[0]), key=str(expired[1]))
    rc, _, err = check_errors(espd, config)
    assert rc == 1 and "has expired" in err and str(expired[0]) in err

    # Chain given in the wrong order: root before intermediate.
    backwards = workdir / "backwards.pem"
    backwards.write_text((pki / "root-ca.pem").read_text() + (pki / "intermediate-ca.pem").read_text())
    front.update(cert=str(pki / "front-rsa.pem"), key=str(pki / "front-rsa.key"), chain=str(backwards))
    rc, _, err = check_errors(espd, config)
    assert rc == 1 and "the chain is not in order" in err

    # Intermediate missing: only noticed against a trust store.
    front.update(chain="")
    del front["chain"]
    config["trust_stores"]["public"] = {"ca": str(pki / "root-ca.pem")}
    front["trust"] = "public"
    rc, _, err = check_errors(espd, config)
    assert rc == 1 and "does not reach a CA of trust store \"public\"" in err
    assert "intermediate certificate is probably missing" in err

    config["certificates"]["p12"] = {"pkcs12": str(pki / "front.p12"), "password_file": str(pki / "front-rsa.pem")}
    config["virtual_services"]["web"]["tls"]["certificates"] = ["p12"]
    rc, _, err = check_errors(espd, config)
    assert rc == 1 and "cannot decrypt" in err and "wrong password" in err


def test_san_coverage_warnings_and_errors(espd_factory, real_server_factory, pki):
    a = real_server_factory("A")
    espd = espd_factory()
    config = base_config(pki, [a], service={
        "esp": {"enabled": True, "allowed_hosts": ["meet.mycloud.ag", "sip.mycloud.ag", "*.mycloud.ag"]},
        "routes": [{"hosts": ["webext2013.mycloud.ag", "webext2015.mycloud.ag"], "pool": "fe"}]})
    rc, out, err = check_errors(espd, config)
    assert rc == 0
    assert err.count("is not covered by any certificate of this listener") == 3
    assert '/esp/allowed_hosts/1: warning: host "sip.mycloud.ag"' in err
    assert '/esp/allowed_hosts/2: warning: host "*.mycloud.ag"' in err
    assert '/routes/0/hosts/1: warning: host "webext2015.mycloud.ag"' in err
    assert '("front-rsa")' in err
    config["virtual_services"]["web"]["tls"]["require_san_coverage"] = True
    rc, out, err = check_errors(espd, config)
    assert rc == 1
    assert '/esp/allowed_hosts/1: error: host "sip.mycloud.ag"' in err


def test_expiry_warnings_at_30_and_7_days(espd_factory, real_server_factory, pki, workdir):
    ca = (pki / "intermediate-ca.pem", pki / "intermediate-ca.key")
    soon = make_cert(workdir, "soon", ca, [HOST], days=20)
    urgent = make_cert(workdir, "urgent", ca, ["dialin.mycloud.ag"], days=5)
    extra = {"certificates": {
        "soon": {"cert": str(soon[0]), "key": str(soon[1]), "chain": str(pki / "front-chain.pem")},
        "urgent": {"cert": str(urgent[0]), "key": str(urgent[1]), "chain": str(pki / "front-chain.pem")}}}
    espd, a, port, config, path = start(espd_factory, real_server_factory, pki, ["soon", "urgent"], extra=extra)
    rc, _, err = espd.check(path)
    assert rc == 0
    # 20 and 5 days from issue; a second later that is still "20" and "5" (days are rounded up).
    assert "/certificates/soon: warning: expires in 20 days" in err
    assert "/certificates/urgent: warning: expires in 5 days" in err
    records = {r["certificate"]: r for r in
               [espd.wait_for(lambda r: r.get("event") == "certificate_expiring" and r.get("certificate") == n)
                for n in ("soon", "urgent")]}
    assert records["soon"]["days_left"] == 20
    assert records["urgent"]["days_left"] == 5


def test_hot_swap_under_load_loses_no_request(espd_factory, real_server_factory, pki, workdir):
    live = workdir / "live"
    live.mkdir()
    shutil.copy(pki / "front-rsa.pem", live / "site.pem")
    shutil.copy(pki / "front-rsa.key", live / "site.key")
    extra = {"certificates": {"site": {"cert": str(live / "site.pem"), "key": str(live / "site.key"),
                                       "chain": str(pki / "front-chain.pem")}}}
    espd, a, port, config, path = start(espd_factory, real_server_factory, pki, ["site"], extra=extra)
    before = served(port, HOST).pems[0]
    failures, done, stop = [], [0], threading.Event()

    def load():
        while not stop.is_set():
            try:
                with HttpClient("127.0.0.1", port, server_hostname=HOST, cafile=pki / "root-ca.pem") as c:
                    for _ in range(3):
                        if c.request("GET", "/", host=HOST).status != 200:
                            failures.append("status")
                        done[0] += 1
            except Exception as error:  # noqa: BLE001 - any failure counts
                failures.append(repr(error))

    threads = [threading.Thread(target=load) for _ in range(3)]
    for t in threads:
        t.start()
    renewed = make_cert(workdir, "renewed", (pki / "intermediate-ca.pem", pki / "intermediate-ca.key"),
                        ["meet.mycloud.ag", "dialin.mycloud.ag"])
    shutil.copy(renewed[0], live / "site.pem")
    shutil.copy(renewed[1], live / "site.key")
    assert espd.reload()["event"] == "config_reloaded"
    after = served(port, HOST).pems[0]
    count_at_swap = done[0]
    while done[0] < count_at_swap + 30:
        pass
    stop.set()
    for t in threads:
        t.join(timeout=20)
    assert failures == []
    assert before != after
    assert after.strip() == renewed[0].read_text().strip()


def test_revoked_real_server_certificate_gives_502(espd_factory, real_server_factory, pki):
    revoked = real_server_factory("R", cert=pki / "realserver-revoked.pem", key=pki / "realserver-revoked.key")
    good = real_server_factory("G")
    for server, status in ((revoked, 502), (good, 200)):
        config = base_config(pki, [server], extra={"trust_stores": {"internal": {
            "ca": str(pki / "internal-ca.pem"), "crl": [str(pki / "internal-ca.crl")]}}})
        espd = espd_factory()
        espd.write_config(config)
        espd.start()
        with HttpClient("127.0.0.1", listen_port(config), server_hostname=HOST, cafile=pki / "root-ca.pem") as c:
            assert c.request("GET", "/", host=HOST).status == status
        if status == 502:
            assert "certificate revoked" in espd.wait_for("real_server_error")["detail"]
        assert espd.terminate() == 0


def test_mutual_tls_toward_a_real_server_that_requires_it(espd_factory, real_server_factory, pki):
    strict = real_server_factory("M", client_ca=pki / "internal-ca.pem")
    for client_certificate, status in (("espd-client", 200), ("", 502)):
        config = base_config(pki, [strict], pool={"reencrypt": {"client_certificate": client_certificate}})
        espd = espd_factory()
        espd.write_config(config)
        espd.start()
        with HttpClient("127.0.0.1", listen_port(config), server_hostname=HOST, cafile=pki / "root-ca.pem") as c:
            assert c.request("GET", "/", host=HOST).status == status, client_certificate
        assert espd.terminate() == 0


def test_ocsp_response_is_stapled(espd_factory, real_server_factory, pki, workdir):
    ca = make_ca(workdir, "ocsp-ca")
    leaf_key = workdir / "leaf.key"
    subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-out", str(leaf_key)], check=True, capture_output=True)
    subprocess.run(["openssl", "req", "-new", "-key", str(leaf_key), "-out", str(workdir / "leaf.csr"),
                    "-subj", "/CN=meet.mycloud.ag"], check=True, capture_output=True)
    (workdir / "leaf.ext").write_text("subjectAltName=DNS:meet.mycloud.ag\nextendedKeyUsage=serverAuth\n"
                                      "authorityInfoAccess=OCSP;URI:http://ocsp.example.test/\n")
    leaf = workdir / "leaf.pem"
    subprocess.run(["openssl", "x509", "-req", "-in", str(workdir / "leaf.csr"), "-CA", str(ca[0]),
                    "-CAkey", str(ca[1]), "-set_serial", "0x4242", "-days", "30", "-out", str(leaf),
                    "-extfile", str(workdir / "leaf.ext")], check=True, capture_output=True)
    end = subprocess.run(["openssl", "x509", "-in", str(leaf), "-noout", "-enddate"], capture_output=True,
                         text=True).stdout.split("=", 1)[1].strip()
    expiry = subprocess.run(["date", "-u", "-d", end, "+%y%m%d%H%M%SZ"], capture_output=True,
                            text=True).stdout.strip()
    (workdir / "index.txt").write_text("V\t%s\t\t4242\tunknown\t/CN=meet.mycloud.ag\n" % expiry)
    response = workdir / "ocsp.der"
    subprocess.run(["openssl", "ocsp", "-index", str(workdir / "index.txt"), "-rsigner", str(ca[0]),
                    "-rkey", str(ca[1]), "-CA", str(ca[0]), "-issuer", str(ca[0]), "-cert", str(leaf),
                    "-respout", str(response), "-ndays", "1"], check=True, capture_output=True)
    extra = {"certificates": {"stapled": {"cert": str(leaf), "key": str(leaf_key), "chain": str(ca[0]),
                                          "ocsp_response": str(response)}}}
    espd, a, port, _, _ = start(espd_factory, real_server_factory, pki, ["stapled"], extra=extra)
    assert served(port, HOST, extra=["-status"]).ocsp_stapled
    assert not served(port, HOST).ocsp_stapled  # only when the client asks
