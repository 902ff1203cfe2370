"""End-to-end, differential: request smuggling. espd sits in front of a recording real server
that splits what it receives into requests the way a LENIENT server would (tests/support/
recording_server.py). The ESP policy allows only /ok/*; every attack hides a request for
/admin/smuggled. For each known form (CL.TE, TE.CL, TE.TE obfuscations, signed or repeated
Content-Length, chunk extensions and size overflow, bare LF, obs-fold, NUL/CR, absolute-form vs
Host, HTTP/1.0 keep-alive tricks, pipelining after an error) the client gets the answers espd
means to give (400 and a close for every ambiguous form), and the real server never sees a
request espd did not check: its complete requests are exactly the ones espd forwarded, no head it
saw was refused by espd, and a probe after each case finds the pooled connection in sync.

Decisions (RFC 9110/9112), also in docs/SECURITY.md:
- Content-Length "05" is 1*DIGIT: valid, means 5 (never octal), forwarded as "5". "+5", "-1",
  "5, 5" (even equal values), two fields, "0x5", more than 19 digits: 400.
- Transfer-Encoding must be exactly one "chunked" (any case, OWS around it, tab included):
  "xchunked", "chunked, identity", "identity, chunked", a quoted value, two fields, with
  Content-Length, or in HTTP/1.0: 400. "Transfer_Encoding"/"Content_Length" (the same server
  variable to IIS or CGI): 400.
- Chunk extensions are parsed (RFC 9112 7.1.1) and dropped: the real server always sees
  canonical chunked framing. A chunk size above 2^63-1 or of more than 16 hex digits: 400.
- Absolute-form: its authority must be the Host, and the path inside it is what ESP checks.
"""

from tests.support.clients import HttpClient

HOST = "meet.mycloud.ag"
SMUGGLED = b"GET /admin/smuggled HTTP/1.1\r\nHost: " + HOST.encode() + b"\r\n\r\n"


def post(target, *fields, body=b"", version=b"HTTP/1.1"):
    head = b"POST " + target + b" " + version + b"\r\nHost: " + HOST.encode() + b"\r\n"
    return head + b"".join(f + b"\r\n" for f in fields) + b"\r\n" + body


def get(target, *fields, version=b"HTTP/1.1", host=HOST.encode()):
    head = b"GET " + target + b" " + version + b"\r\n"
    if host is not None:
        head += b"Host: " + host + b"\r\n"
    return head + b"".join(f + b"\r\n" for f in fields) + b"\r\n"


class Case:
    """What a client sends on one connection, the statuses espd answers, the targets the real
    server must receive complete, and those whose head may reach it before espd refuses the body
    (the request then ends there: espd closes that real-server connection mid-body)."""

    def __init__(self, name, raw, statuses=(400,), forwarded=(), aborted=(), closed=True):
        self.name = name
        self.raw = raw
        self.statuses = list(statuses)
        self.forwarded = list(forwarded)
        self.aborted = list(aborted)
        self.closed = closed

    def __repr__(self):
        return self.name


def run_cases(proxy, pki, cases):
    espd, server, port = proxy
    expected_complete, expected_aborted = [], set()
    for number, case in enumerate(cases):
        with HttpClient("127.0.0.1", port, server_hostname=HOST, cafile=pki / "root-ca.pem") as c:
            c.send_raw(case.raw)
            statuses = [c.read_response().status for _ in case.statuses]
            assert statuses == case.statuses, case
            if case.closed:
                assert c.closed(), "%s: espd did not close the connection" % case
        # A probe on a fresh client connection (the same real-server connection, when it was
        # kept): it must come back as itself, not as the answer to a smuggled request.
        probe = "/ok/probe-%d" % number
        with HttpClient("127.0.0.1", port, server_hostname=HOST, cafile=pki / "root-ca.pem") as c:
            response = c.request("GET", probe, host=HOST)
            assert (response.status, response.header("X-Seen")) == (200, probe), case
        expected_complete += case.forwarded + [probe]
        expected_aborted.update(case.aborted)

    # Every connection to the real server ends when espd stops: what it saw is then final.
    assert espd.terminate() == 0
    assert server.wait_idle()
    seen = server.requests()
    print("request boundaries seen by the real server:\n" + server.boundaries())
    assert not [r for r in seen if "admin" in r.target], server.boundaries()
    assert [r.target for r in seen if r.complete] == expected_complete, server.boundaries()
    assert {r.target for r in seen if not r.complete} <= expected_aborted, server.boundaries()
    return server


def test_content_length_and_transfer_encoding_together(smuggling_proxy, pki):
    chunked_smuggle = b"0\r\n\r\n" + SMUGGLED
    run_cases(smuggling_proxy, pki, [
        Case("CL.TE", post(b"/ok/a", b"Content-Length: %d" % len(chunked_smuggle),
                           b"Transfer-Encoding: chunked", body=chunked_smuggle)),
        Case("TE.CL", post(b"/ok/a", b"Transfer-Encoding: chunked", b"Content-Length: 4",
                           body=b"%x\r\n" % len(SMUGGLED) + SMUGGLED + b"\r\n0\r\n\r\n")),
        Case("CL.TE with TE in HTTP/1.0", post(b"/ok/a", b"Transfer-Encoding: chunked",
                                                body=chunked_smuggle, version=b"HTTP/1.0")),
    ])


def test_transfer_encoding_obfuscations(smuggling_proxy, pki):
    smuggle = b"0\r\n\r\n" + SMUGGLED
    cl = b"Content-Length: %d" % len(smuggle)
    refused = [
        ("xchunked", b"Transfer-Encoding: xchunked"),
        ("chunked, identity", b"Transfer-Encoding: chunked, identity"),
        ("identity, chunked", b"Transfer-Encoding: identity, chunked"),
        ("gzip, chunked", b"Transfer-Encoding: gzip, chunked"),
        ("quoted", b'Transfer-Encoding: "chunked"'),
        ("space before colon", b"Transfer-Encoding : chunked"),
        ("tab before colon", b"Transfer-Encoding\t: chunked"),
        ("vertical tab", b"Transfer-Encoding:\x0bchunked"),
        ("duplicated", b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked"),
        ("chunked then identity", b"Transfer-Encoding: chunked\r\nTransfer-Encoding: identity"),
        ("underscore", b"Transfer_Encoding: chunked"),
        ("folded", b"X-Pad: x\r\n Transfer-Encoding: chunked"),
        ("leading space", b" Transfer-Encoding: chunked"),
        ("tab then CL", b"Transfer-Encoding:\tchunked"),
        ("uppercase then CL", b"TRANSFER-ENCODING: CHUNKED"),
    ]
    cases = [Case("TE.TE " + name, post(b"/ok/a", field, cl, body=smuggle)) for name, field in refused]
    # Valid spellings of chunked, alone: accepted, and the real server sees canonical framing.
    # What follows the last chunk is a pipelined request that espd itself checks (403).
    cases += [
        Case("TE tab alone", post(b"/ok/te-tab", b"Transfer-Encoding:\tchunked",
                                  body=b"5\r\nhello\r\n0\r\n\r\n" + SMUGGLED),
             statuses=(200, 403), forwarded=["/ok/te-tab"], closed=False),
        Case("TE uppercase alone", post(b"/ok/te-upper", b"TRANSFER-ENCODING: CHUNKED",
                                        body=b"5\r\nhello\r\n0\r\n\r\n" + SMUGGLED),
             statuses=(200, 403), forwarded=["/ok/te-upper"], closed=False),
    ]
    server = run_cases(smuggling_proxy, pki, cases)
    heads = b"".join(r.head for r in server.requests() if r.target.startswith("/ok/te-"))
    assert heads.count(b"\r\nTransfer-Encoding: chunked\r\n") == 2
    assert b"CHUNKED" not in heads and b"\t" not in heads


def test_content_length_forms(smuggling_proxy, pki):
    body = SMUGGLED
    refused = [b"+%d", b"-1", b"%d, %d", b"%d,%d", b"0x%x", b"%d 0", b"99999999999999999999", b"%d.0", b""]
    cases = []
    for form in refused:
        value = form.replace(b"%d", str(len(body)).encode()) if b"%d" in form else form
        value = value.replace(b"%x", b"%x" % len(body))
        cases.append(Case("Content-Length: %r" % value, post(b"/ok/a", b"Content-Length: " + value, body=body)))
    cases += [
        Case("two equal Content-Length", post(b"/ok/a", b"Content-Length: 4", b"Content-Length: 4", body=body)),
        Case("two different Content-Length", post(b"/ok/a", b"Content-Length: 0",
                                                  b"Content-Length: %d" % len(body), body=body)),
        Case("Content_Length lookalike", post(b"/ok/a", b"Content_Length: %d" % len(body), body=body)),
        Case("Content-Length with NUL", post(b"/ok/a", b"Content-Length: 4\x00", body=body)),
        # Valid: leading zeros (decimal), and a body that merely contains a request.
        Case("Content-Length: 05", post(b"/ok/cl-05", b"Content-Length: 05", body=b"hello") + get(b"/ok/after"),
             statuses=(200, 200), forwarded=["/ok/cl-05", "/ok/after"], closed=False),
        Case("request inside a body", post(b"/ok/cl-body", b"Content-Length: %d" % len(body), body=body),
             statuses=(200,), forwarded=["/ok/cl-body"], closed=False),
    ]
    server = run_cases(smuggling_proxy, pki, cases)
    (cl05,) = [r for r in server.requests() if r.target == "/ok/cl-05"]
    assert b"\r\nContent-Length: 5\r\n" in cl05.head and b"Content-Length: 05" not in cl05.head


def test_chunk_extensions_and_size_overflow(smuggling_proxy, pki):
    def chunked(target, body):
        return post(target, b"Transfer-Encoding: chunked", body=body)

    cases = [
        # Extensions are valid and dropped; trailers are dropped.
        Case("chunk extensions", chunked(b"/ok/ext", b'5;name=value;q="a b"\r\nhello\r\n0;last\r\nX-T: 1\r\n\r\n'),
             statuses=(200,), forwarded=["/ok/ext"], closed=False),
        # The head reaches the real server before the bad chunk line arrives: that request is then
        # cut (espd closes the real-server connection), never completed, never followed.
        Case("size of 17 hex digits", chunked(b"/ok/big", b"10000000000000005\r\nhello\r\n0\r\n\r\n" + SMUGGLED),
             aborted=["/ok/big"]),
        Case("size above 2^63-1", chunked(b"/ok/big2", b"8000000000000000\r\nhello\r\n0\r\n\r\n"),
             aborted=["/ok/big2"]),
        Case("size in 0x form", chunked(b"/ok/hex", b"0x5\r\nhello\r\n0\r\n\r\n"), aborted=["/ok/hex"]),
        Case("negative size", chunked(b"/ok/neg", b"-5\r\nhello\r\n0\r\n\r\n"), aborted=["/ok/neg"]),
        Case("space before size", chunked(b"/ok/sp", b" 5\r\nhello\r\n0\r\n\r\n"), aborted=["/ok/sp"]),
        Case("bare LF in extension", chunked(b"/ok/extlf", b'5;a="x\ny"\r\nhello\r\n0\r\n\r\n'),
             aborted=["/ok/extlf"]),
        Case("data longer than its size", chunked(b"/ok/long", b"3\r\nhello\r\n0\r\n\r\n" + SMUGGLED),
             aborted=["/ok/long"]),
        Case("bare LF after data", chunked(b"/ok/lf", b"5\r\nhello\n0\r\n\r\n" + SMUGGLED), aborted=["/ok/lf"]),
        Case("request line as trailer", chunked(b"/ok/trailer", b"0\r\n" + SMUGGLED), aborted=["/ok/trailer"]),
    ]
    server = run_cases(smuggling_proxy, pki, cases)
    (ext,) = [r for r in server.requests() if r.target == "/ok/ext"]
    stream = server.raw_bytes()[ext.conn][ext.start:ext.end]
    assert stream.endswith(b"\r\n\r\n5\r\nhello\r\n0\r\n\r\n"), stream


def test_line_endings_folding_and_control_characters(smuggling_proxy, pki):
    run_cases(smuggling_proxy, pki, [
        Case("bare LF line ends", b"GET /ok/a HTTP/1.1\nHost: " + HOST.encode() + b"\n\n" + SMUGGLED),
        Case("bare LF hides a request", get(b"/ok/a", b"X-A: a\nGET /admin/smuggled HTTP/1.1")),
        Case("CR hides a request", get(b"/ok/a", b"X-A: a\rGET /admin/smuggled HTTP/1.1")),
        Case("CR CR LF", get(b"/ok/a", b"X-A: a\r")),
        Case("obs-fold", get(b"/ok/a", b"X-A: a", b" b")),
        Case("obs-fold with tab", get(b"/ok/a", b"X-A: a", b"\tb")),
        Case("NUL in a value", get(b"/ok/a", b"X-A: a\x00b")),
        Case("NUL in Host", get(b"/ok/a", host=HOST.encode() + b"\x00.evil.example")),
        Case("NUL in the target", get(b"/ok/a\x00/../../admin/smuggled")),
        Case("NUL in the method", b"G\x00ET /ok/a HTTP/1.1\r\nHost: " + HOST.encode() + b"\r\n\r\n"),
        Case("two spaces in the request line", get(b" /ok/a")),
        Case("tab in the request line", b"GET /ok/a\tHTTP/1.1\r\nHost: " + HOST.encode() + b"\r\n\r\n"),
        Case("empty field name", get(b"/ok/a", b": x")),
        Case("two Host fields", get(b"/ok/a", b"Host: evil.example")),
    ])


def test_absolute_form_against_host(smuggling_proxy, pki):
    run_cases(smuggling_proxy, pki, [
        Case("authority differs from Host", get(b"http://evil.example/ok/a")),
        Case("userinfo in the authority", get(b"http://" + HOST.encode() + b"@evil.example/ok/a")),
        # The path inside an absolute-form target is what ESP checks.
        Case("absolute path not allowed", get(b"https://" + HOST.encode() + b"/admin/smuggled"),
             statuses=(403,), closed=False),
        Case("absolute path allowed", get(b"https://" + HOST.encode() + b"/ok/abs?q=1"),
             statuses=(200,), forwarded=["/ok/abs?q=1"], closed=False),
    ])


def test_http10_keep_alive_tricks(smuggling_proxy, pki):
    run_cases(smuggling_proxy, pki, [
        # espd closes an HTTP/1.0 connection after its first response, keep-alive or not (it does
        # not offer 1.0 keep-alive): what follows is never read, whatever it looks like.
        Case("1.0 closes", get(b"/ok/h10", version=b"HTTP/1.0") + SMUGGLED, statuses=(200,),
             forwarded=["/ok/h10"]),
        Case("1.0 keep-alive", get(b"/ok/h10ka", b"Connection: keep-alive", version=b"HTTP/1.0")
             + get(b"/ok/h10ka2", version=b"HTTP/1.0") + SMUGGLED,
             statuses=(200,), forwarded=["/ok/h10ka"]),
        Case("1.0 keep-alive with a body", post(b"/ok/h10body", b"Connection: keep-alive",
                                                b"Content-Length: %d" % len(SMUGGLED), body=SMUGGLED,
                                                version=b"HTTP/1.0") + get(b"/ok/h10never"),
             statuses=(200,), forwarded=["/ok/h10body"]),
        Case("1.0 without Host", get(b"/ok/h10", version=b"HTTP/1.0", host=None)),
        Case("Proxy-Connection keep-alive on 1.0", get(b"/ok/h10pc", b"Proxy-Connection: keep-alive",
                                                       version=b"HTTP/1.0") + SMUGGLED,
             statuses=(200,), forwarded=["/ok/h10pc"]),
    ])


def test_pipelined_requests_after_an_error(smuggling_proxy, pki):
    run_cases(smuggling_proxy, pki, [
        Case("after a parse error", get(b"/ok/p1") + post(b"/ok/p2", b"Content-Length: +1") + SMUGGLED,
             statuses=(200, 400), forwarded=["/ok/p1"]),
        Case("after a bad chunk", get(b"/ok/p3") + post(b"/ok/p4", b"Transfer-Encoding: chunked",
                                                        body=b"zz\r\n") + SMUGGLED,
             statuses=(200, 400), forwarded=["/ok/p3"], aborted=["/ok/p4"]),
        # An ESP refusal of a request without a body keeps the connection in step...
        Case("after an ESP refusal", get(b"/admin/x") + get(b"/ok/p5"), statuses=(403, 200),
             forwarded=["/ok/p5"], closed=False),
        # ...but one with an unread body closes it: the body is never parsed as requests.
        Case("after an ESP refusal with a body", post(b"/admin/x", b"Content-Length: %d" % len(SMUGGLED),
                                                      body=SMUGGLED) + get(b"/ok/never"),
             statuses=(403,)),
    ])


def test_hop_by_hop_upgrade_and_forwarding_lookalikes_do_not_reach_the_server(smuggling_proxy, pki):
    server = run_cases(smuggling_proxy, pki, [
        Case("h2c upgrade", get(b"/ok/h2c", b"Upgrade: h2c", b"HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA",
                                b"Connection: Upgrade, HTTP2-Settings"),
             statuses=(200,), forwarded=["/ok/h2c"], closed=False),
        Case("websocket upgrade", get(b"/ok/ws", b"Upgrade: websocket", b"Connection: Upgrade"),
             statuses=(200,), forwarded=["/ok/ws"], closed=False),
        Case("X_Forwarded_For", get(b"/ok/xff", b"X_Forwarded_For: 6.6.6.6", b"X-Forwarded-For: 7.7.7.7"),
             statuses=(200,), forwarded=["/ok/xff"], closed=False),
    ])
    heads = b"".join(r.head for r in server.requests() if r.target in ("/ok/h2c", "/ok/ws", "/ok/xff"))
    for banned in (b"Upgrade", b"HTTP2-Settings", b"6.6.6.6", b"7.7.7.7", b"X_Forwarded"):
        assert banned not in heads, banned
    assert heads.count(b"X-Forwarded-For: 127.0.0.1\r\n") == 3
