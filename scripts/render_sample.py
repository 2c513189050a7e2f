#!/usr/bin/env python
"""Render the bundled sample building as a glTF viewer draws it: ``docs/sample.png``.

Steps: convert the sample with bimgeo (glb, Y up, metres, the defaults),
serve ``scripts/render/`` (a three.js page with GLTFLoader) and the glb from
a loopback ``http.server``, and let headless Chromium take a screenshot.
The page frames the camera from the model's bounds, lights it (sky
hemisphere + a shadow-casting sun) and puts a ground plane under it.

Needs (not run in CI):
  apt-get update && apt-get install -y chromium
  (cd scripts/render && npm ci)        # three.js into the gitignored node_modules
  pip install pillow                   # optional: shrinks the PNG below 300 KB

Usage: ``python scripts/render_sample.py [--out docs/sample.png] [--size 1200x800]``
"""
from __future__ import annotations

import argparse
import functools
import http.server
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import List, Optional, Sequence

ROOT = Path(__file__).resolve().parent.parent
PAGE_DIR = ROOT / "scripts" / "render"
MAX_PNG = 300_000


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


def _chromium(explicit: Optional[str]) -> str:
    for name in ([explicit] if explicit else []) + ["chromium", "chromium-browser", "google-chrome"]:
        path = shutil.which(name) if name else None
        if path:
            return path
    sys.exit("render_sample: no chromium found (apt-get install -y chromium)")


def _browser_args(chromium: str, width: int, height: int, budget_ms: int, profile: str) -> List[str]:
    return [
        chromium,
        "--headless",
        "--no-sandbox",
        "--hide-scrollbars",
        "--mute-audio",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--use-angle=swiftshader",
        "--enable-unsafe-swiftshader",
        "--ignore-gpu-blocklist",
        f"--window-size={width},{height}",
        f"--virtual-time-budget={budget_ms}",
    ]


def _shrink_png(path: Path) -> None:
    """Re-encode as a 256-colour palette PNG when the screenshot is over MAX_PNG (needs Pillow)."""
    if path.stat().st_size <= MAX_PNG:
        return
    try:
        from PIL import Image
    except ImportError:
        print(f"render_sample: {path} is {path.stat().st_size} bytes (> {MAX_PNG}); pip install pillow to shrink it", file=sys.stderr)
        return
    img = Image.open(path).convert("RGB")
    img.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.FLOYDSTEINBERG).save(path, optimize=True)


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "sample.png")
    p.add_argument("--size", default="1200x800", help="WIDTHxHEIGHT in pixels")
    p.add_argument("--chromium", help="browser executable (default: chromium on PATH)")
    p.add_argument("--budget", type=int, default=30_000, help="virtual time budget for the page, ms")
    p.add_argument("--glb", type=Path, help="render this glb instead of the sample")
    args = p.parse_args(argv)
    width, height = (int(v) for v in args.size.lower().split("x"))

    if not (PAGE_DIR / "node_modules" / "three" / "build" / "three.module.js").is_file():
        print("render_sample: installing three.js (npm ci) into scripts/render/node_modules", file=sys.stderr)
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=PAGE_DIR, check=True)

    glb = PAGE_DIR / "sample.glb"  # *.glb is gitignored
    if args.glb:
        shutil.copyfile(args.glb, glb)
    else:
        from bimgeo._sample import load_sample

        scene = load_sample(strict=True)
        scene.export(glb)  # glb, Y up, metres: what a viewer expects
        print(f"render_sample: {len(scene)} elements, {scene.n_triangles} triangles -> {glb} ({glb.stat().st_size} bytes)", file=sys.stderr)

    handler = functools.partial(_Quiet, directory=str(PAGE_DIR))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/index.html?glb=sample.glb&w={width}&h={height}"
    chromium = _chromium(args.chromium)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory() as profile:
            dom = subprocess.run(
                _browser_args(chromium, width, height, args.budget, profile) + ["--dump-dom", url],
                check=True, capture_output=True, text=True, timeout=300,
            ).stdout
        if "<title>rendered</title>" not in dom:
            start = dom.find("<title>")
            print(f"render_sample: the page did not finish: {dom[start:start + 300]!r}", file=sys.stderr)
            return 1
        tmp = args.out.with_name(args.out.name + ".tmp.png")
        with tempfile.TemporaryDirectory() as profile:
            subprocess.run(
                _browser_args(chromium, width, height, args.budget, profile) + [f"--screenshot={tmp}", url],
                check=True, capture_output=True, text=True, timeout=300,
            )
        _shrink_png(tmp)
        os.replace(tmp, args.out)
    finally:
        server.shutdown()
        server.server_close()
    print(f"render_sample: wrote {args.out} ({args.out.stat().st_size} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
