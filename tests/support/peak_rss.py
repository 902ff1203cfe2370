"""The peak RSS of espd while something runs, sampled on a thread (a figure, not a timing)."""

import threading


class PeakRss:
    """Samples espd's RSS on a thread while a transfer runs (the figure, not a timing)."""

    def __init__(self, espd):
        self.espd = espd
        self.peak = espd.rss_kib()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self.espd.rss_kib())

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
