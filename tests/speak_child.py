"""Child process for the speech-output test (PortAudio must start inside the PulseAudio environment)."""

import json
import sys
import time

from kiosk.config import SAMPLE_PACK
from kiosk.knowledge.pack import load_pack
from kiosk.llm.engine import LlamaEngine
from kiosk.speech.speaker import Speaker, SpeakingSink
from kiosk.speech.tts import EspeakTTS


def main(model: str) -> None:
    pack = load_pack(SAMPLE_PACK)
    entry = next(e for e in pack.entries if e.id == "exhibitions#permanent-galleries")
    engine = LlamaEngine(model, "m", n_ctx=2048, venue=pack.title, pack=[entry])
    engine.warm()
    speaker = Speaker(EspeakTTS())
    sink = SpeakingSink(speaker)
    text = ""
    for piece in engine.generate("What can I see on each floor?", [entry], 90):
        text += piece.text
        sink.token(piece.text)
    gen_end = time.perf_counter()
    sink.finish()
    speaker.wait_idle(60)
    streamed = {"mode": speaker.mode, "answer": text, "sentences": len(speaker.events.spoken),
                "first_sample_before_generation_end": bool(speaker.events.first_sample)
                and speaker.events.first_sample[0] < gen_end}
    # Barge-in: a tap during a long answer.
    speaker.events.samples_out = 0
    long = "The ground floor holds the Fishing Fleet Gallery with the restored trawler Marianne. " * 4
    total = len(speaker.tts.synthesize(long))
    speaker.say(long)
    while not speaker.events.samples_out:
        time.sleep(0.01)
    time.sleep(0.3)
    speaker.stop()
    speaker.wait_idle(5)
    tap = {"samples_out": speaker.events.samples_out, "total": total, "speaking": speaker.speaking.is_set()}
    speaker.close()
    print(json.dumps({"streamed": streamed, "tap": tap}))


if __name__ == "__main__":
    main(sys.argv[1])
