"""A circuit breaker for the local model: after repeated failures, stop trying for a cool-down."""

from __future__ import annotations


class CircuitBreaker:
    CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"

    def __init__(self, failures_to_open: int = 3, cooldown_s: float = 30.0) -> None:
        self.failures_to_open = failures_to_open
        self.cooldown_s = cooldown_s
        self.failures = 0
        self.opened_at: float | None = None
        self.state = self.CLOSED

    def allow(self, now: float) -> bool:
        if self.state == self.OPEN and self.opened_at is not None and now - self.opened_at >= self.cooldown_s:
            self.state = self.HALF_OPEN  # one trial call
        return self.state != self.OPEN

    def success(self) -> None:
        self.failures, self.state, self.opened_at = 0, self.CLOSED, None

    def failure(self, now: float) -> None:
        self.failures += 1
        if self.state == self.HALF_OPEN or self.failures >= self.failures_to_open:
            self.state, self.opened_at = self.OPEN, now
