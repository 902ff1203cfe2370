"""A TCP relay in front of a real server that holds every connection until it is opened: it reads
and keeps what arrives (a TLS ClientHello) but forwards nothing, so espd stays in the middle of
connecting for as long as a test needs; once opened it relays both ways. It counts the
connections it holds and those their client (espd) closed while held."""

import socket
import threading

from tests.support.waiting import wait_until


class TcpGate:
    def __init__(self, target_address, target_port):
        self.target = (target_address, target_port)
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.address, self.port = self.listener.getsockname()
        self._opened = threading.Event()
        self._lock = threading.Lock()
        self.held = 0
        self.closed_while_held = 0
        self._sockets = []
        threading.Thread(target=self._accept, daemon=True).start()

    def open(self):
        self._opened.set()

    def wait_held(self, count, timeout=10.0):
        wait_until(lambda: self.held >= count, timeout, "%d connections held by the gate" % count)

    def wait_closed_while_held(self, count, timeout=10.0):
        wait_until(lambda: self.closed_while_held >= count, timeout,
                   "%d held connections closed by their client" % count)

    def close(self):
        self.listener.close()
        for s in self._sockets:
            s.close()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self._sockets.append(client)
            with self._lock:
                self.held += 1
            threading.Thread(target=self._hold, args=(client,), daemon=True).start()

    def _hold(self, client):
        kept = b""
        client.settimeout(0.05)  # a read is how a close is seen; the timeout lets open() be seen
        while not self._opened.is_set():
            try:
                data = client.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                data = b""
            if not data:
                with self._lock:
                    self.closed_while_held += 1
                client.close()
                return
            kept += data
        client.settimeout(None)
        server = socket.create_connection(self.target, timeout=10)
        server.settimeout(None)
        self._sockets.append(server)
        if kept:
            server.sendall(kept)
        threading.Thread(target=self._pipe, args=(server, client), daemon=True).start()
        self._pipe(client, server)

    @staticmethod
    def _pipe(source, sink):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
            sink.shutdown(socket.SHUT_WR)
        except OSError:
            pass
