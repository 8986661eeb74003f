"""Resource probes: the real device (psutil, /sys/class/thermal), or simulated readings for replay."""

from __future__ import annotations

import json
import os
from pathlib import Path

from kiosk.domain.governor import Readings, Thresholds
from kiosk.errors import ConfigError

THERMAL = Path("/sys/class/thermal")
CPU_ZONE_TYPES = ("x86_pkg_temp", "cpu", "soc", "acpitz", "cpu-thermal", "k10temp")


def _cpu_temperature() -> float | None:
    try:
        import psutil

        temps = psutil.sensors_temperatures() if hasattr(psutil, "sensors_temperatures") else {}
    except (OSError, RuntimeError):
        temps = {}
    for name in ("coretemp", "k10temp", "cpu_thermal", "soc_thermal", "acpitz"):
        if temps.get(name):
            return max(t.current for t in temps[name])
    zones = sorted(THERMAL.glob("thermal_zone*")) if THERMAL.is_dir() else []
    for zone in zones:
        try:
            kind = (zone / "type").read_text().strip().lower()
            if any(k in kind for k in CPU_ZONE_TYPES):
                return int((zone / "temp").read_text().strip()) / 1000.0
        except (OSError, ValueError):
            continue
    return None


def _throttled() -> bool | None:
    """Linux reports thermal throttling through cooling devices in use (cur_state > 0)."""
    devices = sorted(THERMAL.glob("cooling_device*")) if THERMAL.is_dir() else []
    seen = False
    for dev in devices:
        try:
            if "processor" not in (dev / "type").read_text().lower():
                continue
            seen = True
            if int((dev / "cur_state").read_text().strip()) > 0:
                return True
        except (OSError, ValueError):
            continue
    return False if seen else None


class SystemProbe:
    simulated = False

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir

    def read(self) -> Readings:
        import psutil

        mem = psutil.virtual_memory().available / 2**20
        try:
            load = os.getloadavg()[0] / (os.cpu_count() or 1)
        except OSError:
            load = None
        battery = psutil.sensors_battery() if hasattr(psutil, "sensors_battery") else None
        try:
            disk = psutil.disk_usage(str(self.data_dir if self.data_dir.exists() else self.data_dir.parent)).free
            disk_mb: float | None = disk / 2**20
        except OSError:
            disk_mb = None
        return Readings(mem_available_mb=round(mem, 1), cpu_load=round(load, 2) if load is not None else None,
                        temp_c=_cpu_temperature(), throttled=_throttled(),
                        battery_pct=battery.percent if battery else None,
                        on_battery=(not battery.power_plugged) if battery else None, disk_free_mb=disk_mb)


class EmulatedProbe:
    """Readings from a JSON file (re-read on every probe, so a scenario can be replayed by rewriting it) or
    from inline JSON. Keys are those of ``Readings``; missing keys are 'unknown'."""

    simulated = True

    def __init__(self, source: str) -> None:
        self.source = source

    def read(self) -> Readings:
        text = self.source
        if not text.lstrip().startswith("{"):
            try:
                text = Path(text).read_text(encoding="utf-8")
            except OSError as exc:
                raise ConfigError("bad_emulation", f"cannot read simulated readings {self.source}: {exc}") from exc
        try:
            data = json.loads(text)
            fields = set(Readings.__dataclass_fields__) - {"simulated"}
            return Readings(**{k: v for k, v in data.items() if k in fields}, simulated=True)
        except (ValueError, TypeError) as exc:
            raise ConfigError("bad_emulation", f"simulated readings are not valid JSON readings: {exc}") from exc


def make_probe(emulate: str, data_dir: Path):
    return EmulatedProbe(emulate) if emulate else SystemProbe(data_dir)


def thresholds(rc) -> Thresholds:
    """The governor's thresholds from the ``[resources]`` config section."""
    return Thresholds(rc.mem_reduced_mb, rc.mem_minimal_mb, rc.cpu_reduced, rc.temp_reduced_c, rc.temp_minimal_c,
                      rc.battery_reduced_pct, rc.battery_minimal_pct, rc.disk_minimal_mb, rc.margin, rc.recover_s)
