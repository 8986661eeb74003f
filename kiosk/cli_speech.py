"""Speech commands: `kiosk transcribe`, `kiosk listen`, `kiosk say`."""

from __future__ import annotations

import sys

from kiosk.cli_common import config as _config
from kiosk.cli_common import emit as _emit
from kiosk.cli_common import fail as _fail
from kiosk.errors import InputError, KioskError


def cmd_transcribe(args) -> int:
    from kiosk.speech.audio import read_wav
    from kiosk.speech.capture import wav_blocks
    from kiosk.speech.listen import transcribe_blocks
    from kiosk.speech.setup import build_recognizers, pack_bias

    cfg = _config(args)
    clip = read_wav(args.file, cfg.speech.max_audio_s)
    bias = _bias(cfg)
    rec, final = build_recognizers(cfg, bias, engine=args.engine)
    tr = transcribe_blocks(wav_blocks(clip, realtime=args.realtime), rec, final)
    out = tr.public()
    if clip.clipped_fraction > 0.01:
        out["warning"] = f"{clip.clipped_fraction:.0%} of the samples are clipped"
    if not tr.text:
        out["warning"] = "no speech was recognised"
    _emit(out) if args.json else print(tr.text or "(no speech recognised)")
    return 0


def _bias(cfg) -> list[str]:
    from kiosk.knowledge.index import KnowledgeIndex
    from kiosk.speech.setup import pack_bias

    index = KnowledgeIndex(cfg.knowledge_db_path)
    try:
        return pack_bias(index.entries(), cfg.device.venue or index.meta().get("title", ""))
    finally:
        index.close()


def cmd_listen(args) -> int:
    from kiosk.app import Kiosk
    from kiosk.speech.capture import Microphone
    from kiosk.speech.gate import gated
    from kiosk.speech.listen import transcribe_blocks
    from kiosk.speech.setup import build_recognizers, pack_bias
    from kiosk.speech.vad import VadConfig

    cfg = _config(args)
    kiosk = Kiosk(cfg)
    sc = cfg.speech
    try:
        rec, final = build_recognizers(cfg, pack_bias(kiosk.index.entries(), kiosk.venue))
        vad = VadConfig(end_silence_s=sc.end_silence_s, max_utterance_s=sc.max_utterance_s,
                        no_speech_timeout_s=sc.no_speech_timeout_s)
        mic = Microphone(sc.device or None).open()
        speaker = None
        if args.speak:
            from kiosk.speech.speaker import Speaker
            from kiosk.speech.tts import EspeakTTS

            speaker = Speaker(EspeakTTS(cfg.tts.voice, cfg.tts.rate_wpm, cfg.tts.volume))
    except KioskError as err:
        kiosk.close()
        return _fail(err, args.json)
    try:
        if not mic.wait_ready():
            return _fail(KioskError("mic_unavailable", "the microphone delivers no audio"), args.json)
        import threading

        tapped = threading.Event()
        if sys.stdin.isatty():  # Enter = the touchscreen's tap-to-stop
            def wait_for_enter() -> None:
                while sys.stdin.readline():
                    tapped.set()
                    if speaker is not None:
                        speaker.stop()  # barge-in

            threading.Thread(target=wait_for_enter, daemon=True).start()
        while True:
            tapped.clear()
            print("listening... (speak now; Enter stops, Ctrl-C quits)", file=sys.stderr, flush=True)
            on_partial = None if args.json else (lambda t: print(f"\r  … {t}", end="", file=sys.stderr))
            tr = transcribe_blocks(gated(mic.blocks(), speaker), rec, final, on_partial=on_partial,
                                   endpoint=vad, should_stop=tapped.is_set)
            if tr.text:
                if speaker is not None:
                    from kiosk.speech.speaker import SpeakingSink

                    sink = SpeakingSink(speaker)
                    ans = kiosk.ask(tr.text, sink)
                    sink.finish()
                else:
                    ans = kiosk.ask(tr.text)
                if args.json:
                    _emit({"transcript": tr.public(), "answer": ans.public()})
                else:
                    print(f"\nYou asked: {tr.text}\n{ans.answer}")
            elif args.json:
                _emit({"transcript": tr.public(), "answer": None})
            if args.once:
                return 0
            mic.drain()
    except KioskError as err:
        return _fail(err, args.json)
    finally:
        mic.close()
        if speaker is not None:
            speaker.close()
        kiosk.reset_session()
        kiosk.close()


def cmd_say(args) -> int:
    from kiosk.speech.audio import write_wav
    from kiosk.speech.tts import EspeakTTS

    cfg = _config(args)
    text = " ".join(args.text).strip()
    if not text:
        return _fail(InputError("empty_text", "nothing to say"), args.json)
    tts = EspeakTTS(cfg.tts.voice, cfg.tts.rate_wpm, cfg.tts.volume)
    samples = tts.synthesize(text)
    if args.out:
        write_wav(args.out, samples, tts.sample_rate)
    else:
        try:
            import sounddevice as sd

            sd.play(samples, tts.sample_rate, blocking=True)
        except Exception as exc:  # no output device: a state, not a crash
            return _fail(KioskError("no_output_device", f"no audio output ({exc}); use --out FILE.wav"),
                         args.json)
    out = {"text": text, "out": args.out or "", "sample_rate": tts.sample_rate,
           "duration_s": round(len(samples) / tts.sample_rate, 3), "voice": cfg.tts.voice}
    _emit(out) if args.json else print(f"{out['duration_s']} s of speech" + (f" -> {args.out}" if args.out else ""))
    return 0
