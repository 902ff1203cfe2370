"""The espd binary under test: configuration, start, logs as records, signals, RSS."""

import json
import os
import resource
import signal
import subprocess
from pathlib import Path

from tests.support.paths import ESPD_BINARY
from tests.support.process_output import LineCollector


class Espd:
    def __init__(self, workdir, binary=ESPD_BINARY):
        self.workdir = Path(workdir)
        self.binary = str(binary)
        self.process = None
        self.log = None
        self.config_path = None

    def write_config(self, config, name="espd.json"):
        path = self.workdir / name
        path.write_text(json.dumps(config, indent=2))
        return path

    def start(self, config_path=None, wait_ready=True, extra_args=()):
        self.config_path = Path(config_path or self.workdir / "espd.json")
        self.process = subprocess.Popen([self.binary, "--config", str(self.config_path), *extra_args],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                        cwd=str(self.workdir))
        self.log = LineCollector(self.process.stderr)
        if wait_ready:
            self.wait_for("ready", timeout=15)
        return self

    def wait_for(self, match, timeout=10.0, start=0):
        """The first log record (from index `start`) matching an event name or a predicate."""
        if isinstance(match, str):
            name = match
            match = lambda r: r.get("event") == name  # noqa: E731
        return self.log.wait_for(match, timeout=timeout, start=start)[1]

    def mark(self):
        """A position in the log: wait_for(..., start=mark) sees only later records."""
        return self.log.count()

    def records(self, log=None):
        return [r for r in self.log.snapshot() if log is None or r.get("log") == log]

    def wait_records(self, log, count, timeout=10.0):
        """At least `count` records of stream `log` (they are written asynchronously)."""
        self.wait_for(lambda r: len(self.records(log)) >= count, timeout=timeout)
        return self.records(log)

    def reload(self, timeout=10.0):
        start = self.mark()
        self.process.send_signal(signal.SIGHUP)
        return self.wait_for(lambda r: r.get("event") in ("config_reloaded", "config_rejected"),
                             timeout=timeout, start=start)

    def terminate(self, timeout=40.0):
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def stop(self, timeout=30.0):
        """Graceful stop at the end of a test: SIGTERM, then the exit code (killed if it hangs).
        None when the process had already ended (the test looked at its exit itself)."""
        if not self.process or self.process.poll() is not None:
            return None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return "did not stop within %.0f s of SIGTERM" % timeout

    def kill(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def limit_open_files(self, count):
        """Lowers the running espd's RLIMIT_NOFILE (soft and hard), to test running out."""
        resource.prlimit(self.process.pid, resource.RLIMIT_NOFILE, (count, count))

    def rss_kib(self):
        return self._status_kib("VmRSS")

    def peak_rss_kib(self):
        """The highest resident set size so far (VmHWM): the memory a case really needed."""
        return self._status_kib("VmHWM")

    def _status_kib(self, key):
        for line in Path("/proc/%d/status" % self.process.pid).read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
        raise RuntimeError("no " + key)

    def cpu_seconds(self):
        """User + system CPU time used so far (all threads)."""
        fields = Path("/proc/%d/stat" % self.process.pid).read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def check(self, config_path):
        done = subprocess.run([self.binary, "--check", "--config", str(config_path)],
                              capture_output=True, text=True, cwd=str(self.workdir))
        return done.returncode, done.stdout, done.stderr

    def tail(self, n=50):
        return "\n".join(json.dumps(r) for r in self.log.snapshot()[-n:]) if self.log else ""
