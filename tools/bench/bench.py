#!/usr/bin/env python3
"""espd against HAProxy, nginx and nghttpx doing the same job (issue 8). Normally started by
tools/bench/run, which installs the peers and builds a release espd first.

Peers alternate within each round (the order rotates every round) and every figure is the
median over the rounds, so noise from a shared machine hits all alike. Prints a table and
writes a JSON document; exits 1 if any proxy failed a check, 77 (skipped) in --quick mode when
a peer or load tool is not installed.
"""

import argparse
import concurrent.futures
import json
import os
import platform
import shutil
import subprocess
import sys
import time
import traceback
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(0, str(BENCH_DIR.parents[1]))  # tests.support

import checks  # noqa: E402
import jobs  # noqa: E402
import report  # noqa: E402
from environment import SOURCE_ROOT, Environment  # noqa: E402
from peers import PEERS  # noqa: E402

TOOLS = ["haproxy", "nginx", "nghttpx", "h2load", "wrk", "curl", "openssl", "taskset", "cc"]


def options():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="every job, small and once (under a minute): checks that every proxy answers "
                             "correctly; its numbers mean nothing")
    parser.add_argument("--espd", default=str(SOURCE_ROOT / "build-release/espd"), help="the espd binary")
    parser.add_argument("--workdir", help="default: build/bench (build/bench-quick with --quick)")
    parser.add_argument("--json", help="result file (default: WORKDIR/result.json)")
    parser.add_argument("--report", metavar="JSON", help="print the table of an earlier run's JSON and exit")
    parser.add_argument("--peers", default="espd,haproxy,nginx,nghttpx",
                        help="also: espd-busy-poll (espd with busy_poll_us 50, for comparing the two)")
    parser.add_argument("--only", default="h1,h1_rate,h1_side,h2,handshakes,idle,idle_many,download,upload",
                        help="jobs to run (comma-separated)")
    parser.add_argument("--fixed-rate", type=int,
                        help="HTTP/1.1 requests/s offered to every proxy in the h1_rate job (default 8000, "
                             "2000 with --quick): below the saturation of every proxy on a 2-core machine; "
                             "in the h1_side job espd and a peer get half of it each, at the same time")
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--seconds", type=int, help="duration of each load run")
    parser.add_argument("--workers", type=int, default=1, help="worker threads/processes of every proxy")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections")
    parser.add_argument("--h2-clients", type=int, default=8)
    parser.add_argument("--h2-streams", type=int, default=32)
    parser.add_argument("--handshake-concurrency", type=int, default=32)
    parser.add_argument("--idle-connections", type=int)
    parser.add_argument("--idle-rounds", type=int, default=1,
                        help="rounds that measure idle-connection memory (it hardly varies, and opening "
                             "10,000 TLS connections per peer takes a while on a loaded machine)")
    parser.add_argument("--many-idle-connections", type=int, default=100000,
                        help="job idle_many (espd only, first round, not in --quick): espd's RSS holding "
                             "this many idle TLS connections; needs a file limit that high")
    parser.add_argument("--big-mib", type=int, help="size of the transferred file")
    args = parser.parse_args()
    quick = args.quick
    args.rounds = args.rounds or (1 if quick else 3)
    args.seconds = args.seconds or (1 if quick else 10)
    args.fixed_rate = args.fixed_rate or (2000 if quick else 8000)
    args.idle_connections = args.idle_connections or (50 if quick else 10000)
    args.big_mib = args.big_mib or (8 if quick else 1024)
    args.workdir = Path(args.workdir or SOURCE_ROOT / ("build/bench-quick" if quick else "build/bench"))
    args.json = Path(args.json or args.workdir / "result.json")
    args.peers = args.peers.split(",")
    args.only = set(args.only.split(","))
    unknown = [p for p in args.peers if p not in PEERS]
    if unknown:
        parser.error("unknown peer(s) %s (known: %s)" % (", ".join(unknown), ", ".join(PEERS)))
    return args


def machine_facts(env):
    cpu_model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        memory = f.readline().split()[1]
    def first_line(argv):
        out = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout
        return out.strip().splitlines()[0] if out.strip() else "?"

    return {"cpu": cpu_model, "cpus": os.cpu_count(), "memory_kib": int(memory), "kernel": platform.release(),
            "openssl": first_line(["openssl", "version"]), "file_limit": env.file_limit,
            "pinning": env.pinning.describe(),
            "load_tools": [first_line(["wrk", "--version"]), first_line(["h2load", "--version"]),
                           first_line(["curl", "--version"]), "python " + platform.python_version()]}


def loadavg():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


class Recorder:
    """Per peer: every round's values and every problem, by figure."""

    def __init__(self, names):
        self.peers = {n: {"figures": {}, "problems": {}, "facts": {}, "version": None} for n in names}

    def add(self, peer, figure, outcome):
        values, problems = outcome
        self.peers[peer]["figures"].setdefault(figure, []).append(values)
        if problems:
            self.peers[peer]["problems"].setdefault(figure, []).extend(problems)
            print("  %s %s: PROBLEM: %s" % (peer, figure, "; ".join(problems)), flush=True)

    def fail(self, peer, figure, error):
        self.add(peer, figure, ({}, ["%s: %s" % (type(error).__name__, error)]))

    def any_problem(self):
        return any(data["problems"] for data in self.peers.values())


def measure(recorder, name, figure, action):
    started = time.monotonic()
    try:
        outcome = action()
    except Exception as error:  # noqa: BLE001 - a failing job is recorded, the run goes on
        traceback.print_exc()
        recorder.fail(name, figure, error)
        return
    recorder.add(name, figure, outcome)
    values = outcome[0]
    shown = {k: (round(v, 3) if isinstance(v, float) else v) for k, v in values.items()
             if k in ("req_per_s", "p99_ms", "per_s", "cpu_us_per_request", "espd_cpu_us_per_request", "espd_ratio",
                      "cpu_us_per_handshake",
                      "bytes_per_connection", "bytes_per_s", "rss_growth", "status", "reason")}
    print("  %-8s %-10s %5.1f s  %s" % (name, figure, time.monotonic() - started, shown), flush=True)


def run_peer(env, args, recorder, name, round_index):
    peer_class = PEERS[name]
    fresh = lambda: peer_class(env, args.workers)  # noqa: E731
    recorder.peers[name]["version"] = fresh().version()
    s = args.seconds
    with fresh() as peer:
        measure(recorder, name, "checks", lambda: checks.check_peer(env, peer))
        recorder.peers[name]["facts"] = recorder.peers[name]["figures"]["checks"][-1]
        if args.quick:
            # Quick windows are 1 s: let the proxy open its real-server connections first, so that
            # a loaded machine (the test suite runs beside it) slows the jobs but does not empty them.
            jobs.http1_keepalive(env, peer, 1, args.connections)
        if "h1" in args.only:
            measure(recorder, name, "h1", lambda: jobs.http1_keepalive(env, peer, s, args.connections))
        if "h1_rate" in args.only:
            measure(recorder, name, "h1_rate",
                    lambda: jobs.http1_fixed_rate(env, peer, s, args.connections, args.fixed_rate,
                                                  require_rate=not args.quick))
        if "h2" in args.only:
            measure(recorder, name, "h2", lambda: jobs.http2(env, peer, s, args.h2_clients, args.h2_streams))
        if "handshakes" in args.only:
            for key, figure in (("ec", "hs_ecdsa"), ("rsa", "hs_rsa")):
                measure(recorder, name, figure,
                        lambda: jobs.handshakes(env, peer, key, s, args.handshake_concurrency))
    # Memory figures start from a fresh process: what earlier jobs left in the allocator would
    # hide the growth. (--quick measures nothing that matters: one process for all three.)
    settle = 0.1 if args.quick else 1.0
    memory_jobs = []
    if "idle" in args.only and round_index < args.idle_rounds:
        memory_jobs.append(("idle", lambda peer: jobs.idle_connections(env, peer, args.idle_connections, settle)))
    if "idle_many" in args.only and name == "espd" and round_index == 0 and not args.quick:
        memory_jobs.append(("idle_many",
                            lambda peer: jobs.many_idle_connections(env, peer, args.many_idle_connections, settle)))
    for direction in ("download", "upload"):
        if direction in args.only:
            memory_jobs.append((direction, lambda peer, d=direction: jobs.transfer(env, peer, d, args.quick, settle)))
    if args.quick and memory_jobs:
        with fresh() as peer:
            for figure, job in memory_jobs:
                measure(recorder, name, figure, lambda: job(peer))
        return
    for figure, job in memory_jobs:
        with fresh() as peer:
            measure(recorder, name, figure, lambda: job(peer))


def run_side_by_side(env, args, recorder, name):
    """Job h1_side: a fresh espd and a fresh `name` at the same time (recorded under `name`)."""
    with PEERS["espd"](env, args.workers) as espd, PEERS[name](env, args.workers) as peer:
        for proxy in (espd, peer):  # real-server connections opened, buffers warm
            jobs.http1_keepalive(env, proxy, 1, args.connections)
        measure(recorder, name, "h1_side",
                lambda: jobs.http1_side_by_side(env, espd, peer, args.seconds, args.connections, args.fixed_rate,
                                                require_rate=not args.quick))


def missing_tools():
    return [tool for tool in TOOLS if not shutil.which(tool)]


def main():
    args = options()
    if args.report:
        document = json.loads(Path(args.report).read_text())
        print_report(document, list(document["peers"]))
        return 0
    missing = missing_tools()
    if missing:
        message = "bench: missing %s (tools/install-deps.sh bench)" % ", ".join(missing)
        print(message, file=sys.stderr)
        return 77 if args.quick else 2
    if not Path(args.espd).is_file():
        print("bench: no espd binary at %s" % args.espd, file=sys.stderr)
        return 2

    started = time.time()
    env = Environment(args.workdir, args.espd, args.big_mib << 20)
    env.prepare()
    meta = machine_facts(env)
    meta.update({"mode": "quick" if args.quick else "full", "espd_binary": str(env.espd_binary),
                 "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
                 "loadavg_start": loadavg(), "options": {
                     "rounds": args.rounds, "seconds": args.seconds, "workers": args.workers,
                     "wrk_connections": args.connections, "h1_fixed_rate": args.fixed_rate, "h2_clients": args.h2_clients,
                     "h2_streams_per_client": args.h2_streams,
                     "handshake_concurrency": args.handshake_concurrency,
                     "idle_connections": args.idle_connections, "idle_rounds": min(args.idle_rounds, args.rounds),
                     "many_idle_connections": args.many_idle_connections,
                     "transfer_bytes": args.big_mib << 20}})
    print("bench: %s; %s" % (meta["cpu"], meta["pinning"]), flush=True)

    recorder = Recorder(args.peers)
    ceiling, ceiling_problems = {}, []
    env.start_real_servers()
    try:
        if args.quick:  # its numbers mean nothing in --quick: it runs beside the proxies
            speed = concurrent.futures.ThreadPoolExecutor(1).submit(jobs.crypto_ceiling, env, 1)
        else:
            ceiling, ceiling_problems = jobs.crypto_ceiling(env, 3)
        for round_index in range(args.rounds):
            order = args.peers[round_index % len(args.peers):] + args.peers[:round_index % len(args.peers)]
            meta.setdefault("loadavg_rounds", []).append(loadavg())
            print("round %d of %d: %s (load average %s)" % (round_index + 1, args.rounds, ", ".join(order),
                                                             loadavg()), flush=True)
            for name in order:
                try:
                    run_peer(env, args, recorder, name, round_index)
                except Exception as error:  # noqa: BLE001 - e.g. a peer that does not start
                    traceback.print_exc()
                    recorder.fail(name, "start", error)
            if "h1_side" in args.only and "espd" in args.peers:
                for name in (n for n in order if not n.startswith("espd")):
                    try:
                        run_side_by_side(env, args, recorder, name)
                    except Exception as error:  # noqa: BLE001
                        traceback.print_exc()
                        recorder.fail(name, "h1_side", error)
        if args.quick:
            ceiling, ceiling_problems = speed.result()
    finally:
        env.stop_real_servers()

    document = {"meta": meta, "crypto_ceiling": ceiling, "peers": recorder.peers}
    problems = {n: d["problems"] for n, d in recorder.peers.items() if d["problems"]}
    if ceiling_problems:
        problems["openssl speed"] = ceiling_problems
    meta["loadavg_end"] = loadavg()
    meta["seconds_total"] = round(time.time() - started, 1)
    print_report(document, args.peers)  # adds the summary and the targets to the document
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(document, indent=2, default=str) + "\n")
    print("JSON: %s (%.0f s, load average %s -> %s)" % (args.json, meta["seconds_total"], meta["loadavg_start"],
                                                       meta["loadavg_end"]))
    if problems:
        print("PROBLEMS: %s" % json.dumps(problems, indent=1))
        return 1
    print("every proxy answered correctly in every job")
    return 0


def print_report(document, order):
    summary = report.summarize(document["peers"], document["crypto_ceiling"])
    document["summary"] = summary
    document["targets"] = report.targets(summary)
    print()
    print(report.table(summary, order))
    print()
    print("7. crypto ceiling of the proxy CPU (openssl speed): " + ", ".join(
        "%s %.0f" % (k, v) for k, v in document["crypto_ceiling"].items()))
    print()
    print("targets (espd against the best peer of this run):")
    print(report.targets_text(document["targets"]))
    print()

if __name__ == "__main__":
    sys.exit(main())
