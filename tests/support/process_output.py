"""Reading a child process's output lines on a thread, and waiting for one with a deadline."""

import json
import threading
import time


class LineCollector:
    """Collects lines of a stream as parsed JSON records ({"raw": line} when not JSON)."""

    def __init__(self, stream):
        self.records = []
        self._condition = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, args=(stream,), daemon=True)
        self._thread.start()

    def _run(self, stream):
        for line in iter(stream.readline, b""):
            text = line.decode("utf-8", "replace").rstrip("\n")
            try:
                record = json.loads(text)
                if not isinstance(record, dict):
                    record = {"raw": text}
            except ValueError:
                record = {"raw": text}
            with self._condition:
                self.records.append(record)
                self._condition.notify_all()
        with self._condition:
            self._closed = True
            self._condition.notify_all()

    def wait_for(self, match, timeout=10.0, start=0):
        """The first record at index >= start for which match(record) is true, or raise."""
        deadline = time.monotonic() + timeout
        with self._condition:
            index = start
            while True:
                while index < len(self.records):
                    if match(self.records[index]):
                        return index, self.records[index]
                    index += 1
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._closed:
                    raise TimeoutError("no matching record within %.1f s (%d records, stream %s)" % (
                        timeout, len(self.records), "closed" if self._closed else "open"))
                self._condition.wait(remaining)

    def snapshot(self):
        with self._condition:
            return list(self.records)

    def count(self):
        with self._condition:
            return len(self.records)
