"""Driving the real touchscreen without a display: `kiosk screenshot`, the UI frame-time bench, the UI tests.

Call ``kiosk.ui.app.configure(..., offscreen=True)`` before using anything here.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Callable

SAMPLE_PIN = "1357"
SAMPLE_UTTERANCE = "Is there a café?"  # a question the sample pack lists: answered, never "did you mean"
STREAM_QUESTIONS = ("How much is a ticket?",)  # the sample pack's long entry: the model phrases it, streamed


class OffsetClock:
    """Real monotonic time plus a jump the driver can add (to show the idle countdown without waiting)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def monotonic(self) -> float:
        return time.monotonic() + self.offset


class Driver:
    """A presenter and its widget tree in the real (offscreen) window, pumped frame by frame."""

    def __init__(self, kiosk, services=None, clock=None) -> None:
        from kivy.base import EventLoop
        from kivy.core.window import Window

        from kiosk.ui.app import UiLoop, attach, build_root, make_presenter

        EventLoop.ensure_window()
        self.window = Window
        self.loop = UiLoop()
        self.p = make_presenter(kiosk, self.loop, services=services, clock=clock)
        self.root = build_root(self.p)
        Window.add_widget(self.root)
        self._events = attach(self.p, self.loop)
        self.frames = 0
        self.settle()

    @property
    def ids(self):
        return self.root.ids

    def pump(self, n: int = 1) -> None:
        from kivy.base import EventLoop

        for _ in range(n):
            EventLoop.idle()
            self.frames += 1

    def until(self, cond: Callable[[], bool], timeout_s: float = 120.0,
              on_frame: Callable[[], None] | None = None) -> None:
        deadline = time.monotonic() + timeout_s
        while not cond():
            if time.monotonic() > deadline:
                raise TimeoutError("the screen never reached the expected state")
            self.pump()
            if on_frame is not None:
                on_frame()

    def settle(self) -> None:
        self.until(self.loop.idle)
        self.pump(3)

    def tap(self, widget) -> None:
        from kivy.tests.common import UnitTestTouch

        if widget.get_root_window() is None or widget.opacity == 0 or widget.disabled:
            raise AssertionError(f"{widget} is not on screen")
        touch = UnitTestTouch(*widget.to_window(*widget.center))
        touch.touch_down()
        self.pump(1)
        touch.touch_up()
        self.pump(2)

    def screenshot(self, path: Path) -> Path:
        """Kivy appends a counter to the name; the file ends up exactly at ``path``."""
        self.pump(2)
        written = Path(self.window.screenshot(name=str(path)))
        written.replace(path)
        return path

    def close(self) -> None:
        for ev in self._events:
            ev.cancel()
        self.p.wipe()
        self.settle()
        self.loop.close()
        self.window.remove_widget(self.root)


def _sample_kiosk(config, **overrides):
    """The configured kiosk on a scratch data directory: screenshots and benches never touch real data. The
    local model phrases its answers, so they stream in token by token (the screen's busiest case)."""
    from kiosk.app import Kiosk, composing

    from kiosk.staff_pin import save_pin

    scratch = Path(tempfile.mkdtemp(prefix="kiosk-offscreen-"))
    save_pin(scratch, SAMPLE_PIN)  # the screens themselves, not the first-start PIN prompt
    cfg = dataclasses.replace(composing(config), data_dir=str(scratch), **overrides)
    return Kiosk(cfg), scratch


def screenshots(config, out_dir: str | Path) -> list[Path]:
    """Render every screen with sample content (real model, pack and speech) into ``out_dir``."""
    import hashlib

    from kiosk.app import make_tts
    from kiosk.speech.audio import write_wav
    from kiosk.speech.capture import WavSource
    from kiosk.ui.services import KioskServices

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sample_ui = dataclasses.replace(config.ui, staff_pin_sha256=hashlib.sha256(SAMPLE_PIN.encode()).hexdigest(),
                                    speak_answers=False)
    kiosk, scratch = _sample_kiosk(config, ui=sample_ui)
    tts = make_tts(dataclasses.replace(config, tts=dataclasses.replace(config.tts, volume=100)))
    wav = scratch / "utterance.wav"
    write_wav(wav, tts.synthesize(SAMPLE_UTTERANCE), tts.sample_rate)
    clock = OffsetClock()
    d = Driver(kiosk, services=KioskServices(kiosk, audio=lambda: WavSource(wav, realtime=True)), clock=clock)
    shots: list[Path] = []
    try:
        ids = d.ids
        shots.append(d.screenshot(out / "attract.png"))
        d.tap(ids.start)
        d.tap(ids.talk)
        d.until(lambda: bool(d.p.state.partial))
        shots.append(d.screenshot(out / "listening.png"))
        d.until(lambda: d.p.state.turns and not d.p.state.busy)
        d.p.submit_text(STREAM_QUESTIONS[0])
        d.until(lambda: d.p.state.turns and d.p.state.turns[-1].answer and d.p.state.busy)
        shots.append(d.screenshot(out / "streaming.png"))
        d.until(lambda: not d.p.state.busy)
        d.settle()
        shots.append(d.screenshot(out / "conversation.png"))
        d.p.submit_text("Who built the lighthouse lens?")
        d.until(lambda: not d.p.state.busy)
        d.tap(ids.type_toggle)
        d.settle()
        shots.append(d.screenshot(out / "escalated-and-keyboard.png"))
        clock.offset += config.session.idle_reset_s - 7
        d.until(lambda: d.p.state.countdown is not None)
        shots.append(d.screenshot(out / "still-there.png"))
        d.tap(ids.still_here)
        d.tap(ids.bigger)
        d.tap(ids.contrast)
        shots.append(d.screenshot(out / "high-contrast.png"))
        d.tap(ids.contrast)
        d.tap(ids.smaller)
        d.tap(ids.staff_button)
        keys = {b.text: b for b in ids.keypad.children if getattr(b, "text", "")}
        for digit in SAMPLE_PIN[:2]:
            d.tap(keys[digit])
        shots.append(d.screenshot(out / "staff-pin.png"))
        for digit in SAMPLE_PIN[2:]:
            d.tap(keys[digit])
        d.tap(ids.pin_ok)
        d.until(lambda: bool(d.p.state.staff))
        d.settle()
        shots.append(d.screenshot(out / "staff.png"))
    finally:
        d.close()
        kiosk.close()
        shutil.rmtree(scratch, ignore_errors=True)
    return shots


def frame_bench(config, rounds: int = 2, idle_s: float = 2.0) -> dict:
    """UI frame intervals while answers stream, against the same screen idling, in one run."""
    from kiosk.stats import percentile as pct

    kiosk, scratch = _sample_kiosk(config)
    d = Driver(kiosk)
    try:
        d.tap(d.ids.start)

        def intervals(cond: Callable[[], bool], minimum_s: float = 0.0) -> list[float]:
            stamps = [time.perf_counter()]
            end = stamps[0] + minimum_s
            while cond() or time.perf_counter() < end:
                d.pump()
                stamps.append(time.perf_counter())
            return [(b - a) * 1000 for a, b in zip(stamps, stamps[1:])]

        idle = intervals(lambda: False, idle_s)
        streaming: list[float] = []
        renders = 0
        for _ in range(rounds):
            for q in STREAM_QUESTIONS:
                before = d.root.renders
                d.p.submit_text(q)
                d.until(lambda: bool(d.p.state.turns[-1].answer) or not d.p.state.busy)  # first token shown
                streaming += intervals(lambda: d.p.state.busy)
                renders += d.root.renders - before
                d.settle()
        p50, p95 = pct(streaming, 50), pct(streaming, 95)
        i50, i95 = pct(idle, 50), pct(idle, 95)
        return {"idle_frame_ms_p50": round(i50, 1), "idle_frame_ms_p95": round(i95, 1),
                "streaming_frame_ms_p50": round(p50, 1), "streaming_frame_ms_p95": round(p95, 1),
                "ratio_p50": round(p50 / i50, 2) if i50 else None, "ratio_p95": round(p95 / i95, 2) if i95 else None,
                "frames_while_streaming": len(streaming), "answers": rounds * len(STREAM_QUESTIONS),
                "renders_per_answer": round(renders / (rounds * len(STREAM_QUESTIONS)), 1)}
    finally:
        d.close()
        kiosk.close()
        shutil.rmtree(scratch, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """``python -m kiosk.ui.offscreen bench|shots ...``: run in a child so the window is this process's own."""
    import argparse

    from kiosk.config import load_config
    from kiosk.ui.app import configure

    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=("bench", "shots"))
    ap.add_argument("--config")
    ap.add_argument("--out", default="screenshots")
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args(argv)
    configure(fullscreen=False, offscreen=True)
    cfg = load_config(args.config)
    if args.what == "bench":
        print(json.dumps(frame_bench(cfg, args.rounds)))
    else:
        print(json.dumps([str(p) for p in screenshots(cfg, args.out)]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
