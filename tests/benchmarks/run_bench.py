"""Print the kiosk's benchmark figures (same as `kiosk bench`), with ratios against the in-run baseline.

    .venv/bin/python tests/benchmarks/run_bench.py [--rounds N] [--json]

Never asserts: targets are printed next to the figures.
"""

import sys

from kiosk.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", *sys.argv[1:]]))
