"""Child process for the speech-output test (PortAudio must start inside the PulseAudio environment)."""

import json
import sys
import time

from kiosk.config import SAMPLE_PACK
from kiosk.knowledge.pack import load_pack
from kiosk.llm.engine import LlamaEngine
from kiosk.domain.events import Answered, Token
from kiosk.domain.models import Answer
from kiosk.speech.speaker import Speaker, SpeakingListener
from kiosk.speech.tts import EspeakTTS


def main(model: str) -> None:
    pack = load_pack(SAMPLE_PACK)
    entry = next(e for e in pack.entries if e.id == "exhibitions#permanent-galleries")
    engine = LlamaEngine(model, "m", n_ctx=2048, venue=pack.title, pack=[entry])
    engine.warm()
    speaker = Speaker(EspeakTTS())
    seen = {"spoken": 0, "first_sample": [], "samples_out": 0}

    def observe(ev) -> None:  # what the test watches, attached for this run only
        if ev.kind == "spoken":
            seen["spoken"] += 1
        elif ev.kind == "first_sample":
            seen["first_sample"].append(ev.at)
        elif ev.kind == "block":
            seen["samples_out"] += ev.samples

    speaker.subscribe(observe)
    listener = SpeakingListener(speaker)
    text = ""
    for piece in engine.generate("What can I see on each floor?", [entry], 90):
        text += piece.text
        listener(Token(piece.text))
    gen_end = time.perf_counter()
    listener(Answered(Answer("q", text, "llm", "full", False, 1.0), "s"))
    speaker.wait_idle(60)
    streamed = {"mode": speaker.mode, "answer": text, "sentences": seen["spoken"],
                "first_sample_before_generation_end": bool(seen["first_sample"])
                and seen["first_sample"][0] < gen_end}
    # Barge-in: a tap during a long answer.
    seen["samples_out"] = 0
    long = "The ground floor holds the Fishing Fleet Gallery with the restored trawler Marianne. " * 4
    total = len(speaker.tts.synthesize(long))
    speaker.say(long)
    while not seen["samples_out"]:
        time.sleep(0.01)
    time.sleep(0.3)
    speaker.stop()
    speaker.wait_idle(5)
    tap = {"samples_out": seen["samples_out"], "total": total, "speaking": speaker.speaking.is_set()}
    speaker.close()
    print(json.dumps({"streamed": streamed, "tap": tap}))


if __name__ == "__main__":
    main(sys.argv[1])
