"""End of speech to first answer audio through a real sound server: a private PulseAudio with a virtual
microphone and speaker, a "room" that carries the speaker back into the microphone, and the kiosk session's
echo canceller between them. `kiosk listen --speak --once` hears a question played into the microphone and
answers aloud; one recording of the room holds both, so the figure includes the devices' buffers and the
sound server, which the in-process voice-turn figure leaves out."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from kiosk.config import REPO_ROOT, Config
from kiosk.speech.audio import RATE
from kiosk.stats import percentile as pct

FRAME = 160  # 10 ms
ACTIVE_RMS = 0.005


def _levels(x: np.ndarray) -> np.ndarray:
    f = x[: len(x) // FRAME * FRAME].reshape(-1, FRAME).astype(np.float64)
    return np.sqrt((f ** 2).mean(axis=1))


def start_room(run_dir: Path) -> tuple[subprocess.Popen, dict]:
    """A private PulseAudio in ``run_dir``: a virtual speaker (spk) and microphone (mic), a room carrying the
    speaker into the microphone, and the kiosk session's echo canceller between them. Returns the daemon
    and the environment that reaches it."""
    env = {**os.environ, "PULSE_RUNTIME_PATH": str(run_dir), "HOME": str(run_dir), "XDG_CONFIG_HOME": str(run_dir),
           "PULSE_STATE_PATH": str(run_dir)}
    env.pop("PULSE_SERVER", None)
    daemon = subprocess.Popen(["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1",
                               "--load=module-native-protocol-unix"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode == 0:
                break
            time.sleep(0.1)
        for args in (["module-null-sink", "sink_name=spk", "rate=16000", "channels=1"],
                     ["module-null-sink", "sink_name=mic", "rate=16000", "channels=1"],
                     # the room; pinned, or PulseAudio moves it onto the canceller's source (a feedback loop)
                     ["module-loopback", "source=spk.monitor", "sink=mic", "latency_msec=20",
                      "source_dont_move=true", "sink_dont_move=true"]):
            subprocess.run(["pactl", "load-module", *args], env=env, check=True, capture_output=True)
        p = subprocess.run([str(REPO_ROOT / "packaging" / "echo-cancel")], capture_output=True, text=True,
                           env={**env, "KIOSK_EC_SOURCE_MASTER": "mic.monitor", "KIOSK_EC_SINK_MASTER": "spk"})
        if p.returncode != 0 or p.stderr:
            raise RuntimeError(f"packaging/echo-cancel: {p.stderr.strip()}")
    except BaseException:
        daemon.terminate()
        daemon.wait(timeout=10)
        raise
    return daemon, env


class _Listener:
    """One `kiosk listen --speak --json` for all the questions (a kiosk runs for days: its first turn, with
    cold caches, is a warm-up). Its stdin is a terminal, so Enter is the touchscreen's tap: it stops the
    speech between questions."""

    def __init__(self, kiosk_env: dict) -> None:
        import pty

        self.master, slave = pty.openpty()
        self.p = subprocess.Popen([sys.executable, "-m", "kiosk", "listen", "--speak", "--json"], env=kiosk_env,
                                  stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        os.close(slave)
        self.wait_listening()

    def wait_listening(self) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = self.p.stderr.readline()
            if "listening" in line:
                return
            if not line:
                break
        raise RuntimeError("kiosk listen did not start listening")

    def result(self) -> dict:
        import json

        line = self.p.stdout.readline()
        return json.loads(line) if line.strip() else {}

    def tap(self) -> None:
        """Stop the answer being spoken; the listening turn it also ends comes back empty."""
        os.write(self.master, b"\n")
        self.result()
        self.wait_listening()

    def close(self) -> None:
        self.p.kill()
        self.p.wait()
        os.close(self.master)


def _turn(env: dict, listener: _Listener, wav: Path, speech_s: float, tmp: Path) -> dict | None:
    rec_path = tmp / "room.f32"
    rec = subprocess.Popen(["parecord", "--raw", "--device=mic.monitor", "--format=float32le", "--rate=16000",
                            "--channels=1", "--latency-msec=10", str(rec_path)], env=env, stderr=subprocess.DEVNULL)
    time.sleep(0.8)
    subprocess.run(["paplay", "--device=mic", str(wav)], env=env, check=True, timeout=60)
    result = listener.result()
    listener.wait_listening()
    time.sleep(2.5)  # the answer starts within this
    rec.send_signal(2)
    rec.wait(timeout=10)
    listener.tap()
    if not result.get("answer"):
        return None
    lv = _levels(np.fromfile(rec_path, np.float32))
    active = np.flatnonzero(lv > ACTIVE_RMS)
    if not len(active):
        return None
    q_end = active[0] + int(round(speech_s * RATE / FRAME))
    after = active[active > q_end + 5]
    if not len(after):
        return None
    return {"total": (after[0] - q_end) * FRAME / RATE * 1000, "route": result["answer"].get("source")}


def bench_voice_turn_pulse(config: Config, questions: Sequence[str]) -> dict[str, Any]:
    if not (shutil.which("pulseaudio") and shutil.which("parecord") and shutil.which("paplay")):
        return {"skipped": "PulseAudio is not installed (packaging/setup.sh installs it)"}
    from kiosk.app import make_tts
    from kiosk.speech.audio import resample, write_wav

    voice = make_tts(config)
    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        daemon, env = start_room(tmp)
        try:
            kiosk_env = {**env, "KIOSK_DATA_DIR": str(config.data_path)}
            if config.source:
                kiosk_env["KIOSK_CONFIG"] = str(config.source)
            rows = []
            listener = _Listener(kiosk_env)
            for i, q in enumerate([questions[-1], *questions]):  # the first is the warm-up
                s = resample(voice.synthesize(q), voice.sample_rate)
                lv = _levels(s)
                act = np.flatnonzero(lv > lv.max() * 10 ** (-35 / 20))
                wav = tmp / f"q{i}.wav"
                write_wav(wav, s[act[0] * FRAME:(act[-1] + 1) * FRAME], RATE)  # the speech, edge to edge
                row = _turn(env, listener, wav, (act[-1] + 1 - act[0]) * FRAME / RATE, tmp)
                if row and i:
                    rows.append(row)
        finally:
            if "listener" in locals():
                listener.close()
            daemon.terminate()
            daemon.wait(timeout=10)
    if not rows:
        return {"skipped": "no question was heard and answered through the sound server"}
    vals = [r["total"] for r in rows]
    return {"questions": len(rows), "of": len(questions), "voice": voice.active, "echo_cancel": True,
            "total_ms_p50": round(pct(vals, 50), 1), "total_ms_p95": round(pct(vals, 95), 1), "target_ms_p50": 700}
