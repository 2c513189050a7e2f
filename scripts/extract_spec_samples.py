"""Extract the sample responses of the API documents into package data.

Reads ../shared/spec/003_*.txt (the Object service document), finds every
top-level JSON block that parses, and writes the ones the tests and the
bundled sample use to src/bimgeo/data/spec_samples.json. Run it again when
the document changes; tests/test_samples.py checks the file still matches.

    python scripts/extract_spec_samples.py [SPEC_DIR]
"""
from __future__ import annotations

import glob
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(ROOT, "src", "bimgeo", "data", "spec_samples.json")


def json_blocks(text: str):
    """Yield (line number, parsed value) for each JSON block starting at column 0."""
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        if lines[i].startswith(("{", "[")):
            j = i
            while j < len(lines) and not lines[j].startswith(("}", "]")):
                j += 1
            try:
                yield i + 1, json.loads("\n".join(lines[i : j + 1]))
            except ValueError:
                pass
            i = j + 1
        else:
            i += 1


def extract(spec_dir: str) -> dict:
    (path,) = glob.glob(os.path.join(spec_dir, "003_*.txt"))
    with open(path, encoding="utf-8") as f:
        text = f.read()
    out: dict = {"source": os.path.basename(path)}
    meshblob = []
    for _, block in json_blocks(text):
        if not isinstance(block, dict):
            continue
        objs = block.get("objects")
        if objs and "picture" in json.dumps(objs[0]):
            meshblob.append(block)
        elif objs and "threejs" in json.dumps(objs[0]):
            key = "threejs_properties" if "faceCount" in block and "verticesCount" not in block else "threejs"
            out.setdefault(key, block)
        elif "geometry" in block.get("attributes", {}) and "mesh" in block["attributes"]["geometry"]:
            out.setdefault("create_object_polymesh", block)
    out["meshblob_object"] = meshblob[0]  # objects/7cf910cb.../geometries/meshblob
    out["meshblob_discipline"] = meshblob[1]  # the four wall layers by discipline
    return out


def main(argv: list) -> int:
    spec_dir = argv[1] if len(argv) > 1 else os.path.join(ROOT, "..", "shared", "spec")
    data = extract(spec_dir)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {OUT}: {sorted(data)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
