"""Hands-free listening: the wake word (microWakeWord "okay nabu") in the kiosk's own voice turn."""

import numpy as np
import pytest

from kiosk.errors import SpeechUnavailable
from kiosk.speech.audio import RATE, write_wav
from kiosk.speech.wakeword import WakeWord, after_wake_word


@pytest.fixture(scope="module")
def voice():
    from kiosk.speech.audio import resample
    from kiosk.llm.manifest import locate_voice
    from kiosk.speech.voices import PiperTTS

    piper = PiperTTS("piper-en-us-joe-medium", locate_voice("piper-en-us-joe-medium"))
    return lambda text: resample(piper.synthesize(text), piper.sample_rate) * 0.5


def blocks(audio):
    return [audio[i:i + RATE // 10] for i in range(0, len(audio), RATE // 10)]


def test_the_wake_word_is_heard_and_a_question_is_not(voice):
    wake = WakeWord("okay_nabu")
    silence = np.zeros(RATE // 2, np.float32)
    assert any(wake.heard(b) for b in blocks(np.concatenate([silence, voice("Okay Nabu."), silence])))
    wake.reset()
    assert not any(wake.heard(b) for b in blocks(np.concatenate([silence, voice("Where are the toilets?"),
                                                                  voice("What time do you close today?")])))


def test_only_what_follows_the_wake_word_is_listened_to(voice, tmp_path):
    from kiosk.app import Kiosk
    from kiosk.config import load_config
    from kiosk.speech.capture import WavSource

    gap = np.zeros(RATE, np.float32)
    audio = np.concatenate([voice("Is the cafe open on Sundays?"), gap, voice("Okay Nabu."),
                            np.zeros(RATE // 4, np.float32), voice("Where are the toilets?")])
    write_wav(tmp_path / "visit.wav", audio, RATE)
    cfg = load_config(None, env={"KIOSK_DATA_DIR": str(tmp_path / "d"), "KIOSK_CONFIG": "",
                                 "KIOSK_SPEECH_WAKE_WORD": "okay_nabu"})
    kiosk = Kiosk(cfg)
    try:
        transcript = kiosk.voice().listen(WavSource(tmp_path / "visit.wav", realtime=False).open())
        assert kiosk.status()["wake_word"] == "okay_nabu"
    finally:
        kiosk.close()
    heard = transcript.text.lower()
    assert "toilet" in heard and "cafe" not in heard and "sunday" not in heard, heard


def test_a_tap_on_the_touchscreen_needs_no_wake_word(voice, tmp_path):
    """With hands-free on, the touchscreen's talk button still hears the question straight away."""
    from kiosk.app import Kiosk
    from kiosk.config import load_config
    from kiosk.speech.capture import WavSource
    from kiosk.ui.services import KioskServices

    audio = np.concatenate([np.zeros(RATE // 2, np.float32), voice("Where are the toilets?"),
                            np.zeros(RATE * 2, np.float32)])
    write_wav(tmp_path / "tap.wav", audio, RATE)
    cfg = load_config(None, env={"KIOSK_DATA_DIR": str(tmp_path / "d"), "KIOSK_CONFIG": "",
                                 "KIOSK_SPEECH_WAKE_WORD": "okay_nabu"})
    kiosk = Kiosk(cfg, load_model=False)
    heard = []
    try:
        services = KioskServices(kiosk, audio=lambda: WavSource(tmp_path / "tap.wav", realtime=False))
        answer = services.talk(lambda: None, lambda _t: None, lambda _l: None, lambda: False,
                               lambda text: heard.append(text) or True, lambda _e: None)
    finally:
        kiosk.close()
    assert heard and "toilet" in heard[0].lower(), heard
    assert answer is not None and "toilet" in answer.answer.lower()


def test_hands_free_on_the_touchscreen_wakes_on_the_phrase_and_answers(voice, tmp_path):
    from kiosk.app import Kiosk
    from kiosk.config import load_config
    from kiosk.speech.capture import WavSource
    from kiosk.ui.services import KioskServices

    audio = np.concatenate([np.zeros(RATE, np.float32), voice("Where is the cafe?"), np.zeros(RATE, np.float32),
                            voice("Okay Nabu."), np.zeros(RATE // 4, np.float32), voice("Where are the toilets?"),
                            np.zeros(RATE * 2, np.float32)])
    write_wav(tmp_path / "hands-free.wav", audio, RATE)
    cfg = load_config(None, env={"KIOSK_DATA_DIR": str(tmp_path / "d"), "KIOSK_CONFIG": "",
                                 "KIOSK_SPEECH_WAKE_WORD": "okay_nabu"})
    kiosk = Kiosk(cfg, load_model=False)
    heard, woke = [], []
    try:
        services = KioskServices(kiosk, audio=lambda: WavSource(tmp_path / "hands-free.wav", realtime=False))
        assert services.hands_free() == "Okay Nabu"
        answer = services.talk(lambda: None, lambda _t: None, lambda _l: None, lambda: False,
                               lambda text: heard.append(text) or True, lambda _e: None,
                               on_wake=lambda: woke.append(True))
    finally:
        kiosk.close()
    assert woke == [True] and "toilet" in heard[0].lower() and "cafe" not in heard[0].lower(), heard
    assert answer is not None and "toilet" in answer.answer.lower()


def test_a_wake_word_that_does_not_exist_is_a_clear_error_and_the_kiosk_still_listens(tmp_path):
    from kiosk.app import make_wake_word
    from kiosk.config import load_config

    with pytest.raises(SpeechUnavailable) as err:
        WakeWord("hey_kiosk")
    assert err.value.code == "wake_word_unknown"
    cfg = load_config(None, env={"KIOSK_DATA_DIR": str(tmp_path), "KIOSK_CONFIG": "",
                                 "KIOSK_SPEECH_WAKE_WORD": "hey_kiosk"})
    assert make_wake_word(cfg) is None  # off, with a warning: tap to talk still works


def test_after_the_wake_word_every_block_passes():
    class Fake:
        def __init__(self):
            self.n = 0

        def heard(self, block):
            self.n += 1
            return self.n == 3

        def reset(self):
            pass

    got = list(after_wake_word([np.full(4, i, np.float32) for i in range(6)], Fake()))
    assert [int(b[0]) for b in got] == [3, 4, 5]
