"""The kiosks' side of staged rollout (all signed by the device, as ingest is):

* ``GET /v1/updates``: the newest release open to this kiosk's ring, or none;
* ``GET /v1/releases/{id}/bundle``: its bundle, resumable (``Range: bytes=N-``);
* ``POST /v1/updates/report``: ``{release_id, state, detail}`` as it downloads, installs, reverts or fails.
"""

from __future__ import annotations

import json
import re

from fastapi import FastAPI, Request
from fastapi.responses import Response
from sqlalchemy import Engine

from kiosk.hub import releases
from kiosk.hub.auth import _refuse, signed_route

_RANGE = re.compile(r"^bytes=(\d{1,12})-$")
MAX_ID = 2**31


def install_updates(app: FastAPI, engine: Engine) -> None:
    def check(dev, request: Request, body: bytes) -> dict:
        r = releases.offer(engine, dev.id)
        if r is None:
            return {"release": None}
        return {"release": {"id": r.id, "version": r.bundle_version, "sha256": r.sha256, "size": r.size,
                            "url": f"/v1/releases/{r.id}/bundle", "note": r.note}}

    def bundle(dev, request: Request, body: bytes):
        try:
            release_id = int(request.path_params["release_id"])
        except ValueError:
            release_id = 0
        offered = releases.offer(engine, dev.id) if 0 < release_id < MAX_ID else None
        if offered is None or offered.id != release_id:  # only what this kiosk's ring may install
            return _refuse(404, "not_offered", f"release {release_id} is not open to this kiosk")
        data = releases.blob(engine, release_id) or b""
        m = _RANGE.match(request.headers.get("range", "").strip())
        if m:  # only "bytes=N-" (what a resuming kiosk asks); any other range is ignored: the whole bundle
            start = int(m.group(1))
            if start >= len(data):
                return Response(status_code=416, headers={"Content-Range": f"bytes */{len(data)}"})
            return Response(data[start:], status_code=206, media_type="application/x-tar", headers={
                "Content-Range": f"bytes {start}-{len(data) - 1}/{len(data)}", "Accept-Ranges": "bytes"})
        return Response(data, media_type="application/x-tar", headers={"Accept-Ranges": "bytes"})

    def report(dev, request: Request, body: bytes):
        try:
            req = json.loads(body)
            rid, state, detail = req["release_id"], str(req["state"]), str(req.get("detail", ""))
        except (ValueError, KeyError, TypeError, RecursionError):
            return _refuse(400, "malformed", "expected JSON {release_id, state, detail}")
        if not isinstance(rid, int) or isinstance(rid, bool) or not 0 < rid < MAX_ID:
            return _refuse(400, "malformed", "release_id is not a release number")
        if releases.get(engine, rid) is None:
            return _refuse(404, "no_release", f"no release {rid}")
        try:
            releases.report(engine, dev.id, rid, state, detail)
        except releases.ReleaseError as exc:
            return _refuse(403 if exc.code == "not_offered" else 400, exc.code, exc.message)
        return {"ok": True}

    signed_route(app, engine, "GET", "/v1/updates", check)
    signed_route(app, engine, "GET", "/v1/releases/{release_id}/bundle", bundle)
    signed_route(app, engine, "POST", "/v1/updates/report", report)
