"""Fixtures of the HTTP-layer tests: real servers on loopback, never the internet.

- ``httpserver`` (pytest-httpserver) answers with the documents' example
  bodies (tests/api/data/*.json, extracted by data/extract_from_spec.py).
- ``raw_server`` is a bare socket server for faults no HTTP framework will
  produce: a reset in the middle of a body, a truncated gzip stream, a
  server that is too slow.
- ``sleeps`` records the waits a client asked for; no test really waits
  for a retry.
"""
from __future__ import annotations

import json
import socket
import struct
import threading
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import pytest

from bimgeo.api import Client, RetryPolicy

DATA = Path(__file__).parent / "data"
TEAM = "bimplus"
TOKEN = "9c1874a62c974dcfa75e0132c423a088"

_ENV = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "no_proxy",
    "BIMPLUS_TOKEN",
    "BIMPLUS_API_URL",
    "ITWIN_API_URL",
    "ITWIN_TOKEN",
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxies, tokens or base URLs from the environment."""
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)


def load(name: str) -> Any:
    """A fixture body from tests/api/data."""
    return json.loads((DATA / f"{name}.json").read_text("utf-8"))


class Sleeps(list):
    """The delays a client asked to sleep (it does not really sleep)."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)

    async def async_sleep(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def policy(sleeps: Sleeps) -> RetryPolicy:
    import random

    return RetryPolicy(attempts=3, sleep=sleeps, async_sleep=sleeps.async_sleep, rng=random.Random(1))


@pytest.fixture
def base_url(httpserver: Any) -> str:
    return httpserver.url_for("/v2")


@pytest.fixture
def client(httpserver: Any, policy: RetryPolicy, tmp_path: Path):
    c = Client(
        TOKEN,
        team=TEAM,
        base_url=httpserver.url_for("/v2"),
        itwin_base_url=httpserver.url_for("/itwin"),
        retries=policy,
        timeout=2.0,
    )
    yield c
    c.close()


# --- a bare socket server -----------------------------------------------------------------------

Handler = Callable[[socket.socket, bytes, int], None]


class RawServer:
    """Accepts connections on 127.0.0.1 and lets ``handler(conn, request_head, n)``
    write whatever bytes it likes; ``n`` counts the requests so far (from 1)."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.count = 0
        self.requests: List[bytes] = []
        self._lock = threading.Lock()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.5)
        self._stop = threading.Event()
        self._threads: List[threading.Thread] = []
        self._accept = threading.Thread(target=self._loop, daemon=True)
        self._accept.start()

    @property
    def url(self) -> str:
        host, port = self._sock.getsockname()
        return f"http://{host}:{port}/v2"

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            t = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(t)
            t.start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(2.0)
        try:
            head = b""
            while b"\r\n\r\n" not in head:
                data = conn.recv(65536)
                if not data:
                    return
                head += data
            with self._lock:
                self.count += 1
                n = self.count
                self.requests.append(head)
            self.handler(conn, head, n)
        except OSError:
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def close(self) -> None:
        self._stop.set()
        try:
            self._sock.shutdown(socket.SHUT_RDWR)  # wakes a blocked accept() at once
        except OSError:
            pass
        self._sock.close()
        self._accept.join(2)
        for t in self._threads:
            t.join(2)


def reset(conn: socket.socket) -> None:
    """Close with RST instead of FIN."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def http_head(status: int, headers: Optional[Dict[str, str]] = None, reason: str = "X") -> bytes:
    lines = [f"HTTP/1.1 {status} {reason}"] + [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


@pytest.fixture
def raw_server():
    servers: List[RawServer] = []

    def start(handler: Handler) -> RawServer:
        server = RawServer(handler)
        servers.append(server)
        return server

    yield start
    for s in servers:
        s.close()
