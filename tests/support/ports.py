"""Free TCP ports on loopback for test listeners."""

import socket


def free_port(host="127.0.0.1"):
    """A port that was free a moment ago (callers retry on EADDRINUSE)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]
