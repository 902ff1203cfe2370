"""The measurements of issue 8, one function per figure. Each returns a dict of raw values and
a list of problems ("checks"): a figure with a problem is reported as invalid, never as a number.
Load generators run pinned to the non-proxy CPU(s); the proxy's CPU time and memory come from
/proc (procstat)."""

import hashlib
import json
import re
import ssl
import socket
import subprocess
import sys
import time

import procstat
from environment import BENCH_DIR, REQUEST_HOST, SNI_NAME


def _run(env, argv, timeout):
    result = subprocess.run(env.pinning.other_command(argv), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, timeout=timeout)
    return result


def _meter(env, peer):
    return procstat.CpuMeter(peer.pid, env.pinning.other_cpus,
                             env.real_servers.pid if env.real_servers else None)


# --- 7. the crypto ceiling ---------------------------------------------------------------------
def crypto_ceiling(env, seconds):
    """openssl speed on the proxy's CPU: what one core can do at most."""
    result = {}
    speed = subprocess.run(env.pinning.proxy_command(
        ["openssl", "speed", "-seconds", str(seconds), "ecdsap256", "rsa2048", "ecdhx25519"]),
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, check=True).stdout
    for line in speed.splitlines():
        words = line.split()
        if line.startswith("rsa 2048 bits"):
            result["rsa2048_sign_per_s"], result["rsa2048_verify_per_s"] = float(words[5]), float(words[6])
        elif "ecdsa (nistp256)" in line:
            result["ecdsap256_sign_per_s"], result["ecdsap256_verify_per_s"] = float(words[6]), float(words[7])
        elif "ecdh (X25519)" in line:
            result["x25519_ops_per_s"] = float(words[5])
    aes = subprocess.run(env.pinning.proxy_command(
        ["openssl", "speed", "-seconds", str(seconds), "-bytes", "16384", "-evp", "aes-128-gcm"]),
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, check=True).stdout
    for line in aes.splitlines():
        if line.upper().startswith("AES-128-GCM"):
            result["aes128gcm_16k_bytes_per_s"] = float(line.split()[-1].rstrip("k")) * 1000
    # A full handshake costs the server one signature and an X25519 key generation and derivation;
    # a proxied byte is decrypted once and encrypted once (both sides use AES-128-GCM here).
    x = result.get("x25519_ops_per_s")
    if x:
        for key, sign in (("ecdsa", "ecdsap256_sign_per_s"), ("rsa", "rsa2048_sign_per_s")):
            result["handshake_ceiling_%s_per_s" % key] = 1 / (1 / result[sign] + 2 / x)
    if "aes128gcm_16k_bytes_per_s" in result:
        result["proxy_bulk_ceiling_bytes_per_s"] = result["aes128gcm_16k_bytes_per_s"] / 2
    missing = [k for k in ("rsa2048_sign_per_s", "ecdsap256_sign_per_s", "x25519_ops_per_s",
                           "aes128gcm_16k_bytes_per_s") if k not in result]
    return result, ["openssl speed output not understood: no %s" % ", ".join(missing)] if missing else []


# --- 1 and 4. HTTP/1.1 keep-alive, CPU time per request -----------------------------------------
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _wrk_latency_ms(text):
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    return float(match.group(1)) * _UNITS[match.group(2)]


def http1_keepalive(env, peer, seconds, connections, path="/1k"):
    url = "https://%s:%d%s" % (SNI_NAME, peer.port, path)
    with _meter(env, peer) as meter:
        out = _run(env, ["wrk", "-t1", "-c%d" % connections, "-d%ds" % seconds, "--latency", "--timeout", "10s",
                         "-H", "Host: %s" % REQUEST_HOST, url], timeout=seconds + 60)
    cpu = meter.proxy_cpu_s
    text = out.stdout
    problems = []
    result = {}
    match = re.search(r"(\d+) requests in ([\d.]+)(\w+),", text)
    if out.returncode != 0 or not match:
        return result, ["wrk failed (%d): %s %s" % (out.returncode, text.strip()[-300:], out.stderr.strip()[-300:])]
    requests = int(match.group(1))
    duration = float(match.group(2)) * {"s": 1, "ms": 1e-3, "m": 60}.get(match.group(3), 1)
    result["requests"] = requests
    result["req_per_s"] = requests / duration
    for pct in ("50", "99"):
        found = re.search(r"^\s+%s%%\s+(\S+)" % pct, text, re.M)
        if found:
            result["p%s_ms" % pct] = _wrk_latency_ms(found.group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    result["non_2xx"] = int(non2xx.group(1)) if non2xx else 0
    result["socket_errors"] = sum(int(g) for g in errors.groups()) if errors else 0
    result["proxy_cpu_s"] = cpu
    result["proxy_cpu_busy"] = cpu / duration  # 1.0 = one CPU fully busy
    result["others_cpu_busy"] = meter.others_busy
    result["load_cpu_s"] = meter.load_cpu_s
    if requests:
        result["cpu_us_per_request"] = cpu / requests * 1e6
        result["load_cpu_us_per_request"] = meter.load_cpu_s / requests * 1e6
        result["proxy_wakeups_per_1000"] = meter.proxy_wakeups / requests * 1000
        result["load_wakeups_per_1000"] = meter.load_wakeups / requests * 1000
    if requests == 0:
        problems.append("no request completed")
    if result["non_2xx"]:
        problems.append("%d responses were not 2xx" % result["non_2xx"])
    if result["socket_errors"]:
        result["note"] = "%d socket errors" % result["socket_errors"]
    return result, problems


def _h2load_counts(out):
    """h2load's summary as result fields (req_per_s, requests succeeded, failed, non_2xx), or
    None when its output lacks one of the lines (h2load failed)."""
    text = out.stdout
    finished = re.search(r"finished in ([\d.]+)(\w+), ([\d.]+) req/s", text)
    counts = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, "
                       r"(\d+) errored, (\d+) timeout", text)
    statuses = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", text)
    if not (finished and counts and statuses):
        return None
    return {"req_per_s": float(finished.group(3)), "requests": int(counts.group(4)),
            "failed": int(counts.group(5)) + int(counts.group(6)),
            "non_2xx": sum(int(g) for g in statuses.groups()[1:])}


def _h2load_failure(name, out):
    return "%s failed (%d): %s %s" % (name, out.returncode, out.stdout.strip()[-300:], out.stderr.strip()[-200:])


def _h1_rate_argv(peer, seconds, connections, per_client, path):
    return ["h2load", "--h1", "-t1", "-c%d" % connections, "--rps=%d" % per_client, "-D%d" % seconds,
            "--connect-to=127.0.0.1:%d" % peer.port, "https://%s%s" % (REQUEST_HOST, path)]


def _h1_rate_result(out, meter, offered, require_rate):
    """A fixed-rate run's result fields and problems, from h2load's output and the proxy's meter."""
    counts = _h2load_counts(out)
    if counts is None:
        return {}, [_h2load_failure("h2load --h1", out)]
    requests = counts["requests"]
    result = {"offered_req_per_s": offered, **counts, **meter.fields()}
    problems = []
    if requests:
        result["cpu_us_per_request"] = meter.proxy_cpu_s / requests * 1e6
        result["proxy_wakeups_per_1000"] = meter.proxy_wakeups / requests * 1000
    else:
        problems.append("no request succeeded")
    if result["non_2xx"] or result["failed"]:
        problems.append("%d non-2xx, %d failed requests" % (result["non_2xx"], result["failed"]))
    # The rate must have been delivered: a proxy that cannot keep up is measured at another load.
    # (--quick shares the machine with the test suite: there it is a note.)
    if requests and result["req_per_s"] < 0.95 * offered:
        shortfall = "served %.0f req/s of the %d offered" % (result["req_per_s"], offered)
        if require_rate:
            problems.append(shortfall)
        else:
            result["note"] = shortfall
    return result, problems


def http1_fixed_rate(env, peer, seconds, connections, rate, require_rate=True, path="/1k"):
    """CPU per HTTP/1.1 keep-alive request at a fixed offered rate (h2load --h1 --rps), the same
    for every proxy: below every proxy's saturation, so that each does the same work per request
    and sleeps between requests as it would in production, where a proxy is rarely saturated. At
    the saturating load of http1_keepalive a proxy that is slower per request runs out of idle
    time and stops paying for sleeping and waking, which lowers its figure there."""
    per_client = max(1, rate // connections)
    with _meter(env, peer) as meter:
        out = _run(env, _h1_rate_argv(peer, seconds, connections, per_client, path), timeout=seconds + 60)
    return _h1_rate_result(out, meter, per_client * connections, require_rate)


def http1_side_by_side(env, espd, peer, seconds, connections, rate, require_rate=True, path="/1k"):
    """CPU per HTTP/1.1 keep-alive request of espd and a peer measured at the same time: both on
    the proxy CPU, each offered half of the fixed rate by its own h2load. Whatever the machine does
    meanwhile (a busy host slowing this VM down for seconds at a time) hits both alike, so the
    ratio of the two varies far less from round to round than that of two runs one after the
    other. The two share the core: neither sleeps on an otherwise idle CPU. Returns the peer's
    figures, espd's as espd_*, and espd_ratio (espd's CPU per request / the peer's)."""
    per_client = max(1, rate // 2 // connections)
    timeout = seconds + 60
    with _meter(env, espd) as espd_meter, _meter(env, peer) as peer_meter:
        loads = [subprocess.Popen(env.pinning.other_command(_h1_rate_argv(p, seconds, connections, per_client, path)),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for p in (espd, peer)]
        outs = []
        for load in loads:
            stdout, stderr = load.communicate(timeout=timeout)
            outs.append(subprocess.CompletedProcess(load.args, load.returncode, stdout, stderr))
    offered = per_client * connections
    espd_result, espd_problems = _h1_rate_result(outs[0], espd_meter, offered, require_rate)
    result, problems = _h1_rate_result(outs[1], peer_meter, offered, require_rate)
    problems += ["espd beside it: " + problem for problem in espd_problems]
    for field in ("req_per_s", "cpu_us_per_request", "proxy_wakeups_per_1000"):
        if field in espd_result:
            result["espd_" + field] = espd_result[field]
    if result.get("cpu_us_per_request") and "espd_cpu_us_per_request" in result:
        result["espd_ratio"] = result["espd_cpu_us_per_request"] / result["cpu_us_per_request"]
    # Both load generators ran on the load side at once: its readings belong to neither alone.
    for field in ("load_cpu_s", "load_wakeups", "others_cpu_busy"):
        result.pop(field, None)
    return result, problems


# --- 2. HTTP/2 ----------------------------------------------------------------------------------
def negotiated_alpn(port, offer=("h2",)):
    """The protocol the proxy selects when a client offers `offer`."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(list(offer))
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname=REQUEST_HOST) as tls:
            return tls.selected_alpn_protocol()


def http2(env, peer, seconds, clients, streams, path="/1k"):
    selected = negotiated_alpn(peer.port)
    if selected != "h2":
        return {"status": "n/a", "reason": "does not negotiate h2 (ALPN offer h2: selected %s)" % selected}, []
    with _meter(env, peer) as meter:
        out = _run(env, ["h2load", "-t1", "-c%d" % clients, "-m%d" % streams, "-D%d" % seconds,
                         "--npn-list=h2", "--connect-to=127.0.0.1:%d" % peer.port,
                         "https://%s%s" % (REQUEST_HOST, path)], timeout=seconds + 60)
    cpu = meter.proxy_cpu_s
    counts = _h2load_counts(out)
    protocol = re.search(r"Application protocol: (\S+)", out.stdout)
    if counts is None:
        return {}, [_h2load_failure("h2load", out)]
    result = {"status": "ok", "protocol": protocol.group(1) if protocol else None, **counts, **meter.fields()}
    if result["requests"]:
        result["cpu_us_per_request"] = cpu / result["requests"] * 1e6
        result["load_cpu_us_per_request"] = meter.load_cpu_s / result["requests"] * 1e6
        result["proxy_wakeups_per_1000"] = meter.proxy_wakeups / result["requests"] * 1000
        result["load_wakeups_per_1000"] = meter.load_wakeups / result["requests"] * 1000
    problems = []
    if result["protocol"] != "h2":
        problems.append("h2load did not use h2 (%s)" % result["protocol"])
    if result["requests"] == 0:
        problems.append("no request succeeded")
    if result["non_2xx"] or result["failed"]:
        problems.append("%d non-2xx, %d failed requests" % (result["non_2xx"], result["failed"]))
    return result, problems


# --- 3. full handshakes -------------------------------------------------------------------------
def handshakes(env, peer, key, seconds, concurrency, path="/healthcheck.html"):
    with _meter(env, peer) as meter:
        out = _run(env, [str(env.handshake_load), "--connect", "127.0.0.1:%d" % peer.port, "--sni", REQUEST_HOST,
                         "--host", REQUEST_HOST, "--path", path, "--key", key, "--concurrency", str(concurrency),
                         "--seconds", str(seconds)], timeout=seconds + 60)
    cpu = meter.proxy_cpu_s
    try:
        result = json.loads(out.stdout)
    except ValueError:
        return {}, ["handshake_load failed (%d): %s" % (out.returncode, (out.stdout + out.stderr)[-300:])]
    result["per_s"] = result["completed"] / result["seconds"]
    result.update(meter.fields())
    if result["completed"]:
        result["cpu_us_per_handshake"] = cpu / result["completed"] * 1e6
        result["load_cpu_us_per_handshake"] = meter.load_cpu_s / result["completed"] * 1e6
    problems = []
    if result["completed"] == 0:
        problems.append("no handshake completed (%s)" % result["first_error"])
    if result["resumed"]:
        problems.append("%d handshakes were resumptions" % result["resumed"])
    if result["wrong_key"]:
        problems.append("%d handshakes did not get the %s certificate" % (result["wrong_key"], key))
    if result["status_other"]:
        problems.append("%d responses were not 2xx" % result["status_other"])
    return result, problems


# --- 5. memory per idle TLS connection ----------------------------------------------------------
def idle_connections(env, peer, count, settle_s=1.0, sources=()):
    # One request first, so that what every proxy sets up lazily (real-server connections,
    # buffers) is in the baseline, not counted against the idle connections.
    subprocess.run(["curl", "-sk", "-o", "/dev/null", "--connect-to", "%s:%d:127.0.0.1:%d" % (
        REQUEST_HOST, peer.port, peer.port), "https://%s:%d/1k" % (REQUEST_HOST, peer.port)], timeout=30)
    time.sleep(settle_s)
    rss_before = procstat.rss_bytes(peer.pid)
    client = subprocess.Popen(env.pinning.other_command(
        [sys.executable, str(BENCH_DIR / "idle_connections.py"), "--connect", "127.0.0.1:%d" % peer.port,
         "--sni", REQUEST_HOST, "--host", REQUEST_HOST, "--path", "/1k", "-n", str(count),
         "--sources", ",".join(sources)]),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = client.stdout.readline()
        held = json.loads(line) if line else {"held": 0, "ok": 0, "failed": count,
                                              "first_error": client.stderr.read()[-300:]}
        time.sleep(settle_s)  # let deferred frees and timers run
        rss_after = procstat.rss_bytes(peer.pid)
    finally:
        client.stdin.close()
        client.wait(timeout=120)
    result = {"connections": held["held"], "ok": held["ok"], "rss_before": rss_before, "rss_after": rss_after}
    problems = []
    if held["held"] != count or held["ok"] != count:
        problems.append("%d of %d connections held, %d answered 2xx (%s)" % (
            held["held"], count, held["ok"], held.get("first_error", "")))
    if held["held"]:
        result["bytes_per_connection"] = (rss_after - rss_before) / held["held"]
    return result, problems


CONNECTIONS_PER_SOURCE = 20000  # under the ~28,000 ports of Linux's default ephemeral range
DESCRIPTORS_BESIDES_CONNECTIONS = 1024  # listeners, real-server connections, logs, epoll, ...


def many_idle_connections(env, peer, count, settle_s=1.0):
    """The second memory target: `count` (100,000) idle TLS connections held by one proxy, within
    1 GiB of RSS. Needs a file limit of count + DESCRIPTORS_BESIDES_CONNECTIONS for the proxy and
    for the client; where the hard limit is lower (the bench raises the soft limit to it), the
    figure is n/a with the reason. The connections come from several local source addresses."""
    needed = count + DESCRIPTORS_BESIDES_CONNECTIONS
    if env.file_limit < needed:
        return {"status": "n/a", "reason": "file limit %d, %d descriptors needed (raise the hard limit "
                "of RLIMIT_NOFILE)" % (env.file_limit, needed)}, []
    sources = ["127.0.1.%d" % (index + 1) for index in range(-(-count // CONNECTIONS_PER_SOURCE))]
    return idle_connections(env, peer, count, settle_s, sources)


# --- 6. 1 GiB download and upload ---------------------------------------------------------------
def _curl(env, peer, args, timeout):
    write_out = "%{http_code} %{size_download} %{size_upload} %{time_total}"
    out = _run(env, ["curl", "-sS", "--http1.1", "--cacert", str(env.pki / "root-ca.pem"),
                     "--connect-to", "%s:%d:127.0.0.1:%d" % (REQUEST_HOST, peer.port, peer.port),
                     "-D", str(env.run / "transfer-head.txt"), "-w", write_out, *args], timeout=timeout)
    fields = out.stdout.split()
    if out.returncode != 0 or len(fields) != 4:
        return None, "curl failed (%d): %s" % (out.returncode, (out.stdout + out.stderr)[-300:])
    return {"status": int(fields[0]), "downloaded": int(fields[1]), "uploaded": int(fields[2]),
            "seconds": float(fields[3])}, None


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def transfer(env, peer, direction, verify_content, settle_s=1.0, timeout=600):
    big = env.docroot / "big"
    size = big.stat().st_size
    url = "https://%s:%d" % (REQUEST_HOST, peer.port)
    time.sleep(settle_s)
    rss_before = procstat.rss_bytes(peer.pid)
    sink = env.run / "download.bin" if verify_content else "/dev/null"
    with procstat.RssSampler(peer.pid) as sampler, _meter(env, peer) as meter:
        if direction == "download":
            curl, error = _curl(env, peer, ["-o", str(sink), url + "/big"], timeout)
        else:
            curl, error = _curl(env, peer, ["-o", "/dev/null", "-H", "Expect:", "-T", str(big),
                                            url + "/upload/big"], timeout)
    if error:
        return {}, [error]
    moved = curl["downloaded"] if direction == "download" else curl["uploaded"]
    result = {"bytes": moved, "seconds": curl["seconds"], "bytes_per_s": moved / curl["seconds"],
              "rss_before": rss_before, "rss_peak": sampler.peak, "rss_growth": sampler.peak - rss_before,
              "status": curl["status"], **meter.fields()}
    problems = []
    if direction == "download":
        if curl["status"] != 200 or moved != size:
            problems.append("download: status %d, %d of %d bytes" % (curl["status"], moved, size))
        elif verify_content and _sha256(sink) != _sha256(big):
            problems.append("download: content differs from the file served")
    else:
        head = (env.run / "transfer-head.txt").read_text(errors="replace")
        server = re.search(r"^x-real-server: (\w)", head, re.I | re.M)
        stored = env.run / ("uploads-%s" % (server.group(1).lower() if server else "?")) / "upload" / "big"
        if curl["status"] not in (201, 204) or moved != size:
            problems.append("upload: status %d, %d of %d bytes sent" % (curl["status"], moved, size))
        elif not stored.exists() or stored.stat().st_size != size:
            problems.append("upload: the real server did not store %d bytes" % size)
        elif verify_content and _sha256(stored) != _sha256(big):
            problems.append("upload: content stored differs from the file sent")
    return result, problems
