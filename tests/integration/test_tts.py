"""Speech output round trip: `kiosk say` -> WAV -> the kiosk's own recogniser finds the key words."""

import json

import pytest

from kiosk.speech.audio import read_wav
from kiosk.speech.recognizers import WhisperRecognizer
from test_cli import kiosk


@pytest.mark.parametrize("voice, expected", [(None, "piper-en-us-joe-medium"), ("espeak", "espeak")])
def test_say_round_trip(tmp_path, voice, expected):
    """The default voice is Piper's joe (natural); `--voice espeak` selects eSpeak NG. Both are understood."""
    whisper = WhisperRecognizer()
    cases = {"The museum closes at half past five.": ["museum", "five"],
             "Lockers are on the ground floor behind the front desk.": ["ground floor", "behind", "desk"]}
    for text, keys in cases.items():
        out = tmp_path / "say.wav"
        rc, stdout, err = kiosk("say", text, "--out", str(out), "--json", *(("--voice", voice) if voice else ()))
        assert rc == 0, err
        info = json.loads(stdout)
        assert info["voice"] == expected and "warning" not in info
        assert info["sample_rate"] == 22050 and info["duration_s"] > 1
        heard = whisper.transcribe(read_wav(out, 60).samples).lower()
        assert all(k in heard for k in keys), heard


def test_a_missing_neural_voice_falls_back_to_espeak_and_says_so(tmp_path):
    from kiosk.errors import ModelError
    from kiosk.speech.voices import Voice

    def missing(name):
        raise ModelError("model_missing", f"model {name} is not installed")

    voice = Voice("piper-en-us-joe-medium", missing)
    assert len(voice.synthesize("The cafe is open.")) > 22050 // 2
    assert voice.active == "espeak" and "not installed" in voice.unavailable


def test_the_neural_voice_is_freed_when_resources_run_short_and_comes_back():
    from kiosk.llm.manifest import locate_voice
    from kiosk.speech.voices import Voice

    voice = Voice("piper-en-us-joe-medium", locate_voice)
    voice.load()
    assert voice.active == "piper-en-us-joe-medium" and voice._neural is not None
    voice.plain()  # the governor stepped down
    assert voice.active == "espeak" and voice._neural is None
    assert len(voice.synthesize("Lifts are by the entrance.")) > 0 and voice._neural is None
    voice.full()
    voice.synthesize("Lifts are by the entrance.")
    assert voice.active == "piper-en-us-joe-medium" and voice._neural is not None


def test_status_says_which_voice_speaks():
    rc, out, err = kiosk("status", "--json")
    assert rc == 0, err
    v = json.loads(out)["voice"]
    assert v["configured"] == v["active"] == "piper-en-us-joe-medium" and v["neural"] is True
    rc, out, err = kiosk("status", "--json", env={"KIOSK_TTS_VOICE": "espeak"})
    assert json.loads(out)["voice"]["active"] == "espeak"


def test_say_without_an_output_device_is_a_clear_error(tmp_path):
    rc, out, err = kiosk("say", "hello", "--json", env={"PULSE_SERVER": "unix:" + str(tmp_path / "none")})
    assert rc == 6 and "Traceback" not in err  # no sound card here, and no sound server at that address (README: 6)
    assert json.loads(out)["error"]["code"] == "no_output_device"


def test_empty_text_is_refused():
    rc, out, _ = kiosk("say", "  ", "--json")
    assert rc == 2 and json.loads(out)["error"]["code"] == "empty_text"


def test_fixed_sentences_are_prepared_once_per_voice_and_spoken_without_synthesis():
    import threading

    from kiosk.domain.fixed_phrases import fixed_phrases
    from kiosk.domain.heuristics import DONT_KNOW
    from kiosk.llm.manifest import locate_voice
    from kiosk.speech.speaker import SilentOutput, Speaker
    from kiosk.speech.voices import Voice

    class Counting(Voice):
        calls = 0

        def synthesize(self, text):
            Counting.calls += 1
            return super().synthesize(text)

    voice = Counting("piper-en-us-joe-medium", locate_voice)
    voice.load()
    speaker = Speaker(voice, SilentOutput())
    heard, first = [], threading.Event()
    speaker.subscribe(lambda ev: (heard.append(ev), first.set()) if ev.kind == "first_sample" else None)
    try:
        phrases = fixed_phrases("Harbourlight Maritime Museum", "112")
        assert speaker.prepare(phrases) >= len(phrases) and speaker.prepare(phrases) == 0  # once per voice
        before = Counting.calls
        for sentence in DONT_KNOW.split(". "):
            speaker.say(sentence if sentence.endswith(".") else sentence + ".")
        assert first.wait(10) and speaker.wait_idle(60)
        assert Counting.calls == before  # every piece came ready-made
        voice.plain()  # the governor stepped down: eSpeak speaks, and its pieces are prepared on their own
        assert speaker.prepare(phrases) >= len(phrases)
        assert speaker.prepared_in("espeak") == speaker.prepared_in("piper-en-us-joe-medium")
    finally:
        speaker.close()
