#!/usr/bin/env python3
"""Profiles espd (or a peer) under the bench's HTTP/1.1 keep-alive job (or, with --job, another
of its jobs): the same real servers, configuration and load as the bench, with one of
  perf       perf record (cpu-clock) of the proxy during the load, then the top functions and
             where its time goes (user space; each kind of system call with what runs inside
             it), in us per request; with --beside PEER (and --job h1_rate) espd and PEER at
             the same time, in the bench's side-by-side job
  strace     strace -c -f attached during the load: syscalls per request
  callgrind  espd under valgrind --tool=callgrind, collecting during the load only:
             instructions and heap allocations per request, by function (independent of how
             loaded the machine is)
Writes into WORKDIR/profile/ and prints a summary.

Usage: tools/bench/profile.py perf|strace|callgrind [--peer espd] [--job h1] [--seconds 10]
       (after tools/bench/run has built build-release/espd)
"""

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(0, str(BENCH_DIR.parents[1]))

import jobs  # noqa: E402
import procstat  # noqa: E402
from environment import SOURCE_ROOT, Environment  # noqa: E402
from peers import PEERS  # noqa: E402


JOB = "h1"  # set from --job
RATE = 8000  # set from --fixed-rate (job h1_rate)


def load(env, peer, seconds, connections):
    """The profiled job; values["requests"] is what costs are divided by."""
    if JOB == "h1":
        values, problems = jobs.http1_keepalive(env, peer, seconds, connections)
    elif JOB == "h1_rate":  # the bench's fixed-rate job: every proxy at the same request rate
        values, problems = jobs.http1_fixed_rate(env, peer, seconds, connections, RATE)
    elif JOB == "h2":  # the bench's HTTP/2 job: 8 clients x 32 streams
        values, problems = jobs.http2(env, peer, seconds, 8, 32)
    else:  # full handshakes, one request each
        values, problems = jobs.handshakes(env, peer, "ec" if JOB == "hs_ecdsa" else "rsa", seconds, connections)
        values["requests"] = values.get("completed", 0)
        values["req_per_s"] = values.get("per_s", 0)
    if problems:
        raise SystemExit("load run failed: %s" % problems)
    return values


def start_perf_record(data, pids):
    record = subprocess.Popen(["perf", "record", "-e", "cpu-clock", "-F", "999", "-g", "-o", str(data),
                               "-p", ",".join(str(p) for p in pids)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(0.5)
    return record


def stop_perf_record(record):
    record.send_signal(2)
    record.wait(timeout=60)


def perf_reports(data, out, name):
    """The three reports of one proxy's samples, written to OUT/perf-NAME*.txt: top functions,
    share by library, inclusive share by function."""

    def report(*options):
        return subprocess.run(["perf", "report", "-i", str(data), "--stdio", "-g", "none", *options],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout

    top = report("--no-children", "--percent-limit", "0.7", "--sort", "dso,symbol")
    by_dso = report("--no-children", "--sort", "dso")
    inclusive = report("--children", "--sort", "symbol")
    for suffix, text in (("", top), ("-dso", by_dso), ("-inclusive", inclusive)):
        (out / ("perf-%s%s.txt" % (name, suffix))).write_text(text)
    return top, by_dso, inclusive


def run_perf(env, peer, args, out):
    data = out / ("perf-%s.data" % peer.name)
    record = start_perf_record(data, procstat.process_tree(peer.pid))
    values = load(env, peer, args.seconds, args.connections)
    stop_perf_record(record)
    top, by_dso, inclusive = perf_reports(data, out, peer.name)
    print("requests: %d (%.0f/s)" % (values["requests"], values["req_per_s"]))
    for text in (by_dso, top):
        print("\n".join(line[:150] for line in text.splitlines() if line.strip() and not line.startswith("#")))
    print_kernel_split(by_dso, inclusive, values.get("cpu_us_per_request"))


def run_perf_side_by_side(env, espd, peer, args, out):
    """perf on espd and a peer while both serve the bench's side-by-side job (half the fixed rate
    each, at the same time on the proxy CPU): the split of each one's time measured in the same
    seconds of the machine."""
    # One recording per proxy (perf report's thread filters drop kernel samples here).
    data = {proxy.name: out / ("perf-%s-beside.data" % proxy.name) for proxy in (espd, peer)}
    records = [start_perf_record(data[proxy.name], procstat.process_tree(proxy.pid)) for proxy in (espd, peer)]
    values, problems = jobs.http1_side_by_side(env, espd, peer, args.seconds, args.connections, RATE)
    for record in records:
        stop_perf_record(record)
    if problems:
        raise SystemExit("load run failed: %s" % problems)
    cpu = {espd.name: values.get("espd_cpu_us_per_request"), peer.name: values.get("cpu_us_per_request")}
    served = {espd.name: values.get("espd_req_per_s"), peer.name: values.get("req_per_s")}
    for name in (espd.name, peer.name):
        _, by_dso, inclusive = perf_reports(data[name], out, "%s-beside" % name)
        print("\n%s: %.0f req/s, %.1f us of CPU per request" % (name, served[name] or 0, cpu[name] or 0))
        print_kernel_split(by_dso, inclusive, cpu[name])
    if cpu[espd.name] and cpu[peer.name]:
        print("\nespd / %s: %.3f" % (peer.name, cpu[espd.name] / cpu[peer.name]))


# Kernel entry points whose inclusive share says where a proxy's system time goes. A syscall's
# share includes everything done in its context: for a loopback send, the receiving side's TCP
# processing (softirq) and waking the receiver; for epoll_wait, going to sleep and waking up.
KERNEL_SPLIT = (
    ("user space", "(user space)"),
    ("all system calls", "do_syscall_64"),
    ("  send (sendto, sendmsg, write, writev)", ("__x64_sys_sendto", "__x64_sys_sendmsg", "__x64_sys_write",
                                                 "__x64_sys_writev")),
    ("    of which the receiver's TCP input (softirq)", "net_rx_action"),
    ("    of which waking the receiver", "sock_def_readable"),
    ("  receive (recvfrom, recvmsg, read, readv)", ("__x64_sys_recvfrom", "__x64_sys_recvmsg", "__x64_sys_read",
                                                    "__x64_sys_readv")),
    ("  epoll_wait", ("__x64_sys_epoll_wait", "__x64_sys_epoll_pwait")),
    # Names as this kernel (6.18) has them; other builds may not have the .isra clone.
    ("    of which asleep and waking up (schedule)", ("schedule_hrtimeout_range_clock",
                                                      "schedule_hrtimeout_range")),
    ("    of which polling the ready sockets", ("ep_item_poll.isra.0", "ep_item_poll")),
    ("  epoll_ctl", "__x64_sys_epoll_ctl"),
    ("  accept", ("__x64_sys_accept4", "__x64_sys_accept")),
)


def print_kernel_split(by_dso, inclusive_report, cpu_us_per_request):
    """Share of the proxy's samples in user space and under each KERNEL_SPLIT entry point (perf
    --children), and as microseconds per request when the job measured the proxy's CPU per
    request."""
    kernel = sum(float(m.group(1)) for m in re.finditer(r"([\d.]+)%\s+\[kernel", by_dso))
    shares = {"(user space)": 100.0 - kernel}
    for line in inclusive_report.splitlines():
        match = re.match(r"\s+([\d.]+)%\s+[\d.]+%\s+\[k\] (\S+)", line)
        if match:
            shares.setdefault(match.group(2), float(match.group(1)))
    print("\nwhere the proxy's time goes (share of its samples%s):" %
          (", and us per request" if cpu_us_per_request else ""))
    for label, symbols in KERNEL_SPLIT:
        names = (symbols,) if isinstance(symbols, str) else symbols
        share = sum(shares.get(name, 0.0) for name in names)
        per_request = " %6.1f us" % (share / 100 * cpu_us_per_request) if cpu_us_per_request else ""
        print("  %-50s %5.1f %%%s" % (label, share, per_request))


def run_strace(env, peer, args, out):
    log = out / ("strace-%s.txt" % peer.name)
    attach = [arg for pid in procstat.process_tree(peer.pid) for arg in ("-p", str(pid))]
    trace = subprocess.Popen(["strace", "-c", "-f", "-o", str(log), *attach],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    values = load(env, peer, args.seconds, args.connections)
    trace.send_signal(2)
    trace.wait(timeout=60)
    requests = values["requests"]
    print("requests: %d; syscalls per request:" % requests)
    for line in log.read_text().splitlines():
        fields = line.split()
        if len(fields) >= 5 and fields[0][0].isdigit() and fields[-1] != "total":
            calls = int(fields[3])
            print("  %-16s %7.2f" % (fields[-1], calls / requests))
        elif fields and fields[-1] == "total":
            print("  %-16s %7.2f  (%d failed, e.g. EAGAIN)" % ("total", int(fields[3]) / requests, int(fields[4])))


ALLOCATORS = {"malloc", "calloc", "realloc", "posix_memalign", "aligned_alloc"}


def callgrind_calls(path, names):
    """Calls into the functions named `names`, summed over every call site of a callgrind file.
    Names are compressed: "(id) name" the first time an id appears (as fn= or cfn=), "(id)" after."""
    ids, total, target = {}, 0, None
    with open(path, errors="replace") as f:
        for line in f:
            match = re.match(r"(c?fn)=\((\d+)\)(?: (.*))?", line.strip())
            if match:
                if match.group(3):
                    ids[match.group(2)] = match.group(3)
                if match.group(1) == "cfn":
                    target = ids.get(match.group(2))
            elif line.startswith("calls=") and target in names:
                total += int(line.split("=", 1)[1].split()[0])
    return total


def run_callgrind(env, args, out):
    """Instructions and heap allocations per request: independent of the machine's load."""
    peer = PEERS[args.peer](env, args.workers)
    peer.extra_env = preload_env(args)
    prefix = "callgrind-%s-%s" % (peer.name, JOB)
    for old in out.glob(prefix + ".*"):
        old.unlink()
    original = peer.argv
    peer.argv = lambda: ["valgrind", "--tool=callgrind", "--instr-atstart=no", "--trace-children=yes",
                         "--callgrind-out-file=%s" % (out / (prefix + ".%p.out")), *original()]

    def control(pids, *command):
        for pid in pids:
            subprocess.run(["callgrind_control", *command, str(pid)], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)

    with peer:
        # Warm: handshakes, pools, buffers. The HTTP/2 job needs its own warm-up: 256 streams at
        # once open 256 real-server connections, each a full handshake, slow under valgrind.
        if JOB == "h2":
            jobs.http2(env, peer, args.warm_seconds, 8, 32)
        else:
            jobs.http1_keepalive(env, peer, args.warm_seconds, args.connections)
        pids = procstat.process_tree(peer.pid)  # nginx and nghttpx: a master and a worker
        control(pids, "-i", "on")
        values = load(env, peer, args.seconds, args.connections)
        control(pids, "-d")
        control(pids, "-i", "off")
    # The explicit dumps (not the files written at exit), one per process.
    dumps = [p for p in out.glob(prefix + ".*.out.*") if "Trigger: dump" in p.read_text(errors="replace")[:2000]]
    requests = values["requests"]
    totals = {p: int(re.search(r"^(?:summary|totals): (\d+)", p.read_text(errors="replace"), re.M).group(1))
              for p in dumps}
    instructions = sum(totals.values())
    allocations = sum(callgrind_calls(p, ALLOCATORS) for p in dumps)
    print("%s: requests: %d; instructions per request: %.0f; heap allocations per request: %.2f" % (
        peer.name, requests, instructions / requests, allocations / requests))
    busiest = max(totals, key=totals.get)
    for inclusive in ("no", "yes"):
        annotate = subprocess.run(["callgrind_annotate", "--inclusive=%s" % inclusive, "--threshold=95", str(busiest)],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
        name = "%s-%s.txt" % (prefix, "inclusive" if inclusive == "yes" else "self")
        (out / name).write_text(annotate)
        print("--- %s (Ir per request, function)" % name)
        shown = 0
        for line in annotate.splitlines():
            match = re.match(r"\s*([\d,]+) \([^)]*\)\s+(\S.*)", line)
            if match and shown < 40:
                count = int(match.group(1).replace(",", ""))
                print("  %9.0f  %s" % (count / requests, match.group(2)[:140]))
                shown += 1


def preload_env(args):
    return {"LD_PRELOAD": str(Path(args.preload).resolve())} if args.preload else {}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("tool", choices=["perf", "strace", "callgrind"])
    parser.add_argument("--peer", default="espd", choices=sorted(PEERS))
    parser.add_argument("--espd", default=str(SOURCE_ROOT / "build-release/espd"))
    parser.add_argument("--workdir", default=str(SOURCE_ROOT / "build/bench"))
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--warm-seconds", type=int, default=2, help="callgrind: load before collecting")
    parser.add_argument("--job", default="h1", choices=["h1", "h1_rate", "h2", "hs_ecdsa", "hs_rsa"],
                        help="h1: HTTP/1.1 keep-alive (figure 1); h1_rate: the same at a fixed rate (figure 4); "
                             "h2: HTTP/2, h2load 8 x 32 streams (figure 2); hs_*: full handshakes (figure 3)")
    parser.add_argument("--fixed-rate", type=int, default=8000, help="h1_rate: requests/s offered")
    parser.add_argument("--beside", choices=sorted(set(PEERS) - {"espd"}),
                        help="perf, --job h1_rate: profile espd and this peer at the same time, each "
                             "serving half the fixed rate (the bench's h1_side job)")
    parser.add_argument("--preload", help="a shared object preloaded into the proxy (experiments: what a "
                                          "change would gain, measured before the change is made)")
    args = parser.parse_args()
    if args.beside and (args.tool != "perf" or args.job != "h1_rate"):
        parser.error("--beside works with perf and --job h1_rate only")
    global JOB, RATE
    JOB, RATE = args.job, args.fixed_rate
    env = Environment(args.workdir, args.espd, None)
    env.prepare()
    out = Path(args.workdir).resolve() / "profile"
    out.mkdir(parents=True, exist_ok=True)
    env.start_real_servers()
    try:
        if args.tool == "callgrind":
            run_callgrind(env, args, out)
            return
        if args.beside:
            espd, other = PEERS["espd"](env, args.workers), PEERS[args.beside](env, args.workers)
            espd.extra_env = preload_env(args)
            with espd, other:
                for proxy in (espd, other):
                    jobs.http1_keepalive(env, proxy, 1, args.connections)  # warm: pools, buffers
                run_perf_side_by_side(env, espd, other, args, out)
            return
        peer = PEERS[args.peer](env, args.workers)
        peer.extra_env = preload_env(args)
        with peer:
            jobs.http1_keepalive(env, peer, 1, args.connections)  # warm: pools, buffers
            (run_perf if args.tool == "perf" else run_strace)(env, peer, args, out)
    finally:
        env.stop_real_servers()


if __name__ == "__main__":
    main()
