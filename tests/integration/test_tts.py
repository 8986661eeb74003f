"""Speech output round trip: `kiosk say` -> WAV -> the kiosk's own recogniser finds the key words."""

import json

from kiosk.speech.audio import read_wav
from kiosk.speech.recognizers import WhisperRecognizer
from test_cli import kiosk


def test_say_round_trip(tmp_path):
    whisper = WhisperRecognizer()
    cases = {"The museum closes at half past five.": ["museum", "five"],
             "Lockers are on the ground floor behind the front desk.": ["ground floor", "behind", "desk"]}
    for text, keys in cases.items():
        out = tmp_path / "say.wav"
        rc, stdout, err = kiosk("say", text, "--out", str(out), "--json")
        assert rc == 0, err
        info = json.loads(stdout)
        assert info["sample_rate"] == 22050 and info["duration_s"] > 1
        heard = whisper.transcribe(read_wav(out, 60).samples).lower()
        assert all(k in heard for k in keys), heard


def test_say_without_an_output_device_is_a_clear_error(tmp_path):
    rc, out, err = kiosk("say", "hello", "--json", env={"PULSE_SERVER": "unix:" + str(tmp_path / "none")})
    assert rc == 6 and "Traceback" not in err  # no sound card here, and no sound server at that address (README: 6)
    assert json.loads(out)["error"]["code"] == "no_output_device"


def test_empty_text_is_refused():
    rc, out, _ = kiosk("say", "  ", "--json")
    assert rc == 2 and json.loads(out)["error"]["code"] == "empty_text"
