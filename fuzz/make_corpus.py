#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (fuzz/corpus/<target>/): small, meaningful inputs
(valid messages, each known-bad form, Lync-like paths, the shipped configurations, admin API
requests). Run it after changing a seed here; the fuzzers add what they find in corpus-work/, not
here. Inputs that once crashed a target are kept as files named regression-*, not generated."""

import base64
import hashlib
import hmac
import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent
CORPUS = ROOT / "corpus"
CONF = ROOT.parent / "conf.d"

# A throwaway self-signed test certificate and key (meet.mycloud.ag, *.mycloud.ag), only ever
# uploaded into the admin fuzz target's scratch directory.
TEST_CERT = """-----BEGIN CERTIFICATE-----
MIIBtDCCAVmgAwIBAgIUMC3hi28aPkoLLp8M4EhYo2VOZrowCgYIKoZIzj0EAwIw
GjEYMBYGA1UEAwwPbWVldC5teWNsb3VkLmFnMB4XDTI2MTIwMTIxNTA1MFoXDTM2
MTEyODIxNTA1MFowGjEYMBYGA1UEAwwPbWVldC5teWNsb3VkLmFnMFkwEwYHKoZI
zj0CAQYIKoZIzj0DAQcDQgAEjXWXwkLC0WjEh7X561xCC27HgAsGUhJ1PoxhPArS
YZN2ehP8yXaPt6Emf301Gdp93Cmmzoe9gjedhNsVGimp0qN9MHswHQYDVR0OBBYE
FHn5nOlLK+47e+tJpCtyBtlbJEU+MB8GA1UdIwQYMBaAFHn5nOlLK+47e+tJpCty
BtlbJEU+MA8GA1UdEwEB/wQFMAMBAf8wKAYDVR0RBCEwH4IPbWVldC5teWNsb3Vk
LmFnggwqLm15Y2xvdWQuYWcwCgYIKoZIzj0EAwIDSQAwRgIhAI/oXcmaaVD/ApMU
CuwuZrHeU0VnPq0+nZlYPeN2iWQ5AiEAiH/p5tt7dgMUBi4Pp0mjuCb7ZLs7TKd4
ldIYmg/9Rp4=
-----END CERTIFICATE-----
"""
TEST_KEY = """-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgeNQOn/mnuihKK+AP
jhVvI1F+4quEjFMkMeTF/lsIfxWhRANCAASNdZfCQsLRaMSHtfnrXEILbseACwZS
EnU+jGE8CtJhk3Z6E/zJdo+3oSZ/fTUZ2n3cKabOh72CN52E2xUaKanS
-----END PRIVATE KEY-----
"""

TOKEN = "fuzz-admin-token-0123456789abcdef"  # admin_api_fuzzer.cc


def write(target, name, data):
    directory = CORPUS / target
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_bytes(data.encode("latin-1") if isinstance(data, str) else data)


def request(head, body=""):
    return head.replace("\n", "\r\n") + "\r\n" + body


# --- HTTP/1.1 requests (a client's byte stream; several requests may follow each other) ------
GET_MEET = request("GET /meet/john/ABC123?sl=1 HTTP/1.1\nHost: meet.mycloud.ag\n"
                   "User-Agent: Mozilla/5.0 (Windows NT 10.0)\nAccept: */*\n")
REQUESTS = {
    "get-meet": GET_MEET,
    "get-lyncdiscover": request(
        "GET /autodiscover/autodiscoverservice.svc/root?originalDomain=mycloud.ag HTTP/1.1\n"
        "Host: lyncdiscover.mycloud.ag\n"
        "Accept: application/vnd.microsoft.rtc.autodiscover+xml;v=1\n"
        "X-Ms-Origin: https://lyncdiscover.mycloud.ag\n"),
    "post-webticket-cookie": request(
        "POST /WebTicket/WebTicketService.svc/mex HTTP/1.1\nHost: ws-ext.mycloud.ag\n"
        "Content-Type: application/soap+xml; charset=utf-8\n"
        "Cookie: MS-WSMAN=AAAAAAAAAAAAAAAAAAAAAA; other=1\nContent-Length: 21\n",
        "<s:Envelope></s:Envelope>"[:21]),
    "post-ucwa-chunked": request(
        "POST /ucwa/oauth/v1/applications HTTP/1.1\nHost: ws-ext.mycloud.ag\n"
        "Transfer-Encoding: chunked\nContent-Type: application/json\n",
        "b\r\n{\"UserAgent\r\n6;ext=1\r\n\":\"x\"}\r\n0\r\nX-Trailer: done\r\n\r\n"),
    "pipelined-three": GET_MEET
    + request("POST /dialin/form HTTP/1.1\nHost: dialin.mycloud.ag\nContent-Length: 5\n", "a=b&c")
    + request("PUT /scheduler/x HTTP/1.1\nHost: scheduler.mycloud.ag\nTransfer-Encoding: chunked\n",
              "3\r\nabc\r\n0\r\n\r\n"),
    "absolute-form": request("GET https://meet.mycloud.ag:443/meet/x?y HTTP/1.1\n"
                             "Host: meet.mycloud.ag:443\n"),
    "absolute-form-no-path": request("GET https://meet.mycloud.ag:443?x=1 HTTP/1.1\n"
                                     "Host: meet.mycloud.ag:443\n"),
    "options-star": request("OPTIONS * HTTP/1.1\nHost: ws-ext.mycloud.ag\n"),
    "http10-keep-alive": request("GET /meet/ HTTP/1.0\nConnection: keep-alive\nHost: meet.mycloud.ag\n")
    + request("GET /meet/ HTTP/1.0\n"),
    "expect-continue": request("POST /meet/upload HTTP/1.1\nHost: meet.mycloud.ag\n"
                               "Expect: 100-continue\nContent-Length: 3\n", "abc"),
    "connection-close": request("GET / HTTP/1.1\nHost: a\nConnection: keep-alive, close\n"),
    "connection-names-fields": request("GET / HTTP/1.1\nHost: a\nConnection: x-secret, content-length\n"
                                       "X-Secret: 1\nContent-Length: 0\nX-Forwarded-For: 6.6.6.6\n"),
    "leading-empty-lines": "\r\n\r\n" + GET_MEET,
    "ipv6-host": request("GET / HTTP/1.1\nHost: [2001:db8::1]:8443\n"),
    # Each known-bad form.
    "bad-cl-te": request("POST / HTTP/1.1\nHost: a\nContent-Length: 4\nTransfer-Encoding: chunked\n",
                         "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n"),
    "bad-te-cl": request("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\nContent-Length: 3\n",
                         "8\r\nSMUGGLED\r\n0\r\n\r\n"),
    "bad-te-te": request("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n"
                         "Transfer-Encoding: identity\n", "0\r\n\r\n"),
    "bad-te-space-colon": request("POST / HTTP/1.1\nHost: a\nTransfer-Encoding : chunked\n"),
    "bad-te-xchunked": request("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: xchunked\n"),
    "bad-te-list": request("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: gzip, chunked\n"),
    "bad-te-http10": request("POST / HTTP/1.0\nTransfer-Encoding: chunked\n", "0\r\n\r\n"),
    "bad-cl-duplicate": request("POST / HTTP/1.1\nHost: a\nContent-Length: 5\nContent-Length: 5\n"),
    "bad-cl-list": request("POST / HTTP/1.1\nHost: a\nContent-Length: 5, 5\n"),
    "bad-cl-signed": request("POST / HTTP/1.1\nHost: a\nContent-Length: +5\n"),
    "bad-cl-negative": request("POST / HTTP/1.1\nHost: a\nContent-Length: -1\n"),
    "bad-cl-huge": request("POST / HTTP/1.1\nHost: a\nContent-Length: 99999999999999999999\n"),
    "bad-chunk-overflow": request("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n",
                                  "10000000000000001\r\nx\r\n0\r\n\r\n"),
    "bad-chunk-bare-lf": request("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n",
                                 "3\nabc\r\n0\r\n\r\n"),
    "bad-bare-lf-head": "GET / HTTP/1.1\nHost: a\n\n",
    "bad-obs-fold": request("GET / HTTP/1.1\nHost: a\nX-A: 1\n  folded\n"),
    "bad-nul-value": request("GET / HTTP/1.1\nHost: a\nX-A: a\x00b\n"),
    "bad-missing-host": request("GET / HTTP/1.1\nAccept: */*\n"),
    "bad-two-hosts": request("GET / HTTP/1.1\nHost: a\nHost: b\n"),
    "bad-host-chars": request("GET / HTTP/1.1\nHost: a b@c\n"),
    "bad-double-space": request("GET  / HTTP/1.1\nHost: a\n"),
    "bad-version": request("GET / HTTP/2.0\nHost: a\n"),
    "bad-connect": request("CONNECT meet.mycloud.ag:443 HTTP/1.1\nHost: meet.mycloud.ag:443\n"),
    "bad-fragment": request("GET /a#b HTTP/1.1\nHost: a\n"),
    "bad-after-good": GET_MEET + "GET / HTTP/1.1\nHost: a\n\n" + GET_MEET,
    "encoded-traversal": request("GET /meet/%2e%2e/%2e%2e/windows/win.ini HTTP/1.1\nHost: meet.mycloud.ag\n"),
    "backslash-traversal": request("GET /meet/..%5c..%5cadmin HTTP/1.1\nHost: meet.mycloud.ag\n"),
    "overlong-utf8": request("GET /meet/%c0%ae%c0%ae/x HTTP/1.1\nHost: meet.mycloud.ag\n"),
    "many-headers": request("GET / HTTP/1.1\nHost: a\n" + "".join(f"X-{i}: {i}\n" for i in range(30))),
    "long-target": request("GET /" + "a" * 600 + " HTTP/1.1\nHost: a\n"),
}
for name, data in REQUESTS.items():
    write("http1_request", name, data)

# --- HTTP/1.x responses (a real server's byte stream) ------------------------------------------
def response(head, body=""):
    return head.replace("\n", "\r\n") + "\r\n" + body

RESPONSES = {
    "ok-length": response("HTTP/1.1 200 OK\nContent-Type: text/html\nContent-Length: 5\n"
                          "Server: Microsoft-IIS/8.5\nX-MS-Server-Fqdn: fe1.mycloud.local\n", "hello"),
    "ok-chunked-trailers": response("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n",
                                    "5\r\nhello\r\n0\r\nX-Checksum: 1\r\n\r\n"),
    "no-content": response("HTTP/1.1 204 No Content\nContent-Length: 7\n"),
    "not-modified": response("HTTP/1.1 304 Not Modified\nETag: \"1\"\n"),
    "continue-then-ok": response("HTTP/1.1 100 Continue\n") + response("HTTP/1.1 200 OK\nContent-Length: 2\n", "ok"),
    "switching": response("HTTP/1.1 101 Switching Protocols\nUpgrade: websocket\nConnection: upgrade\n"),
    "http10-until-close": response("HTTP/1.0 200 OK\nContent-Type: text/plain\n", "until the end"),
    "close": response("HTTP/1.1 200 OK\nConnection: close\nContent-Length: 2\n", "ok"),
    "keep-alive-pair": response("HTTP/1.1 200 OK\nContent-Length: 1\n", "a")
    + response("HTTP/1.1 404 Not Found\nContent-Length: 0\n"),
    "set-cookie": response("HTTP/1.1 200 OK\nSet-Cookie: MS-WSMAN=abc; Path=/\nContent-Length: 0\n"),
    "connection-names-fields": response("HTTP/1.1 200 OK\nConnection: x-internal\nX-Internal: 1\n"
                                        "Keep-Alive: timeout=5\nContent-Length: 0\n"),
    "no-reason": response("HTTP/1.1 200\nContent-Length: 0\n"),
    "bad-cl-te": response("HTTP/1.1 200 OK\nContent-Length: 3\nTransfer-Encoding: chunked\n"),
    "bad-cl-duplicate": response("HTTP/1.1 200 OK\nContent-Length: 3\nContent-Length: 4\n"),
    "bad-status": response("HTTP/1.1 20 OK\n"),
    "bad-status-space": response("HTTP/1.1 200OK\n"),
    "bad-version": response("HTTP/2 200 OK\n"),
    "bad-bare-lf": "HTTP/1.1 200 OK\nContent-Length: 0\n\n",
    "bad-obs-fold": response("HTTP/1.1 200 OK\nX-A: 1\n folded\n"),
    "bad-chunk": response("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n", "zz\r\n"),
}
for name, data in RESPONSES.items():
    write("http1_response", name, data)

# --- chunked bodies ------------------------------------------------------------------------------
CHUNKED = {
    "simple": "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
    "extensions": "5;name=value\r\nhello\r\n3 ; a = \"q\\\"s\" ; b\r\nabc\r\n0;last\r\n\r\n",
    "trailers": "1\r\nx\r\n0\r\nX-A: 1\r\nX-B:  two \r\n\r\n",
    "upper-hex-leading-zeros": "000A\r\n0123456789\r\n0\r\n\r\n",
    "then-next-request": "0\r\n\r\nGET / HTTP/1.1\r\n",
    "bad-size": "g\r\n",
    "bad-overflow": "ffffffffffffffffff\r\nx\r\n",
    "bad-size-2-63": "8000000000000000\r\n",
    "bad-bare-lf": "3\nabc\r\n0\r\n\r\n",
    "bad-missing-crlf": "3\r\nabcd\r\n",
    "bad-extension": "3;=x\r\nabc\r\n",
    "bad-trailer-fold": "0\r\nX-A: 1\r\n  fold\r\n\r\n",
    "long-line": "1;" + "a" * 140 + "\r\nx\r\n0\r\n\r\n",
}
for name, data in CHUNKED.items():
    write("chunked_decoder", name, data)

# --- paths ---------------------------------------------------------------------------------------
PATHS = [
    "/", "/meet/john/ABC123", "/dialin/", "/scheduler/", "/abs/handler/", "/ucwa/oauth/v1/applications",
    "/WebTicket/WebTicketService.svc/mex", "/autodiscover/autodiscoverservice.svc/root",
    "/CertProv/CertProvisioningService.svc", "/GroupExpansion/service.svc", "/RgsClients/Tabs.aspx",
    "/reach/sip.svc", "/mcx/mcxservice.svc", "/%7Euser/caf%C3%A9/%E2%82%AC", "//a//b/./c/../d/",
    "/meet/../admin", "/meet/%2e%2e/admin", "/meet/.%2e/x", "/a/%252e%252e/", "/a/%c0%ae%c0%ae/",
    "/a\\b", "/a/%5c", "/a/%2f", "/a/%00", "/a/%zz", "/a/%e0%80%af", "/a/%ed%a0%80", "/a/%f4%90%80%80",
    "/../x", "/a/b/c/../../..", "/A%3Fb%23c",
]
for i, path in enumerate(PATHS):
    write("path_normalizer", f"path-{i:02d}", path)

# --- directory patterns: a flags byte (bit 0: case-sensitive), patterns, then the path ------------
DIRECTORIES = {
    "any": "\x00/*\n/meet/x",
    "lync-list": "\x00/meet/*\n/dialin/*\n/scheduler/*\n/Meet/ABC",
    "case-sensitive": "\x01/meet/*\n/Meet/abc",
    "prefix-star": "\x00/owa*\n/owa/auth/logon.aspx",
    "middle-star": "\x00/*/x/*\n/a/x/b",
    "no-match": "\x00/meet/*\n/dialin/x",
    "stars": "\x00/a*b*c*d\n/aXbYcZd",
}
for name, data in DIRECTORIES.items():
    write("directory_matcher", name, data)

# --- hosts: the Host value, then allowed-host patterns -------------------------------------------
HOSTS = {
    "exact": "meet.mycloud.ag\nmeet.mycloud.ag",
    "case-port-dot": "MEET.MyCloud.AG.:443\nmeet.mycloud.ag",
    "wildcard": "dialin.mycloud.ag\n*.mycloud.ag",
    "wildcard-two-labels": "a.b.mycloud.ag\n*.mycloud.ag",
    "wildcard-bare": "mycloud.ag\n*.mycloud.ag",
    "ipv6": "[::1]:8443\n::1",
    "ipv4": "10.154.11.5\n10.154.11.5",
    "lync-list": "lyncdiscover.mycloud.ag\nws-ext.mycloud.ag\nmeet.mycloud.ag\n*.mycloud.ag",
    "bad-port": "meet.mycloud.ag:0\nmeet.mycloud.ag",
}
for name, data in HOSTS.items():
    write("host_matcher", name, data)

# --- cookies: request header lines; the pool's servers' cookie values (all-zero key) --------------
def cookie_value(service, pool, address_port):
    message = f"{service}\0{pool}\0{address_port}".encode()
    mac = hmac.new(bytes(32), message, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")

FE1 = cookie_value("lync", "fe", "10.154.201.2:4443")
FE3 = cookie_value("lync", "fe", "10.154.201.4:4443")  # the disabled server
COOKIES = {
    "valid": f"Cookie: MS-WSMAN={FE1}",
    "valid-among-others": f"Cookie: ASP.NET_SessionId=abc; MS-WSMAN={FE1}; x=y",
    "quoted": f"Cookie: MS-WSMAN=\"{FE1}\"",
    "disabled-server": f"Cookie: MS-WSMAN={FE3}",
    "split-fields": f"Cookie: a=1\nAccept: */*\ncookie: MS-WSMAN = {FE1} ",
    "forged": "Cookie: MS-WSMAN=AAAAAAAAAAAAAAAAAAAAAA",
    "empty-value": "Cookie: MS-WSMAN=; MS-WSMAN=" + FE1,
    "wrong-case-name": f"Cookie: ms-wsman={FE1}",
    "no-cookie": "Accept: */*",
}
for name, data in COOKIES.items():
    write("cookie_persistence", name, data)

# --- configurations: the shipped ones, a directory split, invalid ones ----------------------------
for path in [CONF / "demo.json", *sorted((CONF / "examples").glob("*.json"))]:
    write("config_loader", "conf-" + path.stem, path.read_text())
demo = json.loads((CONF / "demo.json").read_text())
parts = [{key: demo[key]} for key in demo]
write("config_loader", "directory-of-demo", "\n---\n".join(json.dumps(p, indent=1) for p in parts))
MINIMAL = {"virtual_services": {"web": {"listen": "127.0.0.1:8080", "pools": {"fe": {
    "reencrypt": {"enabled": False}, "real_servers": [{"address": "10.0.0.2", "port": 80}]}}}}}
write("config_loader", "minimal", json.dumps(MINIMAL))
ROUTED = {"virtual_services": {"web": {"listen": "[::]:8080", "default_pool": "a",
    "esp": {"enabled": True, "allowed_hosts": ["*.mycloud.ag"], "allowed_directories": ["/meet/*"]},
    "routes": [{"hosts": ["dialin.mycloud.ag"], "paths": ["/dialin/.*"], "headers": {"X-A": "b+"}, "pool": "b"}],
    "pools": {"a": {"reencrypt": {"enabled": False}, "scheduling": "weighted_round_robin",
                    "persistence": {"mode": "active_cookie_or_source_ip", "ipv4_prefix": 24},
                    "real_servers": [{"address": "10.0.0.2", "port": 80, "weight": 3},
                                     {"address": "10.0.0.3", "port": 80, "weight": 1, "drain": True}]},
              "b": {"reencrypt": {"enabled": False}, "real_servers": [{"address": "::1", "port": 81}]}}}}}
write("config_loader", "routed", json.dumps(ROUTED))
write("config_loader", "bad-duplicate-key", '{"workers": 1, "workers": 2}')
write("config_loader", "bad-types", '{"workers": "two", "virtual_services": {"x": {"listen": 5}}}')
write("config_loader", "bad-unknown-key", '{"virtual_services": {}, "wokrers": 1}')
write("config_loader", "bad-references", json.dumps({"virtual_services": {"web": {
    "listen": "127.0.0.1:70000", "tls": {"certificates": ["nope"]}, "default_pool": "missing",
    "pools": {"fe": {"reencrypt": {"trust": "nope"}, "real_servers": [{"address": "x", "port": 0}]}}}}}))
write("config_loader", "bad-syntax", '{"virtual_services": {')
write("config_loader", "directory-duplicate-entity",
      json.dumps(MINIMAL) + "\n---\n" + json.dumps(MINIMAL))

# --- admin API: what a client sends on one connection ---------------------------------------------
def admin(method, path, body=None, token=TOKEN, content_type="application/json", extra=""):
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:9000\r\n"
    if token is not None:
        head += f"Authorization: Bearer {token}\r\n"
    head += extra
    if body is not None:
        data = body if isinstance(body, str) else json.dumps(body)
        head += f"Content-Type: {content_type}\r\nContent-Length: {len(data.encode())}\r\n"
        return head + "\r\n" + data
    return head + "\r\n"

SERVICE = {"name": "web2", "listen": "127.0.0.1:18100", "pools": {"fe": {
    "reencrypt": {"enabled": False}, "real_servers": [{"address": "127.0.0.1", "port": 18101}]}}}
ADMIN = {
    "get-config": admin("GET", "/api/v1/config"),
    "get-status-metrics": admin("GET", "/api/v1/status") + admin("GET", "/metrics"),
    "get-service-pools-servers": admin("GET", "/api/v1/virtual-services/web")
    + admin("GET", "/api/v1/virtual-services/web/pools/fe/real-servers")
    + admin("GET", "/api/v1/virtual-services/web/pools/fe/real-servers/%5B%3A%3A1%5D:18082"),
    "create-service": admin("POST", "/api/v1/virtual-services", SERVICE),
    "patch-service": admin("PATCH", "/api/v1/virtual-services/web",
                           {"esp": {"allowed_directories": ["/meet/*", "/abs/*"]}},
                           content_type="application/merge-patch+json"),
    "put-pool": admin("PUT", "/api/v1/virtual-services/web/pools/dialin",
                      {"reencrypt": {"enabled": False}, "real_servers": [{"address": "127.0.0.1", "port": 18084}]}),
    "add-drain-delete-server": admin("POST", "/api/v1/virtual-services/web/pools/fe/real-servers",
                                     {"address": "127.0.0.5", "port": 18085})
    + admin("PATCH", "/api/v1/virtual-services/web/pools/fe/real-servers/127.0.0.5:18085", {"drain": True},
            content_type="application/merge-patch+json")
    + admin("DELETE", "/api/v1/virtual-services/web/pools/fe/real-servers/127.0.0.5:18085"),
    "delete-service": admin("DELETE", "/api/v1/virtual-services/redirect"),
    "validate-config": admin("POST", "/api/v1/config/validate", MINIMAL),
    "put-config-if-match": admin("PUT", "/api/v1/config", MINIMAL, extra="If-Match: \"0000000000000000\"\r\n"),
    "upload-certificate-then-tls": admin("POST", "/api/v1/certificates",
                                         {"name": "meet", "cert": TEST_CERT, "key": TEST_KEY})
    + admin("GET", "/api/v1/certificates/meet")
    + admin("PATCH", "/api/v1/virtual-services/web", {"tls": {"certificates": ["meet"]}},
            content_type="application/merge-patch+json")
    + admin("DELETE", "/api/v1/certificates/meet"),
    "upload-pkcs12-garbage": admin("POST", "/api/v1/certificates",
                                   {"name": "p12", "pkcs12": base64.b64encode(b"not pkcs12").decode(),
                                    "password": "x"}),
    "csr": admin("POST", "/api/v1/certificates/meet2/csr",
                 {"subject": "CN=meet.mycloud.ag,O=MyCloud", "sans": ["meet.mycloud.ag"], "key_type": "ecdsa"})
    + admin("GET", "/api/v1/certificates"),
    "bad-token": admin("GET", "/api/v1/config", token="wrong-token-0123456789"),
    "no-token": admin("GET", "/api/v1/config", token=None),
    "bad-chunked": "POST /api/v1/config/validate HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "bad-too-large": "POST /api/v1/config/validate HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999\r\n\r\n",
    "bad-json": admin("POST", "/api/v1/virtual-services", '{"name": '),
    "bad-media-type": admin("POST", "/api/v1/virtual-services", SERVICE, content_type="text/plain"),
    "bad-method": admin("DELETE", "/api/v1/config"),
    "bad-escape": admin("GET", "/api/v1/virtual-services/%zz"),
    "close": admin("GET", "/api/v1/status", extra="Connection: close\r\n") + admin("GET", "/metrics"),
    # Bodies of the wrong shape: each must get a 4xx with a JSON error.
    "shape-arrays": admin("PUT", "/api/v1/config", [1])
    + admin("POST", "/api/v1/virtual-services/web/pools", [1])
    + admin("POST", "/api/v1/virtual-services/web/pools/fe/real-servers", [1, 2])
    + admin("PUT", "/api/v1/virtual-services/web/pools/fe/real-servers/127.0.0.1:18081", [1])
    + admin("PATCH", "/api/v1/virtual-services/web", [1], content_type="application/merge-patch+json"),
    "shape-names": admin("PUT", "/api/v1/virtual-services/%2e%2e", {"listen": "127.0.0.1:1"})
    + admin("GET", "/api/v1/virtual-services/nope/pools/x/real-servers/1.2.3.4:5"),
    "shape-csr": admin("POST", "/api/v1/certificates/x/csr", {"subject": "CN=a,=b", "sans": ["a,DNS:b,IP:zz"]})
    + admin("POST", "/api/v1/certificates/x/csr", {"subject": "CN=" + "a" * 100})
    + admin("POST", "/api/v1/certificates", {"name": "x", "cert": "junk"}),
}
for name, data in ADMIN.items():
    write("admin_api", name, data)
