"""CPU time and memory of a proxy: the process and all its descendants (nginx and nghttpx fork
workers), read from /proc."""

import os
import threading
import time

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def process_tree(pid):
    """pid and every descendant that exists now."""
    pids, pending = [], [pid]
    while pending:
        current = pending.pop()
        pids.append(current)
        try:
            for task in os.listdir("/proc/%d/task" % current):
                with open("/proc/%d/task/%s/children" % (current, task)) as f:
                    pending.extend(int(child) for child in f.read().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return pids


def cpu_seconds(pid):
    """utime + stime of the tree (all threads), in seconds."""
    total = 0
    for member in process_tree(pid):
        try:
            with open("/proc/%d/stat" % member) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / CLOCK_TICKS


def rss_bytes(pid):
    """Resident memory of the tree."""
    total = 0
    for member in process_tree(pid):
        try:
            with open("/proc/%d/statm" % member) as f:
                total += int(f.read().split()[1]) * PAGE_SIZE
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def _cpu_jiffies(cpus):
    """(used, available) jiffies of the given CPUs since boot, from /proc/stat. Time the hypervisor
    stole is neither: the CPU was not ours to use."""
    used = available = 0
    wanted = {"cpu%d" % c for c in cpus}
    with open("/proc/stat") as f:
        for line in f:
            words = line.split()
            if words and words[0] in wanted:
                user, nice, system, idle, iowait, irq, softirq, steal = (int(w) for w in words[1:9])
                used += user + nice + system + irq + softirq
                available += user + nice + system + irq + softirq + idle + iowait
    return used, available


class CpuMeter:
    """CPU used during a job: the proxy's own (its process tree) and how busy the CPUs of the other
    side (load generator, real servers) were. When the other side is near 1.0 and the proxy is
    not, the other side bounds the rate, not the proxy."""

    def __init__(self, pid, other_cpus):
        self.pid = pid
        self.other_cpus = other_cpus

    def __enter__(self):
        self._started = time.monotonic()
        self._proxy = cpu_seconds(self.pid)
        self._others = _cpu_jiffies(self.other_cpus)
        return self

    def __exit__(self, *exc):
        self.seconds = time.monotonic() - self._started
        self.proxy_cpu_s = cpu_seconds(self.pid) - self._proxy
        used, available = (after - before for after, before in zip(_cpu_jiffies(self.other_cpus), self._others))
        self.others_busy = used / available if available else None

    def fields(self):
        """The meter's readings as result fields."""
        values = {"proxy_cpu_s": self.proxy_cpu_s, "proxy_cpu_busy": self.proxy_cpu_s / self.seconds}
        if self.others_busy is not None:
            values["others_cpu_busy"] = self.others_busy
        return values


class RssSampler:
    """Samples the tree's RSS on a thread and keeps the peak."""

    def __init__(self, pid, interval=0.02):
        self.pid = pid
        self.interval = interval
        self.peak = rss_bytes(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes(self.pid))
            time.sleep(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes(self.pid))
