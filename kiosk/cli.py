"""The ``kiosk`` command line. Parses arguments, loads config, calls the app; the one place that turns
``KioskError`` into a message and an exit code."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, Callable

from kiosk.errors import InputError, KioskError

MAX_LINE_BYTES = 1_000_000


def _emit(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _config(args):
    from kiosk.config import load_config

    return load_config(args.config)


def _fail(err: KioskError, as_json: bool) -> int:
    if as_json:
        _emit({"error": err.as_dict()})
    else:
        print(f"kiosk: {err.message} [{err.code}]", file=sys.stderr)
    return err.exit_code


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
        for raw in _read_lines(sys.stdin.buffer):
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
class _TerminalSink:
    def __init__(self) -> None:
        self.shown = ""

    def token(self, text: str) -> None:
        self.shown += text
        sys.stdout.write(text)
        sys.stdout.flush()

    def replace(self, text: str) -> None:
        if self.shown:
            sys.stdout.write("\r\x1b[J" if sys.stdout.isatty() else "\n[corrected] ")
        self.shown = text
        sys.stdout.write(text)
        sys.stdout.flush()


def cmd_chat(args) -> int:
    import time

    from kiosk.app import Kiosk

    print("Starting the kiosk...", file=sys.stderr)
    kiosk = Kiosk(_config(args))
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
            sink = _TerminalSink()
            try:
                ans = kiosk.ask(line, sink)
            except KioskError as err:
                print(err.message)
                continue
            tag = "passed on to staff" if ans.escalated else ans.source
            print(f"\n   [{tag}; confidence {ans.confidence:.2f}; {ans.total_ms:.0f} ms; "
                  f"from {', '.join(ans.entry_ids) or 'no entry'}]")
    finally:
        kiosk.reset_session()
        kiosk.close()


# -- operator commands --------------------------------------------------------------------------------------
def cmd_status(args) -> int:
    from kiosk.app import Startup, status_report
    from kiosk.knowledge.index import KnowledgeIndex
    from kiosk.store.db import connect
    from kiosk.store.turns import TurnStore

    cfg = _config(args)
    report = status_report(cfg, KnowledgeIndex(cfg.knowledge_db_path), TurnStore(connect(cfg.db_path)),
                           None, Startup(), "full" if cfg.llm.enabled else "minimal")
    if args.json:
        _emit(report)
    else:
        m, p = report["model"], report["pack"]
        print(f"model:  {m.get('name', m['configured'])} "
              f"({'present' if m['present'] else 'MISSING: ' + m['error']['message']})")
        print(f"pack:   {p['title'] or '(none)'} v{p['version'] or '-'}, {p['entries']} entries")
        for kind, c in report["outbox"].items():
            print(f"outbox: {kind:13} pending {c['pending']:5}  sent {c['sent']:5}  dead {c['dead']:5}")
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
        if args.json:
            _emit(rows)
        else:
            for r in rows:
                print(f"{r['name']:30} {r['kind']:4} {r['size'] / 1e6:7.1f} MB  {r['license']:11} "
                      f"{'installed' if r['installed'] else 'missing'}  {r['source']}")
        return 0
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


def cmd_knowledge(args) -> int:
    from kiosk.knowledge.index import KnowledgeIndex

    cfg = _config(args)
    index = KnowledgeIndex(cfg.knowledge_db_path)
    pack, changed = index.import_dir(args.dir)
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


def cmd_bench(args) -> int:
    from kiosk.bench import run_bench

    report = run_bench(_config(args), rounds=args.rounds, max_tokens=args.max_tokens)
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
    sp = add("bench", cmd_bench, "time-to-first-token and decode speed vs bare llama-cpp-python")
    sp.add_argument("--rounds", type=int, default=2, help="passes over the questions")
    sp.add_argument("--max-tokens", type=int, default=48)
    def leaf(group, name: str, help: str) -> argparse.ArgumentParser:
        lp = group.add_parser(name, help=help, description=help)
        lp.add_argument("--json", action="store_true", help="machine-readable output")
        return lp

    sp = add("models", cmd_models, "list or verify models", json_flag=False)
    msub = sp.add_subparsers(dest="models_cmd", required=True)
    leaf(msub, "list", "models in the manifest and whether they are installed")
    leaf(msub, "verify", "check size and sha256 of installed models").add_argument("name", nargs="*")
    sp = add("knowledge", cmd_knowledge, "manage the knowledge pack", json_flag=False)
    ksub = sp.add_subparsers(dest="knowledge_cmd", required=True)
    leaf(ksub, "import", "index a directory of Markdown files, replacing the current pack").add_argument("dir")
    sp = add("config", cmd_config, "configuration", json_flag=False)
    csub = sp.add_subparsers(dest="config_cmd", required=True)
    c = leaf(csub, "show", "print the effective configuration (TOML)")
    c.add_argument("--docs", action="store_true", help="list every setting with its documentation")
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
