"""How often is a spoken reply to "did you mean ...?" understood? Real offers from the sample pack (the judge's
choices, with its answer line raised so every question is offered as choices), the replies yes, no, neither,
"the first one" and each choice's name, said by the Piper voice and by eSpeak NG at two speeds, clean and
mixed with six-voice babble at 10 dB SNR, through the chain `kiosk listen` uses for a reply (Silero end-pointing,
Whisper with the choices as its prompt, kiosk/domain/reply.py). The same audio without the reply prompt (the
pack-biased prompt of an ordinary question) is the baseline, in the same run.

    .venv/bin/python tests/benchmarks/clarify_replies.py

Never asserts; prints figures.
"""

from __future__ import annotations

import os

import numpy as np

QUESTIONS = ("Where are the toilets?", "Can I see the lighthouse?", "Tell me about the boats")


def main() -> None:
    os.environ.setdefault("KIOSK_TURN_JUDGE", "1")
    os.environ.setdefault("KIOSK_TURN_JUDGE_ANSWER_AT", "0.999")
    os.environ.setdefault("KIOSK_TURN_JUDGE_OFFER_AT", "0.001")
    from kiosk.app import Kiosk, make_tts
    from kiosk.bench.noise import babble, espeak_speaker, mix
    from kiosk.config import load_config
    from kiosk.domain.reply import Reply, ReplyKind, read_reply, reply_prompt
    from kiosk.speech.audio import RATE, Clip, resample
    from kiosk.speech.capture import wav_blocks
    from kiosk.speech.listen import transcribe_blocks
    from kiosk.speech.recognizers import PromptedRecognizer

    cfg = load_config(None)
    kiosk = Kiosk(cfg, load_model=False)
    kit = kiosk.speech()
    rec, final = kit.recognizers()
    piper = make_tts(cfg)
    espeak = espeak_speaker()
    voices = {"piper": lambda t: resample(piper.synthesize(t), piper.sample_rate),
              "espeak 140 wpm": lambda t: espeak(t, 140), "espeak 190 wpm": lambda t: espeak(t, 190)}
    rng = np.random.default_rng(3)
    tally: dict[tuple[str, str, str], list[int]] = {}
    misses: list[str] = []
    try:
        for q in QUESTIONS:
            offer = kiosk.ask(q)
            kiosk.reset_session()
            if not offer.choices:
                print(f"  no choices offered for {q!r}: {offer.source}")
                continue
            cases = [("Yes.", Reply(ReplyKind.CHOICE, 0)), ("No.", Reply(ReplyKind.NONE)),
                     ("Neither of them.", Reply(ReplyKind.NONE)), ("The first one.", Reply(ReplyKind.CHOICE, 0))]
            cases += [(f"{c.label}.", Reply(ReplyKind.CHOICE, i)) for i, c in enumerate(offer.choices)]
            prompted = PromptedRecognizer(final or rec, reply_prompt(offer.choices))
            for vname, speak in voices.items():
                for said, want in cases:
                    clean = speak(said)
                    noise = babble(len(clean) / RATE + 3.0, rng, espeak)
                    quiet = np.concatenate([np.zeros(RATE // 2, np.float32), clean, np.zeros(int(RATE * 1.5),
                                                                                             np.float32)])
                    for cond, audio in (("clean", quiet), ("babble 10 dB", mix(clean, noise, 10)[0])):
                        for side, fin in (("reply prompt", prompted), ("baseline", final)):
                            tr = transcribe_blocks(wav_blocks(Clip(audio, RATE, 1, 2, 0.0), realtime=False),
                                                   rec, fin, endpoint=kit.endpoint, detector=kit.detector())
                            got = read_reply(tr.text, offer.choices)
                            t = tally.setdefault((side, vname, cond), [0, 0])
                            t[0], t[1] = t[0] + (got == want), t[1] + 1
                            if got != want and side == "reply prompt":
                                misses.append(f"  {vname}, {cond}: {said!r} -> {tr.text!r} ({got.kind.value} "
                                              f"{got.index})")
    finally:
        kiosk.close()
    print("\n".join(misses))
    for side in ("reply prompt", "baseline"):
        rows = {k: v for k, v in tally.items() if k[0] == side}
        ok, n = sum(v[0] for v in rows.values()), sum(v[1] for v in rows.values())
        print(f"{side}: {ok}/{n} understood ({ok / max(1, n):.1%}); " +
              "; ".join(f"{k[1]} {k[2]} {v[0]}/{v[1]}" for k, v in rows.items()))
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
