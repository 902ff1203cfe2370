"""End-to-end, differential: request smuggling through the HTTP/2 to HTTP/1.1 translation. The
client speaks raw HTTP/2 frames (tests/support/h2_client.RawH2: bytes no client library would
send) to espd, which forwards HTTP/1.1 to the lenient recording real server of test_smuggling.py.
Every attack hides a request for /admin/smuggled in a field value, a pseudo-header or the body.
For each, espd refuses the stream (RST_STREAM, a 4xx, or a GOAWAY) or forwards exactly one
request with canonical framing; the real server never sees a request espd did not check, and a
probe after each case finds the pooled real-server connection in sync."""

from hyperframe.frame import DataFrame, HeadersFrame

from tests.support.h2_client import H2Client, RawH2

HOST = "meet.mycloud.ag"
SMUGGLED = b"GET /admin/smuggled HTTP/1.1\r\nHost: " + HOST.encode() + b"\r\n\r\n"
REFUSED = "refused"  # RST_STREAM, GOAWAY or a 4xx answer: the stream never became a request


def fields(path=b"/ok/a", method=b"POST", extra=(), authority=HOST.encode()):
    return [(b":method", method), (b":scheme", b"https"), (b":authority", authority),
            (b":path", path)] + list(extra)


class Case:
    """One stream: its header fields and body, what espd must answer (a status or REFUSED), and
    the target the real server must receive complete (None: nothing)."""

    def __init__(self, name, header_fields, body=None, outcome=REFUSED, forwarded=None):
        self.name = name
        self.fields = header_fields
        self.body = body
        self.outcome = outcome
        self.forwarded = forwarded

    def __repr__(self):
        return self.name


def send_case(raw, case):
    """Sends the case on stream 1 of a fresh connection; returns the response status, or REFUSED."""
    headers = HeadersFrame(1)
    headers.data = raw.encode(case.fields)
    headers.flags.add("END_HEADERS")
    frames = [headers]
    if case.body is None:
        headers.flags.add("END_STREAM")
    else:
        data = DataFrame(1)
        data.data = case.body
        data.flags.add("END_STREAM")
        frames.append(data)
    raw.send_frames(frames)
    answer = raw.wait_for(lambda f: f.stream_id in (0, 1) and f.type in (0x1, 0x3, 0x7), timeout=10)
    if answer is None or answer.type != 0x1:
        return REFUSED
    status = int(answer.fields[b":status"])
    return REFUSED if 400 <= status < 500 else status


def run_cases(proxy, pki, cases):
    espd, server, port = proxy
    expected = []
    for number, case in enumerate(cases):
        with RawH2(port, cafile=pki / "root-ca.pem") as raw:
            assert send_case(raw, case) == case.outcome, case
        probe = "/ok/probe-%d" % number
        with H2Client(port, cafile=pki / "root-ca.pem") as client:
            response = client.get(probe)
            assert (response.status, response.header("x-seen")) == (200, probe), case
        expected += ([case.forwarded] if case.forwarded else []) + [probe]
    # Every connection to the real server ends when espd stops: what it saw is then final.
    assert espd.terminate() == 0
    assert server.wait_idle()
    seen = server.requests()
    print("request boundaries seen by the real server:\n" + server.boundaries())
    assert not [r for r in seen if "admin" in r.target], server.boundaries()
    assert [r.target for r in seen if r.complete] == expected, server.boundaries()
    return server


def test_field_values_that_would_split_the_forwarded_head(smuggling_proxy, pki):
    injected = b"1\r\n\r\n" + SMUGGLED.rstrip(b"\r\n")
    run_cases(smuggling_proxy, pki, [
        Case("CR LF in a value", fields(method=b"GET", extra=[(b"x-a", injected)])),
        Case("bare LF in a value", fields(method=b"GET", extra=[(b"x-a", b"1\nGET /admin/smuggled")])),
        Case("bare CR in a value", fields(method=b"GET", extra=[(b"x-a", b"1\rGET /admin/smuggled")])),
        Case("NUL in a value", fields(method=b"GET", extra=[(b"x-a", b"1\x00")])),
        Case("CR LF in a name", fields(method=b"GET", extra=[(b"x-a\r\nx-b", b"1")])),
        Case("colon in a name", fields(method=b"GET", extra=[(b"x-a:b", b"1")])),
        Case("space in a name", fields(method=b"GET", extra=[(b"x a", b"1")])),
        Case("request line in :path", fields(path=b"/ok/a HTTP/1.1\r\n\r\n" + SMUGGLED, method=b"GET")),
        Case("space in :method", fields(method=b"GET /admin/smuggled")),
        Case("CR LF in :authority", fields(method=b"GET", authority=HOST.encode() + b"\r\nX: y")),
    ])


def test_framing_fields_and_the_body(smuggling_proxy, pki):
    chunked_smuggle = b"0\r\n\r\n" + SMUGGLED
    run_cases(smuggling_proxy, pki, [
        # The body that looks like a request is one body: forwarded whole, with its own framing.
        Case("request in the body, no content-length", fields(path=b"/ok/body"), body=SMUGGLED,
             outcome=200, forwarded="/ok/body"),
        Case("request in the body, right content-length",
             fields(path=b"/ok/cl", extra=[(b"content-length", b"%d" % len(SMUGGLED))]), body=SMUGGLED,
             outcome=200, forwarded="/ok/cl"),
        Case("content-length shorter than DATA",
             fields(extra=[(b"content-length", b"5")]), body=b"hello" + SMUGGLED),
        Case("content-length longer than DATA",
             fields(extra=[(b"content-length", b"%d" % (len(SMUGGLED) + 100))]), body=SMUGGLED),
        Case("transfer-encoding chunked (connection-specific)",
             fields(extra=[(b"transfer-encoding", b"chunked")]), body=chunked_smuggle),
        Case("signed content-length", fields(extra=[(b"content-length", b"+5")]), body=b"hello"),
        Case("two content-lengths", fields(extra=[(b"content-length", b"5"), (b"content-length", b"6")]),
             body=b"hello"),
        Case("connection: keep-alive", fields(method=b"GET", extra=[(b"connection", b"keep-alive")])),
        Case("te: gzip", fields(method=b"GET", extra=[(b"te", b"gzip")])),
        Case("host disagreeing with :authority",
             fields(method=b"GET", path=b"/ok/host", extra=[(b"host", b"other.example")])),
    ])


def test_lookalike_framing_fields_never_reach_the_real_server(smuggling_proxy, pki):
    # Valid HTTP/2 names that IIS (one CGI variable with the real ones) would read as framing.
    server = run_cases(smuggling_proxy, pki, [
        Case("lookalikes", fields(path=b"/ok/lookalike", extra=[(b"content_length", b"0"),
                                                                 (b"transfer_encoding", b"chunked")]),
             body=b"0\r\n\r\n" + SMUGGLED, outcome=200, forwarded="/ok/lookalike"),
    ])
    heads = [r.head.lower() for r in server.requests() if r.target == "/ok/lookalike"]
    assert len(heads) == 1
    assert b"content_length" not in heads[0] and b"transfer_encoding" not in heads[0]
    # No content-length from the client: espd frames the body itself, chunked.
    assert heads[0].count(b"transfer-encoding: chunked\r\n") == 1
