"""`kiosk bench`'s report as text."""

from __future__ import annotations

from typing import Any


def format_report(r: dict[str, Any]) -> str:
    lines = [f"start-up {r['startup_s']:.2f} s, tier {r['tier']}"]
    llm = r["llm"]
    if "ours" in llm:
        o, b, q = llm["ours"], llm["bare_llama_cpp_python"], llm["ratios"]
        lines += [
            f"LLM {llm['model']} ({llm['runtime_file']}), {llm['threads']} threads, prefix mode "
            f"{llm['prefix_mode']} ({llm['cached_prefixes']} cached), "
            f"{llm['questions']} questions x runs={o['runs']}",
            f"  TTFT p50  ours {o['ttft_ms_p50']:7.1f} ms   bare {b['ttft_ms_p50']:7.1f} ms   ratio {q['ttft_p50']}"
            "  (target <= 60 ms and <= 1.5x)",
            f"  TTFT p95  ours {o['ttft_ms_p95']:7.1f} ms   bare {b['ttft_ms_p95']:7.1f} ms   ratio {q['ttft_p95']}",
            f"  decode    ours {o['decode_tok_s']:7.1f} t/s  bare {b['decode_tok_s']:7.1f} t/s  ratio {q['decode']}"
            "  (target >= 0.95x)",
        ]
    else:
        lines.append(f"LLM skipped: {llm['skipped']}")
    rt = r.get("retrieval")
    if rt:
        lines.append(f"retrieval ({'words + embeddings' if rt['dense'] else 'words only'}), {rt['questions']} "
                     f"questions: p50 {rt['p50_ms']} ms p95 {rt['p95_ms']} ms (target p50 <= 15 ms)")
    for k, v in r["turns"].items():
        lines.append(f"turn {k:22} n={v['n']:3}  p50 {v['p50_ms']:8.2f} ms  p95 {v['p95_ms']:8.2f} ms")
    tiers = r.get("tiers")
    if tiers:
        lines.append(f"tiers: RSS full {tiers['rss_mb_full']} MB, minimal {tiers['rss_mb_minimal']} MB; switch "
                     f"full->minimal {tiers['switch_full_to_minimal_ms']} ms, minimal->full "
                     f"{tiers['switch_minimal_to_full_ms']} ms; minimal-tier answer p50 "
                     f"{tiers['minimal_answer_ms_p50']} ms p95 {tiers['minimal_answer_ms_p95']} ms (target <= 20 ms)")
    sy = r.get("sync")
    if sy:
        lines.append(f"sync: enqueue {sy['enqueue_ms_per_meter_durable']} ms/meter durable (synchronous=OFF "
                     f"{sy['enqueue_ms_per_meter_baseline_sync_off']} ms, ratio {sy['enqueue_ratio_durable_vs_off']}); "
                     f"delivery {sy['sync_meters_per_s']} meters/s to a local receiver")
    tt = r.get("tts")
    if tt:
        lines.append(f"speech output ({tt.get('voice', '')}): sentence available -> first audio sample p50 "
                     f"{tt['first_audio_ms_p50']} ms p95 {tt['first_audio_ms_p95']} ms (target <= 150 ms)"
                     + (f"; eSpeak NG {tt['espeak']['first_audio_ms_p50']} ms (ratio {tt['ratio_first_audio_p50']})"
                        if "ratio_first_audio_p50" in tt else ""))
        if "fixed_first_audio_ms_p50" in tt:
            lines.append(f"  fixed sentences, synthesised at start ({tt['fixed_sentences']}: pass-on, 'did you mean', "
                         f"emergencies): first audio sample p50 {tt['fixed_first_audio_ms_p50']} ms p95 "
                         f"{tt['fixed_first_audio_ms_p95']} ms"
                         + (f"; eSpeak NG {tt['espeak']['fixed_first_audio_ms_p50']} ms" if "espeak" in tt else ""))
    sp = r.get("speech")
    if sp and "skipped" not in sp:
        lines.append(f"speech: {sp['utterances']} espeak utterances, mean {sp['mean_duration_s']} s; "
                     f"whisper final pass p50 {sp['whisper_final_pass_ms_p50']} ms; in `listen` (final pass "
                     f"started at the first {sp['listen_end_silence_s']} s of silence) end-of-speech -> final "
                     f"p50 {sp['listen_end_to_final_ms_p50']} ms (target <= 300 ms)")
        noise = sp.get("endpointing_in_noise", {})
        for name, by_snr in noise.get("by_noise", {}).items():
            for snr, by_detector in by_snr.items():
                lines.append(f"  end-pointing in {name} at {snr}: " + "; ".join(
                    f"{d} ok {c['ok']}/{noise['questions']} (false starts {c['false_start']}, missed "
                    f"{c['missed']}, cut off {c['cut_off']}, ran on {c['ran_on']})" for d, c in by_detector.items()))
        ww = sp.get("wake_word", {})
        if ww and "skipped" not in ww:
            lines.append(f"  wake word {ww['wake_word']}: missed {ww['missed']} of {ww['said']} said; false accepts per "
                         f"hour ({ww['minutes_per_room']:g} min each): " + ", ".join(
                             f"{k} {v}" for k, v in ww["false_accepts_per_hour"].items()))
        idle = noise.get("false_starts_per_10_min_of_noise", {})
        if idle:
            lines.append("  false starts in 10 min of noise with nobody at the kiosk: " + "; ".join(
                f"{name} " + ", ".join(f"{d} {n}" for d, n in by.items()) for name, by in idle.items()))
        for k, v in sp.items():
            if isinstance(v, dict) and "rtf_p50" in v:
                lines.append(f"  {k:16} RTF p50 {v['rtf_p50']:.3f}  end-of-speech->final p50 "
                             f"{v['speech_end_to_final_ms_p50']:.0f} ms p95 {v['speech_end_to_final_ms_p95']:.0f} ms"
                             f"  load {v['load_s']} s  RSS +{v['rss_mb']} MB"
                             + (f"  WER {v['wer_espeak']:.1%}" if "wer_espeak" in v else ""))
    elif sp:
        lines.append(f"speech skipped: {sp['skipped']}")
    vt = r.get("voice_turn")
    if vt and "skipped" not in vt:
        lines.append(f"voice turn ({vt['voice']}): end of speech -> first answer audio p50 {vt['total_ms_p50']} ms "
                     f"p95 {vt['total_ms_p95']} ms (target p50 <= 700 ms): {_turn_rule(vt)} + final transcript "
                     f"{vt['endpoint_and_final_ms_p50']} ms, answer "
                     f"{vt['answer_ms_p50']} ms, first sentence's first sample {vt['first_audio_ms_p50']} ms "
                     f"(no device buffer)")
        pa = vt.get("through_pulseaudio", {})
        if pa and "skipped" not in pa:
            lines.append(f"  through PulseAudio (virtual mic and speaker, a room loop, echo canceller; "
                         f"{pa['questions']} of {pa['of']} answered): end of speech -> first answer audio in the "
                         f"room p50 {pa['total_ms_p50']} ms p95 {pa['total_ms_p95']} ms; devices and sound "
                         f"server ~{round(pa['total_ms_p50'] - vt['total_ms_p50'])} ms of it (target p50 <= 700 ms)")
        elif pa:
            lines.append(f"  through PulseAudio skipped: {pa['skipped']}")
        rs = vt.get("read_speech", {})
        if rs and "skipped" not in rs:
            def wer(x: dict) -> str:
                return f"WER {x['wer']:.1%} ({x['errors']}/{x['words']} words, doubled {x['doubled']}, RTF {x['rtf']})"
            lines.append(f"real read speech ({rs['clean']['recordings']} recordings, {rs['engine']}, "
                         f"{rs['beam_size']} beams): clean {wer(rs['clean'])} (target <= 8%); crowd babble at "
                         f"10 dB SNR {wer(rs['babble_10db'])} (target <= 25%)")
            if "greedy" in rs:
                lines.append(f"  baseline, greedy: clean {wer(rs['greedy']['clean'])}; babble "
                             f"{wer(rs['greedy']['babble_10db'])}")
            lines += [f"  miss {m}" for m in rs["clean"]["misses"] + rs["babble_10db"]["misses"]]
        elif rs:
            lines.append(f"real read speech skipped: {rs['skipped']}")
    ui = r.get("ui")
    if ui and "skipped" not in ui:
        lines.append(f"touchscreen frame time while an answer streams: p50 {ui['streaming_frame_ms_p50']} ms "
                     f"p95 {ui['streaming_frame_ms_p95']} ms; idle screen p50 {ui['idle_frame_ms_p50']} ms "
                     f"p95 {ui['idle_frame_ms_p95']} ms; ratio p50 {ui['ratio_p50']} p95 {ui['ratio_p95']} "
                     f"({ui['frames_while_streaming']} frames over {ui['answers']} answers, "
                     f"{ui['renders_per_answer']} renders per answer)")
    elif ui:
        lines.append(f"touchscreen skipped: {ui['skipped']}")
    return "\n".join(lines)


def _turn_rule(vt: dict) -> str:
    """How the bench's turns ended: the end-of-turn model (and how often it, not silence, ended them)."""
    ended = ", ".join(f"{k} {v}" for k, v in vt.get("ended_by", {}).items())
    if vt.get("end_of_turn") == "model":
        return f"end of turn by model (ended by: {ended})"
    why = f", the model is not used: {vt['end_of_turn_reason']}" if vt.get("end_of_turn_reason") not in ("", "configured", None) else ""
    return f"end of turn by {vt['end_silence_s']} s of silence{why}"
