"""A stand-in for an attacker's or a database's host: a 127.0.0.1 port that counts connections.

The hostile tests prove that opening a link makes no connection (the server does not reach a
storage, the browser fetches no image) by pointing the link here and counting.
"""

from __future__ import annotations

import socket
import threading
import time


class Listener:
    """A TCP listener on 127.0.0.1 that counts connections and closes each at once."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])
        self.count = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.count += 1
            conn.close()

    def wait_for(self, at_least: int, limit: float = 30.0) -> int:
        deadline = time.monotonic() + limit
        while self.count < at_least and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.count

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()
