import json

import pytest

from kiosk.errors import ConfigError
from kiosk.resources.probes import EmulatedProbe, SystemProbe


def test_system_probe_reports_what_it_can(tmp_path):
    r = SystemProbe(tmp_path).read()
    assert r.mem_available_mb > 0 and r.disk_free_mb > 0 and not r.simulated
    assert all(v == "unknown" or v is not None for v in r.public().values())  # missing sensors: 'unknown'


def test_emulated_probe_rereads_its_file(tmp_path):
    f = tmp_path / "r.json"
    f.write_text(json.dumps({"mem_available_mb": 100}))
    p = EmulatedProbe(str(f))
    assert p.read().mem_available_mb == 100 and p.read().simulated
    f.write_text(json.dumps({"mem_available_mb": 5000, "battery_pct": 20, "on_battery": True, "extra": 1}))
    r = p.read()
    assert (r.mem_available_mb, r.battery_pct, r.on_battery, r.temp_c) == (5000, 20, True, None)
    assert EmulatedProbe('{"temp_c": 91}').read().temp_c == 91


def test_bad_emulation_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError):
        EmulatedProbe(str(tmp_path / "missing.json")).read()
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ConfigError):
        EmulatedProbe(str(tmp_path / "bad.json")).read()
