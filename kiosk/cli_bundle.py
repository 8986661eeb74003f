"""`kiosk keys ...` and `kiosk bundle ...`: signed updates for unattended kiosks."""

from __future__ import annotations

import sys
from pathlib import Path

from kiosk.cli_common import config as _config
from kiosk.cli_common import emit as _emit
from kiosk.errors import BundleError


def cmd_keys(args) -> int:
    from kiosk.bundles.keys import generate

    private, public, text = generate(args.out, args.name)
    if args.json:
        _emit({"private_key": str(private), "public_key": str(public), "trusted_key": text})
    else:
        print(f"private key: {private}  (keep it off the kiosks)\npublic key:  {public}\n"
              f"add to each kiosk's config:\n[bundles]\ntrusted_keys = \"{text}\"")
    return 0


def _progress(args, label: str):
    from kiosk.transfer import no_progress, progress_bar

    return no_progress if args.json else progress_bar(label)


def cmd_bundle(args) -> int:
    return {"build": _build, "install": _install, "rollback": _rollback, "status": _status,
            "check": _check}[args.bundle_cmd](args)


def _build(args) -> int:
    from kiosk.bundles.build import build

    cfg = _config(args)
    model = None
    if not args.no_model:
        from kiosk.llm.manifest import resolve_model_path

        model = resolve_model_path(args.model or cfg.llm.model)[1]
    pack = None if args.no_pack else Path(args.pack or cfg.knowledge.pack)
    info = build(args.key, args.version, args.out, model, pack, Path(args.config_file) if args.config_file else None,
                 expires_days=args.expires_days, probe=(args.probe_question, args.probe_entry),
                 progress=_progress(args, f"building {args.out}"))
    if args.json:
        _emit(info)
    else:
        print(f"bundle v{info['version']}: {info['files']} files, {info['bytes'] / 1e6:.1f} MB, expires "
              f"{info['expires']} -> {info['out']}")
    return 0


def _store(args):
    """The kiosk's bundle store and the health check that installs, rollbacks and recovery run."""
    from kiosk.bundles.install import child_check, open_store

    cfg = _config(args)
    return open_store(cfg), child_check(cfg)


def _install(args) -> int:
    store, health = _store(args)
    if not args.json:
        print(f"verifying {args.source} ...", file=sys.stderr)
    result = store.install(args.source, health, progress=_progress(args, "installing"),
                           verify_progress=_progress(args, "verifying "))
    if args.json:
        _emit(result)
    else:
        print(f"installed version {result['version']} (previous: {result['previous'] or 'none'}); "
              f"health check: {result['health']}\nrestart the kiosk to use it (systemctl restart kiosk)")
    return 0


def _rollback(args) -> int:
    store, health = _store(args)
    result = store.rollback(health)
    if args.json:
        _emit(result)
    else:
        print(f"rolled back to version {result['version']} (from {result['was']}); {result['health']}")
    return 0


def _status(args) -> int:
    store, health = _store(args)
    actions = store.recover(health)
    info = {**store.status(), "recovered": actions}
    if args.json:
        _emit(info)
    else:
        for a in actions:
            print(f"recovered: {a}")
        if info["current"] is None:
            print("no bundle installed (factory models and pack)")
        else:
            print(f"version {info['current']} ({'healthy' if info['healthy'] else 'NOT checked'}), previous "
                  f"{info['previous'] or 'none'}, highest seen {info['highest_seen']}; {info['files']} files, "
                  f"expires {info['expires']}, signed by {info['key_id']}")
    return 0


def _check(args) -> int:
    from kiosk.bundles.health import check

    result = check(_config(args))
    if args.json:
        _emit(result)
    else:
        print(("ok: " if result["ok"] else "FAILED: ") + result["detail"])
    if not result["ok"]:
        return BundleError.exit_code
    return 0


def add_parsers(add, leaf) -> None:
    sp = add("keys", cmd_keys, "bundle signing keys", json_flag=False)
    ks = sp.add_subparsers(dest="keys_cmd", required=True)
    g = leaf(ks, "generate", "make an Ed25519 key pair for signing bundles")
    g.add_argument("--out", default=".", help="directory for NAME.key and NAME.pub")
    g.add_argument("--name", default="kiosk-bundles")
    sp = add("bundle", cmd_bundle, "signed model/knowledge/config bundles", json_flag=False)
    bs = sp.add_subparsers(dest="bundle_cmd", required=True)
    b = leaf(bs, "build", "build and sign a bundle")
    b.add_argument("--key", required=True, help="private key from `kiosk keys generate`")
    b.add_argument("--version", type=int, required=True, help="must be higher than any installed version")
    b.add_argument("--out", required=True)
    b.add_argument("--model", help="GGUF file or manifest name (default: the configured model)")
    b.add_argument("--no-model", action="store_true")
    b.add_argument("--pack", help="knowledge pack directory (default: the configured pack)")
    b.add_argument("--no-pack", action="store_true")
    b.add_argument("--config-file", help="TOML settings the bundle brings (local config still wins)")
    b.add_argument("--expires-days", type=float, default=90.0)
    b.add_argument("--probe-question", default="", help="question the post-install health check asks")
    b.add_argument("--probe-entry", default="", help="pack entry id the probe answer must come from")
    i = leaf(bs, "install", "verify, stage, switch, health-check (reverting on failure)")
    i.add_argument("source", help="bundle file or http(s) URL")
    leaf(bs, "rollback", "go back to the previous version")
    leaf(bs, "status", "installed version (finishes an interrupted install first)")
    leaf(bs, "check", "health check of what is installed: whole, model loads, pack answers")
