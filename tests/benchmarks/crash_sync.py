"""The sync crash test at benchmark scale (1000 SIGKILLs by default); prints the figures.

    .venv/bin/python tests/benchmarks/crash_sync.py [ITERATIONS]
"""

import sys
import tempfile
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent.parent), str(Path(__file__).resolve().parent.parent / "integration")]

from test_sync_crash import crash_run  # noqa: E402

if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    with tempfile.TemporaryDirectory() as tmp:
        print(crash_run(Path(tmp), n))
