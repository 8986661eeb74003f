"""The dashboard: server-rendered pages (Jinja2, autoescaped) behind a login.

Login: argon2id passwords (``kiosk hub admin add-user``), a session cookie (HttpOnly, SameSite=Strict, Secure
behind https) whose token's hash is a database row. Every form that changes something carries the
session's CSRF token and must come from this origin. Pages: Fleet, Usage (+ CSV), Questions.
"""

from __future__ import annotations

import csv
import io
import math
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Mapping
from urllib.parse import parse_qs, urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from kiosk.config import HubConfig
from kiosk.hub import charts, queue, reports, store, users
from kiosk.hub.auth import read_body
from kiosk.hub.logins import Busy, LoginGate

COOKIE = "hub_session"
MAX_FORM = 64 * 1024
MAX_ANSWER = 2000
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "Cache-Control": "no-store",
}

_env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                   autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)


def _ago(t: datetime | None, now: datetime) -> str:
    if t is None:
        return "never"
    s = int((now - t).total_seconds())
    for unit, n in (("d", 86400), ("h", 3600), ("min", 60)):
        if s >= n:
            return f"{s // n} {unit} ago"
    return f"{max(s, 0)} s ago"


_env.filters["ago"] = lambda t: _ago(t, datetime.now(timezone.utc))
# Why an escalation waits for staff (``upstream.Verdict.reason``), in words.
REASONS = {"": "being asked now", "no_upstream": "no upstream model is configured",
           "upstream_down": "the upstream did not answer", "upstream_error": "the upstream answered with an error",
           "upstream_unknown": "the upstream found no answer in the pack",
           "ungrounded": "the upstream's answer is not supported by the pack",
           "content_free": "the upstream's answer says nothing the pack decides (a bare yes or no)",
           "kiosk_quota": "this kiosk asked the upstream more than its share this hour",
           "no_pack": "the kiosk sent no pack text to check an answer against"}
_env.filters["reason"] = lambda code: REASONS.get(code, code)


def install_dashboard(app: FastAPI, engine: Engine, hub: HubConfig, public_url: str = "",
                      gate: LoginGate | None = None, refusals: Callable[[], Mapping[str, int]] = dict) -> None:
    """``refusals()``: each kiosk's requests refused by a per-kiosk limit (shown on the Fleet page)."""
    secure = public_url.startswith("https://")
    gate = gate or LoginGate(hub.login_checks, hub.login_waiting)

    def page(name: str, status: int = 200, **ctx) -> HTMLResponse:
        return HTMLResponse(_env.get_template(name).render(**ctx), status_code=status, headers=HEADERS)

    def session_of(request: Request) -> users.Session | None:
        return users.session_for(engine, request.cookies.get(COOKIE))

    async def form_of(request: Request) -> dict[str, list[str]] | Response:
        """The form, read no further than MAX_FORM bytes (a larger body is refused, 413, and never read)."""
        body = await read_body(request, MAX_FORM)
        if not isinstance(body, bytes):
            return body
        try:
            return parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=2000)
        except (UnicodeDecodeError, ValueError):
            return PlainTextResponse("the form is not UTF-8 or has too many fields", status_code=400)

    def same_origin(request: Request) -> bool:
        """A changing form must come from a page of this hub (browsers send Origin on POST)."""
        origin = request.headers.get("origin") or request.headers.get("referer")
        if not origin:
            return True  # not a browser (curl): the CSRF token still has to match
        return urlsplit(origin).netloc == request.headers.get("host", "")

    def to_login() -> RedirectResponse:
        return RedirectResponse("/login", status_code=303)

    async def guarded(request: Request) -> tuple[users.Session, dict[str, list[str]]] | Response:
        """The session and form of a changing request, or the refusal."""
        s = await run_in_threadpool(session_of, request)
        if s is None:
            return to_login()
        form = await form_of(request)
        if isinstance(form, Response):
            return form
        if not same_origin(request) or not users.csrf_ok(s, (form.get("csrf") or [""])[0]):
            return PlainTextResponse("this form is stale or did not come from the dashboard: reload the page",
                                     status_code=403)
        return s, form

    async def reauth(s: users.Session, form: dict[str, list[str]]) -> Response | None:
        """None if the form carries the session user's password; else the refusal. For actions that reach
        kiosks (publish, promote, roll back): a session alone is not enough. Checked like a login (the same
        queue and backoff; a wrong password counts as a failed login)."""
        password = (form.get("password") or [""])[0]
        if not password:
            return PlainTextResponse("enter your password to do this", status_code=403)
        try:
            result = await gate.run(users.check_login, engine, s.user, password)
        except Busy:
            return PlainTextResponse("the hub is busy checking logins: try again in a few seconds", 429,
                                     headers={"Retry-After": "5"})
        if result.retry_after_s:
            return PlainTextResponse(f"too many wrong passwords: try again in {math.ceil(result.retry_after_s)} s",
                                     429, headers={"Retry-After": str(math.ceil(result.retry_after_s))})
        return None if result.ok else PlainTextResponse("wrong password", status_code=403)

    from types import SimpleNamespace

    from kiosk.hub.web_releases import install_releases

    install_releases(app, engine, hub, SimpleNamespace(page=page, session_of=session_of, guarded=guarded,
                                                       to_login=to_login, reauth=reauth))

    @app.get("/", include_in_schema=False)
    def root():
        return RedirectResponse("/fleet", status_code=303)

    @app.get("/login", response_class=HTMLResponse)
    async def login_page(request: Request):
        return page("login.html", error="")

    def wait_page(seconds: float, error: str) -> HTMLResponse:
        r = page("login.html", 429, error=error)
        r.headers["Retry-After"] = str(max(1, math.ceil(seconds)))
        return r

    @app.post("/login")
    async def login(request: Request):
        """Strangers reach this: nothing here takes a worker the kiosks need, and a password is checked only
        with a free place on a check thread, for an address and an account not backing off."""
        address = request.client.host if request.client else "?"
        wait = gate.retry_after(address)
        if wait:
            return wait_page(wait, f"Too many failed logins from here: try again in {math.ceil(wait)} s.")
        form = await form_of(request)
        if isinstance(form, Response):
            return form
        name, password = (form.get("name") or [""])[0], (form.get("password") or [""])[0]
        if not same_origin(request):
            return page("login.html", 403, error="This form did not come from the dashboard.")
        if not name:
            return page("login.html", 401, error="Wrong name or password.")
        # Every name backs off here as an account does in the database, so an unknown name answers as a
        # known one would: five failures do not tell which names exist.
        named = "name:" + name[:64]
        wait = gate.retry_after(named)
        if wait:
            return wait_page(wait, f"Too many failed logins for this name: try again in {math.ceil(wait)} s.")
        try:
            result = await gate.run(users.check_login, engine, name, password)
        except Busy:
            return wait_page(5, "The hub is busy checking other logins: try again in a few seconds.")
        if result.retry_after_s:
            return wait_page(result.retry_after_s, "Too many failed logins for this name: try again in "
                             f"{math.ceil(result.retry_after_s)} s.")
        if not result.ok:
            gate.failed(address)
            gate.failed(named)
            return page("login.html", 401, error="Wrong name or password.")
        gate.succeeded(address)
        gate.succeeded(named)
        token, _ = await run_in_threadpool(users.open_session, engine, name, hub.session_hours)
        r = RedirectResponse("/fleet", status_code=303)
        r.set_cookie(COOKIE, token, max_age=int(hub.session_hours * 3600), httponly=True, samesite="strict",
                     secure=secure, path="/")
        return r

    @app.post("/logout")
    async def logout(request: Request):
        got = await guarded(request)
        if isinstance(got, Response):
            return got
        await run_in_threadpool(users.close_session, engine, request.cookies.get(COOKIE))
        r = to_login()
        r.delete_cookie(COOKIE, path="/")
        return r

    @app.get("/fleet", response_class=HTMLResponse)
    def fleet_page(request: Request):
        s = session_of(request)
        if s is None:
            return to_login()
        kiosks = reports.fleet(engine, hub.offline_after_s)
        counts = {"online": sum(k.online for k in kiosks),
                  "offline": sum(not k.online and k.state == "active" for k in kiosks),
                  "revoked": sum(k.state != "active" for k in kiosks)}
        return page("fleet.html", s=s, tab="fleet", kiosks=kiosks, counts=counts,
                    offline_after=int(hub.offline_after_s), refused=refusals(),
                    urgent=reports.emergencies(engine))

    @app.post("/devices/revoke")
    async def revoke_posted(request: Request):
        """The Fleet page's Revoke: the id in the form, so no id ("..", an id enrolled before ids were checked)
        can be turned into another path by the browser."""
        got = await guarded(request)
        if isinstance(got, Response):
            return got
        await run_in_threadpool(store.revoke, engine, (got[1].get("device") or [""])[0])
        return RedirectResponse("/fleet", status_code=303)

    @app.post("/devices/{device_id}/revoke")
    async def revoke(device_id: str, request: Request):
        got = await guarded(request)
        if isinstance(got, Response):
            return got
        await run_in_threadpool(store.revoke, engine, device_id)
        return RedirectResponse("/fleet", status_code=303)

    def _days(request: Request) -> int:
        try:
            return min(max(int(request.query_params.get("days", "14")), 1), 366)
        except ValueError:
            return 14

    @app.get("/usage", response_class=HTMLResponse)
    def usage_page(request: Request):
        s = session_of(request)
        if s is None:
            return to_login()
        days = _days(request)
        u = reports.usage(engine, days)
        chart = charts.stacked_bars(u.days, u.by_day_route, u.routes, f"Answers per day by route, last {days} days")
        total = sum(k["answers"] for k in u.by_kiosk.values())
        esc = sum(k["escalated"] for k in u.by_kiosk.values())
        return page("usage.html", s=s, tab="usage", u=u, chart=chart, days=days, total=total, escalated=esc,
                    rate=(esc / total if total else 0.0), recon=reports.reconciliation(engine))

    @app.get("/usage.csv")
    def usage_csv(request: Request):
        if session_of(request) is None:
            return to_login()
        u = reports.usage(engine, _days(request))
        buf = io.StringIO()
        w = csv.DictWriter(buf, ["day", "device", "route", "tier", "answers", "escalated", "tokens"])
        w.writeheader()
        for r in u.rows:
            # A spreadsheet would run a cell starting with one of these as a formula (OWASP CSV injection).
            w.writerow({k: (f"'{v}" if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r") else v)
                        for k, v in r.items()})
        return Response(buf.getvalue(), media_type="text/csv", headers={
            **HEADERS, "Content-Disposition": 'attachment; filename="kiosk-usage.csv"'})

    @app.get("/questions", response_class=HTMLResponse)
    def questions_page(request: Request):
        s = session_of(request)
        if s is None:
            return to_login()
        from kiosk.hub.packs import names

        from kiosk.hub.wording import chosen, mark_listed

        held = names(engine)
        return page("questions.html", s=s, tab="questions", groups=reports.question_groups(engine),
                    recent=queue.recent(engine), done=request.query_params.get("answered", ""),
                    packs=[p.name for p in held], chosen=mark_listed(chosen(engine), [p.files for p in held]))

    @app.post("/questions/answer")
    async def answer(request: Request):
        got = await guarded(request)
        if isinstance(got, Response):
            return got
        s, form = got
        text = " ".join((form.get("answer") or [""])[0].split())
        if not text:
            return PlainTextResponse("write an answer first", status_code=400)
        if len(text) > MAX_ANSWER:
            return PlainTextResponse(f"an answer has at most {MAX_ANSWER} characters", status_code=400)
        n = 0
        for item in form.get("item", [])[:500]:
            device_id, _, esc_id = item.partition("/")
            n += await run_in_threadpool(queue.staff_answer, engine, device_id, esc_id, text, s.user)
        return RedirectResponse(f"/questions?answered={n}", status_code=303)
