"""The kiosks' side of staged rollout (all signed by the device, as ingest is):

* ``GET /v1/updates``: the newest release open to this kiosk's ring, or none;
* ``GET /v1/releases/{id}/bundle``: its bundle, resumable (``Range: bytes=N-``);
* ``POST /v1/updates/report``: ``{release_id, state, detail}`` as it downloads, installs, reverts or fails.
"""

from __future__ import annotations

import json
import re

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from kiosk.hub import releases, store
from kiosk.hub.auth import _refuse, authenticate

_RANGE = re.compile(r"^bytes=(\d{1,12})-$")
MAX_ID = 2**31


def install_updates(app: FastAPI, engine: Engine, body_of) -> None:
    def signed(headers, method: str, path: str, body: bytes):
        auth = authenticate(engine, headers, method, path, body)
        if isinstance(auth, JSONResponse):
            return auth
        dev, sig = auth
        try:
            store.spend_nonce(engine, dev.id, sig.nonce, sig.created)
        except store.Replayed:
            return _refuse(401, "replayed", "this signature's nonce was used before")
        return dev

    def check(headers, method, path, body):
        dev = signed(headers, method, path, body)
        if isinstance(dev, JSONResponse):
            return dev
        r = releases.offer(engine, dev.id)
        if r is None:
            return {"release": None}
        return {"release": {"id": r.id, "version": r.bundle_version, "sha256": r.sha256, "size": r.size,
                            "url": f"/v1/releases/{r.id}/bundle", "note": r.note}}

    def bundle(headers, method, path, body, release_id: int, range_: str):
        dev = signed(headers, method, path, body)
        if isinstance(dev, JSONResponse):
            return dev
        offered = releases.offer(engine, dev.id)
        if offered is None or offered.id != release_id:  # only what this kiosk's ring may install
            return _refuse(404, "not_offered", f"release {release_id} is not open to this kiosk")
        data = releases.blob(engine, release_id) or b""
        start = 0
        m = _RANGE.match(range_.strip()) if range_ else None
        if m:  # only "bytes=N-" (what a resuming kiosk asks); any other range is ignored: the whole bundle
            if int(m.group(1)) >= len(data):
                return Response(status_code=416, headers={"Content-Range": f"bytes */{len(data)}"})
            start = int(m.group(1))
            return Response(data[start:], status_code=206, media_type="application/x-tar", headers={
                "Content-Range": f"bytes {start}-{len(data) - 1}/{len(data)}", "Accept-Ranges": "bytes"})
        return Response(data, media_type="application/x-tar", headers={"Accept-Ranges": "bytes"})

    def report(headers, method, path, body):
        dev = signed(headers, method, path, body)
        if isinstance(dev, JSONResponse):
            return dev
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

    @app.get("/v1/updates")
    async def updates(request: Request):
        body = await body_of(request)
        if isinstance(body, JSONResponse):
            return body
        return await run_in_threadpool(check, request.headers, request.method, request.url.path, body)

    @app.get("/v1/releases/{release_id}/bundle")
    async def release_bundle(release_id: int, request: Request):
        if not 0 < release_id < MAX_ID:
            return _refuse(404, "no_release", "no such release")
        body = await body_of(request)
        if isinstance(body, JSONResponse):
            return body
        return await run_in_threadpool(bundle, request.headers, request.method, request.url.path, body,
                                       release_id, request.headers.get("range", ""))

    @app.post("/v1/updates/report")
    async def update_report(request: Request):
        body = await body_of(request)
        if isinstance(body, JSONResponse):
            return body
        return await run_in_threadpool(report, request.headers, request.method, request.url.path, body)
