"""Real Kivy rendering with no display: SDL's offscreen driver on Mesa EGL (RECIPES). One window per process."""

from __future__ import annotations

import os
import tempfile
import time

import pytest

from kiosk.ui.app import configure

os.environ["KIVY_HOME"] = tempfile.mkdtemp(prefix="kiosk-kivy-test-")
configure(fullscreen=False, offscreen=True)


@pytest.fixture(scope="session")
def window():
    from kivy.base import EventLoop
    from kivy.core.window import Window

    EventLoop.ensure_window()
    assert Window.__class__.__name__ != "WindowBase", "no real Kivy window provider"
    Window.size = (1024, 640)
    return Window


class Screen:
    """A presenter + its real widget tree in the real window, pumped frame by frame."""

    def __init__(self, window, presenter, loop, root) -> None:
        self.window, self.p, self.loop, self.root = window, presenter, loop, root
        self.frames = 0

    def pump(self, n: int = 1) -> None:
        from kivy.base import EventLoop

        for _ in range(n):
            EventLoop.idle()
            self.frames += 1

    def until(self, cond, timeout_s: float = 120.0, on_frame=None) -> None:
        deadline = time.monotonic() + timeout_s
        while not cond():
            assert time.monotonic() < deadline, "the screen never reached the expected state"
            self.pump()
            if on_frame is not None:
                on_frame()

    def settle(self) -> None:
        self.until(self.loop.idle)
        self.pump(3)

    def tap(self, widget) -> None:
        from kivy.tests.common import UnitTestTouch

        assert widget.get_root_window() is not None, f"{widget} is not on screen"
        assert widget.opacity > 0 and not widget.disabled, f"{widget} is hidden or disabled"
        x, y = widget.to_window(*widget.center)
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        self.pump(1)
        touch.touch_up()
        self.pump(2)


@pytest.fixture
def screen_factory(window):
    from kiosk.ui.app import UiLoop, attach, build_root, make_presenter

    made = []

    def make(kiosk, services=None, clock=None) -> Screen:
        loop = UiLoop()
        presenter = make_presenter(kiosk, loop, services=services, clock=clock)
        root = build_root(presenter)
        window.add_widget(root)
        events = attach(presenter, loop)
        s = Screen(window, presenter, loop, root)
        made.append((s, events))
        s.settle()
        return s

    yield make
    for s, events in made:
        for ev in events:
            ev.cancel()
        s.p.wipe()
        s.loop.close()
        s.window.remove_widget(s.root)
