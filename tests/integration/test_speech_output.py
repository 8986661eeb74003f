"""Spoken answers through a real output device (a PulseAudio null sink): sentence one is heard before the
answer is fully generated, and a tap silences it."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from test_microphone import pulse  # noqa: F401  (the PulseAudio fixture)

pytestmark = pytest.mark.model
CHILD = Path(__file__).resolve().parent.parent / "speak_child.py"


def test_streaming_speech_starts_early_and_a_tap_stops_it(pulse, model_path):  # noqa: F811
    p = subprocess.run([sys.executable, str(CHILD), str(model_path)], env=pulse, capture_output=True,
                       text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    r = json.loads(p.stdout.splitlines()[-1])
    s = r["streamed"]
    assert s["mode"] == "sounddevice", r
    assert s["sentences"] >= 2, s["answer"]
    assert s["first_sample_before_generation_end"], r
    t = r["tap"]
    assert 0 < t["samples_out"] < t["total"] and not t["speaking"], t
