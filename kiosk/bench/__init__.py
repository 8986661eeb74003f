"""`kiosk bench`: figures and ratios against a baseline measured in the same run. Never used to assert.

Uses only the kiosk's public interfaces and its own data: the questions come from the active pack
(``kiosk.bench.questions``), so an operator measures on their own venue.
"""

from __future__ import annotations

import os
import time
from typing import Any

from kiosk.bench.report import format_report
from kiosk.config import Config

__all__ = ["run_bench", "format_report"]


def _bench_ui(config: Config, rounds: int) -> dict[str, Any]:
    """UI frame times while answers stream (in a child process: a Kivy window belongs to one process)."""
    import json
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "kiosk.ui.offscreen", "bench", "--rounds", str(rounds)]
    if config.source:
        cmd += ["--config", config.source]
    env = {**os.environ, "KIOSK_DATA_DIR": str(config.data_path)}
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=900, env=env)
    if r.returncode != 0:
        return {"skipped": f"UI bench failed (exit {r.returncode}): {r.stderr.strip()[-400:]}"}
    return json.loads(r.stdout.strip().splitlines()[-1])


def run_bench(config: Config, rounds: int = 2, max_tokens: int = 48, speech: bool = True,
              ui: bool = True, fetch: bool = True) -> dict[str, Any]:
    report = _run_bench(config, rounds, max_tokens, speech)
    if speech:  # the kiosk as configured (the bench's own kiosk phrases answers with the model)
        report["voice_turn"] = _bench_voice_turn(config, fetch)
    if ui:  # after the bench's own kiosk is closed: one model in memory at a time
        report["ui"] = _bench_ui(config, rounds)
    return report


def _bench_voice_turn(config: Config, fetch: bool = True) -> dict[str, Any]:
    import subprocess

    from kiosk.app import Kiosk
    from kiosk.bench.questions import bench_questions
    from kiosk.bench.pulse_loop import bench_voice_turn_pulse
    from kiosk.bench.read_speech import bench_read_speech
    from kiosk.bench.voice_turn import bench_voice_turn

    kiosk = Kiosk(config)
    try:
        out = bench_voice_turn(kiosk, bench_questions(kiosk.index)[:8])
        out["read_speech"] = bench_read_speech(kiosk, config.data_path / "corpora", fetch)
        questions = bench_questions(kiosk.index)[:8]
    finally:
        kiosk.close()
    try:  # after the bench's kiosk is closed: the one in the loop is another process
        out["through_pulseaudio"] = bench_voice_turn_pulse(config, questions)
    except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
        out["through_pulseaudio"] = {"skipped": f"the PulseAudio loop failed: {exc}"}
    return out


def _run_bench(config: Config, rounds: int, max_tokens: int, speech: bool) -> dict[str, Any]:
    from kiosk.app import Kiosk, composing
    from kiosk.bench.io import bench_sync, bench_tts
    from kiosk.bench.llm import bench_llm, bench_retrieval, bench_tiers, bench_turns
    from kiosk.bench.questions import bench_questions

    t0 = time.perf_counter()
    kiosk = Kiosk(composing(config))  # the model's figures are measured even where it does not phrase answers
    startup_s = time.perf_counter() - t0
    try:
        report: dict[str, Any] = {"startup_s": round(startup_s, 3), "tier": kiosk.tier}
        if kiosk.engine is not None:
            report["llm"] = bench_llm(kiosk, rounds, max_tokens)
        else:
            report["llm"] = {"skipped": "no model loaded", "warnings": kiosk.startup.warnings}
        report["retrieval"] = bench_retrieval(kiosk)
        report["turns"] = bench_turns(kiosk)
        kiosk.reset_session()
        if kiosk.engine is not None:
            report["tiers"] = bench_tiers(kiosk)
        report["sync"] = bench_sync(config)
        if speech:
            from kiosk.bench.speech import bench_speech
            from kiosk.speech.setup import pack_bias

            report["tts"] = bench_tts(config, [e.body.split(". ")[0] + "." for e in kiosk.index.entries()][:12])
            report["speech"] = bench_speech(config, bench_questions(kiosk.index)[:12],
                                            pack_bias(kiosk.index.entries(), kiosk.venue))
            from kiosk.bench.noise import bench_noise

            report["speech"]["endpointing_in_noise"] = bench_noise(config, bench_questions(kiosk.index)[:8])
            from kiosk.bench.wake import bench_wake_word

            report["speech"]["wake_word"] = bench_wake_word(config, bench_questions(kiosk.index),
                                                            config.speech.wake_word or "okay_nabu", minutes=15.0)

        return report
    finally:
        kiosk.close()
