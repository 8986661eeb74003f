"""How a delivery attempt's outcome turns into the next step: sent, retry later (when), or dead letter."""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass
from types import SimpleNamespace

from tenacity import wait_random_exponential


@dataclass(frozen=True)
class Outcome:
    action: str          # "sent" | "retry" | "dead"
    reason: str = ""
    retry_after_s: float | None = None
    unreachable: bool = False  # the endpoint could not be reached at all (the kiosk is offline)


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """``Retry-After`` as delta-seconds or an HTTP-date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def classify(status: int | None, retry_after: str | None = None, error: str = "",
             unreachable: bool = False) -> Outcome:
    """``status`` None: no HTTP answer at all; ``unreachable`` says the network is down, not just slow."""
    if status is None:
        return Outcome("retry", error or "no response", unreachable=unreachable)
    if 200 <= status < 300:
        return Outcome("sent")
    if status == 429 or status >= 500 or status == 408:
        return Outcome("retry", f"HTTP {status}", retry_after_seconds(retry_after))
    return Outcome("dead", f"HTTP {status}: {error}".strip(": "))


class Backoff:
    """Exponential back-off with full jitter and a cap (tenacity's strategy), honouring Retry-After."""

    def __init__(self, base_s: float = 2.0, cap_s: float = 300.0) -> None:
        self.cap_s = cap_s
        self._wait = wait_random_exponential(multiplier=base_s, max=cap_s)

    def delay(self, attempt: int, retry_after_s: float | None = None) -> float:
        if retry_after_s is not None:
            return min(retry_after_s, self.cap_s * 4)
        return float(self._wait(SimpleNamespace(attempt_number=max(1, attempt))))
