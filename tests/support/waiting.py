"""Waiting for a condition that no event announces (a counter on a real server, say): polled,
with a deadline, never a fixed sleep."""

import time


def wait_until(predicate, timeout=10.0, what="the condition"):
    """Returns the first truthy value of predicate(), polling until `timeout` seconds passed."""
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError("%s did not hold within %.1f s" % (what, timeout))
        time.sleep(delay)
        delay = min(delay * 2, 0.1)
