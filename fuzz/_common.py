"""Shared plumbing of the fuzz harnesses (see fuzz/README.md).

Each harness ``fuzz/fuzz_<name>.py`` defines ``TestOneInput(data: bytes)`` and
ends with ``main(TestOneInput)``. Under atheris (libFuzzer) that fuzzes with
coverage feedback; without atheris (``--mutate SECONDS``, or when atheris is
not installed) a small seeded mutator runs the same harness over the seed
corpus, so CI can smoke-test on any Python.

Contract checked by every harness: a decoder fed arbitrary bytes returns or
raises a ``bimgeo.BimgeoError`` subclass (DecodeError, LimitError,
UnsupportedError). Any other exception is a finding, and so is a crash, a
hang (libFuzzer -timeout) or runaway memory (-rss_limit_mb).
"""
from __future__ import annotations

import math
import os
import random
import struct
import sys
import time
from typing import Any, Callable, Iterator, List, Optional, Sequence

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

try:  # pragma: no cover - depends on the environment
    import atheris  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover
    atheris = None


def _fuzzing() -> bool:
    """True when this process is a harness run under atheris (not a replay, the mutator, or an import from tests).

    Instrumented code records every comparison for libFuzzer; outside
    ``atheris.Fuzz()`` that only costs time and memory, so it is off then.
    """
    if atheris is None or os.environ.get("FUZZ_INSTRUMENT", "1") == "0":
        return False
    main = os.path.basename(sys.argv[0]) if sys.argv else ""
    args = sys.argv[1:2]
    return main.startswith("fuzz_") and main.endswith(".py") and not (args and args[0] in ("--replay", "--mutate"))


def import_bimgeo() -> Any:
    """Import bimgeo, with atheris' coverage instrumentation of its Python code when fuzzing."""
    if _fuzzing() and "bimgeo" not in sys.modules:
        with atheris.instrument_imports(include=["bimgeo"]):
            import bimgeo  # noqa: F401
    import bimgeo

    return bimgeo


bimgeo = import_bimgeo()
ACCEPTED = (bimgeo.BimgeoError,)


class Provider:
    """Turns fuzz bytes into values, deterministically, without atheris.

    Reads from the front; when the bytes run out every consumer returns a
    fixed default (0, 0.0, b""), so any input is a valid program.
    """

    def __init__(self, data: bytes) -> None:
        self.data = bytes(data)
        self.pos = 0

    def remaining(self) -> int:
        return len(self.data) - self.pos

    def bytes(self, n: int) -> bytes:
        n = max(0, min(n, self.remaining()))
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def rest(self) -> bytes:
        return self.bytes(self.remaining())

    def uint(self, nbytes: int = 1) -> int:
        return int.from_bytes(self.bytes(nbytes).ljust(nbytes, b"\0"), "little")

    def int_in(self, lo: int, hi: int) -> int:
        """An int in [lo, hi]."""
        span = hi - lo + 1
        nbytes = max(1, (span.bit_length() + 7) // 8)
        return lo + self.uint(nbytes) % span

    def choice(self, seq: Sequence[Any]) -> Any:
        return seq[self.int_in(0, len(seq) - 1)]

    def float(self) -> float:
        """A float that is sometimes special (nan, inf, huge, tiny, -0.0), else a plain one."""
        kind = self.uint(1)
        if kind < 16:
            return [math.nan, math.inf, -math.inf, 1e308, -1e308, 5e-324, -0.0, 0.0, 1e16, 2.0**53, 0.5, -1.0, 1.0, 1e-9, 3.0, 7.0][kind]
        if kind < 64:
            return struct.unpack("<d", self.bytes(8).ljust(8, b"\0"))[0]
        return float(self.int_in(-100000, 100000)) / 4.0

    def weird(self) -> Any:
        """A JSON-ish value of any type, for type-confusion mutations."""
        kind = self.uint(1) % 14
        return [
            None,
            True,
            False,
            0,
            -1,
            2**31,
            2**64 + 1,
            self.float(),
            "",
            "x" * self.int_in(0, 64),
            [],
            {},
            [self.int_in(-3, 3) for _ in range(self.int_in(0, 8))],
            self.bytes(self.int_in(0, 16)).decode("latin-1"),
        ][kind]


def mutate_json(obj: Any, p: Provider, budget: int = 4) -> Any:
    """Replace up to ``budget`` nodes of a JSON tree, chosen by ``p``, with ``p.weird()`` values (copy-on-write)."""
    for _ in range(p.int_in(1, budget)):
        obj = _replace_one(obj, p)
    return obj


def _replace_one(obj: Any, p: Provider, depth: int = 0) -> Any:
    if depth > 12 or p.remaining() == 0:
        return obj
    if isinstance(obj, dict) and obj:
        keys = list(obj)
        k = p.choice(keys)
        new = dict(obj)
        action = p.uint(1) % 8
        if action == 0:
            del new[k]
        elif action == 1:
            new[k] = p.weird()
        else:
            new[k] = _replace_one(obj[k], p, depth + 1)
        return new
    if isinstance(obj, list) and obj:
        i = p.int_in(0, len(obj) - 1)
        new = list(obj)
        action = p.uint(1) % 8
        if action == 0:
            del new[i]
        elif action == 1:
            new[i] = p.weird()
        elif action == 2:
            new.append(p.weird())
        else:
            new[i] = _replace_one(obj[i], p, depth + 1)
        return new
    return p.weird()


def call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)``; a BimgeoError (the accepted outcome on bad input) gives None."""
    try:
        return fn(*args, **kwargs)
    except ACCEPTED:
        return None


def outcome(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """("ok", result) or ("error", exception class) — for differential checks between the twins."""
    try:
        return ("ok", fn(*args, **kwargs))
    except ACCEPTED as exc:
        return ("error", type(exc))


def same(a: Any, b: Any) -> bool:
    """Equality that treats numpy arrays (and tuples of them) elementwise, NaN equal to NaN."""
    import numpy as np

    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.shape == b.shape and a.dtype == b.dtype and bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    slots = getattr(type(a), "__slots__", None)
    if slots and type(a) is type(b) and type(a).__module__.startswith("bimgeo"):
        # Polyhedron, Mesh, CountArray, WireInfo: field by field (NaN points compare equal)
        return all(same(getattr(a, s), getattr(b, s)) for s in slots if not s.startswith("__"))
    return bool(a == b)


def twins(name: str) -> List[Any]:
    """The modules implementing ``name`` ("nrbf", "triangulate", "threejs"): compiled first, then pure.

    Missing ones are left out, so a harness keeps working while a twin is
    being written. Set FUZZ_DIFF=0 to fuzz only the active implementation.
    """
    from bimgeo import _backend

    if os.environ.get("FUZZ_DIFF", "1") == "0":
        try:
            return [_backend.get(name)]
        except KeyError:
            return []
    out = []
    for impl in ("cython", "python"):
        try:
            mod = _backend.modules(impl).get(name)
        except ImportError:
            continue
        if mod is not None:
            out.append(mod)
    return out


def has_backend(name: str) -> bool:
    """True when the active implementation has module ``name`` (a twin may not have landed yet)."""
    from bimgeo import _backend

    try:
        _backend.get(name)
    except KeyError:
        return False
    return True


def differential(label: str, results: Sequence[Any]) -> None:
    """Raise when the implementations disagree (one raised, one did not, or different results)."""
    first = results[0]
    for other in results[1:]:
        if first[0] != other[0] or not same(first[1], other[1]):
            raise AssertionError(f"{label}: compiled and pure-Python twins disagree: {first!r} != {other!r}")


# ---------------------------------------------------------------------------
# running
# ---------------------------------------------------------------------------


def corpus_files(dirs: Sequence[str]) -> List[str]:
    out = []
    for d in dirs:
        if os.path.isfile(d):
            out.append(d)
        elif os.path.isdir(d):
            for root, _, files in os.walk(d):
                out.extend(os.path.join(root, f) for f in sorted(files))
    return out


def _mutations(seed: bytes, rng: random.Random) -> bytes:
    """One random edit of a seed: flip, set, insert, delete, duplicate a span, splice in an interesting int."""
    b = bytearray(seed)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(7)
        if not b:
            b += bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 16)))
            continue
        i = rng.randrange(len(b))
        if op == 0:
            b[i] ^= 1 << rng.randrange(8)
        elif op == 1:
            b[i] = rng.getrandbits(8)
        elif op == 2:
            b[i:i] = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 8)))
        elif op == 3:
            del b[i : i + rng.randint(1, 16)]
        elif op == 4:
            j = rng.randrange(len(b))
            b[j:j] = b[i : i + rng.randint(1, 32)]
        elif op == 5:
            v = rng.choice([0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 2**31 - 2])
            b[i : i + 4] = v.to_bytes(4, "little")
        else:
            del b[i:]
    return bytes(b)


def mutate_run(test_one_input: Callable[[bytes], None], corpus: Sequence[str], seconds: float, seed: int) -> int:
    """Fallback fuzzer without atheris: seeds, then seeded random mutations of them, for ``seconds``.

    Prints the reproducer's path (written to ``fuzz/artifacts/``) and returns 1
    on the first finding, else 0.
    """
    import hashlib
    import traceback

    rng = random.Random(seed)
    seeds = [open(f, "rb").read() for f in corpus_files(corpus)] or [b""]
    deadline = time.monotonic() + seconds
    n = 0

    def run(data: bytes) -> bool:
        try:
            test_one_input(data)
        except Exception:  # noqa: BLE001 - any escape is the finding
            os.makedirs(os.path.join(HERE, "artifacts"), exist_ok=True)
            path = os.path.join(HERE, "artifacts", "crash-" + hashlib.sha1(data).hexdigest())
            with open(path, "wb") as f:
                f.write(data)
            traceback.print_exc()
            print(f"== finding after {n} executions; reproducer: {path}", file=sys.stderr)
            return False
        return True

    for s in seeds:
        n += 1
        if not run(s):
            return 1
    while time.monotonic() < deadline:
        n += 1
        if not run(_mutations(rng.choice(seeds), rng)):
            return 1
    print(f"== {n} executions in {seconds:.0f} s, no finding (mutator, seed {seed})", file=sys.stderr)
    return 0


def main(test_one_input: Callable[[bytes], None], missing: Sequence[str] = ()) -> None:
    """Entry point of a harness: atheris when installed, else the fallback mutator.

    ``missing`` names what the harness needs but bimgeo lacks: then it
    prints SKIPPED and exits 0.
    ``python fuzz/fuzz_x.py [libFuzzer flags] [corpus dirs]`` under atheris;
    ``python fuzz/fuzz_x.py --mutate SECONDS [--seed N] [corpus dirs]`` forces the
    fallback; ``python fuzz/fuzz_x.py --replay FILE...`` runs inputs once each.
    """
    argv = sys.argv[1:]
    if missing:
        # The decoder under test has not landed (yet): say so, and succeed.
        print(f"SKIPPED: bimgeo lacks {', '.join(missing)}")
        sys.exit(0)
    if argv and argv[0] == "--replay":
        for path in argv[1:]:
            with open(path, "rb") as f:
                test_one_input(f.read())
        print(f"replayed {len(argv) - 1} inputs: ok")
        return
    if atheris is None or (argv and argv[0] == "--mutate"):
        seconds, seed, rest = 10.0, 0, list(argv)
        if rest and rest[0] == "--mutate":
            seconds = float(rest[1])
            rest = rest[2:]
        if rest and rest[0] == "--seed":
            seed = int(rest[1])
            rest = rest[2:]
        rest = [a for a in rest if not a.startswith("-")]
        sys.exit(mutate_run(test_one_input, rest, seconds, seed))
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


def iter_seeds(harness: str) -> Iterator[bytes]:
    """The seed corpus of a harness (fuzz/corpus/<harness>), for regression tests."""
    d = os.path.join(HERE, "corpus", harness)
    for f in corpus_files([d]):
        with open(f, "rb") as fh:
            yield fh.read()

