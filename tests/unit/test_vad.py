from kiosk.speech.vad import Endpointer, VadConfig

F = 0.05  # frame length in seconds; time is passed in, nothing sleeps


def run(ep, levels):
    states = [ep.process(F, lvl) for lvl in levels]
    return states[-1]


def test_speech_then_silence_ends_the_utterance():
    ep = Endpointer(VadConfig(start_s=0.1, end_silence_s=0.5))
    assert run(ep, [0.001] * 10) == "waiting"
    assert run(ep, [0.2] * 20) == "speaking"
    assert abs(ep.started_at - 0.5) < 1e-9
    assert run(ep, [0.001] * 9) == "speaking"   # 0.45 s of silence: a pause, not the end
    assert run(ep, [0.001] * 2) == "done" and ep.reason == "silence"


def test_a_click_is_not_speech():
    ep = Endpointer(VadConfig(start_s=0.15))
    assert run(ep, [0.001] * 5 + [0.5] + [0.001] * 5) == "waiting"


def test_max_length_and_no_speech_timeouts():
    ep = Endpointer(VadConfig(max_utterance_s=2.0))
    assert run(ep, [0.001] * 6 + [0.3] * 41) == "done" and ep.reason == "max_length"
    ep = Endpointer(VadConfig(no_speech_timeout_s=1.0))
    assert run(ep, [0.0] * 20) == "done" and ep.reason == "no_speech" and not ep.heard_speech


def test_tap_to_stop():
    ep = Endpointer()
    run(ep, [0.001] * 4 + [0.2] * 10)
    assert ep.stop() == "done" and ep.reason == "tap"


def test_noise_floor_adapts_to_a_noisy_room():
    ep = Endpointer(VadConfig(start_s=0.1))
    assert run(ep, [0.02] * 40) == "waiting"  # steady fan noise
    assert run(ep, [0.03] * 5) == "waiting"   # a little louder than the room is still the room
    assert run(ep, [0.2] * 5) == "speaking"


def test_transcription_stops_on_tap_before_the_audio_ends():
    import numpy as np

    from kiosk.speech.listen import transcribe_blocks

    class Rec:
        name = "fake"

        def stream(self):
            class S:
                n = 0

                def accept(self, samples):
                    self.n += len(samples)

                def final(self):
                    return f"{self.n} samples"

            return S()

    loud = [np.full(1600, 0.001, np.float32)] * 5 + [np.full(1600, 0.3, np.float32)] * 100
    fed = []

    def blocks():
        for b in loud:
            fed.append(1)
            yield b

    tr = transcribe_blocks(blocks(), Rec(), endpoint=VadConfig(), should_stop=lambda: len(fed) > 20)
    assert tr.end_reason == "tap" and len(fed) < len(loud)


def test_a_whole_sentence_may_end_the_utterance_before_the_full_silence():
    from kiosk.speech.listen import whole_sentence
    from kiosk.speech.vad import Endpointer, VadConfig

    assert whole_sentence("Where are the toilets?") and whole_sentence("I lost my bag.")
    assert not whole_sentence("Where is the...") and not whole_sentence("Toilets?") and not whole_sentence("")
    ep = Endpointer(VadConfig(complete_silence_s=0.3))
    assert ep.complete() == Endpointer.WAITING  # nothing said yet: nothing to end
    for _ in range(10):
        ep.process(0.03, 0.0)
    for _ in range(10):
        ep.process(0.03, 0.2)
    assert ep.state == Endpointer.SPEAKING
    assert ep.complete() == Endpointer.DONE and ep.reason == "complete"


def test_a_pause_the_end_of_turn_model_calls_unfinished_waits_for_the_hesitation_limit():
    ep = Endpointer(VadConfig(start_s=0.1, end_silence_s=0.5, hesitation_s=1.0))
    run(ep, [0.001] * 10 + [0.2] * 20 + [0.001] * 4)
    assert ep.hold() == "speaking" and ep.held
    assert run(ep, [0.001] * 10) == "speaking"  # 0.7 s: past end_silence_s, still listening
    assert run(ep, [0.001] * 6) == "done" and ep.reason == "silence"


def test_speech_after_a_held_pause_brings_back_the_ordinary_limit():
    ep = Endpointer(VadConfig(start_s=0.1, end_silence_s=0.5, hesitation_s=1.0))
    run(ep, [0.001] * 10 + [0.2] * 20 + [0.001] * 4)
    ep.hold()
    run(ep, [0.2] * 4)
    assert not ep.held
    assert run(ep, [0.001] * 11) == "done"


def test_a_released_hold_ends_at_once_when_the_silence_is_already_long_enough():
    ep = Endpointer(VadConfig(start_s=0.1, end_silence_s=0.5, hesitation_s=1.0))
    run(ep, [0.001] * 10 + [0.2] * 20 + [0.001] * 4)
    ep.hold()  # the end-of-turn model is deciding
    assert run(ep, [0.001] * 8) == "speaking"  # 0.6 s
    ep.release()  # it could not tell: the ordinary rule, already met
    assert run(ep, [0.001]) == "done" and ep.reason == "silence"


def test_the_end_of_turn_model_ends_the_utterance_at_once():
    ep = Endpointer(VadConfig(start_s=0.1))
    run(ep, [0.001] * 10 + [0.2] * 20 + [0.001] * 4)
    assert ep.complete("turn_model") == "done" and ep.reason == "turn_model"


def test_the_words_overrule_the_end_of_turn_model():
    from kiosk.speech.end_of_turn import Turn, verdict

    assert verdict(0.97, "Where do I check in for?") is Turn.PAUSING  # a sentence never ends on "for"
    assert verdict(0.97, "Where are the toilets?") is Turn.FINISHED
    assert verdict(0.2, "Where are the toilets?") is Turn.UNSURE  # not trusted to hold: silence decides
    assert verdict(0.97, "") is Turn.UNSURE  # nothing recognised: the silence rule decides
    assert verdict(0.6, "Is the reptile house open", threshold=0.7) is Turn.UNSURE
