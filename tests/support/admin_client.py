"""A client of espd's admin API for the tests, and a configuration that enables the API."""

import http.client
import json
import os
import secrets

from tests.support.ports import free_port


def with_admin(config, workdir, **admin):
    """Adds an admin section (loopback, a fresh 0600 token file); returns (config, token, port)."""
    token = secrets.token_hex(24)
    token_file = workdir / "admin.token"
    token_file.write_text(token + "\n")
    os.chmod(token_file, 0o600)
    port = free_port()
    config["admin"] = {"listen": "127.0.0.1:%d" % port, "token_file": str(token_file),
                       "audit_log": str(workdir / "audit.log")}
    config["admin"].update(admin)
    return config, token, port


class Reply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.raw = body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    def header(self, name):
        return self.headers.get(name.lower())

    def __repr__(self):
        return "Reply(%d, %s)" % (self.status, self.raw[:300])


class AdminClient:
    def __init__(self, port, token, host="127.0.0.1"):
        self.port = port
        self.token = token
        self.host = host

    def call(self, method, path, body=None, token=None, content_type="application/json", headers=None,
             raw_body=None):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        sent = dict(headers or {})
        if token is not False:
            sent["Authorization"] = "Bearer %s" % (token or self.token)
        data = raw_body
        if body is not None:
            data = json.dumps(body).encode()
        if data is not None:
            sent["Content-Type"] = content_type
        try:
            connection.request(method, path, body=data, headers=sent)
            response = connection.getresponse()
            return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            connection.close()

    def get(self, path, **kwargs):
        return self.call("GET", path, **kwargs)

    def post(self, path, body, **kwargs):
        return self.call("POST", path, body, **kwargs)

    def put(self, path, body, **kwargs):
        return self.call("PUT", path, body, **kwargs)

    def patch(self, path, body, **kwargs):
        return self.call("PATCH", path, body, content_type="application/merge-patch+json", **kwargs)

    def delete(self, path, **kwargs):
        return self.call("DELETE", path, **kwargs)
