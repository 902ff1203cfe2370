"""CPU time and memory of a proxy: the process and all its descendants (nginx and nghttpx fork
workers), read from /proc."""

import os
import resource
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


def voluntary_switches(pid):
    """Times the tree's threads blocked (each a wake-up later): voluntary context switches."""
    total = 0
    for member in process_tree(pid):
        try:
            tasks = os.listdir("/proc/%d/task" % member)
        except (FileNotFoundError, ProcessLookupError):
            continue
        for task in tasks:
            try:
                with open("/proc/%d/task/%s/status" % (member, task)) as f:
                    for line in f:
                        if line.startswith("voluntary_ctxt_switches:"):
                            total += int(line.split()[1])
            except (FileNotFoundError, ProcessLookupError):
                continue
    return total


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
    """CPU used during a job: the proxy's own (its process tree), the load side's (the load
    generator, a child of this process that has exited by the end of the job, and the real
    servers' process tree), how often each blocked and was woken again (voluntary context
    switches), and how busy the CPUs of the load side were. When those CPUs are near
    1.0 and the proxy's is not, the load side bounds the rate, not the proxy."""

    def __init__(self, pid, other_cpus, real_servers_pid=None):
        self.pid = pid
        self.other_cpus = other_cpus
        self.real_servers_pid = real_servers_pid

    def _load_side(self):
        """(CPU seconds, wake-ups) of the load side so far."""
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        seconds, wakeups = children.ru_utime + children.ru_stime, children.ru_nvcsw
        if self.real_servers_pid:
            seconds += cpu_seconds(self.real_servers_pid)
            wakeups += voluntary_switches(self.real_servers_pid)
        return seconds, wakeups

    def __enter__(self):
        self._started = time.monotonic()
        self._proxy = cpu_seconds(self.pid)
        self._proxy_wakeups = voluntary_switches(self.pid)
        self._load = self._load_side()
        self._others = _cpu_jiffies(self.other_cpus)
        return self

    def __exit__(self, *exc):
        self.seconds = time.monotonic() - self._started
        self.proxy_cpu_s = cpu_seconds(self.pid) - self._proxy
        self.proxy_wakeups = voluntary_switches(self.pid) - self._proxy_wakeups
        self.load_cpu_s, self.load_wakeups = (after - before for after, before in zip(self._load_side(), self._load))
        used, available = (after - before for after, before in zip(_cpu_jiffies(self.other_cpus), self._others))
        self.others_busy = used / available if available else None

    def fields(self):
        """The meter's readings as result fields."""
        values = {"proxy_cpu_s": self.proxy_cpu_s, "proxy_cpu_busy": self.proxy_cpu_s / self.seconds,
                  "load_cpu_s": self.load_cpu_s, "proxy_wakeups": self.proxy_wakeups,
                  "load_wakeups": self.load_wakeups}
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
