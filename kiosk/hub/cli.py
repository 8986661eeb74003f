"""`kiosk hub ...`: serve, enrol-code, revoke, stats. Every command takes --db (default: SQLite in the
hub's data dir) and brings the database to the current schema first."""

from __future__ import annotations

import argparse
import json
import sys

from kiosk.cli_common import config as _config


def db_url(args) -> str:
    if args.db:
        return args.db
    d = _config(args).data_path / "hub"
    d.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{d / 'hub.db'}"


def _engine(args):
    try:
        from kiosk.hub.migrate import engine_for, upgrade
    except ImportError as exc:  # the extra is not installed
        print(f"the hub needs the [hub] extra: pip install -e '.[hub]' ({exc})", file=sys.stderr)
        raise SystemExit(3) from exc
    engine = engine_for(db_url(args))
    upgrade(engine)
    return engine


def _add_user(engine, args) -> int:
    import getpass

    from kiosk.hub.users import UserError, add_user

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"password for {args.name}: ")
        if getpass.getpass("again: ") != password:
            print("the passwords differ; nothing changed", file=sys.stderr)
            return 2
    try:
        add_user(engine, args.name, password, replace=args.replace)
    except UserError as exc:
        print(f"{exc.code}: {exc.message}", file=sys.stderr)
        return 2
    print(f"{args.name}: can log in to the dashboard")
    return 0


def _admin(engine, args) -> int:
    from kiosk.hub.users import logout_all, remove_user

    if args.admin_cmd == "add-user":
        return _add_user(engine, args)
    if args.admin_cmd == "remove-user":
        gone = remove_user(engine, args.name)
        print(f"{args.name}: {'removed, and every session of theirs ended' if gone else 'no such user'}")
        return 0 if gone else 4
    if args.admin_cmd == "logout-all":
        print(f"{logout_all(engine)} dashboard session(s) ended: everyone logs in again")
        return 0
    return 2


def cmd_hub(args) -> int:
    if args.hub_cmd == "bench":  # its own servers and databases, never the configured one
        from kiosk.hub.bench import format_hub_report, run_hub_bench

        r = run_hub_bench(args.kiosks, args.batches, args.events, args.concurrency, args.rate)
        print(json.dumps(r) if args.json else format_hub_report(r))
        return 0
    engine = _engine(args)
    from kiosk.hub import store

    if args.hub_cmd == "serve":
        from kiosk.hub.app import create_app
        from kiosk.hub.serving import serve

        hub_config = _config(args).hub
        if args.upstream:
            import dataclasses

            hub_config = dataclasses.replace(hub_config, upstream_base_url=args.upstream)
        serve(create_app(engine, args.public_url, hub_config), args.host, args.port, hub_config.slow_request_s)
        return 0
    if args.hub_cmd == "admin":
        return _admin(engine, args)
    if args.hub_cmd in ("pack", "release"):
        from kiosk.hub.cli_release import cmd_release

        return cmd_release(engine, args, _config(args).hub)
    if args.hub_cmd == "enrol-code":
        try:
            code = store.new_code(engine, args.ring)
        except ValueError as exc:
            print(exc, file=sys.stderr)
            return 2
        print(json.dumps({"code": code, "ring": args.ring}) if args.json else code)
        return 0
    if args.hub_cmd == "revoke":
        ok = store.revoke(engine, args.device)
        print(json.dumps({"revoked": ok, "device": args.device}) if args.json else
              f"{args.device}: {'revoked' if ok else 'no such device'}")
        return 0 if ok else 4
    if args.hub_cmd == "ring":
        try:
            ok = store.set_ring(engine, args.device, args.ring)
        except ValueError as exc:
            print(exc, file=sys.stderr)
            return 2
        print(json.dumps({"device": args.device, "ring": args.ring, "moved": ok}) if args.json else
              f"{args.device}: {'now in ring ' + args.ring if ok else 'no such device'}")
        return 0 if ok else 4
    if args.hub_cmd == "stats":
        s = store.stats(engine)
        print(json.dumps(s) if args.json else "\n".join(f"{k}: {v}" for k, v in s.items()))
        return 0
    return 2


def add_parsers(add, leaf) -> None:
    sp = add("hub", cmd_hub, "the fleet hub: receives what kiosks send", json_flag=False)
    hsub = sp.add_subparsers(dest="hub_cmd", required=True)

    def cmd(name: str, help: str):
        p = leaf(hsub, name, help)
        p.add_argument("--db", help="database URL (default: SQLite in the data dir; postgresql+psycopg://...)")
        return p

    s = cmd("serve", "run the hub's HTTP server")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8470)
    s.add_argument("--public-url", default="", help="the URL kiosks reach this hub at (default: as requested)")
    s.add_argument("--upstream", default="", help="OpenAI-compatible base URL for escalations "
                   "(default: [hub.upstream] base_url; none = every escalation waits for staff)")
    a = cmd("admin", "dashboard users")
    asub = a.add_subparsers(dest="admin_cmd", required=True)
    u = asub.add_parser("add-user", help="add a dashboard user (asks for a password)")
    u.add_argument("name")
    u.add_argument("--db", default=argparse.SUPPRESS, help="database URL (as for every hub command)")
    u.add_argument("--password-stdin", action="store_true", help="read the password from one line of stdin")
    u.add_argument("--replace", action="store_true", help="set a new password for an existing user (ends "
                   "every session they have open)")
    r = asub.add_parser("remove-user", help="remove a dashboard user and end their sessions")
    r.add_argument("name")
    r.add_argument("--db", default=argparse.SUPPRESS, help="database URL (as for every hub command)")
    lo = asub.add_parser("logout-all", help="end every dashboard session")
    lo.add_argument("--db", default=argparse.SUPPRESS, help="database URL (as for every hub command)")
    cmd("enrol-code", "print a one-time enrolment code").add_argument("--ring", default="all")
    cmd("revoke", "revoke a device: its next request is refused").add_argument("device")
    rg = cmd("ring", "move a device to another rollout ring")
    rg.add_argument("device")
    rg.add_argument("ring")
    cmd("stats", "devices by state, events held by type, escalations by state")
    from kiosk.hub.cli_release import add_release_parsers

    add_release_parsers(cmd)
    b = leaf(hsub, "bench", "ingest throughput and latency with simulated kiosks (SQLite; PostgreSQL x2; SIGKILL)")
    b.add_argument("--kiosks", type=int, default=1000)
    b.add_argument("--batches", type=int, default=2, help="batches per kiosk")
    b.add_argument("--events", type=int, default=100, help="events per batch (the kiosk's [sync] batch_size)")
    b.add_argument("--concurrency", type=int, default=32, help="batches in flight at once (closed-loop runs)")
    b.add_argument("--rate", type=float, default=5000.0, help="events/s offered on a schedule in the paced "
                   "PostgreSQL run (0 = no paced run)")
