""""Did you mean ...?" by voice, through a real PulseAudio room with the echo canceller: `kiosk listen --speak`
says the choices, the visitor's short reply (Piper and eSpeak voices) is recognised against them, and the
chosen entry is answered; "neither" passes the question on; a reply while the choices are still being said
barges in."""

import json
import os
import subprocess
import time

from speech_helpers import say, say_naturally
from test_echo_cancel import room  # noqa: F401  (the fixture)
from test_microphone import start_listen

# With the judge's answer line this high, an everyday question is always offered as choices.
FORCE_CHOICES = {"KIOSK_TURN_JUDGE": "1", "KIOSK_TURN_JUDGE_ANSWER_AT": "0.999",
                 "KIOSK_TURN_JUDGE_OFFER_AT": "0.001",
                 "KIOSK_TTS_VOLUME": "100",  # the kiosk as loud as the visitor
                 "KIOSK_SPEECH_NO_SPEECH_TIMEOUT_S": "15"}  # a slow machine may take long to say the choices


def ask_and_reply(room_env, tmp_path, question_wav, reply_wav, reply_after_s):
    """The question, then the reply ``reply_after_s`` after the kiosk opened the microphone for it (as it
    starts saying the choices; its first sentence is ready-made, so it speaks at once)."""
    env = {**room_env, **{k: v for k, v in os.environ.items() if k.startswith("KIOSK_")}, **FORCE_CHOICES}
    p = start_listen(env, "--speak")
    try:
        time.sleep(0.8)
        subprocess.run(["paplay", "--device=mic", str(question_wav)], env=room_env, check=True, timeout=60)
        opened, deadline = 0, time.monotonic() + 120
        while opened < 2 and time.monotonic() < deadline:  # the question's listening, then the reply's
            line = p.stderr.readline()
            opened += "(microphone open)" in line
            assert line or p.poll() is None, "kiosk listen ended before listening for a reply"
        time.sleep(reply_after_s)
        subprocess.run(["paplay", "--device=mic", str(reply_wav)], env=room_env, check=True, timeout=60)
        out, err = p.communicate(timeout=180)
    finally:
        p.kill()
        p.wait()
    assert p.returncode == 0, err
    return json.loads(out.splitlines()[-1])


def test_a_choice_named_by_voice_is_answered(room, tmp_path):  # noqa: F811
    q = say_naturally("Where can I find a toilet?", tmp_path / "q.wav")  # not a question the pack lists
    r = say("The toilets, please.", tmp_path / "r.wav", speed=140)
    result = ask_and_reply(room, tmp_path, q, r, reply_after_s=13.0)  # after the choices have been said
    offer = result["offer"]
    labels = [c["label"] for c in offer["choices"]]
    assert offer["source"] == "clarify" and "Toilets" in labels, result
    reply = result["replies"][-1]["reply"]
    assert reply == {"kind": "choice", "index": labels.index("Toilets")}, result
    assert result["answer"]["source"] == "knowledge"
    assert result["answer"]["entry_ids"] == [offer["choices"][labels.index("Toilets")]["entry_id"]]


def test_neither_said_over_the_choices_passes_the_question_on(room, tmp_path):  # noqa: F811
    q = say_naturally("Where can I find a toilet?", tmp_path / "q.wav")  # not a question the pack lists
    r = say_naturally("No, neither of them.", tmp_path / "r.wav")
    # ...while the kiosk is still saying the choices, as loud as its voice: the reply barges in.
    result = ask_and_reply(room, tmp_path, q, r, reply_after_s=1.0)
    assert result["offer"]["source"] == "clarify", result
    assert result["replies"][-1]["reply"] == {"kind": "none"}, json.dumps(result["replies"], indent=1)
    assert result["answer"]["escalated"] is True and result["answer"]["entry_ids"] == [], result
