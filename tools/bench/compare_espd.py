#!/usr/bin/env python3
"""Two espd binaries (and, optionally, peers) on the HTTP/1.1 jobs of the bench, alternating in
one run: for measuring what a change to espd does to its CPU per request on a machine too noisy
for two separate runs to compare. Each round runs every proxy once (the order rotates), each
with the keep-alive job at full load (wrk) and at the fixed rate (h2load --h1 --rps); prints
every round and the medians.

Usage: tools/bench/compare_espd.py --before OLD_ESPD [--after build-release/espd] [--rounds 4]
         [--peers haproxy] [--fixed-rate 8000] [--drop-key idle_buffer_release_ms ...]
--drop-key removes top-level keys of the bench's espd configuration that the older binary does
not know (it refuses unknown keys).
"""

import argparse
import statistics
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(0, str(BENCH_DIR.parents[1]))

import jobs  # noqa: E402
import peers  # noqa: E402
from environment import SOURCE_ROOT, Environment  # noqa: E402

FIELDS = ("req_per_s", "cpu_us_per_request", "load_cpu_us_per_request", "proxy_wakeups_per_1000")


def espd_variant(name, binary, drop_keys):
    """An Espd peer running `binary`, without the configuration keys in `drop_keys`."""

    class Variant(peers.Espd):
        def argv(self):
            return [binary, "--config", str(self.config_path)]

        def check_argv(self):
            return [binary, "--check", "--config", str(self.config_path)]

        def version(self):
            return peers._first_line([binary, "--version"])

        def write_config(self):
            super().write_config()
            lines = self.config_path.read_text().splitlines()
            kept = [line for line in lines if not any('"%s"' % key in line for key in drop_keys)]
            self.config_path.write_text("\n".join(kept) + "\n")

    Variant.name = name
    return Variant


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", required=True, help="the espd binary to compare against")
    parser.add_argument("--after", default=str(SOURCE_ROOT / "build-release/espd"))
    parser.add_argument("--peers", default="", help="peers to run in the same rounds (e.g. haproxy)")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--fixed-rate", type=int, default=8000)
    parser.add_argument("--drop-key", action="append", default=[], help="for --before only")
    parser.add_argument("--workdir", default=str(SOURCE_ROOT / "build/bench-compare"))
    args = parser.parse_args()

    makers = {"after": espd_variant("after", str(Path(args.after).resolve()), []),
              "before": espd_variant("before", str(Path(args.before).resolve()), args.drop_key)}
    for name in filter(None, args.peers.split(",")):
        makers[name] = peers.PEERS[name]
    names = list(makers)
    env = Environment(args.workdir, args.after, None)
    env.prepare()
    env.start_real_servers()
    results = {}
    try:
        for index in range(args.rounds):
            order = names[index % len(names):] + names[:index % len(names)]
            for name in order:
                with makers[name](env, 1) as peer:
                    jobs.http1_keepalive(env, peer, 1, args.connections)  # warm: real-server connections
                    for job in ("full load", "fixed rate"):
                        if job == "full load":
                            values, problems = jobs.http1_keepalive(env, peer, args.seconds, args.connections)
                        else:
                            values, problems = jobs.http1_fixed_rate(env, peer, args.seconds, args.connections,
                                                                     args.fixed_rate)
                        if problems:
                            print("round %d %s %s: PROBLEM %s" % (index + 1, name, job, problems), flush=True)
                            continue
                        row = {k: values[k] for k in FIELDS if k in values}
                        results.setdefault((name, job), []).append(row)
                        print("round %d %-8s %-10s %s" % (index + 1, name, job,
                                                         {k: round(v, 1) for k, v in row.items()}), flush=True)
    finally:
        env.stop_real_servers()
    print("\nmedians over %d rounds (CPU us per request; req/s; wake-ups per 1,000 requests):" % args.rounds)
    for job in ("full load", "fixed rate"):
        for name in names:
            rows = results.get((name, job), [])
            if rows:
                medians = {k: round(statistics.median(r[k] for r in rows if k in r), 1) for k in rows[0]}
                print("  %-10s %-8s %s" % (job, name, medians))
    return 0


if __name__ == "__main__":
    sys.exit(main())
