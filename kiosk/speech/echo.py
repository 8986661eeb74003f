"""Echo cancellation: PulseAudio's ``module-echo-cancel`` (WebRTC canceller, with its noise suppression)
between the kiosk's speaker and its microphone, loaded by the kiosk session (packaging/kiosk-session).

When the cancelled source and sink exist, the kiosk records from the one and plays to the other (through
``PULSE_SOURCE`` / ``PULSE_SINK``, which the PortAudio/ALSA route to PulseAudio honours), so the microphone
hears the visitor without the kiosk's own voice and the visitor can talk over it at equal loudness.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass

SOURCE, SINK = "kiosk_ec_src", "kiosk_ec_sink"


@dataclass(frozen=True)
class EchoRoute:
    source: str
    sink: str

    def public(self) -> dict:
        return {"active": True, "source": self.source, "sink": self.sink}


def _names(kind: str) -> set[str]:
    exe = shutil.which("pactl")
    if exe is None:
        return set()
    try:
        out = subprocess.run([exe, "list", "short", kind], capture_output=True, text=True, timeout=3)
    except (OSError, subprocess.TimeoutExpired):
        return set()
    return {line.split("\t")[1] for line in out.stdout.splitlines() if line.count("\t") >= 1}


def find_route() -> EchoRoute | None:
    """The echo-cancelled source and sink, if the sound server has them."""
    if SOURCE in _names("sources") and SINK in _names("sinks"):
        return EchoRoute(SOURCE, SINK)
    return None


def use_route(mode: str) -> EchoRoute | None:
    """``mode`` 'auto': record and play through the canceller when it exists; 'off': never. An operator's
    own PULSE_SOURCE / PULSE_SINK are left alone."""
    if mode != "auto":
        return None
    route = find_route()
    if route is not None:
        os.environ.setdefault("PULSE_SOURCE", route.source)
        os.environ.setdefault("PULSE_SINK", route.sink)
        if os.environ["PULSE_SOURCE"] != route.source:
            return None
    return route
