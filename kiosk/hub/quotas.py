"""What one enrolled kiosk may ask of the hub, so that no kiosk (its key taken, or its software gone wrong) can
crowd out the others:

* events per second, as a token bucket per kiosk with ``BURST_S`` seconds of credit (in this process: with
  N hub processes a kiosk may reach N times the rate, still bounded);
* events per day, counted in the database in the same statement that notes the kiosk's contact
  (``kiosk.hub.store.ingest``), so every hub process agrees;
* escalations in flight at once (in this process), and upstream calls per hour (counted in the database);
* pack text per escalation (``pack_text``).

Every refusal is counted here by kiosk and reason, for ``/metrics`` and the Fleet page.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from contextlib import contextmanager
from typing import Callable, Iterator

BURST_S = 10.0


class Busy(Exception):
    """This kiosk already has its share of escalations in flight."""


class KioskLimits:
    def __init__(self, events_per_s: float, escalations_in_flight: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = max(events_per_s, 0.001)
        self.burst = self.rate * BURST_S
        self.in_flight_max = max(1, escalations_in_flight)
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}   # device -> (tokens, at)
        self._in_flight: Counter[str] = Counter()
        self.refused: Counter[tuple[str, str]] = Counter()  # (device, reason) -> refusals in this process
        self._lock = threading.Lock()

    def take_events(self, device: str, n: int) -> float:
        """0 if ``device`` may send ``n`` events now (they are taken from its bucket); else the seconds until
        it may. A batch larger than the whole burst waits for a full bucket and then goes."""
        with self._lock:
            t = self.clock()
            tokens, at = self._buckets.get(device, (self.burst, t))
            tokens = min(self.burst, tokens + (t - at) * self.rate)
            need = min(float(n), self.burst)
            if tokens >= need:
                self._buckets[device] = (tokens - need, t)
                return 0.0
            self._buckets[device] = (tokens, t)
            return (need - tokens) / self.rate

    @contextmanager
    def escalation(self, device: str) -> Iterator[None]:
        """Hold one of this kiosk's escalation places for the block (raises Busy if none is free)."""
        with self._lock:
            if self._in_flight[device] >= self.in_flight_max:
                raise Busy()
            self._in_flight[device] += 1
        try:
            yield
        finally:
            with self._lock:
                self._in_flight[device] -= 1
                if not self._in_flight[device]:
                    del self._in_flight[device]

    def count(self, device: str, reason: str) -> None:
        with self._lock:
            self.refused[(device, reason)] += 1

    def refusals(self) -> tuple[Counter[str], Counter[str]]:
        """(refusals by reason, refusals by kiosk) in this process."""
        by_reason: Counter[str] = Counter()
        by_device: Counter[str] = Counter()
        with self._lock:
            for (device, reason), n in self.refused.items():
                by_reason[reason] += n
                by_device[device] += n
        return by_reason, by_device


def pack_text(entries: list[str], most: int) -> list[str]:
    """The pack entries an escalation is checked and asked with, at most ``most`` characters in all (the
    first entries whole, the one that passes the limit cut, the rest left out)."""
    out, left = [], most
    for e in entries:
        if left <= 0:
            break
        out.append(e[:left])
        left -= len(out[-1])
    return out
