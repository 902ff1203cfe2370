"""A real server for the tests: tools/demo_real_server.py in a child process."""

import json
import ssl
import subprocess
import http.client
from pathlib import Path

from tests.support.paths import PYTHON, TOOLS
from tests.support.process_output import LineCollector


class RealServer:
    def __init__(self, name, workdir, pki, listen=("127.0.0.1:0",), cert=None, key=None,
                 client_ca=None, plain=False, raw_log=False, health_status=200):
        self.name = name
        self.workdir = Path(workdir)
        self.pki = Path(pki)
        self.plain = plain
        self.record_path = self.workdir / ("real-server-%s.jsonl" % name)
        self.raw_path = self.workdir / ("real-server-%s.raw.jsonl" % name) if raw_log else None
        args = [PYTHON, str(TOOLS / "demo_real_server.py"), "--name", name,
                "--record", str(self.record_path), "--health-status", str(health_status)]
        for spec in listen:
            args += ["--listen", spec]
        if plain:
            args.append("--plain")
        else:
            args += ["--cert", str(cert or self.pki / "realserver.pem"),
                     "--key", str(key or self.pki / "realserver.key")]
        if client_ca:
            args += ["--client-ca", str(client_ca)]
        if self.raw_path:
            args += ["--raw-log", str(self.raw_path)]
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._stdout = LineCollector(self.process.stdout)
        _, ready = self._stdout.wait_for(lambda r: r.get("event") == "listening", timeout=15)
        self.listen = ready["listen"]
        self.address, port = self.listen[0].rsplit(":", 1)
        self.port = int(port)
        self.ports = [int(spec.rsplit(":", 1)[1]) for spec in self.listen]

    # --- direct requests to the real server (not through espd), for control and checks ---
    def _connection(self, port=None):
        port = port or self.port
        if self.plain:
            return http.client.HTTPConnection(self.address, port, timeout=10)
        context = ssl.create_default_context(cafile=str(self.pki / "internal-ca.pem"))
        context.check_hostname = False
        return http.client.HTTPSConnection(self.address, port, timeout=10, context=context)

    def get(self, path, port=None):
        connection = self._connection(port)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def stats(self):
        return json.loads(self.get("/_control/stats")[1])

    def set_health(self, status):
        self.get("/_control/health?status=%d" % status)

    def release(self):
        self.get("/_control/release")

    def requests(self):
        """Every request recorded so far (control requests excluded)."""
        if not self.record_path.exists():
            return []
        entries = [json.loads(line) for line in self.record_path.read_text().splitlines() if line]
        return [e for e in entries if not e["target"].startswith("/_control/")]

    def raw_connections(self):
        """Raw bytes received, per connection id."""
        import base64
        result = {}
        if self.raw_path and self.raw_path.exists():
            for line in self.raw_path.read_text().splitlines():
                entry = json.loads(line)
                result.setdefault(entry["conn"], bytearray()).extend(base64.b64decode(entry["data_b64"]))
        return {k: bytes(v) for k, v in result.items()}

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
