"""Which tier the kiosk can afford right now, from resource readings. Pure logic; time is passed in.

Stepping down is immediate (a kiosk out of memory must shed the model now); stepping up waits until the
readings have been comfortably good (thresholds plus a margin) for ``recover_s``, so the tier does not flap.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from kiosk.domain.kinds import Tier


@dataclass(frozen=True)
class Readings:
    """One probe. ``None`` = this device has no such sensor (normal, not an error)."""

    mem_available_mb: float | None = None
    cpu_load: float | None = None          # 1-minute load average per core
    temp_c: float | None = None
    throttled: bool | None = None
    battery_pct: float | None = None
    on_battery: bool | None = None
    disk_free_mb: float | None = None
    simulated: bool = False

    def public(self) -> dict:
        return {k: ("unknown" if v is None else v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class Thresholds:
    mem_reduced_mb: float = 600
    mem_minimal_mb: float = 300
    cpu_reduced: float = 1.5
    temp_reduced_c: float = 80
    temp_minimal_c: float = 90
    battery_reduced_pct: float = 30
    battery_minimal_pct: float = 10
    disk_minimal_mb: float = 200
    margin: float = 0.15                   # how much better than a threshold counts as recovered
    recover_s: float = 60


@dataclass(frozen=True)
class TierChange:
    old: Tier
    new: Tier
    reason: str
    at: float


def assess(r: Readings, t: Thresholds, margin: float = 0.0) -> tuple[Tier, str]:
    """(tier the readings allow, why). ``margin`` > 0 demands that much headroom (for stepping up)."""
    up, down = 1 + margin, 1 - margin
    reasons: list[tuple[Tier, str]] = []
    minimal, reduced = Tier.MINIMAL, Tier.REDUCED
    if r.mem_available_mb is not None:
        if r.mem_available_mb < t.mem_minimal_mb * up:
            reasons.append((minimal, f"available memory {r.mem_available_mb:.0f} MB"))
        elif r.mem_available_mb < t.mem_reduced_mb * up:
            reasons.append((reduced, f"available memory {r.mem_available_mb:.0f} MB"))
    if r.temp_c is not None:
        if r.temp_c >= t.temp_minimal_c * down:
            reasons.append((minimal, f"CPU temperature {r.temp_c:.0f} °C"))
        elif r.temp_c >= t.temp_reduced_c * down:
            reasons.append((reduced, f"CPU temperature {r.temp_c:.0f} °C"))
    if r.throttled:
        reasons.append((reduced, "CPU is throttled"))
    if r.on_battery and r.battery_pct is not None:
        if r.battery_pct <= t.battery_minimal_pct * up:
            reasons.append((minimal, f"battery {r.battery_pct:.0f}%"))
        elif r.battery_pct <= t.battery_reduced_pct * up:
            reasons.append((reduced, f"battery {r.battery_pct:.0f}%"))
    if r.cpu_load is not None and r.cpu_load >= t.cpu_reduced * down:
        reasons.append((reduced, f"CPU load {r.cpu_load:.2f} per core"))
    if r.disk_free_mb is not None and r.disk_free_mb < t.disk_minimal_mb * up:
        reasons.append((minimal, f"free disk {r.disk_free_mb:.0f} MB"))
    if not reasons:
        return Tier.FULL, "resources are sufficient"
    worst = Tier.worst(*(tier for tier, _ in reasons))
    return worst, ", ".join(why for tier, why in reasons if tier == worst)


class Governor:
    """Decides the tier. ``floor`` is the best tier possible at all (no usable model = minimal); the runtime
    lowers it through ``limit`` and obeys ``tier``."""

    def __init__(self, thresholds: Thresholds = Thresholds(), floor: Tier = Tier.FULL) -> None:
        self.t = thresholds
        self.floor = self.tier = Tier(floor)
        self._better_since: float | None = None
        self.last_reason = "start-up"

    def update(self, readings: Readings, now: float) -> TierChange | None:
        wanted, why = assess(readings, self.t)
        wanted = Tier.worst(wanted, self.floor)
        if wanted.rank > self.tier.rank:
            self._better_since = None
            return self._change(wanted, why, now)
        if wanted.rank < self.tier.rank:
            comfortable, _ = assess(readings, self.t, margin=self.t.margin)
            comfortable = Tier.worst(comfortable, self.floor)
            if comfortable.rank >= self.tier.rank:
                self._better_since = None  # better, but not by enough to trust it
                return None
            if self._better_since is None:
                self._better_since = now
                return None
            if now - self._better_since >= self.t.recover_s:
                self._better_since = None
                return self._change(comfortable, f"recovered: {why}", now)
            return None
        self._better_since = None
        return None

    def limit(self, floor: Tier, why: str, now: float) -> TierChange | None:
        """Nothing better than ``floor`` is possible any more (the model would not load)."""
        self.floor = Tier.worst(self.floor, floor)
        if self.floor.rank > self.tier.rank:
            return self._change(self.floor, why, now)
        return None

    def force(self, tier: Tier, why: str, now: float) -> TierChange:
        """An operator's (or benchmark's) choice, never better than the floor; ``update`` resumes from it."""
        self._better_since = None
        return self._change(Tier.worst(Tier(tier), self.floor), why, now)

    def _change(self, new: Tier, why: str, now: float) -> TierChange:
        change = TierChange(self.tier, new, why, now)
        self.tier, self.last_reason = new, why
        return change
