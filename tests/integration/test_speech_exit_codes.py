"""Every failure of `kiosk listen`, `kiosk transcribe` and `kiosk say` ends with its documented exit code and
a clear message (2 input, 3 model, 5 storage, 6 audio device), never a traceback."""

import json
import os
import subprocess
import sys

import pytest


def run(*args, tmp_path, **env):
    full = {**os.environ, "KIOSK_DATA_DIR": str(tmp_path / "data"), "KIOSK_LLM_ENABLED": "false",
            "PULSE_SERVER": "unix:" + str(tmp_path / "no-sound-server"), **env}
    p = subprocess.run([sys.executable, "-m", "kiosk", *args, "--json"], capture_output=True, text=True,
                       env=full, timeout=300)
    assert "Traceback" not in p.stderr, p.stderr
    return p.returncode, (json.loads(p.stdout.splitlines()[-1]) if p.stdout.strip() else {})


@pytest.fixture
def wav(tmp_path):
    rc, out = run("say", "Where are the toilets?", "--out", str(tmp_path / "q.wav"), tmp_path=tmp_path)
    assert rc == 0, out
    return tmp_path / "q.wav"


def test_say(tmp_path):
    assert run("say", tmp_path=tmp_path)[0] == 2                                            # nothing to say
    rc, out = run("say", "hello", tmp_path=tmp_path)                                        # no speaker
    assert rc == 6 and out["error"]["code"] == "no_output_device"
    rc, out = run("say", "hello", "--out", str(tmp_path / "no" / "dir.wav"), tmp_path=tmp_path)
    assert rc == 5 and out["error"]["code"] == "audio_write_failed"
    rc, out = run("say", "hello", "--out", str(tmp_path / "x.wav"), tmp_path=tmp_path, KIOSK_TTS_VOICE="xx-nope")
    assert rc == 3 and out["error"]["code"] == "tts_voice"


def test_transcribe(tmp_path, wav):
    rc, out = run("transcribe", str(tmp_path / "missing.wav"), tmp_path=tmp_path)
    assert rc == 2 and out["error"]["code"] == "audio_not_found"
    (tmp_path / "text.wav").write_text("not audio")
    assert run("transcribe", str(tmp_path / "text.wav"), tmp_path=tmp_path)[0] == 2
    rc, out = run("transcribe", str(wav), "--engine", "vosk", tmp_path=tmp_path)            # no Vosk model
    assert rc == 3 and out["error"]["code"] == "stt_model_missing"
    rc, out = run("transcribe", str(wav), tmp_path=tmp_path)
    assert rc == 0 and "toilet" in out["text"].lower()


def test_listen(tmp_path):
    rc, out = run("listen", "--once", tmp_path=tmp_path, KIOSK_SPEECH_VOSK_MODEL="nope")   # model before mic
    assert rc == 3 and out["error"]["code"] == "stt_model_missing"
    rc, out = run("listen", "--once", tmp_path=tmp_path)                                    # no sound server
    assert rc == 6 and out["error"]["code"] == "mic_unavailable"
