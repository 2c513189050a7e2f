"""Write the seed corpora of the fuzz harnesses into fuzz/corpus/<harness>/.

    python fuzz/make_corpus.py [--out fuzz/corpus]

Seeds come from the spec samples (package data) and from bimgeo's encoder
(small prisms, a face with holes, a wire, colour and no colour, compress 0),
laid out in each harness's input format (see the harness docstrings). The
corpus is small (a few hundred KiB) and generated, not committed
(fuzz/.gitignore); deterministic: the same files every run.
"""
from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import json
import os
import random
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests"))
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))

import numpy as np  # noqa: E402

import samples  # noqa: E402


def _write(out: str, harness: str, data: bytes) -> None:
    d = os.path.join(out, harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()[:16]), "wb") as f:
        f.write(data)


def encoder_streams():
    """MS-NRBF streams from the encoder: small solids, a holed face, a wire, odd values."""
    try:
        from bimgeo import Polyhedron
        from bimgeo._encode import encode_nrbf

        import workloads as W
    except ImportError as exc:  # encoder not there: spec seeds only
        print(f"make_corpus: no encoder seeds ({exc})", file=sys.stderr)
        return []
    polys = [W.prism_polyhedron(3), W.prism_polyhedron(7), W.holed_plate_polyhedron(2), W.holed_plate_polyhedron(5)]
    # A wire: edges, no faces (a bar path).
    polys.append(Polyhedron(np.array([[0, 0, 0], [0, 0, 1000.0], [500, 0, 1500]]), [[0, 1], [1, 2]], [], [0], id="11111111-2222-4333-8444-555555555555"))
    # Empty polyhedron; a single open face; NaN and huge coordinates.
    polys.append(Polyhedron(np.zeros((0, 3)), np.zeros((0, 2)), [], [0]))
    poly = W.prism_polyhedron(4)
    polys.append(Polyhedron(poly.points, poly.edges, poly.face_edges[: poly.face_offsets[1]], poly.face_offsets[:2], id=poly.id))
    bad = poly.points.copy()
    bad[0] = [np.nan, np.inf, -1e308]
    polys.append(Polyhedron(bad, poly.edges, poly.face_edges, poly.face_offsets, id=poly.id))
    out = []
    for p in polys:
        try:
            out.append(encode_nrbf(p))
        except Exception as exc:  # noqa: BLE001 - an encoder limitation must not stop the corpus
            print(f"make_corpus: skipped a seed polyhedron: {exc}", file=sys.stderr)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(HERE, "corpus"))
    args = ap.parse_args(argv)
    out = args.out
    rng = random.Random(1234)
    spec = samples.spec_samples()
    streams = samples.nrbf_streams() + encoder_streams()
    pictures = samples.pictures()

    # nrbf: whole streams, plus a few prefixes (truncation paths).
    for s in streams:
        _write(out, "nrbf", s)
    for s in samples.nrbf_streams()[:2]:
        for cut in (1, 17, 100, len(s) // 2, len(s) - 1):
            _write(out, "nrbf", s[:cut])

    # meshblob: mode byte + payload (see fuzz_meshblob.py).
    for p in pictures:
        _write(out, "meshblob", b"\0" + p.encode())
        _write(out, "meshblob", b"\4\1" + p.encode())
    for s in streams[:8]:
        _write(out, "meshblob", b"\1" + s)
        _write(out, "meshblob", b"\2" + gzip.compress(s, mtime=0))
        _write(out, "meshblob", b"\3" + s)
    _write(out, "meshblob", b"\4\2" + pictures[0].encode())

    # threejs: header (mode, uv layers, 4 table sizes, n_vertices u16) + stream.
    for key in ("threejs", "threejs_properties"):
        for obj in spec[key]["objects"]:
            t = obj.get("attributes", {}).get("geometry", {}).get("threejs")
            if not t:
                continue
            nv = len(t["vertices"]) // 3
            head = bytes([0, 1, 255, 255, 255, 255]) + struct.pack("<H", nv)
            _write(out, "threejs", head + np.asarray(t["faces"], dtype="<i4").tobytes())
    for flag in range(256):  # one face of each flag word, items within small tables
        items = [flag] + [1] * 40
        head = bytes([0, 1, 8, 8, 8, 8]) + struct.pack("<H", 8)
        _write(out, "threejs", head + np.asarray(items, dtype="<i4").tobytes())

    # load: mode 0 + a whole response; mode 1 + selector + mutation bytes.
    for key in ("meshblob_object", "meshblob_discipline", "threejs", "threejs_properties"):
        _write(out, "load", b"\0" + json.dumps(spec[key]).encode())
    for i in range(8):
        _write(out, "load", b"\1" + bytes([i % 4]) + bytes(rng.getrandbits(8) for _ in range(24)))
        _write(out, "load", b"\2" + bytes([i]) + bytes(rng.getrandbits(8) for _ in range(24)))

    # matrix: base64 text of the spec matrices, raw float64 bytes, lists.
    for e in samples.meshblob_elements():
        m = e["attributes"]["geometry"]["matrix"]
        _write(out, "matrix", b"\0" + m.encode())
        _write(out, "matrix", b"\1" + base64.b64decode(m))
    for i in range(4):
        _write(out, "matrix", bytes([2 + i % 2, i]) + bytes(rng.getrandbits(8) for _ in range(64)))

    # polymesh: the create-object example as bytes / str / mutated; random structures.
    text = samples.polymesh_text().encode()
    _write(out, "polymesh", b"\0" + text)
    _write(out, "polymesh", b"\1" + text)
    for i in range(6):
        _write(out, "polymesh", bytes([2 + i % 2]) + bytes(rng.getrandbits(8) for _ in range(48)))

    # triangulate: bytes that drive structured polyhedra (see fuzz_triangulate.py).
    for i in range(24):
        _write(out, "triangulate", bytes(rng.getrandbits(8) for _ in range(48 + 24 * i)))

    # glb: scene-driving bytes.
    for i in range(16):
        _write(out, "glb", bytes(rng.getrandbits(8) for _ in range(64 + 32 * i)))

    n = sum(len(files) for _, _, files in os.walk(out))
    print(f"wrote {n} seed files under {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
