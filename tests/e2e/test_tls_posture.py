"""End-to-end: the TLS posture of a listener as an auditor checks it, with testssl.sh (Debian
package testssl.sh). The listener serves an RSA and an ECDSA certificate, so both key types'
suites are looked at. Asserted on testssl's JSON: no protocol below TLS 1.2, no NULL, anonymous,
export, LOW, 3DES/IDEA or CBC ("obsoleted") suite, forward secrecy with every suite, and not
vulnerable to anything testssl checks (heartbleed, CCS, ticketbleed, ROBOT, renegotiation, CRIME,
BREACH, POODLE, SWEET32, FREAK, DROWN, LOGJAM, BEAST, LUCKY13, RC4).

testssl's start-up alone (bash reading its cipher tables, probing the local openssl) takes 10 s
on an idle machine and minutes on a loaded one, so the suite runs one focused invocation:
    testssl --quiet --warnings off --nodns none --protocols --std --fs --vulnerable \
            --jsonfile out.json --ip 127.0.0.1 meet.mycloud.ag:PORT
The full audit (server defaults, certificate checks, HTTP headers, every cipher, client
simulations) is `testssl --ip 127.0.0.1 meet.mycloud.ag:PORT` against `tools/demo.sh`'s
listener; its result is summarised in docs/SECURITY.md."""

import json
import shutil
import subprocess
import time

import pytest

from tests.support.configs import base_config, listen_port
from tests.support.paths import SANITIZED

HOST = "meet.mycloud.ag"
TESTSSL = shutil.which("testssl") or shutil.which("testssl.sh")
# Findings about the machine running testssl, not about espd.
ENVIRONMENT = {"engine_problem"}


@pytest.mark.skipif(TESTSSL is None, reason="testssl.sh is not installed (tools/install-deps.sh test)")
@pytest.mark.skipif(SANITIZED, reason="the TLS posture does not depend on sanitizers; testssl runs in the plain suite")
def test_testssl_finds_no_weak_protocol_or_cipher_and_no_vulnerability(espd_factory, real_server_factory,
                                                                        pki, workdir, capsys):
    a = real_server_factory("A")
    config = base_config(pki, [a], certificates=("front-rsa", "front-ecdsa"))
    espd = espd_factory()
    espd.write_config(config)
    espd.start()
    report = workdir / "testssl.json"
    started = time.monotonic()
    done = subprocess.run([TESTSSL, "--quiet", "--color", "0", "--warnings", "off", "--nodns", "none",
                           "--protocols", "--std", "--fs", "--vulnerable", "--jsonfile", str(report),
                           "--ip", "127.0.0.1", "%s:%d" % (HOST, listen_port(config))],
                          capture_output=True, text=True, timeout=1500)
    elapsed = time.monotonic() - started
    assert report.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    findings = {f["id"]: f for f in json.loads(report.read_text())}
    with capsys.disabled():
        print("\n[testssl] %d findings in %.0f s: %s" % (
            len(findings), elapsed,
            ", ".join("%s=%s" % (k, v["severity"]) for k, v in sorted(findings.items())
                      if v["severity"] not in ("OK", "INFO"))
            or "every finding OK or INFO"))

    def finding(name):
        assert name in findings, "testssl did not report %s" % name
        return findings[name]["finding"]

    # Protocols: TLS 1.2 and 1.3 only.
    for old in ("SSLv2", "SSLv3", "TLS1", "TLS1_1"):
        assert finding(old) == "not offered", old
    assert finding("TLS1_2") == "offered"
    assert finding("TLS1_3").startswith("offered")
    # Cipher categories: nothing weak or obsolete, strong AEAD suites only.
    for weak in ("cipherlist_NULL", "cipherlist_aNULL", "cipherlist_EXPORT", "cipherlist_LOW",
                 "cipherlist_3DES_IDEA", "cipherlist_AVERAGE"):
        assert finding(weak) == "not offered", weak
    assert finding("cipherlist_STRONG") == "offered"
    # Forward secrecy (called PFS by testssl 3.0, FS by later versions).
    fs = findings.get("FS") or findings.get("PFS")
    assert fs and fs["finding"] == "offered" and fs["severity"] == "OK", fs
    # Every vulnerability check: OK.
    for check in ("heartbleed", "CCS", "ticketbleed", "ROBOT", "secure_renego", "secure_client_renego",
                  "CRIME_TLS", "BREACH", "POODLE_SSL", "fallback_SCSV", "SWEET32", "FREAK", "DROWN",
                  "LOGJAM", "BEAST", "LUCKY13", "RC4"):
        assert findings.get(check, {}).get("severity") == "OK", (check, findings.get(check))
    # And nothing anywhere above INFO, but for the machine's own openssl.
    bad = {k: v for k, v in findings.items() if v["severity"] not in ("OK", "INFO") and k not in ENVIRONMENT}
    assert not bad, bad
