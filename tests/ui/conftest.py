"""Real Kivy rendering with no display: SDL's offscreen driver on Mesa EGL (RECIPES). One window per process."""

from __future__ import annotations

import os
import tempfile

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


@pytest.fixture
def screen_factory(window):
    """A presenter and its widget tree in the real window (``kiosk.ui.offscreen.Driver``)."""
    from kiosk.ui.offscreen import Driver

    made = []

    def make(kiosk, services=None, clock=None) -> Driver:
        d = Driver(kiosk, services=services, clock=clock)
        made.append(d)
        return d

    yield make
    for d in made:
        d.close()
