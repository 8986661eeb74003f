from kiosk.domain.breaker import CircuitBreaker
from kiosk.domain.governor import Governor, Readings, Thresholds, assess

T = Thresholds(mem_reduced_mb=600, mem_minimal_mb=300, recover_s=60, margin=0.15)
OK = Readings(mem_available_mb=4000, temp_c=50, battery_pct=90, on_battery=False, disk_free_mb=10_000)


def test_unknown_sensors_mean_full():
    assert assess(Readings(), T) == ("full", "resources are sufficient")


def test_each_reading_can_step_down():
    assert assess(Readings(mem_available_mb=100), T)[0] == "minimal"
    assert assess(Readings(mem_available_mb=500), T)[0] == "reduced"
    assert assess(Readings(temp_c=95), T)[0] == "minimal"
    assert assess(Readings(throttled=True), T)[0] == "reduced"
    assert assess(Readings(battery_pct=20, on_battery=True), T)[0] == "reduced"
    assert assess(Readings(battery_pct=20, on_battery=False), T)[0] == "full"
    assert assess(Readings(battery_pct=5, on_battery=True), T)[0] == "minimal"
    assert assess(Readings(disk_free_mb=50), T)[0] == "minimal"
    tier, why = assess(Readings(mem_available_mb=100, temp_c=95, throttled=True), T)
    assert tier == "minimal" and "memory" in why and "temperature" in why and "throttled" not in why


def test_down_at_once_up_only_after_hysteresis():
    g = Governor(T)
    change = g.update(Readings(mem_available_mb=100), now=0)
    assert change and (change.old, change.new) == ("full", "minimal") and "100 MB" in change.reason
    assert g.update(OK, now=1) is None            # better, but not yet for long enough
    assert g.update(OK, now=30) is None
    change = g.update(OK, now=61)
    assert change and change.new == "full" and change.reason.startswith("recovered")


def test_a_relapse_restarts_the_recovery_clock():
    g = Governor(T)
    g.update(Readings(mem_available_mb=100), now=0)
    g.update(OK, now=1)
    g.update(Readings(mem_available_mb=100), now=50)
    assert g.update(OK, now=62) is None and g.tier == "minimal"
    assert g.update(OK, now=122).new == "full"


def test_barely_above_a_threshold_is_not_enough_to_step_up():
    g = Governor(T)
    g.update(Readings(mem_available_mb=100), now=0)
    borderline = Readings(mem_available_mb=320)  # above 300, inside the 15% margin
    assert g.update(borderline, now=1) is None and g.update(borderline, now=500) is None
    assert g.tier == "minimal"


def test_floor_keeps_minimal_without_a_model():
    g = Governor(T, floor="minimal")
    assert g.update(OK, now=0) is None and g.update(OK, now=1000) is None and g.tier == "minimal"


def test_breaker_opens_after_failures_and_retries_after_cooldown():
    b = CircuitBreaker(failures_to_open=3, cooldown_s=30)
    for t in range(3):
        assert b.allow(t)
        b.failure(t)
    assert b.state == "open" and not b.allow(10)
    assert b.allow(33) and b.state == "half_open"
    b.failure(33)
    assert not b.allow(40) and b.allow(64)
    b.success()
    assert b.state == "closed" and b.failures == 0
