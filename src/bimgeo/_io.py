"""Atomic file output shared by every writer.

A writer produces bytes (or an iterable of byte chunks); these helpers put
them on disk so that a reader never sees a partial file: the data go to a
temporary file in the destination's directory, are flushed and fsynced, and
the temporary file is then renamed over the destination with
``os.replace`` (atomic on POSIX and Windows for paths on one filesystem).
On any failure the temporary file is removed and the destination, if it
existed, is left untouched.
"""
from __future__ import annotations

import os
import tempfile
from typing import Any, Iterable, List, Mapping, Tuple, Union

__all__ = ["atomic_write", "atomic_write_many"]

Data = Union[bytes, bytearray, memoryview, Iterable[Union[bytes, bytearray, memoryview]]]
PathLike = Union[str, "os.PathLike[str]"]


def _write_temp(path: str, data: Data) -> str:
    """Write ``data`` to a new temporary file beside ``path``; return its name (fsynced, closed)."""
    directory = os.path.dirname(os.path.abspath(path))
    base = os.path.basename(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{base}.", suffix=".tmp", dir=directory)
    done = False
    try:
        with os.fdopen(fd, "wb") as fh:
            if isinstance(data, (bytes, bytearray, memoryview)):
                fh.write(data)
            else:
                for chunk in data:
                    fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        done = True
    finally:
        if not done:  # also on KeyboardInterrupt: never leave a partial temp file
            _remove(tmp)
    return tmp


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _fsync_dir(directory: str) -> None:
    """Make the rename durable (POSIX); silently skipped where directories cannot be opened."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: PathLike, data: Data) -> None:
    """Write ``data`` (bytes-like, or an iterable of bytes-like chunks) to ``path`` atomically.

    The bytes go to a temporary file in the same directory, which is fsynced
    and then renamed over ``path`` with ``os.replace``. If anything fails
    (including an exception raised while iterating ``data``) the temporary
    file is removed, nothing is left at ``path`` that was not there before,
    and a pre-existing file at ``path`` keeps its old content.
    """
    atomic_write_many({os.fspath(path): data})


def atomic_write_many(files: Mapping[Any, Data]) -> None:
    """Write several files (e.g. ``.obj`` + ``.mtl``) with all-or-nothing staging.

    files: {path (str or os.PathLike): data}. Every file is first written and fsynced to its own temporary file; only
    when all of them succeeded are they renamed into place, in the mapping's
    order (put the file that references the others last). A failure while
    staging removes every temporary file and leaves all destinations as they
    were.
    """
    staged: List[Tuple[str, str]] = []
    directories = set()
    try:
        for path, data in files.items():
            dest = os.fspath(path)
            staged.append((_write_temp(dest, data), dest))
        for tmp, dest in staged:
            os.replace(tmp, dest)
            directories.add(os.path.dirname(os.path.abspath(dest)))
        staged = []
    finally:
        for tmp, _ in staged:
            _remove(tmp)
    for directory in sorted(directories):
        _fsync_dir(directory)
