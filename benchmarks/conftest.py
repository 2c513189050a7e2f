"""pytest-benchmark suites: ``python -m pytest benchmarks/ --benchmark-only``.

The files are named ``bench_*.py`` so that the default test run (testpaths =
["tests"]) never collects them; the hook below collects them when this folder
is named on the command line. Comparisons share a ``group`` so that
pytest-benchmark prints them side by side; ``benchmarks/report.py`` prints
the ratios themselves.
"""
from __future__ import annotations

import os
import sys

import pytest

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)


def pytest_collect_file(file_path, parent):
    if file_path.suffix == ".py" and file_path.name.startswith("bench_"):
        if parent.session.isinitpath(file_path):
            return None  # named on the command line: pytest's python plugin collects it already (not twice)
        return pytest.Module.from_parent(parent, path=file_path)
    return None


@pytest.fixture(scope="session")
def W():
    """benchmarks/workloads.py (seeded inputs)."""
    import workloads

    return workloads
