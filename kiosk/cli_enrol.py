"""`kiosk enrol HUB_URL CODE`: register this kiosk's device key with a hub, which then receives its outbox."""

from __future__ import annotations

import base64
import hashlib

from kiosk.cli_common import config as _config
from kiosk.cli_common import emit as _emit
from kiosk.cli_common import fail as _fail
from kiosk.errors import KioskError


def _under(hub_url: str, given: str, path: str) -> str:
    """A URL the hub handed out, if it is under the hub this kiosk enrolled with; else that hub's own ``path``.
    A kiosk's events, questions and updates only ever go where the operator pointed it, whatever a reply
    (or someone rewriting it) says."""
    return given if isinstance(given, str) and given.startswith(hub_url + "/") else hub_url + path


def cmd_enrol(args) -> int:
    import httpx

    from kiosk.identity import Enrolment, device_key, public_key_bytes, save_enrolment
    from kiosk.store.db import utcnow

    cfg = _config(args)
    cfg.data_path.mkdir(parents=True, exist_ok=True)
    key = device_key(cfg.data_path)
    # [device] id when set, else one derived from the device key (one machine may run several kiosks)
    device_id = cfg.device.id or "kiosk-" + hashlib.sha256(public_key_bytes(key)).hexdigest()[:16]
    url = args.hub_url.rstrip("/")
    try:
        r = httpx.post(f"{url}/v1/enrol", timeout=15, json={
            "code": args.code, "device_id": device_id,
            "public_key": base64.b64encode(public_key_bytes(key)).decode()})
    except httpx.HTTPError as exc:
        return _fail(KioskError("hub_unreachable", f"cannot reach the hub at {url}: {exc}"), args.json)
    if r.status_code != 200:
        try:
            reason = r.json().get("reason", r.text[:200])
        except ValueError:
            reason = r.text[:200]
        return _fail(KioskError("enrol_refused", f"the hub refused enrolment ({r.status_code}): {reason}"),
                     args.json)
    got = r.json()
    e = Enrolment(hub_url=url, device_id=got["device_id"], ingest_url=_under(url, got["ingest_url"], "/v1/events"),
                  cloud_base_url=_under(url, got["cloud_base_url"], "/v1"), ring=got["ring"], enrolled_at=utcnow(),
                  updates_url=_under(url, got["updates_url"], "/v1/updates") if got.get("updates_url") else "")
    save_enrolment(cfg.data_path, e)
    out = e.public()
    _emit(out) if args.json else print(f"enrolled as {e.device_id} (ring {e.ring}) with {url}")
    return 0


def cmd_pin(args) -> int:
    """`kiosk pin set`: choose the staff PIN (asked twice on a terminal; one line of stdin otherwise)."""
    import getpass
    import sys

    from kiosk.errors import InputError
    from kiosk.staff_pin import save_pin

    cfg = _config(args)
    if sys.stdin.isatty():
        pin = getpass.getpass("New staff PIN (4 to 8 digits): ")
        if getpass.getpass("The same PIN again: ") != pin:
            return _fail(InputError("pin_mismatch", "the two PINs differ; nothing changed"), args.json)
    else:
        pin = sys.stdin.readline().strip()
    try:
        save_pin(cfg.data_path, pin)
    except ValueError as exc:
        return _fail(InputError("bad_pin", f"{exc}; nothing changed"), args.json)
    if cfg.ui.staff_pin_sha256:
        print("note: [ui] staff_pin_sha256 in the config still wins over this PIN", file=sys.stderr)
    _emit({"pin": "set"}) if args.json else print("staff PIN set")
    return 0
