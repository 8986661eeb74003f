"""Speech commands: `kiosk transcribe`, `kiosk listen`, `kiosk say`.

Exit codes: 2 unusable input (not a WAV file, too long, nothing to say), 3 a speech model is missing or
broken, 4 the knowledge pack, 5 storage, 6 no microphone or no audio output.
"""

from __future__ import annotations

import sys
import threading

from kiosk.cli_common import config as _config
from kiosk.cli_common import emit as _emit
from kiosk.cli_common import fail as _fail
from kiosk.errors import InputError, KioskError, MicUnavailable, NoOutputDevice


def cmd_transcribe(args) -> int:
    from kiosk.app import Kiosk
    from kiosk.speech.audio import read_wav
    from kiosk.speech.capture import wav_blocks
    from kiosk.speech.listen import transcribe_blocks

    cfg = _config(args)
    clip = read_wav(args.file, cfg.speech.max_audio_s)
    kiosk = Kiosk(cfg, load_model=False)
    try:
        rec, final = kiosk.speech(engine=args.engine).recognizers()
        tr = transcribe_blocks(wav_blocks(clip, realtime=args.realtime), rec, final)
    finally:
        kiosk.close()
    out = tr.public()
    if clip.clipped_fraction > 0.01:
        out["warning"] = f"{clip.clipped_fraction:.0%} of the samples are clipped"
    if not tr.text:
        out["warning"] = "no speech was recognised"
    _emit(out) if args.json else print(tr.text or "(no speech recognised)")
    return 0


def _enter_taps(tapped: threading.Event, speaker) -> None:
    """Enter = the touchscreen's tap: ends listening, silences speech (barge-in by touch)."""
    def wait_for_enter() -> None:
        while sys.stdin.readline():
            tapped.set()
            if speaker is not None:
                speaker.stop()

    threading.Thread(target=wait_for_enter, daemon=True).start()


def cmd_listen(args) -> int:
    from kiosk.app import Kiosk
    from kiosk.speech.turn import ListenProgress

    kiosk = Kiosk(_config(args))
    mic = None
    try:
        voice = kiosk.voice(speak=args.speak)
        voice.kit.recognizers()  # a missing speech model fails here, before the microphone opens
        mic = voice.kit.microphone().open()
        if not mic.wait_ready():  # PulseAudio delivers the first block 1-2 s after start
            raise MicUnavailable("mic_unavailable", "the microphone delivers no audio")
        tapped = threading.Event()
        if sys.stdin.isatty():
            _enter_taps(tapped, voice.kit.speaker)
        progress = ListenProgress(opened=lambda: print("(microphone open)", file=sys.stderr, flush=True),
                                  partial=None if args.json else (lambda t: print(f"\r  … {t}", end="",
                                                                                  file=sys.stderr)))
        while True:
            tapped.clear()
            print("listening... (speak now; Enter stops, Ctrl-C quits)", file=sys.stderr, flush=True)
            result = voice(mic, progress, should_stop=tapped.is_set)
            ans = result.answer
            if args.json:
                _emit(result.public())
            elif ans is not None:
                if result.offer is not None:
                    print(f"\n{result.offer.answer} " + ", ".join(c.label for c in result.offer.choices))
                    for heard, _reply in result.replies:
                        print(f"You said: {heard.text or '(nothing)'}")
                print(f"\nYou asked: {ans.question}\n{ans.answer}")
            if args.once:
                if voice.kit.speaker is not None:  # the answer is heard to its end before the kiosk closes
                    voice.kit.speaker.wait_idle(60)
                return 0
            mic.drain()
    except KioskError as err:
        return _fail(err, args.json)
    finally:
        if mic is not None:
            mic.close()
        kiosk.reset_session()
        kiosk.close()


def cmd_say(args) -> int:
    from kiosk.app import make_tts
    from kiosk.speech.audio import write_wav

    cfg = _config(args)
    text = " ".join(args.text).strip()
    if not text:
        return _fail(InputError("empty_text", "nothing to say"), args.json)
    tts = make_tts(cfg, args.voice or "")
    try:
        samples = tts.synthesize(text)
    except KioskError as exc:
        return _fail(exc, args.json)
    if args.out:
        write_wav(args.out, samples, tts.sample_rate)
    else:
        try:
            import sounddevice as sd

            sd.play(samples, tts.sample_rate, blocking=True)
        except Exception as exc:  # PortAudioError, missing library: a state, not a crash
            return _fail(NoOutputDevice("no_output_device", f"no audio output ({exc}); use --out FILE.wav"),
                         args.json)
    out = {"text": text, "out": args.out or "", "sample_rate": tts.sample_rate,
           "duration_s": round(len(samples) / tts.sample_rate, 3), "voice": tts.active}
    if tts.unavailable:
        out["warning"] = f"spoken with eSpeak NG: {tts.unavailable}"
    _emit(out) if args.json else print(f"{out['duration_s']} s of speech" + (f" -> {args.out}" if args.out else ""))
    return 0
