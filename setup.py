"""Builds the Cython extensions of bimgeo; everything else is in pyproject.toml.

Environment (build time only):
  BIMGEO_CHECKED_BUILD=1  compile with Cython bounds/wraparound checks on and
                          assertions enabled (the CI "checked" pass; slower).
  BIMGEO_SANITIZE=1       add -fsanitize=address,undefined (see fuzz/README.md).
  BIMGEO_BUILD_ONLY=a,b   build only these extensions of bimgeo._core (dev).
"""
import glob
import os
import sys

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup

checked = os.environ.get("BIMGEO_CHECKED_BUILD") == "1"
sanitize = os.environ.get("BIMGEO_SANITIZE") == "1"
only = {n for n in os.environ.get("BIMGEO_BUILD_ONLY", "").split(",") if n}

compile_args = []
link_args = []
if sys.platform != "win32":
    # Identical float results to the pure-Python twin: no fused multiply-add.
    compile_args += ["-O3", "-ffp-contract=off"]
    if checked:
        compile_args += ["-O1", "-g", "-UNDEBUG"]
    if sanitize:
        compile_args += ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-g"]
        link_args += ["-fsanitize=address,undefined"]
else:
    compile_args += ["/O2", "/fp:precise"]

extensions = []
for path in sorted(glob.glob(os.path.join("src", "bimgeo", "_core", "*.pyx"))):
    name = os.path.splitext(os.path.basename(path))[0]
    if only and name not in only:
        continue
    extensions.append(
        Extension(
            f"bimgeo._core.{name}",
            [path],
            include_dirs=[numpy.get_include()],
            define_macros=[
                ("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION"),
                ("NPY_TARGET_VERSION", "NPY_1_23_API_VERSION"),
            ],
            extra_compile_args=compile_args,
            extra_link_args=link_args,
        )
    )

directives = {
    "language_level": "3",
    "embedsignature": True,
    "cdivision": True,
    # Hot loops index only after explicit validation against the input
    # (counts bounded by remaining bytes, indices checked); the checked
    # build turns Cython's own checks back on to prove it.
    "boundscheck": checked,
    "wraparound": checked,
    "initializedcheck": checked,
}

setup(ext_modules=cythonize(extensions, compiler_directives=directives))
