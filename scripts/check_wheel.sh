#!/usr/bin/env bash
# Build the sdist and, from it, the wheel; install the wheel into a fresh
# virtual environment; run the test suite against the installed package from
# a temporary directory (never the source tree).
#
#   bash scripts/check_wheel.sh            # compiled pass
#   bash scripts/check_wheel.sh --pure     # and the pure-Python pass as well
#   KEEP=1 bash scripts/check_wheel.sh     # keep the temporary directory
#
# `python -m build` builds the sdist from the checkout, then the wheel from
# the unpacked sdist in an isolated environment: a file missing from the sdist
# (a .pyx, a stub, package data) fails here rather than on a user's machine.
# Artifacts are copied to dist/.
set -euo pipefail

PY=${PYTHON:-python3}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bimgeo-check-wheel.XXXXXX")
PURE=0
[[ "${1:-}" == "--pure" ]] && PURE=1
cleanup() { if [[ "${KEEP:-0}" != "1" ]]; then rm -rf "$WORK"; else echo "kept $WORK"; fi; }
trap cleanup EXIT
step() { printf '\n== %s\n' "$*"; }

step "build sdist, then the wheel from the sdist ($WORK/dist)"
"$PY" -m build --outdir "$WORK/dist" "$ROOT"
SDIST=$(ls "$WORK"/dist/bimgeo-*.tar.gz)
WHEEL=$(ls "$WORK"/dist/bimgeo-*.whl)
ls -l "$WORK/dist"

step "sdist contents"
"$PY" - "$SDIST" <<'PYEOF'
import sys, tarfile
names = tarfile.open(sys.argv[1]).getnames()
top = names[0].split("/")[0]
rel = {n[len(top) + 1:] for n in names if "/" in n}
need = ["pyproject.toml", "setup.py", "README.md", "src/bimgeo/__init__.py", "src/bimgeo/py.typed",
        "src/bimgeo/data/spec_samples.json"]
missing = [n for n in need if n not in rel]
pyx = sorted(n for n in rel if n.startswith("src/bimgeo/_core/") and n.endswith(".pyx"))
if not pyx:
    missing.append("src/bimgeo/_core/*.pyx")
for p in pyx:
    if p[:-4] + ".pyi" not in rel:
        missing.append(p[:-4] + ".pyi")
    # the Cython include files each .pyx names must travel with it
    body = tarfile.open(sys.argv[1]).extractfile(f"{top}/{p}").read().decode("utf-8")
    for line in body.splitlines():
        if line.startswith("include "):
            inc = p.rsplit("/", 1)[0] + "/" + line.split('"')[1]
            if inc not in rel:
                missing.append(inc)
print(f"{len(rel)} files; Cython sources: {', '.join(p.rsplit('/', 1)[1] for p in pyx) or 'none'}")
if missing:
    sys.exit(f"sdist lacks: {', '.join(missing)}")
PYEOF

step "wheel contents"
"$PY" - "$WHEEL" <<'PYEOF'
import sys, zipfile
names = set(zipfile.ZipFile(sys.argv[1]).namelist())
ext = sorted(n for n in names if n.startswith("bimgeo/") and (n.endswith(".so") or n.endswith(".pyd")))
problems = []
if "bimgeo/py.typed" not in names:
    problems.append("no bimgeo/py.typed")
if "bimgeo/data/spec_samples.json" not in names:
    problems.append("no package data bimgeo/data/spec_samples.json")
if not ext:
    problems.append("no compiled extension modules (a pure wheel)")
for e in ext:
    stub = e.split(".")[0] + ".pyi"
    if stub not in names:
        problems.append(f"no stub {stub} beside {e}")
sources = sorted(n for n in names if n.endswith((".pyx", ".pxd", ".c")))
if sources:
    problems.append(f"Cython/C sources shipped: {', '.join(sources)}")
tests = sorted(n for n in names if n.startswith("tests/"))
if tests:
    problems.append("tests/ inside the wheel")
print("extensions:", ", ".join(e.rsplit("/", 1)[1] for e in ext) or "none")
if problems:
    sys.exit("wheel problems: " + "; ".join(problems))
PYEOF

step "fresh venv, install the wheel with its test extras"
"$PY" -m venv "$WORK/venv"
VPY="$WORK/venv/bin/python"
[[ -x "$VPY" ]] || VPY="$WORK/venv/Scripts/python.exe"
"$VPY" -m pip install -q --upgrade pip
"$VPY" -m pip install -q "${WHEEL}[test]"

step "tests against the installed wheel, from $WORK/run"
mkdir -p "$WORK/run"
cp -R "$ROOT/tests" "$WORK/run/tests"
cp "$ROOT/pyproject.toml" "$WORK/run/"
cd "$WORK/run"
"$VPY" - <<'PYEOF'
import os, bimgeo
path = os.path.realpath(bimgeo.__file__)
print("bimgeo", bimgeo.__version__, "from", path, "| implementation:", bimgeo.IMPLEMENTATION)
assert "site-packages" in path, f"bimgeo imported from {path}, not the venv"
PYEOF
BIMGEO_REQUIRE_COMPILED=1 "$VPY" -m pytest -q -p no:cacheprovider -m "not slow and not node"
if [[ $PURE == 1 ]]; then
  step "pure-Python pass against the installed wheel"
  BIMGEO_IMPLEMENTATION=python "$VPY" -m pytest -q -p no:cacheprovider -m "not slow and not node"
fi

mkdir -p "$ROOT/dist"
cp "$SDIST" "$WHEEL" "$ROOT/dist/"
step "OK: $(basename "$SDIST") and $(basename "$WHEEL") copied to dist/"
