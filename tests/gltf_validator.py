"""Run the Khronos glTF-Validator (npm ``gltf-validator``) from tests.

The node script is ``scripts/validate_gltf.js``; the package is looked up
from the repository root (``npm install --no-save gltf-validator`` there puts
it in the git-ignored ``node_modules/``). ``validate`` skips the calling
test, with the reason, when node or the package is missing, unless
``BIMGEO_REQUIRE_VALIDATOR=1`` (set by .ci/run) makes that a failure.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from typing import Any, Dict, List

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "scripts", "validate_gltf.js")
INSTALL = "npm install --no-save gltf-validator"


def missing_reason() -> str:
    """Why the validator cannot run here, or '' when it can."""
    if shutil.which("node") is None:
        return "node is not installed (needed for the Khronos glTF-Validator)"
    if not os.path.isdir(os.path.join(ROOT, "node_modules", "gltf-validator")):
        return f"npm package gltf-validator missing: run `{INSTALL}` in {ROOT}"
    return ""


def validate(paths: List[str]) -> List[Dict[str, Any]]:
    """One report per file: numErrors, numWarnings, numInfos, numHints, messages."""
    reason = missing_reason()
    if reason:
        if os.environ.get("BIMGEO_REQUIRE_VALIDATOR") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    proc = subprocess.run(
        ["node", SCRIPT, *paths], cwd=ROOT, capture_output=True, text=True, check=False, timeout=120
    )
    if proc.returncode == 2:
        pytest.skip(proc.stderr.strip())
    if proc.returncode != 0:
        raise RuntimeError(f"validator failed ({proc.returncode}): {proc.stderr}")
    reports: List[Dict[str, Any]] = json.loads(proc.stdout)
    return reports


def problems(report: Dict[str, Any]) -> List[str]:
    """Error and warning messages (severity 0 and 1) of one report, as text."""
    return [
        f"{m['code']} {m.get('pointer', '')}: {m['message']}"
        for m in report["messages"]
        if m["severity"] in (0, 1)
    ]
