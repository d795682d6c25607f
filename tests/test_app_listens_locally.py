"""The app listens on localhost only, wherever the user starts it from (issue 13, item 11).

Streamlit reads ``.streamlit/config.toml`` from the working directory and from the entry
point's folder; ``app/.streamlit/config.toml`` links to the project's, so ``cd /tmp &&
streamlit run /path/to/app/main.py`` keeps ``server.address = "localhost"``. No browser
connects: the test reads the listening sockets from /proc.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOOPBACK = {"0100007F", "00000000000000000000000001000000"}  # 127.0.0.1 and ::1, as /proc has


def listening_addresses(port: int) -> set[str]:
    """Local addresses (hex, as /proc/net/tcp* writes them) listening on ``port``."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, _, hex_port = local.partition(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


def test_started_from_another_folder_the_app_listens_on_localhost_only(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app" / "main.py"),
         "--server.port", str(port)],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not (addresses := listening_addresses(port)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert addresses, "the app did not start listening within 60 s"
        assert addresses <= LOOPBACK, f"listening beyond localhost: {addresses}"
    finally:
        server.terminate()
        server.wait(timeout=30)
