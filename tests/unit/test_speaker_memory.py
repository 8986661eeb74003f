"""A kiosk that answered 10,000 spoken-and-spoken-back turns holds no more memory in the speaker than after 10.

Everything is real except the engines: the voice turn, the gate, the recogniser loop, the turn pipeline, the
speaking listener and the speaker's thread; the recogniser, the model, the voice and the output are fakes.
"""

import gc
import tracemalloc

import numpy as np

from fakes import FakeIndex, FakeLLM, FixedModel, StepClock
from kiosk.config import TurnConfig
from kiosk.domain.pipeline import TurnPipeline
from kiosk.speech.kit import SpeechKit
from kiosk.speech.speaker import Speaker
from kiosk.speech.turn import VoiceTurn

SPEAKER_FILES = ("kiosk/speech/speaker.py", "kiosk/speech/turn.py", "kiosk/speech/kit.py")


class Heard:
    name = "fake-stt"

    def stream(self):
        return self

    def accept(self, block) -> str:
        return ""

    def final(self) -> str:
        return "How much do students pay for a ticket on a rainy day?"


class Utterance:
    """An open audio source delivering three blocks of speech-level noise."""

    blocks_ = [np.full(1600, 0.05, np.float32)] * 3

    def open(self):
        return self

    def wait_ready(self, timeout_s: float = 5.0) -> bool:
        return True

    def blocks(self):
        return iter(self.blocks_)

    def close(self) -> None:
        pass


class Voice:
    sample_rate = 22050

    def synthesize(self, text: str) -> np.ndarray:
        return np.zeros(441, np.float32)


class Output:
    name = "fake"

    def write(self, block) -> None:
        pass

    def close(self) -> None:
        pass


def test_ten_thousand_voice_turns_leave_the_speaker_no_bigger_than_ten():
    speaker = Speaker(Voice(), Output())
    kit = SpeechKit(lambda: (Heard(), None), None, Utterance, speaker)
    pipeline = TurnPipeline(FakeIndex(), FixedModel(FakeLLM(["Students pay 9 euros.", " Adults", " pay 14."])),
                            StepClock(), TurnConfig(grounding_check=False))
    voice = VoiceTurn(kit, lambda q, *ls: pipeline.answer(q, ls[0] if ls else None))
    source = Utterance()

    def turns(n: int) -> None:
        for _ in range(n):
            result = voice(source)
            assert result.answer is not None and result.answer.source == "llm"
            assert speaker.wait_idle(10)

    def held() -> int:
        gc.collect()
        snap = tracemalloc.take_snapshot()
        return sum(s.size for s in snap.statistics("filename")
                   if s.traceback[0].filename.replace("\\", "/").endswith(SPEAKER_FILES))

    tracemalloc.start()
    try:
        turns(10)
        after_10 = held()
        turns(9_990)
        after_10k = held()
    finally:
        tracemalloc.stop()
        speaker.close()
    assert speaker.stats.sentences_spoken == 2 * 10_000  # it really spoke every answer
    # The echo window is a deque bounded by count (ECHO_WINDOW_S / BLOCK_S entries of two floats); how full
    # it is depends on how many blocks the fake device took in the last second, not on the turns so far.
    echo_bound = speaker._recent.maxlen * 104
    assert after_10k <= after_10 + echo_bound + 4096, (after_10, after_10k, echo_bound)


def test_a_microphone_that_delivers_nothing_is_unavailable_not_a_generic_error():
    import pytest

    from kiosk.errors import MicUnavailable

    class Silent(Utterance):
        def wait_ready(self, timeout_s: float = 5.0) -> bool:
            return False

    voice = VoiceTurn(SpeechKit(lambda: (Heard(), None), None, Silent), lambda q, *ls: None)
    closed = []
    with pytest.raises(MicUnavailable) as exc:
        voice(Silent(), after_listening=lambda: closed.append(True))
    assert exc.value.exit_code == 6 and exc.value.code == "mic_unavailable" and closed == [True]
