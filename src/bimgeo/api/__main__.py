"""``python -m bimgeo.api fetch|export-ifc ...``."""
from __future__ import annotations

import sys

from ._cli import main

if __name__ == "__main__":  # pragma: no cover - entry point
    sys.exit(main())
