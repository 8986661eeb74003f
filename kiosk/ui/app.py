"""The touchscreen application: Kivy set-up, the UI-thread plumbing, `kiosk run` and `kiosk screenshot`.

Import ``configure`` first and call it before anything imports Kivy (window mode, offscreen rendering).
"""

from __future__ import annotations

import logging
import os
import queue
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

log = logging.getLogger("kiosk.ui")
WINDOW_SIZE = (1024, 640)
WORKER_NICE = 5
MAX_FPS = 30


def configure(fullscreen: bool, offscreen: bool = False) -> None:
    """Environment and Kivy config that must be set before Kivy's window exists."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")  # Kivy must not take over the root logger
    os.environ.setdefault("KIVY_CLIPBOARD", "sdl2")  # not xsel (absent on a kiosk)
    if "KIVY_HOME" not in os.environ:  # Kivy writes config and logs there: keep it out of $HOME
        os.environ["KIVY_HOME"] = str(Path(tempfile.gettempdir()) / f"kiosk-kivy-{os.getuid()}")
    if offscreen or not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")  # Mesa EGL; no display needed
    logging.getLogger("kivy").addFilter(_drop_absent_optional_providers)
    from kivy.config import Config

    Config.set("graphics", "fullscreen", "auto" if fullscreen else "0")
    Config.set("graphics", "width", str(WINDOW_SIZE[0]))
    Config.set("graphics", "height", str(WINDOW_SIZE[1]))
    Config.set("graphics", "show_cursor", "0" if fullscreen else "1")
    # 30 frames a second is smooth for text streaming and leaves the CPU to the model on small kiosks
    # (software GL on a 2-core box costs a core at 60).
    Config.set("graphics", "maxfps", str(MAX_FPS))
    Config.set("kivy", "exit_on_escape", "0" if fullscreen else "1")
    # A touchscreen kiosk has no physical keyboard: the on-screen one docks at the bottom.
    Config.set("kivy", "keyboard_mode", "systemanddock" if fullscreen else "")
    Config.set("input", "mouse", "mouse,disable_multitouch")


def _lower_priority() -> None:
    """The worker (and the llama.cpp threads it starts, which inherit it) yields the CPU to the UI thread,
    so the screen keeps drawing while an answer streams on a two-core kiosk."""
    import threading

    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), WORKER_NICE)
    except (OSError, AttributeError) as exc:
        log.warning("worker priority unchanged: %s", exc)


def _drop_absent_optional_providers(record: logging.LogRecord) -> bool:
    """Kivy logs every optional provider it cannot load as an error with a traceback; on a kiosk they are
    absent by design, and the journal should show real problems only. Recognised by where they come from:
    an input provider's failed import (mtdev, hidinput...) in ``kivy.input.providers``, and the X11 cut
    buffer (xclip/xsel) chosen while ``kivy.core.clipboard`` loads."""
    exc = record.exc_info[0] if record.exc_info else None
    if exc is not None and issubclass(exc, (ImportError, OSError)) and \
            Path(record.pathname).parent.name == "providers" and Path(record.pathname).parent.parent.name == "input":
        return False
    return not (record.funcName == "core_select_lib" and _importing("kivy.core.clipboard"))


def _importing(module: str) -> bool:
    """Is ``module``'s body running further up this thread's stack?"""
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_globals.get("__name__") == module and frame.f_code.co_name == "<module>":
            return True
        frame = frame.f_back
    return False


class UiLoop:
    """``post``: run a callback on the UI thread, in order. ``run``: one worker thread for slow work."""

    def __init__(self) -> None:
        from kivy.clock import Clock

        self._q: queue.Queue[Callable[[], None]] = queue.Queue()
        self._trigger = Clock.create_trigger(self._drain, 0)
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="kiosk-worker", initializer=_lower_priority)
        self._futures: list = []

    def post(self, fn: Callable[[], None]) -> None:
        self._q.put(fn)
        self._trigger()

    def _drain(self, _dt: float) -> None:
        while True:
            try:
                fn = self._q.get_nowait()
            except queue.Empty:
                return
            try:
                fn()
            except Exception:  # one bad callback must not take the screen down
                log.exception("UI callback failed")

    def run(self, job: Callable[[], None]) -> None:
        def guarded() -> None:
            try:
                job()
            except Exception:
                log.exception("background job failed")
        self._futures = [f for f in self._futures if not f.done()] + [self._pool.submit(guarded)]

    def idle(self) -> bool:
        """No background job running or queued and no callback waiting (tests and screenshots wait on it)."""
        return all(f.done() for f in self._futures) and self._q.empty()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def build_root(presenter):
    """The widget tree for a presenter (tests render this directly)."""
    from kiosk.ui.widgets import KioskRoot

    return KioskRoot(presenter)


def attach(presenter, loop: UiLoop, refresh_s: float = 1.0) -> list:
    """Drive a presenter from the Kivy clock: idle countdown, status strip, staff figures."""
    from kivy.clock import Clock

    events = [Clock.schedule_interval(lambda _dt: presenter.tick(), 0.25),
              Clock.schedule_interval(lambda _dt: presenter.refresh_status(), refresh_s),
              Clock.schedule_interval(lambda _dt: presenter.refresh_staff(), 3.0)]
    presenter.start()
    return events


def make_presenter(kiosk, loop: UiLoop, services=None, clock=None):
    from kiosk.app import SystemClock
    from kiosk.presenters.kiosk import KioskPresenter, Settings
    from kiosk.ui.services import KioskServices

    services = services or KioskServices(kiosk, speak=kiosk.config.ui.speak_answers)
    from kiosk.staff_pin import pin_record

    return KioskPresenter(services, loop.run, loop.post, clock or SystemClock(),
                          Settings.from_config(kiosk.config, pin_record(kiosk.config)))


def run(config, fullscreen: bool) -> int:
    """`kiosk run`: the touchscreen, until the window closes."""
    configure(fullscreen)
    from kivy.app import App

    from kiosk.app import Kiosk

    kiosk = Kiosk(config)
    for w in kiosk.startup.warnings:
        log.warning("%s: %s", w["code"], w["message"])
    loop = UiLoop()
    presenter = make_presenter(kiosk, loop)

    class KioskApp(App):
        title = "Kiosk"

        def build(self):
            return build_root(presenter)

        def on_start(self):
            kiosk.start_monitor()
            kiosk.start_sync(on_answer=lambda item: loop.post(lambda: presenter.cloud_answer(item)))
            self._events = attach(presenter, loop)
            log.warning("touchscreen ready (%s)", "fullscreen" if fullscreen else "windowed")

    app = KioskApp()
    import signal

    from kivy.clock import Clock

    # systemd stops the kiosk with SIGTERM: leave through the app's own exit so the session is wiped.
    signal.signal(signal.SIGTERM, lambda *_: Clock.schedule_once(lambda _dt: app.stop(), 0))
    try:
        app.run()
    finally:
        presenter.wipe()  # the last visitor's session does not outlive the app
        loop.close()
        kiosk.close()  # the speaker too
        log.warning("touchscreen stopped; session wiped")
    return 0
