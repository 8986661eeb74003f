"""Moving big files onto the kiosk: a progress bar for the operator and a size-capped download."""

from __future__ import annotations

import hashlib
import sys
import time
from pathlib import Path
from typing import Callable

Progress = Callable[[int, int], None]


def no_progress(done: int, total: int) -> None:
    pass


def sha256_file(path: Path, progress: Progress = no_progress, chunk: int = 1 << 20) -> str:
    h, total, done = hashlib.sha256(), path.stat().st_size, 0
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
            done += len(block)
            progress(done, total)
    return h.hexdigest()


def progress_bar(label: str) -> Progress:
    last = [0.0]

    def show(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] < 0.2 and done < total:
            return
        last[0] = now
        if total:
            filled = int(30 * done / total)
            sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (30 - filled)}] {done / total:6.1%} "
                             f"{done / 1e6:8.1f} MB")
        else:
            sys.stderr.write(f"\r{label} {done / 1e6:8.1f} MB")
        if done >= total > 0:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


def download(url: str, dest: Path, max_bytes: int, progress: Progress, error: type, what: str) -> None:
    """GET ``url`` into ``dest``; over ``max_bytes`` (announced or actual) raises ``error`` and stops."""
    import httpx

    try:
        with httpx.stream("GET", url, follow_redirects=True, timeout=30.0) as r:
            if r.status_code != 200:
                raise error("download_failed", f"{url} answered HTTP {r.status_code}")
            total = int(r.headers.get("content-length") or 0)
            if total > max_bytes:
                raise error(f"{what}_too_big", f"{url} is {total >> 20} MB, over the {max_bytes >> 20} MB limit")
            done = 0
            with open(dest, "wb") as f:
                for chunk in r.iter_bytes(1 << 20):
                    done += len(chunk)
                    if done > max_bytes:
                        raise error(f"{what}_too_big", f"{url} is over the {max_bytes >> 20} MB limit")
                    f.write(chunk)
                    progress(done, total)
    except httpx.HTTPError as exc:
        raise error("download_failed", f"cannot download {url}: {exc}") from exc
