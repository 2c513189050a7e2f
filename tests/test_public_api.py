"""The public surface: what ``__all__`` promises, what the installed package ships.

As httpx's tests/test_exported_members.py does: every public name of the
package is in ``__all__`` (sorted), every name in ``__all__`` resolves, and
everything else lives in private modules (``_x``). The packaging checks run
against the imported package, so under cibuildwheel / scripts/check_wheel.sh
they check the installed wheel: ``py.typed`` and a ``.pyi`` stub beside every
compiled module, no Cython sources.
"""
from __future__ import annotations

import __future__
import ast
import importlib
import importlib.machinery
import inspect
import os
import pkgutil
import types

import pytest

import bimgeo

#: Public subpackages: allowed as attributes of bimgeo without being in __all__.
PUBLIC_SUBPACKAGES = {"api"}
#: Dunder names a package may export by convention.
DUNDERS_OK = {"__version__"}


def public_names(module: types.ModuleType) -> set:
    """Names a user sees on ``module``: no leading underscore, no submodules, no __future__ features."""
    out = set()
    for name, value in vars(module).items():
        if name.startswith("_"):
            continue
        if isinstance(value, types.ModuleType):
            continue  # submodules are checked by test_private_modules
        if isinstance(value, __future__._Feature):
            continue  # `from __future__ import annotations` binds `annotations`
        out.add(name)
    return out


def _packages():
    mods = [bimgeo]
    try:
        mods.append(importlib.import_module("bimgeo.api"))
    except ImportError as exc:  # optional dependency (httpx) missing
        if "bimgeo" in str(exc):
            raise
    return mods


@pytest.fixture(params=_packages(), ids=lambda m: m.__name__)
def package(request):
    return request.param


def test_all_is_sorted_and_unique(package):
    assert isinstance(package.__all__, list)
    assert package.__all__ == sorted(package.__all__)
    assert len(set(package.__all__)) == len(package.__all__)


def test_all_equals_public_names(package):
    exported = set(package.__all__)
    public = public_names(package)
    assert public - exported == set(), "public but not in __all__"
    assert exported - public - DUNDERS_OK == set(), "in __all__ but not a public attribute"


def test_all_names_resolve(package):
    for name in package.__all__:
        assert hasattr(package, name), name
        assert not name.startswith("_") or name in DUNDERS_OK, name


def test_public_objects_are_documented(package):
    for name in package.__all__:
        obj = getattr(package, name)
        if inspect.isclass(obj) or inspect.isfunction(obj) or inspect.isbuiltin(obj):
            assert (obj.__doc__ or "").strip(), f"{package.__name__}.{name} has no docstring"


def test_module_attributes_are_private_or_public_subpackages():
    for name, value in vars(bimgeo).items():
        if isinstance(value, types.ModuleType) and not name.startswith("_"):
            assert name in PUBLIC_SUBPACKAGES, f"bimgeo.{name} is a public module attribute"


def test_private_modules():
    """Every module below bimgeo is private (a component starting with _), except the public bimgeo.api."""
    offenders = []
    for info in pkgutil.walk_packages(bimgeo.__path__, prefix="bimgeo.", onerror=lambda name: None):
        parts = info.name.split(".")[1:]
        if parts[0] in PUBLIC_SUBPACKAGES and (len(parts) == 1 or any(p.startswith("_") for p in parts[1:])):
            continue
        if not any(p.startswith("_") for p in parts):
            offenders.append(info.name)
    assert offenders == []


def test_api_all_entries_are_public_in_private_modules():
    """Names bimgeo re-exports are defined in private modules (no public module to import them from twice)."""
    for name in bimgeo.__all__:
        obj = getattr(bimgeo, name)
        mod = getattr(obj, "__module__", None)
        if mod is None or not isinstance(mod, str) or not mod.startswith("bimgeo"):
            continue
        parts = mod.split(".")[1:]
        assert mod == "bimgeo" or any(p.startswith("_") for p in parts), f"{name} comes from public module {mod}"


def test_version():
    assert isinstance(bimgeo.__version__, str) and bimgeo.__version__
    try:
        from importlib.metadata import PackageNotFoundError, version
    except ImportError:  # pragma: no cover - Python < 3.8
        return
    try:
        installed = version("bimgeo")
    except PackageNotFoundError:
        pytest.skip("bimgeo is not installed (running from a source tree on sys.path)")
    assert installed == bimgeo.__version__


def test_implementation_is_known():
    assert bimgeo.IMPLEMENTATION in ("cython", "python")
    if os.environ.get("BIMGEO_REQUIRE_COMPILED") == "1":
        assert bimgeo.IMPLEMENTATION == "cython"


# --- packaging: what the installed package ships --------------------------------------

PKG_DIR = os.path.dirname(os.path.abspath(bimgeo.__file__))
EXT_SUFFIXES = tuple(importlib.machinery.EXTENSION_SUFFIXES)


def _compiled_modules():
    core = os.path.join(PKG_DIR, "_core")
    out = []
    for root, _, files in os.walk(PKG_DIR):
        for f in files:
            if f.endswith(EXT_SUFFIXES):
                out.append(os.path.join(root, f))
    return core, sorted(out)


def test_py_typed():
    assert os.path.isfile(os.path.join(PKG_DIR, "py.typed"))


def test_stub_beside_every_compiled_module():
    _, compiled = _compiled_modules()
    if bimgeo.IMPLEMENTATION != "cython" and not compiled:
        pytest.skip("no compiled modules in this build (pure-Python pass)")
    assert compiled, "the compiled core is active but no extension module was found"
    for path in compiled:
        base = os.path.basename(path)
        for suffix in EXT_SUFFIXES:
            if base.endswith(suffix):
                stem = base[: -len(suffix)]
                break
        stub = os.path.join(os.path.dirname(path), stem + ".pyi")
        assert os.path.isfile(stub), f"no stub {stub} beside {path}"


def _stub_functions(stub_path: str) -> set:
    with open(stub_path, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return {n for n in names if not n.startswith("_")}


def test_stubs_declare_the_public_functions_of_compiled_modules():
    """Each ``_core/X.pyi`` declares every public function of the compiled ``bimgeo._core.X``."""
    _, compiled = _compiled_modules()
    if not compiled:
        pytest.skip("no compiled modules in this build")
    for path in compiled:
        rel = os.path.relpath(path, os.path.dirname(PKG_DIR))
        modname = rel.split(".")[0].replace(os.sep, ".")
        mod = importlib.import_module(modname)
        stub = path[: -len(next(s for s in EXT_SUFFIXES if path.endswith(s)))] + ".pyi"
        if not os.path.isfile(stub):
            continue  # reported by test_stub_beside_every_compiled_module
        declared = _stub_functions(stub)
        # Public callables defined by the compiled module itself (names it
        # imports from its pure-Python twin, e.g. shared result types, are
        # declared by the twin).
        public = {
            n
            for n in dir(mod)
            if not n.startswith("_") and callable(getattr(mod, n)) and getattr(getattr(mod, n), "__module__", None) == modname
        }
        assert public - declared == set(), f"{stub} lacks {sorted(public - declared)}"


#: The functions each compiled module and its twin must both provide (ARCHITECTURE.md, "Module contracts").
CONTRACTS = {
    "nrbf": ["decode_polyhedron", "parse_polyhedron"],
    "triangulate": ["triangulate", "triangulate_polygons"],
    "threejs": ["decode_faces"],
}


def test_compiled_and_pure_modules_pair_up():
    """Every compiled ``_core/X`` has its twin ``_pure/X.py``; both provide the contract's functions,
    and every public function the compiled module defines exists in the twin."""
    _, compiled = _compiled_modules()
    for path in compiled:
        rel = os.path.relpath(path, PKG_DIR)
        if not rel.startswith("_core" + os.sep):
            continue
        stem = os.path.basename(path).split(".")[0]
        twin = os.path.join(PKG_DIR, "_pure", stem + ".py")
        assert os.path.isfile(twin), f"{path} has no pure-Python twin {twin}"
        core = importlib.import_module(f"bimgeo._core.{stem}")
        pure = importlib.import_module(f"bimgeo._pure.{stem}")
        for name in CONTRACTS.get(stem, []):
            assert callable(getattr(core, name, None)), f"bimgeo._core.{stem} lacks {name}"
            assert callable(getattr(pure, name, None)), f"bimgeo._pure.{stem} lacks {name}"
        own = [n for n in dir(core) if not n.startswith("_") and getattr(getattr(core, n), "__module__", None) == core.__name__]
        for name in own:
            if callable(getattr(core, name)):
                assert callable(getattr(pure, name, None)), f"bimgeo._core.{stem}.{name} has no pure-Python twin"


def test_no_sources_in_installed_package():
    """A wheel ships no .pyx / generated .c (pyproject exclude-package-data); a source checkout may have them."""
    if PKG_DIR.endswith(os.path.join("src", "bimgeo")):
        pytest.skip("running against a source tree, not an installed package")
    core = os.path.join(PKG_DIR, "_core")
    leftovers = [f for f in os.listdir(core) if f.endswith((".pyx", ".pxd", ".c"))] if os.path.isdir(core) else []
    assert leftovers == []
