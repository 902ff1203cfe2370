"""Medians over rounds, the table (raw values and espd/peer ratios), the issue's targets, and
the JSON document."""

import statistics

# (key, label, figure, field, scale, better): better is "higher", "lower" or None (information).
ROWS = [
    ("h1_rps", "1. HTTP/1.1 keep-alive req/s (1 KiB)", "h1", "req_per_s", 1, "higher"),
    ("h1_p50_ms", "   p50 latency, ms", "h1", "p50_ms", 1, "lower"),
    ("h1_p99_ms", "   p99 latency, ms", "h1", "p99_ms", 1, "lower"),
    ("h1_proxy_busy", "   proxy CPU busy (1 = one core)", "h1", "proxy_cpu_busy", 1, None),
    ("h1_others_busy", "   load-side CPU busy (1 = all its cores)", "h1", "others_cpu_busy", 1, None),
    ("h2_rps", "2. HTTP/2 req/s (h2load, 1 KiB)", "h2", "req_per_s", 1, "higher"),
    ("h2_proxy_busy", "   proxy CPU busy (1 = one core)", "h2", "proxy_cpu_busy", 1, None),
    ("h2_others_busy", "   load-side CPU busy (1 = all its cores)", "h2", "others_cpu_busy", 1, None),
    ("hs_ecdsa_per_s", "3. full handshakes/s, ECDSA P-256", "hs_ecdsa", "per_s", 1, "higher"),
    ("hs_ecdsa_cpu_us", "   CPU us per handshake", "hs_ecdsa", "cpu_us_per_handshake", 1, "lower"),
    ("hs_ecdsa_load_cpu_us", "   load side's CPU us per handshake", "hs_ecdsa", "load_cpu_us_per_handshake", 1, None),
    ("hs_ecdsa_proxy_busy", "   proxy CPU busy (1 = one core)", "hs_ecdsa", "proxy_cpu_busy", 1, None),
    ("hs_ecdsa_others_busy", "   load-side CPU busy (1 = all its cores)", "hs_ecdsa", "others_cpu_busy", 1, None),
    ("hs_rsa_per_s", "   full handshakes/s, RSA 2048", "hs_rsa", "per_s", 1, "higher"),
    ("hs_rsa_cpu_us", "   CPU us per handshake", "hs_rsa", "cpu_us_per_handshake", 1, "lower"),
    ("hs_rsa_load_cpu_us", "   load side's CPU us per handshake", "hs_rsa", "load_cpu_us_per_handshake", 1, None),
    ("hs_rsa_proxy_busy", "   proxy CPU busy (1 = one core)", "hs_rsa", "proxy_cpu_busy", 1, None),
    ("hs_rsa_others_busy", "   load-side CPU busy (1 = all its cores)", "hs_rsa", "others_cpu_busy", 1, None),
    ("h1_cpu_us", "4. CPU us per HTTP/1.1 request", "h1", "cpu_us_per_request", 1, "lower"),
    ("h1_load_cpu_us", "   load side's CPU us per HTTP/1.1 request", "h1", "load_cpu_us_per_request", 1, None),
    ("h1_proxy_wakeups", "   proxy wake-ups per 1,000 HTTP/1.1 requests", "h1", "proxy_wakeups_per_1000", 1, None),
    ("h1_load_wakeups", "   load side's wake-ups per 1,000 requests", "h1", "load_wakeups_per_1000", 1, None),
    ("h1_rate_cpu_us", "   same at a fixed rate, equal for all (req/s below)", "h1_rate", "cpu_us_per_request", 1, "lower"),
    ("h1_rate_rps", "   the fixed rate served, req/s", "h1_rate", "req_per_s", 1, None),
    ("h1_rate_proxy_wakeups", "   proxy wake-ups per 1,000 requests at that rate", "h1_rate", "proxy_wakeups_per_1000", 1, None),
    ("h1_side_cpu_us", "   same, side by side with espd, half the rate each", "h1_side", "cpu_us_per_request", 1, None),
    ("h1_side_espd_cpu_us", "   espd's at the same time", "h1_side", "espd_cpu_us_per_request", 1, None),
    ("h1_side_ratio", "   espd / this proxy, side by side", "h1_side", "espd_ratio", 1, None),
    ("h2_cpu_us", "   CPU us per HTTP/2 request", "h2", "cpu_us_per_request", 1, "lower"),
    ("h2_load_cpu_us", "   load side's CPU us per HTTP/2 request", "h2", "load_cpu_us_per_request", 1, None),
    ("h2_proxy_wakeups", "   proxy wake-ups per 1,000 HTTP/2 requests", "h2", "proxy_wakeups_per_1000", 1, None),
    ("h2_load_wakeups", "   load side's wake-ups per 1,000 requests", "h2", "load_wakeups_per_1000", 1, None),
    ("idle_kib", "5. KiB per idle TLS connection", "idle", "bytes_per_connection", 1 / 1024, "lower"),
    ("idle_many_held", "   espd holding many idle TLS connections: how many", "idle_many", "connections", 1, None),
    ("idle_many_rss_mib", "   espd's RSS then, MiB", "idle_many", "rss_after", 1 / 1048576, None),
    ("idle_many_kib", "   KiB per connection at that count", "idle_many", "bytes_per_connection", 1 / 1024, None),
    ("download_mb_s", "6. download MB/s", "download", "bytes_per_s", 1e-6, "higher"),
    ("download_rss_mib", "   RSS growth, MiB", "download", "rss_growth", 1 / 1048576, "lower"),
    ("download_proxy_busy", "   proxy CPU busy (1 = one core)", "download", "proxy_cpu_busy", 1, None),
    ("download_others_busy", "   load-side CPU busy (1 = all its cores)", "download", "others_cpu_busy", 1, None),
    ("upload_mb_s", "   upload MB/s", "upload", "bytes_per_s", 1e-6, "higher"),
    ("upload_rss_mib", "   RSS growth, MiB", "upload", "rss_growth", 1 / 1048576, "lower"),
    ("upload_proxy_busy", "   proxy CPU busy (1 = one core)", "upload", "proxy_cpu_busy", 1, None),
    ("upload_others_busy", "   load-side CPU busy (1 = all its cores)", "upload", "others_cpu_busy", 1, None),
]

# How close each proxy gets to what one core can do at most (figure 7): work per CPU-second of
# the proxy (so that a shared machine matters less) as a percentage of the openssl speed ceiling.
# (key, label, figure, numerator field, ceiling key)
CEILING_ROWS = [
    ("hs_ecdsa_ceiling_pct", "7. ECDSA handshakes per CPU-second, % of ceiling", "hs_ecdsa", "completed",
     "handshake_ceiling_ecdsa_per_s"),
    ("hs_rsa_ceiling_pct", "   RSA handshakes per CPU-second, % of ceiling", "hs_rsa", "completed",
     "handshake_ceiling_rsa_per_s"),
    ("download_ceiling_pct", "   download bytes per CPU-second, % of ceiling", "download", "bytes",
     "proxy_bulk_ceiling_bytes_per_s"),
    ("upload_ceiling_pct", "   upload bytes per CPU-second, % of ceiling", "upload", "bytes",
     "proxy_bulk_ceiling_bytes_per_s"),
]

# The targets: espd against the best peer (or a named one), and absolute bounds.
TARGETS = [
    ("h1_cpu_us", "<=", 0.75, "haproxy", "CPU per HTTP/1.1 request <= 0.75 x HAProxy's"),
    ("h1_rate_cpu_us", "<=", 0.75, "haproxy", "same, all proxies at the same fixed request rate"),
    ("h1_rps", ">=", 1.25, None, "HTTP/1.1 req/s >= 1.25 x best peer"),
    ("h2_rps", ">=", 1.25, None, "HTTP/2 req/s >= 1.25 x best peer"),
    ("h1_p99_ms", "<=", 1.0, None, "p99 latency <= best peer's"),
    ("hs_ecdsa_per_s", ">=", 1.2, None, "full handshakes/s (ECDSA) >= 1.2 x best peer"),
    ("hs_rsa_per_s", ">=", 1.2, None, "full handshakes/s (RSA) >= 1.2 x best peer"),
    ("idle_kib", "<=", 0.5, None, "memory per idle TLS connection <= 0.5 x best peer's"),
    ("download_mb_s", ">=", 1.0, None, "1 GiB download >= best peer's throughput"),
    ("upload_mb_s", ">=", 1.0, None, "1 GiB upload >= best peer's throughput"),
]
# Targets on a ratio measured in each round with both proxies at once (job h1_side): the value is
# the median of the rounds' ratios, found in the peer's summary.
# Each is listed after the TARGETS entry named last.
SIDE_BY_SIDE_TARGETS = [
    ("h1_side_ratio", 0.75, "haproxy", "h1_side_espd_cpu_us", "h1_side_cpu_us",
     "same, espd and HAProxy side by side (half the fixed rate each)", "h1_rate_cpu_us"),
]
ABSOLUTE_TARGETS = [
    ("download_rss_mib", 32, "RSS growth during the 1 GiB download < 32 MiB"),
    ("upload_rss_mib", 32, "RSS growth during the 1 GiB upload < 32 MiB"),
]
MANY_IDLE = 100000  # the second memory target: this many idle TLS connections within 1 GiB of RSS
MANY_IDLE_RSS_MIB = 1024


def median_values(rounds):
    """Median of every numeric field over the rounds (rounds that produced it)."""
    fields = {}
    for entry in rounds:
        for name, value in entry.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                fields.setdefault(name, []).append(value)
    return {name: statistics.median(values) for name, values in fields.items()}


def summarize(peers, ceiling):
    """peers: name -> {"figures": {figure: [round dicts]}, "problems": {figure: [..]}}.
    Returns name -> {row key: value or None or "n/a" or "invalid"}."""
    summary = {}
    for name, data in peers.items():
        values = {}
        for key, _label, figure, field, scale, _better in ROWS:
            rounds = data["figures"].get(figure, [])
            if data["problems"].get(figure):
                values[key] = "invalid"
            elif rounds and all(r.get("status") == "n/a" for r in rounds):
                values[key] = "n/a"
                values[figure + "_reason"] = rounds[0].get("reason")
            else:
                median = median_values(rounds).get(field)
                values[key] = None if median is None else median * scale
        for key, _label, figure, field, ceiling_key in CEILING_ROWS:
            rounds = data["figures"].get(figure, [])
            per_cpu = [r[field] / r["proxy_cpu_s"] for r in rounds if r.get("proxy_cpu_s") and field in r]
            if data["problems"].get(figure):
                values[key] = "invalid"
            elif per_cpu and ceiling.get(ceiling_key):
                values[key] = statistics.median(per_cpu) / ceiling[ceiling_key] * 100
        summary[name] = values
    return summary


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _format(value):
    if value is None:
        return "-"
    if not _number(value):
        return str(value)
    if abs(value) >= 1000:
        return "%.0f" % value
    if abs(value) >= 10:
        return "%.1f" % value
    return "%.3g" % value


def table(summary, order):
    """Text table: one row per figure, raw values per peer, then espd/peer ratios."""
    others = [p for p in order if p != "espd"]
    header = ["figure"] + order + ["espd/%s" % p for p in others if "espd" in order]
    lines = [header]
    rows = [(key, label, better) for key, label, *_rest, better in ROWS]
    rows += [(key, label, "higher") for key, label, *_rest in CEILING_ROWS]
    for key, label, better in rows:
        row = [label + {"higher": " (+)", "lower": " (-)", None: ""}[better]]
        row += [_format(summary[p].get(key)) for p in order]
        if "espd" in order:
            for p in others:
                a, b = summary["espd"].get(key), summary[p].get(key)
                row.append("%.2f" % (a / b) if _number(a) and _number(b) and b else "-")
        lines.append(row)
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = []
    for index, line in enumerate(lines):
        cells = [line[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(line[1:], widths[1:])]
        text.append("  ".join(cells))
        if index == 0:
            text.append("-" * len(text[0]))
    text.append("(+) higher is better, (-) lower is better; ratios are espd / peer")
    return "\n".join(text)


def _peer_target(mine, peers, key, op, factor, against, text):
    """espd's value `mine` against the best (or the named) peer's."""
    candidates = {n: v.get(key) for n, v in peers.items() if (against is None or n == against)}
    candidates = {n: v for n, v in candidates.items() if _number(v)}
    if not _number(mine) or not candidates:
        return {"target": text, "status": "not measurable", "espd": mine}
    best_name = (max if op == ">=" else min)(candidates, key=candidates.get)
    best = candidates[best_name]
    ratio = mine / best if best else None
    met = ratio is not None and (ratio >= factor if op == ">=" else ratio <= factor)
    return {"target": text, "status": "met" if met else "not met", "espd": mine,
            "reference": best_name, "reference_value": best, "ratio": ratio}


def _side_by_side_targets(summary, after_key):
    """The side-by-side targets listed after the target `after_key`: the median of the rounds'
    ratios, read from the peer's summary."""
    results = []
    for key, factor, against, espd_key, peer_key, text, after in SIDE_BY_SIDE_TARGETS:
        if after != after_key:
            continue
        ratio = summary.get(against, {}).get(key)
        if not _number(ratio):
            results.append({"target": text, "status": "not measurable", "espd": None})
            continue
        results.append({"target": text, "status": "met" if ratio <= factor else "not met",
                        "espd": summary[against].get(espd_key), "reference": against,
                        "reference_value": summary[against].get(peer_key), "ratio": ratio})
    return results


def targets(summary):
    """The issue's targets evaluated on this run (met, not met, or not measurable)."""
    results = []
    espd = summary.get("espd", {})
    # espd's own variants (espd-busy-poll) are not peers.
    peers = {name: values for name, values in summary.items() if not name.startswith("espd")}
    for key, op, factor, against, text in TARGETS:
        results.append(_peer_target(espd.get(key), peers, key, op, factor, against, text))
        results.extend(_side_by_side_targets(summary, key))
    for key, bound, text in ABSOLUTE_TARGETS:
        mine = espd.get(key)
        if not _number(mine):
            results.append({"target": text, "status": "not measurable", "espd": mine})
        else:
            results.append({"target": text, "status": "met" if mine < bound else "not met", "espd": mine})
    results.append(_many_idle_target(espd))
    return results


def _many_idle_target(espd):
    """100,000 idle TLS connections held by one espd within 1 GiB of RSS (job idle_many)."""
    text = "%s idle TLS connections held within %d MiB of RSS" % (format(MANY_IDLE, ","), MANY_IDLE_RSS_MIB)
    held, rss = espd.get("idle_many_held"), espd.get("idle_many_rss_mib")
    if held == "invalid":
        return {"target": text, "status": "not measurable", "espd": None,
                "reason": "job idle_many had a problem (see PROBLEMS)"}
    if not _number(held) or not _number(rss) or held < MANY_IDLE:
        reason = espd.get("idle_many_reason") or (
            "held %s" % _format(held) if _number(held) else "job idle_many not run")
        return {"target": text, "status": "not measurable", "espd": None, "reason": reason}
    return {"target": text, "status": "met" if rss <= MANY_IDLE_RSS_MIB else "not met", "espd": rss}


def targets_text(results):
    lines = []
    for entry in results:
        detail = ""
        if "ratio" in entry and entry["ratio"] is not None:
            detail = " (espd %s, %s %s, ratio %.2f)" % (_format(entry["espd"]), entry["reference"],
                                                       _format(entry["reference_value"]), entry["ratio"])
        elif _number(entry.get("espd")):
            detail = " (espd %s)" % _format(entry["espd"])
        elif entry.get("reason"):
            detail = " (%s)" % entry["reason"]
        lines.append("  [%s] %s%s" % (entry["status"], entry["target"], detail))
    return "\n".join(lines)
