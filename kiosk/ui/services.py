"""The presenter's window onto the real kiosk: model, pack, microphone, speaker, sync. No Kivy here.

Every method except ``status`` and ``stop_speaking`` runs on the presenter's single worker thread.
"""

from __future__ import annotations

from typing import Any, Callable

from kiosk.app import Kiosk, sync_once
from kiosk.domain.events import TurnListener
from kiosk.domain.kinds import Tier
from kiosk.speech.kit import AudioSource
from kiosk.speech.turn import ListenProgress

TIER_WORDS = {Tier.FULL: ("Full answers", False), Tier.REDUCED: ("Saving power: shorter answers", True),
              Tier.MINIMAL: ("Saving power: answers from the guide only", True)}


_PACK_ORIGIN = {"configured": "configured, from", "imported": "imported by staff from"}


def resources_line(r: dict) -> str:
    def num(key: str, unit: str, digits: int = 0) -> str:
        v = r.get(key, "unknown")
        return f"{v:.{digits}f}{unit}" if isinstance(v, (int, float)) and not isinstance(v, bool) else "unknown"

    battery = num("battery_pct", " %") + (" on battery" if r.get("on_battery") is True else "")
    return (f"memory free {num('mem_available_mb', ' MB')}, CPU load {num('cpu_load', ' per core', 2)}, "
            f"temperature {num('temp_c', ' °C')}{' (throttled)' if r.get('throttled') is True else ''}, "
            f"battery {battery}, disk free {num('disk_free_mb', ' MB')}")


class KioskServices:
    def __init__(self, kiosk: Kiosk, audio: Callable[[], AudioSource] | None = None, speak: bool = False) -> None:
        """``audio``: where listening reads from (default: the microphone); ``speak``: answers are spoken."""
        self.kiosk = kiosk
        self.config = kiosk.config
        self.voice = kiosk.voice(speak=speak)
        self._audio = audio or self.voice.kit.microphone

    @property
    def speaker(self):
        return self.voice.kit.speaker

    # -- visitor ------------------------------------------------------------------------------------------
    def venue(self) -> str:
        return self.kiosk.venue

    def suggestions(self, n: int) -> list[str]:
        return self.kiosk.index.suggestions()[:n]

    def hands_free(self) -> str:
        """The wake word's phrase ("Okay Nabu") when hands-free listening is on, else ""."""
        wake = self.voice.kit.wake_word
        return wake.phrase.title() if wake is not None else ""

    def talk(self, on_open, on_partial, on_level, should_stop, on_heard, listener: TurnListener,
             on_wake=None) -> Any:
        """One voice turn; ``on_wake`` given: it waits for the wake word first (hands-free), else a tap
        addressed the kiosk and it listens straight away."""
        self.voice.kit.recognizers()  # loaded before the microphone opens (Whisper takes ~1 s)
        source = self._audio().open()  # open only while the visitor talks; the UI shows it the whole time
        progress = ListenProgress(on_open, on_partial, on_level, on_wake or (lambda: None))
        return self.voice(source, progress, should_stop, listener, after_listening=source.close, proceed=on_heard,
                          wake=on_wake is not None, replies=False).answer

    def reply(self, on_open, on_partial, on_level, should_stop, on_reply, listener: TurnListener) -> Any:
        """The spoken reply to the open "did you mean ...?" (the kiosk is saying the choices): the chosen
        entry's answer, or None (nothing clear, or a tap decides)."""
        offer = self.kiosk.pipeline.open_offer(self.kiosk.session_id)
        if offer is None:
            return None
        source = self._audio().open()
        try:
            progress = ListenProgress(on_open, on_partial, on_level)
            return self.voice.settle(source, offer, progress, should_stop, listener, on_reply)[0]
        finally:
            source.close()

    def ask(self, question: str, listener: TurnListener) -> Any:
        return self.voice.answer(question, listener)

    def choose(self, pick: int | None, listener: TurnListener) -> Any:
        from kiosk.speech.speaker import SpeakingListener

        speaker = self.speaker
        extra = [SpeakingListener(speaker)] if speaker is not None else []
        return self.kiosk.choose(pick, listener, *extra)

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
        mode, degraded = TIER_WORDS[self.kiosk.tier]
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
            "Knowledge pack": f"{st['pack']['title']} v{st['pack']['version']} ({st['pack']['entries']} entries), "
                              f"{_PACK_ORIGIN.get(st['pack']['origin'], 'from')} {st['pack']['path']}",
            "Outbox": f"{pending} waiting, {dead} undeliverable",
            "Last sync": outbox.get("last_success") or "never",
            "Fleet hub": (f"{st['hub']['url']} as {st['hub']['device_id']} (ring {st['hub']['ring']}), last contact "
                          f"{st['hub']['last_contact'] or 'never'}") if st["hub"].get("enrolled")
                         else "not enrolled (works offline; `kiosk enrol HUB_URL CODE`)",
            "Warnings": "; ".join(w["message"] for w in st["warnings"]) or "none",
        }

    def set_pin(self, pin: str) -> str:
        from kiosk.staff_pin import save_pin

        return save_pin(self.config.data_path, pin)

    def sync_now(self) -> str:
        r, _ = sync_once(self.config)
        msg = (f"Sync: sent {sum(r.sent.values())}, to retry {sum(r.retry.values())}, "
               f"undeliverable {sum(r.dead.values())}")
        return msg + ("" if not r.skipped else " — " + "; ".join(r.skipped))

    def reload_pack(self) -> str:
        return "Reloaded " + self.kiosk.reload_pack()
