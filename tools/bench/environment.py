"""What every bench job stands on: the work directory, the test PKI, the files the real servers
serve, the two TLS real servers (one nginx on 127.0.0.2 and 127.0.0.3), CPU pinning, the load
tools and the file-descriptor limit."""

import os
import re
import resource
import shutil
import socket
import subprocess
import time
from pathlib import Path

from tests.support.ports import free_port

BENCH_DIR = Path(__file__).resolve().parent
SOURCE_ROOT = BENCH_DIR.parents[1]
CONFIGS = BENCH_DIR / "configs"

# The published names (the ESP allowed hosts of conf.d/demo.json); the front certificates cover
# them and a few more (webext2010.mycloud.ag is covered but not published: the refused host).
ALLOWED_HOSTS = ["ws-ext.mycloud.ag", "fepool-ext.mycloud.ag", "lyncdiscover.mycloud.ag",
                 "meet.mycloud.ag", "dialin.mycloud.ag", "scheduler.mycloud.ag"]
REQUEST_HOST = "meet.mycloud.ag"
REFUSED_HOST = "webext2010.mycloud.ag"
# The load generators connect to 127.0.0.1 with this name as SNI (the front certificates cover
# it) and send REQUEST_HOST as Host.
SNI_NAME = "localhost"

FILES = {"/healthcheck.html": 17, "/1k": 1024, "/1m": 1 << 20}


class Pinning:
    """CPU sets for the proxy and for everything else (load generators, real servers)."""

    def __init__(self):
        cpus = sorted(os.sched_getaffinity(0))
        if len(cpus) >= 2:
            self.proxy = str(cpus[0])
            self.others = ",".join(str(c) for c in cpus[1:])
            self.other_cpus = cpus[1:]
        else:
            self.proxy = self.others = str(cpus[0])
            self.other_cpus = cpus[:1]
        self.cpus = cpus

    def proxy_command(self, argv):
        return ["taskset", "-c", self.proxy, *argv]

    def other_command(self, argv):
        return ["taskset", "-c", self.others, *argv]

    def describe(self):
        if self.proxy == self.others:
            return "one CPU: no separation possible"
        return "proxy on CPU %s; load generators and real servers on CPU %s" % (self.proxy, self.others)


def raise_file_limit():
    """Soft RLIMIT_NOFILE up to the hard limit (children inherit it). Returns the limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def render(template, values):
    """Fills @NAME@ placeholders; an unknown or unfilled placeholder is an error."""
    text = (CONFIGS / template).read_text()
    for name, value in values.items():
        text = text.replace("@%s@" % name, str(value))
    leftover = re.findall(r"@[A-Z_]+@", text)
    if leftover:
        raise ValueError("%s: unfilled placeholders %s" % (template, sorted(set(leftover))))
    return text


def wait_for_port(address, port, timeout, process=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError("exited with status %s before listening" % process.returncode)
        try:
            with socket.create_connection((address, port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError("nothing listens on %s:%d after %.0f s" % (address, port, timeout))


def stop_process(process, timeout=20):
    """SIGTERM, then SIGKILL if it is still there after `timeout` seconds."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Environment:
    def __init__(self, workdir, espd_binary, big_file_bytes):
        self.workdir = Path(workdir).resolve()
        self.run = self.workdir / "run"
        self.pki = self.workdir / "pki"
        self.docroot = self.workdir / "docroot"
        self.espd_binary = Path(espd_binary).resolve()
        self.big_file_bytes = big_file_bytes
        self.pinning = Pinning()
        self.file_limit = raise_file_limit()
        self.port_a = self.port_b = None
        self.real_servers = None
        self.handshake_load = None

    # --- preparation ---
    def prepare(self):
        if self.run.exists():
            shutil.rmtree(self.run)
        self.run.mkdir(parents=True)
        subprocess.run([str(SOURCE_ROOT / "tools/make-test-pki.sh"), str(self.pki)], check=True,
                       stdout=subprocess.DEVNULL)
        self._write_documents()
        self._write_certificate_files()
        self.handshake_load = self._compile_handshake_load()

    def _write_documents(self):
        self.docroot.mkdir(parents=True, exist_ok=True)
        (self.docroot / "healthcheck.html").write_bytes(b"<html>OK</html>\r\n")
        for name, size in (("1k", 1024), ("1m", 1 << 20)):
            path = self.docroot / name
            if not path.exists() or path.stat().st_size != size:
                path.write_bytes(os.urandom(size))
        big = self.docroot / "big"
        if self.big_file_bytes is None:
            pass
        elif not big.exists() or big.stat().st_size != self.big_file_bytes:
            with open(big, "wb") as out:  # random, so nothing on the way could compress it
                remaining = self.big_file_bytes
                block = os.urandom(1 << 20)
                while remaining:
                    out.write(block[:min(remaining, len(block))])
                    remaining -= min(remaining, len(block))
        for name in ("uploads-a", "uploads-b", "realservers-body"):
            (self.run / name).mkdir(parents=True, exist_ok=True)

    def _write_certificate_files(self):
        chain = (self.pki / "front-chain.pem").read_text()
        for kind in ("ecdsa", "rsa"):
            leaf = (self.pki / ("front-%s.pem" % kind)).read_text()
            key = (self.pki / ("front-%s.key" % kind)).read_text()
            (self.run / ("front-%s-fullchain.pem" % kind)).write_text(leaf + chain)
            haproxy = self.run / ("haproxy-front-%s.pem" % kind)
            haproxy.write_text(leaf + chain + key)
            haproxy.chmod(0o600)

    def _compile_handshake_load(self):
        binary = self.workdir / "handshake_load"
        source = BENCH_DIR / "handshake_load.c"
        if not binary.exists() or binary.stat().st_mtime < source.stat().st_mtime:
            subprocess.run(["cc", "-O2", "-Wall", "-Wextra", "-Werror", "-o", str(binary), str(source),
                            "-lssl", "-lcrypto"], check=True)
        return binary

    def user_directive(self):
        # nginx switches workers to www-data when started as root; the bench files are ours.
        return "user root;" if os.geteuid() == 0 else ""

    # --- the real servers ---
    def start_real_servers(self):
        self.port_a = free_port("127.0.0.2")
        self.port_b = free_port("127.0.0.3")
        config = self.run / "realservers.conf"
        config.write_text(render("realservers.conf.in", {
            "RUN": self.run, "PKI": self.pki, "DOCROOT": self.docroot, "USER": self.user_directive(),
            "PORT_A": self.port_a, "PORT_B": self.port_b}))
        log = open(self.run / "realservers.out", "wb")
        self.real_servers = subprocess.Popen(
            self.pinning.other_command(["nginx", "-c", str(config), "-p", str(self.run)]),
            stdout=log, stderr=subprocess.STDOUT)
        wait_for_port("127.0.0.2", self.port_a, 15, self.real_servers)
        wait_for_port("127.0.0.3", self.port_b, 15, self.real_servers)

    def stop_real_servers(self):
        stop_process(self.real_servers)
        self.real_servers = None
