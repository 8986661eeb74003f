"""`kiosk bench` runs end to end and reports both sides of every comparison (figures are not asserted)."""

import json

import pytest

from test_cli import kiosk

pytestmark = pytest.mark.model


def test_bench_reports_ours_and_bare_with_ratios():
    rc, out, err = kiosk("bench", "--json", "--offline", "--rounds", "1", "--max-tokens", "8", timeout=900)
    assert rc == 0, err
    r = json.loads(out)
    llm = r["llm"]
    for side in ("ours", "bare_llama_cpp_python"):
        assert llm[side]["runs"] == llm["questions"] > 0
        assert llm[side]["ttft_ms_p50"] > 0 and llm[side]["decode_tok_s"] > 0
    assert llm["ratios"]["ttft_p50"] > 0 and llm["ratios"]["decode"] > 0
    assert llm["prefix_mode"] == "entry" and llm["cached_prefixes"] > 20
    assert any(k.startswith("knowledge") for k in r["turns"])
    assert r["retrieval"]["dense"] is True and r["retrieval"]["p50_ms"] > 0
    tiers = r["tiers"]
    assert tiers["rss_mb_minimal"] < tiers["rss_mb_full"] and tiers["minimal_answer_ms_p50"] > 0
    assert r["sync"]["sync_meters_per_s"] > 0 and r["sync"]["enqueue_ms_per_meter_durable"] > 0
    assert r["tts"]["first_audio_ms_p50"] > 0 and r["tts"]["sentences"] > 0
    sp = r["speech"]
    assert sp["whisper"]["rtf_p50"] > 0 and sp["whisper"]["rss_mb"] > 0 and "wer_espeak" in sp["whisper"]
    assert sp["vosk (ko model)"]["speech_end_to_final_ms_p50"] > 0 and "listen_end_to_final_ms_p50" in sp
    noise = sp["endpointing_in_noise"]
    assert set(noise["by_noise"]) == {"babble", "music", "street"} and noise["questions"] > 0
    assert set(noise["false_starts_per_10_min_of_noise"]["babble"]) == {"energy", "silero"}
    ww = sp["wake_word"]
    assert ww["said"] == 9 and set(ww["false_accepts_per_hour"]) == {"speech", "babble", "music", "street"}
    vt = r["voice_turn"]
    assert vt["questions"] > 0 and vt["total_ms_p50"] > 0 and vt["voice"] == "piper-en-us-joe-medium"
    pa = vt["through_pulseaudio"]  # a real sound server, the kiosk in its own process
    assert pa["questions"] > 0 and pa["total_ms_p50"] > 0 and pa["echo_cancel"] is True, pa
    rs = vt["read_speech"]  # tests reach nothing beyond 127.0.0.1: scored only if already fetched
    assert "--offline" in rs.get("skipped", "") or rs["clean"]["words"] == 92, rs
    assert r["tts"]["voice"] == "piper-en-us-joe-medium" and r["tts"]["espeak"]["first_audio_ms_p50"] > 0
    ui = r["ui"]  # the touchscreen, rendered offscreen while answers stream
    assert "skipped" not in ui, ui
    assert ui["streaming_frame_ms_p50"] > 0 and ui["idle_frame_ms_p50"] > 0 and ui["ratio_p95"] > 0
    assert ui["frames_while_streaming"] > ui["answers"] > 0
