"""Dashboard pages for the curator loop: a staff entry for a pack (with a preview of what it changes), and
Releases (the ledger, each release's rings and per-kiosk state, publish, promote, halt, roll back)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from sqlalchemy import Engine, select
from starlette.concurrency import run_in_threadpool

from kiosk.config import HubConfig
from kiosk.hub import packs, releases, wording
from kiosk.hub.queue import recent, review_queue
from kiosk.hub.tables import devices


def _first(form: dict, key: str) -> str:
    return (form.get(key) or [""])[0]


def kiosk_states(engine: Engine, row) -> list[tuple[str, str, str, str]]:
    """(device, ring, state, detail) for every kiosk the release concerns: in an open ring, or reported."""
    reported = releases.device_states(engine, row.id)
    opened = releases.open_rings(row)
    with engine.connect() as c:
        devs = c.execute(select(devices.c.id, devices.c.ring, devices.c.state).order_by(devices.c.id)).all()
    out = []
    for d in devs:
        if d.id in reported:
            out.append((d.id, d.ring, *reported[d.id]))
        elif d.state == "active" and row.state == "rolling" and (d.ring in opened or "all" in opened):
            out.append((d.id, d.ring, "pending", ""))
    return out


def install_releases(app: FastAPI, engine: Engine, hub: HubConfig, ctx) -> None:
    def back(path: str, msg: str) -> RedirectResponse:
        return RedirectResponse(f"{path}?msg={quote(msg)}", status_code=303)

    @app.post("/packs/entry")
    async def entry(request: Request):
        """Preview (default) or save a staff entry as the pack's next version."""
        got = await ctx.guarded(request)
        if isinstance(got, Response):
            return got
        s, form = got
        name, heading, body = _first(form, "pack"), _first(form, "heading"), _first(form, "answer")
        row = await run_in_threadpool(packs.latest, engine, name)
        if row is None:
            return PlainTextResponse(f"no pack named {name!r}: kiosk hub pack import DIR --name NAME", 400)
        try:
            after = packs.with_entry(row.files, heading, body)
        except packs.PackError as exc:
            return PlainTextResponse(exc.message, status_code=400)
        if _first(form, "do") == "save":
            v = await run_in_threadpool(packs.add_entry, engine, name, heading, body, s.user)
            return back("/releases", f"{name} version {v} saved with the entry {heading!r}: publish it below")

        def run():
            from kiosk.config import load_config
            from kiosk.hub.preview import preview

            asked = [r.question for r in review_queue(engine)] + [r.question for r in recent(engine, 100)]
            return preview(load_config(), row.files, after, asked)
        try:
            changes = await run_in_threadpool(run)
        except Exception as exc:  # a pack the kiosk cannot load: say so rather than 500
            return PlainTextResponse(f"the preview failed: {getattr(exc, 'message', exc)}", status_code=400)
        return ctx.page("preview.html", s=s, tab="questions", pack=name, version=row.version, heading=heading,
                        answer=body, changes=changes, changed=[c for c in changes if c.changed])

    @app.post("/packs/wording")
    async def wording_posted(request: Request):
        """List a visitor's wording under the entry they chose from "did you mean ...?": the pack's next
        version, to publish like any other (Releases)."""
        got = await ctx.guarded(request)
        if isinstance(got, Response):
            return got
        s, form = got
        name, entry_id, question = _first(form, "pack"), _first(form, "entry"), _first(form, "question")
        try:
            v = await run_in_threadpool(wording.add_question, engine, name, entry_id, question, s.user)
        except packs.PackError as exc:
            return PlainTextResponse(exc.message, status_code=400)
        return back("/releases", f"{name} version {v} lists {question!r} under {entry_id}: publish it below")

    @app.get("/releases")
    def releases_page(request: Request):
        s = ctx.session_of(request)
        if s is None:
            return ctx.to_login()
        ledger = releases.ledger(engine)
        return ctx.page("releases.html", s=s, tab="releases", packs=packs.names(engine), ledger=ledger,
                        states={r.id: kiosk_states(engine, r) for r in ledger[:10]},
                        can_sign=bool(hub.signing_key), rings=hub.rings, msg=request.query_params.get("msg", ""),
                        open_rings=releases.open_rings,
                        rollback_to={r.id: releases.rollback_target(engine, r.id) for r in ledger[:10]})

    @app.post("/releases/publish")
    async def publish(request: Request):
        got = await ctx.guarded(request)
        if isinstance(got, Response):
            return got
        s, form = got
        if not hub.signing_key:
            return PlainTextResponse("this hub holds no signing key: sign offline (see the Releases page)", 400)
        refused = await ctx.reauth(s, form)
        if refused is not None:
            return refused
        # From the dashboard a release always starts at the first ring of [hub] rings, with a health check:
        # a session alone (a cookie copied from a browser) can never put a change in front of every kiosk.
        rings = [r.strip() for r in hub.rings.split(",") if r.strip()]
        if not _first(form, "probe").strip():
            return PlainTextResponse("a release needs a health-check question the new version must answer", 400)
        try:
            rid = await run_in_threadpool(releases.publish, engine, _first(form, "pack"), None, hub.signing_key,
                                          rings, s.user, (_first(form, "probe"), ""))
        except releases.ReleaseError as exc:
            return PlainTextResponse(exc.message, status_code=400)
        return back("/releases", f"release {rid} published to {rings[0]}")

    @app.post("/releases/{release_id}/{action}")
    async def act(release_id: int, action: str, request: Request):
        got = await ctx.guarded(request)
        if isinstance(got, Response):
            return got
        s, form = got
        if not 0 < release_id < 2**31 or releases.get(engine, release_id) is None:
            return PlainTextResponse("no such release", status_code=404)
        if action in ("promote", "rollback"):  # halting is always safe; opening a release wider is not
            refused = await ctx.reauth(s, form)
            if refused is not None:
                return refused
        try:
            if action == "promote":
                opened = await run_in_threadpool(releases.promote, engine, release_id)
                msg = f"release {release_id} is open to {', '.join(opened)}"
            elif action == "halt":
                done = await run_in_threadpool(releases.halt, engine, release_id, f"halted by {s.user}")
                msg = f"release {release_id} halted" if done else f"release {release_id} was not rolling"
            elif action == "rollback" and hub.signing_key:
                new = await run_in_threadpool(releases.rollback, engine, release_id, hub.signing_key, s.user)
                msg = f"release {release_id} rolled back by release {new}"
            else:
                return PlainTextResponse("unknown action (or no signing key on this hub)", status_code=400)
        except releases.ReleaseError as exc:
            return PlainTextResponse(exc.message, status_code=400)
        return back("/releases", msg)
