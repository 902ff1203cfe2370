"""The test PKI: the standard one from tools/make-test-pki.sh, plus unusual certificates on demand."""

import fcntl
import secrets
import tempfile
import subprocess
from pathlib import Path

from tests.support.paths import BUILD_ROOT, TOOLS


def standard_pki():
    """Makes (once per build, safely across parallel test processes) and returns the test PKI."""
    directory = BUILD_ROOT / "test-pki"
    directory.parent.mkdir(parents=True, exist_ok=True)
    with open(str(directory) + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        subprocess.run([str(TOOLS / "make-test-pki.sh"), str(directory)], check=True,
                       stdout=subprocess.DEVNULL)
    return directory


def _run(*args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def make_key(path, key_type="ec"):
    if key_type == "rsa":
        _run("openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", str(path))
    else:
        _run("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", str(path))


def make_ca(directory, name, common_name=None):
    """A self-signed CA: directory/name.pem and .key."""
    directory = Path(directory)
    key, cert = directory / (name + ".key"), directory / (name + ".pem")
    make_key(key)
    _run("openssl", "req", "-x509", "-new", "-key", str(key), "-out", str(cert), "-days", "30",
         "-subj", "/CN=%s" % (common_name or name), "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    return cert, key


def make_cert(directory, name, issuer, sans, key_type="ec", days=30, expired=False,
              eku="serverAuth", common_name=None):
    """A leaf certificate signed by `issuer` ((cert, key) paths). `expired` makes one whose
    validity ended yesterday. Returns (cert path, key path)."""
    directory = Path(directory)
    key, cert, csr, ext = (directory / (name + s) for s in (".key", ".pem", ".csr", ".ext"))
    make_key(key, key_type)
    _run("openssl", "req", "-new", "-key", str(key), "-out", str(csr), "-subj",
         "/CN=%s" % (common_name or (sans[0] if sans else name)))
    san = ",".join(("IP:" if s.replace(".", "").isdigit() or ":" in s else "DNS:") + s for s in sans)
    lines = ["basicConstraints=critical,CA:FALSE", "extendedKeyUsage=%s" % eku]
    if san:
        lines.append("subjectAltName=%s" % san)
    ext.write_text("\n".join(lines) + "\n")
    if expired:
        _sign_with_dates(csr, issuer, ext, cert, "200101000000Z", "200201000000Z")
    else:
        _run("openssl", "x509", "-req", "-in", str(csr), "-CA", str(issuer[0]), "-CAkey", str(issuer[1]),
             "-set_serial", "0x%s" % secrets.token_hex(8), "-out", str(cert), "-extfile", str(ext),
             "-days", str(days))
    return cert, key


def _sign_with_dates(csr, issuer, ext, cert, start, end):
    """`openssl x509` of OpenSSL 3.0 cannot set arbitrary dates; `openssl ca` can."""
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        (work / "index.txt").write_text("")
        (work / "ca.cnf").write_text(
            "[ca]\ndefault_ca = t\n[t]\ndatabase = %s\nnew_certs_dir = %s\nserial = %s\n"
            "default_md = sha256\npolicy = any\ncopy_extensions = none\n[any]\ncommonName = supplied\n"
            % (work / "index.txt", work, work / "serial"))
        (work / "serial").write_text(secrets.token_hex(8) + "\n")
        _run("openssl", "ca", "-batch", "-config", str(work / "ca.cnf"), "-in", str(csr), "-out", str(cert),
             "-cert", str(issuer[0]), "-keyfile", str(issuer[1]), "-startdate", start, "-enddate", end,
             "-extfile", str(ext), "-notext")
