"""The proxies compared: espd and its peers, each doing the same job from a config in
tools/bench/configs, started pinned to the proxy CPU and stopped again."""

import json
import os
import subprocess
import time

from environment import ALLOWED_HOSTS, render, stop_process, wait_for_port
from tests.support.ports import free_port


class Peer:
    name = ""
    template = ""
    # What the peer can do of the job (shown in the report).
    has_cookie_persistence = True
    has_least_connection = True

    def __init__(self, env, workers):
        self.env = env
        self.workers = workers
        self.port = None
        self.process = None
        self.config_path = None
        self.extra_env = {}  # e.g. LD_PRELOAD for an experiment (tools/bench/profile.py --preload)

    # --- to be provided by each peer ---
    def values(self):
        return {}

    def argv(self):
        raise NotImplementedError

    def version(self):
        raise NotImplementedError

    def check_argv(self):
        """The peer's own configuration check, if it has one."""
        return None

    def check_config(self):
        """Raises with the peer's own message if its configuration is invalid."""
        argv = self.check_argv()
        if not argv:
            return
        result = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if result.returncode != 0:
            raise RuntimeError("%s failed:\n%s" % (" ".join(argv[:2]), result.stdout))

    # --- common ---
    def write_config(self):
        self.port = free_port()
        limit = self.env.file_limit
        values = {"RUN": self.env.run, "PKI": self.env.pki, "PORT": self.port,
                  "PORT_A": self.env.port_a, "PORT_B": self.env.port_b, "WORKERS": self.workers,
                  "ULIMIT_N": limit, "MAXCONN": max(limit - 500, 1024), "USER": self.env.user_directive()}
        values.update(self.values())
        self.config_path = self.env.run / self.template.replace(".in", "").replace(
            "nginx.conf", "nginx-proxy.conf")
        self.config_path.write_text(render(self.template, values))

    def start(self):
        self.write_config()
        self.check_config()
        self.log_path = self.env.run / ("%s.out" % self.name)
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(self.env.pinning.proxy_command(self.argv()), stdout=log,
                                        stderr=subprocess.STDOUT, cwd=str(self.env.run),
                                        env=dict(os.environ, **self.extra_env))
        try:
            wait_for_port("127.0.0.1", self.port, 20, self.process)
        except Exception as error:
            raise RuntimeError("%s did not start: %s; log: %s" % (self.name, error, self.log_tail()))
        return self

    @property
    def pid(self):
        return self.process.pid

    def log_tail(self, lines=15):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self):
        stop_process(self.process)
        self.process = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _first_line(argv):
    result = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return result.stdout.strip().splitlines()[0] if result.stdout.strip() else "?"


class Espd(Peer):
    name = "espd"
    template = "espd.json.in"
    busy_poll_us = 0  # espd's default: a worker sleeps as soon as nothing is ready
    idle_buffer_release_ms = 1000  # espd's default

    def values(self):
        return {"ALLOWED_HOSTS_JSON": ", ".join(json.dumps(h) for h in ALLOWED_HOSTS),
                "BUSY_POLL_US": self.busy_poll_us, "IDLE_BUFFER_RELEASE_MS": self.idle_buffer_release_ms}

    def argv(self):
        return [str(self.env.espd_binary), "--config", str(self.config_path)]

    def version(self):
        return _first_line([str(self.env.espd_binary), "--version"])

    def check_argv(self):
        return [str(self.env.espd_binary), "--check", "--config", str(self.config_path)]

    def start(self):
        super().start()
        # The port opens before the worker has its snapshot: wait for the "ready" record.
        deadline = time.monotonic() + 20
        while '"ready"' not in self.log_path.read_text(errors="replace"):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("espd not ready: " + self.log_tail())
            time.sleep(0.05)
        return self


class Haproxy(Peer):
    name = "haproxy"
    template = "haproxy.cfg.in"

    def values(self):
        return {"ALLOWED_HOSTS": " ".join(ALLOWED_HOSTS)}

    def argv(self):
        return ["haproxy", "-db", "-f", str(self.config_path)]

    def version(self):
        return _first_line(["haproxy", "-v"])

    def check_argv(self):
        return ["haproxy", "-c", "-f", str(self.config_path)]


class Nginx(Peer):
    name = "nginx"
    template = "nginx.conf.in"
    has_cookie_persistence = False

    def values(self):
        return {"ALLOWED_HOSTS": " ".join(ALLOWED_HOSTS)}

    def argv(self):
        return ["nginx", "-c", str(self.config_path), "-p", str(self.env.run)]

    def version(self):
        return _first_line(["nginx", "-v"])

    def check_argv(self):
        return ["nginx", "-t", "-q", "-c", str(self.config_path), "-p", str(self.env.run)]


class Nghttpx(Peer):
    name = "nghttpx"
    template = "nghttpx.conf.in"
    has_least_connection = False

    def values(self):
        patterns = ":".join(ALLOWED_HOSTS)
        backends = []
        for address, port in (("127.0.0.2", self.env.port_a), ("127.0.0.3", self.env.port_b)):
            backends.append(
                "backend=%s,%d;%s;proto=http/1.1;tls;sni=fe.mycloud.local;affinity=cookie;"
                "affinity-cookie-name=MS-WSMAN;affinity-cookie-secure=no" % (address, port, patterns))
        return {"BACKENDS": "\n".join(backends), "CLOSED_PORT": free_port()}

    def argv(self):
        return ["nghttpx", "--conf=%s" % self.config_path]

    def version(self):
        return _first_line(["nghttpx", "--version"])


class EspdBusyPoll(Espd):
    """espd whose workers poll for 50 us before they sleep (busy_poll_us): not a peer, a variant
    to compare with espd's default in the same run."""
    name = "espd-busy-poll"
    busy_poll_us = 50


PEERS = {cls.name: cls for cls in (Espd, EspdBusyPoll, Haproxy, Nginx, Nghttpx)}
