"""What a stranger's login attempt may cost the hub.

A password check (argon2id) takes 64 MiB and tens of milliseconds of a core, and anyone who can reach the
login page can ask for one. So checks run on a few threads of their own (never the workers that serve the
kiosks), at most ``checks + waiting`` logins are admitted at a time and the rest are answered 429 at once,
and an address that keeps failing waits longer and longer before it is let near a check again. Each account
has the same backoff in the database (``kiosk.hub.users``), so it holds across hub processes.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, TypeVar

T = TypeVar("T")

FREE_FAILURES = 5        # failed logins in a row before any wait
FIRST_WAIT_S = 2.0       # then 2 s, 4 s, 8 s... after each further failure
MAX_WAIT_S = 15 * 60.0
ADDRESSES = 10_000       # addresses remembered (the least recently failed are forgotten first)


def wait_after(failures: int) -> float:
    """Seconds to wait before the next attempt after this many failures in a row."""
    if failures < FREE_FAILURES:
        return 0.0
    return min(FIRST_WAIT_S * 2 ** min(failures - FREE_FAILURES, 30), MAX_WAIT_S)


class Busy(Exception):
    """Every password-check place is taken: the login is refused without waiting."""


class LoginGate:
    """Admission to password checks, and the backoff of each address and each name tried (keys: an address,
    or "name:" and the name). Used from the event loop only."""

    def __init__(self, checks: int = 1, waiting: int = 4, clock: Callable[[], float] = time.monotonic) -> None:
        self.places = max(1, checks) + max(0, waiting)
        self.admitted = 0
        self.clock = clock
        self._pool = ThreadPoolExecutor(max(1, checks), thread_name_prefix="password-check")
        self._failed: OrderedDict[str, tuple[int, float]] = OrderedDict()  # address -> (failures, since)

    def retry_after(self, address: str) -> float:
        """Seconds this address (or name) must still wait before a login is looked at (0: now)."""
        failures, at = self._failed.get(address, (0, 0.0))
        return max(0.0, at + wait_after(failures) - self.clock())

    def failed(self, address: str) -> None:
        failures, _ = self._failed.pop(address, (0, 0.0))
        self._failed[address] = (failures + 1, self.clock())
        while len(self._failed) > ADDRESSES:
            self._failed.popitem(last=False)

    def succeeded(self, address: str) -> None:
        self._failed.pop(address, None)

    def full(self) -> bool:
        return self.admitted >= self.places

    async def run(self, fn: Callable[..., T], *args) -> T:
        """``fn(*args)`` on a password-check thread, or Busy at once if every place is taken."""
        if self.full():
            raise Busy()
        self.admitted += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)
        finally:
            self.admitted -= 1


BUSY_WAIT_S = 5


class LoginShield:
    """A pure ASGI middleware: ``POST /login`` is refused (429, Retry-After) before any route runs when the
    answer is already known, because the address is backing off or every password-check place is taken.
    A flood of logins is answered at the lowest cost per request, so what else the hub serves keeps up."""

    def __init__(self, app, gate: LoginGate, path: str = "/login") -> None:
        self.app, self.gate, self.path = app, gate, path

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == self.path:
            address = scope["client"][0] if scope.get("client") else "?"
            wait = self.gate.retry_after(address) or (BUSY_WAIT_S if self.gate.full() else 0)
            if wait:
                await _too_many(send, wait)
                return
        await self.app(scope, receive, send)


async def _too_many(send, wait: float) -> None:
    seconds = max(1, math.ceil(wait))
    body = (f"<!doctype html><title>Try again later</title><p>Too many login attempts: try again in {seconds} s."
            f' <a href="/login">Log in</a></p>').encode()
    await send({"type": "http.response.start", "status": 429, "headers": [
        (b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(seconds).encode()), (b"cache-control", b"no-store"), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
