"""`benchmarks/` lives at the repository root and is not installed: `make bench` runs it from
there, so the tests import it from there too."""

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[2])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
