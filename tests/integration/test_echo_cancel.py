"""Echo cancellation through a real PulseAudio: the kiosk's speaker and a "room" that carries its voice back
into the microphone at full level, PulseAudio's WebRTC canceller between them (as packaging/kiosk-session
loads it). The kiosk finds the cancelled source and sink by itself; a visitor at the same loudness as the
kiosk's voice talks over it: speech stops and the next transcript holds the visitor's words, none of the
kiosk's."""

import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from kiosk.config import REPO_ROOT

from speech_helpers import say_naturally as say
from test_microphone import start_listen


KIOSK_WORDS = {"floor", "gallery", "galleries", "fishing", "trawler", "marianne", "shipwreck", "harbour",
               "navigation", "permanent"}


def _clean(heard: str) -> bool:
    """The visitor's question, and none of the words of the answer the kiosk was reading out."""
    words = set(heard.lower().replace(",", " ").replace(".", " ").replace("?", " ").split())
    return bool({"toilet", "toilets"} & words) and not KIOSK_WORDS & words


@pytest.fixture
def room(tmp_path):
    """The bench's PulseAudio room (kiosk.bench.pulse_loop.start_room), whose echo canceller comes from the
    kiosk session's own script."""
    from kiosk.bench.pulse_loop import start_room

    assert shutil.which("pulseaudio"), "pulseaudio is missing: packaging/setup.sh installs it"
    run = tmp_path / "pulse"
    run.mkdir()
    daemon, env = start_room(run)
    try:
        # the script again changes nothing
        p = subprocess.run([str(REPO_ROOT / "packaging" / "echo-cancel")], capture_output=True, text=True,
                           env={**env, "KIOSK_EC_SOURCE_MASTER": "mic.monitor", "KIOSK_EC_SINK_MASTER": "spk"})
        assert p.returncode == 0 and not p.stderr, p.stderr
        mods = subprocess.run(["pactl", "list", "short", "modules"], env=env, capture_output=True, text=True)
        assert mods.stdout.count("module-echo-cancel") == 1, mods.stdout
        yield env
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)


def test_status_and_doctor_report_echo_cancellation(room):
    p = subprocess.run([sys.executable, "-m", "kiosk", "doctor", "--json"], env=room, capture_output=True,
                       text=True, timeout=120)
    checks = {c["check"]: c for c in json.loads(p.stdout)["checks"]}
    assert checks["echo_cancel"]["active"] is True and checks["echo_cancel"]["ok"] is True, checks
    p = subprocess.run([sys.executable, "-m", "kiosk", "doctor", "--json"], capture_output=True, text=True,
                       env={**room, "PULSE_SERVER": "unix:/nonexistent"}, timeout=120)
    checks = {c["check"]: c for c in json.loads(p.stdout)["checks"]}
    assert checks["echo_cancel"]["active"] is False and checks["echo_cancel"]["ok"] is True


def test_barge_in_at_equal_loudness_with_the_canceller(room, tmp_path):
    env = {**room, **{k: v for k, v in os.environ.items() if k.startswith("KIOSK_")}, "KIOSK_TTS_VOLUME": "100"}
    q1 = say("Tell me about the permanent galleries.", tmp_path / "q1.wav")
    q2 = say("Where are the toilets?", tmp_path / "q2.wav")
    p = start_listen(env, "--speak", once=False)
    try:
        time.sleep(0.8)
        subprocess.run(["paplay", "--device=mic", str(q1)], env=room, check=True, timeout=60)
        first = json.loads(p.stdout.readline())
        assert "galler" in first["transcript"]["text"].lower(), first
        time.sleep(2.5)  # the kiosk is reading out its answer at full volume, into the room
        subprocess.run(["paplay", "--device=mic", str(q2)], env=room, check=True, timeout=60)
        second = json.loads(p.stdout.readline())
        assert _clean(second["transcript"]["text"]), second
        assert second["transcript"]["duration_s"] < 6.0, second  # the answer was cut short by the visitor
    finally:
        p.kill()
        p.wait()


def _record(device: str, seconds: float, env: dict, out) -> subprocess.Popen:
    return subprocess.Popen(["timeout", "-s", "INT", str(seconds), "parecord", "--raw", f"--device={device}",
                             "--format=float32le", "--rate=16000", "--channels=1", str(out)], env=env,
                            stderr=subprocess.DEVNULL)


def test_the_canceller_removes_the_kiosks_voice_from_what_the_microphone_hears(room, tmp_path):
    """The control for the barge-in test: while the kiosk speaks (nobody else), the raw microphone hears its
    voice at full level and the cancelled source only a residue, at least 10 dB lower once the canceller
    has adapted (echo return loss enhancement)."""
    import numpy as np

    answer = say("The permanent galleries are on the first floor. They tell the story of the harbour, "
                 "from the fishing fleet to the shipwrecks of the last century.", tmp_path / "a.wav")
    files = [tmp_path / "raw.f32", tmp_path / "cancelled.f32"]
    recs = [_record(dev, 9, room, f) for dev, f in zip(("mic.monitor", "kiosk_ec_src"), files)]
    time.sleep(0.5)
    subprocess.run(["paplay", "--device=kiosk_ec_sink", str(answer)], env=room, check=True, timeout=60)
    levels = []
    for rec, f in zip(recs, files):
        rec.wait(timeout=30)
        x = np.fromfile(f, np.float32)
        frames = x[: len(x) // 1600 * 1600].reshape(-1, 1600)
        levels.append(np.sqrt((frames.astype(np.float64) ** 2).mean(axis=1)))
    n = min(len(levels[0]), len(levels[1]))
    speaking = np.flatnonzero(levels[0][:n] > 0.01)
    settled = speaking[speaking >= speaking[0] + 20]  # after the first 2 s of the kiosk's voice
    assert len(settled) > 10, (n, len(levels[0]), len(levels[1]), len(speaking))
    erle = 10 * np.log10((levels[0][settled] ** 2).mean() / max((levels[1][settled] ** 2).mean(), 1e-12))
    assert erle >= 10, f"echo return loss enhancement {erle:.1f} dB"
