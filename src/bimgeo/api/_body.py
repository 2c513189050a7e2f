"""Response bodies: our own content decoding (so that a truncated gzip stream
is an error, not a silently short body) and sinks that collect a body in
memory or in a temporary file that only becomes the target on success.
"""
from __future__ import annotations

import os
import tempfile
import zlib
from pathlib import Path
from typing import IO, List, Optional, Union

from ._errors import IncompleteResponseError

__all__ = ["BodyDecoder", "FileSink", "MemorySink", "atomic_write_bytes"]

#: what we ask servers for; we decode these ourselves
ACCEPT_ENCODING = "gzip, deflate"


class BodyDecoder:
    """Decode a ``Content-Encoding`` (identity, gzip, deflate) chunk by chunk and
    check at the end that a compressed stream was complete."""

    def __init__(self, content_encoding: Optional[str]) -> None:
        codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        if len(codings) > 1:
            raise IncompleteResponseError(f"unsupported Content-Encoding {content_encoding!r}")
        self._coding = codings[0] if codings else None
        if self._coding not in (None, "gzip", "x-gzip", "deflate"):
            raise IncompleteResponseError(f"unsupported Content-Encoding {content_encoding!r}")
        self._obj: Optional["zlib._Decompress"] = None
        self._seen = False
        if self._coding is not None:
            self._obj = self._new()

    def _new(self) -> "zlib._Decompress":
        if self._coding == "deflate":
            return zlib.decompressobj()
        return zlib.decompressobj(zlib.MAX_WBITS | 16)

    def feed(self, data: bytes) -> bytes:
        """Decoded bytes for the raw ``data``."""
        if self._obj is None or not data:
            return data
        out: List[bytes] = []
        try:
            if self._coding == "deflate" and not self._seen:
                self._seen = True
                # servers send either zlib-wrapped or raw deflate
                if data and (data[0] & 0x0F) != 8:
                    self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
            while data:
                out.append(self._obj.decompress(data))
                if self._obj.eof and self._obj.unused_data:
                    data = self._obj.unused_data  # next gzip member
                    self._obj = self._new()
                else:
                    data = b""
        except zlib.error as exc:
            raise IncompleteResponseError(f"corrupt {self._coding} body: {exc}") from exc
        return b"".join(out)

    def finish(self) -> bytes:
        """Remaining bytes; raises IncompleteResponseError if the stream stopped early."""
        if self._obj is None:
            return b""
        try:
            tail = self._obj.flush()
        except zlib.error as exc:
            raise IncompleteResponseError(f"corrupt {self._coding} body: {exc}") from exc
        if not self._obj.eof:
            raise IncompleteResponseError(f"truncated {self._coding} body: the compressed stream ended early")
        return tail


class MemorySink:
    """Collects a body in memory."""

    def __init__(self) -> None:
        self._parts: List[bytes] = []
        self.size = 0

    def write(self, data: bytes) -> None:
        """Append ``data``."""
        if data:
            self._parts.append(data)
            self.size += len(data)

    def getvalue(self) -> bytes:
        """The body so far."""
        return b"".join(self._parts)

    def discard(self) -> None:
        """Forget what was written."""
        self._parts.clear()
        self.size = 0


class FileSink:
    """Writes a body into a temporary file beside ``target``; ``commit`` renames it
    into place (``os.replace``), ``discard`` removes it. Nothing partial is left."""

    def __init__(self, target: Union[str, "os.PathLike[str]"]) -> None:
        self.target = Path(target)
        directory = self.target.parent
        fd, name = tempfile.mkstemp(prefix=f".{self.target.name}.", suffix=".part", dir=directory)
        self._tmp = Path(name)
        self._fh: Optional[IO[bytes]] = os.fdopen(fd, "wb")
        self.size = 0

    def write(self, data: bytes) -> None:
        """Append ``data`` to the temporary file."""
        if data and self._fh is not None:
            self._fh.write(data)
            self.size += len(data)

    def commit(self) -> Path:
        """Flush, fsync and move the temporary file onto the target."""
        fh, self._fh = self._fh, None
        if fh is None:
            raise IncompleteResponseError("download sink already closed")
        ok = False
        try:
            fh.flush()
            os.fsync(fh.fileno())
            fh.close()
            try:
                mode = self.target.stat().st_mode & 0o777
            except OSError:
                mode = 0o644
            os.chmod(self._tmp, mode)
            os.replace(self._tmp, self.target)
            ok = True
        finally:
            if not ok:
                fh.close()
                self._unlink()
        return self.target

    def discard(self) -> None:
        """Close and remove the temporary file."""
        fh, self._fh = self._fh, None
        if fh is not None:
            fh.close()
        self._unlink()

    def _unlink(self) -> None:
        try:
            os.unlink(self._tmp)
        except FileNotFoundError:
            pass


def atomic_write_bytes(path: Union[str, "os.PathLike[str]"], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temp file in the same folder + os.replace)."""
    sink = FileSink(path)
    ok = False
    try:
        sink.write(data)
        result = sink.commit()
        ok = True
    finally:
        if not ok:
            sink.discard()
    return result
