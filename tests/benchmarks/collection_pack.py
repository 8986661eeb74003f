"""A 400-entry collection pack (one entry per object, with catalogue numbers), for the exact-identifier test
and the import-time figure: python tests/benchmarks/collection_pack.py OUT_DIR [--time]"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

MATERIALS = ["bronze", "oak", "porcelain", "silver", "glass", "iron", "ivory-free resin", "walnut", "jade", "brass",
             "limestone", "copper", "linen", "wool", "earthenware", "pewter"]
THINGS = ["bowl", "jug", "helmet", "brooch", "clock", "chair", "mirror", "sword", "lantern", "vase", "spoon",
          "chess set", "compass", "sextant", "tapestry", "figurine", "teapot", "candlestick", "shield", "map"]
PLACES = ["Lyon", "Bergen", "Kyoto", "Cairo", "Dublin", "Lisbon", "Gdansk", "Lima", "Fez", "Oaxaca", "Tabriz",
          "Antwerp", "Hobart", "Quebec", "Ghent", "Nara"]
CENTURIES = ["12th", "13th", "14th", "15th", "16th", "17th", "18th", "19th"]


def numbers(n: int = 400) -> list[int]:
    """Catalogue numbers, some close to each other (1217 and 1271, 1285)."""
    out = list(range(1001, 1001 + 2 * n, 2))[:n]
    for fixed in (1217, 1271, 1285):
        if fixed not in out:
            out[len(out) // 2 + fixed % 7] = fixed
    return sorted(set(out))


def write(out: Path, n: int = 400, seed: int = 5) -> Path:
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    (out / "index.md").write_text(
        "# The Carrow Collection\n\n? Where is the café?\n\n## Opening hours\nThe Carrow Collection is open "
        "Tuesday to Sunday, 10:00 to 17:00. Closed on Mondays.\n\n## Tickets\nEntry is free. Special "
        "exhibitions cost 8 pounds.\n\n## Café\nThe Long Room café is on the ground floor next to Gallery 1.\n")
    lines = ["# The collection", ""]
    for k, num in enumerate(numbers(n)):
        thing = f"{rng.choice(MATERIALS)} {rng.choice(THINGS)}"
        lines += [f"## Object {num}: {thing.capitalize()} from {rng.choice(PLACES)}",
                  f"Catalogue number {num}. A {thing} made in the {rng.choice(CENTURIES)} century. It is on display "
                  f"in Gallery {k % 12 + 1}, case {k % 30 + 1}. It came to the collection in "
                  f"{1890 + (k * 7) % 120}.", ""]
    (out / "collection.md").write_text("\n".join(lines))
    return out


if __name__ == "__main__":
    target = write(Path(sys.argv[1]))
    if "--time" in sys.argv:
        import subprocess

        t = time.monotonic()
        subprocess.run([sys.executable, "-m", "kiosk", "knowledge", "import", str(target)], check=True)
        print(f"import: {time.monotonic() - t:.1f} s")
        t = time.monotonic()
        subprocess.run([sys.executable, "-m", "kiosk", "ask", "--json",
                        "Where can I see the object with catalogue number 1217?"], check=True)
        print(f"a fresh process answering: {time.monotonic() - t:.1f} s")
