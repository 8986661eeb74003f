"""`kiosk hub pack ...` and `kiosk hub release ...`: packs kept in the hub, the release ledger, staged rollout."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path


def _user() -> str:
    try:
        return "cli:" + getpass.getuser()
    except (KeyError, OSError):
        return "cli"


def _out(args, obj, text: str) -> int:
    print(json.dumps(obj, default=str) if getattr(args, "json", False) else text)
    return 0


def cmd_release(engine, args, hub) -> int:
    from kiosk.hub import packs, releases

    try:
        if args.hub_cmd == "pack":
            if args.pack_cmd == "import":
                v = packs.import_dir(engine, args.name, args.dir, _user())
                return _out(args, {"pack": args.name, "version": v}, f"{args.name}: version {v}")
            if args.pack_cmd == "export":
                row = packs.latest(engine, args.name, args.version)
                if row is None:
                    print(f"no pack {args.name!r}", file=sys.stderr)
                    return 4
                packs.write_dir(row.files, args.dir)
                return _out(args, {"pack": args.name, "version": row.version, "dir": args.dir},
                            f"{args.name} version {row.version} written to {args.dir}")
            rows = packs.names(engine)
            return _out(args, [{"pack": r.name, "version": r.version, "files": len(r.files), "note": r.note}
                               for r in rows], "\n".join(f"{r.name} v{r.version}: {r.note}" for r in rows) or
                        "no packs: kiosk hub pack import DIR --name NAME")
        rc = args.release_cmd
        rings = [r.strip() for r in (getattr(args, "rings", "") or hub.rings).split(",")]
        if rc == "publish":
            key = args.key or hub.signing_key
            if not key:
                print("no signing key: give --key (or [hub] signing_key), or sign offline with `kiosk bundle "
                      "build` and `kiosk hub release upload`", file=sys.stderr)
                return 2
            rid = releases.publish(engine, args.pack, args.pack_version, key, rings, _user(),
                                   (args.probe_question, args.probe_entry))
        elif rc == "upload":
            rid = releases.upload(engine, Path(args.bundle).read_bytes(), rings, _user())
        elif rc == "promote":
            opened = releases.promote(engine, args.id)
            return _out(args, {"release": args.id, "open_rings": opened}, f"release {args.id}: open to "
                        f"{', '.join(opened)}")
        elif rc == "halt":
            ok = releases.halt(engine, args.id, args.reason or f"halted by {_user()}")
            return _out(args, {"release": args.id, "halted": ok}, f"release {args.id}: "
                        f"{'halted' if ok else 'not rolling'}")
        elif rc == "rollback":
            rid = releases.rollback(engine, args.id, args.key or hub.signing_key, _user())
        else:  # list
            rows = releases.ledger(engine)
            return _out(args, [releases.as_json(r) for r in rows], "\n".join(
                f"#{r.id} v{r.bundle_version} {r.pack_name} v{r.pack_version or '-'} {r.state} "
                f"rings {','.join(r.rings)} (open: {','.join(releases.open_rings(r))}) {r.halt_reason}"
                for r in rows) or "no releases")
        row = releases.get(engine, rid)
        return _out(args, releases.as_json(row), f"release {rid}: bundle version {row.bundle_version}, "
                    f"open to {row.rings[0]} first ({', '.join(row.rings)})")
    except (packs.PackError, releases.ReleaseError) as exc:
        print(f"{exc.code}: {exc.message}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"cannot read: {exc}", file=sys.stderr)
        return 2


def add_release_parsers(cmd) -> None:
    p = cmd("pack", "knowledge packs kept in the hub")
    psub = p.add_subparsers(dest="pack_cmd", required=True)
    i = psub.add_parser("import", help="a pack directory as the pack's next version")
    i.add_argument("dir")
    i.add_argument("--name", required=True)
    psub.add_parser("list", help="each pack's newest version")
    e = psub.add_parser("export", help="a pack version as a directory (to sign it offline with kiosk bundle build)")
    e.add_argument("name")
    e.add_argument("dir")
    e.add_argument("--version", type=int, default=None, help="default: the newest")
    for sp in psub.choices.values():
        sp.add_argument("--db", default=argparse.SUPPRESS)
        sp.add_argument("--json", action="store_true", default=argparse.SUPPRESS)

    r = cmd("release", "signed releases and their staged rollout")
    rsub = r.add_subparsers(dest="release_cmd", required=True)
    pub = rsub.add_parser("publish", help="sign a pack version with the hub's key and start its rollout")
    pub.add_argument("pack")
    pub.add_argument("--pack-version", type=int, default=None, help="default: the newest")
    pub.add_argument("--key", default="", help="private key (default: [hub] signing_key)")
    pub.add_argument("--rings", default="", help="rollout order, e.g. canary,all (default: [hub] rings)")
    pub.add_argument("--probe-question", default="", help="the question the kiosks' health check asks")
    pub.add_argument("--probe-entry", default="", help="the entry that must answer it")
    up = rsub.add_parser("upload", help="a bundle signed offline (`kiosk bundle build`) into the ledger")
    up.add_argument("bundle")
    up.add_argument("--rings", default="")
    for name, help_ in (("promote", "open the next ring"), ("halt", "stop offering a release"),
                        ("rollback", "halt a release and re-release the pack version before it")):
        x = rsub.add_parser(name, help=help_)
        x.add_argument("id", type=int)
        if name == "halt":
            x.add_argument("--reason", default="")
        if name == "rollback":
            x.add_argument("--key", default="")
    rsub.add_parser("list", help="the release ledger")
    for sp in rsub.choices.values():
        sp.add_argument("--db", default=argparse.SUPPRESS)
        sp.add_argument("--json", action="store_true", default=argparse.SUPPRESS)
