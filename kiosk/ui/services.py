"""The presenter's window onto the real kiosk: model, pack, microphone, speaker, sync. No Kivy here.

Every method except ``status`` and ``stop_speaking`` runs on the presenter's single worker thread.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Iterator, Protocol

import numpy as np

from kiosk.app import Kiosk
from kiosk.errors import KioskError

TIER_WORDS = {"full": ("Full answers", False), "reduced": ("Saving power: shorter answers", True),
              "minimal": ("Saving power: answers from the guide only", True)}


class AudioSource(Protocol):
    """Where listening reads audio: the microphone, or a scripted utterance in tests and demos."""

    def open(self) -> "AudioSource": ...
    def wait_ready(self, timeout_s: float = 5.0) -> bool: ...
    def blocks(self) -> Iterator[np.ndarray]: ...
    def close(self) -> None: ...


def input_level(block: np.ndarray) -> float:
    """RMS mapped to 0..1 on a rough loudness scale (quiet room ~0.1, normal speech ~0.5-0.8)."""
    if not len(block):
        return 0.0
    rms = float(np.sqrt(np.mean(np.square(block, dtype=np.float64))))
    return max(0.0, min(1.0, (20 * math.log10(rms + 1e-6) + 60) / 50))


def resources_line(r: dict) -> str:
    def num(key: str, unit: str, digits: int = 0) -> str:
        v = r.get(key, "unknown")
        return f"{v:.{digits}f}{unit}" if isinstance(v, (int, float)) and not isinstance(v, bool) else "unknown"

    battery = num("battery_pct", " %") + (" on battery" if r.get("on_battery") is True else "")
    return (f"memory free {num('mem_available_mb', ' MB')}, CPU load {num('cpu_load', ' per core', 2)}, "
            f"temperature {num('temp_c', ' °C')}{' (throttled)' if r.get('throttled') is True else ''}, "
            f"battery {battery}, disk free {num('disk_free_mb', ' MB')}")


class _Sink:
    def __init__(self, on_token: Callable[[str], None], on_replace: Callable[[str], None]) -> None:
        self.token, self.replace = on_token, on_replace


class KioskServices:
    def __init__(self, kiosk: Kiosk, audio: Callable[[], AudioSource] | None = None, speaker=None) -> None:
        self.kiosk = kiosk
        self.config = kiosk.config
        self._audio = audio or self._microphone
        self.speaker = speaker
        self._recognizers = None

    def _microphone(self) -> AudioSource:
        from kiosk.speech.capture import Microphone

        return Microphone(self.config.speech.device or None)

    # -- visitor ------------------------------------------------------------------------------------------
    def venue(self) -> str:
        return self.kiosk.venue

    def suggestions(self, n: int) -> list[str]:
        return self.kiosk.index.suggestions()[:n]

    def recognizers(self):
        if self._recognizers is None:  # built on first use: Whisper loads in ~1 s
            from kiosk.speech.setup import build_recognizers, pack_bias

            self._recognizers = build_recognizers(self.config, pack_bias(self.kiosk.index.entries(),
                                                                         self.kiosk.venue))
        return self._recognizers

    def listen(self, on_open, on_partial, on_level, should_stop) -> str:
        from kiosk.speech.gate import gated
        from kiosk.speech.listen import transcribe_blocks
        from kiosk.speech.vad import VadConfig

        sc = self.config.speech
        rec, final = self.recognizers()
        source = self._audio().open()
        try:  # the microphone is open only inside this block; the UI shows it the whole time
            if not source.wait_ready():
                raise KioskError("mic_unavailable", "the microphone delivers no audio")
            on_open()

            def metered() -> Iterator[np.ndarray]:
                for block in gated(source.blocks(), self.speaker):
                    on_level(input_level(block))
                    yield block

            vad = VadConfig(end_silence_s=sc.end_silence_s, max_utterance_s=sc.max_utterance_s,
                            no_speech_timeout_s=sc.no_speech_timeout_s)
            return transcribe_blocks(metered(), rec, final, on_partial=on_partial, endpoint=vad,
                                     should_stop=should_stop).text
        finally:
            source.close()

    def ask(self, question: str, on_token, on_replace) -> Any:
        sink: Any = _Sink(on_token, on_replace)
        if self.speaker is None:
            return self.kiosk.ask(question, sink)
        from kiosk.speech.speaker import SpeakingSink

        speaking = SpeakingSink(self.speaker, sink)
        ans = self.kiosk.ask(question, speaking)
        speaking.finish()
        return ans

    def stop_speaking(self) -> None:
        if self.speaker is not None:
            self.speaker.stop()

    def sources(self, entry_ids: list[str]) -> list[str]:
        headings = {e.id: e.heading for e in self.kiosk.index.entries()}
        return [headings[i] for i in entry_ids if i in headings]

    def reset_session(self) -> None:
        self.kiosk.reset_session()

    # -- status and staff ---------------------------------------------------------------------------------
    def status(self) -> dict:
        """Attribute reads only: called from the UI thread."""
        cfg, sync = self.config, self.kiosk.sync
        configured = (sync.s.cloud_base_url or sync.s.ingest_url) if sync is not None else (
            cfg.cloud.base_url or cfg.ingest.url)
        if not configured:
            network = "Local only"
        elif sync is None or sync.reachable is None:
            network = "Connecting…"
        else:
            network = "Online" if sync.reachable else "Offline — questions wait safely"
        mode, degraded = TIER_WORDS.get(self.kiosk.tier, (self.kiosk.tier, True))
        return {"network": network, "mode": mode, "degraded": degraded}

    def staff_report(self) -> dict:
        st = self.kiosk.status()
        outbox = st["outbox"]
        pending = sum(v.get("pending", 0) for v in outbox.values() if isinstance(v, dict))
        dead = sum(v.get("dead", 0) for v in outbox.values() if isinstance(v, dict))
        readings = st["resources"]["readings"]
        return {
            "Tier": f"{st['tier']} ({st['resources']['reason'] or 'normal'})"
                    + (" — simulated readings" if st["resources"]["simulated"] else ""),
            "Resources": resources_line(readings),
            "Model": f"{st['model'].get('name', st['model']['configured'])}"
                     + (" (loaded)" if st["model"]["loaded"] else " (not loaded)"),
            "Knowledge pack": f"{st['pack']['title']} v{st['pack']['version']} ({st['pack']['entries']} entries)",
            "Outbox": f"{pending} waiting, {dead} undeliverable",
            "Last sync": outbox.get("last_success") or "never",
            "Warnings": "; ".join(w["message"] for w in st["warnings"]) or "none",
        }

    def sync_now(self) -> str:
        from kiosk.store.db import connect
        from kiosk.sync.worker import SyncWorker, settings_from_config

        worker = SyncWorker(connect(self.config.db_path), settings_from_config(self.config))
        try:
            r = worker.run_once()
        finally:
            worker.stop()
            worker.db.conn.close()
        msg = (f"Sync: sent {sum(r.sent.values())}, to retry {sum(r.retry.values())}, "
               f"undeliverable {sum(r.dead.values())}")
        return msg + ("" if not r.skipped else " — " + "; ".join(r.skipped))

    def reload_pack(self) -> str:
        return "Reloaded " + self.kiosk.reload_pack()
