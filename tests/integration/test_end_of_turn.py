"""End of turn by model (Smart Turn v3.2, the real ONNX file) with the words of the speculative transcript:
real Piper speech, real Whisper, real-time audio through the kiosk's own end-pointer."""

from __future__ import annotations

import numpy as np
import pytest

from kiosk.speech.audio import RATE, Clip, read_wav
from kiosk.speech.capture import wav_blocks
from kiosk.speech.listen import transcribe_blocks
from kiosk.speech.recognizers import WhisperRecognizer
from kiosk.speech.turn_model import TurnFeatures, load_turn_model
from kiosk.speech.vad import VadConfig
from speech_helpers import say_naturally


@pytest.fixture(scope="module")
def turn_model():
    return load_turn_model()


@pytest.fixture(scope="module")
def whisper():
    return WhisperRecognizer()


def spoken(text: str, tmp_path) -> np.ndarray:
    x = read_wav(say_naturally(text, tmp_path / "s.wav"), 60).samples  # 16 kHz mono
    lv = np.sqrt((x[: len(x) // 160 * 160].reshape(-1, 160).astype(np.float64) ** 2).mean(axis=1))
    act = np.flatnonzero(lv > lv.max() * 0.02)
    return x[act[0] * 160:(act[-1] + 1) * 160]


# The hesitation limit raised: while the model decides only it ends a silence, and a busy test machine may
# take a second or more over the transcript the verdict waits for.
SLOW_MACHINE = VadConfig(hesitation_s=3.0)


def silence(s: float) -> np.ndarray:
    return np.zeros(int(RATE * s), np.float32)


def test_features_are_the_last_eight_seconds_normalised_and_left_padded():
    f = TurnFeatures()
    rng = np.random.default_rng(1)
    short = (rng.standard_normal(RATE * 2) * 0.05).astype(np.float32)
    a = f(short)
    assert a.shape == (80, 800) and a.dtype == np.float32
    assert np.allclose(a[:, :500], a[:, :1])  # 6 s of zero padding at the start: nothing changes in time
    assert a[:, -150:].std() > 0.05          # the audio is at the end, where the model reads "now"
    assert np.allclose(f(short * 10), a, atol=1e-4)  # normalised: the level does not matter
    long = (rng.standard_normal(RATE * 12) * 0.05).astype(np.float32)
    assert np.allclose(f(long), f(long[-RATE * 8:]), atol=1e-5)


def test_the_model_tells_a_finished_question_from_a_broken_off_one(turn_model, tmp_path):
    finished = np.concatenate([silence(0.5), spoken("Where are the toilets?", tmp_path), silence(0.2)])
    broken = np.concatenate([silence(0.5), spoken("Can I take my", tmp_path), silence(0.2)])
    assert turn_model.complete_probability(finished) > 0.5 > turn_model.complete_probability(broken)


def test_a_finished_question_ends_before_the_silence_rule_would(turn_model, whisper, tmp_path):
    audio = np.concatenate([silence(0.5), spoken("Where are the toilets?", tmp_path), silence(3.5)])
    tr = transcribe_blocks(wav_blocks(Clip(audio, RATE, 1, 2, 0.0), realtime=True), whisper,
                           endpoint=SLOW_MACHINE, turn_model=turn_model)
    assert tr.end_reason == "turn_model" and tr.end_of_turn == "model"
    assert "toilets" in tr.text.lower()


def test_a_visitor_who_pauses_after_the_is_not_cut_off(turn_model, whisper, tmp_path):
    # The pause is longer than the 0.6 s silence rule: the model's "still talking" (and a sentence never
    # ending on "the") holds the turn open to the hesitation limit.
    # The Piper voice varies from run to run, and Whisper hears one "the" in six or so as "this" or "them"
    # (a whole sentence: that visitor is cut off, a recogniser miss tests/benchmarks/hesitations.py counts).
    # This test is of the rule, so it takes a fragment Whisper hears as ending on "the".
    for _ in range(5):
        fragment = spoken("I'm looking for the", tmp_path)
        heard = whisper.transcribe(np.concatenate([silence(0.5), fragment, silence(0.3)]))
        if heard.lower().rstrip(".… ").endswith(" the"):
            break
    else:
        pytest.fail("Whisper never heard the fragment end on 'the' in five syntheses")
    audio = np.concatenate([silence(0.5), fragment, silence(0.8),
                            spoken("pharmacy, is it nearby?", tmp_path), silence(3.5)])
    tr = transcribe_blocks(wav_blocks(Clip(audio, RATE, 1, 2, 0.0), realtime=True), whisper,
                           endpoint=SLOW_MACHINE, turn_model=turn_model)
    assert "nearby" in tr.text.lower(), tr.text
    silence_only = transcribe_blocks(wav_blocks(Clip(audio, RATE, 1, 2, 0.0), realtime=True), whisper,
                                     endpoint=VadConfig())
    assert "nearby" not in silence_only.text.lower() and silence_only.end_of_turn == "silence"


def test_a_missing_model_leaves_the_silence_rule_and_says_why(tmp_path):
    from kiosk.speech.kit import SpeechKit

    manifest = tmp_path / "manifest.toml"
    manifest.write_text('[[model]]\nname = "smart-turn-v3.2"\nkind = "turn"\nfile = "absent.onnx"\n'
                        'sha256 = "00"\nsize = 1\nlicense = "x"\nsource = "x"\n')
    kit = SpeechKit(lambda: (None, None), VadConfig(), lambda: None,
                    turn_model=lambda: load_turn_model(manifest=manifest))
    assert kit.turn_model() is None and kit.end_of_turn() == ("silence", "model_missing")
    assert SpeechKit(lambda: (None, None), VadConfig(), lambda: None).end_of_turn() == ("silence", "configured")


def test_the_governor_stepping_down_turns_the_model_off_and_status_says_so(tmp_path, model_path):
    import json

    from kiosk.app import Kiosk
    from kiosk.config import load_config

    readings = tmp_path / "readings.json"
    good = {"mem_available_mb": 4000, "cpu_load": 0.2, "temp_c": 50, "disk_free_mb": 10000}
    readings.write_text(json.dumps(good))
    cfg = load_config(None, env={"KIOSK_DATA_DIR": str(tmp_path / "d"), "KIOSK_CONFIG": "",
                                 "KIOSK_SPEECH_END_OF_TURN": "model", "KIOSK_TURN_COMPOSE": "1",
                                 "KIOSK_RESOURCES_EMULATE": str(readings)})
    kiosk = Kiosk(cfg)  # a kiosk whose best tier is full (it phrases answers with its model)
    try:
        kit = kiosk.speech()
        assert kit.end_of_turn() == ("model", "")
        assert kiosk.status()["end_of_turn"]["active"] == "model"
        readings.write_text(json.dumps({**good, "cpu_load": 3.0}))  # the machine is overloaded
        kiosk.tick()
        assert kit.turn_model() is None and kit.end_of_turn() == ("silence", "stepped_down")
        assert kiosk.status()["end_of_turn"] == {"configured": "model", "active": "silence",
                                                 "reason": "stepped_down", "end_silence_s": 0.6}
    finally:
        kiosk.close()
