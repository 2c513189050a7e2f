"""On-disk ETag cache: an unchanged resource costs one conditional request.

Each entry is two files named by the SHA-256 of the request (method, URL
with sorted query, Accept): ``<key>.body`` and ``<key>.meta`` (JSON: url,
etag, the few headers a caller needs such as ``X-Total-Count``, and the
body's length and SHA-256). Both are written atomically, body first; a
reader checks the body against the meta and treats any mismatch as a miss,
so a crash between the two writes or a damaged file never serves wrong data.
Tokens are never part of a key or an entry.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Mapping, Optional, Union

import orjson

from ._body import atomic_write_bytes

__all__ = ["CacheEntry", "ETagCache"]

#: response headers kept with an entry
KEPT_HEADERS = ("content-type", "x-total-count", "etag")


@dataclass(frozen=True)
class CacheEntry:
    """A cached response: its ETag, kept headers and body."""

    etag: str
    headers: Dict[str, str]
    body: bytes


class ETagCache:
    """A folder of ETag-validated responses (see the module docstring)."""

    def __init__(self, directory: Union[str, "os.PathLike[str]"]) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    @staticmethod
    def key(method: str, url: str, accept: str = "") -> str:
        """The entry name for a request."""
        return hashlib.sha256(f"{method.upper()}\n{url}\n{accept}".encode("utf-8")).hexdigest()

    def get(self, key: str) -> Optional[CacheEntry]:
        """The entry for ``key``, or None when missing or inconsistent."""
        try:
            meta = orjson.loads((self.directory / f"{key}.meta").read_bytes())
            body = (self.directory / f"{key}.body").read_bytes()
        except (OSError, orjson.JSONDecodeError):
            return None
        if not isinstance(meta, dict) or not isinstance(meta.get("etag"), str):
            return None
        if meta.get("size") != len(body) or meta.get("sha256") != hashlib.sha256(body).hexdigest():
            return None
        headers = meta.get("headers")
        if not isinstance(headers, dict):
            headers = {}
        return CacheEntry(meta["etag"], {str(k): str(v) for k, v in headers.items()}, body)

    def put(self, key: str, url: str, etag: str, headers: Mapping[str, str], body: bytes) -> None:
        """Store a response (atomically, body first)."""
        kept = {h: headers[h] for h in KEPT_HEADERS if h in headers}
        meta = {
            "url": url,
            "etag": etag,
            "headers": kept,
            "size": len(body),
            "sha256": hashlib.sha256(body).hexdigest(),
        }
        atomic_write_bytes(self.directory / f"{key}.body", body)
        atomic_write_bytes(self.directory / f"{key}.meta", orjson.dumps(meta))

    def clear(self) -> None:
        """Remove every entry."""
        for p in self.directory.iterdir():
            if p.suffix in (".body", ".meta"):
                try:
                    p.unlink()
                except FileNotFoundError:
                    pass
